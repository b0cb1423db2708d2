/**
 * The engine harness's guard against runs the SDK ends as a success although the program did not
 * get to the end (test/support/programRuns.ts), with a stand-in for the Automation API's Stack.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import * as sdkState from "@pulumi/pulumi/runtime/state";
import * as net from "net";
import {
    guardSilentRuns,
    isolateEngineChannels,
    LOCAL_SUBCHANNEL_POOL,
    ProgramRuns,
    sdkGrpcClientOptions,
    watchedProgram,
} from "../support/programRuns";

/** The SDK's own grpc-js (the one its engine clients are made with). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc: typeof import("@grpc/grpc-js") = require(
    require.resolve("@grpc/grpc-js", { paths: [require.resolve("@pulumi/pulumi")] }),
);

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

    it("an output that never resolves (a dropped registration) fails the up, without hanging it", async () => {
        const never = pulumi.output(new Promise<string>(() => undefined));
        const resolved = pulumi.output("x");
        const { stack, calls } = setup([true], async () => ({ resolved, never }));
        await assert.rejects(stack.up(), /an output never resolved/);
        assert.strictEqual(calls.up, 1);
        const ok = setup([true], async () => ({ resolved }));
        await ok.stack.up();
        assert.strictEqual(ok.runs.completed, 1);
    });

    it("two stacks' operations at once: each judged by its own runs", async () => {
        const a = setup([true]);
        const b = setup([false, true]);
        await Promise.all([a.stack.preview(), b.stack.preview()]);
        assert.deepStrictEqual([a.calls.preview, b.calls.preview], [1, 2]);
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

describe("engine harness: a dead run's failed connection is not reused by a later run", function () {
    this.timeout(20_000);
    const bytes = (b: Buffer) => b;
    /** One unary call; "ok" or `code details`. */
    const call = (client: InstanceType<typeof grpc.Client>) =>
        new Promise<string>((resolve) =>
            client.makeUnaryRequest("/t.T/Call", bytes, bytes, Buffer.alloc(0), (err) =>
                resolve(err ? `${err.code} ${err.details}` : "ok"),
            ),
        );
    /** A loopback port nothing listens on (taken, then freed). */
    const freePort = async () => {
        const s = net.createServer();
        await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
        const port = (s.address() as net.AddressInfo).port;
        await new Promise((r) => s.close(r));
        return port;
    };
    /**
     * An earlier run's client (not closed) fails to reach its engine's port; a later engine listens
     * on that port; what a new client made with `options` gets.
     */
    const laterRun = async (options: Record<string, unknown>) => {
        const addr = `127.0.0.1:${await freePort()}`;
        const insecure = grpc.credentials.createInsecure();
        const earlier = new grpc.Client(addr, insecure, {});
        const server = new grpc.Server();
        try {
            assert.match(await call(earlier), /^14 .*ECONNREFUSED/);
            const answer: import("@grpc/grpc-js").handleUnaryCall<Buffer, Buffer> = (_c, cb) =>
                cb(null, Buffer.alloc(0));
            server.register("/t.T/Call", answer, bytes, bytes, "unary");
            await new Promise<number>((ok, fail) =>
                server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (e, p) =>
                    e ? fail(e) : ok(p),
                ),
            );
            const later = new grpc.Client(addr, insecure, options);
            try {
                return await call(later);
            } finally {
                later.close();
            }
        } finally {
            earlier.close();
            server.forceShutdown();
        }
    };

    it("with the process-wide pool, the later client fails at once (what CI saw)", async () => {
        assert.match(await laterRun({}), /^14 No connection established\. Last error: null/);
    });

    it("the SDK's engine clients get their own pool: the later run's call goes through", async () => {
        isolateEngineChannels();
        const options = sdkGrpcClientOptions();
        assert.strictEqual(options[LOCAL_SUBCHANNEL_POOL], 1);
        assert.strictEqual(await laterRun(options), "ok");
    });

    it("guardSilentRuns isolates them (every engine test stack is guarded)", () => {
        const options = sdkGrpcClientOptions();
        delete options[LOCAL_SUBCHANNEL_POOL];
        const stack = { preview: async () => ({}), up: async () => ({}) } as unknown as Stack;
        guardSilentRuns(stack, new ProgramRuns());
        assert.strictEqual(options[LOCAL_SUBCHANNEL_POOL], 1);
    });
});
