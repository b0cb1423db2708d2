/**
 * The component engine tests' view of the shared harness (`test/support/engine.ts`): a throwaway
 * stack on the Go-built engine, plus whether `remote.Command`'s provider is available.
 */
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { createThrowawayStack, hasProviderPlugin } from "../support/engine";

export interface EngineStack {
    readonly stack: Stack;
    /** The command provider (remote.Command) is available to the engine. */
    readonly hasCommandProvider: boolean;
    /**
     * `pulumi stack export` as the CLI prints it (secrets stay ciphertext). The Automation API's
     * own `stack.exportStack()` passes `--show-secrets`, which decrypts them.
     */
    exportStackText(): Promise<string>;
    cleanup(): Promise<void>;
}

export async function engineStack(project: string, program: PulumiFn): Promise<EngineStack> {
    const s = await createThrowawayStack({ program, projectName: project });
    return {
        stack: s.stack,
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
