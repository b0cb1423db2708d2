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
import { recordProfile } from "./record";
import { generalizePath } from "./suggest";

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

/** True for STATUS events that change what is loaded (not `same as current profile, skipping`). */
export function isLoadEvent(r: AuditRecord): boolean {
    return (
        r.type === "STATUS" &&
        r.operation !== undefined &&
        LOAD_OPERATIONS.has(r.operation) &&
        !(r.info !== undefined && r.info.startsWith("same as current profile"))
    );
}

/** The profile a STATUS event is about (its `name`), or the confining profile of any other event. */
export function subjectProfile(r: AuditRecord): string {
    if (r.type === "STATUS") return r.name ?? recordProfile(r) ?? "(none)";
    return recordProfile(r) ?? "(none)";
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
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const s = structuredClone(previous) as AuditSummary;
    if (options.cursor !== undefined) s.cursor = options.cursor;
    s.malformed += options.malformed ?? 0;

    // Pass 1: load events per profile (needed before attributing anything).
    const events: AuditRecord[] = [];
    const newLoads = new Map<string, LoadEvent[]>();
    for (const r of records) {
        if (r.type === "STATUS") {
            s.statusEvents++;
            if (isLoadEvent(r)) {
                const p = subjectProfile(r);
                let list = newLoads.get(p);
                if (!list) newLoads.set(p, (list = []));
                list.push({ operation: r.operation!, at: r.timestamp, serial: r.serial });
            }
            continue;
        }
        events.push(r);
    }
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
        const { resolved, bounds } = resolveLoads(loads, knownByProfile.get(p) ?? [], tolerance);
        boundaries.set(p, bounds);
        if (resolved.length > 0 || s.profiles[p]) {
            const ps = profileSummary(s, p, limits);
            if (ps) ps.loads = resolved.slice(-limits.maxLoads);
        }
    }

    // Pass 2: count events.
    for (const r of events) {
        s.events++;
        const t = r.timestamp;
        if (t !== undefined) {
            if (s.firstSeen === undefined || t < s.firstSeen) s.firstSeen = t;
            if (s.lastSeen === undefined || t > s.lastSeen) s.lastSeen = t;
        }
        const p = subjectProfile(r);
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
            vs = ps.versions[version] = { count: 0, types: {}, operations: {}, otherOperations: 0 };
        }
        vs.count++;
        bump(vs.types, r.type);
        seen(vs, t);
        const op = r.operation ?? "(none)";
        let os = vs.operations[op];
        if (!os) {
            if (Object.keys(vs.operations).length >= limits.maxOperations) {
                vs.otherOperations++;
                continue;
            }
            os = vs.operations[op] = { count: 0, entries: {}, otherEntries: 0 };
        }
        os.count++;
        const key = clip(denialKey(r), limits.maxKeyLength);
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
    let v: string | undefined;
    let found = false;
    for (const b of bounds) {
        if (b.at <= t) {
            v = b.version;
            found = true;
        } else break;
    }
    return found && v !== undefined ? v : UNKNOWN_VERSION;
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
export function denialKey(r: AuditRecord): string {
    if (r.capname !== undefined) return r.capname;
    if (r.capability !== undefined) return `capability ${r.capability}`;
    if (r.operation !== undefined && r.operation.startsWith("dbus")) {
        const parts = [
            r.bus,
            r.path,
            r.interface && r.member ? `${r.interface}.${r.member}` : (r.interface ?? r.member),
        ];
        if (r.name !== undefined) parts.push(`name=${r.name}`);
        return parts.filter((x) => x !== undefined).join(" ");
    }
    if (r.signal !== undefined) return `${r.signal} peer=${r.peer ?? r.peerProfile ?? "?"}`;
    if (r.operation === "ptrace") return `peer=${r.peer ?? r.peerProfile ?? "?"}`;
    if (r.family !== undefined && r.name === undefined) {
        return [
            r.family,
            r.sockType,
            r.protocol !== undefined ? `protocol=${r.protocol}` : undefined,
        ]
            .filter((x) => x !== undefined)
            .join(" ");
    }
    if (r.fstype !== undefined || r.srcname !== undefined) {
        return `${r.srcname ?? "?"} -> ${r.name ?? "?"}${r.fstype ? ` (${r.fstype})` : ""}`;
    }
    if (r.name !== undefined) {
        // paths generalised like suggestions (pids, uids, UUIDs, temp names) to bound distinct keys
        const name = r.name.startsWith("/") ? generalizePath(r.name) : r.name;
        return r.name2 !== undefined ? `${name} -> ${r.name2}` : name;
    }
    return r.info ?? r.operation ?? "?";
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
