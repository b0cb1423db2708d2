import * as assert from "assert";
import {
    AuditLogParser,
    AuditRecord,
    decodeHex,
    parseAuditLine,
    parseAuditLines,
    parseAuditLog,
    scanAuditLog,
} from "../../../src/log";

function one(line: string): AuditRecord {
    const r = parseAuditLine(line, { syslogYear: 2026 });
    assert.strictEqual(r.kind, "record", `${line}\n→ ${JSON.stringify(r)}`);
    return (r as { record: AuditRecord }).record;
}

const K = "[ 1234.567890] audit: type=1400 audit(1700000000.123:456): ";

describe("parseAuditLine: every field", () => {
    // [field, line, expected value]
    const table: [keyof AuditRecord, string, unknown][] = [
        ["type", `${K}apparmor="DENIED" operation="open" profile="p" name="/x"`, "DENIED"],
        ["type", `${K}apparmor="ALLOWED" operation="open" profile="p" name="/x"`, "ALLOWED"],
        ["type", `${K}apparmor="AUDIT" operation="open" profile="p" name="/x"`, "AUDIT"],
        [
            "type",
            `${K}apparmor="STATUS" operation="profile_load" profile="unconfined" name="p"`,
            "STATUS",
        ],
        ["type", `${K}apparmor="HINT" operation="change_hat" info="x" error=-1`, "HINT"],
        ["type", `${K}apparmor="ERROR" operation="profile_load" info="x" error=-22`, "ERROR"],
        [
            "type",
            `type=APPARMOR_DENIED msg=audit(1.5:2): operation="open" name="/x" profile="p"`,
            "DENIED",
        ],
        [
            "type",
            `type=APPARMOR_ALLOWED msg=audit(1.5:2): operation="open" name="/x" profile="p"`,
            "ALLOWED",
        ],
        [
            "type",
            `type=APPARMOR_STATUS msg=audit(1.5:2): operation="profile_load" name="p"`,
            "STATUS",
        ],
        [
            "type",
            `type=APPARMOR_AUDIT msg=audit(1.5:2): operation="open" name="/x" profile="p"`,
            "AUDIT",
        ],
        [
            "type",
            `type=APPARMOR_HINT msg=audit(1.5:2): operation="ptrace" task=1 pid=2 profile="p"`,
            "HINT",
        ],
        [
            "type",
            `type=APPARMOR_ERROR msg=audit(1.5:2): operation="profile_load" info="x"`,
            "ERROR",
        ],
        ["type", `type=1503 audit(1.5:2): operation="open" name="/x" profile="p"`, "DENIED"],
        ["type", `audit(1.5:2): type=1502 operation="open" name="/x" profile="p"`, "ALLOWED"],
        [
            "type",
            `type=UNKNOWN[1505] msg=audit(1.5:2): operation="profile_replace" name="p"`,
            "STATUS",
        ],
        ["operation", `${K}apparmor="DENIED" operation="mknod" profile="p"`, "mknod"],
        [
            "profile",
            `${K}apparmor="DENIED" operation="open" profile="docker-default"`,
            "docker-default",
        ],
        [
            "profile",
            `${K}apparmor="DENIED" operation="open" profile=7769746820737061636520C3A9`,
            "with space é",
        ],
        ["label", `${K}apparmor="DENIED" operation="open" label="p//&q"`, "p//&q"],
        ["name", `${K}apparmor="DENIED" operation="open" profile="p" name="/tmp/a/x"`, "/tmp/a/x"],
        [
            "name",
            `${K}apparmor="DENIED" operation="open" profile="p" name=2F746D702F6120622F78`,
            "/tmp/a b/x",
        ],
        ["name2", `${K}apparmor="DENIED" operation="link" profile="p" name="/a" target="/b"`, "/b"],
        [
            "name2",
            `${K}apparmor="DENIED" operation="rename_dest" profile="p" name="/a" name2="/c"`,
            "/c",
        ],
        [
            "name2",
            `${K}apparmor="DENIED" operation="link" profile="p" name="/a" target=2F6220632F64`,
            "/b c/d",
        ],
        ["requestedMask", `${K}apparmor="DENIED" operation="open" requested_mask="rw"`, "rw"],
        [
            "requestedMask",
            `type=APPARMOR_DENIED msg=audit(1.5:2): operation="open" requested="r"`,
            "r",
        ],
        ["deniedMask", `${K}apparmor="DENIED" operation="open" denied_mask="w"`, "w"],
        [
            "deniedMask",
            `Nov 25 10:00:00 h dbus-daemon[9]: apparmor="DENIED" operation="dbus_bind" mask="bind"`,
            "bind",
        ],
        ["pid", `${K}apparmor="DENIED" operation="open" pid=1377`, 1377],
        ["comm", `${K}apparmor="DENIED" operation="open" comm="touch"`, "touch"],
        ["comm", `${K}apparmor="DENIED" operation="open" comm=6D7920636F6D6D`, "my comm"],
        ["fsuid", `${K}apparmor="DENIED" operation="open" fsuid=1000`, 1000],
        ["ouid", `${K}apparmor="DENIED" operation="open" ouid=0`, 0],
        [
            "capability",
            `${K}apparmor="DENIED" operation="capable" capability=12  capname="net_admin"`,
            12,
        ],
        [
            "capname",
            `${K}apparmor="DENIED" operation="capable" capability=12  capname="net_admin"`,
            "net_admin",
        ],
        ["family", `${K}apparmor="DENIED" operation="create" family="inet6"`, "inet6"],
        ["sockType", `${K}apparmor="DENIED" operation="create" sock_type="dgram"`, "dgram"],
        ["protocol", `${K}apparmor="DENIED" operation="create" protocol=17`, 17],
        [
            "protocol",
            `Jul 31 17:10:35 h dbus[1]: apparmor="DENIED" operation="create" protocol="tcp"`,
            6,
        ],
        [
            "signal",
            `${K}apparmor="DENIED" operation="signal" signal=term peer="unconfined"`,
            "term",
        ],
        ["peer", `${K}apparmor="DENIED" operation="ptrace" peer="unconfined"`, "unconfined"],
        ["peer", `${K}apparmor="DENIED" operation="ptrace" peer=612062`, "a b"],
        [
            "peerProfile",
            `${K}apparmor="DENIED" operation="dbus_method_call" peer_label="unconfined"`,
            "unconfined",
        ],
        ["peerProfile", `${K}apparmor="DENIED" operation="dbus_method_call" peer_profile="x"`, "x"],
        ["bus", `${K}apparmor="DENIED" operation="dbus_method_call" bus="system"`, "system"],
        ["path", `${K}apparmor="DENIED" operation="dbus_method_call" path="/org/x"`, "/org/x"],
        [
            "interface",
            `${K}apparmor="DENIED" operation="dbus_method_call" interface="org.x.Y"`,
            "org.x.Y",
        ],
        ["member", `${K}apparmor="DENIED" operation="dbus_method_call" member="Hello"`, "Hello"],
        ["member", `${K}apparmor="DENIED" operation="dbus_method_call" method="Hello"`, "Hello"],
        ["fstype", `${K}apparmor="DENIED" operation="mount" fstype="tmpfs"`, "tmpfs"],
        ["flags", `${K}apparmor="DENIED" operation="mount" flags="rw, nosuid"`, "rw, nosuid"],
        ["srcname", `${K}apparmor="DENIED" operation="mount" srcname="/dev/vda1"`, "/dev/vda1"],
        [
            "info",
            `${K}apparmor="STATUS" operation="profile_replace" info="same as current profile, skipping"`,
            "same as current profile, skipping",
        ],
        ["error", `${K}apparmor="DENIED" operation="mount" error=-13`, -13],
        ["timestamp", `${K}apparmor="DENIED" operation="open"`, 1700000000.123],
        [
            "timestamp",
            `type=AVC msg=audit(1279948288.415:39): apparmor="DENIED" operation="open"`,
            1279948288.415,
        ],
        [
            "timestamp",
            `[ 1.5] audit: type=1400 audit(1700000000.5:7): apparmor="DENIED" operation="open"`,
            1700000000.5,
        ],
        [
            "timestamp",
            `Nov 25 10:00:12 h audit[1]: AVC apparmor="DENIED" operation="open"`,
            1795600812,
        ],
        [
            "timestamp",
            `2026-11-25T10:00:13+0000 h audit[1]: AVC apparmor="DENIED" operation="open"`,
            1795600813,
        ],
        [
            "timestamp",
            `2026-11-25T10:00:13.250+01:00 h audit[1]: AVC apparmor="DENIED" operation="open"`,
            1795597213.25,
        ],
        [
            "timestamp",
            `1795600814.250000 h audit[1]: AVC apparmor="DENIED" operation="open"`,
            1795600814.25,
        ],
        ["serial", `${K}apparmor="DENIED" operation="open"`, 456],
        [
            "namespace",
            `${K}apparmor="STATUS" operation="profile_load" namespace="root//ns" name="p"`,
            "root//ns",
        ],
        [
            "extra",
            `${K}apparmor="DENIED" operation="open" class="file" parent=12 peer_pid=3 laddr=10.0.0.1`,
            { class: "file", parent: "12", peer_pid: "3", laddr: "10.0.0.1" },
        ],
        [
            "extra",
            `${K}apparmor="DENIED" operation="connect" addr=none peer_addr=2F746D702F7820792E736F636B`,
            { addr: "none", peer_addr: "/tmp/x y.sock" },
        ],
    ];
    for (const [field, line, want] of table) {
        it(`${field} = ${JSON.stringify(want)} from ${line.slice(0, 90)}`, () => {
            assert.deepStrictEqual(one(line)[field], want);
        });
    }

    it("covers every documented field", () => {
        const documented =
            "type operation profile label name name2 requestedMask deniedMask pid comm fsuid ouid capability capname family sockType protocol signal peer peerProfile bus path interface member fstype flags srcname info error timestamp serial namespace extra".split(
                " ",
            );
        const covered = new Set(table.map((t) => t[0]));
        assert.deepStrictEqual(
            documented.filter((f) => !covered.has(f as keyof AuditRecord)),
            [],
        );
    });
});

describe("parseAuditLine: forms", () => {
    it("reads a kernel 6.1 capability line (double space before capname) completely", () => {
        assert.deepStrictEqual(
            one(
                `${K}apparmor="DENIED" operation="capable" profile="docker-default" pid=1380 comm="chmod" capability=4  capname="fsetid"`,
            ),
            {
                type: "DENIED",
                timestamp: 1700000000.123,
                serial: 456,
                operation: "capable",
                profile: "docker-default",
                pid: 1380,
                comm: "chmod",
                capability: 4,
                capname: "fsetid",
            },
        );
    });

    it("reads USER_AVC (dbus-daemon via auditd): the inner message, not the mediator's pid", () => {
        const r = one(
            `type=USER_AVC msg=audit(1375323488.608:182): pid=363 uid=102 auid=4294967295 ses=4294967295  msg='apparmor="DENIED" operation="dbus_signal"  bus="system" path="/org/x" interface="org.x" member="Signal" mask="receive" pid=2859 label="/tmp/d" peer_pid=2875 peer_label="unconfined" exe="/usr/bin/dbus-daemon" sauid=102 hostname=? addr=? terminal=?'`,
        );
        assert.strictEqual(r.pid, 2859);
        assert.strictEqual(r.label, "/tmp/d");
        assert.strictEqual(r.deniedMask, "receive");
        assert.strictEqual(r.extra?.uid, undefined);
        assert.strictEqual(r.extra?.exe, "/usr/bin/dbus-daemon");
    });

    it("reads auditd's enriched fields after 0x1d", () => {
        const r = one(
            `type=AVC msg=audit(1.5:2): apparmor="DENIED" operation="open" profile="p" fsuid=0 ouid=0\x1dFSUID="root" OUID="root"`,
        );
        assert.strictEqual(r.ouid, 0);
        assert.deepStrictEqual(r.extra, { FSUID: "root", OUID: "root" });
    });

    it("reads journalctl -o json (MESSAGE, string or bytes; audit transport fields)", () => {
        const r = one(
            JSON.stringify({
                __CURSOR: "c1",
                _SOURCE_REALTIME_TIMESTAMP: "1795600813000000",
                _AUDIT_ID: "41",
                MESSAGE:
                    'AVC apparmor="DENIED" operation="capable" profile="p" pid=1 comm="c" capability=4  capname="fsetid"',
            }),
        );
        assert.strictEqual(r.timestamp, 1795600813);
        assert.strictEqual(r.serial, 41);
        const bytes = [
            ...Buffer.from(
                'audit: type=1400 audit(5.5:6): apparmor="DENIED" operation="open" name="/x"',
            ),
        ];
        const b = parseAuditLog(`${JSON.stringify({ __CURSOR: "c2", MESSAGE: bytes })}\n`);
        assert.strictEqual(b.events.length, 1);
        assert.strictEqual(b.events[0].name, "/x");
        assert.strictEqual(b.journalCursor, "c2");
    });

    it("decodes hex as UTF-8 bytes", () => {
        assert.strictEqual(decodeHex("2F746D702FC3A974C3A9"), "/tmp/été");
        assert.strictEqual(decodeHex("2F782079"), "/x y");
    });

    it("keeps a quoted value that merely looks like hex", () => {
        assert.strictEqual(one(`${K}apparmor="DENIED" operation="open" name="ABCD"`).name, "ABCD");
    });
});

describe("parseAuditLine: garbage", () => {
    it("skips lines that are not AppArmor events", () => {
        for (const line of [
            "",
            "eth0: renamed from veth3c5a1f2",
            "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz apparmor=1 security=apparmor",
            'type=AVC msg=audit(1.2:3): avc:  denied  { read } for  pid=1 comm="x" scontext=a tcontext=b tclass=file',
        ]) {
            assert.strictEqual(parseAuditLine(line).kind, "skip", line);
        }
    });

    it("reports marked lines it cannot read as malformed", () => {
        for (const line of [
            `${K}apparmor="DENIED" operation="open" name="/unterminated`,
            `${K}apparmor="BOGUS" operation="open"`,
            `${K}apparmor="DENIED" profile="p"`,
            "@@@ type=APPARMOR_DENIED ))) audit(:):",
        ]) {
            assert.strictEqual(parseAuditLine(line).kind, "malformed", line);
        }
    });

    it("never throws and counts malformed lines, on random and mutated input", () => {
        let seed = 42;
        const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
        const base = `${K}apparmor="DENIED" operation="open" profile="p" name="/x" pid=1 comm="c" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`;
        const alphabet = `apparmor="=' ()\x1d:APPARMOR_type=150{}[]\\0123456789ABCDEF\n\r\t`;
        for (let i = 0; i < 3000; i++) {
            let s: string;
            if (i % 2 === 0) {
                s = "";
                const n = Math.floor(rand() * 200);
                for (let k = 0; k < n; k++) s += alphabet[Math.floor(rand() * alphabet.length)];
            } else {
                const a = [...base];
                for (let k = 0; k < 5; k++)
                    a[Math.floor(rand() * a.length)] =
                        alphabet[Math.floor(rand() * alphabet.length)];
                s = a.join("").slice(0, Math.floor(rand() * base.length) + 1);
            }
            assert.doesNotThrow(() => parseAuditLine(s));
            const res = parseAuditLog(`${s}\n${s}`);
            assert.ok(res.records + res.malformed <= 2 * (s.split("\n").length + 1));
        }
    });
});

describe("whole-text and streaming parsers", () => {
    const text = [
        "noise line 1",
        `${K}apparmor="DENIED" operation="open" profile="p" name="/a"`,
        "noise line 2 apparmor=0",
        `type=AVC msg=audit(2.5:3): apparmor="ALLOWED" operation="open" profile="p" name="/b"`,
        `${K}apparmor="DENIED" operation="open" name="/broken`,
        "last",
    ].join("\n");

    it("parseAuditLog returns events and statistics", () => {
        const r = parseAuditLog(text);
        assert.deepStrictEqual(
            r.events.map((e) => e.name),
            ["/a", "/b"],
        );
        assert.strictEqual(r.records, 2);
        assert.strictEqual(r.malformed, 1);
        assert.strictEqual(r.chars, text.length);
        assert.strictEqual(r.malformedSamples.length, 1);
    });

    it("scanAuditLog hands out the same events", () => {
        const got: AuditRecord[] = [];
        const stats = scanAuditLog(text, (e) => got.push(e));
        assert.deepStrictEqual(got, parseAuditLog(text).events);
        assert.strictEqual(stats.malformed, 1);
    });

    it("parseAuditLines and AuditLogParser agree with parseAuditLog", () => {
        assert.deepStrictEqual([...parseAuditLines(text.split("\n"))], parseAuditLog(text).events);
        const p = new AuditLogParser();
        const got = [...p.push(text.slice(0, 50)), ...p.push(text.slice(50)), ...p.end()];
        assert.deepStrictEqual(got, parseAuditLog(text).events);
    });

    it("stays linear on long texts without markers nearby (no quadratic searches)", () => {
        // 20000 AppArmor lines with no `audit(`, no `type=` and no 0x1d anywhere
        const line =
            'Nov 25 10:00:00 h dbus-daemon[9]: apparmor="DENIED" operation="dbus_bind" mask="bind" name="x"';
        const big = `${line}\n`.repeat(20000);
        const r = parseAuditLog(big);
        assert.strictEqual(r.records, 20000);
    });
});
