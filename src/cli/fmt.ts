/**
 * `pulumi-apparmor fmt FILE|-`: parses policy text and prints its canonical form (the renderer's
 * output: two-space indent, one rule per line, sorted permission sets). Exit 0 on success; 1 with
 * `FILE:LINE:COL: message` on a syntax error; 2 on usage or read errors.
 */
import { ProfileParseError, parseProfile, renderProfile } from "../profile";
import type { CliIo } from "./main";
import { readSource } from "./io";

const USAGE = "usage: pulumi-apparmor fmt FILE|-\n";

export async function run(args: string[], io: CliIo): Promise<number> {
    if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
        io.stdout.write(USAGE);
        return 0;
    }
    if (args.length !== 1 || (args[0].startsWith("-") && args[0] !== "-")) {
        io.stderr.write(USAGE);
        return 2;
    }
    let source;
    try {
        source = await readSource(args[0], io.stdin);
    } catch (e) {
        io.stderr.write(`pulumi-apparmor fmt: ${(e as Error).message}\n`);
        return 2;
    }
    let text: string;
    try {
        text = renderProfile(parseProfile(source.text));
    } catch (e) {
        io.stderr.write(`${formatError(source.name, e)}\n`);
        return 1;
    }
    io.stdout.write(text);
    return 0;
}

/** `FILE:LINE:COL: message` for parse errors, `FILE: message` otherwise. */
export function formatError(name: string, e: unknown): string {
    if (e instanceof ProfileParseError) {
        return `${name}:${e.line}:${e.column}: expected ${e.expected}, found ${e.found}`;
    }
    return `${name}: ${e instanceof Error ? e.message : String(e)}`;
}
