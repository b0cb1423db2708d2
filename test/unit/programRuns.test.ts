/**
 * The engine harness's guard against runs the SDK ends as a success although the program did not
 * get to the end (test/support/programRuns.ts), with a stand-in for the Automation API's Stack.
 */
import * as assert from "assert";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import * as sdkState from "@pulumi/pulumi/runtime/state";
import { guardSilentRuns, ProgramRuns, watchedProgram } from "../support/programRuns";

/** A Stack whose preview/up run `program` only when `runs` says so (one boolean per call). */
function fakeStack(program: PulumiFn, ranPerCall: boolean[]) {
    const calls = { preview: 0, up: 0 };
    const step = async () => {
        if (ranPerCall.shift() ?? true) await program();
    };
    const stack = {
        preview: async () => {
            calls.preview++;
            await step();
            return { changeSummary: { same: 1 } };
        },
        up: async () => {
            calls.up++;
            await step();
            return { summary: { resourceChanges: { delete: 4, same: 1 } } };
        },
    } as unknown as Stack;
    return { stack, calls };
}

describe("engine harness: program runs the SDK would end silently", () => {
    const setup = (ran: boolean[], body: PulumiFn = async () => ({ a: 1 })) => {
        const runs = new ProgramRuns();
        const f = fakeStack(watchedProgram(body, runs), ran);
        guardSilentRuns(f.stack, runs);
        return { ...f, runs };
    };

    it("a preview whose program ran returns at once", async () => {
        const { stack, calls } = setup([true]);
        await stack.preview();
        assert.strictEqual(calls.preview, 1);
    });

    it("a preview whose program never ran is previewed again", async () => {
        const { stack, calls } = setup([false, true]);
        await stack.preview();
        assert.strictEqual(calls.preview, 2);
    });

    it("twice in a row: the preview fails and says why", async () => {
        const { stack, calls } = setup([false, false]);
        await assert.rejects(stack.preview(), /did not run to the end/);
        assert.strictEqual(calls.preview, 2);
    });

    it("an up whose program never ran fails, not retried", async () => {
        const { stack, calls } = setup([false]);
        await assert.rejects(stack.up(), /did not run to the end.*"delete":4/);
        assert.strictEqual(calls.up, 1);
    });

    it("an operation that asks for the engine outside a run's context is not the program's", async () => {
        const runs = new ProgramRuns();
        let calls = 0;
        const stack = {
            preview: async () => {
                calls++;
                await watchedProgram(async () => ({}), runs)();
                // What SDK code that lost the run's context does (no AsyncLocalStorage run here).
                if (calls === 1) sdkSettings.getMonitor();
                return { changeSummary: { delete: 4, same: 1 } };
            },
            up: async () => ({}),
        } as unknown as Stack;
        guardSilentRuns(stack, runs);
        const r = await stack.preview();
        assert.strictEqual(calls, 2, "previewed again");
        assert.deepStrictEqual(r.changeSummary, { delete: 4, same: 1 });
    });

    it("a monitor requested in an earlier run's context is not the program's; an engine client is", async () => {
        const als = (
            globalThis as unknown as {
                asyncLocalStorage: { run<T>(store: object, f: () => T): T };
            }
        ).asyncLocalStorage;
        // Stores as the SDK makes them (its LocalStore class is internal: not in its declarations).
        const { LocalStore } = sdkState as unknown as { LocalStore: new () => object };
        const earlier = new LocalStore();
        const current = new LocalStore();
        const runs = new ProgramRuns();
        const asks: Array<"getMonitor" | "getEngine"> = [];
        let calls = 0;
        const stack = {
            preview: async () => {
                calls++;
                await als.run(current, () => watchedProgram(async () => ({}), runs)());
                const ask = asks.shift();
                if (ask) als.run(earlier, () => sdkSettings[ask]());
                return { changeSummary: { same: 1 } };
            },
            up: async () => ({}),
        } as unknown as Stack;
        guardSilentRuns(stack, runs);
        asks.push("getEngine");
        await stack.preview();
        assert.strictEqual(
            calls,
            1,
            "a debug log's engine client from an old connection is harmless",
        );
        asks.push("getMonitor");
        await stack.preview();
        assert.strictEqual(calls, 3, "previewed again");
    });

    it("the program's result and errors are its own", async () => {
        const runs = new ProgramRuns();
        const err = Object.assign(new Error("x"), { code: 14 });
        await assert.rejects(
            watchedProgram(async () => {
                throw err;
            }, runs)(),
            (e) => e === err,
        );
        assert.strictEqual(runs.completed, 0);
        assert.deepStrictEqual(await watchedProgram(async () => ({ a: 1 }), runs)(), { a: 1 });
        assert.strictEqual(runs.completed, 1);
    });
});
