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
import type {
    CapabilityRule,
    ChangeProfileRule,
    Comment,
    DbusRule,
    FileRule,
    Include,
    LinkRule,
    MountRule,
    NetworkRule,
    PivotRootRule,
    PolicyDocument,
    PolicyItem,
    Profile,
    ProfileItem,
    PtraceRule,
    Qualifiers,
    RawRule,
    RemountRule,
    RlimitRule,
    SignalRule,
    UmountRule,
    UnixRule,
    UsernsRule,
    VariableAssignment,
} from "./model";
import type { AllRule } from "./rules/all";
import { buildAll } from "./rules/all";
import { buildIoUring, type IoUringOptions, type IoUringRule } from "./rules/ioUring";
import { buildMqueue, type MqueueOptions, type MqueueRule } from "./rules/mqueue";
import { buildUserns, type UsernsOptions } from "./rules/userns";
import { buildCapability } from "./rules/capability";
import { buildChangeProfile, type ChangeProfileOptions } from "./rules/changeProfile";
import { buildDbus, type DbusOptions } from "./rules/dbus";
import { buildFile } from "./rules/file";
import { buildLink } from "./rules/link";
import { buildMount, buildRemountOrUmount, type MountOptions } from "./rules/mount";
import { buildNetwork, type NetworkOptions } from "./rules/network";
import { buildPivotRoot, type PivotRootOptions } from "./rules/pivotRoot";
import { buildPtrace, type PtraceOptions } from "./rules/ptrace";
import { buildRlimit } from "./rules/rlimit";
import { buildSignal, type SignalOptions } from "./rules/signal";
import { buildUnix, type UnixOptions } from "./rules/unix";

export { parsePermissions, type ParsedPermissions } from "./rules/file";
export type {
    ChangeProfileOptions,
    DbusOptions,
    IoUringOptions,
    MqueueOptions,
    UsernsOptions,
    MountOptions,
    NetworkOptions,
    PtraceOptions,
    SignalOptions,
    UnixOptions,
};

// ---------------------------------------------------------------------------------------------------
// Rule helpers (each rule kind's builder lives with the kind in rules/)
// ---------------------------------------------------------------------------------------------------

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
    /** `userns [create],` (AppArmor 4): creating user namespaces. */
    userns(opts?: UsernsOptions): UsernsRule;
    /** `mqueue (ACCESS) type=… label=… NAME,` (AppArmor 4): message queues. */
    mqueue(opts?: MqueueOptions): MqueueRule;
    /** `io_uring (ACCESS) label=…,` (AppArmor 4): io_uring sqpoll and override_creds. */
    ioUring(opts?: IoUringOptions): IoUringRule;
    /** `all,` (AppArmor 4): every kind of access; takes no priority. */
    all(): AllRule;
    /**
     * `priority=N …` (AppArmor 4.1): among conflicting rules the highest priority wins; an integer
     * from -1000 to 1000. Not for network and `all` rules (the validator reports them).
     */
    priority(n: number): RuleHelpers;
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
    /** `priority=N owner …` (AppArmor 4.1), an integer from -1000 to 1000. */
    priority(n: number): OwnerRuleHelpers;
    readonly audit: OwnerRuleHelpers;
    readonly deny: OwnerRuleHelpers;
    readonly allow: OwnerRuleHelpers;
}
interface State extends Qualifiers {
    readonly owner?: boolean;
}

function quals(s: State): Qualifiers {
    const q: { priority?: number; audit?: boolean; deny?: boolean; allow?: boolean } = {};
    if (s.priority !== undefined) q.priority = s.priority;
    if (s.audit) q.audit = true;
    if (s.allow) q.allow = true;
    if (s.deny) q.deny = true;
    return q;
}

function withQualifier(s: State, q: "audit" | "deny" | "allow"): State {
    if (q === "deny" && s.allow) throw new TypeError("a rule cannot be both allow and deny");
    if (q === "allow" && s.deny) throw new TypeError("a rule cannot be both deny and allow");
    return { ...s, [q]: true };
}

function withPriority(s: State, n: number): State {
    if (typeof n !== "number" || !Number.isSafeInteger(n)) {
        throw new TypeError(`priority ${String(n)} is not an integer`);
    }
    return { ...s, priority: n };
}

function fileHelpers(s: State): FileRuleHelpers {
    return {
        file: (path?: string, perms?: string, target?: string): FileRule =>
            buildFile(quals(s), s.owner, path, perms, target),
        link: (path: string, target: string, opts?: { readonly subset?: boolean }): LinkRule =>
            buildLink(quals(s), s.owner, path, target, opts),
    };
}

function ownerHelpers(s: State): OwnerRuleHelpers {
    return {
        ...fileHelpers(s),
        priority: (n: number): OwnerRuleHelpers => ownerHelpers(withPriority(s, n)),
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
        capability: (...names: string[]): CapabilityRule => buildCapability(q(), names),
        network: (domainOrOptions?: string | NetworkOptions, type?: string, protocol?: string) =>
            buildNetwork(q(), domainOrOptions, type, protocol),
        signal: (opts?: SignalOptions): SignalRule => buildSignal(q(), opts),
        ptrace: (opts?: PtraceOptions): PtraceRule => buildPtrace(q(), opts),
        unix: (opts?: UnixOptions): UnixRule => buildUnix(q(), opts),
        dbus: (opts?: DbusOptions): DbusRule => buildDbus(q(), opts),
        mount: (opts?: MountOptions): MountRule => buildMount(q(), opts),
        remount: (opts?: Omit<MountOptions, "source">): RemountRule =>
            buildRemountOrUmount("remount", q(), opts),
        umount: (opts?: Omit<MountOptions, "source">): UmountRule =>
            buildRemountOrUmount("umount", q(), opts),
        pivotRoot: (opts?: PivotRootOptions): PivotRootRule => buildPivotRoot(q(), opts),
        changeProfile: (target?: string, opts?: ChangeProfileOptions): ChangeProfileRule =>
            buildChangeProfile(q(), target, opts),
        userns: (opts?: UsernsOptions): UsernsRule => buildUserns(q(), opts),
        mqueue: (opts?: MqueueOptions): MqueueRule => buildMqueue(q(), opts),
        ioUring: (opts?: IoUringOptions): IoUringRule => buildIoUring(q(), opts),
        all: (): AllRule => buildAll(q()),
        priority: (n: number): RuleHelpers => ruleHelpers(withPriority(s, n)),
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
/** `userns [create],` rule (AppArmor 4). */
export const userns = plain.userns;
/** `mqueue …,` rule (AppArmor 4). */
export const mqueue = plain.mqueue;
/** `io_uring …,` rule (AppArmor 4). */
export const ioUring = plain.ioUring;
/** `all,` rule (AppArmor 4): every kind of access. */
export const all = plain.all;
/**
 * `priority=N` rules (AppArmor 4.1): `priority(10).deny.file("/etc/x", "w")` →
 * `priority=10 deny /etc/x w,`. An integer from -1000 to 1000.
 */
export const priority = plain.priority;
/** `set rlimit RESOURCE <= VALUE,` e.g. `rlimit("nofile", "1024")`. */
export function rlimit(resource: string, value: string | number): RlimitRule {
    return buildRlimit(resource, value);
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
