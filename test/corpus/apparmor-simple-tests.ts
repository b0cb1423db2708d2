/**
 * Extended, manual round-trip check against AppArmor's own parser test suite
 * (parser/tst/simple_tests of the apparmor source tree matching the installed apparmor_parser,
 * e.g. `git archive v3.0.8 parser | tar -x -C /tmp/aa`). Not part of `npm test` because the suite
 * is not installed by any package; run it when changing the parser or renderer:
 *
 *   npx ts-node test/corpus/apparmor-simple-tests.ts /tmp/aa/parser/tst/simple_tests
 *
 * For every `#=EXRESULT PASS` file: parse + render must succeed, and when apparmor_parser accepts
 * the original, render(parse(text)) must compile byte-identically (-I/-b = the suite dir).
 * Exit code 1 if any accepted file does not round-trip.
 */

import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseProfile, renderProfile } from "../../src/profile";
import { compileCached, mapLimit } from "./corpus";

async function main(dir: string): Promise<number> {
    const files = execFileSync("grep", ["-rl", "--include=*.sd", "^#=EXRESULT PASS", dir], {
        encoding: "utf8",
    })
        .trim()
        .split("\n")
        .sort();
    const args = ["-Q", "-K", "-S", "-I", dir, "-b", dir];
    const res = await mapLimit(files, 2, async (f) => {
        const name = f.slice(dir.length + 1);
        const text = fs.readFileSync(f, "utf8");
        const original = await compileCached(text, args);
        let rendered: string;
        try {
            rendered = renderProfile(parseProfile(text));
        } catch (e) {
            return {
                name,
                accepted: original.ok,
                ok: false,
                why: `parse: ${(e as Error).message}`,
            };
        }
        if (!original.ok) return { name, accepted: false, ok: true, why: "" };
        const r = await compileCached(rendered, args);
        if (!r.ok)
            return { name, accepted: true, ok: false, why: `rendered rejected: ${r.stderr}` };
        const same = r.binary.equals(original.binary);
        return { name, accepted: true, ok: same, why: same ? "" : "compiled output differs" };
    });
    const accepted = res.filter((r) => r.accepted);
    const bad = accepted.filter((r) => !r.ok);
    for (const r of res.filter((x) => !x.ok)) {
        console.log(`${r.accepted ? "FAIL" : "note (original rejected too)"} ${r.name}: ${r.why}`);
    }
    console.log(
        `${files.length} PASS files, ${accepted.length} accepted by apparmor_parser, ` +
            `${accepted.length - bad.length} byte-identical after render(parse())`,
    );
    return bad.length ? 1 : 0;
}

const dir = process.argv[2];
if (!dir) {
    console.error("usage: ts-node test/corpus/apparmor-simple-tests.ts SIMPLE_TESTS_DIR");
    process.exit(2);
}
main(dir.replace(/\/$/, "")).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
