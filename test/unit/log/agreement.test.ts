/**
 * Field-by-field agreement with libapparmor (Debian's python3-libapparmor, the parser aa-logprof
 * uses), on the same lines. Deterministic; the timing comparison lives in bench/log-bench.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    appArmorLine,
    compareWithLibapparmor,
    libapparmorDump,
    rng,
    writeLines,
} from "../../../bench/log-bench.lib";
import { LIBAPPARMOR_SAMPLES } from "./real-samples";

const FIXTURES = path.join(__dirname, "../../fixtures/logs");

describe("agreement with libapparmor (LibAppArmor.parse_record)", function () {
    this.timeout(60000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "aa-agree-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("agrees on every field of 2000 generated lines in the forms libapparmor 3.0.8 reads", () => {
        const rand = rng(11);
        const lines: string[] = [];
        for (let i = 0; i < 2000; i++)
            lines.push(appArmorLine(rand, i, { libapparmorForms: true }));
        const file = path.join(dir, "gen.log");
        writeLines(file, lines);
        const a = compareWithLibapparmor(lines, libapparmorDump(file));
        const kinds = [...a.kinds].map(([k, v]) => `${k}: ${v.count} (${v.detail || v.example})`);
        assert.deepStrictEqual(kinds, []);
        assert.strictEqual(a.agree, 2000);
    });

    it("names every protocol number 0-300 (and 768) as libapparmor does, unknown(N) when it has no name", () => {
        // libapparmor's net_protocol comes from glibc's IPPROTO_* constants (af_protos.h)
        const lines: string[] = [];
        for (const n of [...Array(301).keys(), 768])
            lines.push(
                `type=AVC msg=audit(1716557137.764:${n + 1}): apparmor="DENIED" operation="create" profile="p" pid=5 comm="x" family="inet" sock_type="raw" protocol=${n} requested_mask="create" denied_mask="create"`,
            );
        const file = path.join(dir, "protocols.log");
        writeLines(file, lines);
        const a = compareWithLibapparmor(lines, libapparmorDump(file));
        const kinds = [...a.kinds].map(([k, v]) => `${k}: ${v.count} (${v.detail || v.example})`);
        assert.deepStrictEqual(kinds, []);
        assert.strictEqual(a.agree, lines.length);
    });

    it("on the real-world samples (libapparmor's testsuite lines), agrees wherever 3.0.8 reads the line", () => {
        const lines = LIBAPPARMOR_SAMPLES.map((s) => s.line);
        const file = path.join(dir, "samples.log");
        writeLines(file, lines);
        const a = compareWithLibapparmor(lines, libapparmorDump(file));
        // 3.0.8 predates tcontext=, class= and dbus-broker's method= (libapparmor 4's testsuite
        // expectations for those lines are checked in real-samples.test.ts): it rejects them
        const kinds = [...a.kinds].map(([k, v]) => `${k}: ${v.count}`).sort();
        assert.deepStrictEqual(kinds, [
            "libapparmor rejects the line [dbus-broker message with method= (libapparmor 3.0.8 knows member= only)]: 1",
            "libapparmor rejects the line [line with class= (kernel ≥ 6.2)]: 4",
        ]);
        assert.strictEqual(a.agree, lines.length - 5);
    });

    it("on the fixture logs, disagrees only in the known ways", () => {
        const lines = fs
            .readdirSync(FIXTURES)
            .filter((f) => f.endsWith(".log") && f !== "malformed.log")
            .sort()
            .flatMap((f) => fs.readFileSync(path.join(FIXTURES, f), "utf8").split("\n"))
            .filter((l) => l.length > 0)
            // The VM capture keeps the journal's bare kernel form (`audit: type=1400 …`), which
            // libapparmor 3.0.8 only reads behind a dmesg stamp: give it one so these real lines
            // are compared field by field instead of counted as rejections.
            .map((l) => (l.startsWith("audit: type=") ? `[ 1234.567890] ${l}` : l));
        const file = path.join(dir, "fixtures.log");
        writeLines(file, lines);
        const a = compareWithLibapparmor(lines, libapparmorDump(file));
        const known = [
            // libapparmor 3.0.8 stops at class= (kernel >= 6.2) and keeps the rest as `info`
            /\[line with class= \(kernel ≥ 6\.2\)\]$/,
            // it needs six decimals in dmesg stamps
            /\[dmesg stamp with fewer than 6 decimals\]$/,
            // it does not read journald's audit transport (`audit[pid]: AVC …`) or JSON export
            /^libapparmor rejects the line \[journald audit transport \(no audit\(\.\.\.\) stamp\)\]$/,
            /^libapparmor rejects the line \[journalctl -o json line\]$/,
            /^libapparmor rejects the line \[no audit\(\.\.\.\) stamp\]$/,
            // nor auditd lines with a `node=` prefix (auditd's name_format)
            /^libapparmor rejects the line \[auditd node= prefix\]$/,
            /^libapparmor rejects the line \[USER_AVC with subj= /,
            // nor dbus-broker's method= (dbus-daemon and newer dbus-broker write member=)
            /^libapparmor rejects the line \[dbus-broker message with method= /,
            // lines that are not AppArmor events at all, which both skip, are agreements
        ];
        const unknown = [...a.kinds].filter(([k]) => !known.some((re) => re.test(k)));
        assert.deepStrictEqual(
            unknown.map(([k, v]) => `${k}: ${v.detail} :: ${v.example}`),
            [],
        );
        assert.ok(a.agree / a.total > 0.7, `${a.agree}/${a.total}`);
        if (process.env.LOG_AGREEMENT_REPORT) {
            console.log(`agree ${a.agree}/${a.total}`);
            for (const [k, v] of a.kinds) console.log(`${v.count}  ${k}`);
        }
    });
});
