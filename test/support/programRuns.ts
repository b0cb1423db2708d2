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
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import * as sdkState from "@pulumi/pulumi/runtime/state";

/** What {@link watchedProgram} saw of a program's runs. */
export class ProgramRuns {
    /** Runs whose every top-level output resolved. */
    completed = 0;
}

/**
 * Operations (preview, up) running now, the store of the run in progress (set when its program
 * starts), and the requests made outside that run's context meanwhile.
 */
const watch = {
    active: 0,
    run: undefined as object | undefined,
    outside: [] as string[],
    installed: false,
};

/** The run's store (`getLocalStore` is internal to the SDK: not in its type declarations). */
const localStore = () =>
    (sdkState as unknown as { getLocalStore(): object | undefined }).getLocalStore();

/** Wraps the SDK's engine-client getters (once) to record requests made outside a run's context. */
function watchContext(): void {
    if (watch.installed) return;
    watch.installed = true;
    const settings = sdkSettings as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of ["getMonitor", "getEngine"]) {
        const original = settings[name];
        settings[name] = function (this: unknown, ...a: unknown[]) {
            const store = watch.active > 0 ? localStore() : null;
            // No store: the SDK answers by itself. Another run's store (the monitor only: the
            // engine client also carries debug logs from callbacks of connections an earlier run
            // opened): a registration sent to that run's engine.
            const lost =
                store === undefined ||
                (name === "getMonitor" && store !== null && watch.run && store !== watch.run);
            if (lost && watch.outside.length < 5)
                watch.outside.push(
                    `${name} ${store === undefined ? "outside any run's context" : "in an earlier run's context"}: ${new Error().stack}`,
                );
            return original.apply(this, a);
        };
    }
}

/** `program`, counted in `runs`. Its result and errors are unchanged. */
export function watchedProgram(program: PulumiFn, runs: ProgramRuns): PulumiFn {
    return async () => {
        watch.run = localStore();
        const out = await program();
        // The outputs depend on the resources' registrations: they resolve once those are done.
        if (out && typeof out === "object")
            for (const v of Object.values(out as Record<string, unknown>))
                if (pulumi.Output.isInstance(v))
                    await (v as unknown as { promise(): Promise<unknown> }).promise();
        runs.completed++;
        return out;
    };
}

/** Wraps `stack.preview` and `stack.up` with the check of the file comment. */
export function guardSilentRuns(stack: Stack, runs: ProgramRuns): void {
    watchContext();
    /** Runs `op`; the reason its program is not the engine's, if it is not. */
    const watched = async <T>(op: () => Promise<T>): Promise<[T, string | undefined]> => {
        const before = runs.completed;
        watch.outside = [];
        watch.run = undefined;
        watch.active++;
        try {
            const r = await op();
            for (const o of watch.outside) process.stderr.write(`engine harness: ${o}\n`);
            if (watch.outside.length > 0)
                return [
                    r,
                    `the SDK made ${watch.outside.length} request(s) for the engine outside the run's context`,
                ];
            if (runs.completed === before) return [r, "the program did not run to the end"];
            return [r, undefined];
        } finally {
            watch.active--;
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
