/**
 * The on-demand view (`scanAuditEvents`, `AuditEventView`): every getter equals the same field of
 * the record `parseAuditLog` returns, on every fixture line, on generated lines of every form, and
 * on hostile input; the view-based aggregation equals the record-based one.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    AUDIT_RECORD_FIELDS,
    AuditAggregator,
    AuditEventView,
    AuditLogParser,
    AuditRecord,
    emptySummary,
    mergeAuditLog,
    mergeEvents,
    parseAuditLog,
    scanAuditEvents,
    summarize,
} from "../../../src/log";
import { appArmorLine, mixedLog, rng } from "../../../bench/log-bench.lib";

const FIXTURES = path.join(__dirname, "../../fixtures/logs");
const OPTIONS = { syslogYear: 2026 };

/**
 * Scans `text` with views and checks every getter against the record of the same event, in two
 * orders (getters first, then `toRecord`; and `toRecord` first), and the statistics.
 */
function checkText(text: string, label: string): number {
    const expected = parseAuditLog(text, OPTIONS);
    let n = 0;
    const stats = scanAuditEvents(
        text,
        (ev: AuditEventView) => {
            const r = expected.events[n++];
            const where = `${label}: event ${n}: ${ev.line}`;
            for (const f of AUDIT_RECORD_FIELDS) {
                const v = ev[f as keyof AuditEventView];
                assert.deepStrictEqual(v, r[f], `${where}: ${f}`);
                if (typeof v === "number") assert.ok(Object.is(v, r[f]), `${where}: ${f} (-0)`);
            }
            assert.strictEqual(ev.profileOrLabel, r.profile ?? r.label, where);
            assert.strictEqual(ev.isStatus, r.type === "STATUS", where);
            // key order too (the JSON output depends on it)
            assert.strictEqual(JSON.stringify(ev.toRecord()), JSON.stringify(r), where);
        },
        OPTIONS,
    );
    assert.strictEqual(n, expected.events.length, label);
    const { events: _events, ...expectedStats } = expected;
    void _events;
    assert.deepStrictEqual(stats, expectedStats, label);
    // toRecord before any getter
    n = 0;
    scanAuditEvents(
        text,
        (ev) => assert.deepStrictEqual(ev.toRecord(), expected.events[n++], label),
        OPTIONS,
    );
    return n;
}

describe("scanAuditEvents: views equal records", () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".log"));

    for (const f of files) {
        it(`every event of ${f}, getter by getter`, () => {
            const text = fs.readFileSync(path.join(FIXTURES, f), "utf8");
            assert.ok(checkText(text, f) > 0 || f.includes("malformed"));
            checkText(text.replace(/\n/g, "\r\n"), `${f} (CRLF)`);
        });
    }

    it("every generated benchmark line (libapparmor forms), getter by getter", () => {
        const rand = rng(1);
        const lines: string[] = [];
        for (let i = 0; i < 20000; i++)
            lines.push(appArmorLine(rand, i, { libapparmorForms: true }));
        assert.strictEqual(checkText(`${lines.join("\n")}\n`, "bench lines"), 20000);
    });

    it("every generated line of every form, with class= (kernel ≥ 6.2), getter by getter", () => {
        const rand = rng(2);
        const lines: string[] = [];
        for (let i = 0; i < 5000; i++) lines.push(appArmorLine(rand, i, { withClass: true }));
        for (let i = 0; i < 5000; i++) lines.push(appArmorLine(rand, i));
        assert.strictEqual(checkText(lines.join("\n"), "all forms"), 10000);
    });

    it("a mixed kernel log (1 line in 100 is AppArmor's)", () => {
        const mixed = mixedLog(300000, 100, 3);
        assert.strictEqual(checkText(mixed.text, "mixed"), mixed.appArmor);
    });

    it("keys the scanner only guessed are compared when read", () => {
        const K = "[ 1.000000] audit: type=1400 audit(1700000000.123:456): ";
        for (const body of [
            // same length and first two characters as known keys, but unknown
            'apparmor="DENIED" operation="open" pix=12 nama="/x" profilz="p" comn="c"',
            'apparmor="DENIED" operatiox="open" operation="open" name="/x"',
            'apparmor="DENIED" operation="open" operatiox="read" name="/x"',
            // an earlier valid value wins over a later invalid one, an unknown key in between
            'apparmor="DENIED" operation="open" pid=5 pix=7 pid=abc fsuid=0x1F ouid= capability=1e3',
            'apparmor="DENIED" operation="open" protocol=tcp protocol=constructor protocoll=6',
            // bare words before keys, hidden keys, separators
            'AVC apparmor="DENIED" operation="open" x profile="p" ca  name="/y" re   mask="r"',
            'apparmor="DENIED" operation="open" name="/x" foo =bar peer=unconfined',
            'apparmor="DENIED" operation="dbus_method_call" member="M" method="N" mask="send"',
            'apparmor="DENIED" operation="open" name=2F746D702F6120622F78 comm=41 profile=4142',
            'apparmor="DENIED" operation="open" name="/x"\tpid=1\tcomm="a b"',
            'apparmor="DENIED" operation="open" name="/x" __proto__=1 constructor=2 =3',
        ]) {
            checkText(`${K}${body}\n`, body);
        }
        // USER_AVC: the inner message replaces the outer keys
        checkText(
            'type=USER_AVC msg=audit(1.5:7): pid=1 uid=0 auid=4294967295 ses=4294967295 msg=\'apparmor="DENIED" operation="dbus_method_call" bus="system" path="/x" interface="i" member="m" mask="send" name="n" pid=812 label="l" peer_pid=9 peer_label="unconfined" exe="/usr/bin/dbus-daemon" sauid=102 hostname=? addr=? terminal=?\'\n',
            "USER_AVC",
        );
    });

    it("never throws on hostile input, and agrees with the records on it", () => {
        let seed = 7;
        const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
        const base =
            '[ 1.000000] audit: type=1400 audit(1700000000.123:456): apparmor="DENIED" operation="open" profile="p" name="/x" pid=1 comm="c" requested_mask="r" denied_mask="r" fsuid=0 ouid=0';
        const tokens = [
            "apparmor=",
            "msg='",
            "'",
            '"',
            "=",
            " ",
            "\t",
            "\r",
            "\x1d",
            "pid=x",
            "AVC ",
            "audit(",
            "type=1503",
            "name=2F7",
            "operation",
            "{",
            "\n",
        ];
        for (let i = 0; i < 3000; i++) {
            let s = base;
            for (let k = 0; k < 1 + Math.floor(rand() * 5); k++) {
                const at = Math.floor(rand() * (s.length + 1));
                const r = rand();
                if (r < 0.5)
                    s = s.slice(0, at) + tokens[Math.floor(rand() * tokens.length)] + s.slice(at);
                else if (r < 0.8) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
                else s = s.slice(0, at);
            }
            assert.doesNotThrow(() => checkText(`${s}\n${base}\n${s}`, JSON.stringify(s)));
        }
    });

    it("is() compares a field in place", () => {
        const text =
            '[ 1.000000] audit: type=1400 audit(1.5:6): apparmor="DENIED" operation="open" profile="p" name=2F61 comm="c"\n';
        let seen = 0;
        scanAuditEvents(text, (ev) => {
            seen++;
            assert.ok(ev.is("operation", "open"));
            assert.ok(!ev.is("operation", "ope"));
            assert.ok(ev.is("profile", "p"));
            assert.ok(ev.is("name", "/a")); // hex-decoded like the getter
            assert.ok(!ev.is("peer", "p")); // absent
        });
        assert.strictEqual(seen, 1);
    });

    it("AuditLogParser.pushEvents / endEvents hand out the same events as push / end", () => {
        const text = fs.readFileSync(path.join(FIXTURES, "kernel-dmesg.log"), "utf8");
        const records: AuditRecord[] = [];
        const p = new AuditLogParser(OPTIONS);
        for (let i = 0; i < text.length; i += 333) {
            p.pushEvents(text.slice(i, i + 333), (ev) => records.push(ev.toRecord()));
        }
        p.endEvents((ev) => records.push(ev.toRecord()));
        assert.deepStrictEqual(records, parseAuditLog(text, OPTIONS).events);
    });
});

describe("aggregation through views", () => {
    const rand = rng(5);
    const lines: string[] = [];
    for (let i = 0; i < 20000; i++) lines.push(appArmorLine(rand, i));
    const text = `${lines.join("\n")}\n`;
    const options = {
        loads: [
            { profile: "nginx-app", version: "v1", at: 1764064800 + 60 },
            { profile: "vmtest", version: "v2", at: 1764064800 + 150 },
        ],
        limits: { maxEntries: 12, maxOperations: 6, maxSamples: 2 },
    };

    it("mergeAuditLog gives the summary mergeEvents gives on the records", () => {
        const records = parseAuditLog(text, OPTIONS);
        const expected = summarize(records.events, { ...options, malformed: records.malformed });
        const { summary, stats } = mergeAuditLog(emptySummary(), text, options, OPTIONS);
        assert.strictEqual(JSON.stringify(summary), JSON.stringify(expected));
        assert.strictEqual(stats.records, records.records);
    });

    it("merges incrementally like the record path", () => {
        const half = text.indexOf("\n", text.length >> 1) + 1;
        const a = mergeAuditLog(emptySummary(), text.slice(0, half), options, OPTIONS).summary;
        const b = mergeAuditLog(a, text.slice(half), options, OPTIONS).summary;
        const recs = (t: string) => parseAuditLog(t, OPTIONS).events;
        const ra = summarize(recs(text.slice(0, half)), options);
        const rb = mergeEvents(ra, recs(text.slice(half)), options);
        assert.strictEqual(JSON.stringify(b), JSON.stringify(rb));
    });

    it("AuditAggregator takes records and views alike", () => {
        const viaViews = new AuditAggregator(emptySummary(), options);
        scanAuditEvents(text, (ev) => viaViews.add(ev), OPTIONS);
        const viaRecords = new AuditAggregator(emptySummary(), options);
        for (const r of parseAuditLog(text, OPTIONS).events) viaRecords.add(r);
        assert.strictEqual(JSON.stringify(viaViews.finish()), JSON.stringify(viaRecords.finish()));
        assert.throws(() => viaViews.finish());
    });
});
