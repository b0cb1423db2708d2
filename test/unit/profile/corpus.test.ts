/**
 * The proof of the parser/renderer: for every real-world profile file that `apparmor_parser`
 * accepts, `renderProfile(parseProfile(text))` compiles to byte-identical binary policy
 * (`apparmor_parser -Q -K -S`, same include/base dir, both via stdin). Also: every file parses,
 * parse → render → parse is a fixpoint, and rendering is deterministic.
 *
 * Corpus: /etc/apparmor.d (top-level files and profile subdirectories such as apache2.d),
 * /usr/share/apparmor/extra-profiles (Debian `apparmor`, `apparmor-profiles`,
 * `apparmor-profiles-extra`) and docker-default from src/profile/dockerDefault.ts.
 */

import * as assert from "assert";
import { parseProfile, renderProfile } from "../../../src/profile";
import {
    compileCached,
    corpusFiles,
    CorpusFile,
    haveApparmorParser,
    mapLimit,
} from "../../corpus/corpus";

/**
 * Files apparmor_parser accepts but whose rendered text does not compile identically, each with the
 * reason. Empty: every accepted file round-trips.
 */
const KNOWN_EXCEPTIONS: Readonly<Record<string, string>> = {};

/** Lower bound on accepted files, so a broken environment (no include dir) cannot pass vacuously. */
const MIN_ACCEPTED = 140;

describe("profile corpus round trip", function () {
    this.timeout(20 * 60 * 1000);
    let files: CorpusFile[];

    before(function () {
        files = corpusFiles();
    });

    it("has the Debian profile packages installed (apparmor-profiles, -extra)", function () {
        const names = files.map((f) => f.name);
        assert.ok(
            names.some((n) => n.startsWith("extra/")),
            "no /usr/share/apparmor/extra-profiles: apt-get install -y apparmor-profiles-extra",
        );
        assert.ok(
            names.includes("etc/usr.sbin.dnsmasq") || names.includes("etc/usr.bin.man"),
            "no /etc/apparmor.d profiles: apt-get install -y apparmor apparmor-profiles",
        );
        assert.ok(files.length >= MIN_ACCEPTED, `corpus has only ${files.length} files`);
    });

    it("parses every file; rendering is deterministic and parse→render→parse is a fixpoint", function () {
        for (const f of files) {
            const model = parseProfile(f.text);
            const once = renderProfile(model);
            assert.strictEqual(renderProfile(model), once, `${f.name}: render not deterministic`);
            // JSON round trip (models live in Pulumi state) renders the same bytes
            const viaJson = JSON.parse(JSON.stringify(model)) as typeof model;
            assert.strictEqual(renderProfile(viaJson), once, `${f.name}: JSON round trip differs`);
            const again = parseProfile(once);
            assert.deepStrictEqual(again, model, `${f.name}: parse(render(m)) != m`);
            assert.strictEqual(renderProfile(again), once, `${f.name}: render not a fixpoint`);
        }
    });

    it("compiles every accepted file byte-identically after render(parse(text))", async function () {
        assert.ok(haveApparmorParser(), "apparmor_parser not found: apt-get install -y apparmor");
        const results = await mapLimit(files, 2, async (f) => {
            const original = await compileCached(f.text);
            if (!original.ok)
                return { name: f.name, accepted: false, identical: false, detail: "" };
            const rendered = renderProfile(parseProfile(f.text));
            const r = await compileCached(rendered);
            const identical = r.ok && Buffer.compare(r.binary, original.binary) === 0;
            const detail = r.ok ? "compiled output differs" : `rendered text rejected: ${r.stderr}`;
            return { name: f.name, accepted: true, identical, detail };
        });
        const accepted = results.filter((r) => r.accepted);
        const identical = accepted.filter((r) => r.identical);
        const failures = accepted.filter((r) => !r.identical);
        const rejected = results.filter((r) => !r.accepted).map((r) => r.name);
        console.log(
            `      corpus: ${files.length} files, ${accepted.length} accepted by apparmor_parser, ` +
                `${identical.length} byte-identical after render(parse()); ` +
                `not accepted: ${rejected.join(", ") || "none"}`,
        );
        assert.ok(accepted.length >= MIN_ACCEPTED, `only ${accepted.length} files accepted`);
        assert.deepStrictEqual(
            failures.map((f) => f.name).sort(),
            Object.keys(KNOWN_EXCEPTIONS).sort(),
            failures.map((f) => `${f.name}: ${f.detail}`).join("\n"),
        );
    });
});
