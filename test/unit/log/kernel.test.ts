/**
 * kernelAuditType: which lines are AppArmor records the kernel wrote (AVC / APPARMOR_*), in every
 * text form the denials host script returns, and never a user audit message (USER_AVC 1107, what
 * any process with CAP_AUDIT_WRITE can send with any text) nor text made to look like one.
 */
import * as assert from "assert";
import { isKernelAppArmorType, kernelAuditType } from "../../../src/log";

const BODY =
    'apparmor="DENIED" operation="open" profile="p" name="/etc/shadow" pid=1 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0';
const STAMP = "audit(1700000000.123:456): ";

describe("kernelAuditType", () => {
    const accepted: [string, string, number][] = [
        ["kernel form", `audit: type=1400 ${STAMP}${BODY}`, 1400],
        ["without 'audit: '", `type=1400 ${STAMP}${BODY}`, 1400],
        ["legacy APPARMOR_DENIED number", `audit: type=1503 ${STAMP}${BODY}`, 1503],
        ["APPARMOR_KILL number", `audit: type=1507 ${STAMP}${BODY}`, 1507],
        ["dmesg", `[ 1234.567890] audit: type=1400 ${STAMP}${BODY}`, 1400],
        [
            "syslog BSD",
            `Nov 25 10:00:00 host kernel: [ 1234.567890] audit: type=1400 ${STAMP}${BODY}`,
            1400,
        ],
        [
            "syslog BSD, day < 10",
            `Nov  5 10:00:00 host kernel: audit: type=1400 ${STAMP}${BODY}`,
            1400,
        ],
        [
            "syslog ISO",
            `2026-11-25T10:00:00.123456+00:00 host kernel: audit: type=1400 ${STAMP}${BODY}`,
            1400,
        ],
        ["auditd AVC", `type=AVC msg=${STAMP}${BODY}`, 1400],
        ["auditd node=", `node=web1 type=AVC msg=${STAMP}${BODY}`, 1400],
        ["auditd legacy name", `type=APPARMOR_DENIED msg=${STAMP}${BODY}`, 1503],
        ["auditd STATUS name", `type=APPARMOR_STATUS msg=${STAMP}${BODY}`, 1505],
        ["auditd unknown number", `type=UNKNOWN[1503] msg=${STAMP}${BODY}`, 1503],
        ["auditd number", `type=1400 msg=${STAMP}${BODY}`, 1400],
        [
            "auditd enriched fields",
            `type=AVC msg=${STAMP}${BODY}\x1dFSUID="root" OUID="rööt"`,
            1400,
        ],
        [
            "a user type later in the line is text",
            `audit: type=1400 ${STAMP}${BODY} type=1107`,
            1400,
        ],
    ];
    for (const [title, line, type] of accepted) {
        it(`takes ${title}`, () => assert.strictEqual(kernelAuditType(line), type));
    }

    const USER = `pid=1 uid=65534 auid=0 ses=1 subj=unconfined msg='${BODY}'`;
    const refused: [string, string][] = [
        ["kernel USER_AVC", `audit: type=1107 ${STAMP}${USER}`],
        ["syslog USER_AVC", `Nov 25 10:00:00 host kernel: [ 1.0] audit: type=1107 ${STAMP}${USER}`],
        ["auditd USER_AVC", `type=USER_AVC msg=${STAMP}${USER}`],
        ["auditd 1107", `type=1107 msg=${STAMP}${USER}`],
        ["auditd UNKNOWN[1107]", `type=UNKNOWN[1107] msg=${STAMP}${USER}`],
        ["auditd SYSCALL (another kernel type)", `type=SYSCALL msg=${STAMP}arch=c000003e`],
        ["type 1500 (not AppArmor's)", `audit: type=1500 ${STAMP}${BODY}`],
        ["type 1508", `audit: type=1508 ${STAMP}${BODY}`],
        ["type 14000", `audit: type=14000 ${STAMP}${BODY}`],
        ["journal audit transport text (no type number)", `audit[886]: AVC ${BODY}`],
        ["dbus-daemon's own line", `dbus-daemon[812]: ${BODY}`],
        ["kernel form after other text", `x audit: type=1400 ${STAMP}${BODY}`],
        ["auditd form after other text", `x type=AVC msg=${STAMP}${BODY}`],
        ["indented (a dmesg continuation line)", `               audit: type=1400 ${STAMP}${BODY}`],
        [
            "kernel form inside a user record",
            `audit: type=1107 ${STAMP}msg='audit: type=1400 ${STAMP}${BODY}'`,
        ],
        ["no audit() stamp", `audit: type=1400 ${BODY}`],
        ["newline", `audit: type=1400 ${STAMP}${BODY}\naudit: type=1400 ${STAMP}${BODY}`],
        ["CR", `audit: type=1400 ${STAMP}${BODY}\r`],
        ["NUL", `audit: type=1400 ${STAMP}${BODY}\0`],
        ["ESC", `audit: type=1400 ${STAMP}apparmor="DENIED" \x1b[2J`],
        ["bidi control", `audit: type=1400 ${STAMP}${BODY} \u202e`],
        ["non-ASCII (the kernel hex-encodes it)", `audit: type=1400 ${STAMP}${BODY} é`],
        ["C1 control in auditd's enriched part", `type=AVC msg=${STAMP}${BODY}\x1dUID="\x9b"`],
        ["newline in auditd's enriched part", `type=AVC msg=${STAMP}${BODY}\x1dUID="a\nb"`],
        ["0x1d in a kernel form", `audit: type=1400 ${STAMP}${BODY}\x1dUID="root"`],
        ["empty", ""],
    ];
    for (const [title, line] of refused) {
        it(`refuses ${title}`, () => assert.strictEqual(kernelAuditType(line), undefined));
    }

    it("isKernelAppArmorType: AVC and 1501-1507 only", () => {
        const yes = [];
        for (let t = 1000; t < 3000; t++) if (isKernelAppArmorType(t)) yes.push(t);
        assert.deepStrictEqual(yes, [1400, 1501, 1502, 1503, 1504, 1505, 1506, 1507]);
    });
});
