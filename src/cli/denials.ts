import type { CliIo } from "./main";

// Placeholder until the subcommand lands; replaced by its issue's work.
export async function run(_args: string[], io: CliIo): Promise<number> {
    io.stderr.write("pulumi-apparmor denials: not built yet\n");
    return 2;
}
