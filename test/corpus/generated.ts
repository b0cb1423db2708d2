/**
 * Generated profile values: typed model values for every field of every rule kind (plain, edge and
 * hostile), and whole policy texts, each in a minimal profile. `validate.generated.test.ts` runs
 * every case through the validator and compiles each accepted one with the real `apparmor_parser`:
 * accepting a value promises that a host's parser accepts the rendered text.
 *
 * A case is host-dependent (`host: true`) when its validity depends on files or a parser version only
 * the host has (an include of a file, AppArmor 4 syntax kept raw): the validator cannot know, and the
 * compile at preview on each host checks it. Those are counted but not compiled here.
 */
import type { PolicyDocument, PolicyItem, Profile, ProfileItem } from "../../src/profile/model";
import { isAppArmor4Flag } from "../../src/profile/semantics";

export interface GeneratedCase {
    /** The field the value goes into, e.g. `file.path`, `mount.options`. */
    readonly field: string;
    /** The value (for display). */
    readonly value: string;
    /** A model holding the value, or */
    readonly model?: Profile | PolicyDocument;
    /** a policy text holding it (validated as `profileText`). */
    readonly text?: string;
    /** Validity depends on the host's files or parser version (not compiled locally). */
    readonly host?: boolean;
}

// Values are deliberately untyped: the generator builds models the type system would refuse too.
const P = (rules: unknown[], extra: Record<string, unknown> = {}): Profile =>
    ({ kind: "profile", name: "t", ...extra, rules }) as unknown as Profile;
const D = (pre: unknown[], prof: Profile): PolicyDocument =>
    ({ kind: "document", items: [...pre, prof] }) as unknown as PolicyDocument;
const TUNABLES: PolicyItem = { kind: "include", path: "tunables/global", form: "angle" };
const base: ProfileItem = { kind: "file", path: "/tmp/x", access: ["r"] };

// ---------------------------------------------------------------------------------------------------
// Value pools
// ---------------------------------------------------------------------------------------------------

/** Path-like values: plain, globs, escapes, variables, hostile. */
export const PATHS: readonly string[] = [
    "/tmp/x",
    "/",
    "/tmp/a b",
    "/tmp/a\tb",
    "/tmp/a\\ b",
    "/tmp/a\\\\",
    "/tmp/a\\\\b",
    "/tmp/a\\",
    "/tmp/a\\x41",
    "/tmp/a\\101",
    "/tmp/a\\d",
    "/tmp/a\\n",
    "/tmp/\\{",
    "/tmp/\\}",
    "/tmp/\\[",
    "/tmp/\\]",
    "/tmp/\\*",
    "/tmp/\\?",
    "/tmp/\\@{HOME}",
    "/tmp/{a,b}",
    "/tmp/{a,{b,c}}",
    "/tmp/{{a,b},c}",
    "/tmp/{a,b}{c,d}",
    "/tmp/{}",
    "/tmp/{a}",
    "/tmp/{,a}",
    "/tmp/{a,}",
    "/tmp/{,}",
    "/tmp/{a,b",
    "/tmp/a}",
    "/tmp/[a-z]",
    "/tmp/[^a]",
    "/tmp/[]",
    "/tmp/[a",
    "/tmp/[]]",
    "/tmp/[\\]]",
    "/tmp/[a-]",
    "/tmp/[z-a]",
    "/tmp/[{]",
    "/tmp/{[},]}",
    "/tmp/**",
    "/tmp/***",
    "/tmp/**/**",
    "/tmp/?",
    "/tmp/a,b",
    "/tmp/a\\,b",
    "/tmp/#x",
    "/tmp/a#",
    "/tmp/a!b",
    "/tmp/!x",
    '/tmp/a"b',
    '/tmp/a\\"b',
    "/tmp/=x",
    "/tmp/a=b",
    "/tmp/(x)",
    "/tmp/a^b",
    "/tmp/a$b",
    "/tmp/a%b",
    "/tmp/a;b",
    "/tmp/a&b",
    "/tmp/a|b",
    "/tmp/a<b>",
    "/tmp/a'b",
    "/tmp/a`b`",
    "/tmp/$(reboot)",
    "/tmp/ünï",
    "/tmp/\u00a0x",
    "/tmp/\u202ex",
    "/tmp/a\nb",
    "/tmp/a\rb",
    "/tmp/a\0b",
    "/tmp/a\x7f",
    "//",
    "//tmp",
    "/tmp//x",
    "/tmp/./x",
    "/tmp/../x",
    "/tmp/x/",
    "/tmp/x r, capability sys_admin",
    "/tmp/x r, } profile evil { /**",
    "/" + "a".repeat(4000),
    "/" + "a".repeat(5000),
    "tmp/x",
    "./x",
    "*",
    "",
    "@{HOME}/x",
    "@{PROC}/x",
    "@{profile_name}",
    "/tmp/@{profile_name}",
    "@{UNDEF}/x",
    "/tmp/@{UNDEF}",
    "/tmp/@{exec_path}",
    "/tmp/@",
    "/tmp/@{",
    "/tmp/@{}",
    "/tmp/@{a",
    "/tmp/@x",
    "/tmp/@{1a}",
    "/tmp/@{a-b}",
    "/tmp/@{HOME",
    "{/a,/b}",
    "{/a,b}",
    "{a,/b}",
    "{/a,/b}/**",
    "@{HOME}",
    "@{HOME}/",
    "@{HOME}/{a,b}/**",
    "@{HOME}@{HOME}",
    "/tmp/a\\ ",
    "/tmp/a ",
    " /tmp/a",
    "/tmp/a,",
    "/tmp/a\\,",
    "/tmp/->x",
    "/tmp/x -> y",
    "/tmp/x,y,z",
];

/** Peer and transition labels. */
export const LABELS: readonly string[] = [
    "unconfined",
    "foo",
    "docker-default",
    "foo//bar",
    "foo//&bar",
    "&foo",
    ":ns:foo",
    ":ns:",
    ":ns",
    "::foo",
    ":ns://foo",
    "foo//",
    "//foo",
    "foo///bar",
    "foo*",
    "foo{a,b}",
    "foo[0-9]",
    "/usr/bin/foo",
    "@{profile_name}",
    "@{UNDEF}",
    "@{HOME}",
    "a=b",
    "a)b",
    "a(b",
    "a b",
    "a,b",
    "a;b",
    '"x"',
    "$(id)",
    "a\nb",
    "-foo",
    "+foo",
    "=foo",
    "^foo",
    "foo^bar",
    "a\\b",
    "a\\",
    "\\",
    "*",
    "?",
    "",
    "x".repeat(300),
    "x".repeat(5000),
    "foo//bar//baz",
    "/usr/bin/man//&man_groff",
    "a:b",
    "a&b",
    "a&&b",
    "&",
    "&&foo",
    "a.b+c-d_e",
    "é",
];

/** Plain tokens (mount options, fstypes, dbus names, unix addresses …). */
export const TOKENS: readonly string[] = [
    "ext4",
    "tmpfs",
    "ro",
    "rw",
    "nosuid",
    "bind",
    "make-private",
    "foo",
    "mode=755",
    "size=10M",
    "ro,rw",
    "a b",
    "a)",
    "a(",
    "",
    "*",
    "ext*",
    "{ext3,ext4}",
    "[a-z]*",
    "org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    "Hello",
    "@/tmp/.X11-unix/X0",
    "@foo",
    "@",
    "none",
    "auto",
    "/tmp/sock",
    "a=b",
    "a\\ b",
    "a\\",
    "a\\\\",
    "a#b",
    "a;b",
    "a\nb",
    "é",
    "@{UNDEF}",
    "@{profile_name}",
    "x".repeat(5000),
];

/** Every mount option name apparmor_parser 3.0 knows, plus a few it does not. */
export const MOUNT_OPTIONS: readonly string[] = [
    "ro",
    "r",
    "read-only",
    "rw",
    "w",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "exec",
    "noexec",
    "sync",
    "async",
    "remount",
    "mand",
    "nomand",
    "dirsync",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "bind",
    "B",
    "move",
    "M",
    "rbind",
    "R",
    "verbose",
    "silent",
    "loud",
    "acl",
    "noacl",
    "unbindable",
    "make-unbindable",
    "runbindable",
    "make-runbindable",
    "private",
    "make-private",
    "rprivate",
    "make-rprivate",
    "slave",
    "make-slave",
    "rslave",
    "make-rslave",
    "shared",
    "make-shared",
    "rshared",
    "make-rshared",
    "relatime",
    "norelatime",
    "iversion",
    "noiversion",
    "strictatime",
    "user",
    "nouser",
    "nostrictatime",
    "lazytime",
    "nolazytime",
    "nosymfollow",
    "mode=755",
    "size=10M",
    "uid=0",
    "RO",
    "defaults",
    "foo",
    "ro*",
];

export const FLAGS: readonly string[] = [
    "complain",
    "enforce",
    "audit",
    "kill",
    "unconfined",
    "prompt",
    "attach_disconnected",
    "no_attach_disconnected",
    "mediate_deleted",
    "delegate_deleted",
    "chroot_relative",
    "namespace_relative",
    "chroot_attach",
    "chroot_no_attach",
    "debug",
    "foo",
    "error=EACCES",
    "error=EPERM",
    "error=ENOENT",
    "error=foo",
    "kill.signal=term",
    "attach_disconnected.path=/foo",
    "interruptible",
    "default_allow",
    "Complain",
    "complain,audit",
    "complain)",
    "",
];

export const CAPS: readonly string[] = [
    "chown",
    "sys_admin",
    "bpf",
    "perfmon",
    "checkpoint_restore",
    "audit_read",
    "mac_admin",
    "CAP_CHOWN",
    "all",
    "sys-admin",
    "",
    "chown sys_admin",
    "chown,",
];

export const DOMAINS: readonly string[] = [
    "unix",
    "inet",
    "inet6",
    "netlink",
    "packet",
    "ax25",
    "ipx",
    "appletalk",
    "netrom",
    "bridge",
    "atmpvc",
    "x25",
    "rose",
    "netbeui",
    "security",
    "key",
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
    "unspec",
    "INET",
    "foo",
];
export const SOCK_TYPES: readonly string[] = [
    "stream",
    "dgram",
    "seqpacket",
    "rdm",
    "raw",
    "packet",
    "dccp",
    "foo",
];
export const PROTOCOLS: readonly string[] = ["tcp", "udp", "icmp", "foo", "TCP", "6"];

export const SIGNAL_NAMES: readonly string[] = [
    "hup",
    "int",
    "kill",
    "term",
    "usr1",
    "stkflt",
    "emt",
    "exists",
    "lost",
    "unused",
    "rtmin+0",
    "rtmin+32",
    "rtmin+33",
    "rtmin",
    "SIGTERM",
    "15",
    "foo",
];
export const SIGNAL_ACCESS = ["send", "receive", "r", "w", "rw", "read", "write", "wr", "trace"];
export const PTRACE_ACCESS = [
    "trace",
    "read",
    "tracedby",
    "readby",
    "r",
    "w",
    "rw",
    "write",
    "send",
];
export const UNIX_ACCESS = [
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
    "read",
    "write",
    "foo",
];
export const DBUS_ACCESS = [
    "send",
    "receive",
    "bind",
    "eavesdrop",
    "r",
    "w",
    "rw",
    "read",
    "write",
    "foo",
];
export const RLIMIT_RESOURCES = [
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
    "foo",
];
export const RLIMIT_VALUES = [
    "0",
    "1024",
    "-5",
    "-21",
    "20",
    "19",
    "-20",
    "10KB",
    "10MB",
    "10GB",
    "10K",
    "10M",
    "10kb",
    "5s",
    "5sec",
    "5seconds",
    "5min",
    "5minutes",
    "5m",
    "5h",
    "5hours",
    "5d",
    "5days",
    "5week",
    "5weeks",
    "5ms",
    "5us",
    "5XYZ",
    "infinity",
    "inf",
    "99999999999999999999999",
    "",
    "1 024",
];

export const INCLUDES: readonly [string, "angle" | "quoted", boolean][] = [
    ["abstractions/base", "angle", false],
    ["abstractions/nameservice", "angle", false],
    ["tunables/global", "angle", false],
    ["abi/3.0", "angle", false],
    ["local/nonexistent-x", "angle", true],
    ["abstractions/base", "quoted", false],
    ["abstractions/nonexistent-x", "angle", true],
    ["/etc/apparmor.d/abstractions/base", "angle", false],
    ["/etc/apparmor.d/abstractions/base", "quoted", false],
    ["/etc/passwd", "quoted", false],
    ["/run/systemd/inaccessible/fifo", "quoted", false],
    ["/dev/zero", "quoted", false],
    ["../etc/passwd", "quoted", false],
    ["abstractions/../../passwd", "angle", false],
    ["abstractions/./base", "angle", false],
    ["abstractions//base", "angle", false],
    ["abstractions", "angle", false],
    ["abstractions/", "angle", false],
    ["tunables", "angle", false],
    ["abstractions/base ", "quoted", false],
    ["abstractions/base\n", "angle", false],
    ["sys/foo", "angle", false],
    ["etc/passwd", "angle", false],
    ["apache2.d", "angle", false],
    ["usr.sbin.dnsmasq", "angle", false],
    ["", "angle", false],
];

// ---------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------

/** Every generated case (deterministic order). */
export function generatedCases(): GeneratedCase[] {
    const out: GeneratedCase[] = [];
    const add = (field: string, value: string, model: Profile | PolicyDocument, host = false) =>
        out.push({ field, value, model, ...(host ? { host } : {}) });
    const addText = (field: string, value: string, text: string, host = false) =>
        out.push({ field, value, text, ...(host ? { host } : {}) });

    for (const v of PATHS) {
        add("file.path", v, P([{ kind: "file", path: v, access: ["r"] }]));
        add(
            "file.path (tunables)",
            v,
            D([TUNABLES], P([{ kind: "file", path: v, access: ["r"] }])),
        );
        add("deny file.path", v, P([{ kind: "file", deny: true, path: v, access: ["w"] }]));
        add("link.path", v, P([{ kind: "link", path: v, target: "/tmp/t" }]));
        add("link.target", v, P([{ kind: "link", path: "/tmp/l", target: v }]));
        add("mount.target", v, P([{ kind: "mount", conditions: [], target: v }]));
        add("umount.target", v, P([{ kind: "umount", conditions: [], target: v }]));
        add("pivot_root.newroot", v, P([{ kind: "pivot_root", newroot: v }]));
        add("pivot_root.oldroot", v, P([{ kind: "pivot_root", oldroot: v }]));
        add("change_profile.exec", v, P([{ kind: "change_profile", exec: v, target: "foo" }]));
        add("attachment", v, P([base], { attachment: v }));
        add("alias.from", v, D([{ kind: "alias", from: v, to: "/mnt/" }], P([base])));
        add(
            "variable.value",
            v,
            D(
                [{ kind: "variable", name: "V", op: "=", values: [v] }],
                P([{ kind: "file", path: "/tmp/@{V}", access: ["r"] }]),
            ),
        );
        add("profile.name (path form)", v, P([base], { name: v }));
    }
    for (const v of LABELS) {
        add("signal.peer", v, P([{ kind: "signal", access: ["send"], signals: [], peer: v }]));
        add("ptrace.peer", v, P([{ kind: "ptrace", access: ["read"], peer: v }]));
        add(
            "file.target",
            v,
            P([{ kind: "file", path: "/usr/bin/x", access: [], exec: "Px", target: v }]),
        );
        // stacking (&NAME) in change_profile needs kernel support (the host's parser checks it)
        add(
            "change_profile.target",
            v,
            P([{ kind: "change_profile", target: v }]),
            v.startsWith("&"),
        );
        add("pivot_root.target", v, P([{ kind: "pivot_root", newroot: "/new", target: v }]));
        add("unix.peer.label", v, P([{ kind: "unix", access: ["send"], peer: { label: v } }]));
        add("dbus.peer.label", v, P([{ kind: "dbus", access: ["send"], peer: { label: v } }]));
        add("profile.name", v, P([base], { name: v }));
        add("hat.name", v, P([base, { kind: "profile", name: v, hat: true, rules: [base] }]));
        add("child.name", v, P([base, { kind: "profile", name: v, rules: [base] }]));
    }
    for (const v of TOKENS) {
        add("mount.source", v, P([{ kind: "mount", conditions: [], source: v, target: "/mnt" }]));
        add(
            "mount.fstype",
            v,
            P([{ kind: "mount", conditions: [{ name: "fstype", op: "=", values: [v] }] }]),
        );
        add(
            "mount.fstype in",
            v,
            P([{ kind: "mount", conditions: [{ name: "fstype", op: "in", values: [v] }] }]),
        );
        add("unix.addr", v, P([{ kind: "unix", access: ["bind"], addr: v }]));
        add("unix.peer.addr", v, P([{ kind: "unix", access: ["send"], peer: { addr: v } }]));
        add("unix.type", v, P([{ kind: "unix", access: ["create"], type: v }]));
        add("unix.protocol", v, P([{ kind: "unix", access: ["create"], protocol: v }]));
        add("unix.label", v, P([{ kind: "unix", access: ["create"], label: v }]));
        add("unix.attr", v, P([{ kind: "unix", access: ["getattr"], attr: v }]));
        add("unix.opt", v, P([{ kind: "unix", access: ["getopt"], opt: v }]));
        for (const f of ["bus", "path", "interface", "member"] as const)
            add(`dbus.${f}`, v, P([{ kind: "dbus", access: ["send"], [f]: v }]));
        add("dbus.name", v, P([{ kind: "dbus", access: ["bind"], name: v }]));
        add("dbus.peer.name", v, P([{ kind: "dbus", access: ["send"], peer: { name: v } }]));
        add("xattrs.key", v, P([base], { xattrs: [{ key: v, value: "x" }] }));
        add("xattrs.value", v, P([base], { xattrs: [{ key: "user.x", value: v }] }));
    }
    for (const v of MOUNT_OPTIONS) {
        for (const kind of ["mount", "remount", "umount"] as const) {
            add(
                `${kind}.options`,
                v,
                P([{ kind, conditions: [{ name: "options", op: "=", values: [v] }] }] as never),
            );
            add(
                `${kind}.options in`,
                v,
                P([{ kind, conditions: [{ name: "options", op: "in", values: [v] }] }] as never),
            );
        }
    }
    for (const name of ["fstype", "vfstype", "options", "option", "foo", "src", "Options"])
        for (const kind of ["mount", "remount", "umount"] as const)
            add(
                `${kind}.conditions.name`,
                name,
                P([{ kind, conditions: [{ name, op: "=", values: ["ro"] }] }] as never),
            );
    // AppArmor 4 flags: a 3.x parser refuses them, a 4.x one accepts them (host-dependent)
    for (const v of FLAGS) add("flags", v, P([base], { flags: [v] }), isAppArmor4Flag(v));
    for (const pair of [
        ["complain", "audit"],
        ["complain", "enforce"],
        ["complain", "kill"],
        ["attach_disconnected", "mediate_deleted"],
        ["mediate_deleted", "delegate_deleted"],
        ["chroot_relative", "namespace_relative"],
        ["chroot_attach", "chroot_no_attach"],
        ["attach_disconnected", "no_attach_disconnected"],
        ["error=EACCES", "error=EPERM"],
        ["complain", "unconfined"],
        ["audit", "audit"],
    ])
        add("flags", pair.join(","), P([base], { flags: pair }));
    for (const v of CAPS) add("capability", v, P([{ kind: "capability", capabilities: [v] }]));
    for (const d of DOMAINS) {
        add("network.domain", d, P([{ kind: "network", domain: d }]));
        for (const t of SOCK_TYPES)
            add("network.domain+type", `${d} ${t}`, P([{ kind: "network", domain: d, type: t }]));
        for (const p of PROTOCOLS)
            add(
                "network.domain+protocol",
                `${d} ${p}`,
                P([{ kind: "network", domain: d, protocol: p }]),
            );
    }
    for (const t of SOCK_TYPES) add("network.type", t, P([{ kind: "network", type: t }]));
    for (const p of PROTOCOLS) add("network.protocol", p, P([{ kind: "network", protocol: p }]));
    for (const s of SIGNAL_NAMES)
        add("signal.signals", s, P([{ kind: "signal", access: ["send"], signals: [s] }]));
    for (const a of SIGNAL_ACCESS) {
        add("signal.access", a, P([{ kind: "signal", access: [a], signals: [] }]));
        add(
            "signal.access+peer",
            a,
            P([{ kind: "signal", access: [a], signals: ["hup"], peer: "x" }]),
        );
    }
    for (const a of PTRACE_ACCESS) add("ptrace.access", a, P([{ kind: "ptrace", access: [a] }]));
    for (const a of UNIX_ACCESS) {
        add("unix.access", a, P([{ kind: "unix", access: [a] }]));
        add("unix.access+peer", a, P([{ kind: "unix", access: [a], peer: { label: "x" } }]));
        add("unix.access+peer.addr", a, P([{ kind: "unix", access: [a], peer: { addr: "@x" } }]));
        add("unix.access+addr", a, P([{ kind: "unix", access: [a], addr: "@x" }]));
        add("unix.access+type", a, P([{ kind: "unix", access: [a], type: "stream" }]));
    }
    for (const a of DBUS_ACCESS) {
        add("dbus.access", a, P([{ kind: "dbus", access: [a] }]));
        add("dbus.access+bus", a, P([{ kind: "dbus", access: [a], bus: "session" }]));
        add("dbus.access+name", a, P([{ kind: "dbus", access: [a], name: "org.x" }]));
        add("dbus.access+path", a, P([{ kind: "dbus", access: [a], path: "/org/x" }]));
        add("dbus.access+member", a, P([{ kind: "dbus", access: [a], member: "Hello" }]));
        add(
            "dbus.access+peer.name",
            a,
            P([{ kind: "dbus", access: [a], peer: { name: "org.y" } }]),
        );
        add("dbus.access+peer.label", a, P([{ kind: "dbus", access: [a], peer: { label: "y" } }]));
    }
    add("dbus.name+path", "", P([{ kind: "dbus", name: "org.x", path: "/org/x" }]));
    add(
        "dbus.name+peer",
        "",
        P([{ kind: "dbus", name: "org.x", peer: { name: "org.y" } }] as never),
    );
    for (const r of RLIMIT_RESOURCES)
        for (const v of RLIMIT_VALUES)
            add("rlimit", `${r} <= ${v}`, P([{ kind: "rlimit", resource: r, value: v }]));
    for (const [path, form, missing] of INCLUDES) {
        const label = `${form === "angle" ? "<" : '"'}${path}${form === "angle" ? ">" : '"'}`;
        add("include (profile)", label, P([base, { kind: "include", path, form }]), missing);
        add(
            "include if exists (profile)",
            label,
            P([base, { kind: "include", path, form, ifExists: true }]),
        );
        add("include (preamble)", label, D([{ kind: "include", path, form }], P([base])), missing);
        add("abi", label, D([{ kind: "abi", path, form }], P([base])), missing);
    }
    // file rule shapes
    const perms: [string, Partial<Record<string, unknown>>][] = [
        ["r", { access: ["r"] }],
        ["w", { access: ["w"] }],
        ["a", { access: ["a"] }],
        ["l", { access: ["l"] }],
        ["k", { access: ["k"] }],
        ["m", { access: ["m"] }],
        ["mr", { access: ["m", "r"] }],
        ["rwlk", { access: ["r", "w", "l", "k"] }],
        ["ix", { access: [], exec: "ix" }],
        ["px", { access: [], exec: "px" }],
        ["Px", { access: [], exec: "Px" }],
        ["cx", { access: [], exec: "cx" }],
        ["Cx", { access: [], exec: "Cx" }],
        ["ux", { access: [], exec: "ux" }],
        ["Ux", { access: [], exec: "Ux" }],
        ["pix", { access: [], exec: "pix" }],
        ["Pix", { access: [], exec: "Pix" }],
        ["cix", { access: [], exec: "cix" }],
        ["Cix", { access: [], exec: "Cix" }],
        ["pux", { access: [], exec: "pux" }],
        ["PUx", { access: [], exec: "PUx" }],
        ["cux", { access: [], exec: "cux" }],
        ["CUx", { access: [], exec: "CUx" }],
        ["x", { access: [], exec: "x" }],
        ["mrix", { access: ["m", "r"], exec: "ix" }],
        ["wix", { access: ["w"], exec: "ix" }],
        ["rwx (allow)", { access: ["r", "w"], exec: "x" }],
    ];
    for (const [label, p] of perms) {
        for (const q of [
            {},
            { deny: true },
            { audit: true },
            { owner: true },
            { audit: true, deny: true },
        ]) {
            for (const em of [undefined, "safe", "unsafe"]) {
                const rule = {
                    kind: "file",
                    path: "/usr/bin/x",
                    ...p,
                    ...q,
                    ...(em ? { execMode: em } : {}),
                } as never;
                add(`file.perms ${JSON.stringify(q)} ${em ?? ""}`.trim(), label, P([rule]));
            }
            const withTarget = {
                kind: "file",
                path: "/usr/bin/x",
                ...p,
                ...q,
                target: "foo",
            } as never;
            add(`file.perms+target ${JSON.stringify(q)}`, label, P([withTarget]));
        }
    }
    add("file (bare)", "file,", P([{ kind: "file", access: [] }]));
    add("file (bare, deny)", "deny file,", P([{ kind: "file", access: [], deny: true }]));
    add("file (bare, owner)", "owner file,", P([{ kind: "file", access: [], owner: true }]));
    add("link subset", "subset", P([{ kind: "link", subset: true, path: "/a", target: "/b" }]));
    add("link deny", "deny", P([{ kind: "link", deny: true, path: "/a", target: "/b" }]));
    add("link owner", "owner", P([{ kind: "link", owner: true, path: "/a", target: "/b" }]));
    add(
        "change_profile safe",
        "safe",
        P([{ kind: "change_profile", execMode: "safe", target: "x" }]),
    );
    add(
        "change_profile unsafe",
        "unsafe",
        P([{ kind: "change_profile", execMode: "unsafe", exec: "/x", target: "y" }]),
    );
    add(
        "change_profile safe exec",
        "safe",
        P([{ kind: "change_profile", execMode: "safe", exec: "/x", target: "y" }]),
    );
    add("change_profile bare", "", P([{ kind: "change_profile" }]));
    add("change_profile exec only", "/x", P([{ kind: "change_profile", exec: "/x" }]));
    add("change_profile deny", "deny", P([{ kind: "change_profile", deny: true, target: "x" }]));
    add("pivot_root bare", "", P([{ kind: "pivot_root" }]));
    add("pivot_root deny target", "", P([{ kind: "pivot_root", deny: true, target: "x" }]));
    add("mount deny", "", P([{ kind: "mount", deny: true, conditions: [] }]));
    add("remount bare", "", P([{ kind: "remount", conditions: [] }]));
    add(
        "mount src+fstype",
        "",
        P([
            {
                kind: "mount",
                conditions: [{ name: "fstype", op: "=", values: ["ext4"] }],
                source: "/dev/sda1",
                target: "/mnt",
            },
        ]),
    );
    add(
        "remount options+fstype",
        "",
        P([
            {
                kind: "remount",
                conditions: [
                    { name: "fstype", op: "=", values: ["ext4"] },
                    { name: "options", op: "=", values: ["ro"] },
                ],
                target: "/mnt",
            },
        ]),
    );
    add(
        "mount two option lists",
        "",
        P([
            {
                kind: "mount",
                conditions: [
                    { name: "options", op: "=", values: ["ro"] },
                    { name: "options", op: "in", values: ["nosuid"] },
                ],
            },
        ]),
    );
    add(
        "mount many fstypes",
        "",
        P([{ kind: "mount", conditions: [{ name: "fstype", op: "=", values: ["ext3", "ext4"] }] }]),
    );
    add("signal deny", "", P([{ kind: "signal", deny: true, access: [], signals: [] }]));
    add("ptrace bare", "", P([{ kind: "ptrace", access: [] }]));
    add("unix bare", "", P([{ kind: "unix", access: [] }]));
    add("dbus bare", "", P([{ kind: "dbus", access: [] }]));
    add("network deny", "", P([{ kind: "network", deny: true }]));
    add("capability all deny", "", P([{ kind: "capability", deny: true, capabilities: [] }]));
    add(
        "capability owner",
        "",
        P([{ kind: "capability", owner: true, capabilities: [] } as never]),
    );
    // variables
    const varDocs: [string, unknown[], string][] = [
        ["defined", [{ kind: "variable", name: "V", op: "=", values: ["/a"] }], "@{V}/x"],
        ["undefined", [], "@{V}/x"],
        ["append undefined", [{ kind: "variable", name: "V", op: "+=", values: ["/a"] }], "@{V}/x"],
        [
            "append defined",
            [
                { kind: "variable", name: "V", op: "=", values: ["/a"] },
                { kind: "variable", name: "V", op: "+=", values: ["/b"] },
            ],
            "@{V}/x",
        ],
        [
            "redefined",
            [
                { kind: "variable", name: "V", op: "=", values: ["/a"] },
                { kind: "variable", name: "V", op: "=", values: ["/b"] },
            ],
            "@{V}/x",
        ],
        [
            "self reference",
            [{ kind: "variable", name: "V", op: "=", values: ["@{V}/a"] }],
            "@{V}/x",
        ],
        [
            "chain",
            [
                { kind: "variable", name: "W", op: "=", values: ["/w"] },
                { kind: "variable", name: "V", op: "=", values: ["@{W}/a"] },
            ],
            "@{V}/x",
        ],
        [
            "chain undefined",
            [{ kind: "variable", name: "V", op: "=", values: ["@{W}/a"] }],
            "@{V}/x",
        ],
        [
            "forward reference",
            [
                { kind: "variable", name: "V", op: "=", values: ["@{W}/a"] },
                { kind: "variable", name: "W", op: "=", values: ["/w"] },
            ],
            "@{V}/x",
        ],
        ["relative value", [{ kind: "variable", name: "V", op: "=", values: ["rel"] }], "@{V}/x"],
        [
            "relative value mid",
            [{ kind: "variable", name: "V", op: "=", values: ["rel"] }],
            "/tmp/@{V}",
        ],
        [
            "empty alternation",
            [{ kind: "variable", name: "V", op: "=", values: ["{a,}"] }],
            "/tmp/@{V}",
        ],
        ["tunables HOME", [TUNABLES], "@{HOME}/x"],
        [
            "tunables redefine HOME",
            [TUNABLES, { kind: "variable", name: "HOME", op: "=", values: ["/h"] }],
            "@{HOME}/x",
        ],
        [
            "tunables append HOMEDIRS",
            [TUNABLES, { kind: "variable", name: "HOMEDIRS", op: "+=", values: ["/srv/"] }],
            "@{HOME}/x",
        ],
        [
            "append HOMEDIRS before tunables",
            [{ kind: "variable", name: "HOMEDIRS", op: "+=", values: ["/srv/"] }, TUNABLES],
            "@{HOME}/x",
        ],
        [
            "tunables proc only",
            [{ kind: "include", path: "tunables/proc", form: "angle" }],
            "@{HOME}/x",
        ],
        ["tunables unknown var", [TUNABLES], "@{bin}/x"],
        [
            "variable name lower",
            [{ kind: "variable", name: "v_1", op: "=", values: ["/a"] }],
            "@{v_1}/x",
        ],
        [
            "variable name _x",
            [{ kind: "variable", name: "_x", op: "=", values: ["/a"] }],
            "@{_x}/x",
        ],
        ["profile_name", [], "/tmp/@{profile_name}"],
        [
            "redefine profile_name",
            [{ kind: "variable", name: "profile_name", op: "=", values: ["/a"] }],
            "/tmp/x",
        ],
        [
            "unused undefined in value",
            [{ kind: "variable", name: "V", op: "=", values: ["@{W}"] }],
            "/tmp/x",
        ],
        [
            "value with space",
            [{ kind: "variable", name: "V", op: "=", values: ["/a b"] }],
            "@{V}/x",
        ],
        ["value #", [{ kind: "variable", name: "V", op: "=", values: ["#a"] }], "/tmp/x"],
        ["value =", [{ kind: "variable", name: "V", op: "=", values: ["=a"] }], "/tmp/x"],
        [
            "value trailing backslash",
            [{ kind: "variable", name: "V", op: "=", values: ["/a\\\\"] }],
            "@{V}/x",
        ],
        ["value comma", [{ kind: "variable", name: "V", op: "=", values: ["/a,b"] }], "@{V}/x"],
        ["value braces", [{ kind: "variable", name: "V", op: "=", values: ["/{a,b}"] }], "@{V}/x"],
    ];
    for (const [label, pre, path] of varDocs)
        add("variables", label, D(pre, P([{ kind: "file", path, access: ["r"] }])));
    add(
        "variables in label",
        "@{V}",
        D(
            [{ kind: "variable", name: "V", op: "=", values: ["foo"] }],
            P([{ kind: "signal", access: [], signals: [], peer: "@{V}" }]),
        ),
    );
    add(
        "variables in bare profile",
        "@{HOME}",
        P([{ kind: "file", path: "@{HOME}/x", access: ["r"] }]),
    );
    add(
        "variables in name",
        "@{V}",
        D(
            [{ kind: "variable", name: "V", op: "=", values: ["/usr/bin/x"] }],
            P([base], { name: "@{V}" }),
        ),
    );
    // profile structure
    add(
        "hat in hat",
        "",
        P([
            base,
            {
                kind: "profile",
                name: "h",
                hat: true,
                rules: [base, { kind: "profile", name: "h2", hat: true, rules: [base] }],
            },
        ]),
    );
    add("empty hat", "", P([base, { kind: "profile", name: "h", hat: true, rules: [] }]));
    add(
        "duplicate hats",
        "",
        P([
            base,
            { kind: "profile", name: "h", hat: true, rules: [base] },
            { kind: "profile", name: "h", hat: true, rules: [base] },
        ]),
    );
    add(
        "hat and child same name",
        "",
        P([
            base,
            { kind: "profile", name: "h", hat: true, rules: [base] },
            { kind: "profile", name: "h", rules: [base] },
        ]),
    );
    add(
        "child with flags",
        "",
        P([base, { kind: "profile", name: "c", flags: ["complain"], rules: [base] }]),
    );
    add(
        "child with attachment",
        "",
        P([base, { kind: "profile", name: "c", attachment: "/usr/bin/c", rules: [base] }]),
    );
    add(
        "cx to child",
        "",
        P([
            { kind: "file", path: "/usr/bin/c", access: [], exec: "cx", target: "c" },
            { kind: "profile", name: "c", rules: [base] },
        ]),
    );
    add(
        "cx to missing child",
        "",
        P([{ kind: "file", path: "/usr/bin/c", access: [], exec: "cx", target: "nochild" }]),
    );
    add("two profiles", "", { kind: "document", items: [P([base]), P([base], { name: "u" })] });
    add("comment text", "include <x>", P([base, { kind: "comment", text: "include <x>" }]));
    add("comment text", " #include <x>", P([base, { kind: "comment", text: " #include <x>" }]));
    add("comment text", "include", P([base, { kind: "comment", text: "include" }]));
    // raw rules: typed syntax inside raw text is checked like the model; untyped syntax (AppArmor 4
    // rules, conditionals) depends on the host's parser
    const raws: [string, boolean][] = [
        ["capability chown,", false],
        ["capability foo,", false],
        ["network inet tcp,", false],
        ["/tmp/@{UNDEF} r,", false],
        ["mount options=(foo) -> /mnt,", false],
        ["garbage here,", false],
        ["/tmp/x rw, /tmp/y r,", false],
        ["include <abstractions/base>", false],
        ['#include "/etc/passwd"', false],
        ['include "/run/systemd/inaccessible/fifo"', false],
        ["unix (send) label=foo,", false],
        ["profile x { /x r, }", false],
        ["^hat { /x r, }", false],
        ["userns,", true],
        ["mqueue,", true],
        ["all,", true],
        ["audit { /x r, }", true],
        ["if ${FOO} { /x r, }", true],
        ["set rlimit nofile <= 10MB,", false],
        ["file,", false],
        ["/x r, # comment", false],
    ];
    for (const [r, host] of raws) add("raw", r, P([base, { kind: "raw", text: r }]), host);
    add(
        "raw (preamble)",
        "@{X}=/a",
        D([{ kind: "raw", text: "@{X}=/a" }], P([{ kind: "file", path: "@{X}/b", access: ["r"] }])),
    );
    add(
        "raw (preamble)",
        "include </etc/passwd>",
        D([{ kind: "raw", text: "include </etc/passwd>" }], P([base])),
    );

    // texts (profileText)
    const texts: [string, string][] = [
        ["plain", "profile web {\n  /tmp/x r,\n}\n"],
        ["flags", "profile web flags=(attach_disconnected,mediate_deleted) {\n  /tmp/x r,\n}\n"],
        [
            "flags spaced",
            "profile web flags=(attach_disconnected, mediate_deleted) {\n  /tmp/x r,\n}\n",
        ],
        ["flags without flags=", "profile web (complain) {\n  /tmp/x r,\n}\n"],
        ["flags = spaced", "profile web flags = (complain) {\n  /tmp/x r,\n}\n"],
        ["flags= (", "profile web flags= (complain) {\n  /tmp/x r,\n}\n"],
        ["quoted name", 'profile "web" {\n  /tmp/x r,\n}\n'],
        ["brace on next line", "profile web\n{\n  /tmp/x r,\n}\n"],
        ["flags on next line", "profile web\n  flags=(complain) {\n  /tmp/x r,\n}\n"],
        ["flags split", "profile web flags=(complain,\n  attach_disconnected) {\n  /tmp/x r,\n}\n"],
        ["name on next line", "profile\nweb {\n  /tmp/x r,\n}\n"],
        ["indented", "  profile web {\n  /tmp/x r,\n}\n"],
        ["tab", "profile\tweb\t{\n  /tmp/x r,\n}\n"],
        ["no space before brace", "profile web{\n  /tmp/x r,\n}\n"],
        ["one line", "profile web { /tmp/x r, }\n"],
        ["attachment", "profile web /** {\n  /tmp/x r,\n}\n"],
        ["attachment quoted", 'profile web "/usr/bin/web" {\n  /tmp/x r,\n}\n'],
        ["xattrs", "profile web xattrs=(user.x=y) {\n  /tmp/x r,\n}\n"],
        ["keyword-less path profile", "/usr/bin/web {\n  /tmp/x r,\n}\n"],
        ["crlf", "profile web {\r\n  /tmp/x r,\r\n}\r\n"],
        ["header in comment first", "# profile web {\nprofile web {\n  /tmp/x r,\n}\n"],
        [
            "preamble",
            "abi <abi/3.0>,\ninclude <tunables/global>\nprofile web {\n  include <abstractions/base>\n  @{HOME}/x r,\n}\n",
        ],
        ["absolute include", 'profile web {\n  #include "/etc/passwd"\n  /tmp/x r,\n}\n'],
        ["undefined variable", "profile web {\n  @{HOME}/x r,\n}\n"],
        [
            "child named like the profile",
            "profile web {\n  /tmp/x r,\n  profile web {\n    /x r,\n  }\n}\n",
        ],
        ["hat", "profile web {\n  /tmp/x r,\n  ^h {\n    /x r,\n  }\n}\n"],
        ["unknown flag", "profile web flags=(foo) {\n  /tmp/x r,\n}\n"],
        ["name with +", "profile web+1 {\n  /tmp/x r,\n}\n"],
        ["header after rules of another", "profile web { /tmp/x r, }\n"],
        ["flags unclosed on line", "profile web flags=(complain {\n  /tmp/x r,\n}\n"],
        ["conditional", "$FOO=true\nprofile web {\n  if $FOO {\n    /tmp/x r,\n  }\n}\n"],
    ];
    for (const [label, t] of texts) addText("profileText", label, t, label === "conditional");
    return out;
}
