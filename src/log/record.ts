/**
 * The structured form of one AppArmor audit event, as read from any of the log forms the parser knows
 * (kernel ring buffer, syslog/kern.log, auditd's audit.log, journald's kernel and audit transports,
 * `journalctl -o json`, user-space mediators such as dbus-daemon).
 *
 * Field names are the camelCase forms of the kernel's keys; every field except `type` is optional
 * because each operation logs a different subset.
 */

/** The kind of event, from `apparmor="…"` or the legacy `type=APPARMOR_…` / `type=150x` forms. */
export type AuditEventType = "DENIED" | "ALLOWED" | "AUDIT" | "STATUS" | "HINT" | "ERROR";

/** Every event kind, in a fixed order (for tables and counters). */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
    "DENIED",
    "ALLOWED",
    "AUDIT",
    "STATUS",
    "HINT",
    "ERROR",
];

export interface AuditRecord {
    /** Event kind. */
    type: AuditEventType;
    /**
     * `operation=` e.g. `open`, `mknod`, `capable`, `create`, `signal`, `ptrace`, `profile_replace`,
     * `uring_override`. Absent only on some STATUS events (`info="failed to unpack profile"`).
     */
    operation?: string;
    /** `profile=`: the confining profile (or the loader's label for STATUS events). */
    profile?: string;
    /** `label=`: used instead of `profile=` by some operations and by user-space mediators. */
    label?: string;
    /** `name=`: the object (path, capability name on old kernels, profile name for STATUS events). */
    name?: string;
    /** `name2=` or `target=`: link/rename target, exec transition target. */
    name2?: string;
    /** `requested_mask=` (or `requested=`). */
    requestedMask?: string;
    /** `denied_mask=` (or `denied=`, or `mask=` from user-space mediators). */
    deniedMask?: string;
    pid?: number;
    /**
     * `comm=`: the process's command name. User-space mediators (dbus-daemon, dbus-broker) log no
     * `comm=` but `exe=` (their own executable): then its value, as libapparmor reports it.
     */
    comm?: string;
    fsuid?: number;
    ouid?: number;
    /** Capability number (`capability=12`). */
    capability?: number;
    /** Capability name (`capname="net_admin"`). */
    capname?: string;
    /** Network family (`family="inet"`). */
    family?: string;
    /** Socket type (`sock_type="stream"`). */
    sockType?: string;
    /** IP protocol number (`protocol=6`; quoted names such as `"tcp"` are mapped to their number). */
    protocol?: number;
    /** The protocol's name (`tcp` for 6) when it has one, as libapparmor reports it. */
    protocolName?: string;
    /** Signal name (`signal=kill`). */
    signal?: string;
    /** `peer=`: the peer label for signal, ptrace and unix socket events. */
    peer?: string;
    /**
     * `peer_profile=` / `peer_label=`, and `tcontext=` (io_uring's `uring_override`: the label whose
     * credentials were to be used), as libapparmor reads them (its `peer_profile`).
     */
    peerProfile?: string;
    /** D-Bus fields from user-space mediators. */
    bus?: string;
    path?: string;
    interface?: string;
    member?: string;
    /** Mount fields. */
    fstype?: string;
    flags?: string;
    srcname?: string;
    /** Free-text reason (`info="same as current profile, skipping"`, `info="failed flags match"`). */
    info?: string;
    /** Errno as logged (`error=-13` → -13). */
    error?: number;
    /** Seconds since the epoch (with milliseconds) from `audit(SECONDS.MS:SERIAL)`, or from the log prefix. */
    timestamp?: number;
    /** Audit serial number from `audit(SECONDS.MS:SERIAL)` (or journald's `_AUDIT_ID`). */
    serial?: number;
    /** Policy namespace (`namespace="root//ns"`). */
    namespace?: string;
    /**
     * True when user space logged the event, not the kernel: a user audit message (USER_AVC, type
     * 1107: `… msg='apparmor="DENIED" …'`, which any process with CAP_AUDIT_WRITE can send with any
     * text) or a program's own log line (`dbus-daemon[812]: apparmor=…`, journald's syslog
     * transport). That is how dbus-daemon and dbus-broker report D-Bus mediation; the kernel's
     * AppArmor records never get it. Its absence proves nothing (a forged message's text can hold a
     * newline and then read as a kernel line): only `kernelAuditType` on the line tells a record
     * the kernel wrote (kernel.ts), and the host module keeps only those.
     */
    fromUserSpace?: true;
    /** Every other key of the line (`class`, `parent`, `peer_pid`, `laddr`, `exe`, …), values decoded. */
    extra?: Record<string, string>;
}

/**
 * Every field of `AuditRecord`, in the documented order (`extra` last): the key order of the CLI's
 * `--json` output, and the list the view tests check getter by getter.
 */
export const AUDIT_RECORD_FIELDS: readonly (keyof AuditRecord)[] = [
    "type",
    "operation",
    "profile",
    "label",
    "name",
    "name2",
    "requestedMask",
    "deniedMask",
    "pid",
    "comm",
    "fsuid",
    "ouid",
    "capability",
    "capname",
    "family",
    "sockType",
    "protocol",
    "protocolName",
    "signal",
    "peer",
    "peerProfile",
    "bus",
    "path",
    "interface",
    "member",
    "fstype",
    "flags",
    "srcname",
    "info",
    "error",
    "timestamp",
    "serial",
    "namespace",
    "fromUserSpace",
    "extra",
];

/** The profile a record is about: `profile=`, else `label=` (user-space mediators log `label=`). */
export function recordProfile(r: AuditRecord): string | undefined {
    return r.profile ?? r.label;
}
