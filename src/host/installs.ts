/**
 * The `installs` host script: several installs on one host in one run under one sudo (the creates
 * and updates an engine operation sends to a host at once). Each item is the `install` script run
 * as is, so {@link parseInstalls} hands back each item's own output, which `parseInstall` reads as
 * when the item ran alone: its own result or its own error. Pure (command text,
 * planning and parsing only).
 */
import {
    badOutputError,
    buildHostCommand,
    installWords,
    parseHostResult,
    parseInstall,
    stdoutBytes,
    type HostCommand,
    type HostCommandOptions,
    type HostExec,
    type InstallArgs,
    type InstallResult,
    type ScriptOutput,
} from "./index";
import { MAX_READ_COMMAND } from "./read";

/** Most items of one `installs` run (installs.sh refuses more). */
export const MAX_INSTALL_ITEMS = 64;

/** Most stdin bytes (the items' texts) of one `installs` run. */
export const MAX_INSTALLS_STDIN = 16 * 1024 * 1024;

/** An item's arguments and text as installs.sh takes them (`prior` is never batched). */
function itemOf(a: InstallArgs): { words: string[]; stdin: string; bytes: number } {
    if (a.prior) throw new Error("invalid installs item: prior is sent alone (installPrior)");
    const { words, stdin } = installWords(a);
    const bytes = Buffer.byteLength(stdin, "utf8");
    return { words: [String(bytes), String(words.length), ...words], stdin, bytes };
}

/** The `installs` command for `items` (validated as `install` validates them), texts on stdin. */
export function installsCommand(
    items: readonly InstallArgs[],
    opts: HostCommandOptions = {},
): HostCommand {
    if (items.length === 0 || items.length > MAX_INSTALL_ITEMS)
        throw new Error(`invalid installs: 1 to ${MAX_INSTALL_ITEMS} items, got ${items.length}`);
    const parts = items.map(itemOf);
    const total = parts.reduce((n, p) => n + p.bytes, 0);
    if (total > MAX_INSTALLS_STDIN)
        throw new Error(`installs stdin of ${total} bytes exceeds ${MAX_INSTALLS_STDIN}`);
    const command = buildHostCommand(
        "installs",
        parts.flatMap((p) => p.words),
        opts,
    );
    if (command.length > MAX_READ_COMMAND)
        throw new Error(`installs command of ${command.length} bytes exceeds ${MAX_READ_COMMAND}`);
    return { script: "installs", command, stdin: parts.map((p) => p.stdin).join("") };
}

/**
 * `items` in as few `installs` runs as fit ({@link MAX_READ_COMMAND} bytes of command,
 * {@link MAX_INSTALL_ITEMS} items, {@link MAX_INSTALLS_STDIN} bytes of texts each), in order: each
 * entry lists the indexes of `items` it installs. An item that fits in no run throws.
 */
export function planInstalls(
    items: readonly InstallArgs[],
    opts: HostCommandOptions = {},
): number[][] {
    // room for `sudo -n ` whatever `opts` says (as planReads)
    const room =
        MAX_READ_COMMAND - buildHostCommand("installs", [], { ...opts, sudo: true }).length;
    const plans: number[][] = [];
    let cur: number[] = [];
    let used = 0;
    let bytes = 0;
    items.forEach((a, i) => {
        const p = itemOf(a);
        // each word quoted ('…') after a space; a quote inside a word grows it (shellQuote)
        const b = p.words.reduce((n, w) => n + w.length + 3 + 3 * (w.split("'").length - 1), 0);
        if (b > room || p.bytes > MAX_INSTALLS_STDIN)
            throw new Error(`installs item ${i} does not fit in one command`);
        if (
            cur.length > 0 &&
            (used + b > room ||
                bytes + p.bytes > MAX_INSTALLS_STDIN ||
                cur.length >= MAX_INSTALL_ITEMS)
        ) {
            plans.push(cur);
            cur = [];
            used = 0;
            bytes = 0;
        }
        cur.push(i);
        used += b;
        bytes += p.bytes;
    });
    if (cur.length > 0) plans.push(cur);
    return plans;
}

/**
 * How many items an `installs` command carries (for traces; 0 for another command). Its words are
 * validated names, directories, digests, numbers and options: none holds a quote.
 */
export function installsItemCount(command: string): number {
    const at = command.indexOf(" pulumi-apparmor-installs ");
    if (at < 0) return 0;
    const words = [...command.slice(at).matchAll(/'([^']*)'/g)].map((m) => m[1]);
    let n = 0;
    for (let i = 0; i + 1 < words.length; i += 2 + Number(words[i + 1])) n++;
    return n;
}

/** A frame line of the output: the item, its exit status, its stdout and stderr byte counts. */
const FRAME_RE = /^\{"item":(\d+),"exit":(\d+),"out":(\d+),"err":(\d+)\}$/;

/**
 * Each item's own output from an `installs` run of `count` items: exactly what the item printed on
 * stdout and stderr and its exit status. When the run did not get to its items (no header: sudo
 * refused, the script could not start, the input was cut, a usage error), every item gets the run's
 * output, so that `parseInstall` reports that error for each. Output that breaks the framing throws.
 */
export function parseInstalls(out: ScriptOutput, count: number): ScriptOutput[] {
    const buf = stdoutBytes(out);
    const nl = buf.indexOf(0x0a);
    const head = nl < 0 ? "" : buf.subarray(0, nl).toString("utf8");
    if (!head.startsWith('{"ok":true,"installs":')) return Array.from({ length: count }, () => out);
    const bad = (m: string) => badOutputError("installs", m, out);
    const h = parseHostResult("installs", { ...out, stdout: `${head}\n` });
    if (h.installs !== "v1" || h.items !== count)
        throw bad(
            `header announced ${String(h.items)} items of form ${String(h.installs)}, not ${count} of v1`,
        );
    const items: ScriptOutput[] = [];
    let at = nl + 1;
    for (let i = 0; i < count; i++) {
        const end = buf.indexOf(0x0a, at);
        const m = end < 0 ? null : FRAME_RE.exec(buf.subarray(at, end).toString("utf8"));
        if (!m || Number(m[1]) !== i) throw bad(`item ${i}: no frame line (output cut?)`);
        const [o, e] = [Number(m[3]), Number(m[4])];
        const from = end + 1;
        if (from + o + e > buf.length) throw bad(`item ${i}: output cut`);
        const stdout = buf.subarray(from, from + o);
        items.push({
            stdout: stdout.toString("utf8"),
            stdoutBytes: Buffer.from(stdout),
            stderr: buf.subarray(from + o, from + o + e).toString("utf8"),
            exitCode: Number(m[2]),
        });
        at = from + o + e;
    }
    if (at !== buf.length) throw bad("output after the last item");
    return items;
}

/** One item's outcome: its result, or its own error (as `hostScripts.install` would throw it). */
export type InstallsOutcome =
    | { readonly ok: true; readonly result: InstallResult }
    | { readonly ok: false; readonly error: Error };

/**
 * Runs `items` as ONE `installs` run (they must fit: see {@link planInstalls}) and gives each item's
 * outcome, in order. A failed exec (an SSH error) rejects; an item's own failure is its outcome.
 */
export async function runInstalls(
    exec: HostExec,
    items: readonly InstallArgs[],
    opts: HostCommandOptions = {},
): Promise<InstallsOutcome[]> {
    const cmd = installsCommand(items, opts);
    const out = await exec(cmd.command, cmd.stdin);
    return parseInstalls(out, items.length).map((o, i): InstallsOutcome => {
        try {
            return {
                ok: true,
                result: parseInstall(o, "install", { position: items[i].position === true }),
            };
        } catch (e) {
            return { ok: false, error: e as Error };
        }
    });
}
