import * as assert from "assert";
import { checkWithParser, findApparmorParser } from "../../../src/local";
import { parseProfile } from "../../../src/profile/parser";
import { validateProfile } from "../../../src/profile/validate";
import { APPARMOR_D, corpusFiles } from "../../corpus/corpus";

/**
 * No false alarms on real policy: every profile file of the corpus (Debian's apparmor,
 * apparmor-profiles, apparmor-profiles-extra, docker-default) that this library parses and that the
 * real apparmor_parser accepts must pass validateProfile without a single problem.
 */
describe("profile/validate: real-world corpus", function () {
    this.timeout(300_000);

    it("reports no problem for any corpus profile apparmor_parser accepts", async () => {
        assert.ok(findApparmorParser(), "apparmor_parser is required (apt-get install apparmor)");
        const files = corpusFiles();
        assert.ok(
            files.length >= 50,
            `corpus has only ${files.length} files (install apparmor-profiles)`,
        );
        let parsed = 0;
        let clean = 0;
        const falseAlarms: string[] = [];
        for (const f of files) {
            let doc;
            try {
                doc = parseProfile(f.text);
            } catch {
                continue; // the parser's coverage is measured by the round-trip test
            }
            if (!doc.items.some((i) => i.kind === "profile")) continue;
            parsed++;
            const problems = validateProfile(doc);
            if (problems.length === 0) {
                clean++;
                continue;
            }
            const r = await checkWithParser(f.text, {
                includeDirs: [APPARMOR_D],
                baseDir: APPARMOR_D,
            });
            if (r.ok) {
                falseAlarms.push(
                    `${f.name}: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
                );
            }
        }
        assert.ok(parsed >= 50, `only ${parsed} corpus files parsed`);
        assert.deepStrictEqual(falseAlarms, [], `${clean}/${parsed} clean`);
        console.log(`      corpus: ${clean}/${parsed} parsed profile files validate clean`);
    });
});
