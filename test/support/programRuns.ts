/**
 * A guard against engine operations that report success for a program the engine did not fully see.
 * The Automation API runs inline programs in this process, and the Node.js SDK has two ways to end
 * such a run quietly:
 *
 * - SDK code that runs outside the run's AsyncLocalStorage context finds no engine in the global
 *   settings and, as in a unit test without the engine, answers a resource registration itself (a
 *   made-up URN, `runtime/resource.js`): the program gets to the end, the engine never hears of the
 *   resource, and a preview plans its delete with exit code 0.
 * - SDK code that runs in the context of an earlier run (a callback of a connection that run opened)
 *   uses that run's clients: a registration goes to an engine that is gone or is another one.
 * - A registration RPC that fails with gRPC status CANCELLED or UNAVAILABLE is taken for the engine
 *   shutting down: nothing is reported, the resource's outputs stay pending.
 *
 * Seen once in CI: a preview of an unchanged program planned `{"delete":4,"same":1}`. The guard
 * wraps a stack's `preview` and `up`: while one runs, every request for the SDK's engine clients
 * made outside any run's context, and every monitor requested in another run's context than the one
 * in progress, is recorded with its stack (printed on stderr), and
 * {@link watchedProgram} counts the runs whose every top-level output resolved. An operation whose
 * program did not get to the end, or that saw such a request, is not the program's: a preview (no
 * effect on anything) is run once more, an `up` fails with the explanation (its effects cannot be
 * undone by trying again).
 *
 * One more way ends a run, with an error: grpc-js shares one subchannel per address across a
 * process's channels. A client of an earlier run that was never closed, whose engine is gone, keeps
 * a subchannel to that address in TRANSIENT_FAILURE; when a later engine's monitor listens on the
 * same port again, the new run's client reuses that subchannel and its first registration fails at
 * once with `14 UNAVAILABLE: No connection established. Last error: null` (seen once in CI, 1 s into
 * an `up`). {@link isolateEngineChannels} gives each of the SDK's engine clients its own subchannels.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import * as sdkState from "@pulumi/pulumi/runtime/state";

/** What {@link watchedProgram} saw of a program's runs. */
export class ProgramRuns {
    /** Runs whose every top-level output resolved. */
    completed = 0;
    /** The stores (run contexts) of this stack's runs during the operation in progress. */
    readonly stores: object[] = [];
}

/**
 * The operations (preview, up, of any stack) in progress, each with the requests made outside its
 * run's context meanwhile, and the stores of the runs in progress. Several stacks may run at once
 * (a test may `Promise.all` two): a request outside every run's context is recorded on each of
 * them, as it cannot be told whose it was.
 */
const watch = {
    ops: new Set<{ outside: string[] }>(),
    runs: new Set<object>(),
    installed: false,
};

/** The run's store (`getLocalStore` is internal to the SDK: not in its type declarations). */
const localStore = () =>
    (sdkState as unknown as { getLocalStore(): object | undefined }).getLocalStore();

/** The gRPC channel option that keeps a channel's subchannels out of the process-wide pool. */
export const LOCAL_SUBCHANNEL_POOL = "grpc.use_local_subchannel_pool";

/**
 * Makes the SDK create its engine and monitor clients with their own subchannel pool (the option
 * object is read when a client is created), so that no run reuses a dead run's failed connection.
 */
export function isolateEngineChannels(): void {
    sdkGrpcClientOptions()[LOCAL_SUBCHANNEL_POOL] = 1;
}

/** The channel options the SDK creates its engine and monitor clients with (not in its types). */
export function sdkGrpcClientOptions(): Record<string, unknown> {
    return (sdkSettings as unknown as { grpcClientOptions: Record<string, unknown> })
        .grpcClientOptions;
}

/** Wraps the SDK's engine-client getters (once) to record requests made outside a run's context. */
function watchContext(): void {
    if (watch.installed) return;
    watch.installed = true;
    const settings = sdkSettings as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of ["getMonitor", "getEngine"]) {
        const original = settings[name];
        settings[name] = function (this: unknown, ...a: unknown[]) {
            const store = watch.ops.size > 0 ? localStore() : null;
            // No store: the SDK answers by itself. A store of no run in progress (the monitor
            // only: the engine client also carries debug logs from callbacks of connections an
            // earlier run opened): a registration sent to an earlier run's engine.
            const lost =
                store === undefined ||
                (name === "getMonitor" &&
                    store !== null &&
                    watch.runs.size > 0 &&
                    !watch.runs.has(store));
            if (lost)
                for (const op of watch.ops)
                    if (op.outside.length < 5)
                        op.outside.push(
                            `${name} ${store === undefined ? "outside any run's context" : "in an earlier run's context"}: ${new Error().stack}`,
                        );
            return original.apply(this, a);
        };
    }
}

/**
 * `program`, counted in `runs` once every top-level output resolved. Its result and errors are
 * unchanged, and it returns as soon as the program does: an output that never resolves (a
 * registration the SDK dropped) leaves the run uncounted instead of hanging the operation.
 */
export function watchedProgram(program: PulumiFn, runs: ProgramRuns): PulumiFn {
    return async () => {
        const store = localStore();
        if (store) {
            runs.stores.push(store);
            watch.runs.add(store);
        }
        const out = await program();
        // The outputs depend on the resources' registrations: they resolve once those are done.
        const outputs =
            out && typeof out === "object"
                ? Object.values(out as Record<string, unknown>).filter((v) =>
                      pulumi.Output.isInstance(v),
                  )
                : [];
        let pending = outputs.length;
        if (pending === 0) runs.completed++;
        for (const v of outputs)
            (v as unknown as { promise(): Promise<unknown> }).promise().then(
                () => {
                    if (--pending === 0) runs.completed++;
                },
                () => undefined, // the operation fails with the program's own error
            );
        return out;
    };
}

/** Wraps `stack.preview` and `stack.up` with the check of the file comment. */
export function guardSilentRuns(stack: Stack, runs: ProgramRuns): void {
    watchContext();
    isolateEngineChannels();
    /** Runs `op`; the reason its program is not the engine's, if it is not. */
    const watched = async <T>(op: () => Promise<T>): Promise<[T, string | undefined]> => {
        const before = runs.completed;
        const mine = { outside: [] as string[] };
        watch.ops.add(mine);
        try {
            const r = await op();
            // The engine has the program's registrations answered before it ends the operation;
            // let the outputs' callbacks that those answers queued run.
            await new Promise((resolve) => setImmediate(resolve));
            for (const o of mine.outside) process.stderr.write(`engine harness: ${o}\n`);
            if (mine.outside.length > 0)
                return [
                    r,
                    `the SDK made ${mine.outside.length} request(s) for the engine outside the run's context`,
                ];
            if (runs.completed === before)
                return [r, "the program did not run to the end (an output never resolved)"];
            return [r, undefined];
        } finally {
            watch.ops.delete(mine);
            for (const s of runs.stores.splice(0)) watch.runs.delete(s);
        }
    };
    const preview = stack.preview.bind(stack);
    const up = stack.up.bind(stack);
    stack.preview = async (...args: Parameters<Stack["preview"]>) => {
        for (let attempt = 1; ; attempt++) {
            const [r, why] = await watched(() => preview(...args));
            if (why === undefined) return r;
            const msg = `engine harness: the preview reported success but ${why}; its plan ${JSON.stringify(r.changeSummary)} is not the program's`;
            if (attempt >= 2) throw new Error(msg);
            process.stderr.write(`${msg}: previewing again\n`);
        }
    };
    stack.up = async (...args: Parameters<Stack["up"]>) => {
        const [r, why] = await watched(() => up(...args));
        if (why === undefined) return r;
        throw new Error(
            `engine harness: the update reported success but ${why}; the engine took what it did ` +
                `not see declared for deleted: ${JSON.stringify(r.summary.resourceChanges)}`,
        );
    };
}
