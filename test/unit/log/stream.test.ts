/**
 * The streaming parser (`AuditLogParser`) on over-long lines: bounded memory, each chunk looked at
 * once, and the same verdicts as the whole-text parser (an over-long line carrying a marker is one
 * malformed line). The time it takes is measured in bench/log-stream-bench.ts, not here.
 */
import * as assert from "assert";
import {
    AuditLogParser,
    DEFAULT_MAX_LINE_LENGTH,
    ParseOptions,
    parseAuditLine,
    parseAuditLog,
} from "../../../src/log";

const K = "audit: type=1400 audit(1700000000.123:456): ";
const EVENT = `${K}apparmor="DENIED" operation="open" profile="p" name="/etc/shadow" comm="cat" requested_mask="r" denied_mask="r"`;

/** Feeds `text` in `size`-character chunks; returns what came out and the largest buffer seen. */
function stream(text: string, size: number, options: ParseOptions = {}) {
    const p = new AuditLogParser(options);
    const names: (string | undefined)[] = [];
    let maxBuffered = 0;
    let pushes = 0;
    for (let i = 0; i < text.length; i += size) {
        for (const r of p.push(text.slice(i, i + size))) names.push(r.name);
        maxBuffered = Math.max(maxBuffered, p.bufferedChars);
        pushes++;
    }
    for (const r of p.end()) names.push(r.name);
    return { names, stats: p.stats, maxBuffered, pushes };
}

describe("AuditLogParser: over-long lines", function () {
    this.timeout(60000);

    it("a 50 MB AppArmor line in 64 KiB chunks: one malformed line, never held, then parsing goes on", () => {
        const long = `${K}apparmor="DENIED" operation="open" profile="p" name="/${"x".repeat(50e6)}"`;
        const text = `${EVENT}\n${long}\n${EVENT}\n`;
        const r = stream(text, 65536);
        assert.deepStrictEqual(r.names, ["/etc/shadow", "/etc/shadow"]);
        assert.strictEqual(r.stats.malformed, 1);
        assert.strictEqual(r.stats.records, 2);
        assert.strictEqual(r.stats.chars, text.length);
        // never more than the limit held for the unfinished line
        assert.ok(r.maxBuffered <= DEFAULT_MAX_LINE_LENGTH, `held ${r.maxBuffered}`);
        assert.match(r.stats.malformedSamples[0], /^audit: type=1400 .*x…$/);
        assert.ok(r.stats.malformedSamples[0].length <= 301);
        // the whole-text parser gives the same verdict
        const whole = parseAuditLog(text);
        assert.deepStrictEqual(
            whole.events.map((e) => e.name),
            r.names,
        );
        assert.strictEqual(whole.malformed, 1);
        assert.strictEqual(whole.malformedSamples[0], r.stats.malformedSamples[0]);
    });

    it("an over-long line without a marker is skipped, not counted", () => {
        const text = `${"y".repeat(3 * DEFAULT_MAX_LINE_LENGTH)}\n${EVENT}\n`;
        const r = stream(text, 65536);
        assert.deepStrictEqual([r.names.length, r.stats.malformed], [1, 0]);
        assert.ok(r.maxBuffered <= DEFAULT_MAX_LINE_LENGTH);
        assert.strictEqual(parseAuditLog(text).malformed, 0);
    });

    it("an over-long line that never ends is dropped at end()", () => {
        const text = `${EVENT}\n${K}apparmor="DENIED" ${"z".repeat(2 * DEFAULT_MAX_LINE_LENGTH)}`;
        const r = stream(text, 100000);
        assert.deepStrictEqual([r.names.length, r.stats.malformed], [1, 1]);
        assert.strictEqual(r.stats.chars, text.length);
        assert.strictEqual(parseAuditLog(text).malformed, 1);
    });

    it("parseAuditLine applies the same limit", () => {
        const line = `${K}apparmor="DENIED" operation="open" profile="p" name="/${"a".repeat(100)}"`;
        assert.strictEqual(parseAuditLine(line).kind, "record");
        const r = parseAuditLine(line, { maxLineLength: 100 });
        assert.strictEqual(r.kind, "malformed");
        assert.match((r as { reason: string }).reason, /longer than maxLineLength \(100\)/);
    });

    it("agrees with parseAuditLog for every chunk size at a small limit, markers split across chunks", () => {
        // lines just under, at and over the limit; markers of every kind near chunk boundaries
        const max = 120;
        const markers = [
            'apparmor="DENIED" operation="open" profile="p" name="/',
            'type=APPARMOR_DENIED msg=audit(1.5:2): operation="open" profile="p" name="/',
            'type=1503 audit(1.5:2): operation="open" profile="p" name="/',
            'type=UNKNOWN[1503] msg=audit(1.5:2): operation="open" profile="p" name="/',
            '{"MESSAGE":[97,112,112,97,114,109,111,114,61,34,68,69,78,73,69,68,34,32,111,112,61],"',
            "no marker at all here ",
        ];
        const lines: string[] = [];
        for (const m of markers) {
            for (const pad of [0, 1, 7, 30, 60, 61, 62, 63, 64, 65, 66, 200, 500]) {
                const prefix = "p".repeat(pad % 40);
                const fill = "f".repeat(Math.max(0, max - prefix.length - m.length - 1 + pad - 64));
                lines.push(`${prefix}${m}${fill}"`);
            }
        }
        const text = `${lines.join("\n")}\n${EVENT}`;
        const options = { maxLineLength: max };
        const whole = parseAuditLog(text, options);
        assert.ok(whole.malformed > 5 && whole.events.length > 5, JSON.stringify(whole.malformed));
        for (const size of [1, 2, 3, 5, 8, 13, 16, 17, 64, 119, 120, 121, 250, 4096]) {
            const r = stream(text, size, options);
            assert.deepStrictEqual(
                r.names,
                whole.events.map((e) => e.name),
                `chunk size ${size}`,
            );
            assert.strictEqual(r.stats.malformed, whole.malformed, `chunk size ${size}`);
            assert.deepStrictEqual(r.stats.malformedSamples, whole.malformedSamples);
            assert.strictEqual(r.stats.chars, text.length, `chunk size ${size}`);
            assert.ok(r.maxBuffered <= max, `chunk size ${size}: held ${r.maxBuffered}`);
        }
    });
});
