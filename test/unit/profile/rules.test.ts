/**
 * Table tests for every rule type: source text → typed model → canonical text, and the canonical
 * text parses back to the same model.
 */

import * as assert from "assert";
import { parseRule, ProfileItem, renderRule } from "../../../src/profile";
import { compile, haveApparmorParser } from "../../corpus/corpus";

interface Case {
    /** rule text as it may appear in a profile body. */
    readonly src: string;
    readonly model: ProfileItem;
    /** canonical rendering (defaults to `src`). */
    readonly out?: string;
}

const CASES: readonly Case[] = [
    // --- file ---
    { src: "/etc/passwd r,", model: { kind: "file", path: "/etc/passwd", access: ["r"] } },
    {
        src: "/usr/lib/** rm,",
        model: { kind: "file", path: "/usr/lib/**", access: ["m", "r"] },
        out: "/usr/lib/** mr,",
    },
    {
        src: "owner @{HOME}/.cache/** rwk,",
        model: { kind: "file", owner: true, path: "@{HOME}/.cache/**", access: ["r", "w", "k"] },
    },
    {
        src: "audit deny /tmp/a/** rwlx,",
        model: {
            kind: "file",
            audit: true,
            deny: true,
            path: "/tmp/a/**",
            access: ["r", "w", "l"],
            exec: "x",
        },
        out: "audit deny /tmp/a/** rwlx,",
    },
    {
        src: "allow /var/log/app.log a,",
        model: { kind: "file", allow: true, path: "/var/log/app.log", access: ["a"] },
    },
    {
        src: "/usr/bin/foo Px -> foo_profile,",
        model: {
            kind: "file",
            path: "/usr/bin/foo",
            access: [],
            exec: "Px",
            target: "foo_profile",
        },
    },
    ...(
        [
            "ix",
            "px",
            "Px",
            "cx",
            "Cx",
            "ux",
            "Ux",
            "pix",
            "Pix",
            "cix",
            "Cix",
            "pux",
            "PUx",
            "cux",
            "CUx",
        ] as const
    ).map(
        (m): Case => ({
            src: `/bin/x-${m} r${m},`,
            model: { kind: "file", path: `/bin/x-${m}`, access: ["r"], exec: m },
        }),
    ),
    {
        src: "/bin/y Pux,",
        model: { kind: "file", path: "/bin/y", access: [], exec: "PUx" },
        out: "/bin/y PUx,",
    },
    {
        src: "rw /leading/form,",
        model: { kind: "file", path: "/leading/form", access: ["r", "w"] },
        out: "/leading/form rw,",
    },
    {
        src: "file /explicit/keyword r,",
        model: { kind: "file", path: "/explicit/keyword", access: ["r"] },
        out: "/explicit/keyword r,",
    },
    {
        src: "file unsafe /usr/bin/u px -> u,",
        model: {
            kind: "file",
            path: "/usr/bin/u",
            access: [],
            exec: "px",
            target: "u",
            execMode: "unsafe",
        },
        out: "unsafe /usr/bin/u px -> u,",
    },
    {
        src: "owner safe /usr/bin/s Px,",
        model: {
            kind: "file",
            owner: true,
            path: "/usr/bin/s",
            access: [],
            exec: "Px",
            execMode: "safe",
        },
    },
    { src: "network unspec dgram,", model: { kind: "network", domain: "unspec", type: "dgram" } },
    { src: "file,", model: { kind: "file", access: [] } },
    { src: "audit file,", model: { kind: "file", audit: true, access: [] } },
    {
        src: '"/path with space/**" r,',
        model: { kind: "file", path: "/path with space/**", access: ["r"] },
    },
    {
        src: '"@{HOME}=/x" r,',
        model: { kind: "file", path: "@{HOME}=/x", access: ["r"] },
    },
    {
        src: "@{HOME} r,",
        model: { kind: "file", path: "@{HOME}", access: ["r"] },
    },
    {
        src: "/usr/{bin,sbin}/bar ix,",
        model: { kind: "file", path: "/usr/{bin,sbin}/bar", access: [], exec: "ix" },
    },
    {
        src: "user /x w,",
        model: { kind: "file", owner: true, path: "/x", access: ["w"] },
        out: "owner /x w,",
    },
    // --- link ---
    {
        src: "link /a -> /b,",
        model: { kind: "link", path: "/a", target: "/b" },
    },
    {
        src: "owner link subset /a/** -> /b/**,",
        model: { kind: "link", owner: true, subset: true, path: "/a/**", target: "/b/**" },
    },
    {
        src: "link <= /a -> /b,",
        model: { kind: "link", subset: true, path: "/a", target: "/b" },
        out: "link subset /a -> /b,",
    },
    // --- capability ---
    { src: "capability,", model: { kind: "capability", capabilities: [] } },
    {
        src: "capability setuid chown setuid,",
        model: { kind: "capability", capabilities: ["chown", "setuid"] },
        out: "capability chown setuid,",
    },
    {
        src: "deny capability fsetid,",
        model: { kind: "capability", deny: true, capabilities: ["fsetid"] },
    },
    {
        src: "audit capability sys_admin,",
        model: { kind: "capability", audit: true, capabilities: ["sys_admin"] },
    },
    // --- network ---
    { src: "network,", model: { kind: "network" } },
    { src: "network inet stream,", model: { kind: "network", domain: "inet", type: "stream" } },
    { src: "network inet tcp,", model: { kind: "network", domain: "inet", protocol: "tcp" } },
    { src: "network raw,", model: { kind: "network", type: "raw" } },
    { src: "network netlink raw,", model: { kind: "network", domain: "netlink", type: "raw" } },
    { src: "deny network inet6,", model: { kind: "network", deny: true, domain: "inet6" } },
    // --- mount family ---
    { src: "mount,", model: { kind: "mount", conditions: [] } },
    {
        src: "mount fstype=tmpfs options=(rw,nosuid) none -> /tmp/,",
        model: {
            kind: "mount",
            conditions: [
                { name: "fstype", op: "=", values: ["tmpfs"] },
                { name: "options", op: "=", values: ["rw", "nosuid"] },
            ],
            source: "none",
            target: "/tmp/",
        },
        out: "mount fstype=tmpfs options=(rw, nosuid) none -> /tmp/,",
    },
    {
        src: "mount options in (ro, remount) -> /**,",
        model: {
            kind: "mount",
            conditions: [{ name: "options", op: "in", values: ["ro", "remount"] }],
            target: "/**",
        },
    },
    {
        src: "deny mount fstype=(ext3 ext4) /dev/sd* -> /mnt/,",
        model: {
            kind: "mount",
            deny: true,
            conditions: [{ name: "fstype", op: "=", values: ["ext3", "ext4"] }],
            source: "/dev/sd*",
            target: "/mnt/",
        },
        out: "deny mount fstype=(ext3, ext4) /dev/sd* -> /mnt/,",
    },
    {
        src: "remount options=(ro) /,",
        model: {
            kind: "remount",
            conditions: [{ name: "options", op: "=", values: ["ro"] }],
            target: "/",
        },
        out: "remount options=ro /,",
    },
    { src: "umount /sys/,", model: { kind: "umount", conditions: [], target: "/sys/" } },
    {
        src: "unmount,",
        model: { kind: "umount", conditions: [] },
        out: "umount,",
    },
    {
        src: "pivot_root oldroot=/mnt/old/ /mnt/ -> child,",
        model: { kind: "pivot_root", oldroot: "/mnt/old/", newroot: "/mnt/", target: "child" },
    },
    { src: "pivot_root,", model: { kind: "pivot_root" } },
    // --- signal ---
    { src: "signal,", model: { kind: "signal", access: [], signals: [] } },
    {
        src: "signal (receive) peer=unconfined,",
        model: { kind: "signal", access: ["receive"], signals: [], peer: "unconfined" },
        out: "signal receive peer=unconfined,",
    },
    {
        src: "signal (send,receive) set=(term, kill) peer=runc,",
        model: {
            kind: "signal",
            access: ["receive", "send"],
            signals: ["kill", "term"],
            peer: "runc",
        },
        out: "signal (receive, send) set=(kill, term) peer=runc,",
    },
    {
        src: "audit deny signal send set=hup,",
        model: { kind: "signal", audit: true, deny: true, access: ["send"], signals: ["hup"] },
        out: "audit deny signal send set=(hup),",
    },
    // --- ptrace ---
    { src: "ptrace,", model: { kind: "ptrace", access: [] } },
    {
        src: "ptrace (trace,read,tracedby,readby) peer=docker-default,",
        model: {
            kind: "ptrace",
            access: ["read", "readby", "trace", "tracedby"],
            peer: "docker-default",
        },
        out: "ptrace (read, readby, trace, tracedby) peer=docker-default,",
    },
    {
        src: "deny ptrace readby,",
        model: { kind: "ptrace", deny: true, access: ["readby"] },
    },
    // --- unix ---
    { src: "unix,", model: { kind: "unix", access: [] } },
    {
        src: "unix (send, receive) type=stream peer=(label=unconfined, addr=@/tmp/.X11-unix/*),",
        model: {
            kind: "unix",
            access: ["receive", "send"],
            type: "stream",
            peer: { label: "unconfined", addr: "@/tmp/.X11-unix/*" },
        },
        out: "unix (receive, send) type=stream peer=(label=unconfined, addr=@/tmp/.X11-unix/*),",
    },
    {
        src: "unix bind type=dgram addr=@foo,",
        model: { kind: "unix", access: ["bind"], type: "dgram", addr: "@foo" },
    },
    // --- dbus ---
    { src: "dbus,", model: { kind: "dbus", access: [] } },
    {
        src: `dbus send
            bus=system
            path=/org/freedesktop/DBus
            interface=org.freedesktop.DBus
            member={Hello,AddMatch}
            peer=(name=org.freedesktop.DBus, label=unconfined),`,
        model: {
            kind: "dbus",
            access: ["send"],
            bus: "system",
            path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus",
            member: "{Hello,AddMatch}",
            peer: { name: "org.freedesktop.DBus", label: "unconfined" },
        },
        out:
            "dbus send bus=system path=/org/freedesktop/DBus interface=org.freedesktop.DBus " +
            "member={Hello,AddMatch} peer=(name=org.freedesktop.DBus, label=unconfined),",
    },
    {
        src: "dbus bind bus=session name=org.example.Foo,",
        model: { kind: "dbus", access: ["bind"], bus: "session", name: "org.example.Foo" },
    },
    {
        src: "deny dbus eavesdrop,",
        model: { kind: "dbus", deny: true, access: ["eavesdrop"] },
    },
    // --- change_profile ---
    { src: "change_profile,", model: { kind: "change_profile" } },
    {
        src: "change_profile -> foo,",
        model: { kind: "change_profile", target: "foo" },
    },
    {
        src: "change_profile unsafe /usr/bin/* -> @{exec_target}//child,",
        model: {
            kind: "change_profile",
            execMode: "unsafe",
            exec: "/usr/bin/*",
            target: "@{exec_target}//child",
        },
    },
    // --- rlimit ---
    {
        src: "set rlimit nofile <= 1024,",
        model: { kind: "rlimit", resource: "nofile", value: "1024" },
    },
    {
        src: "set rlimit as <= 10 MB,",
        model: { kind: "rlimit", resource: "as", value: "10MB" },
        out: "set rlimit as <= 10MB,",
    },
    {
        src: "set rlimit cpu <= infinity,",
        model: { kind: "rlimit", resource: "cpu", value: "infinity" },
    },
    // --- include / comment / raw ---
    {
        src: "include <abstractions/base>",
        model: { kind: "include", path: "abstractions/base", form: "angle" },
    },
    {
        src: "#include <abstractions/nameservice>",
        model: { kind: "include", path: "abstractions/nameservice", form: "angle", hash: true },
    },
    {
        src: "include if exists <local/usr.bin.foo>",
        model: { kind: "include", path: "local/usr.bin.foo", form: "angle", ifExists: true },
    },
    {
        src: 'include "/etc/apparmor.d/abstractions/base"',
        model: { kind: "include", path: "/etc/apparmor.d/abstractions/base", form: "quoted" },
    },
    {
        src: "# a comment, kept",
        model: { kind: "comment", text: " a comment, kept" },
    },
    {
        src: "audit {\n  /x r,\n}",
        model: { kind: "raw", text: "audit {\n/x r,\n}" },
        out: "audit {\n/x r,\n}",
    },
    {
        src: "if $FOO {\n  /x r,\n} else {\n  /y r,\n}",
        model: { kind: "raw", text: "if $FOO {\n/x r,\n} else {\n/y r,\n}" },
        out: "if $FOO {\n/x r,\n} else {\n/y r,\n}",
    },
    {
        src: "other /x r,",
        model: { kind: "raw", text: "other /x r," },
    },
    // AppArmor 4.1's prompt mode parses as raw text (the ABI 4 kinds are in abi4.test.ts)
    { src: "prompt /x r,", model: { kind: "raw", text: "prompt /x r," } },
    {
        src: "all /x,",
        model: { kind: "file", path: "/x", access: ["a", "l"] },
        out: "/x al,",
    },
];

/** Entries that need context from outside the rule to compile (undefined boolean variable). */
const NOT_COMPILABLE_ALONE = new Set([
    "if $FOO {\n  /x r,\n} else {\n  /y r,\n}",
    // 4.x-only syntax (apparmor_parser 3.0 rejects it)
    "prompt /x r,",
]);

describe("profile rules: parse and render tables", function () {
    for (const c of CASES) {
        const label = c.src.replace(/\s+/g, " ").slice(0, 70);
        it(`${c.model.kind}: ${label}`, function () {
            const parsed = parseRule(c.src);
            assert.deepStrictEqual(parsed, c.model);
            const out = renderRule(parsed);
            assert.strictEqual(out, c.out ?? c.src);
            assert.deepStrictEqual(parseRule(out), c.model, "canonical text parses back");
        });
    }

    it("covers every rule kind of the model", function () {
        const kinds = new Set(CASES.map((c) => c.model.kind));
        for (const k of [
            "file", "link", "capability", "network", "mount", "remount", "umount", "pivot_root",
            "signal", "ptrace", "unix", "dbus", "change_profile", "rlimit", "include", "comment", "raw",
        ]) // prettier-ignore
            assert.ok(kinds.has(k as ProfileItem["kind"]), `no table entry for ${k}`);
    });
});

describe("profile rules: canonical text is accepted by apparmor_parser", function () {
    this.timeout(120000);
    it("compiles every table entry's canonical text in one profile (-Q -K)", async function () {
        assert.ok(haveApparmorParser(), "apparmor_parser not found: apt-get install -y apparmor");
        // `file,` grants ix on every path, which conflicts with the other exec rules: own profile
        const allFiles = (c: Case): boolean =>
            c.model.kind === "file" && c.model.path === undefined;
        const body = (pick: (c: Case) => boolean): string =>
            CASES.filter((c) => !NOT_COMPILABLE_ALONE.has(c.src) && pick(c))
                .map((c) => renderRule(parseRule(c.src), "  "))
                .join("\n");
        const text =
            "abi <abi/3.0>,\ninclude <tunables/global>\n@{exec_target} = foo\n" +
            `profile t {\n${body((c) => !allFiles(c))}\n}\n` +
            `profile t2 {\n${body(allFiles)}\n}\n`;
        const r = await compile(text);
        assert.ok(r.ok, `${r.stderr}\n${text}`);
    });
});
