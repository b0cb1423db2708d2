/**
 * Aggregation of AppArmor events into bounded summaries, with attribution to profile versions and
 * incremental merging (what the components store in stack state after each refresh).
 *
 * Shape: profile → version → operation → entry (name / capability / peer …; paths generalised as in
 * suggest.ts, so `/proc/1234/mem` and `/proc/99/mem` are one entry) with counts, event kinds,
 * first/last seen, masks and a few sample pid/comm. Every level is capped; what does not fit is
 * counted in an `other…` counter so totals stay exact.
 *
 * Version attribution: a profile's loads form boundaries in time. Boundaries come from STATUS events
 * in the log (`profile_load`, `profile_replace` — except `same as current profile, skipping` —, and
 * `profile_remove`) and from the loads the caller knows about (`KnownLoad`: version + time, on the
 * host's clock). A known load claims the STATUS event within `toleranceSeconds` of it, whose kernel
 * time is exact; a STATUS event no known load claims is a load by someone else, and what follows it
 * is attributed to the version `"unknown"` — truthfully, since nobody knows what was loaded. A known
 * load with no STATUS event nearby (its log line was outside the window read) starts its version at
 * its own time. Events before any boundary, or without a time, are `"unknown"` too.
 */
import type { AuditEventType, AuditRecord } from "./record";
import { generalizePath } from "./suggest";
import type { ParseOptions, ParseStats } from "./parse";
import { scanAuditEvents } from "./parse";

/** A version of a profile that the caller loaded (or verified as loaded) at a given time. */
export interface KnownLoad {
    readonly profile: string;
    readonly version: string;
    /** Seconds since the epoch, on the host's clock (e.g. `date +%s.%N` around `apparmor_parser -r`). */
    readonly at: number;
}

/** Version key for events that cannot be attributed to a known version. */
export const UNKNOWN_VERSION = "unknown";

export interface SummaryLimits {
    /** Profiles kept. Defaults to 50. */
    readonly maxProfiles?: number;
    /** Versions kept per profile (the most recently seen). Defaults to 8. */
    readonly maxVersions?: number;
    /** Operations kept per version. Defaults to 32. */
    readonly maxOperations?: number;
    /** Entries (distinct names, capabilities, peers…) kept per operation. Defaults to 50. */
    readonly maxEntries?: number;
    /** Sample pid/comm pairs kept per entry. Defaults to 3. */
    readonly maxSamples?: number;
    /** Load/replace/remove events kept per profile (the latest). Defaults to 16. */
    readonly maxLoads?: number;
    /** Longest entry key kept (longer keys are cut and marked with `…`). Defaults to 256. */
    readonly maxKeyLength?: number;
}

const DEFAULT_LIMITS: Required<SummaryLimits> = {
    maxProfiles: 50,
    maxVersions: 8,
    maxOperations: 32,
    maxEntries: 50,
    maxSamples: 3,
    maxLoads: 16,
    maxKeyLength: 256,
};

export type TypeCounts = Partial<Record<AuditEventType, number>>;

export interface DenialSample {
    readonly pid?: number;
    readonly comm?: string;
    readonly at?: number;
}

export interface DenialEntry {
    count: number;
    types: TypeCounts;
    firstSeen?: number;
    lastSeen?: number;
    /** Union of the requested permissions seen (letters, or words such as `send receive`). */
    requestedMask?: string;
    /** Union of the denied permissions seen. */
    deniedMask?: string;
    samples: DenialSample[];
}

export interface OperationSummary {
    count: number;
    entries: Record<string, DenialEntry>;
    /** Events whose entry was not kept because `maxEntries` was reached. */
    otherEntries: number;
}

export interface VersionSummary {
    count: number;
    types: TypeCounts;
    firstSeen?: number;
    lastSeen?: number;
    operations: Record<string, OperationSummary>;
    /** Events whose operation was not kept because `maxOperations` was reached. */
    otherOperations: number;
}

/** A load, replace or remove of the profile, from a STATUS event. */
export interface LoadEvent {
    readonly operation: string;
    readonly at?: number;
    readonly serial?: number;
    /** The version this load put in place, when a known load claims it; absent = unknown. */
    readonly version?: string;
}

export interface ProfileSummary {
    count: number;
    versions: Record<string, VersionSummary>;
    /** Events of versions dropped because `maxVersions` was reached. */
    otherVersions: number;
    /** The latest loads (oldest first), kept to attribute later events. */
    loads: LoadEvent[];
}

export interface AuditSummary {
    readonly schema: 1;
    /** Opaque position of the last read (see cursor.ts); set by the caller through `mergeEvents`. */
    cursor?: string;
    /** Non-STATUS events merged (all of them, including those counted in `other…`). */
    events: number;
    /** STATUS events merged. */
    statusEvents: number;
    /** Malformed lines reported by the parser, summed over merges. */
    malformed: number;
    firstSeen?: number;
    lastSeen?: number;
    profiles: Record<string, ProfileSummary>;
    /** Events of profiles not kept because `maxProfiles` was reached. */
    otherProfiles: number;
}

export interface MergeOptions {
    /** Versions the caller loaded, for attribution. Defaults to none. */
    readonly loads?: readonly KnownLoad[];
    /** How far (seconds) a known load may be from the STATUS event it claims. Defaults to 5. */
    readonly toleranceSeconds?: number;
    /** The new read position, stored in the result. Defaults to keeping the previous one. */
    readonly cursor?: string;
    /** Malformed lines of this read, added to the total. Defaults to 0. */
    readonly malformed?: number;
    readonly limits?: SummaryLimits;
}

export function emptySummary(): AuditSummary {
    return { schema: 1, events: 0, statusEvents: 0, malformed: 0, profiles: {}, otherProfiles: 0 };
}

/** Summarises events from scratch. */
export function summarize(
    records: Iterable<AuditRecord>,
    options: MergeOptions = {},
): AuditSummary {
    return mergeEvents(emptySummary(), records, options);
}

const LOAD_OPERATIONS = new Set(["profile_load", "profile_replace", "profile_remove"]);

/** The fields `denialKey` reads. An `AuditRecord` has them, and so has an `AuditEventView`. */
export type DenialKeyFields = Pick<
    AuditRecord,
    | "capname"
    | "capability"
    | "operation"
    | "bus"
    | "path"
    | "interface"
    | "member"
    | "name"
    | "signal"
    | "peer"
    | "peerProfile"
    | "family"
    | "sockType"
    | "protocol"
    | "fstype"
    | "srcname"
    | "name2"
    | "info"
    | "requestedMask"
    | "deniedMask"
>;

/**
 * The fields aggregation reads: an `AuditRecord`, or an `AuditEventView` (the scanner's on-demand
 * view, which decodes only these).
 */
export type AggregatedFields = DenialKeyFields &
    Pick<
        AuditRecord,
        | "type"
        | "profile"
        | "label"
        | "timestamp"
        | "serial"
        | "requestedMask"
        | "deniedMask"
        | "pid"
        | "comm"
    >;

/** True for STATUS events that change what is loaded (not `same as current profile, skipping`). */
export function isLoadEvent(r: Pick<AuditRecord, "type" | "operation" | "info">): boolean {
    return (
        r.type === "STATUS" &&
        r.operation !== undefined &&
        LOAD_OPERATIONS.has(r.operation) &&
        !(r.info !== undefined && r.info.startsWith("same as current profile"))
    );
}

/** The profile a STATUS event is about (its `name`), or the confining profile of any other event. */
export function subjectProfile(
    r: Pick<AuditRecord, "type" | "name" | "profile" | "label">,
): string {
    if (r.type === "STATUS") return r.name ?? r.profile ?? r.label ?? "(none)";
    return r.profile ?? r.label ?? "(none)";
}

/**
 * Merges new events into a summary and returns the new summary (the input is not modified).
 * Merging A then B gives the same summary as summarising A+B at once (as long as no cap is hit).
 */
export function mergeEvents(
    previous: AuditSummary,
    records: Iterable<AuditRecord>,
    options: MergeOptions = {},
): AuditSummary {
    const a = new AuditAggregator(previous, options);
    for (const r of records) a.add(r);
    return a.finish();
}

/**
 * Parses `text` and merges its events into `previous` in one pass, through the scanner's
 * on-demand views: no record is built, only the fields aggregation needs are decoded. Gives the
 * same summary as `mergeEvents(previous, parseAuditLog(text).events, options)`; the parser's
 * malformed lines are added to `malformed` (besides `options.malformed`).
 */
export function mergeAuditLog(
    previous: AuditSummary,
    text: string,
    options: MergeOptions = {},
    parseOptions: ParseOptions = {},
): { summary: AuditSummary; stats: ParseStats } {
    const a = new AuditAggregator(previous, options);
    const stats = scanAuditEvents(text, (ev) => a.add(ev), parseOptions);
    a.addMalformed(stats.malformed);
    return { summary: a.finish(), stats };
}

/** Event data kept between the two passes of an aggregation (load boundaries come first). */
interface Pending {
    readonly profile: string;
    readonly t: number | undefined;
    readonly type: AuditEventType;
    readonly operation: string;
    readonly key: string;
    readonly requestedMask: string | undefined;
    readonly deniedMask: string | undefined;
    readonly pid: number | undefined;
    readonly comm: string | undefined;
}

/**
 * Incremental aggregation: `add` events one by one (records, or the scanner's views inside a
 * `scanAuditEvents` callback: only what is needed is read from them, nothing keeps them), then
 * `finish` once. `mergeEvents` and `mergeAuditLog` are built on it.
 */
export class AuditAggregator {
    private readonly limits: Required<SummaryLimits>;
    private readonly s: AuditSummary;
    private readonly pending: Pending[] = [];
    private readonly newLoads = new Map<string, LoadEvent[]>();
    /** `generalizePath` results (paths repeat; it is the costliest part of an entry key). */
    private readonly generalized = new Map<string, string>();
    private readonly generalize = (path: string): string => {
        let g = this.generalized.get(path);
        if (g === undefined) {
            if (this.generalized.size >= 10000) this.generalized.clear();
            g = generalizePath(path);
            this.generalized.set(path, g);
        }
        return g;
    };
    private finished = false;

    constructor(
        previous: AuditSummary = emptySummary(),
        private readonly options: MergeOptions = {},
    ) {
        this.limits = { ...DEFAULT_LIMITS, ...options.limits };
        this.s = structuredClone(previous) as AuditSummary;
        if (options.cursor !== undefined) this.s.cursor = options.cursor;
        this.s.malformed += options.malformed ?? 0;
    }

    /** Adds one event: an `AuditRecord`, or an `AuditEventView` (read at once, not kept). */
    add(r: AggregatedFields): void {
        if (this.finished) throw new Error("AuditAggregator: add after finish");
        if (r.type === "STATUS") {
            this.s.statusEvents++;
            if (isLoadEvent(r)) {
                const p = subjectProfile(r);
                let list = this.newLoads.get(p);
                if (!list) this.newLoads.set(p, (list = []));
                list.push({ operation: r.operation!, at: r.timestamp, serial: r.serial });
            }
            return;
        }
        this.pending.push({
            profile: subjectProfile(r),
            t: r.timestamp,
            type: r.type,
            operation: r.operation ?? "(none)",
            key: clip(denialKeyWith(r, this.generalize), this.limits.maxKeyLength),
            requestedMask: r.requestedMask,
            deniedMask: r.deniedMask,
            pid: r.pid,
            comm: r.comm,
        });
    }

    /** Adds to the malformed-line count. */
    addMalformed(n: number): void {
        this.s.malformed += n;
    }

    /** The merged summary. Call once, after the last `add`. */
    finish(): AuditSummary {
        if (this.finished) throw new Error("AuditAggregator: finish called twice");
        this.finished = true;
        const { s, limits, options, newLoads } = this;
        const knownByProfile = new Map<string, KnownLoad[]>();
        for (const k of options.loads ?? []) {
            let list = knownByProfile.get(k.profile);
            if (!list) knownByProfile.set(k.profile, (list = []));
            list.push(k);
        }
        const tolerance = options.toleranceSeconds ?? 5;
        const boundaries = new Map<string, Boundary[]>();
        const profilesWithLoads = new Set([
            ...Object.keys(s.profiles).filter((p) => s.profiles[p].loads.length > 0),
            ...newLoads.keys(),
            ...knownByProfile.keys(),
        ]);
        for (const p of profilesWithLoads) {
            const stored = s.profiles[p]?.loads ?? [];
            const loads = [
                ...stored.map((l) => ({ ...l, version: undefined })),
                ...(newLoads.get(p) ?? []),
            ];
            const { resolved, bounds } = resolveLoads(
                loads,
                knownByProfile.get(p) ?? [],
                tolerance,
            );
            boundaries.set(p, bounds);
            if (resolved.length > 0 || s.profiles[p]) {
                const ps = profileSummary(s, p, limits);
                if (ps) ps.loads = resolved.slice(-limits.maxLoads);
            }
        }

        // Pass 2: count events.
        for (const r of this.pending) {
            s.events++;
            const t = r.t;
            if (t !== undefined) {
                if (s.firstSeen === undefined || t < s.firstSeen) s.firstSeen = t;
                if (s.lastSeen === undefined || t > s.lastSeen) s.lastSeen = t;
            }
            const p = r.profile;
            const ps = profileSummary(s, p, limits);
            if (!ps) {
                s.otherProfiles++;
                continue;
            }
            ps.count++;
            const version = versionAt(boundaries.get(p), t);
            let vs = ps.versions[version];
            if (!vs) {
                if (Object.keys(ps.versions).length >= limits.maxVersions) {
                    ps.otherVersions++;
                    continue;
                }
                vs = ps.versions[version] = {
                    count: 0,
                    types: {},
                    operations: {},
                    otherOperations: 0,
                };
            }
            vs.count++;
            bump(vs.types, r.type);
            seen(vs, t);
            const op = r.operation;
            let os = vs.operations[op];
            if (!os) {
                if (Object.keys(vs.operations).length >= limits.maxOperations) {
                    vs.otherOperations++;
                    continue;
                }
                os = vs.operations[op] = { count: 0, entries: {}, otherEntries: 0 };
            }
            os.count++;
            const key = r.key;
            let e = os.entries[key];
            if (!e) {
                if (Object.keys(os.entries).length >= limits.maxEntries) {
                    os.otherEntries++;
                    continue;
                }
                e = os.entries[key] = { count: 0, types: {}, samples: [] };
            }
            e.count++;
            bump(e.types, r.type);
            seen(e, t);
            if (r.requestedMask !== undefined)
                e.requestedMask = unionMask(e.requestedMask, r.requestedMask);
            if (r.deniedMask !== undefined) e.deniedMask = unionMask(e.deniedMask, r.deniedMask);
            if (
                e.samples.length < limits.maxSamples &&
                (r.pid !== undefined || r.comm !== undefined) &&
                !e.samples.some((x) => x.pid === r.pid && x.comm === r.comm)
            ) {
                const sample: { pid?: number; comm?: string; at?: number } = {};
                if (r.pid !== undefined) sample.pid = r.pid;
                if (r.comm !== undefined) sample.comm = r.comm;
                if (t !== undefined) sample.at = t;
                e.samples.push(sample);
            }
        }
        return s;
    }
}

interface Boundary {
    readonly at: number;
    /** undefined: unknown version (a load nobody claimed) or nothing loaded (after a remove). */
    readonly version?: string;
}

/**
 * Resolves which version each STATUS load put in place, and the resulting time boundaries.
 * `loads` may contain duplicates (the same event stored and read again): deduplicated by serial+time.
 */
function resolveLoads(
    loads: LoadEvent[],
    known: readonly KnownLoad[],
    tolerance: number,
): { resolved: LoadEvent[]; bounds: Boundary[] } {
    const seenKeys = new Set<string>();
    const unique: LoadEvent[] = [];
    for (const l of loads) {
        const k = `${l.serial ?? ""}@${l.at ?? ""}@${l.operation}`;
        if (l.serial !== undefined && seenKeys.has(k)) continue;
        seenKeys.add(k);
        unique.push(l);
    }
    const timed = unique.filter((l) => l.at !== undefined).sort((a, b) => a.at! - b.at!);
    const versions: (string | undefined)[] = timed.map(() => undefined);
    const synthetic: Boundary[] = [];
    for (const k of [...known].sort((a, b) => a.at - b.at)) {
        // the latest load event at or before k.at + tolerance, if it is within tolerance of k.at
        let idx = -1;
        for (let i = timed.length - 1; i >= 0; i--) {
            if (timed[i].at! <= k.at + tolerance) {
                idx = i;
                break;
            }
        }
        if (
            idx >= 0 &&
            timed[idx].operation !== "profile_remove" &&
            timed[idx].at! >= k.at - tolerance
        ) {
            versions[idx] = k.version;
        } else {
            synthetic.push({ at: k.at, version: k.version });
        }
    }
    const resolved = timed.map((l, i) => {
        const out: { operation: string; at?: number; serial?: number; version?: string } = {
            operation: l.operation,
        };
        if (l.at !== undefined) out.at = l.at;
        if (l.serial !== undefined) out.serial = l.serial;
        if (versions[i] !== undefined) out.version = versions[i];
        return out;
    });
    const bounds: Boundary[] = [
        ...timed.map((l, i) => ({ at: l.at!, version: versions[i] })),
        ...synthetic,
    ].sort((a, b) => a.at - b.at);
    return { resolved, bounds };
}

function versionAt(bounds: Boundary[] | undefined, t: number | undefined): string {
    if (!bounds || bounds.length === 0 || t === undefined) return UNKNOWN_VERSION;
    let i: number;
    if (sortedBounds(bounds)) {
        // the last boundary at or before t, by bisection (what the loop below finds)
        let lo = 0;
        let hi = bounds.length;
        while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (bounds[mid].at <= t) lo = mid + 1;
            else hi = mid;
        }
        i = lo - 1;
    } else {
        // boundaries with a NaN time (a caller's load): walk them as they are
        i = -1;
        for (let k = 0; k < bounds.length; k++) {
            if (bounds[k].at <= t) i = k;
            else break;
        }
    }
    const v = i >= 0 ? bounds[i].version : undefined;
    return v !== undefined ? v : UNKNOWN_VERSION;
}

const SORTED = new WeakMap<Boundary[], boolean>();

/** True when every boundary time is a number in ascending order (then bisection is exact). */
function sortedBounds(bounds: Boundary[]): boolean {
    let ok = SORTED.get(bounds);
    if (ok === undefined) {
        ok = true;
        for (let k = 0; k < bounds.length; k++) {
            const at = bounds[k].at;
            if (Number.isNaN(at) || (k > 0 && at < bounds[k - 1].at)) ok = false;
        }
        SORTED.set(bounds, ok);
    }
    return ok;
}

function profileSummary(
    s: AuditSummary,
    p: string,
    limits: Required<SummaryLimits>,
): ProfileSummary | undefined {
    let ps = s.profiles[p];
    if (!ps) {
        if (Object.keys(s.profiles).length >= limits.maxProfiles) return undefined;
        ps = s.profiles[p] = { count: 0, versions: {}, otherVersions: 0, loads: [] };
    }
    return ps;
}

function bump(c: TypeCounts, t: AuditEventType): void {
    c[t] = (c[t] ?? 0) + 1;
}

function seen(x: { firstSeen?: number; lastSeen?: number }, t: number | undefined): void {
    if (t === undefined) return;
    if (x.firstSeen === undefined || t < x.firstSeen) x.firstSeen = t;
    if (x.lastSeen === undefined || t > x.lastSeen) x.lastSeen = t;
}

function clip(s: string, max: number): string {
    return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Union of two masks. File masks are letter sets (`r`, `wc`, `::r` on old kernels); other classes
 * use words (`send receive`, `create`). The result is sorted, so it does not depend on order.
 */
export function unionMask(a: string | undefined, b: string): string {
    if (a === undefined || a === b) return b;
    if (isWordMask(a) || isWordMask(b)) {
        const words = new Set([...a.split(/\s+/), ...b.split(/\s+/)].filter((w) => w.length > 0));
        return [...words].sort().join(" ");
    }
    return [...new Set([...a, ...b])].sort().join("");
}

/** File masks are letters (`rwc`, `::r`); signal/ptrace/unix/dbus masks are words (`send receive`). */
function isWordMask(m: string): boolean {
    return /[^rwaxlkmcdt:]/.test(m);
}

/** The entry an event is counted under: what was accessed (path, capability, peer, socket…). */
export function denialKey(r: DenialKeyFields): string {
    return denialKeyWith(r, generalizePath);
}

/** `denialKey` with a given path generalisation (a memoised one when aggregating). */
function denialKeyWith(r: DenialKeyFields, generalize: (path: string) => string): string {
    const capname = r.capname;
    if (capname !== undefined) return capname;
    const capability = r.capability;
    if (capability !== undefined) return `capability ${capability}`;
    const operation = r.operation;
    if (operation !== undefined && operation.startsWith("dbus")) {
        const iface = r.interface;
        const member = r.member;
        const parts = [r.bus, r.path, iface && member ? `${iface}.${member}` : (iface ?? member)];
        const name = r.name;
        if (name !== undefined) parts.push(`name=${name}`);
        return parts.filter((x) => x !== undefined).join(" ");
    }
    const signal = r.signal;
    if (signal !== undefined) return `${signal} peer=${r.peer ?? r.peerProfile ?? "?"}`;
    if (operation !== undefined && operation.startsWith("uring_")) {
        // io_uring: what was asked (sqpoll, override_creds) and, for override_creds, whose
        const peer = r.peerProfile;
        const what = r.deniedMask ?? r.requestedMask ?? operation;
        return peer !== undefined ? `${what} peer=${peer}` : what;
    }
    if (operation === "ptrace") return `peer=${r.peer ?? r.peerProfile ?? "?"}`;
    const name = r.name;
    const family = r.family;
    if (family !== undefined && name === undefined) {
        const protocol = r.protocol;
        return [family, r.sockType, protocol !== undefined ? `protocol=${protocol}` : undefined]
            .filter((x) => x !== undefined)
            .join(" ");
    }
    const fstype = r.fstype;
    const srcname = r.srcname;
    if (fstype !== undefined || srcname !== undefined) {
        return `${srcname ?? "?"} -> ${name ?? "?"}${fstype ? ` (${fstype})` : ""}`;
    }
    if (name !== undefined) {
        // paths generalised like suggestions (pids, uids, UUIDs, temp names) to bound distinct keys
        const g = name.startsWith("/") ? generalize(name) : name;
        const name2 = r.name2;
        return name2 !== undefined ? `${g} -> ${name2}` : g;
    }
    return r.info ?? operation ?? "?";
}

/** Attributes each event to a version (same rules as `mergeEvents`). Useful for callers listing events. */
export function attributeVersions(
    records: readonly AuditRecord[],
    options: { readonly loads?: readonly KnownLoad[]; readonly toleranceSeconds?: number } = {},
): string[] {
    const byProfile = new Map<string, LoadEvent[]>();
    for (const r of records) {
        if (isLoadEvent(r)) {
            const p = subjectProfile(r);
            let list = byProfile.get(p);
            if (!list) byProfile.set(p, (list = []));
            list.push({ operation: r.operation!, at: r.timestamp, serial: r.serial });
        }
    }
    const known = new Map<string, KnownLoad[]>();
    for (const k of options.loads ?? []) {
        let list = known.get(k.profile);
        if (!list) known.set(k.profile, (list = []));
        list.push(k);
    }
    const bounds = new Map<string, Boundary[]>();
    for (const p of new Set([...byProfile.keys(), ...known.keys()])) {
        bounds.set(
            p,
            resolveLoads(byProfile.get(p) ?? [], known.get(p) ?? [], options.toleranceSeconds ?? 5)
                .bounds,
        );
    }
    return records.map((r) =>
        r.type === "STATUS"
            ? UNKNOWN_VERSION
            : versionAt(bounds.get(subjectProfile(r)), r.timestamp),
    );
}
