/**
 * One host read per host per engine operation. The dynamic providers of one `pulumi` operation run in
 * one provider process, and the engine issues a refresh's reads concurrently: the status, denials and
 * container label requests for the same target (connection and sudo) that arrive less than
 * {@link READ_WINDOW_MS} apart (for at most {@link READ_MAX_WAIT_MS}) are served by ONE run of the
 * `read` host script (src/host/read.ts); requests that arrive while a read runs wait for the next one.
 * Each request still gets exactly its own answer: its own profile's status (names grouped by
 * directory), its own denials from its own cursor (identical cursors share a part; distinct ones are
 * parts of the same run), its own container's label (all IDs in one `labels` part, each resolved as
 * docker resolves it).
 */
import * as host from "../host";
import { containerLabelOf, type ContainerLabel, type LabelsResult } from "../host/labels";
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

/** A container's label as one read reported it, with whether AppArmor is enabled on its host. */
export type LabelAnswer = ContainerLabel & { readonly apparmorEnabled: boolean };

type Request =
    | { kind: "status"; dir: string; name: string }
    | { kind: "denials"; cursor: string; maxBytes: number; source: host.DenialSource | "auto" }
    | { kind: "label"; id: string };

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
    if (r.kind === "status") return `status\0${r.dir}`;
    if (r.kind === "label") return "labels";
    return `denials\0${r.cursor}\0${r.maxBytes}\0${r.source}`;
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

    /**
     * The label of container `id` (a docker ID or ID prefix): missing, stopped, or running with its
     * init process's label; and whether AppArmor is enabled on the host.
     */
    label(t: SshTarget, sudo: boolean, id: string): Promise<LabelAnswer> {
        return this.enqueue(t, sudo, { kind: "label", id }) as Promise<LabelAnswer>;
    }

    private enqueue(t: SshTarget, sudo: boolean, req: Request): Promise<unknown> {
        // Validate now: a bad argument is this request's own error, never its batch's.
        try {
            host.readPartArgs(readPart([req])); // throws on an invalid argument
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
        // one part per key, however many names or IDs: planReads splits what does not fit in one
        // command or one part's bound (each argument was validated on arrival)
        const parts = keys.map((k) => readPart(groups.get(k)!.map((w) => w.req)));
        // per part of `parts`, the run parts serving it and their results
        const got: Served[][] = parts.map(() => []);
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
                results.forEach((result, i) =>
                    got[plan.from[i]].push({ part: plan.parts[i], result }),
                );
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

/** A part of a run and its result. */
interface Served {
    readonly part: ReadPart;
    readonly result: ReadPartResult;
}

/** The part serving `reqs` (all of one part key); not validated (see enqueue and planReads). */
function readPart(reqs: readonly Request[]): ReadPart {
    const r = reqs[0];
    const part: ReadPart =
        r.kind === "status"
            ? {
                  kind: "status",
                  dir: r.dir,
                  names: [...new Set(reqs.map((x) => (x as { name: string }).name))],
              }
            : r.kind === "label"
              ? { kind: "labels", ids: [...new Set(reqs.map((x) => (x as { id: string }).id))] }
              : { kind: "denials", cursor: r.cursor, maxBytes: r.maxBytes, source: r.source };
    return part;
}

function answer(w: Waiter, served: readonly Served[]): void {
    const results = served.map((s) => s.result);
    const failed = results.find((x) => !x.ok);
    if (w.req.kind === "denials") {
        const x = results[0];
        if (!x) w.reject(new Error("read: no denials part answered"));
        else if (!x.ok) w.reject(x.error);
        else w.resolve(x.value);
        return;
    }
    if (w.req.kind === "label") {
        // resolved within the one run part that carried this ID (docker resolved it in that run)
        const id = w.req.id;
        const s = served.find((x) => x.part.kind === "labels" && x.part.ids.includes(id));
        if (!s) return w.reject(new Error("read: no labels part answered"));
        if (!s.result.ok) return w.reject(s.result.error);
        const r = s.result.value as LabelsResult;
        return w.resolve({ ...containerLabelOf(r, id), apparmorEnabled: r.apparmor.enabled });
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
