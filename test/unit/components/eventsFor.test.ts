/**
 * The provider's attribution of denials (eventsFor): only records read from a line the kernel wrote
 * count, so a USER_AVC that a process with CAP_AUDIT_WRITE forged never reaches a profile's state
 * (pure; the host side is proven in test/host/scripts-denials.test.ts).
 */
import * as assert from "assert";
import { eventsFor } from "../../../src/components/hostProfileProvider";
import type { LogRecord } from "../../../src/components/hostops";
import { parseAuditLine, type AuditRecord } from "../../../src/log";

const BODY =
    'apparmor="DENIED" operation="open" profile="web" name="/etc/shadow" pid=9 comm="cat" requested_mask="r" denied_mask="r"';

function rec(line: string): LogRecord {
    const r = parseAuditLine(line);
    assert.strictEqual(r.kind, "record", line);
    return { ...(r as { record: AuditRecord }).record, line };
}

describe("components: eventsFor counts kernel records only", () => {
    it("a kernel denial counts; USER_AVC forms claiming the same denial do not", () => {
        const records = [
            rec(`audit: type=1400 audit(1700000000.123:1): ${BODY}`),
            rec(`type=AVC msg=audit(1700000000.123:2): ${BODY}`),
            rec(`audit: type=1107 audit(1700000000.123:3): pid=1 uid=65534 msg='${BODY}'`),
            rec(`type=USER_AVC msg=audit(1700000000.123:4): pid=1 uid=65534 msg='${BODY}'`),
            rec(`dbus-daemon[812]: ${BODY}`),
        ];
        // every one of them parses as a DENIED record for "web"…
        assert.ok(records.every((r) => r.type === "DENIED" && r.profile === "web"));
        // …but only the kernel's are attributed
        assert.deepStrictEqual(
            eventsFor(records, "web").map((e) => [e.kind, e.target, e.time]),
            [
                ["DENIED", "/etc/shadow", 1700000000.123],
                ["DENIED", "/etc/shadow", 1700000000.123],
            ],
        );
    });
    it("targets are stored escaped (hex-decoded names may hold control characters)", () => {
        const name = Buffer.from("/tmp/x\n\x1b[2J\u202e").toString("hex").toUpperCase();
        const r = rec(
            `audit: type=1400 audit(1700000000.123:1): apparmor="DENIED" operation="open" profile="web" name=${name} pid=9 comm="cat" requested_mask="r" denied_mask="r"`,
        );
        assert.strictEqual(r.name, "/tmp/x\n\x1b[2J\u202e");
        assert.deepStrictEqual(
            eventsFor([r], "web").map((e) => e.target),
            ["/tmp/x\\n\\x1b[2J\\u{202E}"],
        );
    });
    it("a record without its line is not attributed", () => {
        const { line: _line, ...bare } = rec(`audit: type=1400 audit(1700000000.123:1): ${BODY}`);
        void _line;
        assert.deepStrictEqual(eventsFor([bare], "web"), []);
    });
});
