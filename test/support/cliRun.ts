/** Runs a `pulumi-apparmor` subcommand module in this process, capturing what it writes. */
import { PassThrough } from "stream";
import type { CliIo } from "../../src/cli/main";

/** Runs a CLI subcommand in this process, capturing its output. */
export async function runCli(
    run: (args: string[], io: CliIo) => Promise<number>,
    args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await run(args, { stdin: new PassThrough(), stdout, stderr });
    return { code, stdout: out, stderr: err };
}
