/**
 * One host read per host per engine operation. The dynamic providers of one `pulumi` operation run in
 * one provider process, and the engine issues a refresh's reads concurrently: the status and denials
 * requests for the same target (connection and sudo) that arrive less than {@link READ_WINDOW_MS} apart
 * (for at most {@link READ_MAX_WAIT_MS}) are served by ONE run of the `read` host script (src/host/read.ts); requests that arrive while
 * a read runs wait for the next one. Each request still gets exactly its own answer: its own profile's
 * status (names grouped by directory), its own denials from its own cursor (identical cursors share a
 * part; distinct ones are parts of the same run).
 */
import * as host from "../host";
import {
    planReads,
    readCommand,
    parseRead,
    type ReadPart,
    type ReadPartResult,
} from "../host/read";
import { poolKey, SshError, targetLabel, type ExecResult, type SshTarget } from "./ssh";

/**
 * A batch is sent once no request has joined it for this long (the engine sends a refresh's reads
 * together, but on a loaded machine they reach the provider spread over tens of milliseconds)…
 */
export const READ_WINDOW_MS = 100;
/** …or this long after its first request at the latest. */
export const READ_MAX_WAIT_MS = 1000;

/** Runs a command on a target (the pooled SSH exec, or a fake in tests). */
export type ReadExec = (t: SshTarget, command: string) => Promise<ExecResult>;

/** A profile's status as one read reported it. */
export interface StatusAnswer {
    readonly apparmor: host.StatusResult["apparmor"];
    /** Undefined when the host did not report the name. */
    readonly profile?: host.ProfileStatus;
}

type Request =
    | { kind: "status"; dir: string; name: string }
    | { kind: "denials"; cursor: string; maxBytes: number; source: host.DenialSource | "auto" };

interface Waiter {
    readonly req: Request;
    resolve(v: unknown): void;
    reject(e: unknown): void;
}

interface Queue {
    target: SshTarget;
    sudo: boolean;
    pending: Waiter[];
    timer?: ReturnType<typeof setTimeout>;
    /** When the pending batch's first request arrived. */
    since?: number;
    running: boolean;
}

/** The part key a request is served by. */
function partKey(r: Request): string {
    return r.kind === "status"
        ? `status\0${r.dir}`
        : `denials\0${r.cursor}\0${r.maxBytes}\0${r.source}`;
}

/** The error every waiter of a failed run gets: the host named, an SSH error's kind kept. */
function runError(t: SshTarget, e: unknown): Error {
    if (e instanceof SshError || e instanceof host.HostScriptError) return e;
    return new Error(`read of ${targetLabel(t)} failed: ${(e as Error)?.message ?? String(e)}`);
}

export class HostReadBatcher {
    private readonly queues = new Map<string, Queue>();
    /** Host runs started (for tests). */
    runs = 0;

    constructor(
        private readonly exec: ReadExec,
        private readonly windowMs = READ_WINDOW_MS,
        private readonly maxWaitMs = READ_MAX_WAIT_MS,
    ) {}

    /** The status of `name` (looked for in `dir` when it has no manifest). */
    status(t: SshTarget, sudo: boolean, name: string, dir: string): Promise<StatusAnswer> {
        return this.enqueue(t, sudo, { kind: "status", dir, name }) as Promise<StatusAnswer>;
    }

    /** The denials script's result from `cursor` ("now", "start" or an earlier result's). */
    denials(
        t: SshTarget,
        sudo: boolean,
        cursor: string,
        maxBytes: number,
        source: host.DenialSource | "auto" = "auto",
    ): Promise<host.DenialsResult> {
        return this.enqueue(t, sudo, {
            kind: "denials",
            cursor,
            maxBytes,
            source,
        }) as Promise<host.DenialsResult>;
    }

    private enqueue(t: SshTarget, sudo: boolean, req: Request): Promise<unknown> {
        // Validate now: a bad argument is this request's own error, never its batch's.
        try {
            readPart([req]);
        } catch (e) {
            return Promise.reject(e as Error);
        }
        const key = `${poolKey(t)}#${sudo ? "sudo" : "root"}#${t.stepTimeoutMs ?? ""}`;
        let q = this.queues.get(key);
        if (!q) {
            q = { target: t, sudo, pending: [], running: false };
            this.queues.set(key, q);
        }
        const queue = q;
        return new Promise((resolve, reject) => {
            queue.pending.push({ req, resolve, reject });
            this.schedule(queue);
        });
    }

    /** (Re)arms the pending batch's timer: `windowMs` after the last arrival, within `maxWaitMs`. */
    private schedule(q: Queue): void {
        if (q.running || q.pending.length === 0) return;
        const now = Date.now();
        q.since ??= now;
        if (q.timer !== undefined) clearTimeout(q.timer);
        const wait = Math.max(0, Math.min(this.windowMs, q.since + this.maxWaitMs - now));
        q.timer = setTimeout(() => {
            q.timer = undefined;
            void this.flush(q);
        }, wait);
    }

    private async flush(q: Queue): Promise<void> {
        if (q.running) return;
        const batch = q.pending;
        q.pending = [];
        q.since = undefined;
        if (batch.length === 0) return;
        q.running = true;
        try {
            await this.serve(q.target, q.sudo, batch);
        } finally {
            q.running = false;
            this.schedule(q);
        }
    }

    /** One batch: as few host runs as fit (one unless hundreds of names), each waiter answered. */
    private async serve(t: SshTarget, sudo: boolean, batch: Waiter[]): Promise<void> {
        const keys: string[] = [];
        const groups = new Map<string, Waiter[]>();
        for (const w of batch) {
            const k = partKey(w.req);
            if (!groups.has(k)) {
                groups.set(k, []);
                keys.push(k);
            }
            groups.get(k)!.push(w);
        }
        const parts = keys.map((k) => readPart(groups.get(k)!.map((w) => w.req)));
        // per part of `parts`, the results of the run parts serving it
        const got: ReadPartResult[][] = parts.map(() => []);
        try {
            for (const plan of planReads(parts, { sudo })) {
                this.runs++;
                const cmd = readCommand(plan.parts, { sudo });
                const r = await this.exec(t, cmd.command);
                const results = parseRead(plan.parts, {
                    stdout: r.stdout,
                    stderr: r.stderr,
                    exitCode: r.code,
                });
                results.forEach((x, i) => got[plan.from[i]].push(x));
            }
        } catch (e) {
            const err = runError(t, e);
            for (const w of batch) w.reject(err);
            return;
        }
        keys.forEach((k, i) => {
            for (const w of groups.get(k)!) answer(w, got[i]);
        });
    }
}

/** The part serving `reqs` (all of one part key). */
function readPart(reqs: readonly Request[]): ReadPart {
    const r = reqs[0];
    const part: ReadPart =
        r.kind === "status"
            ? {
                  kind: "status",
                  dir: r.dir,
                  names: [...new Set(reqs.map((x) => (x as { name: string }).name))],
              }
            : { kind: "denials", cursor: r.cursor, maxBytes: r.maxBytes, source: r.source };
    host.readPartArgs(part); // throws on an invalid argument
    return part;
}

function answer(w: Waiter, results: readonly ReadPartResult[]): void {
    const failed = results.find((x) => !x.ok);
    if (w.req.kind === "denials") {
        const x = results[0];
        if (!x) w.reject(new Error("read: no denials part answered"));
        else if (!x.ok) w.reject(x.error);
        else w.resolve(x.value);
        return;
    }
    const name = w.req.name;
    for (const x of results) {
        if (!x.ok) continue;
        const st = x.value as host.StatusResult;
        const profile = st.profiles.find((p) => p.name === name);
        if (profile) return w.resolve({ apparmor: st.apparmor, profile });
    }
    if (failed && !failed.ok) return w.reject(failed.error);
    const first = results.find((x) => x.ok);
    if (first && first.ok)
        return w.resolve({ apparmor: (first.value as host.StatusResult).apparmor });
    w.reject(new Error("read: no status part answered"));
}
