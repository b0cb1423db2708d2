/**
 * One host run for the installs an engine operation sends to a host at once. The engine creates (or
 * updates) up to `--parallel` resources at a time, so the HostProfiles of a first `up` reach the
 * provider within milliseconds of each other; each used to cost its own ssh exec, sudo, log position
 * and ABI facts read on the host. The installs for the same target (connection, sudo and step
 * timeout) that arrive less than {@link INSTALL_WINDOW_MS} apart (for at most
 * {@link INSTALL_MAX_WAIT_MS}) run as ONE `installs` host script (src/host/installs.sh): every
 * install as it is, in its own subshell, all compiling side by side and loading one after another
 * under the host lock, the position and facts read once. Each request still gets exactly its own
 * result or error, as `install` alone gives it; a failed exec (SSH) fails every request of the run
 * with that error. A batch of one runs the `install` script itself. Rollout waves (`install … prior`)
 * never come here: they keep their own round trip.
 */
import * as host from "../host";
import { batchDelay, batchKey } from "./batchWindow";
import type { SshTarget } from "./ssh";

/**
 * A batch is sent once no install has joined it for this long… (measured: when a batch's 8 installs
 * end, the engine's next 8 reached the provider spread over ~210 ms on a loaded 2-core machine, with
 * gaps of up to ~130 ms).
 */
export const INSTALL_WINDOW_MS = 150;
/** …or this long after its first install at the latest. */
export const INSTALL_MAX_WAIT_MS = 1000;

/** Runs host commands on a target (the provider's traced exec, or a fake in tests). */
export type InstallExec = (t: SshTarget) => host.HostExec;

interface Waiter {
    readonly args: host.InstallArgs;
    resolve(v: host.InstallResult): void;
    reject(e: unknown): void;
}

interface Queue {
    readonly target: SshTarget;
    readonly sudo: boolean;
    pending: Waiter[];
    timer?: ReturnType<typeof setTimeout>;
    /** When the pending batch's first install arrived. */
    since?: number;
}

export class InstallBatcher {
    private readonly queues = new Map<string, Queue>();
    /** Host runs started: `installs` runs and single `install` runs (for tests). */
    runs = 0;

    constructor(
        private readonly exec: InstallExec,
        private readonly windowMs = INSTALL_WINDOW_MS,
        private readonly maxWaitMs = INSTALL_MAX_WAIT_MS,
    ) {}

    /** Installs `args` (not `prior`) on `t`, batched with the concurrent installs for the same target. */
    install(t: SshTarget, args: host.InstallArgs): Promise<host.InstallResult> {
        // Validate now: a bad argument is this request's own error, never its batch's.
        try {
            host.installsCommand([args]);
        } catch (e) {
            return Promise.reject(e as Error);
        }
        const sudo = args.sudo === true;
        const key = batchKey(t, sudo);
        let q = this.queues.get(key);
        if (!q) {
            q = { target: t, sudo, pending: [] };
            this.queues.set(key, q);
        }
        const queue = q;
        return new Promise((resolve, reject) => {
            queue.pending.push({ args, resolve, reject });
            this.schedule(queue);
        });
    }

    /** (Re)arms the pending batch's timer: `windowMs` after the last arrival, within `maxWaitMs`. */
    private schedule(q: Queue): void {
        const now = Date.now();
        q.since ??= now;
        if (q.timer !== undefined) clearTimeout(q.timer);
        const wait = batchDelay(q.since, now, this.windowMs, this.maxWaitMs);
        q.timer = setTimeout(() => {
            q.timer = undefined;
            const batch = q.pending;
            q.pending = [];
            q.since = undefined;
            let plans: number[][];
            try {
                plans = host.planInstalls(
                    batch.map((w) => w.args),
                    { sudo: q.sudo },
                );
            } catch {
                plans = batch.map((_, i) => [i]); // each alone: its own error, if any
            }
            // runs of one target may overlap: each item takes the host lock on its own
            for (const idx of plans)
                void this.run(
                    q,
                    idx.map((i) => batch[i]),
                );
        }, wait);
    }

    private async run(q: Queue, batch: Waiter[]): Promise<void> {
        this.runs++;
        const exec = this.exec(q.target);
        if (batch.length === 1) {
            const [w] = batch;
            host.hostScripts.install(exec, w.args).then(w.resolve, w.reject);
            return;
        }
        try {
            const outcomes = await host.runInstalls(
                exec,
                batch.map((w) => w.args),
                { sudo: q.sudo },
            );
            outcomes.forEach((o, i) =>
                o.ok ? batch[i].resolve(o.result) : batch[i].reject(o.error),
            );
        } catch (e) {
            for (const w of batch) w.reject(e);
        }
    }
}
