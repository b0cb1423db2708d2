/**
 * Builder helpers: write AppArmor rules without knowing the policy syntax.
 *
 * ```ts
 * import { dockerDefault, deny, audit, owner, file, capability } from "pulumi-apparmor";
 *
 * const secure = dockerDefault({ name: "docker-default-secure" }).with(
 *     deny.file("/tmp/a/**", "rwlx"),   // deny /tmp/a/** rwlx,
 *     deny.capability("fsetid"),        // deny capability fsetid,
 *     audit.deny.file("/etc/shadow", "r"),
 *     owner.file("@{HOME}/.cache/**", "rw"),
 * );
 * secure.toModel(); // plain, JSON-serialisable PolicyDocument
 * ```
 *
 * Every helper returns a plain model object from `./model` (no classes, no functions), so rules can be
 * stored in Pulumi state and compared with `rulesEqual`. Helpers throw a `TypeError` only for input
 * they cannot represent at all (e.g. a permission string with an unknown letter); everything else is
 * left to `validateProfile`, which reports all problems at once with a path and a fix.
 *
 * Design decision (documented here because other modules rely on it): the model stays plain data, so
 * `.with(...)` lives on a small immutable wrapper, {@link ProfileBuilder}, whose `toModel()` /
 * `toJSON()` give the plain {@link PolicyDocument}. The same operation on plain data is the pure
 * function {@link withRules}.
 */
import {
    EXEC_MODES,
    type ChangeProfileRule,
    type CapabilityRule,
    type Comment,
    type DbusPeer,
    type DbusRule,
    type ExecMode,
    type FileAccess,
    type FileRule,
    type Include,
    type LinkRule,
    type MountCondition,
    type MountRule,
    type NetworkRule,
    type PivotRootRule,
    type PolicyDocument,
    type PolicyItem,
    type Profile,
    type ProfileItem,
    type PtraceRule,
    type Qualifiers,
    type RawRule,
    type RemountRule,
    type RlimitRule,
    type SignalRule,
    type UmountRule,
    type UnixPeer,
    type UnixRule,
    type VariableAssignment,
} from "./model";

// ---------------------------------------------------------------------------------------------------
// Permission strings
// ---------------------------------------------------------------------------------------------------

const PLAIN_ACCESS: ReadonlySet<string> = new Set(["r", "w", "a", "l", "k", "m"]);
const EXEC_QUALIFIERS: ReadonlySet<string> = new Set(["i", "p", "c", "u", "P", "C", "U"]);

/** The result of {@link parsePermissions}. */
export interface ParsedPermissions {
    readonly access: FileAccess[];
    readonly exec?: ExecMode;
}

/**
 * Splits an AppArmor permission string such as `"rwlx"`, `"rPx"`, `"mrix"` or `"r"` into plain
 * access letters (a set, duplicates removed) and at most one exec mode. Throws a `TypeError` naming the
 * offending letter when the string is not a permission string, or holds two exec modes.
 * (Combinations the kernel refuses, like `w` with `a`, are reported by `validateProfile`.)
 */
export function parsePermissions(perms: string): ParsedPermissions {
    const access: FileAccess[] = [];
    let exec: ExecMode | undefined;
    let pendingQualifiers = "";
    for (let i = 0; i < perms.length; i++) {
        const ch = perms[i];
        if (PLAIN_ACCESS.has(ch)) {
            if (pendingQualifiers) {
                throw new TypeError(
                    `permissions "${perms}": exec qualifier "${pendingQualifiers}" must be followed by "x"`,
                );
            }
            if (!access.includes(ch as FileAccess)) access.push(ch as FileAccess);
        } else if (EXEC_QUALIFIERS.has(ch)) {
            pendingQualifiers += ch;
        } else if (ch === "x") {
            const mode = `${pendingQualifiers}x`;
            if (!(EXEC_MODES as readonly string[]).includes(mode)) {
                throw new TypeError(`permissions "${perms}": "${mode}" is not an exec mode`);
            }
            if (exec !== undefined) {
                throw new TypeError(
                    `permissions "${perms}": two exec modes ("${exec}" and "${mode}"); keep one`,
                );
            }
            exec = mode as ExecMode;
            pendingQualifiers = "";
        } else {
            throw new TypeError(
                `permissions "${perms}": unknown letter ${JSON.stringify(ch)} (use r w a l k m and x with i p c u P C U)`,
            );
        }
    }
    if (pendingQualifiers) {
        throw new TypeError(
            `permissions "${perms}": exec qualifier "${pendingQualifiers}" must be followed by "x"`,
        );
    }
    return exec === undefined ? { access } : { access, exec };
}

// ---------------------------------------------------------------------------------------------------
// Rule helpers
// ---------------------------------------------------------------------------------------------------

/** Options of `signal(...)`. */
export interface SignalOptions {
    /** access set, e.g. `["send"]`, `["receive"]`. Defaults to all. */
    readonly access?: readonly string[];
    /** signal names, e.g. `["term", "kill"]`. Defaults to all. */
    readonly signals?: readonly string[];
    /** peer label. Defaults to any. */
    readonly peer?: string;
}

/** Options of `ptrace(...)`. */
export interface PtraceOptions {
    /** access set: trace, read, tracedby, readby. Defaults to all. */
    readonly access?: readonly string[];
    /** peer label. Defaults to any. */
    readonly peer?: string;
}

/** Options of `network(...)`. */
export interface NetworkOptions {
    /** address family, e.g. `inet`. Defaults to all. */
    readonly domain?: string;
    /** socket type, e.g. `stream`. Defaults to all. */
    readonly type?: string;
    /** protocol, e.g. `tcp`. Defaults to all. */
    readonly protocol?: string;
}

/** Options of `mount(...)`, `remount(...)`, `umount(...)`. */
export interface MountOptions {
    /** `fstype=(…)` values. Defaults to any. */
    readonly fstype?: readonly string[];
    /** `options=(…)` values (exact set). Defaults to any. */
    readonly options?: readonly string[];
    /** `options in (…)` values (any subset). Defaults to none. */
    readonly optionsIn?: readonly string[];
    /** mount source (mount only). Defaults to any. */
    readonly source?: string;
    /** mount point. Defaults to any. */
    readonly target?: string;
}

/** Options of `unix(...)`. */
export interface UnixOptions {
    readonly access?: readonly string[];
    readonly type?: string;
    readonly protocol?: string;
    readonly addr?: string;
    readonly label?: string;
    readonly attr?: string;
    readonly opt?: string;
    readonly peer?: UnixPeer;
}

/** Options of `dbus(...)`. */
export interface DbusOptions {
    readonly access?: readonly string[];
    readonly bus?: string;
    readonly path?: string;
    readonly interface?: string;
    readonly member?: string;
    readonly name?: string;
    readonly peer?: DbusPeer;
}

/** Options of `changeProfile(...)`. */
export interface ChangeProfileOptions {
    readonly execMode?: "safe" | "unsafe";
    /** executable the change applies to. Defaults to any. */
    readonly exec?: string;
}

/** Rule helpers that take `owner` (file and link rules). */
export interface FileRuleHelpers {
    /**
     * File rule: `file("/tmp/a/**", "rwlx")` → `/tmp/a/** rwlx,`. `perms` is an AppArmor permission
     * string; `target` adds `-> TARGET` (for px/cx transitions). Without arguments: the bare `file,`
     * rule (all file access).
     */
    file(path?: string, perms?: string, target?: string): FileRule;
    /** Link rule: `link [subset] PATH -> TARGET,`. */
    link(path: string, target: string, opts?: { readonly subset?: boolean }): LinkRule;
}

/** Rule helpers carrying the qualifiers chosen so far (`deny.`, `audit.deny.`, `owner.` …). */
export interface RuleHelpers extends FileRuleHelpers {
    /** `capability NAMES,`; no names = all capabilities. Names without `CAP_`, lower case. */
    capability(...names: string[]): CapabilityRule;
    /** `network [DOMAIN] [TYPE] [PROTOCOL],`: `network()`, `network("inet", "stream")`, or options. */
    network(
        domainOrOptions?: string | NetworkOptions,
        type?: string,
        protocol?: string,
    ): NetworkRule;
    /** `signal (ACCESS) set=(SIGNALS) peer=PEER,` */
    signal(opts?: SignalOptions): SignalRule;
    /** `ptrace (ACCESS) peer=PEER,` */
    ptrace(opts?: PtraceOptions): PtraceRule;
    /** `unix (ACCESS) type=… addr=… peer=(…),` */
    unix(opts?: UnixOptions): UnixRule;
    /** `dbus (ACCESS) bus=… path=… interface=… member=… peer=(…),` */
    dbus(opts?: DbusOptions): DbusRule;
    /** `mount [fstype=…] [options=…] [SOURCE] [-> TARGET],` */
    mount(opts?: MountOptions): MountRule;
    /** `remount [options=…] [TARGET],` */
    remount(opts?: Omit<MountOptions, "source">): RemountRule;
    /** `umount [TARGET],` */
    umount(opts?: Omit<MountOptions, "source">): UmountRule;
    /** `pivot_root [oldroot=OLD] [NEWROOT] [-> PROFILE],` */
    pivotRoot(opts?: { oldroot?: string; newroot?: string; target?: string }): PivotRootRule;
    /** `change_profile [safe|unsafe] [EXEC] -> TARGET,` */
    changeProfile(target?: string, opts?: ChangeProfileOptions): ChangeProfileRule;
    /** `audit …` */
    readonly audit: RuleHelpers;
    /** `deny …` */
    readonly deny: RuleHelpers;
    /** explicit `allow …` (the default mode; only changes the text). */
    readonly allow: RuleHelpers;
    /** `owner …` (file and link rules only). */
    readonly owner: OwnerRuleHelpers;
}

/** `owner.` helpers: only file and link rules take `owner`. */
export interface OwnerRuleHelpers extends FileRuleHelpers {
    readonly audit: OwnerRuleHelpers;
    readonly deny: OwnerRuleHelpers;
    readonly allow: OwnerRuleHelpers;
}

interface State extends Qualifiers {
    readonly owner?: boolean;
}

function quals(s: State): Qualifiers {
    const q: { audit?: boolean; deny?: boolean; allow?: boolean } = {};
    if (s.audit) q.audit = true;
    if (s.allow) q.allow = true;
    if (s.deny) q.deny = true;
    return q;
}

function setIfDefined<T extends object>(obj: T, key: string, value: unknown): T {
    if (value !== undefined) (obj as Record<string, unknown>)[key] = value;
    return obj;
}

function mountConditions(opts: MountOptions | undefined): MountCondition[] {
    const out: MountCondition[] = [];
    if (opts?.fstype) out.push({ name: "fstype", op: "=", values: [...opts.fstype] });
    if (opts?.options) out.push({ name: "options", op: "=", values: [...opts.options] });
    if (opts?.optionsIn) out.push({ name: "options", op: "in", values: [...opts.optionsIn] });
    return out;
}

function withQualifier(s: State, q: "audit" | "deny" | "allow"): State {
    if (q === "deny" && s.allow) throw new TypeError("a rule cannot be both allow and deny");
    if (q === "allow" && s.deny) throw new TypeError("a rule cannot be both deny and allow");
    return { ...s, [q]: true };
}

function fileHelpers(s: State): FileRuleHelpers {
    return {
        file(path?: string, perms?: string, target?: string): FileRule {
            const rule: Record<string, unknown> = { kind: "file", ...quals(s) };
            if (s.owner) rule.owner = true;
            if (path === undefined) {
                if (perms !== undefined || target !== undefined) {
                    throw new TypeError("file(): permissions or a target need a path");
                }
                rule.access = [];
                return rule as unknown as FileRule;
            }
            rule.path = path;
            const parsed = parsePermissions(perms ?? "");
            rule.access = parsed.access;
            setIfDefined(rule, "exec", parsed.exec);
            setIfDefined(rule, "target", target);
            return rule as unknown as FileRule;
        },
        link(path: string, target: string, opts?: { readonly subset?: boolean }): LinkRule {
            const rule: Record<string, unknown> = { kind: "link", ...quals(s) };
            if (s.owner) rule.owner = true;
            if (opts?.subset) rule.subset = true;
            rule.path = path;
            rule.target = target;
            return rule as unknown as LinkRule;
        },
    };
}

function ownerHelpers(s: State): OwnerRuleHelpers {
    return {
        ...fileHelpers(s),
        get audit() {
            return ownerHelpers(withQualifier(s, "audit"));
        },
        get deny() {
            return ownerHelpers(withQualifier(s, "deny"));
        },
        get allow() {
            return ownerHelpers(withQualifier(s, "allow"));
        },
    };
}

function ruleHelpers(s: State): RuleHelpers {
    const q = () => quals(s);
    return {
        ...fileHelpers(s),
        capability: (...names: string[]): CapabilityRule => ({
            kind: "capability",
            ...q(),
            capabilities: [...names],
        }),
        network(domainOrOptions?: string | NetworkOptions, type?: string, protocol?: string) {
            const o: NetworkOptions =
                typeof domainOrOptions === "object"
                    ? domainOrOptions
                    : { domain: domainOrOptions, type, protocol };
            const rule: Record<string, unknown> = { kind: "network", ...q() };
            setIfDefined(rule, "domain", o.domain);
            setIfDefined(rule, "type", o.type);
            setIfDefined(rule, "protocol", o.protocol);
            return rule as unknown as NetworkRule;
        },
        signal(opts?: SignalOptions): SignalRule {
            const rule: Record<string, unknown> = {
                kind: "signal",
                ...q(),
                access: [...(opts?.access ?? [])],
                signals: [...(opts?.signals ?? [])],
            };
            return setIfDefined(rule, "peer", opts?.peer) as unknown as SignalRule;
        },
        ptrace(opts?: PtraceOptions): PtraceRule {
            const rule: Record<string, unknown> = {
                kind: "ptrace",
                ...q(),
                access: [...(opts?.access ?? [])],
            };
            return setIfDefined(rule, "peer", opts?.peer) as unknown as PtraceRule;
        },
        unix(opts?: UnixOptions): UnixRule {
            const rule: Record<string, unknown> = {
                kind: "unix",
                ...q(),
                access: [...(opts?.access ?? [])],
            };
            for (const k of ["type", "protocol", "addr", "label", "attr", "opt"] as const) {
                setIfDefined(rule, k, opts?.[k]);
            }
            if (opts?.peer) rule.peer = { ...opts.peer };
            return rule as unknown as UnixRule;
        },
        dbus(opts?: DbusOptions): DbusRule {
            const rule: Record<string, unknown> = {
                kind: "dbus",
                ...q(),
                access: [...(opts?.access ?? [])],
            };
            for (const k of ["bus", "path", "interface", "member", "name"] as const) {
                setIfDefined(rule, k, opts?.[k]);
            }
            if (opts?.peer) rule.peer = { ...opts.peer };
            return rule as unknown as DbusRule;
        },
        mount(opts?: MountOptions): MountRule {
            const rule: Record<string, unknown> = {
                kind: "mount",
                ...q(),
                conditions: mountConditions(opts),
            };
            setIfDefined(rule, "source", opts?.source);
            setIfDefined(rule, "target", opts?.target);
            return rule as unknown as MountRule;
        },
        remount(opts?: Omit<MountOptions, "source">): RemountRule {
            const rule: Record<string, unknown> = {
                kind: "remount",
                ...q(),
                conditions: mountConditions(opts),
            };
            return setIfDefined(rule, "target", opts?.target) as unknown as RemountRule;
        },
        umount(opts?: Omit<MountOptions, "source">): UmountRule {
            const rule: Record<string, unknown> = {
                kind: "umount",
                ...q(),
                conditions: mountConditions(opts),
            };
            return setIfDefined(rule, "target", opts?.target) as unknown as UmountRule;
        },
        pivotRoot(opts?: { oldroot?: string; newroot?: string; target?: string }): PivotRootRule {
            const rule: Record<string, unknown> = { kind: "pivot_root", ...q() };
            setIfDefined(rule, "oldroot", opts?.oldroot);
            setIfDefined(rule, "newroot", opts?.newroot);
            setIfDefined(rule, "target", opts?.target);
            return rule as unknown as PivotRootRule;
        },
        changeProfile(target?: string, opts?: ChangeProfileOptions): ChangeProfileRule {
            const rule: Record<string, unknown> = { kind: "change_profile", ...q() };
            setIfDefined(rule, "execMode", opts?.execMode);
            setIfDefined(rule, "exec", opts?.exec);
            setIfDefined(rule, "target", target);
            return rule as unknown as ChangeProfileRule;
        },
        get audit() {
            return ruleHelpers(withQualifier(s, "audit"));
        },
        get deny() {
            return ruleHelpers(withQualifier(s, "deny"));
        },
        get allow() {
            return ruleHelpers(withQualifier(s, "allow"));
        },
        get owner() {
            return ownerHelpers({ ...s, owner: true });
        },
    };
}

const plain = ruleHelpers({});

/** `deny …` rules: `deny.file("/tmp/a/**", "rwlx")`, `deny.capability("fsetid")`. */
export const deny: RuleHelpers = plain.deny;
/** explicit `allow …` rules (allow is the default; this only adds the keyword). */
export const allow: RuleHelpers = plain.allow;
/** `audit …` rules: `audit.file(...)`, `audit.deny.file(...)`. */
export const audit: RuleHelpers = plain.audit;
/** `owner …` file rules: `owner.file("@{HOME}/**", "rw")`. */
export const owner: OwnerRuleHelpers = plain.owner;

/** File rule (`/tmp/x rw,`); no arguments = the bare `file,` rule. See {@link RuleHelpers.file}. */
export const file = plain.file;
/** Link rule (`link /a -> /b,`). */
export const link = plain.link;
/** Capability rule; no names = all capabilities. */
export const capability = plain.capability;
/** Network rule. */
export const network = plain.network;
/** Signal rule. */
export const signal = plain.signal;
/** Ptrace rule. */
export const ptrace = plain.ptrace;
/** Unix socket rule. */
export const unix = plain.unix;
/** D-Bus rule. */
export const dbus = plain.dbus;
/** Mount rule. */
export const mount = plain.mount;
/** Remount rule. */
export const remount = plain.remount;
/** Umount rule. */
export const umount = plain.umount;
/** pivot_root rule. */
export const pivotRoot = plain.pivotRoot;
/** change_profile rule. */
export const changeProfile = plain.changeProfile;

/** `set rlimit RESOURCE <= VALUE,` e.g. `rlimit("nofile", "1024")`. */
export function rlimit(resource: string, value: string | number): RlimitRule {
    return { kind: "rlimit", resource, value: String(value) };
}

/** Policy text carried verbatim (escape hatch for syntax the model does not type). */
export function raw(text: string): RawRule {
    return { kind: "raw", text };
}

/** A comment line; `text` is what follows `#` (a leading space is added when missing). */
export function comment(text: string): Comment {
    return { kind: "comment", text: text.startsWith(" ") || text === "" ? text : ` ${text}` };
}

/** `include <PATH>` (or `include "PATH"` with `form: "quoted"`, `include if exists` with `ifExists`). */
export function include(
    path: string,
    opts?: { readonly form?: "angle" | "quoted"; readonly ifExists?: boolean },
): Include {
    const inc: Record<string, unknown> = { kind: "include", path, form: opts?.form ?? "angle" };
    if (opts?.ifExists) inc.ifExists = true;
    return inc as unknown as Include;
}

/** `@{NAME} = values…` (or `+=` with `append: true`). `name` without `@{}`. */
export function variable(
    name: string,
    values: readonly string[],
    opts?: { readonly append?: boolean },
): VariableAssignment {
    return { kind: "variable", name, op: opts?.append ? "+=" : "=", values: [...values] };
}

/** Options of {@link profile}. */
export interface ProfileOptions {
    /** attachment path glob. Defaults to none (a path-like name attaches itself). */
    readonly attachment?: string;
    /** profile flags, e.g. `["attach_disconnected", "mediate_deleted"]`. Defaults to none. */
    readonly flags?: readonly string[];
    /** body items. Defaults to none. */
    readonly rules?: readonly ProfileItem[];
}

/** A plain {@link Profile} model. */
export function profileModel(name: string, opts: ProfileOptions = {}): Profile {
    const p: Record<string, unknown> = { kind: "profile", name };
    if (opts.attachment !== undefined) p.attachment = opts.attachment;
    if (opts.flags && opts.flags.length > 0) p.flags = [...opts.flags];
    p.rules = [...(opts.rules ?? [])];
    return p as unknown as Profile;
}

/** A hat (`^NAME { … }`) to nest in a profile's rules. */
export function hat(name: string, rules: readonly ProfileItem[] = []): Profile {
    return { kind: "profile", name, hat: true, rules: [...rules] };
}

// ---------------------------------------------------------------------------------------------------
// Immutable profile wrapper with `.with(...)`
// ---------------------------------------------------------------------------------------------------

/** A plain model a {@link ProfileBuilder} can wrap or a component can accept. */
export type ProfileSource = Profile | PolicyDocument | ProfileBuilder;

/** Returns the plain model of a builder, document or profile (documents and profiles unchanged). */
export function toModel(source: ProfileSource): Profile | PolicyDocument {
    return source instanceof ProfileBuilder ? source.toModel() : source;
}

function mainProfileIndex(doc: PolicyDocument): number {
    const indexes = doc.items.flatMap((it, i) => (it.kind === "profile" ? [i] : []));
    if (indexes.length !== 1) {
        throw new TypeError(
            `withRules: the document has ${indexes.length} top-level profiles; it needs exactly one to append to`,
        );
    }
    return indexes[0];
}

/**
 * Pure: returns a copy of `target` with `items` appended to its profile's body (for a document: to
 * its only top-level profile). The input is not modified.
 */
export function withRules<T extends Profile | PolicyDocument>(
    target: T,
    ...items: ProfileItem[]
): T {
    if (target.kind === "profile") {
        return { ...target, rules: [...target.rules, ...items] };
    }
    const doc = target as PolicyDocument;
    const i = mainProfileIndex(doc);
    const prof = doc.items[i] as Profile;
    const next: PolicyItem[] = [...doc.items];
    next[i] = { ...prof, rules: [...prof.rules, ...items] };
    return { ...doc, items: next } as unknown as T;
}

/**
 * Immutable fluent wrapper around a plain {@link PolicyDocument} holding one top-level profile.
 * `.with(...)` returns a new builder; `.toModel()` (and `JSON.stringify`) give the plain document.
 */
export class ProfileBuilder {
    private readonly doc: PolicyDocument;

    constructor(model: Profile | PolicyDocument) {
        const doc: PolicyDocument =
            model.kind === "profile" ? { kind: "document", items: [model] } : model;
        mainProfileIndex(doc); // throws unless there is exactly one top-level profile
        this.doc = doc;
    }

    /** The profile's name. */
    get name(): string {
        return this.profile.name;
    }

    /** The (only) top-level profile of the document. */
    get profile(): Profile {
        return this.doc.items[mainProfileIndex(this.doc)] as Profile;
    }

    /** A new builder with `items` appended to the profile body. */
    with(...items: ProfileItem[]): ProfileBuilder {
        return new ProfileBuilder(withRules(this.doc, ...items));
    }

    /** A new builder with `flags` added to the profile's flags (kept once each). */
    withFlags(...flags: string[]): ProfileBuilder {
        const i = mainProfileIndex(this.doc);
        const prof = this.doc.items[i] as Profile;
        const merged = [...(prof.flags ?? [])];
        for (const f of flags) if (!merged.includes(f)) merged.push(f);
        const items = [...this.doc.items];
        items[i] = { ...prof, flags: merged };
        return new ProfileBuilder({ ...this.doc, items });
    }

    /** The plain, JSON-serialisable model. */
    toModel(): PolicyDocument {
        return this.doc;
    }

    /** `JSON.stringify(builder)` writes the plain model. */
    toJSON(): PolicyDocument {
        return this.doc;
    }
}

/** A fluent builder for a new profile: `profile("my-app", { flags: ["complain"] }).with(file(...))`. */
export function profile(name: string, opts: ProfileOptions = {}): ProfileBuilder {
    return new ProfileBuilder(profileModel(name, opts));
}
