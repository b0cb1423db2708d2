/**
 * The component engine tests' view of the shared harness (`test/support/engine.ts`): a throwaway
 * stack on the Go-built engine, plus whether `remote.Command`'s provider is available.
 */
import type { EngineEvent, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { createThrowawayStack, hasProviderPlugin } from "../support/engine";

export interface EngineStack {
    readonly stack: Stack;
    /** The stack outputs' plain values. */
    outputs(): Promise<Record<string, unknown>>;
    /**
     * `pulumi refresh`, returning the refreshed `drift` outputs of the resources whose URN ends
     * with one of `urnSuffixes` (what `pulumi refresh --diff` prints as the reasons).
     */
    refreshDrift(urnSuffixes: readonly string[]): Promise<string[]>;
    /** The command provider (remote.Command) is available to the engine. */
    readonly hasCommandProvider: boolean;
    /**
     * `pulumi stack export` as the CLI prints it (secrets stay ciphertext). The Automation API's
     * own `stack.exportStack()` passes `--show-secrets`, which decrypts them.
     */
    exportStackText(): Promise<string>;
    cleanup(): Promise<void>;
}

/**
 * The resource steps of an engine operation in the order they finished, each `OP NAME` with the
 * last part of the URN (e.g. `create secure-vm`, `delete proj-deployment`).
 */
export function opSequence(events: readonly EngineEvent[]): string[] {
    return events
        .map((e) => e.resOutputsEvent?.metadata)
        .filter((m): m is NonNullable<typeof m> => m !== undefined)
        .map((m) => `${m.op} ${m.urn.split("::").pop()}`);
}

export async function engineStack(project: string, program: PulumiFn): Promise<EngineStack> {
    const s = await createThrowawayStack({ program, projectName: project });
    return {
        stack: s.stack,
        outputs: async () => {
            const o = await s.stack.outputs();
            return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
        },
        refreshDrift: async (urnSuffixes) => {
            const events: EngineEvent[] = [];
            await s.stack.refresh({ onEvent: (e) => events.push(e) });
            return events
                .map((e) => e.resOutputsEvent?.metadata)
                .filter((m) => m !== undefined && urnSuffixes.some((n) => m.urn.endsWith(n)))
                .flatMap((m) => (m!.new?.outputs?.drift as string[] | undefined) ?? []);
        },
        hasCommandProvider: hasProviderPlugin("command"),
        exportStackText: () => s.exportStackText(),
        cleanup: async () => {
            try {
                await s.stack.destroy({ color: "never" });
            } catch (e) {
                process.stderr.write(`components engine harness: destroy failed: ${String(e)}\n`);
            }
            await s.dispose();
        },
    };
}
