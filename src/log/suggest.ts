/**
 * Rule suggestions from denials: a non-interactive `aa-logprof`. Each DENIED (or ALLOWED, i.e.
 * complain-mode) event becomes a typed rule of the profile model; the obvious per-run parts of
 * paths are generalised (`/proc/1234/` → `/proc/@{pid}/`, UUIDs, random temp names), and file
 * permissions are merged per path. Suggestions are proposals for a human to review, not policy to
 * apply blindly.
 *
 * The variables used (`@{pid}`, `@{tid}`, `@{uid}`) come from `<tunables/global>`, which moby's
 * docker-default and most distribution profiles include.
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
    PtraceRule,
    RemountRule,
    Rule,
    SignalRule,
    UmountRule,
} from "../profile/model";
import { FILE_ACCESS_ORDER } from "../profile/model";
import { renderRule } from "../profile/render";
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

function words(mask: string | undefined): string[] {
    return (mask ?? "").split(/\s+/).filter((w) => w.length > 0);
}

interface Acc {
    files: Map<string, { access: Set<FileAccess>; exec: boolean; target?: string }>;
    caps: Set<string>;
    other: Map<string, Rule>;
    events: number;
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
        if (r.capname !== undefined) acc.caps.add(r.capname);
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
        const rule: DbusRule = {
            kind: "dbus",
            access: words(mask).sort(),
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
        mergeWordsRule(
            acc,
            `dbus ${r.bus} ${r.path} ${r.interface} ${r.member} ${r.name} ${peerLabel}`,
            rule,
        );
        return;
    }
    if (op === "mount" || op === "remount" || op === "umount" || op === "pivotroot") {
        if (op === "umount") {
            const rule: UmountRule = {
                kind: "umount",
                conditions: [],
                ...(r.name ? { target: escapeGlob(r.name) } : {}),
            };
            acc.other.set(`umount ${r.name}`, rule);
        } else if (op === "pivotroot") {
            const rule: PivotRootRule = {
                kind: "pivot_root",
                ...(r.srcname ? { oldroot: escapeGlob(r.srcname) } : {}),
                ...(r.name ? { newroot: escapeGlob(r.name) } : {}),
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
                    ...(r.name ? { target: escapeGlob(r.name) } : {}),
                };
                acc.other.set(`remount ${r.name} ${r.flags}`, rule);
            } else {
                const rule: MountRule = {
                    kind: "mount",
                    conditions,
                    ...(r.srcname ? { source: escapeGlob(r.srcname) } : {}),
                    ...(r.name ? { target: escapeGlob(r.name) } : {}),
                };
                acc.other.set(`mount ${r.fstype} ${r.flags} ${r.srcname} ${r.name}`, rule);
            }
        }
        return;
    }
    if (op === "change_profile" || op === "change_onexec") {
        const target = r.name2 ?? r.name;
        const rule: ChangeProfileRule = { kind: "change_profile", ...(target ? { target } : {}) };
        acc.other.set(`change_profile ${target}`, rule);
        return;
    }
    if (op === "link" && r.name !== undefined && r.name2 !== undefined) {
        const rule: LinkRule = {
            kind: "link",
            path: generalizePath(r.name),
            target: generalizePath(r.name2),
        };
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
        const path = generalizePath(r.name);
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
    const acc: Acc = { files: new Map(), caps: new Set(), other: new Map(), events: 0 };
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
        if (!acc)
            byProfile.set(
                p,
                (acc = { files: new Map(), caps: new Set(), other: new Map(), events: 0 }),
            );
        addEvent(acc, r, options);
    }
    return [...byProfile.keys()].sort().map((profile) => {
        const acc = byProfile.get(profile)!;
        return { profile, rules: toRules(acc, options), events: acc.events };
    });
}

/**
 * Profile text for suggestions: per profile, a comment naming it and the rules (rendered by the
 * profile renderer), ready to paste into the profile body. A rule the renderer refuses (a logged
 * name it cannot write safely) becomes a comment saying so.
 */
export function renderSuggestions(
    suggestions: readonly ProfileSuggestion[],
    indent = "  ",
): string {
    const out: string[] = [];
    for (const s of suggestions) {
        out.push(`# profile ${s.profile}: ${s.rules.length} rule(s) from ${s.events} event(s)`);
        for (const rule of s.rules) {
            try {
                out.push(renderRule(rule, indent));
            } catch (e) {
                out.push(
                    `${indent}# not renderable: ${(e as Error).message.replace(/[\r\n]/g, " ")}`,
                );
            }
        }
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
}
