/**
 * The byte API (`parseAuditLogBuffer`, `scanAuditEventsBuffer`, `scanAuditLogBuffer`) gives
 * exactly what the string API gives for the same log decoded as UTF-8: the same records (deep
 * equal), the same views (every getter), the same malformed counts and samples, the same journal
 * cursor; `chars` counts bytes. Checked over every log fixture, the real-world samples, generated
 * lines of every form, and hostile inputs (cut lines, invalid UTF-8, NULs and other controls,
 * huge fields and lines, many pairs, lines across the scanner's 4 MiB windows).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { appArmorLine, mixedLog, rng } from "../../../bench/log-bench.lib";
import {
    AUDIT_RECORD_FIELDS,
    AuditEventView,
    AuditRecord,
    ParseOptions,
    parseAuditLog,
    parseAuditLogBuffer,
    scanAuditEvents,
    scanAuditEventsBuffer,
    scanAuditLogBuffer,
} from "../../../src/log";
import { byteScannerCodes } from "../../../src/log/view";
import { LIBAPPARMOR_SAMPLES } from "./real-samples";

const DIR = path.join(__dirname, "../../fixtures/logs");

/** Both APIs on `bytes`: records and statistics equal (chars: characters vs bytes). */
function same(bytes: Buffer, options: ParseOptions = {}, what = ""): AuditRecord[] {
    const text = bytes.toString("utf8");
    const s = parseAuditLog(text, options);
    const b = parseAuditLogBuffer(bytes, options);
    assert.deepStrictEqual(b.events, s.events, `records of ${what}`);
    assert.strictEqual(b.records, s.records, `records count of ${what}`);
    assert.strictEqual(b.malformed, s.malformed, `malformed count of ${what}`);
    assert.deepStrictEqual(b.malformedSamples, s.malformedSamples, `malformed samples of ${what}`);
    assert.strictEqual(b.journalCursor, s.journalCursor, `journal cursor of ${what}`);
    assert.strictEqual(b.chars, bytes.length, `bytes of ${what}`);
    return b.events;
}

/** Every getter of a view, as a plain object (what a consumer of the fast path can read). */
function viewValues(ev: AuditEventView): Record<string, unknown> {
    const o: Record<string, unknown> = { line: ev.line, profileOrLabel: ev.profileOrLabel };
    const getters = ev as unknown as Record<string, unknown>;
    for (const f of AUDIT_RECORD_FIELDS) o[f] = getters[f];
    o.isStatus = ev.isStatus;
    if (ev.name !== undefined) o.isName = ev.is("name", ev.name);
    o.isOp = ev.is("operation", "open");
    return o;
}

function sameViews(bytes: Buffer, options: ParseOptions = {}, what = ""): void {
    const s: unknown[] = [];
    const b: unknown[] = [];
    scanAuditEvents(bytes.toString("utf8"), (ev) => s.push(viewValues(ev)), options);
    scanAuditEventsBuffer(bytes, (ev) => b.push(viewValues(ev)), options);
    assert.deepStrictEqual(b, s, `views of ${what}`);
}

function generated(n: number, seed: number, withClass: boolean): string[] {
    const rand = rng(seed);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(appArmorLine(rand, i, { withClass }));
    return lines;
}

const KERNEL_LINE =
    '[   12.345678] audit: type=1400 audit(1795600812.345:40): apparmor="DENIED" operation="mknod" ' +
    'profile="docker-default" name="/tmp/a/x" pid=1377 comm="touch" requested_mask="c" ' +
    'denied_mask="c" fsuid=0 ouid=0';

describe("log byte API (parseAuditLogBuffer, scanAuditEventsBuffer)", () => {
    describe("every log fixture", () => {
        const files = fs
            .readdirSync(DIR)
            .filter((f) => f.endsWith(".log"))
            .sort();
        for (const f of files) {
            it(`${f}: records, statistics and views as the string API's`, () => {
                const bytes = fs.readFileSync(path.join(DIR, f));
                same(bytes, { syslogYear: 2026 }, f);
                same(bytes, {}, f);
                same(
                    bytes,
                    { maxLineLength: 200, malformedSamples: 50 },
                    `${f} (maxLineLength 200)`,
                );
                sameViews(bytes, { syslogYear: 2026 }, f);
                // each line alone, with and without its newline
                for (const line of bytes.toString("utf8").split("\n")) {
                    same(Buffer.from(line), { syslogYear: 2026 }, line);
                    same(Buffer.from(`${line}\r\n`), { syslogYear: 2026 }, `${line} CRLF`);
                }
            });
        }
    });

    it("the real-world samples, each alone and all together", () => {
        for (const s of LIBAPPARMOR_SAMPLES) {
            same(Buffer.from(s.line), { syslogYear: 2020 }, s.line);
            sameViews(Buffer.from(s.line), { syslogYear: 2020 }, s.line);
        }
        const all = Buffer.from(LIBAPPARMOR_SAMPLES.map((s) => s.line).join("\n"));
        assert.strictEqual(same(all, { syslogYear: 2020 }).length, LIBAPPARMOR_SAMPLES.length);
    });

    it("generated lines of every form and operation (with and without class=)", () => {
        for (const withClass of [false, true]) {
            const lines = generated(3000, withClass ? 5 : 4, withClass);
            const bytes = Buffer.from(lines.join("\n") + "\n");
            assert.strictEqual(same(bytes, {}, "generated").length, lines.length);
            sameViews(bytes, {}, "generated");
        }
        const mixed = mixedLog(400000, 20);
        const events = same(Buffer.from(mixed.text), {}, "mixed log");
        assert.strictEqual(events.length, mixed.appArmor);
    });

    it("reads the kernel form itself: fields of a dmesg line", () => {
        const [r] = parseAuditLogBuffer(Buffer.from(KERNEL_LINE + "\n")).events;
        assert.deepStrictEqual(r, {
            type: "DENIED",
            timestamp: 1795600812.345,
            serial: 40,
            operation: "mknod",
            profile: "docker-default",
            name: "/tmp/a/x",
            pid: 1377,
            comm: "touch",
            requestedMask: "c",
            deniedMask: "c",
            fsuid: 0,
            ouid: 0,
        });
    });

    it("scanAuditLogBuffer hands the same records out; a Uint8Array works as a Buffer", () => {
        const bytes = Buffer.from(generated(500, 9, false).join("\n"));
        const out: AuditRecord[] = [];
        const st = scanAuditLogBuffer(bytes, (r) => out.push(r));
        assert.deepStrictEqual(out, parseAuditLog(bytes.toString("utf8")).events);
        assert.strictEqual(st.records, 500);
        const u8 = new Uint8Array(bytes.length + 7);
        u8.set(bytes, 3);
        assert.deepStrictEqual(parseAuditLogBuffer(u8.subarray(3, 3 + bytes.length)).events, out);
    });

    it("a callback may scan another buffer while its own scan goes on", () => {
        const bytes = Buffer.from(generated(50, 11, false).join("\n"));
        const inner: number[] = [];
        const outer: AuditRecord[] = [];
        scanAuditEventsBuffer(bytes, (ev) => {
            inner.push(parseAuditLogBuffer(Buffer.from(KERNEL_LINE)).events.length);
            outer.push(ev.toRecord());
        });
        assert.deepStrictEqual(outer, parseAuditLog(bytes.toString("utf8")).events);
        assert.deepStrictEqual(inner, new Array(50).fill(1));
    });

    describe("hostile input", () => {
        it("every cut of a line (at each byte), alone and before a whole line", () => {
            const lines = [
                KERNEL_LINE,
                'type=AVC msg=audit(1795600812.345:40): apparmor="DENIED" operation="open" profile="p" name=2F746D702F7769746820737061636520C3A9 pid=1 comm="a"',
                'Nov 25 10:00:00 vmhost kernel: [ 12.3] audit: type=1400 audit(1795600812.345:40): apparmor="STATUS" operation="profile_load" profile="unconfined" name="x" pid=1 comm="apparmor_parser"',
            ];
            for (const line of lines) {
                const b = Buffer.from(line);
                for (let i = 0; i <= b.length; i++) {
                    const cut = b.subarray(0, i);
                    same(cut, {}, `cut ${i} of ${line}`);
                    same(Buffer.concat([cut, Buffer.from("\n" + line)]), {}, `cut ${i} + line`);
                }
            }
        });

        it("invalid UTF-8, UTF-8 cut inside a character, NULs and other controls", () => {
            const bad = [
                Buffer.from([0xff]),
                Buffer.from([0xc3]),
                Buffer.from([0xe2, 0x82]),
                Buffer.from([0x80, 0x80]),
                Buffer.from([0xc0, 0xaf]),
                Buffer.from([0xed, 0xa0, 0x80]),
                Buffer.from("é"),
                Buffer.from("\u202e"),
                Buffer.from([0]),
                Buffer.from([0x1d]),
                Buffer.from("\t"),
                Buffer.from("\r"),
                Buffer.from([0x1b, 0x5b, 0x32, 0x4a]),
                Buffer.from([0x7f]),
            ];
            const b = Buffer.from(KERNEL_LINE);
            for (const x of bad) {
                // at every position of the line
                for (let i = 0; i <= b.length; i += 3) {
                    const buf = Buffer.concat([
                        b.subarray(0, i),
                        x,
                        b.subarray(i),
                        Buffer.from("\n"),
                    ]);
                    same(buf, {}, `${x.toString("hex")} at ${i}`);
                }
            }
        });

        it("random mutations of fixture and generated lines", () => {
            const rand = rng(42);
            const pool = [
                ...generated(200, 3, false),
                ...generated(200, 6, true),
                ...LIBAPPARMOR_SAMPLES.map((s) => s.line),
            ];
            const alphabet = Buffer.from(" =\"'\t\r\x00\x1d{}[]():.-_aAzZ09\\x\xff", "latin1");
            const lines: Buffer[] = [];
            for (let n = 0; n < 3000; n++) {
                const b = Buffer.from(pool[Math.floor(rand() * pool.length)]);
                const edits = 1 + Math.floor(rand() * 4);
                for (let e = 0; e < edits; e++) {
                    b[Math.floor(rand() * b.length)] =
                        alphabet[Math.floor(rand() * alphabet.length)];
                }
                lines.push(b);
            }
            for (let i = 0; i < lines.length; i += 100) {
                const chunk = Buffer.concat(
                    lines.slice(i, i + 100).flatMap((l) => [l, Buffer.from("\n")]),
                );
                same(chunk, { malformedSamples: 100 }, `mutations ${i}`);
                sameViews(chunk, {}, `mutations ${i}`);
            }
        });

        it("huge fields and lines; maxLineLength counts characters as the string API does", () => {
            const huge = "x".repeat(2_000_000);
            const line = KERNEL_LINE.replace('name="/tmp/a/x"', `name="/${huge}"`);
            same(Buffer.from(line), {}, "2 MB name");
            same(Buffer.from(line), { maxLineLength: 3_000_000 }, "2 MB name, limit 3 MB");
            // a line over the limit in bytes but not in characters (2-byte characters)
            const wide = KERNEL_LINE.replace('name="/tmp/a/x"', `name="/${"é".repeat(200)}"`);
            const max = wide.length + 10;
            assert.ok(Buffer.byteLength(wide) > max);
            assert.strictEqual(same(Buffer.from(wide), { maxLineLength: max }).length, 1);
            assert.strictEqual(same(Buffer.from(wide), { maxLineLength: 100 }).length, 0);
            // more pairs than the byte scanner writes for one event
            const many = Array.from({ length: 600 }, (_, i) => `k${i}=v${i}`).join(" ");
            const r = same(Buffer.from(`${KERNEL_LINE} ${many}\n${KERNEL_LINE}`));
            assert.strictEqual(Object.keys(r[0].extra ?? {}).length, 600);
        });

        it("lines across the scanner's 4 MiB windows, and a line longer than a window", () => {
            const lines = generated(2000, 8, false);
            const filler = "Nov 25 10:00:01 vmhost systemd[1]: " + "y".repeat(300);
            const parts: string[] = [];
            let size = 0;
            let i = 0;
            while (size < 9.5 * (1 << 20)) {
                const l = i % 3 === 0 ? lines[i % lines.length] : filler;
                parts.push(l);
                size += l.length + 1;
                i++;
            }
            parts.splice(
                parts.length >> 1,
                0,
                KERNEL_LINE.replace("/tmp/a/x", "z".repeat(5 << 20)),
            );
            const bytes = Buffer.from(parts.join("\n"));
            const events = same(bytes, { maxLineLength: 8 << 20 }, "windows");
            assert.ok(events.length > 2000);
            assert.ok(events.some((e) => e.name?.length === 5 << 20));
        });

        it("many distinct values: the byte scanner's intern table is emptied between scans", () => {
            const lines: string[] = [];
            for (let i = 0; i < 40000; i++) {
                lines.push(
                    KERNEL_LINE.replace("/tmp/a/x", `/tmp/u${i}`)
                        .replace('comm="touch"', `comm="c${i % 5000}"`)
                        .replace("pid=1377", `pid=${i * 97}`),
                );
            }
            const bytes = Buffer.from(lines.join("\n"));
            const events = same(bytes, {}, "distinct values");
            assert.strictEqual(events.length, 40000);
            assert.strictEqual(events[39999].name, "/tmp/u39999");
            assert.strictEqual(events[39999].pid, 39999 * 97);
            sameViews(bytes, {}, "distinct values");
        });

        it("stamps of every shape: the kernel's SSSSSSSSSS.FFF and any other, digit by digit", () => {
            const stamp = "1795600812.345:40";
            const stamps = [
                stamp,
                "0000000000.000:0",
                "9999999999.999:99999999999999999999",
                "1795600812.3456:40",
                "1795600812.34:40",
                "1795600812.:40",
                "1795600812:40",
                "179560081.345:40",
                "17956008123.345:40",
                "1795600812.123456789123:40",
                "123456789012345678901234567890.5:1",
                "9007199254740993.5:9007199254740993",
                "1795600812.345x:40",
                "1795600812.345:",
                "1795600812,345:40",
                ":40",
                "",
            ];
            // every byte of the stamp replaced by each of these (a digit, a separator, a letter…)
            for (let k = 0; k < stamp.length; k++) {
                for (const c of ["0", "9", ".", ":", ")", "(", " ", "a", "/"]) {
                    stamps.push(stamp.slice(0, k) + c + stamp.slice(k + 1));
                }
            }
            const lines = stamps.map((st) =>
                KERNEL_LINE.replace(`audit(${stamp})`, `audit(${st})`),
            );
            const bytes = Buffer.from(lines.join("\n"));
            same(bytes, {}, "stamps");
            sameViews(bytes, {}, "stamps");
        });

        it("the words the byte scanner compares (header, stamp, marker, event), one byte off", () => {
            const body = KERNEL_LINE.slice(KERNEL_LINE.indexOf("apparmor="));
            const stamp = "audit(1795600812.345:40):";
            const lines = [
                `[   12.345678] audit: type=1400 ${stamp} ${body}`,
                `type=AVC msg=${stamp} ${body}`,
                `type=APPARMOR_DENIED msg=${stamp} ${body.replace('apparmor="DENIED" ', "")}`,
                `type=UNKNOWN[1503] msg=${stamp} ${body.replace('apparmor="DENIED" ', "")}`,
                `type=1503 ${stamp} ${body.replace('apparmor="DENIED" ', "")}`,
                ...["ALLOWED", "AUDIT", "STATUS", "HINT", "ERROR"].map((t) =>
                    KERNEL_LINE.replace('"DENIED"', `"${t}"`),
                ),
            ];
            const variants: string[] = [];
            for (const line of lines) {
                // every byte up to the end of the event word, replaced by a letter and by a digit
                const end = line.indexOf('"', line.indexOf('apparmor="') + 10) + 1 || 60;
                for (let k = 0; k < end; k++) {
                    for (const c of ["X", "0"])
                        variants.push(line.slice(0, k) + c + line.slice(k + 1));
                }
                variants.push(line);
            }
            const bytes = Buffer.from(variants.join("\n"));
            same(bytes, {}, "words one byte off");
            sameViews(bytes, {}, "words one byte off");
        });

        it("keys one byte off every known key, and values of every length one byte apart", () => {
            const lines: string[] = [];
            for (const [key] of byteScannerCodes().keys) {
                const variants = [key, `${key}x`, key.slice(0, -1), `x${key}`, `${key}${key}`];
                for (let k = 0; k < key.length; k++) {
                    variants.push(`${key.slice(0, k)}_${key.slice(k + 1)}`);
                }
                for (const v of variants) lines.push(`${KERNEL_LINE} ${v}=1 ${v}="q"`);
            }
            // interned values that differ in one byte only (first, last or any other)
            for (let n = 0; n <= 70; n++) {
                for (let k = 0; k <= n; k++) {
                    const v = `${"a".repeat(k)}b${"a".repeat(n - k)}`.slice(0, n);
                    lines.push(KERNEL_LINE.replace('"mknod"', `"${v}"`).replace('"touch"', v));
                    lines.push(KERNEL_LINE.replace('"mknod"', `"${"a".repeat(n)}"`));
                }
            }
            const bytes = Buffer.from(lines.join("\n"));
            same(bytes, {}, "keys and values");
            sameViews(bytes, {}, "keys and values");
        });

        it("empty input, newlines only, a marker alone", () => {
            for (const s of [
                "",
                "\n",
                "\n\n\n",
                "apparmor=",
                "apparmor=\n",
                "type=1503",
                '{"MESSAGE":[1]}',
            ]) {
                same(Buffer.from(s), {}, JSON.stringify(s));
            }
        });
    });
});
