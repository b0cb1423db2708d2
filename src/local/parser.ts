/**
 * Runs the real `apparmor_parser` on the machine running Pulumi or the CLI, in compile-only mode
 * (`-Q -K`: no kernel, no privilege, no cache). Policy text always goes in through stdin and the
 * arguments are passed as an argv array (no shell), so nothing in a profile can reach a shell.
 */
import { spawn } from "child_process";
import { accessSync, constants as fsConstants } from "fs";
import * as path from "path";

/** One message from `apparmor_parser`. */
export interface ParserDiagnostic {
    /** `error` when it made the policy invalid, `warning` otherwise, `info` for host notes. */
    readonly severity: "error" | "warning" | "info";
    /** 1-based line in the text given, when the parser named one. */
    readonly line?: number;
    /** The parser's message without its "AppArmor parser error … at line N:" prefix. */
    readonly message: string;
}

/** What {@link checkWithParser} found. */
export interface ParserCheckResult {
    /** False when no `apparmor_parser` binary was found (nothing was checked). */
    readonly available: boolean;
    /** True when the parser ran and accepted the text (exit status 0). */
    readonly ok: boolean;
    /** The parser's exit status; undefined when it did not run or was killed. */
    readonly exitCode?: number;
    /** Parsed messages from stderr, in order. */
    readonly diagnostics: ParserDiagnostic[];
    /** The parser's raw stderr. */
    readonly stderr: string;
    /** The path of the binary that ran. */
    readonly parserPath?: string;
    /** The compiled policy (`-S` output) when `compile: true` and the text was accepted. */
    readonly compiled?: Buffer;
}

/** Options of {@link checkWithParser}. */
export interface ParserOptions {
    /** The `apparmor_parser` binary. Defaults to `$PULUMI_APPARMOR_PARSER`, then PATH, /usr/sbin, /sbin. */
    readonly parserPath?: string;
    /** Extra include directories (`-I`), searched before the parser's defaults. Defaults to none. */
    readonly includeDirs?: readonly string[];
    /** Base directory for relative includes (`-b`). Defaults to the parser's own (/etc/apparmor.d). */
    readonly baseDir?: string;
    /** Also return the compiled binary policy (`-S`). Defaults to false. */
    readonly compile?: boolean;
    /** Kill the parser after this many milliseconds. Defaults to 60000. */
    readonly timeoutMs?: number;
}

const hostNote = /^Cache read\/write disabled: /;
const located = /^AppArmor parser error(?: for .*? in profile .*?)? at line (\d+): (.*)$/;
const unlocated = /^AppArmor parser error(?: for .*?)?: (.*)$/;

function isExecutable(file: string): boolean {
    try {
        accessSync(file, fsConstants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/**
 * Locates `apparmor_parser`: `$PULUMI_APPARMOR_PARSER` when set, else the first executable on PATH,
 * `/usr/sbin` or `/sbin` (it lives in sbin, which non-root PATHs often lack). Undefined when absent.
 */
export function findApparmorParser(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const override = env.PULUMI_APPARMOR_PARSER;
    if (override) {
        return isExecutable(override) ? override : undefined;
    }
    const dirs = [...(env.PATH ?? "").split(path.delimiter).filter((d) => d), "/usr/sbin", "/sbin"];
    for (const dir of dirs) {
        const candidate = path.join(dir, "apparmor_parser");
        if (isExecutable(candidate)) {
            return candidate;
        }
    }
    return undefined;
}

/**
 * Turns `apparmor_parser` stderr into diagnostics. `failed` says whether the run failed: then
 * messages the parser did not mark as errors (e.g. "ERROR merging rules…" after a conflict line)
 * count as errors too; on success they are warnings.
 */
export function parseParserStderr(stderr: string, failed: boolean): ParserDiagnostic[] {
    const out: ParserDiagnostic[] = [];
    for (const raw of stderr.split("\n")) {
        const line = raw.trimEnd();
        if (line === "") {
            continue;
        }
        if (hostNote.test(line)) {
            out.push({ severity: "info", message: line });
            continue;
        }
        const at = located.exec(line);
        if (at) {
            out.push({ severity: "error", line: Number(at[1]), message: at[2] });
            continue;
        }
        const un = unlocated.exec(line);
        if (un) {
            out.push({ severity: "error", message: un[1] });
            continue;
        }
        const warning = /^Warning[: ]/i.test(line);
        out.push({ severity: failed && !warning ? "error" : "warning", message: line });
    }
    return out;
}

/**
 * Compiles `text` with the real `apparmor_parser -Q -K` (plus `-S` when `compile`), text on stdin.
 * Never loads anything into the kernel. Resolves (never rejects) with `available: false` when the
 * parser is not installed, so callers can treat the check as optional.
 */
export function checkWithParser(
    text: string,
    options: ParserOptions = {},
): Promise<ParserCheckResult> {
    const parserPath = options.parserPath ?? findApparmorParser();
    if (!parserPath) {
        return Promise.resolve({ available: false, ok: false, diagnostics: [], stderr: "" });
    }
    const args = ["-Q", "-K"];
    for (const dir of options.includeDirs ?? []) {
        args.push("-I", dir);
    }
    if (options.baseDir !== undefined) {
        args.push("-b", options.baseDir);
    }
    if (options.compile) {
        args.push("-S");
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve) => {
        const child = spawn(parserPath, args, { stdio: ["pipe", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let timedOut = false;
        let spawnError: Error | undefined;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.stdout.on("data", (b: Buffer) => stdout.push(b));
        child.stderr.on("data", (b: Buffer) => stderr.push(b));
        // The parser may exit before reading all of stdin (e.g. on an early syntax error).
        child.stdin.on("error", () => undefined);
        child.on("error", (err) => {
            spawnError = err;
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            let errText = Buffer.concat(stderr).toString("utf8");
            if (spawnError) {
                errText += `${errText && !errText.endsWith("\n") ? "\n" : ""}could not run ${parserPath}: ${spawnError.message}\n`;
            }
            if (timedOut) {
                errText += `${errText && !errText.endsWith("\n") ? "\n" : ""}${parserPath} did not finish within ${timeoutMs} ms\n`;
            }
            const ok = code === 0 && !timedOut && !spawnError;
            resolve({
                available: true,
                ok,
                exitCode: code ?? undefined,
                diagnostics: parseParserStderr(errText, !ok),
                stderr: errText,
                parserPath,
                compiled: ok && options.compile ? Buffer.concat(stdout) : undefined,
            });
        });
        child.stdin.end(text, "utf8");
    });
}

/**
 * Compiles `text` to binary policy (`apparmor_parser -Q -K -S`) and returns the bytes; rejects with
 * the parser's diagnostics when it is absent or refuses the text. Used to compare meaning: two texts
 * that compile to the same bytes mean the same policy.
 */
export async function compileWithParser(
    text: string,
    options: ParserOptions = {},
): Promise<Buffer> {
    const result = await checkWithParser(text, { ...options, compile: true });
    if (!result.available) {
        throw new Error("apparmor_parser not found (install the apparmor package)");
    }
    if (!result.ok || !result.compiled) {
        const msgs = result.diagnostics
            .filter((d) => d.severity === "error")
            .map((d) => (d.line !== undefined ? `line ${d.line}: ${d.message}` : d.message));
        throw new Error(`apparmor_parser rejected the policy: ${msgs.join("; ") || result.stderr}`);
    }
    return result.compiled;
}
