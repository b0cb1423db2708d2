/**
 * The `rollout` argument of `Profile` (pure: types, validation, the wave plan). No Pulumi, no I/O.
 *
 * A rollout puts a new profile version on the hosts in waves: `waves` are cumulative host counts or
 * percentages over the `hosts` list in its order (`[1, "25%", "100%"]`: a canary, then a quarter of the
 * fleet, then the rest). Each wave installs (in complain mode first when `promote` is set), waits
 * `gate.soakSeconds`, reads the denials of the new version on its hosts and fails the update when a host
 * is over `gate.maxNewDenials`; the later waves keep the previous version.
 */
import type { ArgProblem } from "../connection";

/** A wave bound: a cumulative host count (`3`) or a percentage of the hosts (`"25%"`). */
export type WaveSize = number | string;

/** The gate each wave must pass before the next wave is touched. */
export interface RolloutGateArgs {
    /**
     * Seconds to wait after a wave's hosts have the new version before its denials are counted.
     * Defaults to 60.
     */
    readonly soakSeconds?: number;
    /**
     * Most denials (and, with `promote`, complain-mode `ALLOWED` events) of the new version a host may
     * log during the soak; one more fails the gate. Defaults to 0.
     */
    readonly maxNewDenials?: number;
}

/** Complain-first promotion. */
export interface RolloutPromoteArgs {
    /** The mode a new version is loaded in first; the declared mode follows when the gate passes. */
    readonly from: "complain";
}

/** Arguments of a staged rollout (the `rollout` argument of `Profile`). */
export interface RolloutArgs {
    /**
     * Cumulative host counts or percentages over `hosts` in its order, ascending, the last covering
     * every host (e.g. `[1, "25%", "100%"]`; the first wave is the canary). Defaults to `["100%"]`.
     */
    readonly waves?: WaveSize[];
    /** Most hosts of a wave installing at the same time. Defaults to every host of the wave. */
    readonly maxParallel?: number;
    /** The gate after each wave. Defaults to `{ soakSeconds: 60, maxNewDenials: 0 }`. */
    readonly gate?: RolloutGateArgs;
    /**
     * What a failed gate leaves on the wave's hosts: `"halt"` keeps the new version there (for
     * inspection), `"revert"` reinstalls the version each host had before. Defaults to "halt".
     */
    readonly onGateFailure?: "halt" | "revert";
    /**
     * Load a new version in complain mode first; its `ALLOWED` events count against the budget, and
     * the declared mode follows in the same `pulumi up` when the gate passes. Defaults to none (the
     * new version is loaded straight in the declared mode).
     */
    readonly promote?: RolloutPromoteArgs;
}

/** The resolved settings every wave resource receives (plain values). */
export interface RolloutSettings {
    readonly soakSeconds: number;
    readonly maxNewDenials: number;
    readonly maxParallel: number;
    readonly onGateFailure: "halt" | "revert";
    /** "complain" when new versions load in complain mode first; "" otherwise. */
    readonly promoteFrom: "complain" | "";
}

export const DEFAULT_SOAK_SECONDS = 60;
/** Longest soak accepted (a day): a longer wait belongs to separate `pulumi up`s. */
export const MAX_SOAK_SECONDS = 86_400;

const PERCENT_RE = /^(\d{1,3}(?:\.\d+)?)%$/;

/** Validates `rollout` (pure; `field` prefixes the problems). Returns every problem. */
export function validateRollout(
    r: RolloutArgs | undefined,
    hostCount: number,
    field = "rollout",
): ArgProblem[] {
    if (r === undefined) return [];
    const out: ArgProblem[] = [];
    if (r === null || typeof r !== "object" || Array.isArray(r))
        return [{ field, message: "is not an object", fix: 'use e.g. { waves: [1, "100%"] }' }];
    if (r.waves !== undefined) {
        if (!Array.isArray(r.waves) || r.waves.length === 0)
            out.push({
                field: `${field}.waves`,
                message: "is not a non-empty list",
                fix: 'list cumulative host counts or percentages, e.g. [1, "25%", "100%"]',
            });
        else {
            let prev = 0;
            r.waves.forEach((w, i) => {
                const f = `${field}.waves[${i}]`;
                const n = waveBound(w, hostCount);
                if (n === undefined) {
                    out.push({
                        field: f,
                        message: `${JSON.stringify(w)} is neither a host count nor a percentage`,
                        fix: 'use a whole number of hosts (e.g. 1) or a percentage string (e.g. "25%")',
                    });
                    return;
                }
                if (typeof w === "number" && w > hostCount)
                    out.push({
                        field: f,
                        message: `${w} hosts, but the profile has ${hostCount}`,
                        fix: `use at most ${hostCount}, or "100%"`,
                    });
                else if (n <= prev && i > 0)
                    out.push({
                        field: f,
                        message: `${JSON.stringify(w)} covers ${n} host(s), no more than the wave before (${prev})`,
                        fix: "make the waves strictly ascending (they are cumulative)",
                    });
                prev = Math.max(prev, n);
            });
            const last = waveBound(r.waves[r.waves.length - 1], hostCount);
            if (last !== undefined && last < hostCount)
                out.push({
                    field: `${field}.waves`,
                    message: `the last wave covers ${last} of ${hostCount} hosts`,
                    fix: 'end the list with "100%" so every host gets the version',
                });
        }
    }
    if (
        r.maxParallel !== undefined &&
        !(Number.isInteger(r.maxParallel) && r.maxParallel >= 1 && r.maxParallel <= 1000)
    )
        out.push({
            field: `${field}.maxParallel`,
            message: `${JSON.stringify(r.maxParallel)} is not a whole number from 1 to 1000`,
            fix: "use e.g. 5, or leave it out to install every host of a wave at once",
        });
    const g = r.gate;
    if (g !== undefined) {
        if (g === null || typeof g !== "object")
            out.push({
                field: `${field}.gate`,
                message: "is not an object",
                fix: "use e.g. { soakSeconds: 60, maxNewDenials: 0 }",
            });
        else {
            if (
                g.soakSeconds !== undefined &&
                !(
                    typeof g.soakSeconds === "number" &&
                    Number.isFinite(g.soakSeconds) &&
                    g.soakSeconds >= 0 &&
                    g.soakSeconds <= MAX_SOAK_SECONDS
                )
            )
                out.push({
                    field: `${field}.gate.soakSeconds`,
                    message: `${JSON.stringify(g.soakSeconds)} is not a number of seconds from 0 to ${MAX_SOAK_SECONDS}`,
                    fix: "use e.g. 60 (0 reads the denials right after the install)",
                });
            if (
                g.maxNewDenials !== undefined &&
                !(Number.isInteger(g.maxNewDenials) && g.maxNewDenials >= 0)
            )
                out.push({
                    field: `${field}.gate.maxNewDenials`,
                    message: `${JSON.stringify(g.maxNewDenials)} is not a whole number ≥ 0`,
                    fix: "use 0 (no new denial allowed) or a small budget such as 5",
                });
        }
    }
    if (r.onGateFailure !== undefined && r.onGateFailure !== "halt" && r.onGateFailure !== "revert")
        out.push({
            field: `${field}.onGateFailure`,
            message: `${JSON.stringify(r.onGateFailure)} is not "halt" or "revert"`,
            fix: 'use "halt" (keep the new version on the failed wave) or "revert"',
        });
    if (r.promote !== undefined && (r.promote === null || r.promote.from !== "complain"))
        out.push({
            field: `${field}.promote`,
            message: `${JSON.stringify(r.promote)} is not { from: "complain" }`,
            fix: 'use { from: "complain" }, or leave promote out',
        });
    return out;
}

/** The cumulative host count of a wave bound, or undefined when it is not one. */
export function waveBound(w: WaveSize, hostCount: number): number | undefined {
    if (typeof w === "number") return Number.isInteger(w) && w >= 1 ? w : undefined;
    if (typeof w !== "string") return undefined;
    const m = PERCENT_RE.exec(w.trim());
    if (!m) return undefined;
    const pct = Number(m[1]);
    if (!(pct > 0 && pct <= 100)) return undefined;
    // At least one host: "10%" of 3 hosts is the first host, not none.
    return Math.min(hostCount, Math.max(1, Math.ceil((pct * hostCount) / 100 - 1e-9)));
}

/**
 * The hosts of each wave (indices into `hosts`), from validated `waves`. Every host is in exactly one
 * wave; `waves` defaults to one wave of every host.
 */
export function planWaves(waves: readonly WaveSize[] | undefined, hostCount: number): number[][] {
    const bounds = (waves ?? ["100%"]).map((w) => waveBound(w, hostCount) ?? hostCount);
    const out: number[][] = [];
    let from = 0;
    for (const b of bounds) {
        const to = Math.min(hostCount, b);
        if (to <= from) continue;
        out.push(Array.from({ length: to - from }, (_, i) => from + i));
        from = to;
    }
    if (from < hostCount) out.push(Array.from({ length: hostCount - from }, (_, i) => from + i));
    return out;
}

/** The plain settings of a validated `rollout`. */
export function rolloutSettings(r: RolloutArgs, waveSize: number): RolloutSettings {
    return {
        soakSeconds: r.gate?.soakSeconds ?? DEFAULT_SOAK_SECONDS,
        maxNewDenials: r.gate?.maxNewDenials ?? 0,
        maxParallel: r.maxParallel ?? Math.max(1, waveSize),
        onGateFailure: r.onGateFailure ?? "halt",
        promoteFrom: r.promote?.from ?? "",
    };
}
