/**
 * Rule suggestions from denials: a non-interactive `aa-logprof`. Each DENIED (or ALLOWED, i.e.
 * complain-mode) event becomes a typed rule of the profile model; the obvious per-run parts of
 * paths are generalised (`/proc/1234/` → `/proc/@{pid}/`, UUIDs, random temp names), and file
 * permissions are merged per path. Suggestions are proposals for a human to review, not policy to
 * apply blindly.
 *
 * The variables used (`@{pid}`, `@{tid}`, `@{uid}`) come from `<tunables/global>`, which moby's
 * docker-default and most distribution profiles include.
 *
 * Logged names are chosen by whoever made the process act, so nothing from the log reaches a rule
 * unchecked: a path character that is a control, bidi or other invisible character is written as
 * AppArmor's octal escape of its UTF-8 bytes (`\012`), a name that cannot be written exactly (NUL,
 * bytes that were not UTF-8) or any other field holding such a character gives no rule but a note
 * (`ProfileSuggestion.skipped`), and rules that would open the confinement itself (`dangerousRule`:
 * CAP_SYS_ADMIN and kin, mounts, change_profile to unconfined, unconfined exec modes, writes to
 * /proc/sys, /sys, /proc/sysrq-trigger) are marked: `renderSuggestions` writes them commented out
 * with the reason.
 */
import type {
    CapabilityRule,
    ChangeProfileRule,
    DbusRule,
    ExecMode,
    FileAccess,
    FileRule,
    LinkRule,
    MountRule,
    NetworkRule,
    PivotRootRule,
    IoUringRule,
    PtraceRule,
    RemountRule,
    Rule,
    SignalRule,
    UmountRule,
} from "../profile/model";
import { FILE_ACCESS_ORDER } from "../profile/model";
import { renderRule } from "../profile/render";
import { IO_URING_ACCESS } from "../profile/rules/ioUring";
import { escapeControls, hasUnsafeChars } from "./escape";
import type { AuditRecord } from "./record";
import { recordProfile } from "./record";

export interface SuggestOptions {
    /** Exec mode suggested for denied executions. Defaults to "ix" (run under the same profile). */
    readonly execMode?: ExecMode;
    /** Also suggest from ALLOWED (complain-mode) events. Defaults to true. */
    readonly includeAllowed?: boolean;
}

/** Suggested rules for one profile. */
export interface ProfileSuggestion {
    readonly profile: string;
    readonly rules: Rule[];
    /** Events the rules were derived from. */
    readonly events: number;
    /**
     * Per rule (same index as `rules`): why allowing it would weaken the confinement itself
     * (`dangerousRule`), or undefined. Such rules are proposals to review, never to paste:
     * `renderSuggestions` writes them commented out with this reason.
     */
    readonly dangerous: (string | undefined)[];
    /** Denials no rule could be written for safely, one line each (log text escaped). */
    readonly skipped: string[];
}

// ---------------------------------------------------------------------------------------------
// Path generalisation

const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const UUID_GLOB = "[0-9a-f]*-[0-9a-f]*-[0-9a-f]*-[0-9a-f]*-[0-9a-f]*";
const TEMP_DIRS = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/"];

/** Escapes AppArmor glob characters so a logged path is matched literally. */
export function escapeGlob(s: string): string {
    // escaping `{` also disarms `@{VAR}`
    return s.replace(/[\\*?[\]{}^"]/g, (c) => `\\${c}`);
}

/** A random-looking per-run token (mktemp, python tempfile, ssh agent dirs): letters and digits mixed. */
function randomToken(t: string): boolean {
    if (t.length < 6) return false;
    const digits = /[0-9]/.test(t);
    const lower = /[a-z]/.test(t);
    const upper = /[A-Z]/.test(t);
    return (digits && (lower || upper)) || (lower && upper);
}

/**
 * Generalises a logged path into a rule path: escapes glob characters, then replaces pids in
 * `/proc`, uids in `/run/user`, UUIDs and random temp-file names with variables or globs.
 */
export function generalizePath(path: string): string {
    const segments = path.split("/");
    const inTemp = TEMP_DIRS.some((d) => path.startsWith(d) && path.length > d.length);
    const out = segments.map((seg, i) => {
        if (seg === "") return seg;
        // /proc/<pid>/… and /proc/<pid>/task/<tid>/…
        if (segments[1] === "proc" && /^[1-9][0-9]*$/.test(seg)) {
            if (i === 2) return "@{pid}";
            if (i === 4 && segments[3] === "task") return "@{tid}";
        }
        if (i === 3 && segments[1] === "run" && segments[2] === "user" && /^[0-9]+$/.test(seg)) {
            return "@{uid}";
        }
        if (UUID.test(seg)) {
            UUID.lastIndex = 0;
            const parts = seg.split(UUID);
            return parts.map(escapeGlob).join(UUID_GLOB);
        }
        UUID.lastIndex = 0;
        // random temp names: the first component below a temp dir (a file or a per-run directory)
        if (
            inTemp &&
            i >= (path.startsWith("/run/user/") ? 4 : path.startsWith("/var/tmp/") ? 3 : 2)
        ) {
            const m = /^(.*?[._-])?([A-Za-z0-9_]{6,})(\.[A-Za-z0-9]{1,5})?$/.exec(seg);
            if (m && randomToken(m[2]))
                return `${escapeGlob(m[1] ?? "")}*${escapeGlob(m[3] ?? "")}`;
        }
        return escapeGlob(seg);
    });
    return out.join("/");
}

/** AppArmor's octal escape (`\ooo`, always three digits) of each UTF-8 byte of `c`. */
function octalEscape(c: string): string {
    let out = "";
    for (const b of Buffer.from(c, "utf8")) out += `\\${b.toString(8).padStart(3, "0")}`;
    return out;
}

/** Characters a rule cannot say exactly: NUL (no path holds one), U+FFFD (bytes that were not UTF-8). */
const UNWRITABLE = /[\0\ufffd]/;

/**
 * A logged path as rule text: `generalizePath`, then every control, bidi or other invisible
 * character (see `hasUnsafeChars`) written as AppArmor's octal escapes of its UTF-8 bytes, which
 * apparmor_parser reads back as those bytes. Undefined when the path cannot be written exactly.
 */
export function rulePath(logged: string): string | undefined {
    if (UNWRITABLE.test(logged)) return undefined;
    return escapeUnsafe(generalizePath(logged));
}

/** `escapeGlob` (a logged name matched literally, not generalised) with unsafe characters escaped. */
function ruleName(logged: string): string | undefined {
    if (UNWRITABLE.test(logged)) return undefined;
    return escapeUnsafe(escapeGlob(logged));
}

function escapeUnsafe(text: string): string {
    if (!hasUnsafeChars(text)) return text;
    let out = "";
    for (const c of text) out += hasUnsafeChars(c) ? octalEscape(c) : c;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Dangerous rules

/**
 * Capabilities that let a confined process undo its confinement or take the host: CAP_SYS_ADMIN
 * (mount, namespaces, BPF, …), SYS_MODULE (kernel modules), SYS_PTRACE (other processes' memory),
 * SYS_RAWIO (raw devices, /dev/mem), SYS_BOOT, MAC_ADMIN / MAC_OVERRIDE (AppArmor policy itself),
 * DAC_READ_SEARCH (open_by_handle_at: files outside the container), BPF.
 */
export const DANGEROUS_CAPABILITIES: readonly string[] = [
    "bpf",
    "dac_read_search",
    "mac_admin",
    "mac_override",
    "sys_admin",
    "sys_boot",
    "sys_module",
    "sys_ptrace",
    "sys_rawio",
];

/** Exec modes that leave the profile for an unconfined process. */
const UNCONFINED_EXEC = new Set(["ux", "Ux", "pux", "PUx", "cux", "CUx"]);

/** Paths whose writes change the kernel's own settings. */
function kernelSettingsPath(path: string): boolean {
    return (
        path === "/proc/sys" ||
        path.startsWith("/proc/sys/") ||
        path === "/sys" ||
        path.startsWith("/sys/") ||
        path === "/proc/sysrq-trigger"
    );
}

/**
 * Why allowing `rule` would weaken the confinement itself, or undefined when it does not: the
 * capabilities in `DANGEROUS_CAPABILITIES`, any mount, remount, umount or pivot_root,
 * `change_profile` to unconfined (or to any profile), exec modes that run unconfined
 * (ux, Ux, pux, PUx, cux, CUx), and writes under /proc/sys, /sys or to /proc/sysrq-trigger.
 */
export function dangerousRule(rule: Rule): string | undefined {
    switch (rule.kind) {
        case "capability": {
            const bad = rule.capabilities.filter((c) => DANGEROUS_CAPABILITIES.includes(c));
            return bad.length > 0
                ? `capability ${bad.join(", ")} lets the process escape its confinement or take the host`
                : undefined;
        }
        case "mount":
        case "remount":
        case "umount":
        case "pivot_root":
            return `${rule.kind} lets the process change what the profile's paths refer to (a container escape)`;
        case "change_profile": {
            const t = rule.target;
            if (t === undefined || t === "unconfined" || /[*?[\]{}]/.test(t))
                return `change_profile to ${t ?? "any profile"} leaves the profile (unconfined)`;
            return undefined;
        }
        case "file": {
            if (rule.exec !== undefined && UNCONFINED_EXEC.has(rule.exec))
                return `exec mode ${rule.exec} runs ${rule.path ?? "the program"} unconfined`;
            const writes = rule.access.includes("w") || rule.access.includes("a");
            if (writes && rule.path !== undefined && kernelSettingsPath(rule.path))
                return `writing ${rule.path} changes kernel settings for the whole host`;
            return undefined;
        }
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Events → rules

/** Kernel file mask letters → profile permissions (`c`reate and `d`elete need `w`). */
function fileAccess(mask: string): { access: Set<FileAccess>; exec: boolean } {
    const access = new Set<FileAccess>();
    let exec = false;
    for (const ch of mask) {
        switch (ch) {
            case "r":
            case "a":
            case "l":
            case "k":
            case "m":
                access.add(ch);
                break;
            case "w":
            case "c":
            case "d":
                access.add("w");
                break;
            case "x":
                exec = true;
                break;
        }
    }
    // `w` covers `a`; the kernel refuses both in one rule
    if (access.has("w")) access.delete("a");
    return { access, exec };
}

/** The dbus access an operation implies (`dbus_send` → send), for messages without a mask. */
function dbusAccessOf(op: string): string[] {
    const a = op.slice(5);
    return a === "send" || a === "receive" || a === "bind" || a === "eavesdrop" ? [a] : [];
}

function words(mask: string | undefined): string[] {
    return (mask ?? "").split(/\s+/).filter((w) => w.length > 0);
}

interface Acc {
    files: Map<string, { access: Set<FileAccess>; exec: boolean; target?: string }>;
    caps: Set<string>;
    other: Map<string, Rule>;
    events: number;
    /** Notes on denials that gave no rule (raw: escaped when rendered). */
    skipped: Set<string>;
}

function newAcc(): Acc {
    return { files: new Map(), caps: new Set(), other: new Map(), events: 0, skipped: new Set() };
}

/** Fields of `r` that go into a rule as they are (not as paths): none may hold an unsafe character. */
function unsafeField(r: AuditRecord, values: (string | undefined)[]): boolean {
    return values.some((v) => v !== undefined && (hasUnsafeChars(v) || UNWRITABLE.test(v)));
}

function skip(acc: Acc, r: AuditRecord, why: string): void {
    const what = r.name ?? r.capname ?? r.peer ?? r.member;
    acc.skipped.add(`${r.operation ?? "?"}${what !== undefined ? ` of "${what}"` : ""}: ${why}`);
}

function mergeWordsRule<T extends { access: readonly string[] }>(
    acc: Acc,
    key: string,
    rule: T,
    extra?: (prev: T, next: T) => T,
): void {
    const prev = acc.other.get(key) as unknown as T | undefined;
    if (!prev) {
        acc.other.set(key, rule as unknown as Rule);
        return;
    }
    let merged = { ...prev, access: [...new Set([...prev.access, ...rule.access])].sort() } as T;
    if (extra) merged = extra(merged, rule);
    acc.other.set(key, merged as unknown as Rule);
}

function addEvent(acc: Acc, r: AuditRecord, opts: SuggestOptions): void {
    const op = r.operation ?? "";
    const mask = r.deniedMask ?? r.requestedMask;
    acc.events++;
    if (op === "capable" || r.capname !== undefined) {
        if (r.capname === undefined) return;
        if (!/^[a-z_]+$/.test(r.capname)) return skip(acc, r, "not a capability name");
        acc.caps.add(r.capname);
        return;
    }
    if (unsafeField(r, [r.signal, r.peer, r.peerProfile, r.bus, r.path, r.interface, r.member])) {
        return skip(acc, r, "a logged field holds control or invisible characters");
    }
    if (unsafeField(r, [r.family, r.sockType, r.fstype, r.flags, mask])) {
        return skip(acc, r, "a logged field holds control or invisible characters");
    }
    if (op.startsWith("uring_")) {
        // `io_uring sqpoll,` / `io_uring override_creds label=PEER,` (tcontext= is the peer)
        const access = words(mask)
            .filter((w) => IO_URING_ACCESS.includes(w))
            .sort();
        if (access.length === 0)
            return skip(acc, r, "an io_uring event without sqpoll or override_creds");
        // the kernel's tcontext= (peerProfile, as libapparmor names it)
        const label = access.includes("override_creds") ? (r.peerProfile ?? r.peer) : undefined;
        if (label !== undefined && unsafeField(r, [label]))
            return skip(acc, r, "a logged field holds control or invisible characters");
        const rule: IoUringRule = {
            kind: "io_uring",
            access,
            ...(label !== undefined ? { label } : {}),
        };
        mergeWordsRule(acc, `io_uring ${label ?? ""}`, rule);
        return;
    }
    if (op === "signal") {
        const rule: SignalRule = {
            kind: "signal",
            access: words(mask).sort(),
            signals: r.signal !== undefined ? [r.signal] : [],
            ...(r.peer !== undefined ? { peer: r.peer } : {}),
        };
        mergeWordsRule(acc, `signal ${rule.access.join(",")} ${r.peer ?? ""}`, rule, (m, n) => ({
            ...m,
            signals: [...new Set([...m.signals, ...n.signals])].sort(),
        }));
        return;
    }
    if (op === "ptrace") {
        const rule: PtraceRule = {
            kind: "ptrace",
            access: words(mask).sort(),
            ...(r.peer !== undefined ? { peer: r.peer } : {}),
        };
        mergeWordsRule(acc, `ptrace ${r.peer ?? ""}`, rule);
        return;
    }
    if (op.startsWith("dbus")) {
        const peerLabel = r.peerProfile;
        // dbus-broker's older messages carry no mask: the operation says it
        const access = mask !== undefined ? words(mask) : dbusAccessOf(op);
        const rule: DbusRule = {
            kind: "dbus",
            access: access.sort(),
            ...(r.bus !== undefined ? { bus: r.bus } : {}),
            ...(r.path !== undefined ? { path: r.path } : {}),
            ...(r.interface !== undefined ? { interface: r.interface } : {}),
            ...(r.member !== undefined ? { member: r.member } : {}),
            ...(r.name !== undefined || peerLabel !== undefined
                ? {
                      peer: {
                          ...(r.name !== undefined ? { name: r.name } : {}),
                          ...(peerLabel !== undefined ? { label: peerLabel } : {}),
                      },
                  }
                : {}),
        };
        if (unsafeField(r, [r.name])) {
            return skip(acc, r, "a logged field holds control or invisible characters");
        }
        mergeWordsRule(
            acc,
            `dbus ${r.bus} ${r.path} ${r.interface} ${r.member} ${r.name} ${peerLabel}`,
            rule,
        );
        return;
    }
    if (op === "mount" || op === "remount" || op === "umount" || op === "pivotroot") {
        const name = r.name ? ruleName(r.name) : undefined;
        const src = r.srcname ? ruleName(r.srcname) : undefined;
        if ((r.name && name === undefined) || (r.srcname && src === undefined)) {
            return skip(acc, r, "the logged path cannot be written exactly (NUL or not UTF-8)");
        }
        if (op === "umount") {
            const rule: UmountRule = {
                kind: "umount",
                conditions: [],
                ...(name ? { target: name } : {}),
            };
            acc.other.set(`umount ${r.name}`, rule);
        } else if (op === "pivotroot") {
            const rule: PivotRootRule = {
                kind: "pivot_root",
                ...(src ? { oldroot: src } : {}),
                ...(name ? { newroot: name } : {}),
            };
            acc.other.set(`pivot_root ${r.srcname} ${r.name}`, rule);
        } else {
            const conditions = [];
            if (r.fstype) conditions.push({ name: "fstype", op: "=" as const, values: [r.fstype] });
            const options = (r.flags ?? "").split(/[,\s]+/).filter((o) => o.length > 0);
            if (options.length > 0)
                conditions.push({ name: "options", op: "=" as const, values: options });
            if (op === "remount") {
                const rule: RemountRule = {
                    kind: "remount",
                    conditions,
                    ...(name ? { target: name } : {}),
                };
                acc.other.set(`remount ${r.name} ${r.flags}`, rule);
            } else {
                const rule: MountRule = {
                    kind: "mount",
                    conditions,
                    ...(src ? { source: src } : {}),
                    ...(name ? { target: name } : {}),
                };
                acc.other.set(`mount ${r.fstype} ${r.flags} ${r.srcname} ${r.name}`, rule);
            }
        }
        return;
    }
    if (op === "change_profile" || op === "change_onexec") {
        const target = r.name2 ?? r.name;
        if (unsafeField(r, [target])) {
            return skip(acc, r, "the logged target holds control or invisible characters");
        }
        const rule: ChangeProfileRule = { kind: "change_profile", ...(target ? { target } : {}) };
        acc.other.set(`change_profile ${target}`, rule);
        return;
    }
    if (op === "link" && r.name !== undefined && r.name2 !== undefined) {
        const from = rulePath(r.name);
        const to = rulePath(r.name2);
        if (from === undefined || to === undefined) {
            return skip(acc, r, "the logged path cannot be written exactly (NUL or not UTF-8)");
        }
        const rule: LinkRule = { kind: "link", path: from, target: to };
        acc.other.set(`link ${rule.path} ${rule.target}`, rule);
        return;
    }
    if (r.family !== undefined && r.name === undefined) {
        const rule: NetworkRule = {
            kind: "network",
            domain: r.family,
            ...(r.sockType !== undefined ? { type: r.sockType } : {}),
        };
        acc.other.set(`network ${r.family} ${r.sockType ?? ""}`, rule);
        return;
    }
    if (r.name !== undefined && r.name.startsWith("/") && mask !== undefined) {
        const path = rulePath(r.name);
        if (path === undefined) {
            return skip(acc, r, "the logged path cannot be written exactly (NUL or not UTF-8)");
        }
        const { access, exec } = fileAccess(mask);
        if (access.size === 0 && !exec) return;
        let f = acc.files.get(path);
        if (!f) acc.files.set(path, (f = { access: new Set(), exec: false }));
        for (const a of access) f.access.add(a);
        if (f.access.has("w")) f.access.delete("a");
        if (exec) f.exec = true;
        void opts;
    }
}

function toRules(acc: Acc, opts: SuggestOptions): Rule[] {
    const rules: Rule[] = [];
    for (const cap of [...acc.caps].sort()) {
        const rule: CapabilityRule = { kind: "capability", capabilities: [cap] };
        rules.push(rule);
    }
    const others = [...acc.other.entries()].sort((a, b) =>
        a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    // network first (like aa-logprof), then the rest in key order
    for (const [, r] of others) if (r.kind === "network") rules.push(r);
    for (const [, r] of others) if (r.kind !== "network") rules.push(r);
    for (const path of [...acc.files.keys()].sort()) {
        const f = acc.files.get(path)!;
        const access = FILE_ACCESS_ORDER.filter((a) => f.access.has(a));
        const rule: FileRule = {
            kind: "file",
            path,
            access,
            ...(f.exec ? { exec: opts.execMode ?? "ix" } : {}),
        };
        rules.push(rule);
    }
    return rules;
}

function wanted(r: AuditRecord, opts: SuggestOptions): boolean {
    return r.type === "DENIED" || (r.type === "ALLOWED" && opts.includeAllowed !== false);
}

/** Rules that would allow what `records` show denied (all profiles together; filter first if needed). */
export function suggestRules(records: Iterable<AuditRecord>, options: SuggestOptions = {}): Rule[] {
    const acc = newAcc();
    for (const r of records) if (wanted(r, options)) addEvent(acc, r, options);
    return toRules(acc, options);
}

/** Suggestions grouped by the profile that denied (sorted by profile name). */
export function suggestRulesByProfile(
    records: Iterable<AuditRecord>,
    options: SuggestOptions = {},
): ProfileSuggestion[] {
    const byProfile = new Map<string, Acc>();
    for (const r of records) {
        if (!wanted(r, options)) continue;
        const p = recordProfile(r) ?? "(none)";
        let acc = byProfile.get(p);
        if (!acc) byProfile.set(p, (acc = newAcc()));
        addEvent(acc, r, options);
    }
    return [...byProfile.keys()].sort().map((profile) => {
        const acc = byProfile.get(profile)!;
        const rules = toRules(acc, options);
        return {
            profile,
            rules,
            events: acc.events,
            dangerous: rules.map(dangerousRule),
            skipped: [...acc.skipped].sort(),
        };
    });
}

/**
 * Profile text for suggestions: per profile, a comment naming it and the rules (rendered by the
 * profile renderer), ready to paste into the profile body. Log text in comments is escaped
 * (`escapeControls`). A dangerous rule (`dangerousRule`) is written commented out after a line
 * giving the reason; a rule the renderer refuses, and a denial no rule could be written for, become
 * a comment saying so.
 */
export function renderSuggestions(
    suggestions: readonly ProfileSuggestion[],
    indent = "  ",
): string {
    const out: string[] = [];
    for (const s of suggestions) {
        out.push(
            `# profile ${escapeControls(s.profile)}: ${s.rules.length} rule(s) from ${s.events} event(s)`,
        );
        s.rules.forEach((rule, i) => {
            let text: string;
            try {
                text = renderRule(rule);
            } catch (e) {
                out.push(`${indent}# not renderable: ${escapeControls((e as Error).message)}`);
                return;
            }
            if (hasUnsafeChars(text)) {
                // never reached with the rules built here; a guard for hand-made suggestions
                out.push(`${indent}# not shown: ${escapeControls(text)}`);
                return;
            }
            const danger = s.dangerous?.[i] ?? dangerousRule(rule);
            if (danger !== undefined) {
                out.push(`${indent}# DANGEROUS, left commented out: ${escapeControls(danger)}`);
                out.push(`${indent}# ${text}`);
            } else {
                out.push(`${indent}${text}`);
            }
        });
        for (const note of s.skipped ?? []) {
            out.push(`${indent}# no rule for ${escapeControls(note)}`);
        }
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
}
