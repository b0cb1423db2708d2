/**
 * Host scripts: the POSIX `sh` programs pulumi-apparmor runs on managed hosts, how to invoke them
 * safely, and typed parsers of what they print.
 *
 * ## Invocation contract
 * - The scripts are constant code shipped in this package (`src/host/lib.sh` + `src/host/<name>.sh`).
 *   {@link buildHostCommand} returns ONE command string for an SSH `exec` channel:
 *   `sudo -n sh -c '<lib.sh + name.sh>' pulumi-apparmor-<name> 'ARG1' 'ARG2' …`
 *   (without `sudo -n` when connected as root). Every argument is validated first (profile names against
 *   the subset of AppArmor's grammar this library accepts, directories absolute and normalised, modes,
 *   cursors, sizes) and then single-quoted, so nothing a user typed is ever parsed by a shell.
 * - Payloads (profile text) go on the channel's stdin, never in the command. `install` also receives the
 *   payload's sha256 as an argument and refuses a truncated stdin (a cut connection).
 * - The remote account's login shell must be POSIX-compatible (sh, bash, dash, zsh): OpenSSH hands the
 *   command string to it.
 * - Output: the first stdout line is one JSON object with `ok`; `denials` follows it with raw log lines.
 *   Exit status 0 = ok, 1 = error, 2 = usage, 3 = preflight found problems. Use {@link parseHostResult}
 *   (or the typed `parse*` functions), which throw {@link HostScriptError} on `ok: false`.
 * - Host layout: profile files in `dir` (default {@link DEFAULT_PROFILE_DIR}; below `/etc/apparmor.d`,
 *   see {@link validateHostDirectory}), one top-level profile per file named after the profile;
 *   manifests of what this library installed under `/var/lib/pulumi-apparmor/profiles/NAME` (they mark
 *   a profile as "managed": a file or loaded profile without one is never replaced unless `adopt`, never
 *   unloaded or deleted); adopted originals under `/var/lib/pulumi-apparmor/adopted/NAME` (restored by
 *   `remove`); a host-wide `flock` on `/var/lib/pulumi-apparmor/lock` serialises install/mode/remove.
 * - Every `apparmor_parser` step runs under a timeout ({@link PARSER_TIMEOUT_SECONDS}) without the lock's
 *   descriptor, and its messages are reduced so they cannot quote files the client could not read.
 * - Mode (enforce/complain) lives in the profile file's header flags, so the file on disk is the single
 *   truth: `install NAME MODE` rewrites the `flags=(…)` of the `profile NAME … {` header itself (callers
 *   may render any flags; `keep` uses the text as given), and `mode` rewrites the installed file's header
 *   and reloads. When the text is already in the requested mode the file is the text byte for byte
 *   (installCommand adds a final newline when missing); otherwise only the header line changes
 *   (`complain` added to / mode flags removed from the flags, separator style kept). The result's
 *   `sha256` is always that of the file as installed.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { gzipSync } from "zlib";
import { minifyShell } from "./minify";
import { isKernelAppArmorType, kernelAuditType } from "../log/kernel";
import type { HostAbiFacts, ParserConfPins, PinnedFeatures } from "../profile/abi";
import { decodeUtf8Exact, type Utf8Problem } from "../profile/utf8";

/** The scripts in `src/host/`. */
export type HostScriptName =
    | "preflight"
    | "install"
    | "mode"
    | "status"
    | "remove"
    | "denials"
    | "compile"
    | "inventory"
    | "compose"
    | "labels"
    | "read"
    | "installs";

export const HOST_SCRIPTS: readonly HostScriptName[] = [
    "preflight",
    "install",
    "mode",
    "status",
    "remove",
    "denials",
    "compile",
    "inventory",
    "compose",
    "labels",
    "read",
    "installs",
];

/** Where profile files go unless a directory is given. */
export const DEFAULT_PROFILE_DIR = "/etc/apparmor.d/containers";

/** Where the scripts keep manifests and the lock on a host. */
export const HOST_STATE_DIR = "/var/lib/pulumi-apparmor";

/**
 * Seconds each `apparmor_parser` step (compile, name check, load, status compile, restore) may take on
 * a host unless told otherwise (`parserTimeoutSeconds`): a step that takes longer, e.g. because the
 * profile includes a FIFO or device, is stopped and fails with code `parse-timeout` or `load-timeout`,
 * changing nothing. At most {@link MAX_PARSER_TIMEOUT_SECONDS}.
 */
export const PARSER_TIMEOUT_SECONDS = 120;
export const MAX_PARSER_TIMEOUT_SECONDS = 3600;

/** Seconds a mutating script waits for the host lock held by another change before failing. */
export const LOCK_WAIT_SECONDS = 300;

/** Largest `waitSeconds` of `remove`. */
export const MAX_REMOVE_WAIT_SECONDS = 600;

/** Largest `maxBytes` accepted by `denials`. */
export const MAX_DENIAL_BYTES = 16 * 1024 * 1024;

export type ProfileMode = "enforce" | "complain";

let scriptDirCache: string | undefined;

/**
 * The folder holding the `.sh` files: `src/host` itself under ts-node, or `../../../src/host` from the
 * compiled `dist/src/host/` (package.json ships `src/host/*.sh`).
 */
export function hostScriptDir(): string {
    if (scriptDirCache) return scriptDirCache;
    const candidates = [__dirname, path.resolve(__dirname, "../../../src/host")];
    for (const dir of candidates) {
        if (
            fs.existsSync(path.join(dir, "lib.sh")) &&
            fs.existsSync(path.join(dir, "install.sh"))
        ) {
            scriptDirCache = dir;
            return dir;
        }
    }
    throw new Error(`pulumi-apparmor: host scripts not found (looked in ${candidates.join(", ")})`);
}

const textCache = new Map<HostScriptName, string>();

/**
 * What each part of `read` or `installs` starts with: its own name in messages, and lib.sh's traps
 * again (a subshell resets them), so that its temp files go when it ends, as when it runs alone.
 */
function partPrologue(part: HostScriptName): string {
    return [
        `PA_SCRIPT=pulumi-apparmor-${part}`,
        "PA_TMPS=",
        "PA_WORKS=",
        "PA_WAITS=",
        "trap cleanup EXIT",
        "trap 'exit 129' HUP",
        "trap 'exit 130' INT",
        "trap 'exit 143' TERM",
    ].join("\n");
}

/** The scripts `read` and `installs` run as parts, with the function each becomes in their text. */
const SCRIPT_PARTS: Partial<
    Record<HostScriptName, ReadonlyArray<readonly [string, HostScriptName]>>
> = {
    read: [
        ["pa_status", "status"],
        ["pa_denials", "denials"],
        ["pa_labels", "labels"],
    ],
    installs: [["pa_install", "install"]],
};

/** The scripts that also get `lib-store.sh` (manifests, boot unit, adopted originals, apply_profile). */
export const STORE_SCRIPTS: readonly HostScriptName[] = [
    "install",
    "installs",
    "mode",
    "remove",
    "status",
    "inventory",
    "read",
];

/** The scripts that also get `lib-log.sh` (the log's source and end position). */
export const LOG_SCRIPTS: readonly HostScriptName[] = ["denials", "install", "read", "installs"];

/** The scripts that also get `lib-docker.sh` (the containers started with a profile, their labels). */
export const DOCKER_SCRIPTS: readonly HostScriptName[] = ["install", "inventory", "installs"];

/** The scripts that also get `lib-abi.sh` (`abi_facts`: what the host's AppArmor can enforce). */
export const ABI_SCRIPTS: readonly HostScriptName[] = [
    "compile",
    "preflight",
    "install",
    "read",
    "installs",
];

/** The library files sent before `name`.sh, in order. */
export function hostScriptLibs(name: HostScriptName): string[] {
    const libs = ["lib.sh"];
    if (ABI_SCRIPTS.includes(name)) libs.push("lib-abi.sh");
    if (STORE_SCRIPTS.includes(name)) libs.push("lib-store.sh");
    if (LOG_SCRIPTS.includes(name)) libs.push("lib-log.sh");
    if (DOCKER_SCRIPTS.includes(name)) libs.push("lib-docker.sh");
    return libs;
}

/**
 * The full program sent for `name`: its libraries then name.sh, without what the shell ignores, so
 * the command fits in one SSH packet every server accepts (see minify.ts).
 */
export function hostScriptText(name: HostScriptName): string {
    if (!HOST_SCRIPTS.includes(name)) throw new Error(`unknown host script "${String(name)}"`);
    let text = textCache.get(name);
    if (text === undefined) {
        const dir = hostScriptDir();
        const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
        const parts = hostScriptLibs(name).map(read);
        // read runs status, denials and labels as they are, each a subshell function (read.sh);
        // installs runs install so (installs.sh)
        for (const [fn, part] of SCRIPT_PARTS[name] ?? [])
            parts.push(`${fn}() (\n${partPrologue(part)}\n${read(`${part}.sh`)}\n)`);
        parts.push(read(`${name}.sh`));
        text = minifyShell(parts.join("\n"));
        textCache.set(name, text);
    }
    return text;
}

/**
 * Longest script text sent as is. A longer one (install: it also lists containers and reads the log,
 * for a rollout's single round trip) is sent packed by {@link hostScriptProgram}, so that with the
 * longest arguments the command stays in one SSH packet.
 */
export const MAX_PLAIN_SCRIPT = 28_000;

const programCache = new Map<HostScriptName, string>();

/**
 * Where a host keeps its copies of the packed scripts (see {@link hostScriptProgram}): a directory of
 * the library's own state directory, created root-only (0700), one file `SCRIPT-HASH.sh` per script
 * version (HASH: the first 16 hex digits of the copy's sha256).
 */
export const HOST_SCRIPT_STORE = "/var/lib/pulumi-apparmor/scripts";

/** How many copies of one script a host keeps (a few library versions side by side). */
export const HOST_SCRIPT_COPIES = 4;

/** The text a host stores as its copy of a packed script, and the copy's file name. */
export function hostScriptCopy(name: HostScriptName): {
    text: string;
    file: string;
    sha256: string;
} {
    // the shell's $(…) drops trailing newlines; the copy is written with exactly one
    const text = hostScriptText(name).replace(/\n+$/, "") + "\n";
    const sha256 = sha256Hex(Buffer.from(text, "utf8"));
    return { text, sha256, file: `${HOST_SCRIPT_STORE}/${name}-${sha256.slice(0, 16)}.sh` };
}

/**
 * The `sh -c` program for `name`: its text ({@link hostScriptText}), or, when that is longer than
 * {@link MAX_PLAIN_SCRIPT}, a fixed program holding the text gzip-compressed and base64-encoded:
 * `packed.sh` (a shellcheck-clean file beside the scripts) with its values filled in and minified.
 *
 * The packed program first looks for the host's own copy of this very text,
 * {@link HOST_SCRIPT_STORE}`/NAME-HASH.sh` (the name carries the text's hash, so a new library version
 * never runs an old copy), and sources it (`.`: `$0` and the arguments stay the script's) when it is
 * trusted: a regular file, not a symbolic link, with one link, owned by the shell's user (root), of
 * the text's exact size, in root-owned directories (the store and the state directory above it) that
 * are no symbolic links and not writable by group or others. The owner is checked by `test -O`, the
 * rest by one `find` (the only process the check starts; none when there is no copy). Otherwise it
 * unpacks the text (`base64 -d | gzip -dc`, then `eval` in the same shell) as before and, as root,
 * on a host where the library already keeps profiles (`profiles/` in the state directory: something
 * was installed before; a host the library never changed, e.g. one the preflight refuses, stays
 * unchanged), stores the copy: written to a temp file in the store (mode 0600, `set -C`), its sha256 checked
 * against the text's, then renamed over the name (a partial or wrong copy is never renamed), the
 * oldest copies of the script beyond {@link HOST_SCRIPT_COPIES} removed. Any failure to store only
 * leaves the copy out; the script runs the same. Both tools are on every Debian and Ubuntu host
 * (coreutils, gzip); a host without them gets an `unpack` error and nothing runs. The base64
 * alphabet needs no quoting, and the text is constant: nothing a user gives reaches it.
 */
export function hostScriptProgram(name: HostScriptName): string {
    let program = programCache.get(name);
    if (program === undefined) {
        const text = hostScriptText(name);
        if (text.length <= MAX_PLAIN_SCRIPT) program = text;
        else {
            const copy = hostScriptCopy(name);
            // Every value is a constant of the library, and none needs quoting: a script name, a file
            // name of it and hex digits, two numbers, the base64 alphabet.
            const values: Record<string, string> = {
                NAME: name,
                BASE: copy.file.slice(HOST_SCRIPT_STORE.length + 1),
                SHA256: copy.sha256,
                BYTES: String(Buffer.byteLength(copy.text, "utf8")),
                PACKED: gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64"),
                KEEP: String(HOST_SCRIPT_COPIES),
            };
            const template = fs.readFileSync(path.join(hostScriptDir(), "packed.sh"), "utf8");
            program = minifyShell(
                template.replace(/^(pa_[a-z]+)=@([A-Z0-9]+)@$/gm, (line, v: string, k: string) => {
                    const value = values[k];
                    if (value === undefined || !/^[A-Za-z0-9+/=._-]+$/.test(value))
                        throw new Error(`packed.sh: no safe value for @${k}@`);
                    return `${v}=${value}`;
                }),
            );
            if (/@[A-Z0-9]+@/.test(program))
                throw new Error("packed.sh: a value was not filled in");
            if (
                !program.includes(`pa_c=${"$"}pa_state/scripts\n`) ||
                !program.includes(`pa_state=${path.posix.dirname(HOST_SCRIPT_STORE)}\n`)
            )
                throw new Error("packed.sh: its store is not HOST_SCRIPT_STORE");
        }
        programCache.set(name, program);
    }
    return program;
}

/** POSIX single-quoting: the result is one shell word whose value is exactly `s`. */
export function shellQuote(s: string): string {
    if (s.includes("\0")) throw new Error("a shell argument cannot contain a NUL byte");
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface HostCommandOptions {
    /** Prefix with `sudo -n` (the SSH user is not root). Defaults to false. */
    readonly sudo?: boolean;
}

/**
 * The command string running host script `name` with `args` (already validated by the typed builders
 * below; this function quotes whatever it gets). Example:
 * `sudo -n sh -c '…script…' pulumi-apparmor-install 'web' 'enforce' '/etc/apparmor.d/containers' '3f…'`.
 */
export function buildHostCommand(
    name: HostScriptName,
    args: readonly string[],
    opts: HostCommandOptions = {},
): string {
    const words = ["sh", "-c", shellQuote(hostScriptProgram(name)), `pulumi-apparmor-${name}`];
    for (const a of args) words.push(shellQuote(a));
    return (opts.sudo ? "sudo -n " : "") + words.join(" ");
}

// ---------------------------------------------------------------------------------------------------
// Validators: pure, return an error message naming the fix, or undefined when valid.

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Profile names this library manages: `[A-Za-z0-9][A-Za-z0-9._+-]*`, at most 200 characters, not
 * `unconfined`. A subset of AppArmor's grammar that needs no quoting in a profile header, is a safe
 * file name in the profile directory and a valid `--security-opt apparmor=NAME`.
 */
export function validateProfileName(name: string): string | undefined {
    if (typeof name !== "string" || name.length === 0) return "profile name is empty";
    if (name.length > 200)
        return `profile name is ${name.length} characters long; at most 200 allowed`;
    if (!NAME_RE.test(name)) {
        return `profile name "${printableValue(name)}" is not allowed: use letters, digits and . _ + - only, starting with a letter or digit (e.g. "docker-web")`;
    }
    if (name === "unconfined")
        return `"unconfined" means no profile to Docker; choose another name`;
    return undefined;
}

/** Where profile directories must be: strictly below it. */
export const PROFILE_DIR_ROOT = "/etc/apparmor.d";

/**
 * First components below {@link PROFILE_DIR_ROOT} a profile directory must not start with: AppArmor's
 * own trees, whose files are included into (or disable, or force into complain) other profiles.
 * Names ending in `.d` are refused too (include directories).
 */
export const RESERVED_PROFILE_SUBDIRS: readonly string[] = [
    "abi",
    "abstractions",
    "cache",
    "disable",
    "force-complain",
    "local",
    "tunables",
];

/**
 * Profile directories on hosts: below `/etc/apparmor.d` (e.g. the default
 * `/etc/apparmor.d/containers`), normalised (no `.`, `..`, empty or hidden components, no trailing
 * `/`), of the characters `A-Za-z0-9._/+-`, and not one of AppArmor's own trees
 * ({@link RESERVED_PROFILE_SUBDIRS}, `*.d`). The host scripts apply the same rule, and also require
 * every existing component of the directory to be a root-owned directory not writable by group or
 * others.
 */
export function validateHostDirectory(dir: string): string | undefined {
    if (typeof dir !== "string" || dir.length === 0) return "directory is empty";
    const shown = printableValue(dir);
    if (!dir.startsWith("/"))
        return `directory "${shown}" is not an absolute path (use e.g. ${DEFAULT_PROFILE_DIR})`;
    if (dir.length > 1024) return "directory is longer than 1024 characters";
    if (!/^[A-Za-z0-9._/+-]+$/.test(dir)) {
        return `directory "${shown}" may only contain letters, digits and . _ / + -`;
    }
    if (dir.endsWith("/")) return `directory "${shown}" must not end with "/"`;
    const parts = dir.split("/");
    if (parts.slice(1).some((p) => p === "" || p.startsWith("."))) {
        return `directory "${shown}" must be normalised (no "//", ".", ".." or hidden components)`;
    }
    if (!dir.startsWith(`${PROFILE_DIR_ROOT}/`)) {
        return `directory "${shown}" must be below ${PROFILE_DIR_ROOT} (e.g. ${DEFAULT_PROFILE_DIR}): profile files elsewhere could replace other files`;
    }
    const first = parts[3];
    if (RESERVED_PROFILE_SUBDIRS.includes(first) || first.endsWith(".d")) {
        return `directory "${shown}" is inside ${PROFILE_DIR_ROOT}/${first}, which AppArmor includes into other profiles; use e.g. ${DEFAULT_PROFILE_DIR}`;
    }
    return undefined;
}

/** `parserTimeoutSeconds`: a whole number of seconds from 1 to {@link MAX_PARSER_TIMEOUT_SECONDS}. */
export function validateParserTimeout(n: number): string | undefined {
    return Number.isInteger(n) && n >= 1 && n <= MAX_PARSER_TIMEOUT_SECONDS
        ? undefined
        : `parserTimeoutSeconds must be a whole number from 1 to ${MAX_PARSER_TIMEOUT_SECONDS}`;
}

/** `waitSeconds` of remove: a whole number of seconds from 0 to {@link MAX_REMOVE_WAIT_SECONDS}. */
export function validateRemoveWait(n: number): string | undefined {
    return Number.isInteger(n) && n >= 0 && n <= MAX_REMOVE_WAIT_SECONDS
        ? undefined
        : `waitSeconds must be a whole number from 0 to ${MAX_REMOVE_WAIT_SECONDS}`;
}

export function validateMode(mode: string): string | undefined {
    return mode === "enforce" || mode === "complain"
        ? undefined
        : `mode "${printableValue(String(mode))}" must be "enforce" or "complain"`;
}

/** A `denials` cursor: "start", "now", or one returned by an earlier call. */
export function validateCursor(cursor: string): string | undefined {
    if (cursor === "start" || cursor === "now") return undefined;
    if (
        typeof cursor !== "string" ||
        !/^(journal|kernlog|auditlog):[A-Za-z0-9=;:_.-]*$/.test(cursor)
    ) {
        return `cursor "${printableValue(String(cursor))}" is not "start", "now" or a cursor returned by denials`;
    }
    if (cursor.length > 1024) return "cursor is longer than 1024 characters";
    return undefined;
}

export function validateMaxBytes(n: number): string | undefined {
    return Number.isInteger(n) && n >= 1 && n <= MAX_DENIAL_BYTES
        ? undefined
        : `maxBytes must be an integer from 1 to ${MAX_DENIAL_BYTES}`;
}

/**
 * A user value as shown in an error: JSON-escaped (control characters as `\n`, `\u001b`, …), with C1
 * controls and the invisible/bidirectional formatting characters as `\uXXXX` (so a message cannot
 * be reordered or hidden on a terminal), cut to 60 characters.
 */
export function printableValue(s: string): string {
    const cut = s.length > 60 ? `${s.slice(0, 60)}…` : s;
    return JSON.stringify(cut)
        .slice(1, -1)
        .replace(
            /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
        );
}

function check(field: string, err: string | undefined): void {
    if (err !== undefined) throw new Error(`invalid ${field}: ${err}`);
}

export function sha256Hex(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

// ---------------------------------------------------------------------------------------------------
// Typed command builders: validate, then quote. Each returns the command and the stdin to send.

export interface HostCommand {
    readonly script: HostScriptName;
    readonly command: string;
    /** Bytes to write on stdin (then close it). */
    readonly stdin?: string;
}

export interface PreflightArgs {
    /** Check that dockerd honours AppArmor. Defaults to true. */
    readonly checkDocker?: boolean;
}

/** preflight runs as the SSH user itself (it checks for root or passwordless sudo). */
export function preflightCommand(args: PreflightArgs = {}): HostCommand {
    const a = [args.checkDocker === false ? "skip-docker" : "check-docker"];
    return { script: "preflight", command: buildHostCommand("preflight", a) };
}

/** Options shared by the scripts that run `apparmor_parser`. */
export interface ParserOptions {
    /**
     * Seconds each `apparmor_parser` step may take before it is stopped (the run then fails, changing
     * nothing). Defaults to {@link PARSER_TIMEOUT_SECONDS} (applied by the script).
     */
    readonly parserTimeoutSeconds?: number;
}

function parserOptionArgs(o: ParserOptions): string[] {
    if (o.parserTimeoutSeconds === undefined) return [];
    check("parserTimeoutSeconds", validateParserTimeout(o.parserTimeoutSeconds));
    return [`timeout=${o.parserTimeoutSeconds}`];
}

export interface InstallArgs extends HostCommandOptions, ParserOptions {
    readonly name: string;
    /** The profile text; its header must be `profile NAME [flags=(…)] {`. */
    readonly text: string;
    /** Sets the header's mode flag; "keep" leaves the text's flags. Defaults to "keep". */
    readonly mode?: ProfileMode | "keep";
    /** Defaults to {@link DEFAULT_PROFILE_DIR}. */
    readonly dir?: string;
    /**
     * Replace a file `dir/name` or a loaded profile `name` that this library did not install (without
     * it the install fails with code `unmanaged`); what was there is kept on the host and `remove`
     * restores it. Defaults to false.
     */
    readonly adopt?: boolean;
    /**
     * Also report what the host had before the change, read under the host lock (see
     * {@link InstallPriorResult}): a rollout's first look and its install in one round trip. Defaults to
     * false.
     */
    readonly prior?: boolean;
    /**
     * With `prior`: change nothing when the profile file has this sha256 and the kernel runs the
     * profile in this mode (a host already on the version). Defaults to none.
     */
    readonly unless?: { readonly sha256: string; readonly kernelMode: ProfileMode };
    /**
     * With `prior`, after a change: list the running containers started with the profile and their
     * kernel labels ({@link InstallPriorResult.labels}), after the host lock is released. Defaults to
     * false.
     */
    readonly labels?: boolean;
    /**
     * With `prior`, after a change that had a log position: read the log lines written since it, at
     * most this many bytes ({@link InstallPriorResult.log}; a rollout's soak of 0 seconds in the same
     * round trip). Defaults to none (no read).
     */
    readonly logMaxBytes?: number;
    /**
     * Also report the host's AppArmor ABI ({@link InstallResult.hostAbi}: parser version, kernel, ABI
     * files, kernel features), read with shell builtins and one `apparmor_parser --version`. Defaults
     * to false.
     */
    readonly facts?: boolean;
    /**
     * Also report the log's end taken before the load, whether or not the profile was loaded
     * ({@link InstallResult.position}: what `denials now` would have said then): a new resource's log
     * position without a read of its own. Not with `prior`, which reports its own. Defaults to false.
     */
    readonly position?: boolean;
}

export function installCommand(args: InstallArgs): HostCommand {
    const { words, stdin } = installWords(args);
    return { script: "install", command: buildHostCommand("install", words, args), stdin };
}

/** The install script's arguments for `args` (validated) and the text it reads on stdin. */
export function installWords(args: InstallArgs): { words: string[]; stdin: string } {
    const dir = args.dir ?? DEFAULT_PROFILE_DIR;
    const mode = args.mode ?? "keep";
    check("profile name", validateProfileName(args.name));
    check("directory", validateHostDirectory(dir));
    if (mode !== "keep") check("mode", validateMode(mode));
    if (typeof args.text !== "string" || args.text.length === 0)
        throw new Error("profile text is empty");
    // The file on the host is the text byte for byte (plus the mode flag when it changes the mode);
    // line-oriented rewriting ends every line with a newline, so the text must too.
    const text = args.text.endsWith("\n") ? args.text : `${args.text}\n`;
    const sha = sha256Hex(Buffer.from(text, "utf8"));
    const opts = [...(args.adopt ? ["adopt"] : []), ...parserOptionArgs(args)];
    if (args.facts) opts.push("facts");
    if (args.prior) opts.push("prior");
    if (args.position) {
        if (args.prior) throw new Error("position and prior do not go together");
        opts.push("position");
    }
    if (args.unless) {
        if (!args.prior) throw new Error("unless needs prior");
        if (!/^[0-9a-f]{64}$/.test(args.unless.sha256))
            throw new Error("unless.sha256 must be 64 lowercase hex digits");
        check("unless.kernelMode", validateMode(args.unless.kernelMode));
        opts.push(`unless=${args.unless.sha256}:${args.unless.kernelMode}`);
    }
    if (args.logMaxBytes !== undefined) {
        if (!args.prior) throw new Error("logMaxBytes needs prior");
        check("logMaxBytes", validateMaxBytes(args.logMaxBytes));
        opts.push(`log=${args.logMaxBytes}`);
    }
    if (args.labels) {
        if (!args.prior) throw new Error("labels needs prior");
        opts.push("labels");
    }
    return { words: [args.name, mode, dir, sha, ...opts], stdin: text };
}

export interface CompileArgs {
    /** The policy text to compile (as the install would receive it). */
    readonly text: string;
    /** Kill the parser after this many seconds (1–600). Defaults to {@link COMPILE_TIMEOUT_SECONDS}. */
    readonly timeoutSeconds?: number;
}

/** How long `compile` lets apparmor_parser run on a host. */
export const COMPILE_TIMEOUT_SECONDS = 120;

/**
 * `compile`: apparmor_parser -Q -K on the host's own include files, text on stdin, nothing loaded or
 * written, no lock. Never through sudo: compiling needs no privilege (as root the script drops to
 * nobody), so an include cannot read a root-only file.
 */
export function compileCommand(args: CompileArgs): HostCommand {
    const seconds = args.timeoutSeconds ?? COMPILE_TIMEOUT_SECONDS;
    if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 600))
        throw new Error(`invalid timeout: ${seconds} (1–600 seconds)`);
    if (typeof args.text !== "string" || args.text.length === 0)
        throw new Error("profile text is empty");
    const sha = sha256Hex(Buffer.from(args.text, "utf8"));
    return {
        script: "compile",
        command: buildHostCommand("compile", [String(seconds), sha]),
        stdin: args.text,
    };
}

export interface ModeArgs extends HostCommandOptions, ParserOptions {
    readonly name: string;
    readonly mode: ProfileMode;
    /** Defaults to {@link DEFAULT_PROFILE_DIR}. */
    readonly dir?: string;
}

export function modeCommand(args: ModeArgs): HostCommand {
    const dir = args.dir ?? DEFAULT_PROFILE_DIR;
    check("profile name", validateProfileName(args.name));
    check("mode", validateMode(args.mode));
    check("directory", validateHostDirectory(dir));
    return {
        script: "mode",
        command: buildHostCommand(
            "mode",
            [args.name, args.mode, dir, ...parserOptionArgs(args)],
            args,
        ),
    };
}

export interface StatusArgs extends HostCommandOptions, ParserOptions {
    /** Profiles to report; all managed profiles when empty. Defaults to []. */
    readonly names?: readonly string[];
    /** Where to look for names without a manifest. Defaults to {@link DEFAULT_PROFILE_DIR}. */
    readonly dir?: string;
}

export function statusCommand(args: StatusArgs = {}): HostCommand {
    const dir = args.dir ?? DEFAULT_PROFILE_DIR;
    check("directory", validateHostDirectory(dir));
    for (const n of args.names ?? []) check("profile name", validateProfileName(n));
    return {
        script: "status",
        command: buildHostCommand(
            "status",
            [dir, ...(args.names ?? []), ...parserOptionArgs(args)],
            args,
        ),
    };
}

/** What `remove` does when processes still run confined by the profile. */
export type OnInUse = "refuse" | "remove";

export interface RemoveArgs extends HostCommandOptions, ParserOptions {
    readonly name: string;
    /** Defaults to {@link DEFAULT_PROFILE_DIR}. */
    readonly dir?: string;
    /**
     * When processes still run confined by the profile (unloading it leaves them running
     * unconfined): "refuse" fails with code `in-use` (its `processes` count in
     * {@link HostScriptError.result}) and changes nothing; "remove" unloads anyway. Defaults to
     * "refuse" (applied by the script).
     */
    readonly onInUse?: OnInUse;
    /**
     * Seconds to wait first for that count to reach 0 (e.g. a container being stopped), at most
     * {@link MAX_REMOVE_WAIT_SECONDS}. Defaults to 0.
     */
    readonly waitSeconds?: number;
}

export function removeCommand(args: RemoveArgs): HostCommand {
    const dir = args.dir ?? DEFAULT_PROFILE_DIR;
    check("profile name", validateProfileName(args.name));
    check("directory", validateHostDirectory(dir));
    const opts: string[] = [];
    if (args.onInUse !== undefined) {
        if (args.onInUse !== "refuse" && args.onInUse !== "remove")
            throw new Error(
                `invalid onInUse: "${printableValue(String(args.onInUse))}" must be "refuse" or "remove"`,
            );
        opts.push(`in-use=${args.onInUse}`);
    }
    if (args.waitSeconds !== undefined) {
        check("waitSeconds", validateRemoveWait(args.waitSeconds));
        opts.push(`wait=${args.waitSeconds}`);
    }
    opts.push(...parserOptionArgs(args));
    return {
        script: "remove",
        command: buildHostCommand("remove", [args.name, dir, ...opts], args),
    };
}

export type DenialSource = "journal-audit" | "auditlog" | "journal-kernel" | "kernlog";

/** The log sources `denials` reads (`auto` picks one of them). */
export const DENIAL_SOURCES: readonly DenialSource[] = [
    "journal-audit",
    "auditlog",
    "journal-kernel",
    "kernlog",
];

/** True when `s` names a log source (as a host script reported it). */
export function isDenialSource(s: unknown): s is DenialSource {
    return typeof s === "string" && (DENIAL_SOURCES as readonly string[]).includes(s);
}

export interface DenialsArgs extends HostCommandOptions {
    /** "start", "now" or the cursor of an earlier result. Defaults to "start". */
    readonly cursor?: string;
    /** Bound on the returned lines' bytes. Defaults to 1 MiB. */
    readonly maxBytes?: number;
    /** Log to read. Defaults to "auto" (audit transport, auditd log, journal -k, kern.log). */
    readonly source?: DenialSource | "auto";
}

export function denialsCommand(args: DenialsArgs = {}): HostCommand {
    const cursor = args.cursor ?? "start";
    const maxBytes = args.maxBytes ?? 1024 * 1024;
    const source = args.source ?? "auto";
    check("cursor", validateCursor(cursor));
    check("maxBytes", validateMaxBytes(maxBytes));
    if (source !== "auto" && !isDenialSource(source))
        throw new Error(`invalid source "${printableValue(String(source))}"`);
    return {
        script: "denials",
        command: buildHostCommand("denials", [cursor, String(maxBytes), source], args),
    };
}

// ---------------------------------------------------------------------------------------------------
// Results.

/** A script reported `ok: false` (or printed nothing parseable). */
export class HostScriptError extends Error {
    constructor(
        readonly script: HostScriptName,
        /** Machine code from the script (e.g. "parse-failed", "not-root", "incomplete-input"). */
        readonly code: string,
        message: string,
        readonly exitCode: number | null,
        readonly stderr: string,
        /** The script's whole JSON result line when it printed one (e.g. `processes` of `in-use`). */
        readonly result?: Readonly<Record<string, unknown>>,
    ) {
        super(`pulumi-apparmor ${script}: ${message}`);
        this.name = "HostScriptError";
    }
}

export interface ScriptOutput {
    /** stdout decoded as UTF-8 (JSON lines, messages). */
    readonly stdout: string;
    /**
     * stdout exactly as the host sent it, when the transport has it: parsers of file texts take
     * their bytes from here (a profile file need not be valid UTF-8, and decoding it would change
     * its sha256). Absent: `stdout` encoded again as UTF-8.
     */
    readonly stdoutBytes?: Buffer;
    readonly stderr?: string;
    readonly exitCode?: number | null;
}

/** A script's output that is not what it announces (cut, or a field of the wrong form). */
export function badOutputError(
    script: HostScriptName,
    message: string,
    out: ScriptOutput,
): HostScriptError {
    return new HostScriptError(
        script,
        "bad-output",
        message,
        out.exitCode ?? null,
        out.stderr ?? "",
    );
}

/** The first stdout line as JSON; throws HostScriptError when absent or `ok: false`. */
export function parseHostResult(
    script: HostScriptName,
    out: ScriptOutput,
): Record<string, unknown> {
    const first = out.stdout.split("\n", 1)[0] ?? "";
    let obj: unknown;
    try {
        obj = JSON.parse(first);
    } catch {
        const detail = (out.stderr ?? "").trim() || first || "(no output)";
        throw new HostScriptError(
            script,
            "no-result",
            `no result line: ${detail}`,
            out.exitCode ?? null,
            out.stderr ?? "",
        );
    }
    if (
        typeof obj !== "object" ||
        obj === null ||
        typeof (obj as { ok?: unknown }).ok !== "boolean"
    ) {
        throw new HostScriptError(
            script,
            "no-result",
            `unexpected result: ${first}`,
            out.exitCode ?? null,
            out.stderr ?? "",
        );
    }
    const r = obj as Record<string, unknown>;
    if (r.ok === false && script !== "preflight") {
        throw new HostScriptError(
            script,
            String(r.error ?? "unknown"),
            String(r.message ?? "failed"),
            out.exitCode ?? null,
            out.stderr ?? "",
            r,
        );
    }
    return r;
}

export interface PreflightProblem {
    readonly code: string;
    readonly message: string;
    readonly fix: string;
}

export interface PreflightResult {
    readonly ok: boolean;
    readonly user: "root" | "sudo" | "none";
    readonly apparmorEnabled: boolean;
    readonly securityfs: boolean;
    readonly parser: string | null;
    readonly parserVersion: string | null;
    readonly docker: "apparmor" | "no-apparmor" | "not-installed" | "unreachable" | "skipped";
    readonly kernel: string;
    readonly problems: readonly PreflightProblem[];
    /** The host's AppArmor ABI: parser version, kernel, ABI files, kernel features. */
    readonly hostAbi?: HostAbiFacts;
}

export function parsePreflight(out: ScriptOutput): PreflightResult {
    const r = parseHostResult("preflight", out);
    if (r.error !== undefined) {
        throw new HostScriptError(
            "preflight",
            String(r.error),
            String(r.message),
            out.exitCode ?? null,
            out.stderr ?? "",
        );
    }
    return withHostAbi(r) as unknown as PreflightResult;
}

/** A script's result with its `hostAbi` member checked ({@link parseHostAbi}), dropped when malformed. */
function withHostAbi(r: Record<string, unknown>): Record<string, unknown> {
    if (r.hostAbi === undefined) return r;
    const { hostAbi, ...rest } = r;
    const parsed = parseHostAbi(hostAbi);
    return parsed ? { ...rest, hostAbi: parsed } : rest;
}

/** Largest number of kernel feature paths a script reports (`abi_facts` in lib.sh). */
export const MAX_HOST_FEATURES = 400;

const FACT_RE = /^[A-Za-z0-9_.~+\/-]{1,200}$/;

/**
 * The `hostAbi` member of a script's result (see `abi_facts` in lib.sh), checked: strings of plain
 * characters only (they end up in messages and stack outputs), at most {@link MAX_HOST_FEATURES}
 * features. Undefined when absent or malformed.
 */
export function parseHostAbi(v: unknown): HostAbiFacts | undefined {
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const list = (x: unknown, max: number): string[] | undefined =>
        Array.isArray(x) &&
        x.length <= max &&
        x.every((e) => typeof e === "string" && FACT_RE.test(e) && !e.includes(".."))
            ? (x as string[])
            : undefined;
    const pv = o.parserVersion;
    if (pv !== null && !(typeof pv === "string" && FACT_RE.test(pv) && !pv.includes("/")))
        return undefined;
    if (typeof o.kernel !== "string" || !(o.kernel === "" || FACT_RE.test(o.kernel)))
        return undefined;
    const abi = list(o.abi, 100);
    const features = list(o.features, MAX_HOST_FEATURES);
    if (!abi || !features) return undefined;
    const parserConf = parsePins(o.parserConf, (x) => list(x, MAX_HOST_FEATURES));
    if (parserConf === null) return undefined;
    return {
        parserVersion: pv,
        kernel: o.kernel,
        abi,
        features,
        ...(parserConf ? { parserConf } : {}),
    };
}

/** `hostAbi.parserConf` checked: undefined when absent, null when malformed. */
function parsePins(
    v: unknown,
    list: (x: unknown) => string[] | undefined,
): ParserConfPins | undefined | null {
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null) return null;
    const out: Record<string, PinnedFeatures> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k !== "policy" && k !== "kernel" && k !== "override") return null;
        const m = x as { path?: unknown; features?: unknown } | null;
        const features = list(m?.features);
        const p = m?.path;
        if (
            !features ||
            typeof p !== "string" ||
            !p.startsWith("/") ||
            !FACT_RE.test(p) ||
            p.includes("..")
        )
            return null;
        out[k] = { path: p, features };
    }
    return out;
}

/** One human error for a failed preflight, naming each missing piece and its fix. */
export function preflightErrorMessage(r: PreflightResult, host: string): string {
    const lines = r.problems.map((p) => `  - ${p.message}. Fix: ${p.fix}.`);
    return `host ${host} cannot run pulumi-apparmor:\n${lines.join("\n")}`;
}

/** Result of install and mode. */
export interface InstallResult {
    readonly ok: true;
    readonly name: string;
    readonly dir: string;
    /** The profile file was written or the policy reloaded (a host write). */
    readonly changed: boolean;
    readonly wrote: boolean;
    readonly reloaded: boolean;
    readonly manifestUpdated: boolean;
    /**
     * This run took over a file or loaded profile of the same name that this library had not
     * installed (install's `adopt`); `remove` restores it. Always false for `mode`.
     */
    readonly adopted: boolean;
    /**
     * `adopt` found the host's own file byte for byte the text and the kernel running the profile
     * in that mode: nothing was compiled, written, loaded or recorded (the profile stays the host's
     * until a change is installed; `remove` leaves it alone). Absent otherwise.
     */
    readonly inPlace?: boolean;
    readonly mode: string;
    readonly sha256: string;
    readonly policySha1: string;
    readonly kernelMode: string;
    /**
     * The host's boot unit (`pulumi-apparmor.service`, which reloads every profile we installed after a
     * reboot) is in place and enabled; false on hosts that do not run systemd, where profiles last only
     * until the next reboot.
     */
    readonly bootLoad: boolean;
    /** With `facts`: the host's AppArmor ABI (parser version, kernel, ABI files, kernel features). */
    readonly hostAbi?: HostAbiFacts;
    /**
     * With `position`: the log's end before the load, as `denials` takes a cursor (`journal:…`,
     * `start`, `auditlog:INODE:SIZE`, …), and its source; both "" when the host has no log.
     */
    readonly position?: { readonly cursor: string; readonly source: string };
}

export function parseInstall(
    out: ScriptOutput,
    script: "install" | "mode" = "install",
    asked: { position?: boolean } = {},
): InstallResult {
    const r = withHostAbi(parseHostResult(script, out)) as unknown as InstallResult;
    if (!asked.position) return r;
    const bad = (m: string) => badOutputError(script, m, out);
    const { line: p } = jsonLineAfterResult(script, out, "position");
    return { ...r, position: checkedPosition(p, "position", bad) };
}

/**
 * The `position` and `source` of install's position or prior line, checked: a cursor (or "") and a
 * log source (or ""), as `denials` takes them back.
 */
function checkedPosition(
    p: Record<string, unknown>,
    what: "position" | "prior",
    bad: (m: string) => Error,
): { cursor: string; source: string } {
    const cursor = p.position;
    const source = p.source;
    if (typeof cursor !== "string" || typeof source !== "string")
        throw bad(`the ${what} line has no position and source`);
    if (cursor !== "" && validateCursor(cursor) !== undefined)
        throw bad(`the ${what} line's position is not a cursor`);
    if (source !== "" && !isDenialSource(source))
        throw bad(`the ${what} line's source is not a log source`);
    return { cursor, source };
}

/**
 * The JSON object on the line after a script's result line (`what` names that line in errors), and
 * the bytes after it (the previous text follows install's prior line, and need not be UTF-8).
 */
function jsonLineAfterResult(
    script: HostScriptName,
    out: ScriptOutput,
    what: string,
): { line: Record<string, unknown>; rest: Buffer } {
    const raw = stdoutBytes(out);
    const nl1 = raw.indexOf(10);
    const nl2 = nl1 < 0 ? -1 : raw.indexOf(10, nl1 + 1);
    if (nl2 < 0) throw badOutputError(script, `no ${what} line after the result`, out);
    try {
        const line = JSON.parse(raw.toString("utf8", nl1 + 1, nl2)) as Record<string, unknown>;
        return { line, rest: raw.subarray(nl2 + 1) };
    } catch {
        throw badOutputError(script, `the ${what} line is not JSON`, out);
    }
}

/** What `install … prior` read on the host under the lock, before changing anything. */
export interface InstallPrior {
    /** The profile file was a regular file. */
    readonly present: boolean;
    /** Its sha256 ("" when absent). */
    readonly sha256: string;
    /** The kernel's mode of the profile, "" when not loaded. */
    readonly kernelMode: string;
    /** The file's exact text ("" when absent, or when not valid UTF-8: see `notUtf8`). */
    readonly text: string;
    /**
     * Where the file stops being valid UTF-8, when it does (AppArmor accepts such a file): `sha256`
     * is still its exact hash, but it has no exact string, so `text` is "".
     */
    readonly notUtf8?: Utf8Problem;
    /**
     * The log's end before the change, as `denials` takes a cursor (`journal:…`,
     * `auditlog:INODE:SIZE`, …): "" when the profile was not loaded (nothing ran under it) or the
     * host has no log.
     */
    readonly position: string;
    /** The log source of `position` (`journal-audit`, `auditlog`, …; "" without a position). */
    readonly source: string;
}

/** The running containers started with a profile, each with its init process's kernel label. */
export interface ContainerLabels {
    /** The list is complete: no container runs on the host, or the docker CLI answered. */
    readonly docker: boolean;
    /** `label`: e.g. `NAME (enforce)`, or `unconfined`. */
    readonly containers: readonly { readonly id: string; readonly label: string }[];
}

/** Result of `install … prior`. */
export interface InstallPriorResult {
    /** The install's result; undefined when `unless` matched and nothing was changed. */
    readonly install?: InstallResult;
    readonly prior: InstallPrior;
    /** With `labels`, after a change: the containers started with the profile. */
    readonly labels?: ContainerLabels;
    /**
     * With `logMaxBytes`, after a change with a log position: the lines since it (as `denials`
     * returns them).
     */
    readonly log?: DenialsResult;
    /**
     * Why the labels or log asked for are missing (a failed read or a cut output); the install
     * itself still happened as `install` says.
     */
    readonly checkError?: string;
}

/**
 * Parses the output of `install … prior`: the install's line, the prior line, the previous text,
 * then the labels line and the log read when asked for. The install's own result throws on failure;
 * a failed or cut read after it is `checkError`.
 */
export function parseInstallPrior(
    out: ScriptOutput,
    asked: { labels?: boolean; log?: boolean } = {},
): InstallPriorResult {
    const head = parseHostResult("install", out);
    const bad = (m: string) => badOutputError("install", m, out);
    // Bytes from here: the previous text is the file as the host hashed it, and need not be UTF-8.
    const { line: p, rest: after } = jsonLineAfterResult("install", out, "prior");
    const pr = (p.prior ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    const bytes = pr.bytes;
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 0)
        throw bad("the prior line has no byte count");
    if (after.length < bytes)
        throw bad(`the previous text is cut (${after.length} of ${bytes} bytes)`);
    const textBytes = after.subarray(0, bytes);
    let rest = after.subarray(bytes).toString("utf8");
    // The text is the file the host hashed: a cut or mangled output does not pass for it.
    const got = pr.present === true ? sha256Hex(textBytes) : "";
    if (got !== str(pr.sha256) || (pr.present !== true && bytes !== 0))
        throw bad(`the previous text does not match its sha256 (${str(pr.sha256) || "absent"})`);
    const decoded = decodeUtf8Exact(textBytes);
    const position = checkedPosition(p, "prior", bad);
    const prior: InstallPrior = {
        present: pr.present === true,
        sha256: str(pr.sha256),
        kernelMode: str(pr.kernelMode),
        text: "text" in decoded ? decoded.text : "",
        ...("problem" in decoded ? { notUtf8: decoded.problem } : {}),
        position: position.cursor,
        source: position.source,
    };
    if (head.kept === true) {
        if (rest !== "") throw bad("output after a kept install");
        return { prior };
    }
    const result: { -readonly [K in keyof InstallPriorResult]: InstallPriorResult[K] } = {
        install: head as unknown as InstallResult,
        prior,
    };
    const problems: string[] = [];
    if (asked.labels) {
        const nl = rest.indexOf("\n");
        let l: unknown;
        try {
            l = nl < 0 ? undefined : (JSON.parse(rest.slice(0, nl)) as { labels?: unknown }).labels;
        } catch {
            l = undefined;
        }
        const ok =
            typeof l === "object" &&
            l !== null &&
            typeof (l as ContainerLabels).docker === "boolean" &&
            Array.isArray((l as ContainerLabels).containers) &&
            (l as ContainerLabels).containers.every(
                (c) => typeof c?.id === "string" && typeof c?.label === "string",
            );
        if (ok) {
            result.labels = l as ContainerLabels;
            rest = rest.slice(nl + 1);
        } else problems.push("no container labels after the install (output cut?)");
    }
    if (asked.log && prior.position !== "" && problems.length === 0) {
        try {
            result.log = parseDenials({ ...out, stdout: rest });
        } catch (e) {
            problems.push(`reading the log after the install failed: ${(e as Error).message}`);
        }
    } else if (rest !== "" && problems.length === 0)
        throw bad("unexpected output after the install");
    if (problems.length > 0) result.checkError = problems.join("; ");
    return result;
}

export interface ProfileStatus {
    readonly name: string;
    readonly managed: boolean;
    readonly dir: string;
    readonly file: {
        readonly present: boolean;
        readonly sha256: string | null;
        readonly mode: string | null;
    };
    readonly installed: {
        readonly sha256: string | null;
        readonly mode: string | null;
        readonly policySha1: string | null;
    } | null;
    readonly loaded: boolean;
    readonly kernelMode: string | null;
    readonly policySha1: string | null;
    readonly fileSha1: string | null;
    readonly policyMatchesFile: boolean;
    readonly compileError: string | null;
    readonly processes: number;
}

export interface StatusResult {
    readonly ok: true;
    readonly apparmor: {
        readonly enabled: boolean;
        readonly securityfs: boolean;
        readonly parser: boolean;
    };
    readonly profiles: readonly ProfileStatus[];
}

/** Result of `compile`: the host's parser accepted the text. */
export interface CompileResult {
    readonly ok: true;
    /** The host's apparmor_parser version. */
    readonly parser: string;
    /** The host's AppArmor ABI (also in a refusal's `HostScriptError.result.hostAbi`). */
    readonly hostAbi?: HostAbiFacts;
}

/**
 * `compile`'s result. A text the parser refuses throws {@link HostScriptError} with code
 * `compile-failed` (its message holds the parser's lines, use {@link parseParserStderr} for them)
 * or `compile-timeout`.
 */
export function parseCompile(out: ScriptOutput): CompileResult {
    return withHostAbi(parseHostResult("compile", out)) as unknown as CompileResult;
}

export function parseStatus(out: ScriptOutput): StatusResult {
    return parseHostResult("status", out) as unknown as StatusResult;
}

export type DriftReason =
    | "file-missing"
    | "file-edited"
    | "file-unparsable"
    | "not-loaded"
    | "policy-differs"
    | "mode-changed"
    | "unmanaged";

/**
 * How a profile on a host differs from what this library installed (empty = no drift). With
 * `expectedSha256` (the sha256 of the text the caller would install now) a file that is intact but
 * out of date also counts as "file-edited".
 */
export function profileDrift(p: ProfileStatus, expectedSha256?: string): DriftReason[] {
    const out: DriftReason[] = [];
    if (!p.managed || !p.installed) out.push("unmanaged");
    if (!p.file.present) out.push("file-missing");
    else {
        const want = expectedSha256 ?? p.installed?.sha256 ?? undefined;
        if (want && p.file.sha256 !== want) out.push("file-edited");
        if (p.compileError !== null) out.push("file-unparsable");
    }
    if (!p.loaded) out.push("not-loaded");
    else {
        if (p.file.present && !p.policyMatchesFile) out.push("policy-differs");
        const mode = p.installed?.mode ?? p.file.mode;
        if (mode && p.kernelMode !== mode) out.push("mode-changed");
    }
    return out;
}

export interface RemoveResult {
    readonly ok: true;
    readonly name: string;
    /** A manifest of ours was there; false: the name is not this library's and nothing was touched. */
    readonly managed: boolean;
    readonly changed: boolean;
    readonly unloaded: boolean;
    readonly deleted: boolean;
    /** The original this library had adopted (file and/or loaded policy) was put back. */
    readonly restored: boolean;
    /** Processes that were confined by the profile when it was unloaded (now unconfined). */
    readonly processes: number;
}

export function parseRemove(out: ScriptOutput): RemoveResult {
    return parseHostResult("remove", out) as unknown as RemoveResult;
}

export interface DenialsResult {
    readonly ok: true;
    readonly source: DenialSource;
    /** Pass to the next call to continue after the last returned line. */
    readonly cursor: string;
    /**
     * The kernel's AppArmor records, in the kernel's text form (`audit: type=1400 audit(…): …`;
     * kernlog: with the file's syslog prefix; auditlog: `type=AVC msg=audit(…): …`). Never a user
     * audit message (USER_AVC) and never a line with a control character.
     */
    readonly lines: readonly string[];
    /** Bytes of `lines` (each with its newline). */
    readonly bytes: number;
    /** Audit lines the kernel log dropped (`kauditd_printk_skb: N callbacks suppressed`). */
    readonly suppressed: number;
    /** More lines were available than maxBytes allowed; call again with `cursor`. */
    readonly truncated: boolean;
    /** The given cursor could not be used (other source, rotated file); read from the start. */
    readonly cursorReset: boolean;
    /**
     * Lines the script returned that are not kernel AppArmor records, dropped here (0 unless
     * something got past the script's own filter).
     */
    readonly rejected: number;
}

/** True when `s` holds a control character (C0, DEL). */
function hasControl(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c === 0x7f) return true;
    }
    return false;
}

/**
 * One line of the `denials` script's journal-json format, in the kernel's text form; undefined when
 * it is not a kernel AppArmor record. The script copies journalctl's JSON string of MESSAGE, so the
 * record's text cannot end a line early; here it is decoded and checked again:
 * - journal-audit `{"m":MESSAGE,"t":_AUDIT_TYPE,"i":_AUDIT_ID,"s":_SOURCE_REALTIME_TIMESTAMP}`: the
 *   type must be a kernel AppArmor one (journald's trusted field, set from the netlink message type
 *   that only the kernel can give 1400 or 150x), and the result is `audit: type=T audit(S:I): BODY`
 *   (BODY: MESSAGE without journald's leading type name);
 * - journal-kernel `{"m":MESSAGE}` (the script keeps only SYSLOG_FACILITY 0): MESSAGE itself, which
 *   must start with `audit: type=T audit(`.
 * In both, a control character anywhere (a newline, ESC…) refuses the line: the kernel hex-encodes
 * every logged string that has one.
 */
export function journalLineToKernelForm(raw: string, source: DenialSource): string | undefined {
    let o: unknown;
    try {
        o = JSON.parse(raw);
    } catch {
        return undefined;
    }
    if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined;
    const { m, t, i, s, ...rest } = o as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof m !== "string" || hasControl(m)) return undefined;
    let line: string;
    if (source === "journal-kernel") {
        if (t !== undefined || i !== undefined || s !== undefined) return undefined;
        line = m;
    } else if (source === "journal-audit") {
        if (typeof t !== "string" || !/^\d{1,5}$/.test(t)) return undefined;
        if (!isKernelAppArmorType(Number(t))) return undefined;
        if (typeof i !== "string" || !/^\d{1,20}$/.test(i)) return undefined;
        if (typeof s !== "string" || !/^\d{7,20}$/.test(s)) return undefined;
        const sp = m.indexOf(" ");
        const body = sp > 0 && !m.slice(0, sp).includes("=") ? m.slice(sp + 1) : m;
        line = `audit: type=${t} audit(${s.slice(0, -6)}.${s.slice(-6, -3)}:${i}): ${body}`;
    } else {
        return undefined;
    }
    return kernelAuditType(line) !== undefined ? line : undefined;
}

export function parseDenials(out: ScriptOutput): DenialsResult {
    const header = parseHostResult("denials", out);
    const nl = out.stdout.indexOf("\n");
    const rest = nl < 0 ? "" : out.stdout.slice(nl + 1);
    const raw = rest === "" ? [] : rest.replace(/\n$/, "").split("\n");
    const count = Number(header.lines);
    if (raw.length !== count || (count > 0 && !rest.endsWith("\n"))) {
        throw new HostScriptError(
            "denials",
            "bad-output",
            raw.length !== count
                ? `header announced ${count} lines, got ${raw.length}`
                : "the last line is cut (no newline)",
            out.exitCode ?? null,
            out.stderr ?? "",
        );
    }
    const source = header.source as DenialSource;
    const json = header.format === "journal-json";
    const lines: string[] = [];
    let rejected = 0;
    let bytes = 0;
    for (const r of raw) {
        const line = json
            ? journalLineToKernelForm(r, source)
            : kernelAuditType(r) !== undefined
              ? r
              : undefined;
        if (line === undefined) {
            rejected++;
            continue;
        }
        lines.push(line);
        bytes += Buffer.byteLength(line) + 1;
    }
    const fields = { ...header };
    delete fields.format;
    return {
        ...(fields as unknown as Omit<DenialsResult, "lines" | "bytes" | "rejected">),
        lines,
        bytes,
        rejected,
    };
}

// ---------------------------------------------------------------------------------------------------
// Running: the caller provides the transport (ssh2 channel, test helper, …).

/** Runs `command` on the host with `stdin`, resolving with its output and exit status. */
export type HostExec = (
    command: string,
    stdin?: string,
) => Promise<Required<Omit<ScriptOutput, "stdoutBytes">> & Pick<ScriptOutput, "stdoutBytes">>;

/** A script's stdout as bytes: {@link ScriptOutput.stdoutBytes}, else `stdout` as UTF-8. */
export function stdoutBytes(out: ScriptOutput): Buffer {
    return out.stdoutBytes ?? Buffer.from(out.stdout, "utf8");
}

async function run<T>(exec: HostExec, cmd: HostCommand, parse: (o: ScriptOutput) => T): Promise<T> {
    const out = await exec(cmd.command, cmd.stdin);
    return parse(out);
}

export const hostScripts = {
    preflight: (exec: HostExec, a?: PreflightArgs) =>
        run(exec, preflightCommand(a), parsePreflight),
    install: (exec: HostExec, a: InstallArgs) =>
        run(exec, installCommand(a), (o) =>
            parseInstall(o, "install", { position: a.position === true }),
        ),
    /** `install` with `prior` (and optionally `unless`): see {@link InstallPriorResult}. */
    installPrior: (exec: HostExec, a: Omit<InstallArgs, "prior">) =>
        run(exec, installCommand({ ...a, prior: true }), (o) =>
            parseInstallPrior(o, {
                labels: a.labels === true,
                log: a.logMaxBytes !== undefined,
            }),
        ),
    mode: (exec: HostExec, a: ModeArgs) =>
        run(exec, modeCommand(a), (o) => parseInstall(o, "mode")),
    status: (exec: HostExec, a?: StatusArgs) => run(exec, statusCommand(a), parseStatus),
    remove: (exec: HostExec, a: RemoveArgs) => run(exec, removeCommand(a), parseRemove),
    denials: (exec: HostExec, a?: DenialsArgs) => run(exec, denialsCommand(a), parseDenials),
    compile: (exec: HostExec, a: CompileArgs) => run(exec, compileCommand(a), parseCompile),
};
export * from "./labels";
export * from "./read";
export * from "./installs";
