/**
 * What the host batchers (hostRead.ts, installBatch.ts) share: which requests may share a host run,
 * and when a pending batch is sent.
 */
import { poolKey, type SshTarget } from "./ssh";

/** Requests share a run only with the same connection, privilege (sudo or root) and step timeout. */
export function batchKey(t: SshTarget, sudo: boolean): string {
    return `${poolKey(t)}#${sudo ? "sudo" : "root"}#${t.stepTimeoutMs ?? ""}`;
}

/**
 * How long a pending batch waits before it is sent, from `now`: `windowMs` after the last arrival,
 * but no later than `maxWaitMs` after its first (at `since`).
 */
export function batchDelay(
    since: number,
    now: number,
    windowMs: number,
    maxWaitMs: number,
): number {
    return Math.max(0, Math.min(windowMs, since + maxWaitMs - now));
}
