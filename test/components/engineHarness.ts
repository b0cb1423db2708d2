/**
 * A thin Automation API harness for the component engine tests: the Go-built CLI from
 * `test/engine/build.sh` (cached), a throwaway file:// backend and PULUMI_HOME, an inline program.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    LocalWorkspace,
    PulumiCommand,
    type PulumiFn,
    type Stack,
} from "@pulumi/pulumi/automation";

const repo = path.resolve(__dirname, "../..");
let binDir: string | undefined;

/** Folder with pulumi, the language host and the providers (built once, cached across runs). */
export function engineBin(): string {
    if (!binDir) {
        const out = execFileSync("bash", [path.join(repo, "test/engine/build.sh")], {
            stdio: ["ignore", "pipe", "inherit"],
            maxBuffer: 64 * 1024 * 1024,
        });
        const lines = out.toString().trim().split("\n");
        binDir = lines[lines.length - 1];
        if (!fs.existsSync(path.join(binDir, "pulumi"))) throw new Error(`no pulumi in ${binDir}`);
    }
    return binDir;
}

export interface EngineStack {
    readonly stack: Stack;
    readonly workDir: string;
    /** The command provider (remote.Command) is available to the engine. */
    readonly hasCommandProvider: boolean;
    cleanup(): Promise<void>;
}

export async function engineStack(project: string, program: PulumiFn): Promise<EngineStack> {
    const bin = engineBin();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pa-engine-"));
    const home = path.join(work, "home");
    const state = path.join(work, "state");
    fs.mkdirSync(home);
    fs.mkdirSync(state);
    const envVars: Record<string, string> = {
        PATH: `${bin}:${process.env.PATH}`,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "engine-test",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "false",
    };
    const pulumiCommand = await PulumiCommand.get({
        root: path.dirname(bin),
        skipVersionCheck: true,
    });
    const ws = await LocalWorkspace.create({
        program,
        workDir: work,
        pulumiHome: home,
        envVars,
        pulumiCommand,
        projectSettings: { name: project, runtime: "nodejs", backend: { url: `file://${state}` } },
    });
    await ws.createStack("test");
    const { Stack: StackClass } = await import("@pulumi/pulumi/automation");
    const stack = await StackClass.select("test", ws);
    const hasCommandProvider = fs.existsSync(path.join(bin, "pulumi-resource-command"));
    return {
        stack,
        workDir: work,
        hasCommandProvider,
        async cleanup() {
            try {
                await stack.destroy();
            } catch {
                // best effort: the test's own destroy step is asserted
            }
            fs.rmSync(work, { recursive: true, force: true });
        },
    };
}
