/**
 * On the real engine, without the test VM: what the engine harness's guard (test/support/
 * programRuns.ts) is for. SDK code that runs outside the inline run's AsyncLocalStorage context
 * (here forced with `asyncLocalStorage.exit`) gets no engine and answers the registration itself:
 * the Automation API's own preview reports success and plans to delete the resource the program
 * still declares. The guard turns that into a preview tried once more and then an error naming
 * the cause, and an `up` refused the same way before anything is taken for deleted by a test.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { createThrowawayStack, ThrowawayStack } from "../support/engine";

/** Pulumi's AsyncLocalStorage (runtime/state.js), the one each inline run's settings live in. */
const sdkStorage = (globalThis as unknown as { asyncLocalStorage: { exit<T>(f: () => T): T } })
    .asyncLocalStorage;

describe("engine harness on the real engine: a program the engine did not fully see", function () {
    this.timeout(300_000);
    let s: ThrowawayStack | undefined;
    const mode = { lost: false, calls: 0 };

    before(async () => {
        s = await createThrowawayStack({
            projectName: "pa-program-runs",
            program: async () => {
                mode.calls++;
                const box = new pulumi.ComponentResource("pa:test:Box", "box");
                const declare = () =>
                    new pulumi.ComponentResource("pa:test:Item", "item", {}, { parent: box });
                if (mode.lost) sdkStorage.exit(declare);
                else declare();
                return { name: pulumi.output("box") };
            },
        });
        await s.stack.up();
    });
    after(async () => {
        mode.lost = false;
        if (s) await s.dispose();
    });

    it("the SDK's own preview reports success and plans a delete of what it answered itself", async () => {
        mode.lost = true;
        const raw = await Stack.prototype.preview.call(s!.stack);
        assert.strictEqual(raw.changeSummary.delete, 1, JSON.stringify(raw.changeSummary));
    });

    it("the guarded preview is tried twice, then fails naming the cause", async () => {
        mode.lost = true;
        mode.calls = 0;
        await assert.rejects(
            s!.stack.preview(),
            /preview reported success but the SDK made \d+ request\(s\) for the engine outside the run's context/,
        );
        assert.strictEqual(mode.calls, 2);
    });

    it("the guarded up is refused with the same reason, once", async () => {
        mode.lost = true;
        mode.calls = 0;
        await assert.rejects(s!.stack.up(), /update reported success but the SDK made/);
        assert.strictEqual(mode.calls, 1);
        mode.lost = false;
        // The engine took the item for deleted; declared again, it is created again.
        const r = await s!.stack.up();
        assert.strictEqual(r.summary.resourceChanges?.create, 1, JSON.stringify(r.summary));
    });

    it("the program within its context previews as before", async () => {
        mode.lost = false;
        const pv = await s!.stack.preview();
        assert.deepStrictEqual(pv.changeSummary, { same: 3 });
    });
});
