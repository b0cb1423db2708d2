/**
 * The AppArmor 4 rule forms the model types (`userns`, `mqueue`, `io_uring`, `all`, the `priority=`
 * prefix), one table shared by the unit tests (test/unit/profile/abi4.test.ts: parse, render, parse
 * back) and the round trip through AppArmor 4.1's own parser (test/parser41/: original and rendered
 * text compile to the same bytes).
 */
import type { ProfileItem } from "../../src/profile";

export interface Abi4Form {
    /** rule text as it may appear in a profile body. */
    readonly src: string;
    readonly model: ProfileItem;
    /** canonical rendering (defaults to `src`). */
    readonly out?: string;
    /**
     * the rule alone changes the compiled policy (checked against an empty profile), so identical
     * bytes after a round trip mean the rule survived. False for forms 4.1 compiles to nothing on its
     * own (System V queues are not enforced yet; `audit deny` alone adds nothing to an empty profile).
     */
    readonly effect?: boolean;
}

export const ABI4_FORMS: readonly Abi4Form[] = [
    // --- userns ---
    { src: "userns,", model: { kind: "userns", access: [] }, effect: true },
    { src: "userns create,", model: { kind: "userns", access: ["create"] }, effect: true },
    {
        src: "audit deny userns create,",
        model: { kind: "userns", audit: true, deny: true, access: ["create"] },
        effect: false,
    },
    { src: "allow userns,", model: { kind: "userns", allow: true, access: [] }, effect: true },
    // --- mqueue ---
    { src: "mqueue,", model: { kind: "mqueue", access: [] }, effect: true },
    { src: "mqueue r,", model: { kind: "mqueue", access: ["r"] }, effect: true },
    {
        src: "mqueue rw /q,",
        model: { kind: "mqueue", access: ["rw"], name: "/q" },
        effect: true,
    },
    {
        src: "mqueue read type=posix /q,",
        model: { kind: "mqueue", access: ["read"], type: "posix", name: "/q" },
        effect: true,
    },
    {
        src: "mqueue (write read create) label=peer /app/*,",
        model: {
            kind: "mqueue",
            access: ["create", "read", "write"],
            label: "peer",
            name: "/app/*",
        },
        out: "mqueue (create, read, write) label=peer /app/*,",
        effect: true,
    },
    {
        src: "mqueue (open, delete, getattr, setattr) /q,",
        model: { kind: "mqueue", access: ["delete", "getattr", "open", "setattr"], name: "/q" },
        out: "mqueue (delete, getattr, open, setattr) /q,",
        effect: true,
    },
    {
        src: "deny mqueue delete type=posix,",
        model: { kind: "mqueue", deny: true, access: ["delete"], type: "posix" },
        effect: true,
    },
    {
        src: 'mqueue create "/a queue",',
        model: { kind: "mqueue", access: ["create"], name: "/a queue" },
        effect: true,
    },
    {
        src: "mqueue label=unconfined type=posix,",
        model: { kind: "mqueue", access: [], type: "posix", label: "unconfined" },
        out: "mqueue type=posix label=unconfined,",
        effect: true,
    },
    {
        src: "mqueue type=sysv 1234,",
        model: { kind: "mqueue", access: [], type: "sysv", name: "1234" },
        effect: false,
    },
    // --- io_uring ---
    { src: "io_uring,", model: { kind: "io_uring", access: [] }, effect: true },
    { src: "io_uring sqpoll,", model: { kind: "io_uring", access: ["sqpoll"] }, effect: true },
    {
        src: "io_uring override_creds label=foo,",
        model: { kind: "io_uring", access: ["override_creds"], label: "foo" },
        effect: true,
    },
    {
        src: "io_uring (sqpoll, override_creds),",
        model: { kind: "io_uring", access: ["override_creds", "sqpoll"] },
        out: "io_uring (override_creds, sqpoll),",
        effect: true,
    },
    {
        src: "audit deny io_uring sqpoll,",
        model: { kind: "io_uring", audit: true, deny: true, access: ["sqpoll"] },
        effect: false,
    },
    // --- all ---
    { src: "all,", model: { kind: "all" }, effect: true },
    { src: "audit all,", model: { kind: "all", audit: true }, effect: true },
    { src: "deny all,", model: { kind: "all", deny: true }, effect: true },
    { src: "audit allow all,", model: { kind: "all", audit: true, allow: true }, effect: true },
    // --- priority= on the kinds that take it ---
    {
        src: "priority=10 /etc/x r,",
        model: { kind: "file", priority: 10, path: "/etc/x", access: ["r"] },
        effect: true,
    },
    {
        src: "priority=-5 audit deny owner /x w,",
        model: {
            kind: "file",
            priority: -5,
            audit: true,
            deny: true,
            owner: true,
            path: "/x",
            access: ["w"],
        },
        effect: true,
    },
    {
        src: "priority = +7 /x r,",
        model: { kind: "file", priority: 7, path: "/x", access: ["r"] },
        out: "priority=7 /x r,",
        effect: true,
    },
    {
        src: "priority=1000 capability chown,",
        model: { kind: "capability", priority: 1000, capabilities: ["chown"] },
        effect: true,
    },
    {
        src: "priority=-1000 deny userns,",
        model: { kind: "userns", priority: -1000, deny: true, access: [] },
        effect: true,
    },
    {
        src: "priority=2 mqueue r /q,",
        model: { kind: "mqueue", priority: 2, access: ["r"], name: "/q" },
        effect: true,
    },
    {
        src: "priority=3 io_uring sqpoll,",
        model: { kind: "io_uring", priority: 3, access: ["sqpoll"] },
        effect: true,
    },
    {
        src: "priority=1 signal send,",
        model: { kind: "signal", priority: 1, access: ["send"], signals: [] },
        effect: true,
    },
    {
        src: "priority=1 ptrace read,",
        model: { kind: "ptrace", priority: 1, access: ["read"] },
        effect: true,
    },
    {
        src: "priority=1 unix,",
        model: { kind: "unix", priority: 1, access: [] },
        effect: true,
    },
    {
        src: "priority=1 mount,",
        model: { kind: "mount", priority: 1, conditions: [] },
        effect: true,
    },
    {
        src: "priority=1 pivot_root,",
        model: { kind: "pivot_root", priority: 1 },
        effect: true,
    },
    {
        src: "priority=1 change_profile -> foo,",
        model: { kind: "change_profile", priority: 1, target: "foo" },
        effect: true,
    },
    {
        src: "priority=0 link /a -> /b,",
        model: { kind: "link", priority: 0, path: "/a", target: "/b" },
        effect: true,
    },
    {
        src: "priority=1 file,",
        model: { kind: "file", priority: 1, access: [] },
        effect: true,
    },
];

/**
 * Profiles where a priority decides between conflicting rules (a deny wins at equal priority; a higher
 * priority allow or a lower priority deny turns that round): each must compile differently from the
 * same text without its priorities (so 4.1 encodes the prefix), and identically after a round trip.
 * (4.1 compiles capability, change_profile, unix and dbus priorities, or these features, to nothing
 * here, so they are only in the forms above.)
 */
export const PRIORITY_CONFLICTS: readonly string[] = [
    "deny /x w,\n  priority=1 /x rw,",
    "priority=-1 deny /x w,\n  /x rw,",
    "deny owner /home/** w,\n  priority=5 owner /home/** rw,",
    "deny userns,\n  priority=2 userns,",
    "deny mqueue write /q,\n  priority=1 mqueue rw /q,",
    "deny io_uring sqpoll,\n  priority=1 io_uring,",
    "deny signal send,\n  priority=1 signal,",
    "deny ptrace read,\n  priority=1 ptrace,",
    "deny mount,\n  priority=1 mount,",
    "deny pivot_root,\n  priority=1 pivot_root,",
    "deny link /a -> /b,\n  priority=1 link /a -> /b,",
];
