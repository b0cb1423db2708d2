/**
 * What `apparmor_parser` refuses beyond the grammar, per rule kind: the words it knows (mount
 * options, profile flags), the combinations it rejects (network family and protocol, dbus message
 * and service conditions, unix access with a peer) and the value shapes it checks (rlimit units,
 * namespaced and stacked labels). Pure; used by `validate.ts`.
 *
 * The tables follow AppArmor 3.0's parser (mount.cc, dbus.cc, af_unix.cc, af_rule.cc, network.c,
 * parser_yacc.y, parser_misc.c); `test/unit/profile/validate.generated.test.ts` compiles every value
 * the validator accepts with the real parser. AppArmor 4's profile flags are accepted as well: a
 * host's parser checks them at preview (`Profile` compiles each new version on every host).
 */
import type { ValueProblem } from "./check";

/** A problem in one field of a rule (`field` relative to the rule, e.g. `access`, `peer.label`). */
export interface FieldProblem {
    readonly field: string;
    readonly message: string;
    readonly fix: string;
}

type Obj = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strs = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

// ---------------------------------------------------------------------------------------------------
// Mount options
// ---------------------------------------------------------------------------------------------------

/**
 * Mount flags `options=(…)` / `options in (…)` accept (mount.cc `mnt_opts_table`). Anything else,
 * including data options such as `mode=755`, makes apparmor_parser fail with "unsupported mount
 * options".
 */
export const MOUNT_OPTIONS: readonly string[] = [
    "ro", "r", "read-only", "rw", "w", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync",
    "async", "remount", "mand", "nomand", "dirsync", "atime", "noatime", "diratime", "nodiratime",
    "bind", "B", "move", "M", "rbind", "R", "verbose", "silent", "loud", "acl", "noacl",
    "unbindable", "make-unbindable", "runbindable", "make-runbindable", "private", "make-private",
    "rprivate", "make-rprivate", "slave", "make-slave", "rslave", "make-rslave", "shared",
    "make-shared", "rshared", "make-rshared", "relatime", "norelatime", "iversion", "noiversion",
    "strictatime", "user", "nouser",
]; // prettier-ignore

/** A value of `options=(…)`: one of {@link MOUNT_OPTIONS}. */
export function mountOptionProblem(option: string): ValueProblem {
    if (MOUNT_OPTIONS.includes(option)) return undefined;
    return {
        message: `unknown mount option ${JSON.stringify(option)} (apparmor_parser: "unsupported mount options")`,
        fix: "use mount flags such as ro, rw, nosuid, nodev, noexec, bind, rbind, make-private; data options (mode=, size=) cannot be matched",
    };
}

// ---------------------------------------------------------------------------------------------------
// Profile flags
// ---------------------------------------------------------------------------------------------------

/** Profile modes (at most one per profile). `prompt` and `default_allow` are AppArmor 4. */
export const MODE_FLAGS: readonly string[] = [
    "enforce",
    "complain",
    "kill",
    "unconfined",
    "prompt",
    "default_allow",
];

/** Profile flags of AppArmor 3.0 (apparmor_parser 3.0 refuses every other word). */
export const PROFILE_FLAGS: readonly string[] = [
    "enforce", "complain", "kill", "unconfined", "audit", "chroot_relative", "namespace_relative",
    "mediate_deleted", "delegate_deleted", "attach_disconnected", "no_attach_disconnected",
    "chroot_attach", "chroot_no_attach",
]; // prettier-ignore

/**
 * Flags only AppArmor 4 knows (a 3.x host's parser refuses them; the compile at preview on the host
 * says so): `prompt`, `default_allow`, `interruptible`, `error=ERRNO`, `kill.signal=SIGNAL`,
 * `attach_disconnected.path=/PATH`.
 */
export function isAppArmor4Flag(flag: string): boolean {
    return (
        ["prompt", "default_allow", "interruptible"].includes(flag) ||
        /^error=E[A-Z0-9]+$/.test(flag) ||
        /^kill\.signal=[a-z][a-z0-9+]*$/.test(flag) ||
        /^attach_disconnected\.path=\/[A-Za-z0-9_./-]*$/.test(flag)
    );
}

/** Pairs of flags apparmor_parser refuses together ("Profile flag X conflicts with Y"). */
const CONFLICTING_FLAGS: readonly [string, string][] = [
    ["mediate_deleted", "delegate_deleted"],
    ["chroot_relative", "namespace_relative"],
    ["chroot_attach", "chroot_no_attach"],
    ["attach_disconnected", "no_attach_disconnected"],
];

/** A profile flag: one apparmor_parser knows (see {@link PROFILE_FLAGS}, {@link isAppArmor4Flag}). */
export function knownFlagProblem(flag: string): ValueProblem {
    if (PROFILE_FLAGS.includes(flag) || isAppArmor4Flag(flag)) return undefined;
    if (flag === "debug")
        return { message: 'profile flag "debug" is no longer valid', fix: "remove it" };
    return {
        message: `unknown profile flag ${JSON.stringify(flag)}`,
        fix: `use ${PROFILE_FLAGS.join(", ")} (AppArmor 4 also: prompt, interruptible, error=EACCES, kill.signal=…, attach_disconnected.path=/…)`,
    };
}

/** Conflicts among a profile's flags: two modes, two `error=`, or an exclusive pair. */
export function flagConflict(flags: readonly string[]): string | undefined {
    const modes = MODE_FLAGS.filter((m) => flags.includes(m));
    if (modes.length > 1) return `conflicting profile modes ${modes.join(" and ")}`;
    for (const [a, b] of CONFLICTING_FLAGS)
        if (flags.includes(a) && flags.includes(b)) return `profile flag ${a} conflicts with ${b}`;
    const errors = [...new Set(flags.filter((f) => f.startsWith("error=")))];
    if (errors.length > 1) return `conflicting profile flags ${errors.join(" and ")}`;
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// rlimit
// ---------------------------------------------------------------------------------------------------

const TIME_UNITS =
    /^(us|microseconds?|ms|milliseconds?|s|sec|seconds?|min|minutes?|h|hours?|d|days?|weeks?)$/;
const MICROS: Record<string, number> = {
    us: 1, microsecond: 1, microseconds: 1, ms: 1e3, millisecond: 1e3, milliseconds: 1e3,
    s: 1e6, sec: 1e6, second: 1e6, seconds: 1e6, min: 6e7, minute: 6e7, minutes: 6e7,
    h: 3.6e9, hour: 3.6e9, hours: 3.6e9, d: 8.64e10, day: 8.64e10, days: 8.64e10,
    week: 6.048e11, weeks: 6.048e11,
}; // prettier-ignore
const SIZE_RESOURCES = ["fsize", "data", "stack", "core", "rss", "as", "memlock", "msgqueue"];
const COUNT_RESOURCES = ["nofile", "ofile", "nproc", "locks", "sigpending", "rtprio"];

/**
 * `set rlimit RESOURCE <= VALUE` as apparmor_parser checks it (parser_yacc.y): `infinity`; `cpu` and
 * `rttime` a time (`cpu` at least 1 s when a unit is given); sizes with an optional K/KB/M/MB/G/GB;
 * counts without a unit; `nice` from -20 to 19. No negative values elsewhere.
 */
export function rlimitValueProblem(resource: string, value: string): ValueProblem {
    if (value === "infinity") return undefined;
    const m = /^(-?)([0-9]{1,18})([A-Za-z]*)$/.exec(value);
    const bad = (fix: string): ValueProblem => ({
        message: `invalid rlimit value ${JSON.stringify(value)} for ${resource}`,
        fix,
    });
    if (!m) return bad("use a number with an optional unit (1024, 10MB, 5s) or infinity");
    const [, minus, digits, unit] = m;
    if (resource === "nice") {
        const n = Number(minus + digits);
        return unit === "" && n >= -20 && n <= 19
            ? undefined
            : bad("use a number from -20 to 19, without a unit");
    }
    if (minus) return bad(`a ${resource} limit cannot be negative`);
    if (resource === "cpu" || resource === "rttime") {
        if (unit === "") return undefined;
        if (!TIME_UNITS.test(unit))
            return bad("use a time unit: us, ms, s (sec, seconds), min, h, d or week(s)");
        if (resource === "cpu" && Number(digits) * MICROS[unit] < 1e6)
            return bad("a cpu limit is at least 1 s (e.g. 1s, 5min)");
        return undefined;
    }
    if (SIZE_RESOURCES.includes(resource))
        return ["", "K", "KB", "M", "MB", "G", "GB"].includes(unit)
            ? undefined
            : bad("use bytes or a size unit K(B), M(B), G(B), e.g. 10MB");
    if (COUNT_RESOURCES.includes(resource))
        return unit === "" ? undefined : bad("use a plain number (no unit), e.g. 1024");
    return undefined; // unknown resource: reported on the resource field
}

// ---------------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------------

/** Families whose protocols `network FAMILY PROTOCOL,` can name (network.c mapped types). */
const FAMILY_PROTOCOLS: Record<string, readonly string[]> = {
    inet: ["tcp", "udp", "icmp"],
    inet6: ["tcp", "udp"],
};

/** `network FAMILY PROTOCOL,`: only inet (tcp, udp, icmp) and inet6 (tcp, udp) map a protocol. */
export function networkProtocolProblem(domain: string, protocol: string): ValueProblem {
    const allowed = FAMILY_PROTOCOLS[domain] ?? [];
    if (allowed.includes(protocol)) return undefined;
    return {
        message: `network ${domain} ${protocol} is not a network entry apparmor_parser knows ("Invalid network entry")`,
        fix: allowed.length
            ? `use ${allowed.map((p) => `${domain} ${p}`).join(", ")}, or a socket type (stream, dgram, raw, …)`
            : `name a socket type instead (e.g. network ${domain} stream or network ${domain} dgram)`,
    };
}

// ---------------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------------

/**
 * The shape of a peer or transition label: a namespace is written `:NS:NAME` (non-empty NS and
 * NAME), a stacked label `&NAME` (non-empty).
 */
export function labelShapeProblem(label: string, what: string): ValueProblem {
    let rest = label;
    if (rest.startsWith("&")) {
        rest = rest.slice(1);
        if (rest === "" || rest.startsWith("&"))
            return {
                message: `${what} ${JSON.stringify(label)} stacks an empty profile name`,
                fix: "write &NAME with one &",
            };
    }
    if (rest.startsWith(":")) {
        const m = /^:([^:]*):(.*)$/.exec(rest);
        if (!m)
            return {
                message: `${what} ${JSON.stringify(label)} has a namespace that is not terminated`,
                fix: "write a namespaced label as :NAMESPACE:PROFILE",
            };
        if (m[1] === "")
            return {
                message: `${what} ${JSON.stringify(label)} has an empty namespace`,
                fix: "name the namespace: :NAMESPACE:PROFILE",
            };
        if (m[2] === "")
            return {
                message: `${what} ${JSON.stringify(label)} names no profile after the namespace`,
                fix: "write :NAMESPACE:PROFILE",
            };
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// unix and dbus rules
// ---------------------------------------------------------------------------------------------------

/** unix accesses apparmor_parser refuses next to peer conditions (af_unix.cc). */
const UNIX_LOCAL_ACCESS = [
    "create",
    "bind",
    "listen",
    "shutdown",
    "getattr",
    "setattr",
    "getopt",
    "setopt",
];

/** Conditions of a unix rule apparmor_parser refuses, and accesses it refuses with a peer. */
export function unixProblems(r: Obj): FieldProblem[] {
    const out: FieldProblem[] = [];
    const unsupported: [string, string][] = [
        ["protocol", "apparmor_parser does not support the protocol conditional in unix rules"],
        ["attr", "apparmor_parser has no attr conditional in unix rules"],
        ["opt", "apparmor_parser has no opt conditional in unix rules"],
        ["label", "a unix rule's label is only valid in its peer"],
    ];
    for (const [f, message] of unsupported)
        if (r[f] !== undefined)
            out.push({
                field: f,
                message,
                fix: f === "label" ? "move it to peer: { label }" : `drop ${f}`,
            });
    const addrProblem = (v: string | undefined, field: string): void => {
        if (v !== undefined && !(v.startsWith("@") || v === "none" || v === "auto"))
            out.push({
                field,
                message: `unix address ${JSON.stringify(v)} is neither abstract (@…) nor none/auto`,
                fix: "write an abstract address as @name, or none / auto (file sockets are matched by file rules)",
            });
    };
    addrProblem(str(r.addr), "addr");
    const peer = typeof r.peer === "object" && r.peer !== null ? (r.peer as Obj) : undefined;
    addrProblem(str(peer?.addr), "peer.addr");
    const hasPeer = peer !== undefined && (peer.label !== undefined || peer.addr !== undefined);
    const local = strs(r.access).filter((a) => UNIX_LOCAL_ACCESS.includes(a));
    if (hasPeer && local.length > 0)
        out.push({
            field: "access",
            message: `unix ${local.join(", ")} cannot be used with peer conditions`,
            fix: "split the rule: one without peer for create/bind/listen/…, one with the peer for send/receive/connect/accept",
        });
    return out;
}

const DBUS_SEND_RECEIVE = ["send", "receive", "r", "w", "rw", "read", "write"];

/**
 * dbus rules (dbus.cc): `name=` makes a service (bind) rule, `path`/`interface`/`member`/`peer=(…)`
 * a message (send/receive) rule; one rule cannot be both, `bind` goes with service rules only,
 * send/receive with message rules only, and `eavesdrop` takes only `bus=`.
 */
export function dbusProblems(r: Obj): FieldProblem[] {
    const out: FieldProblem[] = [];
    const peer = typeof r.peer === "object" && r.peer !== null ? (r.peer as Obj) : {};
    const message = ["path", "interface", "member"].filter((f) => r[f] !== undefined);
    if (peer.name !== undefined) message.push("peer.name");
    if (peer.label !== undefined) message.push("peer.label");
    const service = r.name !== undefined;
    const access = strs(r.access);
    if (service && message.length > 0) {
        out.push({
            field: "name",
            message: `a dbus rule cannot combine name= (a service rule) with ${message.join(", ")} (a message rule)`,
            fix: "split it into a bind rule with name= and a send/receive rule with the message conditions",
        });
        return out;
    }
    if (access.includes("eavesdrop") && (service || message.length > 0))
        out.push({
            field: "access",
            message: "dbus eavesdrop takes only a bus= condition",
            fix: "drop the other conditions, or eavesdrop in a rule of its own",
        });
    else if (access.includes("bind") && message.length > 0)
        out.push({
            field: "access",
            message: `dbus bind cannot be used with ${message.join(", ")}`,
            fix: "bind in a rule with name= only; send/receive in a rule with the message conditions",
        });
    else if (service && access.some((a) => DBUS_SEND_RECEIVE.includes(a)))
        out.push({
            field: "access",
            message: "dbus send/receive cannot be used with name= (a service rule)",
            fix: "use bind with name=, or peer: { name } for send/receive",
        });
    return out;
}
