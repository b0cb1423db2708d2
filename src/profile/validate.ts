/**
 * Validation of profile models: pure (no I/O), returns every problem at once, each with the path of
 * the offending field (`rules[3].path`, `items[2].rules[0].capabilities[1]`), what is wrong and how to
 * fix it. Later components run it at Pulumi preview time and format the problems with
 * {@link formatProblem} ("resource X: field Y: problem; fix: Z").
 *
 * What is checked, and why:
 * - **Names** (profiles, hats, peers, transition targets): a managed profile name is what users pass
 *   to `docker run --security-opt apparmor=NAME`, what hosts store as file names and what scripts
 *   quote; so it must be a plain token ({@link validateProfileName}): no whitespace, control or
 *   invisible characters, nothing a shell (`;`, `$`, backtick, quotes, `&|<>()`) or the policy grammar
 *   (`{}`, `,`, `#`, `"`, `//`, a leading `:` or `^`) would read differently. Profiles named after the
 *   program they confine (`/usr/bin/foo`, `@{exec_path}`, globs) are accepted in that path form.
 * - **Strings the renderer cannot write faithfully** (paths, globs, labels, mount options, comments,
 *   raw text): NUL, control and invisible Unicode characters, a bare `"`, a trailing backslash,
 *   unbalanced `{}`/`[]`, a newline in a comment, raw text whose braces would close the profile.
 * - **Policy errors `apparmor_parser` would refuse** (so preview fails before a host is touched):
 *   unknown capability/signal/network/rlimit names, invalid or conflicting permission letters
 *   (`w` with `a`; two exec modes; bare `x` in an allow rule; `ix` in a deny rule), relative paths,
 *   both `allow` and `deny`, empty profiles, documents without a profile; glob groups the regex
 *   converter refuses (`{a}`, `[]`); unknown mount options and profile flags, rlimit values, rule
 *   combinations (`semantics.ts`); undeclared or redeclared variables (`variables.ts`); the typed
 *   statements inside raw text.
 * - **Container profiles** ({@link ValidateOptions.container}): includes only of AppArmor's own files
 *   (`includes.ts`), no attachment, no xattrs.
 *
 * Accepting a value promises: the renderer writes it so that `apparmor_parser` reads back the same
 * value (the hostile-input table in `test/unit/profile/validate.hostile.test.ts` proves it by
 * compiling), and the parser accepts it (`validate.generated.test.ts` compiles every generated value
 * the validator accepts). What depends on the host (which include files exist, AppArmor 4 syntax) is
 * left to the compile at preview on each host. Rejecting is always allowed.
 */
import { containerIncludeProblem, type IncludePlace } from "./includes";
import { EXEC_MODES, type PolicyDocument, type Profile } from "./model";
import { parseProfile, parseRules } from "./parser";
import {
    dbusProblems,
    flagConflict,
    knownFlagProblem,
    labelShapeProblem,
    mountOptionProblem,
    networkProtocolProblem,
    PROFILE_FLAGS,
    rlimitValueProblem,
    unixProblems,
} from "./semantics";
import { variableProblems } from "./variables";

/** One problem found by {@link validateProfile}. */
export interface ValidationProblem {
    /** Path of the offending field from the validated object, e.g. `rules[3].path` or `name`. */
    readonly path: string;
    /** What is wrong. */
    readonly message: string;
    /** How to fix it. */
    readonly fix: string;
}

/** The result of a single-value validator: undefined when valid. */
export type ValueProblem = { readonly message: string; readonly fix: string } | undefined;

// ---------------------------------------------------------------------------------------------------
// Vocabularies (AppArmor 3.0 parser + Linux 6.x)
// ---------------------------------------------------------------------------------------------------

/** Every Linux capability name (lower case, without `CAP_`), CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40). */
export const CAPABILITIES: readonly string[] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/** Address families `network` rules accept (apparmor_parser 3.0). */
export const NETWORK_DOMAINS: readonly string[] = [
    "unix",
    "inet",
    "ax25",
    "ipx",
    "appletalk",
    "netrom",
    "bridge",
    "atmpvc",
    "x25",
    "inet6",
    "rose",
    "netbeui",
    "security",
    "key",
    "netlink",
    "packet",
    "ash",
    "econet",
    "atmsvc",
    "rds",
    "sna",
    "irda",
    "pppox",
    "wanpipe",
    "llc",
    "ib",
    "mpls",
    "can",
    "tipc",
    "bluetooth",
    "iucv",
    "rxrpc",
    "isdn",
    "phonet",
    "ieee802154",
    "caif",
    "alg",
    "nfc",
    "vsock",
    "kcm",
    "qipcrtr",
    "smc",
    "xdp",
    "mctp",
];
/** Socket types of `network` rules. */
export const NETWORK_TYPES: readonly string[] = [
    "stream",
    "dgram",
    "seqpacket",
    "rdm",
    "raw",
    "packet",
];
/** Protocols of `network` rules. */
export const NETWORK_PROTOCOLS: readonly string[] = ["tcp", "udp", "icmp"];

/** Signal names of `signal set=(…)` (plus `rtmin+0` … `rtmin+32`). */
export const SIGNALS: readonly string[] = [
    "hup",
    "int",
    "quit",
    "ill",
    "trap",
    "abrt",
    "bus",
    "fpe",
    "kill",
    "usr1",
    "segv",
    "usr2",
    "pipe",
    "alrm",
    "term",
    "stkflt",
    "chld",
    "cont",
    "stop",
    "stp",
    "ttin",
    "ttou",
    "urg",
    "xcpu",
    "xfsz",
    "vtalrm",
    "prof",
    "winch",
    "io",
    "pwr",
    "sys",
    "emt",
    "exists",
];

const ACCESS_SETS: Record<string, readonly string[]> = {
    signal: ["send", "receive", "r", "w", "rw", "read", "write"],
    ptrace: ["trace", "read", "tracedby", "readby", "r", "w", "rw"],
    unix: [
        "create",
        "bind",
        "listen",
        "accept",
        "connect",
        "shutdown",
        "getattr",
        "setattr",
        "getopt",
        "setopt",
        "send",
        "receive",
        "r",
        "w",
        "rw",
    ],
    dbus: ["send", "receive", "bind", "eavesdrop", "r", "w", "rw", "read", "write"],
};

/** Resources of `set rlimit`. */
export const RLIMITS: readonly string[] = [
    "cpu",
    "fsize",
    "data",
    "stack",
    "core",
    "rss",
    "nofile",
    "ofile",
    "as",
    "nproc",
    "memlock",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "rttime",
];

const FILE_ACCESS_LETTERS = new Set(["r", "w", "a", "l", "k", "m"]);
/** Exec modes that may name a target (`px -> foo`): all but the plain, inherit and unconfined ones. */
const TARGET_EXEC_MODES: ReadonlySet<string> = new Set(
    EXEC_MODES.filter((m) => !["x", "ix", "ux", "Ux"].includes(m)),
);

/** Longest accepted profile name, in UTF-8 bytes (hosts store profiles in files named after them). */
export const MAX_NAME_BYTES = 200;
/** Longest accepted path or glob, in UTF-8 bytes (PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

// ---------------------------------------------------------------------------------------------------
// Character-level checks
// ---------------------------------------------------------------------------------------------------

/**
 * Control characters (C0, DEL, C1), and invisible or direction-changing Unicode (zero-width, bidi
 * overrides/isolates, line/paragraph separators, BOM), which would make text read differently than it
 * looks. Tab is handled by callers (allowed only in raw text and comments).
 */
const INVISIBLE =
    /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;

function describeChar(ch: string): string {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0) return "a NUL byte";
    if (ch === "\n") return "a newline";
    if (ch === "\r") return "a carriage return";
    if (ch === "\t") return "a tab";
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `control character U+${hex(cp)}`;
    if (ch.trim() === "") return `whitespace U+${hex(cp)}`;
    // invisible and direction-changing characters are named, never printed
    if (INVISIBLE.test(ch)) return `invisible character U+${hex(cp)}`;
    return cp < 0x7f ? JSON.stringify(ch) : `${JSON.stringify(ch)} (U+${hex(cp)})`;
}

function hex(cp: number): string {
    return cp.toString(16).toUpperCase().padStart(4, "0");
}

function hasLoneSurrogate(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff) {
            const n = s.charCodeAt(i + 1);
            if (!(n >= 0xdc00 && n <= 0xdfff)) return true;
            i++;
        } else if (c >= 0xdc00 && c <= 0xdfff) {
            return true;
        }
    }
    return false;
}

function invisibleProblem(value: string, what: string, allowTab = false): ValueProblem {
    const m = INVISIBLE.exec(allowTab ? value.replace(/\t/g, " ") : value);
    if (m) {
        return {
            message: `${what} contains ${describeChar(m[0])}`,
            fix: `remove ${describeChar(m[0])} from the ${what}`,
        };
    }
    if (hasLoneSurrogate(value)) {
        return { message: `${what} is not valid Unicode`, fix: `use valid UTF-16 text` };
    }
    return undefined;
}

function byteLength(s: string): number {
    return Buffer.byteLength(s, "utf8");
}

/**
 * Escapes and brackets in an AppArmor string value: a `"` must be escaped (`\"`), a value must not end
 * in a backslash (a lone one escapes what follows; an escaped one `\\` still makes the closing quote
 * or the space after the value read as escaped), `{}` / `[]` must be balanced, every `{ }` group needs
 * two alternatives or more (`{a}` and `{}` are refused), and a `[ ]` class must hold something and not
 * end in `-` (they are glob syntax).
 */
function globProblem(value: string, what: string, globs: boolean): ValueProblem {
    // per open `{`: whether a `,` was seen at its level
    const braces: boolean[] = [];
    let bracket = -1; // index of the open `[`, -1 outside a class
    for (let i = 0; i < value.length; i++) {
        const ch = value[i];
        if (ch === "\\") {
            if (i === value.length - 1) {
                return {
                    message: `${what} ends with a lone backslash`,
                    fix: "remove the trailing \\ or escape it as \\\\",
                };
            }
            if (i + 2 === value.length && value[i + 1] === "\\") {
                return {
                    message: `${what} ends with a backslash (apparmor_parser would read it as escaping what follows the value)`,
                    fix: "do not end a value with \\\\ (match the character with ? instead)",
                };
            }
            i++;
            continue;
        }
        if (ch === '"') {
            return {
                message: `${what} contains a double quote`,
                fix: 'remove the " (AppArmor strings cannot hold it unescaped)',
            };
        }
        if (!globs) continue;
        if (bracket < 0 && ch === "@" && value[i + 1] === "{") {
            // a variable reference @{NAME} is no alternation (variableRefProblem checks its form)
            const close = value.indexOf("}", i + 2);
            if (close > 0 && !/[{,\\]/.test(value.slice(i + 2, close))) {
                i = close;
                continue;
            }
        }
        if (bracket >= 0) {
            if (ch === "]") {
                const body = value.slice(bracket + 1, i).replace(/^\^/, "");
                if (body === "") {
                    return {
                        message: `${what} has an empty character class`,
                        fix: "put characters between [ and ] (a literal ] is written \\])",
                    };
                }
                if (body.endsWith("-") && !body.endsWith("\\-")) {
                    return {
                        message: `${what} has a character class ending in "-"`,
                        fix: "end the range (e.g. [a-z]) or escape the dash as \\-",
                    };
                }
                bracket = -1;
            }
            continue;
        }
        if (ch === "[") bracket = i;
        else if (ch === "{") braces.push(false);
        else if (ch === "}") {
            const comma = braces.pop();
            if (comma === undefined) {
                return {
                    message: `${what} has a "}" without a matching "{"`,
                    fix: "balance the { } alternation or escape the brace as \\}",
                };
            }
            if (!comma) {
                return {
                    message: `${what} has a { } group with fewer than two alternatives`,
                    fix: "separate the alternatives with , (e.g. {a,b} or {,a}), or escape the braces as \\{ \\}",
                };
            }
        } else if (ch === ",") {
            if (braces.length === 0) {
                return {
                    message: `${what} has a "," outside a { } alternation`,
                    fix: "remove the comma, or escape it as \\, if it is part of a file name",
                };
            }
            braces[braces.length - 1] = true;
        }
    }
    if (bracket >= 0) {
        return {
            message: `${what} has a "[" without a matching "]"`,
            fix: "close the [ ] character class or escape the bracket as \\[",
        };
    }
    if (braces.length > 0) {
        return {
            message: `${what} has a "{" without a matching "}"`,
            fix: "close the { } alternation or escape the brace as \\{",
        };
    }
    return undefined;
}

function variableRefProblem(value: string, what: string): ValueProblem {
    const re = /@\{([^}]*)\}?/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null) {
        if (!m[0].endsWith("}") || !/^[A-Za-z][A-Za-z0-9_]*$/.test(m[1])) {
            return {
                message: `${what} has a malformed variable reference ${JSON.stringify(m[0])}`,
                fix: "write variables as @{NAME}: a letter, then letters, digits and _",
            };
        }
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Exported single-value validators
// ---------------------------------------------------------------------------------------------------

const STRICT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const PATH_NAME_CHARS = /^[A-Za-z0-9_.+\-/@{}*?[\]^,~:=]+$/;
/** Label patterns may also use `&` (stacking, e.g. `/usr/bin/man//&man_groff`). */
const LABEL_CHARS = /^[A-Za-z0-9_.+\-/@{}*?[\]^,~:=&]+$/;

/**
 * A managed profile name: what `docker run --security-opt apparmor=NAME` refers to and what hosts use
 * as a file name. Letters, digits, `_`, `.`, `+`, `-`; starts with a letter, digit or `_`; at most
 * {@link MAX_NAME_BYTES} bytes; not `unconfined`. With `allowPath`, names in AppArmor's path form are
 * also accepted (`/usr/bin/foo`, `/usr/lib/firefox{,-[0-9]*}/firefox`, `@{exec_path}`): they start with
 * `/` or `@{`, hold no whitespace, quotes, `#`, `//`, `$`, backtick or shell metacharacters, and have
 * balanced globs.
 */
export function validateProfileName(
    name: string,
    opts: { allowPath?: boolean } = {},
): ValueProblem {
    if (typeof name !== "string" || name === "") {
        return { message: "profile name is empty", fix: "give the profile a name, e.g. my-app" };
    }
    const inv = invisibleProblem(name, "profile name");
    if (inv) return { message: inv.message, fix: "use only letters, digits, _ . + -" };
    if (byteLength(name) > MAX_NAME_BYTES) {
        return {
            message: `profile name is ${byteLength(name)} bytes long (at most ${MAX_NAME_BYTES})`,
            fix: "use a shorter name",
        };
    }
    if (name === "unconfined") {
        return {
            message: 'profile name "unconfined" is reserved by AppArmor',
            fix: "choose another name",
        };
    }
    if (STRICT_NAME.test(name)) return undefined;
    const pathLike = name.startsWith("/") || name.startsWith("@{");
    if (opts.allowPath && pathLike) {
        const bad = [...name].find((c) => !PATH_NAME_CHARS.test(c));
        if (bad !== undefined) {
            return {
                message: `profile name contains ${describeChar(bad)}`,
                fix: "use only letters, digits, _ . + - / and AppArmor globs in a path-style name",
            };
        }
        if (name.includes("//")) {
            return {
                message: 'profile name contains "//" (AppArmor\'s parent//child separator)',
                fix: "remove the doubled slash",
            };
        }
        return globProblem(name, "profile name", true) ?? variableRefProblem(name, "profile name");
    }
    const bad = [...name].find((c) => !/[A-Za-z0-9_.+-]/.test(c));
    if (bad === undefined) {
        return {
            message: `profile name must start with a letter, digit or _ (not ${JSON.stringify(name[0])})`,
            fix: "start the name with a letter, e.g. my-app",
        };
    }
    return {
        message: `profile name contains ${describeChar(bad)}`,
        fix: opts.allowPath
            ? "use only letters, digits, _ . + - (or a path-style name starting with /)"
            : "use only letters, digits, _ . + -",
    };
}

/** A capability name: lower case, without `CAP_`, one of {@link CAPABILITIES}. */
export function validateCapabilityName(name: string): ValueProblem {
    if (CAPABILITIES.includes(name)) return undefined;
    const lowered = String(name).toLowerCase().replace(/^cap_/, "");
    if (CAPABILITIES.includes(lowered)) {
        return {
            message: `capability ${JSON.stringify(name)} is not written the AppArmor way`,
            fix: `write ${lowered}`,
        };
    }
    return {
        message: `unknown capability ${JSON.stringify(name)}`,
        fix: `use one of the Linux capability names (e.g. chown, net_bind_service, sys_admin, bpf)`,
    };
}

/**
 * A file permission string as written in policy (`rwlx`, `rPx`, `mrix`): letters r w a l k m, at most
 * one exec mode, not both `w` and `a`. `deny` rules take only a bare `x`; allow rules need an exec
 * qualifier (`ix`, `px`, …).
 */
export function validatePermissions(perms: string, opts: { deny?: boolean } = {}): ValueProblem {
    let pending = "";
    const modes: string[] = [];
    const letters = new Set<string>();
    for (const ch of perms) {
        if (FILE_ACCESS_LETTERS.has(ch)) {
            if (pending) {
                return {
                    message: `exec qualifier "${pending}" is not followed by x`,
                    fix: `write ${pending}x`,
                };
            }
            letters.add(ch);
        } else if ("ipcuPCU".includes(ch)) {
            pending += ch;
        } else if (ch === "x") {
            modes.push(`${pending}x`);
            pending = "";
        } else {
            return {
                message: `invalid permission ${describeChar(ch)} in ${JSON.stringify(perms)}`,
                fix: "use r w a l k m, and x with an exec qualifier (ix px Px cx Cx ux Ux pix cix …)",
            };
        }
    }
    if (pending) {
        return {
            message: `exec qualifier "${pending}" is not followed by x`,
            fix: `write ${pending}x`,
        };
    }
    return (
        accessProblem([...letters]) ??
        (modes.length > 1
            ? {
                  message: `conflicting exec modes ${modes.join(" and ")}`,
                  fix: "keep one exec mode per rule",
              }
            : modes.length === 1
              ? execProblem(modes[0], !!opts.deny)
              : undefined)
    );
}

function accessProblem(access: readonly unknown[]): ValueProblem {
    for (const a of access) {
        if (typeof a !== "string" || !FILE_ACCESS_LETTERS.has(a)) {
            return {
                message: `invalid permission ${typeof a === "string" ? describeChar(a) : String(a)}`,
                fix: "use r w a l k m (exec permissions go in exec)",
            };
        }
    }
    if (access.includes("w") && access.includes("a")) {
        return {
            message: "permissions w and a conflict (w already includes append)",
            fix: "keep either w or a",
        };
    }
    return undefined;
}

function execProblem(mode: string, deny: boolean): ValueProblem {
    if (!(EXEC_MODES as readonly string[]).includes(mode)) {
        return {
            message: `invalid exec mode ${JSON.stringify(mode)}`,
            fix: "use one of ix px Px cx Cx ux Ux pix Pix cix Cix pux PUx cux CUx (x alone in deny rules)",
        };
    }
    if (deny && mode !== "x") {
        return {
            message: `deny rules take a bare x, not ${mode}`,
            fix: "write x in deny rules (the transition does not matter when execution is denied)",
        };
    }
    if (!deny && mode === "x") {
        return {
            message: "x in an allow rule needs an exec qualifier",
            fix: "write ix, px, cx or ux (e.g. ix to run it under the same profile)",
        };
    }
    return undefined;
}

/**
 * A path or glob in a rule: absolute (`/…`) or starting with a variable (`@{HOME}/…`); printable, no
 * bare `"`, balanced globs, well-formed variables. (apparmor_parser reads no path starting with an
 * alternation: write `/{a,b}/x`, not `{/a,/b}/x`.)
 */
export function validatePath(path: string, what = "path"): ValueProblem {
    if (typeof path !== "string" || path === "") {
        return {
            message: `${what} is empty`,
            fix: "give an absolute path such as /var/lib/app/**",
        };
    }
    const inv = invisibleProblem(path, what);
    if (inv) return inv;
    if (byteLength(path) > MAX_PATH_BYTES) {
        return {
            message: `${what} is ${byteLength(path)} bytes long (at most ${MAX_PATH_BYTES})`,
            fix: "shorten it, e.g. with a ** glob",
        };
    }
    if (path.startsWith("{")) {
        return {
            message: `${what} ${JSON.stringify(path)} starts with an alternation, which apparmor_parser cannot read`,
            fix: "start it with / (write {/a,/b}/x as /{a,b}/x), or write one rule per path",
        };
    }
    if (!(path.startsWith("/") || path.startsWith("@{"))) {
        return {
            message: `${what} ${JSON.stringify(path)} is relative`,
            fix: "write an absolute path (/…) or start it with a variable such as @{HOME}/",
        };
    }
    return globProblem(path, what, true) ?? variableRefProblem(path, what);
}

/**
 * A peer or transition label (`peer=`, `-> target`, `change_profile -> …`): a profile name or an
 * AppArmor label pattern (globs, `//` children, `:ns:`), without whitespace, quotes or shell
 * metacharacters.
 */
export function validateLabel(label: string, what = "label"): ValueProblem {
    if (typeof label !== "string" || label === "") {
        return { message: `${what} is empty`, fix: "name a profile, e.g. unconfined or my-app" };
    }
    const inv = invisibleProblem(label, what);
    if (inv) return inv;
    if (byteLength(label) > MAX_PATH_BYTES) {
        return { message: `${what} is too long`, fix: "use a shorter label" };
    }
    const bad = [...label].find((c) => !LABEL_CHARS.test(c));
    if (bad !== undefined) {
        return {
            message: `${what} contains ${describeChar(bad)}`,
            fix: "use only letters, digits, _ . + - / : & and AppArmor globs",
        };
    }
    return (
        labelShapeProblem(label, what) ??
        globProblem(label, what, true) ??
        variableRefProblem(label, what)
    );
}

/** A plain token such as a mount option, fstype, dbus interface or unix attribute. */
export function validateToken(value: string, what = "value"): ValueProblem {
    if (typeof value !== "string" || value === "") {
        return { message: `${what} is empty`, fix: `give a ${what} or leave the field out` };
    }
    const inv = invisibleProblem(value, what);
    if (inv) return inv;
    if (byteLength(value) > MAX_PATH_BYTES) {
        return { message: `${what} is too long`, fix: `shorten the ${what}` };
    }
    const bad = [...value].find((c) => !/[A-Za-z0-9_.+\-/@{}*?[\]^~:=,]/.test(c));
    if (bad !== undefined) {
        return {
            message: `${what} contains ${describeChar(bad)}`,
            fix: "use only letters, digits, _ . + - / : = @ and AppArmor globs",
        };
    }
    return globProblem(value, what, true);
}

/**
 * A profile flag apparmor_parser knows ({@link PROFILE_FLAGS}: complain, audit, attach_disconnected,
 * mediate_deleted, …; AppArmor 4 flags such as `error=EACCES` are accepted too and checked by the
 * host's parser at preview).
 */
export function validateFlag(flag: string): ValueProblem {
    if (typeof flag === "string" && knownFlagProblem(flag) === undefined) return undefined;
    return {
        message: `invalid profile flag ${JSON.stringify(flag)}${flag === "debug" ? " (no longer valid)" : ""}`,
        fix: `use ${PROFILE_FLAGS.join(", ")} (AppArmor 4 also: prompt, interruptible, error=EACCES, kill.signal=…, attach_disconnected.path=/…)`,
    };
}

/** A variable name without `@{}`: a letter, then letters, digits and `_`. */
export function validateVariableName(name: string): ValueProblem {
    if (typeof name === "string" && /^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return undefined;
    return {
        message: `invalid variable name ${JSON.stringify(name)}`,
        fix: "start with a letter, then letters, digits and _ (written without @{ })",
    };
}

/**
 * A comment's text: one line, no control characters, and not starting with `include` (`#include` is
 * an include statement, not a comment).
 */
export function validateCommentText(text: string): ValueProblem {
    if (typeof text !== "string") return { message: "comment is not text", fix: "use a string" };
    if (/^include/.test(text))
        return {
            message: `comment ${JSON.stringify(text)} would be read as an #include statement`,
            fix: "start the comment with a space (# include …)",
        };
    return invisibleProblem(text, "comment", true);
}

/**
 * Raw policy text (the escape hatch): printable (tabs and newlines allowed), quotes closed, and its
 * `{}`/`()` balanced so it cannot close the enclosing profile or open a new one; it must end a rule
 * (with `,`) or a block (with `}`) unless it is only comments.
 */
export function validateRawText(text: string): ValueProblem {
    if (typeof text !== "string" || text.trim() === "") {
        return {
            message: "raw rule is empty",
            fix: "remove it, or write a policy rule ending in ,",
        };
    }
    const inv = invisibleProblem(text.replace(/\n/g, " "), "raw rule", true);
    if (inv) return inv;
    let depth = 0;
    let parens = 0;
    let last = "";
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        const atToken = i === 0 || /\s/.test(text[i - 1]);
        if (atToken && (text.startsWith("#include", i) || text.startsWith("include", i))) {
            // an include statement ends at its closing > or " (no comma)
            const inc = /^#?include(?:\s+if\s+exists)?\s*(?:<[^>\n]*>|"[^"\n]*")/.exec(
                text.slice(i),
            );
            if (!inc) {
                return { message: "raw rule has a malformed include", fix: "write include <path>" };
            }
            i += inc[0].length - 1;
            last = ",";
            continue;
        }
        if (ch === "#" && atToken) {
            while (i < text.length && text[i] !== "\n") i++;
            continue;
        }
        if (ch === '"') {
            i++;
            while (i < text.length && text[i] !== '"') {
                if (text[i] === "\\") i++;
                if (text[i] === "\n") break;
                i++;
            }
            if (i >= text.length || text[i] !== '"') {
                return { message: "raw rule has an unterminated quote", fix: 'close the "' };
            }
            last = '"';
            continue;
        }
        if (ch === "\\") {
            i++;
            last = "\\";
            continue;
        }
        if (ch === "{") depth++;
        if (ch === "}") depth--;
        if (ch === "(") parens++;
        if (ch === ")") parens--;
        if (depth < 0) {
            return {
                message: 'raw rule has a "}" that would close the enclosing profile',
                fix: "balance the braces inside the raw rule",
            };
        }
        if (parens < 0) {
            return { message: 'raw rule has an unmatched ")"', fix: "balance the parentheses" };
        }
        if (!/\s/.test(ch)) last = ch;
    }
    if (depth !== 0) {
        return { message: 'raw rule has an unclosed "{"', fix: "balance the braces" };
    }
    if (parens !== 0) {
        return { message: 'raw rule has an unclosed "("', fix: "balance the parentheses" };
    }
    if (last !== "" && last !== "," && last !== "}") {
        return {
            message: 'raw rule does not end with "," or "}"',
            fix: "end the rule with a comma",
        };
    }
    return undefined;
}

/** An include or abi path (`abstractions/base`, `/etc/apparmor.d/local/x`). */
export function validateIncludePath(path: string, form: "angle" | "quoted"): ValueProblem {
    if (typeof path !== "string" || path === "") {
        return { message: "include path is empty", fix: "name a file such as abstractions/base" };
    }
    const inv = invisibleProblem(path, "include path");
    if (inv) return inv;
    if (/[<>"]/.test(path)) {
        return {
            message: 'include path contains <, > or "',
            fix: "remove them; write the path only (form says how it is bracketed)",
        };
    }
    if (form === "angle" && /\s/.test(path)) {
        return {
            message: "include path in <> contains whitespace",
            fix: 'use the quoted form for paths with spaces (form: "quoted")',
        };
    }
    if (form !== "angle" && form !== "quoted") {
        return {
            message: `invalid include form ${JSON.stringify(form)}`,
            fix: 'use "angle" or "quoted"',
        };
    }
    return undefined;
}

/**
 * Formats a problem for a Pulumi resource: `resource NAME: field FIELD: MESSAGE; fix: FIX`.
 * `fieldPrefix` is prepended to the problem path (e.g. `profile.` for the `profile` input).
 */
export function formatProblem(
    resource: string,
    problem: ValidationProblem,
    fieldPrefix = "",
): string {
    const field = `${fieldPrefix}${problem.path}` || "(profile)";
    return `resource ${resource}: field ${field}: ${problem.message}; fix: ${problem.fix}`;
}

// ---------------------------------------------------------------------------------------------------
// Whole-model validation
// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** Options of {@link validateProfile}. */
export interface ValidateOptions {
    /**
     * The model is the whole policy file of a profile this library installs for containers (what the
     * `Profile` component validates): includes only of AppArmor's own files, in angle brackets
     * (`abstractions/` and `local/` in the profile, `tunables/` at the top, `abi/` in `abi`), and
     * `abstractions/` only with `tunables/global` included; no attachment (`profile web /** {` would
     * confine every program it matches on the host) and no xattrs; variables checked even in a bare
     * profile (it is rendered on its own). Defaults to false: any include, attachment and xattrs are
     * accepted, and a bare profile's variables are not checked (a document declares them).
     */
    readonly container?: boolean;
}

class Collector {
    readonly problems: ValidationProblem[] = [];
    /** container mode (see {@link ValidateOptions}) */
    container = false;
    /** paths of `abstractions/` includes, and whether `tunables/global` is included at the top */
    readonly abstractions: string[] = [];
    tunablesGlobal = false;

    add(path: string, p: ValueProblem): void {
        if (p) this.problems.push({ path, message: p.message, fix: p.fix });
    }

    fail(path: string, message: string, fix: string): void {
        this.problems.push({ path, message, fix });
    }
}

function join(base: string, field: string): string {
    if (field.startsWith("[")) return `${base}${field}`;
    return base ? `${base}.${field}` : field;
}

function isObj(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkStringArray(
    c: Collector,
    path: string,
    value: unknown,
    check: (s: string) => ValueProblem,
): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        c.fail(path, "must be a list", "use an array of strings");
        return;
    }
    value.forEach((v, i) => {
        if (typeof v !== "string") c.fail(`${path}[${i}]`, "must be a string", "use a string");
        else c.add(`${path}[${i}]`, check(v));
    });
}

function checkOptional(
    c: Collector,
    obj: Obj,
    base: string,
    field: string,
    check: (s: string) => ValueProblem,
): void {
    const v = obj[field];
    if (v === undefined) return;
    if (typeof v !== "string") {
        c.fail(join(base, field), "must be a string", "use a string or leave the field out");
        return;
    }
    c.add(join(base, field), check(v));
}

function checkQualifiers(c: Collector, rule: Obj, base: string): void {
    if (rule.deny && rule.allow) {
        c.fail(join(base, "deny"), "rule is both allow and deny", "keep either allow or deny");
    }
    if (rule.owner && rule.kind !== "file" && rule.kind !== "link") {
        c.fail(
            join(base, "owner"),
            `owner applies to file and link rules, not ${String(rule.kind)} rules`,
            "drop owner",
        );
    }
}

function inSet(set: readonly string[], what: string, fix: string): (s: string) => ValueProblem {
    return (s) =>
        set.includes(s) ? undefined : { message: `unknown ${what} ${JSON.stringify(s)}`, fix };
}

/**
 * `safe` / `unsafe` before a file rule (`unsafe /usr/bin/foo px,`) says whether the exec transition
 * scrubs the environment; apparmor_parser rejects it on a rule without exec permission ("unsafe rule
 * missing exec permissions") and `unsafe` on a deny rule (a denied exec has no transition).
 */
function checkExecSafety(c: Collector, r: Obj, base: string, deny: boolean): void {
    const m = r.execMode;
    if (m === undefined) return;
    const at = join(base, "execMode");
    if (m !== "safe" && m !== "unsafe") {
        c.fail(at, `unknown exec safety ${JSON.stringify(m)}`, 'use "safe" or "unsafe"');
    } else if (r.exec === undefined) {
        c.fail(
            at,
            `${m} applies to exec permissions, and the rule has none`,
            "add an exec mode (e.g. px) or drop execMode",
        );
    } else if (deny && m === "unsafe") {
        c.fail(
            at,
            "a deny rule cannot be unsafe (a denied exec has no transition)",
            "drop execMode",
        );
    }
}

function checkFileRule(c: Collector, r: Obj, base: string): void {
    const deny = !!r.deny;
    const access = r.access;
    if (!Array.isArray(access)) {
        c.fail(join(base, "access"), "must be a list of permission letters", 'use e.g. ["r", "w"]');
    } else {
        c.add(join(base, "access"), accessProblem(access));
    }
    if (r.exec !== undefined) {
        c.add(
            join(base, "exec"),
            typeof r.exec === "string"
                ? execProblem(r.exec, deny)
                : execProblem(String(r.exec), deny),
        );
    }
    checkExecSafety(c, r, base, deny);
    if (r.path === undefined && deny && (!Array.isArray(access) || access.length === 0)) {
        c.fail(
            join(base, "deny"),
            "apparmor_parser 3 refuses a bare deny file, rule",
            "deny the paths instead, e.g. deny /** rwlkmx,",
        );
    }
    if (r.path === undefined) {
        if (
            (Array.isArray(access) && access.length > 0) ||
            r.exec !== undefined ||
            r.target !== undefined
        ) {
            c.fail(
                join(base, "path"),
                "permissions without a path",
                "add the path the permissions apply to",
            );
        }
        return;
    }
    checkOptional(c, r, base, "path", (s) => validatePath(s));
    if (Array.isArray(access) && access.length === 0 && r.exec === undefined) {
        c.fail(
            join(base, "access"),
            "file rule grants no permissions",
            'add permissions such as "r"',
        );
    }
    if (r.target !== undefined) {
        if (typeof r.exec !== "string" || !TARGET_EXEC_MODES.has(r.exec)) {
            c.fail(
                join(base, "target"),
                "a transition target needs a p or c exec mode (px, Px, cx, Cx, pix, …)",
                "set exec to px/cx (or remove the target)",
            );
        }
        checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
    }
}

function addFieldProblems(
    c: Collector,
    base: string,
    problems: readonly { field: string; message: string; fix: string }[],
): void {
    for (const p of problems) c.fail(join(base, p.field), p.message, p.fix);
}

/** An include statement (`place`: at the top of the file or inside a profile). */
function checkInclude(c: Collector, r: Obj, base: string, place: IncludePlace): void {
    const path = r.path as string;
    const problem = validateIncludePath(path, r.form as "angle" | "quoted");
    c.add(join(base, "path"), problem);
    if (problem || !c.container) return;
    c.add(join(base, "path"), containerIncludeProblem(path, String(r.form), place));
    if (path.startsWith("abstractions/")) c.abstractions.push(join(base, "path"));
    if (place === "preamble" && path === "tunables/global") c.tunablesGlobal = true;
}

/**
 * Raw policy text: balanced and closed (validateRawText), then parsed like policy; the statements
 * the model types are checked like model items (so a raw rule is no way around the validator), and
 * statements it does not type (AppArmor 4 rules, conditionals) are left to the host's parser, which
 * compiles every new version at preview.
 */
function checkRaw(c: Collector, r: Obj, base: string, depth: number, preamble: boolean): void {
    const problem = validateRawText(r.text as string);
    c.add(join(base, "text"), problem);
    if (problem) return;
    let items: readonly unknown[];
    try {
        items = preamble ? parseProfile(r.text as string).items : parseRules(r.text as string);
    } catch (e) {
        c.fail(
            join(base, "text"),
            `raw rule is not valid policy (${(e as Error).message})`,
            "correct the policy text, or write the rule with the builder helpers",
        );
        return;
    }
    if (items.length === 1 && isObj(items[0]) && items[0].kind === "raw") return; // untyped
    items.forEach((it, i) => {
        const at = join(base, `text[${i}]`);
        if (!isObj(it)) return;
        if (preamble) checkPreamble(c, it, at);
        else checkRule(c, it, at, depth);
    });
}

function checkRule(c: Collector, r: unknown, base: string, depth: number): void {
    if (!isObj(r)) {
        c.fail(base, "rule is not an object", "use the builder helpers (file(), capability(), …)");
        return;
    }
    checkQualifiers(c, r, base);
    switch (r.kind) {
        case "file":
            checkFileRule(c, r, base);
            break;
        case "link":
            if (typeof r.path !== "string")
                c.fail(join(base, "path"), "link rule needs a path", "add the link path");
            else c.add(join(base, "path"), validatePath(r.path));
            if (typeof r.target !== "string")
                c.fail(join(base, "target"), "link rule needs a target", "add the target path");
            else c.add(join(base, "target"), validatePath(r.target, "target"));
            break;
        case "capability":
            checkStringArray(c, join(base, "capabilities"), r.capabilities, validateCapabilityName);
            if (!Array.isArray(r.capabilities))
                c.fail(join(base, "capabilities"), "must be a list", "use [] for all capabilities");
            break;
        case "network": {
            checkOptional(
                c,
                r,
                base,
                "domain",
                inSet(
                    NETWORK_DOMAINS,
                    "network domain",
                    "use e.g. inet, inet6, unix, netlink, packet",
                ),
            );
            checkOptional(
                c,
                r,
                base,
                "type",
                inSet(
                    NETWORK_TYPES,
                    "socket type",
                    "use stream, dgram, seqpacket, rdm, raw or packet",
                ),
            );
            checkOptional(
                c,
                r,
                base,
                "protocol",
                inSet(NETWORK_PROTOCOLS, "network protocol", "use tcp, udp or icmp"),
            );
            if (r.type !== undefined && r.protocol !== undefined) {
                c.fail(
                    join(base, "protocol"),
                    "a network rule takes a type or a protocol, not both",
                    "drop the type or the protocol",
                );
            } else if (
                typeof r.domain === "string" &&
                typeof r.protocol === "string" &&
                NETWORK_DOMAINS.includes(r.domain) &&
                NETWORK_PROTOCOLS.includes(r.protocol)
            ) {
                c.add(join(base, "protocol"), networkProtocolProblem(r.domain, r.protocol));
            }
            break;
        }
        case "mount":
        case "remount":
        case "umount": {
            const conds = r.conditions;
            if (!Array.isArray(conds)) {
                c.fail(join(base, "conditions"), "must be a list", "use [] for no conditions");
            } else {
                conds.forEach((cond, i) => {
                    const p = join(base, `conditions[${i}]`);
                    if (!isObj(cond)) {
                        c.fail(p, "condition is not an object", "use { name, op, values }");
                        return;
                    }
                    if (!["fstype", "vfstype", "options", "option"].includes(String(cond.name))) {
                        c.fail(
                            join(p, "name"),
                            `unknown mount condition ${JSON.stringify(cond.name)}`,
                            "use fstype or options",
                        );
                    }
                    if (cond.op !== "=" && cond.op !== "in") {
                        c.fail(
                            join(p, "op"),
                            `invalid operator ${JSON.stringify(cond.op)}`,
                            'use "=" or "in"',
                        );
                    }
                    const isOptions = cond.name === "options" || cond.name === "option";
                    checkStringArray(
                        c,
                        join(p, "values"),
                        cond.values,
                        (s) =>
                            validateToken(s, "mount condition value") ??
                            (isOptions ? mountOptionProblem(s) : undefined),
                    );
                    if (!Array.isArray(cond.values) || cond.values.length === 0) {
                        c.fail(
                            join(p, "values"),
                            "mount condition has no values",
                            "list at least one value",
                        );
                    }
                });
            }
            checkOptional(c, r, base, "source", (s) => validateToken(s, "mount source"));
            checkOptional(c, r, base, "target", (s) => validatePath(s, "mount point"));
            break;
        }
        case "pivot_root":
            checkOptional(c, r, base, "oldroot", (s) => validatePath(s, "oldroot"));
            checkOptional(c, r, base, "newroot", (s) => validatePath(s, "newroot"));
            checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
            break;
        case "signal":
            checkStringArray(
                c,
                join(base, "access"),
                r.access,
                inSet(ACCESS_SETS.signal, "signal access", "use send or receive"),
            );
            checkStringArray(c, join(base, "signals"), r.signals, (s) =>
                SIGNALS.includes(s) || /^rtmin\+([0-9]|[12][0-9]|3[0-2])$/.test(s)
                    ? undefined
                    : {
                          message: `unknown signal ${JSON.stringify(s)}`,
                          fix: "use names such as hup, int, kill, term, usr1, rtmin+N (lower case, no SIG)",
                      },
            );
            checkOptional(c, r, base, "peer", (s) => validateLabel(s, "peer"));
            break;
        case "ptrace":
            checkStringArray(
                c,
                join(base, "access"),
                r.access,
                inSet(ACCESS_SETS.ptrace, "ptrace access", "use trace, read, tracedby or readby"),
            );
            checkOptional(c, r, base, "peer", (s) => validateLabel(s, "peer"));
            break;
        case "unix": {
            checkStringArray(
                c,
                join(base, "access"),
                r.access,
                inSet(
                    ACCESS_SETS.unix,
                    "unix access",
                    "use e.g. create, bind, listen, accept, connect, send, receive",
                ),
            );
            checkOptional(
                c,
                r,
                base,
                "type",
                inSet(NETWORK_TYPES, "socket type", "use stream, dgram or seqpacket"),
            );
            for (const f of ["protocol", "attr", "opt"])
                checkOptional(c, r, base, f, (s) => validateToken(s, f));
            checkOptional(c, r, base, "addr", (s) => validateToken(s, "addr"));
            checkOptional(c, r, base, "label", (s) => validateLabel(s, "label"));
            addFieldProblems(c, base, unixProblems(r));
            if (r.peer !== undefined) {
                if (!isObj(r.peer))
                    c.fail(join(base, "peer"), "peer is not an object", "use { label, addr }");
                else {
                    checkOptional(c, r.peer, join(base, "peer"), "label", (s) =>
                        validateLabel(s, "peer label"),
                    );
                    checkOptional(c, r.peer, join(base, "peer"), "addr", (s) =>
                        validateToken(s, "peer addr"),
                    );
                }
            }
            break;
        }
        case "dbus": {
            checkStringArray(
                c,
                join(base, "access"),
                r.access,
                inSet(ACCESS_SETS.dbus, "dbus access", "use send, receive, bind or eavesdrop"),
            );
            for (const f of ["bus", "interface", "member", "name"])
                checkOptional(c, r, base, f, (s) => validateToken(s, f));
            checkOptional(c, r, base, "path", (s) => validateToken(s, "dbus path"));
            if (r.peer !== undefined) {
                if (!isObj(r.peer))
                    c.fail(join(base, "peer"), "peer is not an object", "use { name, label }");
                else {
                    checkOptional(c, r.peer, join(base, "peer"), "name", (s) =>
                        validateToken(s, "peer name"),
                    );
                    checkOptional(c, r.peer, join(base, "peer"), "label", (s) =>
                        validateLabel(s, "peer label"),
                    );
                }
            }
            addFieldProblems(c, base, dbusProblems(r));
            break;
        }
        case "change_profile":
            if (r.execMode !== undefined && r.execMode !== "safe" && r.execMode !== "unsafe") {
                c.fail(
                    join(base, "execMode"),
                    `invalid exec mode ${JSON.stringify(r.execMode)}`,
                    'use "safe" or "unsafe"',
                );
            } else if (r.execMode !== undefined && r.exec === undefined) {
                c.fail(
                    join(base, "execMode"),
                    `${r.execMode} needs an exec path (apparmor_parser: "Exec condition is required")`,
                    "add the executable (exec) or drop execMode",
                );
            }
            checkOptional(c, r, base, "exec", (s) => validatePath(s, "exec path"));
            checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
            break;
        case "rlimit":
            checkOptional(
                c,
                r,
                base,
                "resource",
                inSet(RLIMITS, "rlimit resource", "use e.g. nofile, nproc, as, core"),
            );
            if (typeof r.resource !== "string")
                c.fail(join(base, "resource"), "rlimit needs a resource", "e.g. nofile");
            if (typeof r.value !== "string" || !/^(infinity|-?[0-9]+[A-Za-z]*)$/.test(r.value)) {
                c.fail(
                    join(base, "value"),
                    `invalid rlimit value ${JSON.stringify(r.value)}`,
                    "use a number with an optional unit (1024, 10MB, 5s) or infinity",
                );
            } else if (typeof r.resource === "string" && RLIMITS.includes(r.resource)) {
                c.add(join(base, "value"), rlimitValueProblem(r.resource, r.value));
            }
            break;
        case "include":
            checkInclude(c, r, base, "profile");
            break;
        case "comment":
            c.add(join(base, "text"), validateCommentText(r.text as string));
            break;
        case "raw":
            checkRaw(c, r, base, depth, false);
            break;
        case "profile":
            checkProfile(c, r, base, depth + 1);
            break;
        default:
            c.fail(
                join(base, "kind"),
                `unknown rule kind ${JSON.stringify(r.kind)}`,
                "use the builder helpers (file(), capability(), raw(), …)",
            );
    }
}

function checkProfile(c: Collector, p: Obj, base: string, depth: number): void {
    const name = p.name;
    if (typeof name !== "string") {
        c.fail(join(base, "name"), "profile has no name", "give the profile a name, e.g. my-app");
    } else if (p.hat) {
        const problem = validateProfileName(name);
        c.add(
            join(base, "name"),
            problem && {
                message: problem.message.replace("profile name", "hat name"),
                fix: problem.fix,
            },
        );
        if (depth === 0)
            c.fail(
                join(base, "hat"),
                "a hat must be nested in a profile",
                "move it into a profile's rules or drop hat: true",
            );
    } else {
        c.add(join(base, "name"), validateProfileName(name, { allowPath: true }));
    }
    if (c.container && p.attachment !== undefined) {
        c.fail(
            join(base, "attachment"),
            "a container profile cannot have an attachment (it would confine every program on the host whose path matches)",
            "drop the attachment: containers get the profile by name (--security-opt apparmor=NAME)",
        );
    } else checkOptional(c, p, base, "attachment", (s) => validatePath(s, "attachment"));
    if (p.flags !== undefined) {
        checkStringArray(c, join(base, "flags"), p.flags, validateFlag);
        if (Array.isArray(p.flags)) {
            const conflict = flagConflict(
                p.flags.filter((f): f is string => typeof f === "string"),
            );
            if (conflict)
                c.fail(join(base, "flags"), conflict, "keep one of the conflicting flags");
        }
    }
    if (c.container && p.xattrs !== undefined) {
        c.fail(
            join(base, "xattrs"),
            "a container profile cannot have xattrs conditions (they attach it to programs on the host)",
            "drop xattrs: containers get the profile by name",
        );
    } else if (p.xattrs !== undefined) {
        if (!Array.isArray(p.xattrs))
            c.fail(join(base, "xattrs"), "must be a list", "use [{ key, value }]");
        else
            p.xattrs.forEach((x, i) => {
                const xp = join(base, `xattrs[${i}]`);
                if (!isObj(x) || typeof x.key !== "string") {
                    c.fail(xp, "xattr needs a key", "use { key, value }");
                    return;
                }
                c.add(
                    join(xp, "key"),
                    /^[A-Za-z0-9_.+-]+$/.test(x.key)
                        ? undefined
                        : {
                              message: `xattr key ${JSON.stringify(x.key)} is not a plain attribute name`,
                              fix: "use a name such as security.foo or user.bar",
                          },
                );
                checkOptional(c, x, xp, "value", (s) => validateToken(s, "xattr value"));
            });
    }
    const rules = p.rules;
    if (!Array.isArray(rules)) {
        c.fail(join(base, "rules"), "profile rules must be a list", "use rules: []");
        return;
    }
    rules.forEach((r, i) => checkRule(c, r, join(base, `rules[${i}]`), depth));
    // hats and child profiles share one name space per profile ("Multiple definitions for hat")
    const nested = new Map<string, number>();
    rules.forEach((r, i) => {
        if (!isObj(r) || r.kind !== "profile" || typeof r.name !== "string") return;
        const prev = nested.get(r.name);
        if (prev === undefined) nested.set(r.name, i);
        else
            c.fail(
                join(base, `rules[${i}].name`),
                `${r.hat ? "hat" : "child profile"} ${JSON.stringify(r.name)} is defined twice (also rules[${prev}])`,
                "rename or merge one of them",
            );
    });
    // apparmor_parser merges allow rules with the same path and refuses different exec transitions
    // ("has merged rule /x with conflicting x modifiers"), whatever their owner/audit qualifiers.
    const execByPath = new Map<string, { mode: string; index: number }>();
    rules.forEach((r, i) => {
        if (!isObj(r) || r.kind !== "file" || r.deny || typeof r.path !== "string") return;
        if (typeof r.exec !== "string") return;
        const mode = r.target !== undefined ? `${r.exec} -> ${String(r.target)}` : r.exec;
        const prev = execByPath.get(r.path);
        if (!prev) {
            execByPath.set(r.path, { mode, index: i });
        } else if (prev.mode !== mode) {
            c.fail(
                join(base, `rules[${i}].exec`),
                `conflicting exec modes for ${r.path}: ${prev.mode} (rules[${prev.index}]) and ${mode}`,
                "give each path one exec transition",
            );
        }
    });
    const meaningful = rules.some((r) => isObj(r) && r.kind !== "comment");
    if (!meaningful && depth === 0) {
        c.fail(
            join(base, "rules"),
            `profile ${JSON.stringify(name)} has no rules (it would deny everything)`,
            "add rules, include an abstraction, or start from dockerDefault()",
        );
    }
}

function checkPreamble(c: Collector, item: Obj, base: string): void {
    switch (item.kind) {
        case "abi": {
            const problem = validateIncludePath(
                item.path as string,
                item.form as "angle" | "quoted",
            );
            c.add(join(base, "path"), problem);
            if (!problem && c.container)
                c.add(
                    join(base, "path"),
                    containerIncludeProblem(item.path as string, String(item.form), "abi"),
                );
            break;
        }
        case "include":
            checkInclude(c, item, base, "preamble");
            break;
        case "raw":
            checkRaw(c, item, base, 0, true);
            break;
        case "comment":
            checkRule(c, item, base, 0);
            break;
        case "variable":
            c.add(join(base, "name"), validateVariableName(item.name as string));
            if (item.op !== "=" && item.op !== "+=") {
                c.fail(
                    join(base, "op"),
                    `invalid operator ${JSON.stringify(item.op)}`,
                    'use "=" or "+="',
                );
            }
            checkStringArray(c, join(base, "values"), item.values, (s) => {
                const inv = invisibleProblem(s, "variable value");
                return (
                    inv ??
                    globProblem(s, "variable value", true) ??
                    variableRefProblem(s, "variable value")
                );
            });
            if (!Array.isArray(item.values) || item.values.length === 0) {
                c.fail(join(base, "values"), "variable has no values", "give at least one value");
            }
            break;
        case "alias":
            for (const [f, what] of [
                ["from", "alias source"],
                ["to", "alias target"],
            ] as const) {
                const v = item[f] as string;
                const problem = validatePath(v, what);
                c.add(
                    join(base, f),
                    problem ??
                        (v.includes("@")
                            ? {
                                  message: `${what} ${JSON.stringify(v)} uses a variable (apparmor_parser reads alias paths literally)`,
                                  fix: "write the path itself",
                              }
                            : undefined),
                );
            }
            break;
        case "profile":
            checkProfile(c, item, base, 0);
            break;
        default:
            c.fail(
                join(base, "kind"),
                `unknown item kind ${JSON.stringify(item.kind)}`,
                "use abi, include, variable, alias, comment, raw or profile",
            );
    }
}

/**
 * Validates a profile or a whole policy document and returns every problem found (empty = valid).
 * Pure: no I/O; safe to run at Pulumi preview time. Paths are relative to the argument:
 * `rules[3].path` for a profile, `items[1].rules[3].path` for a document.
 */
export function validateProfile(
    model: Profile | PolicyDocument,
    opts: ValidateOptions = {},
): ValidationProblem[] {
    const c = new Collector();
    c.container = !!opts.container;
    if (!isObj(model)) {
        c.fail(
            "",
            "profile is not an object",
            "pass a profile model (e.g. dockerDefault(...).toModel())",
        );
        return c.problems;
    }
    if (model.kind === "profile") {
        checkProfile(c, model as unknown as Obj, "", 0);
        return finish(c, model);
    }
    if (model.kind !== "document") {
        c.fail(
            "kind",
            `unknown model kind ${JSON.stringify(model.kind)}`,
            'pass a "profile" or a "document"',
        );
        return c.problems;
    }
    const items = (model as PolicyDocument).items;
    if (!Array.isArray(items)) {
        c.fail("items", "document items must be a list", "use items: [...]");
        return c.problems;
    }
    const names = new Map<string, number>();
    items.forEach((it, i) => {
        const base = `items[${i}]`;
        if (!isObj(it)) {
            c.fail(base, "item is not an object", "use model objects");
            return;
        }
        checkPreamble(c, it, base);
        if (it.kind === "profile" && typeof it.name === "string") {
            const prev = names.get(it.name);
            if (prev !== undefined) {
                c.fail(
                    join(base, "name"),
                    `profile ${JSON.stringify(it.name)} is defined twice (also items[${prev}])`,
                    "rename or merge one of them",
                );
            } else names.set(it.name, i);
        }
    });
    if (names.size === 0 && !items.some((it) => isObj(it) && it.kind === "profile")) {
        c.fail("items", "the document holds no profile", "add a profile");
    }
    return finish(c, model);
}

/**
 * Checks that need the whole file: variables (a document, or any model in container mode, where a
 * bare profile is the whole file), and `abstractions/` includes needing `tunables/global`.
 */
function finish(c: Collector, model: Profile | PolicyDocument): ValidationProblem[] {
    if (c.container || model.kind === "document") {
        const known = new Set(c.problems.map((p) => p.path));
        for (const p of variableProblems(model)) if (!known.has(p.path)) c.problems.push(p);
    }
    if (c.container && !c.tunablesGlobal)
        for (const at of c.abstractions)
            c.fail(
                at,
                "abstractions use the variables of tunables/global (@{PROC}, @{HOMEDIRS}, …), which this file does not include",
                "add include <tunables/global> at the top of the file (dockerDefault() does)",
            );
    return c.problems;
}
