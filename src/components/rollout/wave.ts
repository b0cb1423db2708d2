/**
 * One rollout wave: stage a profile version on the wave's hosts, verify the containers' labels, soak,
 * count the new version's denials, then promote (or revert / halt). The host work goes through
 * {@link WaveHostOps} (SSH in the provider, fakes in the unit tests), so this file is the whole
 * algorithm and nothing else.
 *
 * Per host:
 * 1-2. in one step (one round trip): look at the file and kernel mode and take the log position,
 *    install the version in the stage mode (complain with `promote`, else the declared mode) —
 *    unless the host already passed this version's gate and still carries it: it is left alone (no
 *    re-soak) — then list the containers started with the profile, to verify each runs under
 *    `NAME (stage mode)`, and with a soak of 0 seconds read the host's new log lines;
 * then for the wave: soak once, read each host's new log lines, and count the events of THIS profile
 * (DENIED, plus ALLOWED with `promote`) — all of them are the new version's, since the position was
 * taken before it loaded. A host where the profile was not loaded before runs nothing under it yet:
 * it is not soaked. Over budget on any host (or a host failing) fails the wave: `revert` reinstalls
 * each soaked host's previous text and mode, `halt` leaves the new version there. Under budget,
 * `promote` switches the hosts to the declared mode.
 */
import type { AuditRecord } from "../../log";
import { dangerousRule, escapeControls, recordProfile, suggestRules } from "../../log";
import { renderRule, ruleCode } from "../../profile";
import type { ProfileMode } from "../../state";
import type { RolloutSettings } from "./args";

/** A host of the wave, as the plan shows it. */
export interface WaveHost {
    /** Key of the host in the outputs. */
    readonly hostName: string;
    /** `user@host:port`. */
    readonly target: string;
    /** The declared mode on this host. */
    readonly mode: ProfileMode;
}

/** What a host had before a wave changed it (read by the install under the host lock). */
export interface WaveLook {
    readonly present: boolean;
    readonly sha256: string;
    /** "" when the profile is not loaded. */
    readonly kernelMode: string;
    /**
     * The profile file's text ("" when absent, empty, or not valid UTF-8: such a file has no exact
     * string, and a revert refuses to write anything else in its place).
     */
    readonly text: string;
}

/** The containers started with the profile, read right after the install. */
export interface WaveLabels {
    /** The list is complete (the docker CLI answered, or no container runs). */
    readonly docker: boolean;
    readonly containers: readonly { readonly id: string; readonly label: string }[];
}

/** The host operations a wave needs. */
export interface WaveHostOps {
    /**
     * A host's whole stage step in one round trip: what the host had before anything changed (its
     * file and kernel mode; the log position when the profile was loaded, undefined otherwise or
     * when the host has no log), then the install of `text` in `mode` — unless `keep` matches the
     * file's sha256 and kernel mode, when nothing changes and `installed` is undefined — then, after
     * a change, the containers started with the profile (`after`) and, with `readLog` and a
     * position, the audit records logged since it (a soak of 0 seconds: read right away).
     */
    stage(
        h: WaveHost,
        text: string,
        mode: ProfileMode,
        keep?: { sha256: string; kernelMode: ProfileMode },
        readLog?: boolean,
    ): Promise<{
        before: WaveLook;
        position: string | undefined;
        /** The log source of `position` (read the same log later). */
        source?: string;
        installed?: { fileSha256: string; kernelMode: string };
        after?: WaveLabels;
        records?: AuditRecord[];
        /** Why `after` or `records` are missing although the install happened. */
        checkError?: string;
    }>;
    install(
        h: WaveHost,
        text: string,
        mode: ProfileMode | "keep",
    ): Promise<{ fileSha256: string; kernelMode: string }>;
    /** Audit records logged after `position` (in `source`, when known). */
    recordsSince(
        h: WaveHost,
        position: string | undefined,
        source?: string,
    ): Promise<AuditRecord[]>;
    sleep(ms: number): Promise<void>;
    /** Milliseconds since the epoch. */
    now(): number;
}

/** What the wave did on a host. */
export type WavePhase = "passed" | "staged" | "reverted" | "failed";

/** One host's record in the wave's state. */
export interface WaveHostState {
    /** The version this record is about (the one the wave rolled out). */
    readonly version: string;
    readonly phase: WavePhase;
    /** Kernel mode after the wave ("" when not loaded or unknown). */
    readonly kernelMode: string;
    /** sha256 of the profile file after the wave. */
    readonly fileSha256?: string;
    /** When the version was loaded in the stage mode (ISO time). */
    readonly stagedAt?: string;
    /** The stage mode (complain with `promote`). */
    readonly stagedMode?: ProfileMode;
    /** When the declared mode followed (ISO time), with `promote`. */
    readonly promotedAt?: string;
    /** The host was soaked in this run. */
    readonly soaked: boolean;
    readonly denied: number;
    readonly allowed: number;
    /** Why the host failed the wave. */
    readonly error?: string;
    /**
     * When this wave last read or wrote the host's file sha256 and kernel mode recorded here (ISO
     * time): a `HostProfile` updated right after a passed wave takes them instead of installing again.
     */
    readonly verifiedAt?: string;
    /**
     * While the version is staged but has not passed (a halted wave): what the host had before the
     * rollout touched it, for `revert` (also on a later `up`). Dropped once the host passes or is
     * reverted.
     */
    readonly previous?: PreviousProfile;
}

/** A host's profile before a rollout changed it. */
export interface PreviousProfile {
    readonly text: string;
    readonly sha256: string;
    /** Its kernel mode then ("" when it was not loaded). */
    readonly kernelMode: string;
}

/** What a wave rolls out. */
export interface WaveSpec {
    /** 1-based wave number and the number of waves. */
    readonly wave: number;
    readonly waves: number;
    readonly profileName: string;
    readonly profileText: string;
    readonly version: string;
    readonly hosts: readonly WaveHost[];
    readonly settings: RolloutSettings;
}

export interface WaveResult {
    readonly hostStates: Record<string, WaveHostState>;
    /** One message naming every failing host, or undefined when the gate passed. */
    readonly failure?: string;
}

/**
 * Text from a host or its log, safe for a terminal: control characters (C0, DEL, C1, line and
 * paragraph separators, bidi overrides) as `\uXXXX`, at most 300 characters.
 */
export function printable(s: string): string {
    return escapeControls(s.length > 300 ? `${s.slice(0, 300)}…` : s);
}

/** Most denial targets and suggested rules listed per host in a gate failure. */
const TOP = 5;

interface Work {
    h: WaveHost;
    prev?: WaveHostState;
    /** What the host had before the rollout (kept over a halted wave). */
    previous?: PreviousProfile;
    position?: string;
    /** The log source of `position`. */
    source?: string;
    state?: WaveHostState;
    /** The host got the new version in this run. */
    staged: boolean;
    soak: boolean;
    /** The host's log was read right after the install (by `stage`, for a soak of 0). */
    read: boolean;
    records: AuditRecord[];
    problems: string[];
}

/** Runs `f` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, f: (t: T) => Promise<void>) {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await f(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function message(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/**
 * The records of profile `name` (or its children) that count against the budget: DENIED (and
 * ALLOWED with `includeAllowed`) logged after the kernel loaded the new version. The log position
 * is taken before the install, so lines of the old version may come first: the kernel's own STATUS
 * record of the load (`profile_replace`/`profile_load` of NAME) separates them. Without one (the
 * install changed nothing in the kernel) every line counts.
 */
export function countedRecords(
    records: readonly AuditRecord[],
    name: string,
    includeAllowed: boolean,
): AuditRecord[] {
    let from = 0;
    records.forEach((r, i) => {
        if (
            r.type === "STATUS" &&
            (r.operation === "profile_replace" || r.operation === "profile_load") &&
            r.name === name &&
            !(r.info ?? "").startsWith("same as current")
        )
            from = i + 1;
    });
    return records.slice(from).filter((r) => {
        if (r.type !== "DENIED" && !(includeAllowed && r.type === "ALLOWED")) return false;
        const p = recordProfile(r);
        return p === name || (p ?? "").startsWith(`${name}//`);
    });
}

/** A short human name of what a record was about (`mknod /tmp/a/x`, `capable fsetid`). */
function recordTarget(r: AuditRecord): string {
    const op = r.operation ?? "?";
    if (op === "capable") return `capable ${r.capname ?? r.capability ?? "?"}`;
    if (r.family) return `${op} network ${r.family} ${r.sockType ?? ""}`.trim();
    if (r.signal) return `signal ${r.signal} peer=${r.peer ?? "?"}`;
    if (op === "ptrace") return `ptrace peer=${r.peer ?? "?"}`;
    return `${op} ${r.name ?? ""}${r.deniedMask ? ` (${r.deniedMask})` : ""}`.trim();
}

/** The gate report of one host over budget: counts, top targets, suggested rules (text and code). */
export function overBudgetReport(
    h: WaveHost,
    counted: readonly AuditRecord[],
    settings: RolloutSettings,
): string {
    const denied = counted.filter((r) => r.type === "DENIED").length;
    const allowed = counted.length - denied;
    const byTarget = new Map<string, number>();
    for (const r of counted) {
        const k = recordTarget(r);
        byTarget.set(k, (byTarget.get(k) ?? 0) + 1);
    }
    const top = [...byTarget.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, TOP)
        .map(([k, n]) => `${printable(k)} ×${n}`);
    const rules = suggestRules(counted).slice(0, TOP);
    const text: string[] = [];
    const code: string[] = [];
    // rules that would open the confinement itself, shown commented out in both forms, and notes go
    // last (the profile text is one line: a `#` comment runs to its end)
    const commented: string[] = [];
    const commentedCode: string[] = [];
    for (const rule of rules) {
        try {
            const t = printable(renderRule(rule));
            const c = printable(ruleCode(rule));
            const danger = dangerousRule(rule);
            if (danger === undefined) {
                text.push(t);
                code.push(c);
            } else {
                commented.push(`# DANGEROUS (${danger}): ${t}`);
                commentedCode.push(`/* DANGEROUS (${danger}): ${c.replace(/\*\//g, "*\\/")} */`);
            }
        } catch (e) {
            commented.push(`# not renderable: ${printable(message(e))}`);
        }
    }
    text.push(...commented);
    code.push(...commentedCode);
    const lines = [
        `  - ${h.target} (${h.hostName}): ${counted.length} new event(s) of the new version ` +
            `(DENIED ${denied}, ALLOWED ${allowed}; budget ${settings.maxNewDenials})`,
        `      top: ${top.join("; ")}`,
    ];
    if (text.length > 0) {
        lines.push(`      suggested rules (profile text): ${text.join(" ")}`);
        if (code.length > 0) lines.push(`      suggested rules (code): ${code.join(", ")}`);
    }
    return lines.join("\n");
}

/** A label check after staging: every container started with the profile runs under it. */
export function labelProblems(after: WaveLabels, name: string, mode: ProfileMode): string[] {
    const want = `${name} (${mode})`;
    return after.containers
        .filter((c) => c.label !== want)
        .map(
            (c) =>
                `container ${c.id.slice(0, 12)} runs with label "${printable(c.label)}", expected ${want}`,
        );
}

/** Runs one wave (see the file comment). Never throws: failures are in the result. */
export async function runWave(
    spec: WaveSpec,
    olds: Readonly<Record<string, WaveHostState>> | undefined,
    ops: WaveHostOps,
): Promise<WaveResult> {
    const s = spec.settings;
    const promote = s.promoteFrom === "complain";
    const iso = () => new Date(ops.now()).toISOString();
    const work: Work[] = spec.hosts.map((h) => ({
        h,
        prev: olds?.[h.hostName],
        staged: false,
        soak: false,
        read: false,
        records: [],
        problems: [],
    }));

    // 1-2. Stage, at most maxParallel hosts at a time.
    await pool(work, s.maxParallel, async (w) => {
        const { h } = w;
        const stageMode: ProfileMode = promote ? "complain" : h.mode;
        try {
            const p = w.prev;
            // A host already on this version and through its gate is not staged or soaked again,
            // if it still carries it (the same file, in the declared mode).
            const keep =
                p?.phase === "passed" && p.version === spec.version && p.fileSha256
                    ? { sha256: p.fileSha256, kernelMode: h.mode }
                    : undefined;
            const st = await ops.stage(h, spec.profileText, stageMode, keep, s.soakSeconds === 0);
            const snap = st.before;
            w.position = st.position;
            w.source = st.source;
            // A host this rollout staged earlier and left (halted) still has the version it had
            // before: keep that one, not the staged text now on disk.
            const unfinished =
                p?.previous !== undefined &&
                (p.phase === "staged" || p.phase === "failed") &&
                snap.present &&
                snap.sha256 === p.fileSha256;
            w.previous = unfinished
                ? p.previous
                : snap.present
                  ? { text: snap.text, sha256: snap.sha256, kernelMode: snap.kernelMode }
                  : undefined;
            if (!st.installed) {
                // `keep` matched: only passed when the host has a record of this version.
                if (!p) throw new Error("the host kept its profile, but it has no rollout record");
                w.state = { ...p, soaked: false, denied: 0, allowed: 0, verifiedAt: iso() };
                return;
            }
            // A profile that was not loaded before confines nothing yet: nothing to soak.
            const soak = (w.previous?.kernelMode ?? "") !== "";
            const inst = st.installed;
            w.staged = true;
            w.soak = soak;
            w.state = {
                version: spec.version,
                phase: "staged",
                kernelMode: inst.kernelMode,
                fileSha256: inst.fileSha256,
                stagedAt: iso(),
                stagedMode: stageMode,
                soaked: false,
                denied: 0,
                allowed: 0,
                ...(w.previous ? { previous: w.previous } : {}),
            };
            if (st.checkError !== undefined) w.problems.push(st.checkError);
            if (st.after) w.problems.push(...labelProblems(st.after, spec.profileName, stageMode));
            else if (st.checkError === undefined)
                w.problems.push("the host did not report the containers' labels");
            if (soak && st.records) {
                w.records = countedRecords(st.records, spec.profileName, promote);
                w.read = true;
            }
        } catch (e) {
            w.problems.push(message(e));
        }
    });

    // 3. Soak once for the wave, then count each soaked host's events.
    const soaking = work.filter((w) => w.soak && !w.read && w.problems.length === 0);
    if (soaking.length > 0 && s.soakSeconds > 0) await ops.sleep(s.soakSeconds * 1000);
    await pool(soaking, s.maxParallel, async (w) => {
        try {
            const recs = await ops.recordsSince(w.h, w.position, w.source);
            w.records = countedRecords(recs, spec.profileName, promote);
        } catch (e) {
            w.problems.push(message(e));
        }
    });

    const reports: string[] = [];
    for (const w of work) {
        const denied = w.records.filter((r) => r.type === "DENIED").length;
        if (w.state)
            w.state = { ...w.state, soaked: w.soak, denied, allowed: w.records.length - denied };
        if (w.problems.length > 0)
            reports.push(`  - ${w.h.target} (${w.h.hostName}): ${w.problems.join("; ")}`);
        else if (w.records.length > s.maxNewDenials) {
            w.problems.push("over budget");
            reports.push(overBudgetReport(w.h, w.records, s));
        }
    }

    if (reports.length === 0) {
        // 4. Passed: promote what was staged in complain mode.
        await pool(
            work.filter((w) => w.staged),
            s.maxParallel,
            async (w) => {
                try {
                    let st = w.state!;
                    if (promote && w.h.mode !== "complain") {
                        const inst = await ops.install(w.h, spec.profileText, w.h.mode);
                        st = {
                            ...st,
                            kernelMode: inst.kernelMode,
                            fileSha256: inst.fileSha256,
                            promotedAt: iso(),
                        };
                    }
                    w.state = { ...withoutPrevious(st), phase: "passed", verifiedAt: iso() };
                } catch (e) {
                    w.problems.push(`promotion to ${w.h.mode} failed: ${message(e)}`);
                    reports.push(`  - ${w.h.target} (${w.h.hostName}): ${w.problems.join("; ")}`);
                }
            },
        );
        if (reports.length === 0) return { hostStates: statesOf(work) };
    }

    // 5. Failed: revert (soaked hosts had a previous version) or halt.
    const reverted: string[] = [];
    const kept: string[] = [];
    for (const w of work) {
        if (!w.staged) continue;
        if (w.state?.phase === "passed") continue;
        if (s.onGateFailure === "revert" && w.soak && w.previous) {
            try {
                const prevMode = w.previous.kernelMode;
                const mode: ProfileMode | "keep" =
                    prevMode === "enforce" || prevMode === "complain" ? prevMode : "keep";
                if (w.previous.text === "")
                    throw new Error(
                        `its previous file (sha256 ${w.previous.sha256.slice(0, 12)}) has no exact text ` +
                            "(not valid UTF-8, or empty): not written back; the new version stays",
                    );
                const inst = await ops.install(w.h, w.previous.text, mode);
                w.state = {
                    ...withoutPrevious(w.state!),
                    phase: "reverted",
                    kernelMode: inst.kernelMode,
                    fileSha256: inst.fileSha256,
                };
                reverted.push(w.h.hostName);
                continue;
            } catch (e) {
                reports.push(`  - ${w.h.target} (${w.h.hostName}): revert failed: ${message(e)}`);
            }
        }
        kept.push(w.h.hostName);
    }
    for (const w of work)
        if (w.problems.length > 0 && w.state?.phase === "staged")
            w.state = { ...w.state, phase: "failed", error: w.problems.join("; ").slice(0, 2000) };

    const failing = work.filter((w) => w.problems.length > 0).length;
    const lines = [
        `rollout of profile ${spec.profileName} (version ${spec.version.slice(0, 12)}), wave ` +
            `${spec.wave} of ${spec.waves}: the gate failed on ${failing} of ${work.length} host(s)` +
            (spec.wave < spec.waves ? "; the later waves keep the previous version" : "") +
            ` (soak ${s.soakSeconds} s, budget ${s.maxNewDenials} per host)`,
        ...reports,
    ];
    if (reverted.length > 0)
        lines.push(`reverted to the previous version on: ${reverted.join(", ")}`);
    if (kept.length > 0)
        lines.push(
            `the new version stays on: ${kept.join(", ")}` +
                (promote ? " (in complain mode)" : "") +
                "; fix the profile (or raise rollout.gate.maxNewDenials) and run `pulumi up` again",
        );
    return { hostStates: statesOf(work), failure: lines.join("\n") };
}

function withoutPrevious(s: WaveHostState): WaveHostState {
    const out = { ...s };
    delete (out as { previous?: PreviousProfile }).previous;
    return out;
}

function statesOf(work: readonly Work[]): Record<string, WaveHostState> {
    const out: Record<string, WaveHostState> = {};
    for (const w of work) {
        if (w.state) out[w.h.hostName] = w.state;
        else if (w.prev) out[w.h.hostName] = w.prev;
    }
    return out;
}
