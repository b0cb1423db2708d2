/**
 * Every log in test/fixtures/logs is parsed and checked against its `.expected.jsonl` (events in
 * `denials --json` form) or `.count`. Regenerate expectations after a deliberate change with
 * `UPDATE_LOG_FIXTURES=1 npx mocha test/unit/log/fixtures.test.ts` and review the diff.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AuditLogParser, parseAuditLog } from "../../../src/log";
import { recordJson } from "../../../src/cli/denials";

const DIR = path.join(__dirname, "../../fixtures/logs");
/** Journal short-format lines carry no year: the fixtures were written for 2026. */
const OPTIONS = { syslogYear: 2026 };

const files = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith(".log"))
    .sort();

describe("log fixtures", () => {
    it("has a fixture for every log form", () => {
        for (const f of [
            "kernel-dmesg.log",
            "syslog-kern.log",
            "auditd-audit.log",
            "journal-audit.log",
            "journal-json.log",
            "malformed.log",
        ]) {
            assert.ok(files.includes(f), f);
        }
    });

    for (const f of files) {
        describe(f, () => {
            const text = fs.readFileSync(path.join(DIR, f), "utf8");
            const base = f.slice(0, -".log".length);
            const result = parseAuditLog(text, OPTIONS);

            it("parses with no malformed lines (unless the file is about them)", () => {
                if (!f.includes("malformed")) {
                    assert.strictEqual(result.malformed, 0, result.malformedSamples.join("\n"));
                }
                assert.ok(result.events.length > 0, "no AppArmor event found");
                for (const r of result.events) {
                    // every event names its operation, but the STATUS records the kernel logs
                    // without one (policy unpack failures), which say what happened in `info`
                    const named = r.operation || (r.type === "STATUS" && r.info);
                    assert.ok(r.type && named, JSON.stringify(r));
                }
            });

            const expectedFile = path.join(DIR, `${base}.expected.jsonl`);
            const countFile = path.join(DIR, `${base}.count`);
            if (process.env.UPDATE_LOG_FIXTURES && !fs.existsSync(countFile)) {
                fs.writeFileSync(
                    expectedFile,
                    result.events.map((r) => `${recordJson(r)}\n`).join(""),
                );
            }
            if (fs.existsSync(expectedFile)) {
                it("gives the expected events, field by field", () => {
                    const expected = fs
                        .readFileSync(expectedFile, "utf8")
                        .split("\n")
                        .filter((l) => l.length > 0)
                        .map((l) => JSON.parse(l));
                    assert.deepStrictEqual(
                        result.events.map((r) => JSON.parse(recordJson(r))),
                        expected,
                    );
                });
            }
            if (fs.existsSync(countFile)) {
                it("gives the expected number of events", () => {
                    const n = Number(fs.readFileSync(countFile, "utf8").trim());
                    assert.strictEqual(result.events.length, n);
                });
            }

            it("gives the same events when streamed in chunks of any size", () => {
                for (const size of [1, 2, 3, 7, 64, 1000, text.length]) {
                    const p = new AuditLogParser(OPTIONS);
                    const got = [];
                    for (let i = 0; i < text.length; i += size)
                        got.push(...p.push(text.slice(i, i + size)));
                    got.push(...p.end());
                    assert.deepStrictEqual(got, result.events, `chunk size ${size}`);
                    assert.strictEqual(p.stats.malformed, result.malformed, `chunk size ${size}`);
                }
            });

            it("gives the same events for CRLF line endings", () => {
                const crlf = parseAuditLog(text.replace(/\n/g, "\r\n"), OPTIONS);
                assert.deepStrictEqual(crlf.events, result.events);
            });
        });
    }
});
