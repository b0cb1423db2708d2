/**
 * Which log lines are records the kernel wrote. Any process with CAP_AUDIT_WRITE (a docker container
 * has it by default) can send user audit messages (USER_AVC, type 1107) whose text says
 * `apparmor="DENIED" … profile="anything"`, and the kernel copies that text as is — newlines
 * included — into the audit stream and, when no audit daemon listens, into the kernel log. Only
 * the record TYPE, set by the kernel, tells them apart: AppArmor's kernel records are AVC (1400)
 * and AUDIT_APPARMOR_AUDIT … AUDIT_APPARMOR_KILL (1501–1507); user space can send neither.
 *
 * `kernelAuditType` reads that type where the writer of each log form puts it, anchored at the
 * start of the line (a type written later in the line is message text), and refuses lines with
 * characters the kernel never writes: its AppArmor records are printable ASCII, since it
 * hex-encodes every logged string holding a control character, a byte over 0x7e, a space or a `"`.
 * Pure.
 */

/** The audit record types AppArmor's kernel module writes: AVC and APPARMOR_AUDIT … APPARMOR_KILL. */
export const KERNEL_APPARMOR_TYPES: readonly number[] = [
    1400, 1501, 1502, 1503, 1504, 1505, 1506, 1507,
];

/** True for a kernel AppArmor audit record type (never for USER_AVC 1107 or other user types). */
export function isKernelAppArmorType(type: number): boolean {
    return type === 1400 || (type >= 1501 && type <= 1507);
}

/** auditd's names of those types (`audit_msg_type_to_name`), and its name for unknown types. */
const AUDITD_NAMES: Readonly<Record<string, number>> = {
    AVC: 1400,
    APPARMOR_AUDIT: 1501,
    APPARMOR_ALLOWED: 1502,
    APPARMOR_DENIED: 1503,
    APPARMOR_HINT: 1504,
    APPARMOR_STATUS: 1505,
    APPARMOR_ERROR: 1506,
    APPARMOR_KILL: 1507,
};

/** The kernel's own form after any prefix: `[audit: ]type=N audit(SECONDS[.FRACTION]:SERIAL): `. */
const KERNEL_FORM = /^(?:audit: )?type=(\d{1,5}) audit\(\d+(?:\.\d+)?:\d+\): /;
/** dmesg / `journalctl -k -o short-monotonic`: `[ 1234.567890] ` then the kernel form. */
const DMESG_STAMP = /^\[ *\d+\.\d+\] /;
/**
 * A syslog daemon's kern.log / `journalctl -k` short form: a BSD or ISO time, the host, `kernel:`,
 * then (when printk.time is on) the kernel's stamp.
 */
const SYSLOG_KERNEL =
    /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S+ kernel: (?:\[ *\d+\.\d+\] )?/;
/** auditd's log: `[node=NAME ]type=NAME msg=audit(…): ` (auditd writes one record per line). */
const AUDITD_FORM = /^(?:node=[^\s=]+ )?type=([A-Z_]+|\d{1,5}|UNKNOWN\[\d{1,5}\]) msg=audit\(/;

/** True when `s` holds a control character (C0, DEL, C1). */
function hasControl(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return true;
    }
    return false;
}

/** True when `s` is printable ASCII only (what the kernel's AppArmor records are). */
function printableAscii(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

/**
 * The audit record type of `line` when it is one AppArmor record written by the kernel, in one of
 * the text forms the `denials` host script returns: the kernel's (`audit: type=1400 audit(…): …`,
 * journald's kernel and audit transports as put back by the host module), dmesg's, a syslog
 * daemon's kern.log, or auditd's log (`type=AVC msg=audit(…): …`, legacy `type=APPARMOR_DENIED`,
 * `type=UNKNOWN[1503]`). Undefined for any other line: user audit messages (`type=1107`,
 * `type=USER_AVC`, a dbus-daemon's own log line), text with a type further on, control characters
 * (and, except in auditd's enriched fields after 0x1d, anything but printable ASCII).
 */
export function kernelAuditType(line: string): number | undefined {
    const a = AUDITD_FORM.exec(line);
    if (a) {
        const gs = line.indexOf("\x1d");
        if (!printableAscii(gs < 0 ? line : line.slice(0, gs))) return undefined;
        if (gs >= 0 && hasControl(line.slice(gs + 1))) return undefined;
        const name = a[1];
        let t: number;
        if (name.startsWith("UNKNOWN[")) t = Number(name.slice(8, -1));
        else if (/^\d/.test(name)) t = Number(name);
        else t = AUDITD_NAMES[name] ?? 0;
        return isKernelAppArmorType(t) ? t : undefined;
    }
    if (!printableAscii(line)) return undefined;
    let rest = line;
    const s = SYSLOG_KERNEL.exec(rest) ?? DMESG_STAMP.exec(rest);
    if (s) rest = rest.slice(s[0].length);
    const k = KERNEL_FORM.exec(rest);
    if (!k) return undefined;
    const t = Number(k[1]);
    return isKernelAppArmorType(t) ? t : undefined;
}
