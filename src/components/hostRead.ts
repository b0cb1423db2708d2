/**
 * One host read per host per engine operation. The dynamic providers of one `pulumi` operation run in
 * one provider process, and the engine issues a refresh's reads concurrently: the status and denials
 * requests for the same target (connection and sudo) that arrive less than {@link READ_WINDOW_MS} apart
 * (for at most {@link READ_MAX_WAIT_MS}) are served by ONE run of the `read` host script (src/host/read.ts); requests that arrive while
 * a read runs wait for the next one. Each request still gets exactly its own answer: its own profile's
 * status (names grouped by directory), its own denials from its own cursor (identical cursors share a
 * part; distinct ones are parts of the same run), its own container's label (the label checks of
 * `Confinement`: all IDs in one `labels` part, each resolved as docker resolves it; never answered
 * from a shared run, see below).
 *
 * A refresh's reads (`share`) go further: the engine sends at most `--parallel` requests at once (4 per
 * CPU by default), so the reads of 20 profiles reach the provider in waves of 8, each waiting for the
 * last. The first shared run of a host therefore also reads the status of EVERY profile this library
 * manages there, and later shared requests of the same operation are answered from that run (status by
 * name, denials by identical cursor) for {@link SHARE_MS} at most, and only until this process runs any
 * other host script on that host ({@link HostReadBatcher.invalidate}): one host run per refresh. The
 * host's ABI facts ({@link HostReadBatcher.facts}) are one more part of that run, read once per host
 * and refresh (the host keeps them between runs: one `stat` of what they come from while it is unchanged,
 * else one `apparmor_parser --version` and a walk of the feature tree; see abi_facts_cached).
 */
import * as host from "../host";
import type { HostAbiFacts } from "../profile";
import { containerLabelOf, type ContainerLabel, type LabelsResult } from "../host/labels";
import {
    planReads,
    readCommand,
    parseRead,
    type ReadPart,
    type ReadPartResult,
} from "../host/read";
import { batchDelay, batchKey } from "./batchWindow";
import { poolKey, SshError, targetLabel, type ExecResult, type SshTarget } from "./ssh";

/**
 * A batch is sent once no request has joined it for this long (the engine sends a refresh's reads
 * together, but on a loaded machine they reach the provider spread over tens of milliseconds)…
 */
export const READ_WINDOW_MS = 100;
/** …or this long after its first request at the latest. */
export const READ_MAX_WAIT_MS = 1000;

/** How long a shared read answers later shared requests (one refresh's waves come within seconds). */
export const SHARE_MS = 30_000;

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

type Request = (
    | { kind: "status"; dir: string; name: string }
    | { kind: "denials"; cursor: string; maxBytes: number; source: host.DenialSource | "auto" }
    | { kind: "label"; id: string }
    | { kind: "facts" }
) & {
    /** A refresh's read: may be answered by, and shares its answers with, the same operation's reads. */
    share: boolean;
    /**
     * When the resource was last checked (ms since the epoch; 0 when unknown): a shared request is
     * answered only by a run that started after it, so a resource never gets an answer older than
     * its own last check (a process that serves several operations, as tests do, reads again).
     */
    seenAt: number;
};

/** What a shared run read, for the later shared requests of the same operation. */
interface Shared {
    /** When the run started (its answers are at least this fresh). */
    readonly at: number;
    /** Every managed profile's status. */
    readonly all: host.StatusResult;
    /** Denials results by part key (the shared runs of the operation so far). */
    readonly denials: Map<string, host.DenialsResult>;
    /**
     * Where the first shared run's log read ended (a journal cursor): a later shared run's denials parts
     * end there too (`until`), so that every profile of the refresh keeps the same position and the
     * next refresh reads the log once.
     */
    readonly end?: string;
    /** The host's ABI facts, once a run of the operation read them. */
    facts?: HostAbiFacts;
}

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
    /** The last shared run's answers (see {@link SHARE_MS}). */
    shared?: Shared;
    /** Bumped by {@link HostReadBatcher.invalidate}: a run started before it shares nothing. */
    epoch: number;
}

/** The part key a request is served by. */
function partKey(r: Request): string {
    if (r.kind === "status") return `status\0${r.dir}`;
    if (r.kind === "label") return "labels";
    if (r.kind === "facts") return "facts";
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
        private readonly shareMs = SHARE_MS,
        private readonly now: () => number = Date.now,
    ) {}

    /**
     * The status of `name` (looked for in `dir` when it has no manifest). `share`: a refresh's read
     * (see the module comment). Defaults to false.
     */
    status(
        t: SshTarget,
        sudo: boolean,
        name: string,
        dir: string,
        share = false,
        seenAt = 0,
    ): Promise<StatusAnswer> {
        return this.enqueue(t, sudo, {
            kind: "status",
            dir,
            name,
            share,
            seenAt,
        }) as Promise<StatusAnswer>;
    }

    /**
     * The denials script's result from `cursor` ("now", "start" or an earlier result's). `share`: a
     * refresh's read (see the module comment). Defaults to false.
     */
    denials(
        t: SshTarget,
        sudo: boolean,
        cursor: string,
        maxBytes: number,
        source: host.DenialSource | "auto" = "auto",
        share = false,
        seenAt = 0,
    ): Promise<host.DenialsResult> {
        return this.enqueue(t, sudo, {
            kind: "denials",
            cursor,
            maxBytes,
            source,
            share,
            seenAt,
        }) as Promise<host.DenialsResult>;
    }

    /**
     * The label of container `id` (a docker ID or ID prefix): missing, stopped, or running with its
     * init process's label; and whether AppArmor is enabled on the host. Joins the host's pending
     * read (shared or not) but is never answered from an earlier shared run.
     */
    label(t: SshTarget, sudo: boolean, id: string): Promise<LabelAnswer> {
        return this.enqueue(t, sudo, {
            kind: "label",
            id,
            share: false,
            seenAt: 0,
        }) as Promise<LabelAnswer>;
    }

    /**
     * The host's AppArmor ABI facts (parser, kernel, ABI files, features, parser.conf pins). `share`: a
     * refresh's read, answered once per host and operation. Defaults to false.
     */
    facts(t: SshTarget, sudo: boolean, share = false, seenAt = 0): Promise<HostAbiFacts> {
        return this.enqueue(t, sudo, { kind: "facts", share, seenAt }) as Promise<HostAbiFacts>;
    }

    /**
     * Forgets what shared runs read on `t` (every sudo mode): called before this process runs any other
     * host script there, which may change what a read would report.
     */
    invalidate(t: SshTarget): void {
        const prefix = `${poolKey(t)}#`;
        for (const [k, q] of this.queues)
            if (k.startsWith(prefix)) {
                q.shared = undefined;
                q.epoch++;
            }
    }

    private enqueue(t: SshTarget, sudo: boolean, req: Request): Promise<unknown> {
        // Validate now: a bad argument is this request's own error, never its batch's.
        try {
            host.readPartArgs(readPart([req])); // throws on an invalid argument
        } catch (e) {
            return Promise.reject(e as Error);
        }
        const key = batchKey(t, sudo);
        let q = this.queues.get(key);
        if (!q) {
            q = { target: t, sudo, pending: [], running: false, epoch: 0 };
            this.queues.set(key, q);
        }
        const queue = q;
        const hit = this.fromShared(queue, req);
        if (hit !== undefined) return Promise.resolve(hit);
        return new Promise((resolve, reject) => {
            queue.pending.push({ req, resolve, reject });
            this.schedule(queue);
        });
    }

    /** A shared request's answer from the last shared run, if it is fresh and has one. */
    private fromShared(
        q: Queue,
        req: Request,
    ): StatusAnswer | host.DenialsResult | HostAbiFacts | undefined {
        if (!req.share) return undefined;
        const sh = this.freshShared(q);
        if (!sh || req.seenAt >= sh.at) return undefined;
        if (req.kind === "denials") return sh.denials.get(partKey(req));
        if (req.kind === "facts") return sh.facts;
        if (req.kind === "label") return undefined;
        const profile = sh.all.profiles.find((p) => p.name === req.name);
        return profile ? { apparmor: sh.all.apparmor, profile } : undefined;
    }

    /** The last shared run's answers while they may serve (see {@link SHARE_MS}). */
    private freshShared(q: Queue): Shared | undefined {
        const sh = q.shared;
        return sh && this.now() - sh.at <= this.shareMs ? sh : undefined;
    }

    /** (Re)arms the pending batch's timer: `windowMs` after the last arrival, within `maxWaitMs`. */
    private schedule(q: Queue): void {
        if (q.running || q.pending.length === 0) return;
        const now = Date.now();
        q.since ??= now;
        if (q.timer !== undefined) clearTimeout(q.timer);
        const wait = batchDelay(q.since, now, this.windowMs, this.maxWaitMs);
        q.timer = setTimeout(() => {
            q.timer = undefined;
            void this.flush(q);
        }, wait);
    }

    private async flush(q: Queue): Promise<void> {
        if (q.running) return;
        // shared requests that arrived while the operation's shared run ran: answered by it when it
        // has their answer (a wave that reached the provider spread over more than the window)
        const batch = q.pending.filter((w) => {
            const hit = this.fromShared(q, w.req);
            if (hit === undefined) return true;
            w.resolve(hit);
            return false;
        });
        q.pending = [];
        q.since = undefined;
        if (batch.length === 0) return;
        q.running = true;
        try {
            await this.serve(q, batch);
        } finally {
            q.running = false;
            this.schedule(q);
        }
    }

    /**
     * One batch: as few host runs as fit (one unless hundreds of names), each waiter answered. A batch
     * with a shared request also reads every managed profile's status, kept with its denials results
     * for the operation's later shared requests.
     */
    private async serve(q: Queue, batch: Waiter[]): Promise<void> {
        const { target: t, sudo } = q;
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
        const shareIt = batch.some((w) => w.req.share);
        // a later wave of the same refresh: every shared request was last checked before that run
        const fresh = shareIt ? this.freshShared(q) : undefined;
        const before =
            fresh && batch.every((w) => !w.req.share || w.req.seenAt < fresh.at)
                ? fresh
                : undefined;
        // one part per key, however many names or IDs: planReads splits what does not fit in one
        // command or one part's bound (each argument was validated on arrival)
        const parts = keys.map((k) => {
            const ws = groups.get(k)!;
            const p = readPart(ws.map((w) => w.req));
            if (p.kind !== "denials" || !ws.every((w) => w.req.share)) return p;
            // a later wave of the refresh: its log reads end where the first one's did; the first
            // run's reads end where its first one did (read.sh), so that every profile of the
            // refresh keeps one position and the next refresh reads the log once
            if (before) return before.end ? { ...p, until: before.end } : p;
            return { ...p, align: true };
        });
        // the first shared run of the operation also reads every managed profile's status
        const allPart = shareIt && !before;
        const statusDir = batch.find((w) => w.req.kind === "status")?.req as
            | { dir: string }
            | undefined;
        if (allPart)
            parts.push({
                kind: "status",
                dir: statusDir?.dir ?? host.DEFAULT_PROFILE_DIR,
                names: [],
            });
        // per part of `parts`, the run parts serving it and their results
        const got: Served[][] = parts.map(() => []);
        const at = this.now();
        const epoch = q.epoch;
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
        if (!shareIt || q.epoch !== epoch) return;
        const denials = new Map<string, host.DenialsResult>();
        keys.forEach((k, i) => {
            const x = got[i][0]?.result;
            if (parts[i].kind === "denials" && x?.ok) denials.set(k, x.value as host.DenialsResult);
        });
        const fi = keys.indexOf("facts");
        const fr = fi < 0 ? undefined : got[fi][0]?.result;
        const facts = fr?.ok ? (fr.value as HostAbiFacts) : undefined;
        if (before) {
            // the same operation's shared answers, now with this wave's denials (and facts) too
            if (q.shared !== before) return;
            for (const [k, v] of denials) before.denials.set(k, v);
            before.facts ??= facts;
            return;
        }
        const all = got[parts.length - 1][0]?.result;
        if (!all?.ok) return;
        const end = [...denials.values()].find((d) => d.cursor?.startsWith("journal:"))?.cursor;
        q.shared = {
            at,
            all: all.value as host.StatusResult,
            denials,
            ...(end ? { end } : {}),
            ...(facts ? { facts } : {}),
        };
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
              : r.kind === "facts"
                ? { kind: "facts" }
                : { kind: "denials", cursor: r.cursor, maxBytes: r.maxBytes, source: r.source };
    return part;
}

function answer(w: Waiter, served: readonly Served[]): void {
    const results = served.map((s) => s.result);
    const failed = results.find((x) => !x.ok);
    if (w.req.kind === "denials" || w.req.kind === "facts") {
        const x = results[0];
        if (!x) w.reject(new Error(`read: no ${w.req.kind} part answered`));
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
