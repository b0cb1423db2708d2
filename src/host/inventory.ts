/**
 * The `inventory` host script's command and its strictly checked result: everything a host says
 * about its AppArmor profiles in one read (files in the profile directory with their text, loaded
 * profiles and modes, raw_sha1 of the loaded policies, this library's manifests, processes per
 * label, running containers). The output is host text: every field is type-checked and bounded
 * here, names are kept as they are (callers escape them for a terminal), and each file's text must
 * match the sha256 the host computed.
 */
import {
    buildHostCommand,
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    parseHostResult,
    sha256Hex,
    stdoutBytes,
    validateHostDirectory,
    validateParserTimeout,
    type HostCommand,
    type HostCommandOptions,
    type HostExec,
    type ScriptOutput,
} from "./index";
import { CONTAINER_ID_RE } from "./labels";
import { utf8Problem, type Utf8Problem } from "../profile/utf8";

export interface InventoryArgs extends HostCommandOptions {
    /** The profile directory whose files are listed. Defaults to {@link DEFAULT_PROFILE_DIR}. */
    readonly dir?: string;
    /** Seconds each compile may take. Defaults to 120 (applied by the script). */
    readonly parserTimeoutSeconds?: number;
}

export function inventoryCommand(args: InventoryArgs = {}): HostCommand {
    const dir = args.dir ?? DEFAULT_PROFILE_DIR;
    const why = validateHostDirectory(dir);
    if (why) throw new Error(`invalid directory: ${why}`);
    const opts: string[] = [];
    if (args.parserTimeoutSeconds !== undefined) {
        const t = validateParserTimeout(args.parserTimeoutSeconds);
        if (t) throw new Error(`invalid parserTimeoutSeconds: ${t}`);
        opts.push(`timeout=${args.parserTimeoutSeconds}`);
    }
    return { script: "inventory", command: buildHostCommand("inventory", [dir, ...opts], args) };
}

export interface InventoryFile {
    /** The file's name in the directory (host text). */
    readonly name: string;
    /** Its size, or -1 when larger than 1 MiB (then `text` is undefined). */
    readonly bytes: number;
    readonly sha256: string;
    /** sha1 of the file compiled on the host; "" when not compiled (no loaded profile of its name). */
    readonly fileSha1: string;
    /** The parser's reduced message when the file did not compile; "" otherwise. */
    readonly compileError: string;
    /** The exact text (its sha256 checked); undefined when not read or not valid UTF-8. */
    readonly text?: string;
    /** The exact bytes (their sha256 checked); undefined when not read (larger than 1 MiB). */
    readonly raw?: Buffer;
    /**
     * Where the bytes stop being UTF-8, when they do (AppArmor accepts such a file; it has no exact
     * string, so `text` is undefined).
     */
    readonly notUtf8?: Utf8Problem;
}

export interface InventoryManifest {
    readonly name: string;
    readonly dir: string;
    readonly sha256: string;
    readonly mode: string;
    readonly policySha1: string;
    /** An adopted original is kept (remove restores it). */
    readonly adopted: boolean;
}

export interface InventoryContainer {
    readonly id: string;
    /** docker's name (without the leading `/`). */
    readonly name: string;
    /** docker's AppArmorProfile (what `--security-opt apparmor=` asked for). */
    readonly option: string;
    /** The kernel's label of its init process, e.g. `web (enforce)` or `unconfined`. */
    readonly label: string;
}

export interface InventoryResult {
    readonly ok: true;
    readonly apparmor: {
        readonly enabled: boolean;
        readonly securityfs: boolean;
        readonly parser: boolean;
    };
    readonly dir: string;
    /** The container list is complete (docker answered, or none runs). */
    readonly docker: boolean;
    /** Names not listed (holding a tab or a newline). */
    readonly skipped: number;
    readonly loaded: readonly { readonly name: string; readonly mode: string }[];
    readonly policies: readonly { readonly name: string; readonly sha1: string }[];
    readonly manifests: readonly InventoryManifest[];
    readonly files: readonly InventoryFile[];
    readonly labels: readonly { readonly label: string; readonly processes: number }[];
    readonly containers: readonly InventoryContainer[];
}

/** Bounds on what a host may report (a hostile or broken host cannot make the reader grow without end). */
export const INVENTORY_LIMITS = {
    entries: 20_000,
    nameLength: 4096,
    messageLength: 8192,
    fileBytes: 1024 * 1024,
} as const;

const SHA256_RE = /^[0-9a-f]{64}$/;
const SHA1_RE = /^([0-9a-f]{40})?$/;

class Bad extends Error {}

function obj(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v))
        throw new Bad(`${where}: not an object`);
    return v as Record<string, unknown>;
}

function str(
    o: Record<string, unknown>,
    k: string,
    where: string,
    max: number,
    re?: RegExp,
): string {
    const v = o[k];
    if (typeof v !== "string") throw new Bad(`${where}.${k}: not a string`);
    if (v.length > max) throw new Bad(`${where}.${k}: longer than ${max} characters`);
    if (re && !re.test(v)) throw new Bad(`${where}.${k}: unexpected form`);
    return v;
}

function bool(o: Record<string, unknown>, k: string, where: string): boolean {
    if (typeof o[k] !== "boolean") throw new Bad(`${where}.${k}: not a boolean`);
    return o[k] as boolean;
}

function int(o: Record<string, unknown>, k: string, where: string, min: number): number {
    const v = o[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
        throw new Bad(`${where}.${k}: not an integer ≥ ${min}`);
    return v;
}

function list<T>(
    o: Record<string, unknown>,
    k: string,
    each: (e: Record<string, unknown>, w: string) => T,
): T[] {
    const v = o[k];
    if (!Array.isArray(v)) throw new Bad(`${k}: not a list`);
    if (v.length > INVENTORY_LIMITS.entries)
        throw new Bad(`${k}: more than ${INVENTORY_LIMITS.entries} entries`);
    return v.map((e, i) => each(obj(e, `${k}[${i}]`), `${k}[${i}]`));
}

/**
 * Parses the `inventory` output: the JSON line, then the texts. Throws {@link HostScriptError}
 * (`bad-output`) on anything unexpected: a missing or mistyped field, a bound exceeded, a text cut
 * short or not matching its sha256, bytes left over.
 */
export function parseInventory(out: ScriptOutput): InventoryResult {
    const head = parseHostResult("inventory", out);
    const N = INVENTORY_LIMITS.nameLength;
    try {
        const ap = obj(head.apparmor, "apparmor");
        const files = list(head, "files", (e, w) => ({
            name: str(e, "name", w, N),
            bytes: int(e, "bytes", w, -1),
            sha256: str(e, "sha256", w, 64, SHA256_RE),
            fileSha1: str(e, "fileSha1", w, 40, SHA1_RE),
            compileError: str(e, "compileError", w, INVENTORY_LIMITS.messageLength),
        }));
        // The texts follow the JSON line, as bytes (a file need not be valid UTF-8).
        const raw = stdoutBytes(out);
        let at = raw.indexOf(10) + 1;
        if (at === 0) throw new Bad("no newline after the result");
        const withText: InventoryFile[] = files.map((f) => {
            if (f.bytes < 0) return f;
            if (f.bytes > INVENTORY_LIMITS.fileBytes) throw new Bad(`file ${f.name}: too large`);
            if (at + f.bytes > raw.length) throw new Bad(`the text of a file is cut short`);
            const bytes = raw.subarray(at, at + f.bytes);
            at += f.bytes;
            if (sha256Hex(bytes) !== f.sha256)
                throw new Bad("a file's text does not match its sha256 (changed while read?)");
            const problem = utf8Problem(bytes);
            const exact = Buffer.from(bytes);
            if (problem) return { ...f, raw: exact, notUtf8: problem };
            return { ...f, text: exact.toString("utf8"), raw: exact };
        });
        if (at !== raw.length) throw new Bad("unexpected output after the texts");
        return {
            ok: true,
            apparmor: {
                enabled: bool(ap, "enabled", "apparmor"),
                securityfs: bool(ap, "securityfs", "apparmor"),
                parser: bool(ap, "parser", "apparmor"),
            },
            dir: str(head, "dir", "result", 1024),
            docker: bool(head, "docker", "result"),
            skipped: int(head, "skipped", "result", 0),
            loaded: list(head, "loaded", (e, w) => ({
                name: str(e, "name", w, N),
                mode: str(e, "mode", w, 32),
            })),
            policies: list(head, "policies", (e, w) => ({
                name: str(e, "name", w, N),
                sha1: str(e, "sha1", w, 40, SHA1_RE),
            })),
            manifests: list(head, "manifests", (e, w) => ({
                name: str(e, "name", w, 200),
                dir: str(e, "dir", w, 1024),
                sha256: str(e, "sha256", w, 64),
                mode: str(e, "mode", w, 32),
                policySha1: str(e, "policySha1", w, 40),
                adopted: bool(e, "adopted", w),
            })),
            files: withText,
            labels: list(head, "labels", (e, w) => ({
                label: str(e, "label", w, N + 40),
                processes: int(e, "processes", w, 0),
            })),
            containers: list(head, "containers", (e, w) => ({
                id: str(e, "id", w, 64, CONTAINER_ID_RE),
                name: str(e, "name", w, 256),
                option: str(e, "option", w, N),
                label: str(e, "label", w, N + 40),
            })),
        };
    } catch (e) {
        if (!(e instanceof Bad)) throw e;
        throw new HostScriptError(
            "inventory",
            "bad-output",
            `unexpected inventory output: ${e.message}`,
            out.exitCode ?? null,
            out.stderr ?? "",
        );
    }
}

/** Runs `inventory` through `exec`. */
export async function readInventory(
    exec: HostExec,
    args: InventoryArgs = {},
): Promise<InventoryResult> {
    const cmd = inventoryCommand(args);
    return parseInventory(await exec(cmd.command, cmd.stdin));
}
