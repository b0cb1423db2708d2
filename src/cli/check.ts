/**
 * `pulumi-apparmor check [--no-parser] [-I DIR]… FILE|-`: parses the policy, runs `validateProfile`,
 * then compiles the text with the real `apparmor_parser -Q -K` when it is installed (never loading
 * anything), and checks that the `fmt` output of the file compiles to the same policy bytes. Prints one line per problem (`FILE:LINE:COL: …` for syntax, `FILE: FIELD: message (fix:
 * …)` for validation, `FILE:LINE: apparmor_parser: …` for the compiler). Exit 0 valid, 1 invalid,
 * 2 usage or read errors.
 */
import { checkWithParser } from "../local";
import { parseProfile, renderProfile, validateProfile } from "../profile";
import { formatError } from "./fmt";
import type { CliIo } from "./main";
import { readSource } from "./io";

const USAGE = "usage: pulumi-apparmor check [--no-parser] [-I DIR]... FILE|-\n";

export async function run(args: string[], io: CliIo): Promise<number> {
    let file: string | undefined;
    let useParser = true;
    const includeDirs: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "-h" || a === "--help") {
            io.stdout.write(USAGE);
            return 0;
        } else if (a === "--no-parser") {
            useParser = false;
        } else if (a === "-I" || a === "--include") {
            const dir = args[++i];
            if (dir === undefined) {
                io.stderr.write(`pulumi-apparmor check: ${a} needs a directory\n${USAGE}`);
                return 2;
            }
            includeDirs.push(dir);
        } else if (a.startsWith("-") && a !== "-") {
            io.stderr.write(`pulumi-apparmor check: unknown option ${a}\n${USAGE}`);
            return 2;
        } else if (file === undefined) {
            file = a;
        } else {
            io.stderr.write(USAGE);
            return 2;
        }
    }
    if (file === undefined) {
        io.stderr.write(USAGE);
        return 2;
    }
    let source;
    try {
        source = await readSource(file, io.stdin);
    } catch (e) {
        io.stderr.write(`pulumi-apparmor check: ${(e as Error).message}\n`);
        return 2;
    }

    let problems = 0;
    let canonical: string | undefined;
    try {
        const doc = parseProfile(source.text);
        try {
            canonical = renderProfile(doc);
        } catch (e) {
            io.stderr.write(`${source.name}: fmt cannot render it: ${(e as Error).message}\n`);
            problems++;
        }
        for (const p of validateProfile(doc)) {
            io.stderr.write(
                `${source.name}: ${p.path || "(file)"}: ${p.message} (fix: ${p.fix})\n`,
            );
            problems++;
        }
    } catch (e) {
        io.stderr.write(`${formatError(source.name, e)}\n`);
        problems++;
    }

    if (useParser) {
        const r = await checkWithParser(source.text, { includeDirs, compile: true });
        if (!r.available) {
            io.stderr.write(
                `${source.name}: note: apparmor_parser not found; compile check skipped (install apparmor)\n`,
            );
        } else {
            for (const d of r.diagnostics) {
                if (d.severity === "info") continue;
                const where = d.line !== undefined ? `${source.name}:${d.line}` : source.name;
                io.stderr.write(`${where}: apparmor_parser ${d.severity}: ${d.message}\n`);
            }
            if (!r.ok) problems++;
            else if (canonical !== undefined && problems === 0) {
                // `fmt` must never change what a profile means: its output has to compile to the
                // same bytes as the input.
                const theirs = await checkWithParser(canonical, { includeDirs, compile: true });
                if (
                    !theirs.ok ||
                    !r.compiled ||
                    !theirs.compiled ||
                    !r.compiled.equals(theirs.compiled)
                ) {
                    io.stderr.write(
                        `${source.name}: the \`fmt\` output of this file compiles to a different policy ` +
                            `(a pulumi-apparmor renderer bug; please report it with this file)\n`,
                    );
                    problems++;
                }
            }
        }
    }

    if (problems > 0) return 1;
    io.stdout.write(`${source.name}: ok\n`);
    return 0;
}
