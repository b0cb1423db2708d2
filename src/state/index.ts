/**
 * Shapes of what stack state records for a profile on a host, and the pure functions that keep them
 * bounded. Everything here is plain JSON (it travels through the engine as resource outputs) and
 * holds no secrets: connection details live in a separate, secret-marked output.
 */

/** AppArmor profile mode as the kernel reports it. */
export type ProfileMode = "enforce" | "complain";

/** One installed version of a profile on one host. */
export interface VersionRecord {
    /** sha256 (hex) of the canonical profile text that was installed. */
    readonly version: string;
    /** the mode it was loaded in. */
    readonly mode: ProfileMode;
    /** ISO-8601 time at which the load finished (host clock as seen by the provider). */
    readonly loadedAt: string;
}

/** Number of versions kept per host in {@link HostVersions.history}. */
export const HISTORY_LIMIT = 5;

/** The `versions` entry of one host. */
export interface HostVersions {
    /** version currently installed (sha256 of the profile text). */
    readonly version: string;
    /** mode currently installed. */
    readonly mode: ProfileMode;
    /** when the current version was loaded. */
    readonly loadedAt: string;
    /** the last {@link HISTORY_LIMIT} versions, newest first (the current one included). */
    readonly history: readonly VersionRecord[];
}

/**
 * Adds a load to a history, newest first, bounded by {@link HISTORY_LIMIT}. A reload of the same
 * version and mode (e.g. a drift repair) refreshes its load time instead of adding an entry.
 */
export function pushHistory(
    history: readonly VersionRecord[] | undefined,
    rec: VersionRecord,
    limit = HISTORY_LIMIT,
): VersionRecord[] {
    const rest = (history ?? []).filter((h) => !(h.version === rec.version && h.mode === rec.mode));
    return [rec, ...rest].slice(0, Math.max(1, limit));
}

/** One denial target (a path, a capability, a network family…) within an operation. */
export interface DenialTarget {
    readonly operation: string;
    /** file path, `capability:NAME`, `network:FAMILY/TYPE`, `signal:…` or the raw target. */
    readonly target: string;
    /** denied (or, in complain mode, allowed) permission mask when the log has one. */
    readonly mask?: string;
    readonly count: number;
    /**
     * First/last time seen, from the audit timestamp: ISO 8601 in UTC with milliseconds, like every
     * time in the outputs (`loadedAt`, `stagedAt`). Stacks written by 0.1 releases before this hold
     * seconds since the epoch here; they are read as such and written back as ISO times.
     */
    readonly firstSeen: string;
    readonly lastSeen: string;
}

/** Denials (and complain-mode ALLOWED events) of one profile version on one host, bounded in size. */
export interface DenialSummary {
    /** DENIED events counted. */
    readonly denied: number;
    /** ALLOWED events counted (complain mode). */
    readonly allowed: number;
    /** counts per operation (`open`, `mknod`, `capable`, …), DENIED and ALLOWED together. */
    readonly byOperation: Readonly<Record<string, number>>;
    /** the most frequent targets (at most {@link TARGET_LIMIT}), most frequent first. */
    readonly targets: readonly DenialTarget[];
    /** how many distinct targets were dropped to keep {@link targets} bounded. */
    readonly droppedTargets: number;
    /** a few raw log lines (at most {@link SAMPLE_LIMIT}, each cut at {@link SAMPLE_CHARS}). */
    readonly samples: readonly string[];
    /** First/last event of the version (ISO times, see {@link DenialTarget.firstSeen}). */
    readonly firstSeen?: string;
    readonly lastSeen?: string;
    /**
     * Rules that would allow what was denied (profile text, one rule each, from the log's
     * suggestions), at most {@link SUGGESTION_LIMIT}, first seen first.
     */
    readonly suggested?: readonly string[];
}

export const TARGET_LIMIT = 20;
export const SUGGESTION_LIMIT = 20;
export const SAMPLE_LIMIT = 3;
export const SAMPLE_CHARS = 400;
/** Number of versions whose denials are kept per host (oldest dropped first). */
export const DENIAL_VERSIONS_LIMIT = 5;

/** An event as the denial store needs it (mapped from the log parser's records). */
export interface DenialEvent {
    readonly kind: "DENIED" | "ALLOWED";
    readonly operation: string;
    readonly target: string;
    readonly mask?: string;
    /** seconds since the epoch. */
    readonly time: number;
    readonly line?: string;
    /** Suggested rules (profile text) that would allow it. */
    readonly rules?: readonly string[];
}

export function emptySummary(): DenialSummary {
    return { denied: 0, allowed: 0, byOperation: {}, targets: [], droppedTargets: 0, samples: [] };
}

/** An audit timestamp (seconds since the epoch) as an output time: ISO 8601, UTC, milliseconds. */
export function isoTime(seconds: number): string {
    return new Date(Math.round(seconds * 1000)).toISOString();
}

/**
 * A time read back from state as seconds since the epoch: an ISO time, or the number of seconds
 * earlier releases stored; undefined when absent or unreadable.
 */
export function stateSeconds(t: string | number | undefined): number | undefined {
    if (typeof t === "number") return Number.isFinite(t) ? t : undefined;
    if (typeof t !== "string") return undefined;
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Merges events into a summary, keeping it bounded. Pure; the input summary is not modified. */
export function mergeDenials(
    summary: DenialSummary | undefined,
    events: readonly DenialEvent[],
): DenialSummary {
    const s = summary ?? emptySummary();
    let denied = s.denied;
    let allowed = s.allowed;
    const byOperation: Record<string, number> = { ...s.byOperation };
    // Times as seconds while merging (state of earlier releases holds numbers), ISO on the way out.
    type Target = Omit<DenialTarget, "firstSeen" | "lastSeen"> & { first: number; last: number };
    const targets = new Map<string, Target>();
    for (const t of s.targets) {
        const first = stateSeconds(t.firstSeen) ?? 0;
        const last = stateSeconds(t.lastSeen) ?? first;
        targets.set(`${t.operation}\0${t.target}\0${t.mask ?? ""}`, {
            operation: t.operation,
            target: t.target,
            ...(t.mask ? { mask: t.mask } : {}),
            count: t.count,
            first,
            last,
        });
    }
    const samples = [...s.samples];
    const suggested = new Set(s.suggested ?? []);
    let firstSeen = stateSeconds(s.firstSeen);
    let lastSeen = stateSeconds(s.lastSeen);
    for (const e of events) {
        if (e.kind === "DENIED") denied++;
        else allowed++;
        byOperation[e.operation] = (byOperation[e.operation] ?? 0) + 1;
        const key = `${e.operation}\0${e.target}\0${e.mask ?? ""}`;
        const old = targets.get(key);
        targets.set(key, {
            operation: e.operation,
            target: e.target,
            ...(e.mask ? { mask: e.mask } : {}),
            count: (old?.count ?? 0) + 1,
            first: Math.min(old?.first ?? e.time, e.time),
            last: Math.max(old?.last ?? e.time, e.time),
        });
        if (e.line && samples.length < SAMPLE_LIMIT) samples.push(e.line.slice(0, SAMPLE_CHARS));
        for (const r of e.rules ?? []) if (suggested.size < SUGGESTION_LIMIT) suggested.add(r);
        firstSeen = firstSeen === undefined ? e.time : Math.min(firstSeen, e.time);
        lastSeen = lastSeen === undefined ? e.time : Math.max(lastSeen, e.time);
    }
    const sorted = [...targets.values()]
        .sort((a, b) => b.count - a.count || b.last - a.last || a.target.localeCompare(b.target))
        .map(
            ({ first, last, ...t }): DenialTarget => ({
                ...t,
                firstSeen: isoTime(first),
                lastSeen: isoTime(last),
            }),
        );
    return {
        denied,
        allowed,
        byOperation,
        targets: sorted.slice(0, TARGET_LIMIT),
        droppedTargets: s.droppedTargets + Math.max(0, sorted.length - TARGET_LIMIT),
        samples,
        ...(firstSeen !== undefined ? { firstSeen: isoTime(firstSeen) } : {}),
        ...(lastSeen !== undefined ? { lastSeen: isoTime(lastSeen) } : {}),
        ...(suggested.size > 0 ? { suggested: [...suggested] } : {}),
    };
}

/** Denials of one host: per profile version, plus where reading stopped. */
export interface HostDenials {
    /** opaque position in the host's log (journald cursor or offset) after the last read. */
    readonly cursor?: string;
    /** which log the lines came from (`audit-transport`, `journal-kernel`, `kern.log`, …). */
    readonly source?: string;
    /** events the kernel dropped by rate limiting (`callbacks suppressed`), a lower bound. */
    readonly lost: number;
    /** summaries per profile version (sha256), at most {@link DENIAL_VERSIONS_LIMIT}. */
    readonly byVersion: Readonly<Record<string, DenialSummary>>;
}

/**
 * Attributes events to versions by time: an event belongs to the newest version loaded at or before
 * its timestamp (or the oldest known one when it predates them all), then merges and bounds.
 */
export function recordDenials(
    prev: HostDenials | undefined,
    history: readonly VersionRecord[],
    events: readonly DenialEvent[],
    next: { cursor?: string; source?: string; lost?: number },
): HostDenials {
    const byVersion: Record<string, DenialSummary> = { ...(prev?.byVersion ?? {}) };
    const loads = [...history]
        .map((h) => ({ version: h.version, t: Date.parse(h.loadedAt) / 1000 }))
        .sort((a, b) => a.t - b.t);
    const groups = new Map<string, DenialEvent[]>();
    for (const e of events) {
        let v = loads.length > 0 ? loads[0].version : "unknown";
        // A second of slack: the host clock and the time recorded after the load differ slightly.
        for (const l of loads) if (l.t <= e.time + 1) v = l.version;
        const g = groups.get(v) ?? [];
        g.push(e);
        groups.set(v, g);
    }
    // Every version is merged, also those without new events: times stored as seconds by earlier
    // releases come out as ISO times like the rest.
    for (const v of new Set([...Object.keys(byVersion), ...groups.keys()]))
        byVersion[v] = mergeDenials(byVersion[v], groups.get(v) ?? []);
    const keep = new Set(history.slice(0, DENIAL_VERSIONS_LIMIT).map((h) => h.version));
    const versions = Object.keys(byVersion);
    if (versions.length > DENIAL_VERSIONS_LIMIT) {
        for (const v of versions) if (!keep.has(v)) delete byVersion[v];
    }
    const cursor = next.cursor ?? prev?.cursor;
    const source = next.source ?? prev?.source;
    return {
        ...(cursor !== undefined ? { cursor } : {}),
        ...(source !== undefined ? { source } : {}),
        lost: (prev?.lost ?? 0) + (next.lost ?? 0),
        byVersion,
    };
}

/**
 * A host's denials as read back from state, in today's form: the same counts, targets and cursor,
 * with times stored as seconds by earlier releases written as ISO times (see
 * {@link DenialTarget.firstSeen}).
 */
export function normalizeDenials(d: HostDenials): HostDenials {
    const byVersion: Record<string, DenialSummary> = {};
    for (const [v, s] of Object.entries(d.byVersion ?? {})) byVersion[v] = mergeDenials(s, []);
    return { ...d, byVersion };
}

/** What the kernel and the file system of a host say about a managed profile. */
export interface LiveState {
    /** AppArmor enabled in the kernel (`/sys/module/apparmor/parameters/enabled` = Y). */
    readonly enabled: boolean;
    readonly filePresent: boolean;
    /** sha256 of the file on disk, when present. */
    readonly fileSha256?: string;
    readonly loaded: boolean;
    /** mode reported by the kernel when loaded. */
    readonly mode?: string;
    /** loaded policy is exactly the compiled form of the file (raw_sha1 comparison). */
    readonly policyMatchesFile?: boolean;
}

/**
 * Drift reasons, from comparing what was installed (expected file sha256 and mode) with the live
 * state. Empty means in sync. Each reason is one human sentence that names what changed.
 */
export function driftReasons(
    expected: { fileSha256: string; mode: ProfileMode },
    live: LiveState,
): string[] {
    if (!live.enabled) return ["AppArmor is disabled in the host's kernel"];
    const out: string[] = [];
    if (!live.filePresent) out.push("profile file was removed from the host");
    else if (live.fileSha256 !== expected.fileSha256)
        out.push(
            `profile file was edited on the host (sha256 ${short(live.fileSha256)}, expected ${short(expected.fileSha256)})`,
        );
    if (!live.loaded) out.push("profile is not loaded in the kernel");
    else {
        if (live.mode !== expected.mode)
            out.push(
                `profile mode is ${live.mode ?? "unknown"} in the kernel, expected ${expected.mode}`,
            );
        if (live.filePresent && live.policyMatchesFile === false)
            out.push("loaded policy differs from the compiled profile file");
    }
    return out;
}

function short(h: string | undefined): string {
    return h ? h.slice(0, 12) : "none";
}
