/**
 * The host operations the providers run over the pooled SSH connection: the host scripts of
 * `src/host` (preflight, install, status, remove, denials, labels) plus a container restart, each
 * mapped to the step names used in errors.
 */
import type { AuditRecord } from "../log";
import { parseAuditLine } from "../log";
import * as host from "../host";
import type { LiveState, ProfileMode } from "../state";
import type { HostAbiFacts } from "../profile";
import { HostStepError, HostStepTimeout, Step } from "./errors";
import * as fs from "fs";
import { parseParserStderr, type ParserDiagnostic } from "../local/parser";
import { exec, ExecResult, SshError, SshTarget } from "./ssh";
import { HostReadBatcher } from "./hostRead";
import { InstallBatcher } from "./installBatch";

/** An audit record with the line it came from (for samples). */
export type LogRecord = AuditRecord & { line?: string };

/** Runs a command over the pooled connection, traced (see {@link trace}). */
async function tracedExec(t: SshTarget, command: string, stdin?: string): Promise<ExecResult> {
    const t0 = Date.now();
    const r = await exec(t, command, stdin);
    trace(t, command, r.code, Date.now() - t0);
    return r;
}

/**
 * The shared host reads of this provider process (profile status, denials, container labels): one
 * host run per host for the concurrent requests of an engine operation (see hostRead.ts), traced as
 * script "read".
 */
export const reads = new HostReadBatcher((t, command) => tracedExec(t, command));

/**
 * The batched installs of this provider process: the concurrent installs of an engine operation on
 * one host in one host run (see installBatch.ts), traced as script "installs" (or "install" alone).
 */
export const installs = new InstallBatcher(hostExec);

/** Bound on the log bytes fetched per refresh and host. */
export const DENIAL_BYTES = 1024 * 1024;

/** Runs host commands over the pooled connection (traced, see {@link trace}). */
export function hostExec(t: SshTarget): host.HostExec {
    return async (command, stdin) => {
        // A script that may change what a read reports ends the refresh's shared answers.
        if (!READ_ONLY_SCRIPTS.has(scriptOf(command))) reads.invalidate(t);
        const r = await tracedExec(t, command, stdin);
        return { stdout: r.stdout, stdoutBytes: r.stdoutBytes, stderr: r.stderr, exitCode: r.code };
    };
}

/** Host scripts that change nothing on the host. */
const READ_ONLY_SCRIPTS = new Set([
    "preflight",
    "compile",
    "status",
    "denials",
    "read",
    "inventory",
    "labels",
]);

/** The host script a command runs (its `$0`, pulumi-apparmor-NAME), or "command". */
function scriptOf(command: string): string {
    return / pulumi-apparmor-([a-z]+)(?: |$)/.exec(command)?.[1] ?? "command";
}

/**
 * With `PULUMI_APPARMOR_TRACE_FILE` set (in the environment of `pulumi`, which passes it to the
 * provider process), one JSON line per host script run is appended to that file: script, host,
 * exit status, milliseconds (and an `installs` run's number of items). For debugging and for tests that count host steps; no secrets, no text.
 */
function trace(t: SshTarget, command: string, code: number, ms: number): void {
    const file = process.env.PULUMI_APPARMOR_TRACE_FILE;
    if (!file) return;
    const script = scriptOf(command);
    const line = {
        script,
        host: `${t.user}@${t.host}:${t.port}`,
        code,
        ms,
        at: Date.now(),
        ...(script === "installs" ? { items: host.installsItemCount(command) } : {}),
    };
    try {
        fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
        // tracing never breaks a step
    }
}

async function step<T>(where: string, s: Step, f: () => Promise<T>): Promise<T> {
    try {
        return await f();
    } catch (e) {
        if (e instanceof SshError && e.kind === "timeout")
            throw new HostStepTimeout(where, s, e.message);
        if (e instanceof SshError || e instanceof HostStepError) throw e;
        if (e instanceof host.HostScriptError) {
            const detail =
                e.stderr.trim() && !e.message.includes(e.stderr.trim())
                    ? `\n${e.stderr.trim()}`
                    : "";
            // The install script's own codes tell validate (apparmor_parser -Q) from load (-r).
            const stepOf: Step =
                e.code === "parse-failed" ||
                e.code === "parse-timeout" ||
                e.code === "no-header" ||
                e.code === "compile-failed"
                    ? "validate"
                    : e.code === "load-failed" || e.code === "load-timeout"
                      ? "load"
                      : s;
            throw new HostStepError(where, stepOf, `${e.message}${detail}`);
        }
        throw new HostStepError(where, s, (e as Error).message ?? String(e));
    }
}

export async function preflight(t: SshTarget, where: string, _sudo: boolean): Promise<void> {
    await step(where, "preflight", async () => {
        // Docker's AppArmor support is checked by Confinement/ProfiledContainer; a profile may be
        // used without docker.
        const r = await host.hostScripts.preflight(hostExec(t), { checkDocker: false });
        if (!r.ok)
            throw new HostStepError(where, "preflight", host.preflightErrorMessage(r, where));
    });
}

/** What to install (see {@link install}). */
export interface InstallInput {
    name: string;
    directory: string;
    text: string;
    mode: ProfileMode | "keep";
    adopt?: boolean;
    /** Also take the log's position before the load (a new resource's cursor): see {@link InstallOutcome.position}. */
    position?: boolean;
}

/**
 * The live state right after a successful install of a file with `fileSha256`, the kernel reporting
 * `kernelMode` ("" when not loaded): what `status` would report then. The install script checks that
 * AppArmor is enabled with securityfs mounted, writes the file (sha256), and leaves the kernel's
 * raw_sha1 of the profile equal to the compiled file's (it reloads otherwise and verifies), then reads
 * the kernel's mode; asking `status` again would compile the profile once more. A rollout wave that
 * has just installed and verified the same version gives the same facts.
 */
export function liveAfterInstall(fileSha256: string, kernelMode: string): LiveState {
    return {
        enabled: true,
        filePresent: true,
        fileSha256,
        loaded: kernelMode !== "",
        ...(kernelMode ? { mode: kernelMode } : {}),
        policyMatchesFile: true,
    };
}

/** An install's result, as the live state it leaves. */
export interface InstallOutcome {
    changed: boolean;
    fileSha256: string;
    live: LiveState;
    /** The host's AppArmor ABI, as the install read it (absent from an older host script). */
    hostAbi?: HostAbiFacts;
    /**
     * With `position`: the log's end before the load and its source, as `denials` with cursor "now"
     * reports them; absent when the host has no log (the caller's `denials` read says why).
     */
    position?: { cursor: string; source: string };
}

export async function install(
    t: SshTarget,
    where: string,
    sudo: boolean,
    a: InstallInput,
): Promise<InstallOutcome> {
    return step(where, "load", async () => {
        const r = await installs.install(t, {
            name: a.name,
            dir: a.directory,
            text: a.text,
            mode: a.mode,
            ...(a.adopt ? { adopt: true } : {}),
            ...(a.position ? { position: true } : {}),
            facts: true,
            sudo,
        });
        return {
            changed: r.changed,
            fileSha256: r.sha256,
            live: liveAfterInstall(r.sha256, r.kernelMode),
            ...(r.hostAbi ? { hostAbi: r.hostAbi } : {}),
            ...(r.position?.cursor ? { position: { ...r.position } } : {}),
        };
    });
}

/** What the host's parser said of a text (see {@link compile}). */
export type CompileVerdict =
    | { readonly ok: true; readonly parser: string; readonly hostAbi?: HostAbiFacts }
    /** refused by the parser (its lines), or killed after the timeout */
    | {
          readonly ok: false;
          readonly reason: "refused" | "timeout";
          readonly diagnostics: readonly ParserDiagnostic[];
          readonly message: string;
          /** what the host runs, reported beside the refusal (explains an AppArmor 4 rule's) */
          readonly hostAbi?: HostAbiFacts;
      }
    /** the host cannot compile yet (no apparmor_parser or no timeout): the install will tell */
    | { readonly ok: false; readonly reason: "unavailable"; readonly message: string };

/**
 * Compiles `text` on the host with its own apparmor_parser and include files (the `compile` script:
 * `-Q -K`, text on stdin, nothing loaded or written, no lock, under a timeout, never through sudo).
 * A refusal is a verdict, not an error; an unreachable host throws.
 */
export async function compile(t: SshTarget, where: string, text: string): Promise<CompileVerdict> {
    return step(where, "validate", async () => {
        try {
            const r = await host.hostScripts.compile(hostExec(t), { text });
            return { ok: true, parser: r.parser, ...(r.hostAbi ? { hostAbi: r.hostAbi } : {}) };
        } catch (e) {
            if (!(e instanceof host.HostScriptError)) throw e;
            const message = e.message.replace(/^pulumi-apparmor compile: /, "");
            if (e.code === "compile-failed" || e.code === "compile-timeout") {
                const hostAbi = host.parseHostAbi(e.result?.hostAbi);
                return {
                    ok: false,
                    reason: e.code === "compile-failed" ? "refused" : "timeout",
                    diagnostics: parseParserStderr(message, true),
                    message,
                    ...(hostAbi ? { hostAbi } : {}),
                };
            }
            if (e.code === "no-parser" || e.code === "no-timeout")
                return { ok: false, reason: "unavailable", message };
            throw e;
        }
    });
}

/**
 * The profile's live state. Served by the host's shared read ({@link reads}): the status and denials
 * requests of one engine operation for the same host go out as one host run.
 */
export async function status(
    t: SshTarget,
    where: string,
    sudo: boolean,
    name: string,
    directory: string,
    share = false,
    seenAt = 0,
): Promise<LiveState> {
    return step(where, "status", async () => {
        const r = await reads.status(t, sudo, name, directory, share, seenAt);
        const p = r.profile;
        const enabled = r.apparmor.enabled && r.apparmor.securityfs;
        if (!p) return { enabled, filePresent: false, loaded: false };
        return {
            enabled,
            filePresent: p.file.present,
            ...(p.file.sha256 ? { fileSha256: p.file.sha256 } : {}),
            loaded: p.loaded,
            ...(p.kernelMode ? { mode: p.kernelMode } : {}),
            policyMatchesFile: p.policyMatchesFile,
        };
    });
}

/**
 * The host's AppArmor ABI facts (parser, kernel, ABI files, kernel features, parser.conf pins), read
 * fresh. Served by the host's shared read ({@link reads}): a refresh reads them once per host, in the
 * same host run as its status and denials.
 */
export async function hostFacts(
    t: SshTarget,
    where: string,
    sudo: boolean,
    share = false,
    seenAt = 0,
): Promise<HostAbiFacts> {
    return step(where, "facts", () => reads.facts(t, sudo, share, seenAt));
}

/**
 * Removes the profile (or restores the original it adopted). Processes still confined by it: after
 * waiting up to `waitSeconds` for them to go, "refuse" fails naming the host, the profile and their
 * count; "remove" unloads anyway (they run unconfined from then on).
 */
export async function remove(
    t: SshTarget,
    where: string,
    sudo: boolean,
    name: string,
    directory: string,
    inUse: { onInUse: host.OnInUse; waitSeconds: number } = { onInUse: "refuse", waitSeconds: 0 },
): Promise<{ changed: boolean; processes: number; restored: boolean }> {
    return step(where, "remove", async () => {
        try {
            const r = await host.hostScripts.remove(hostExec(t), {
                name,
                dir: directory,
                sudo,
                onInUse: inUse.onInUse,
                waitSeconds: inUse.waitSeconds,
            });
            return { changed: r.changed, processes: r.processes, restored: r.restored === true };
        } catch (e) {
            if (e instanceof host.HostScriptError && e.code === "in-use") {
                const n = Number(e.result?.processes ?? 0);
                throw new HostStepError(
                    where,
                    "remove",
                    `profile ${name} is still in use on host ${where}: ${n} process(es) run ` +
                        "confined by it (this stack's own containers are deleted before their " +
                        "profile), and unloading it would leave them running unconfined. Nothing " +
                        "was changed. Stop them and run again, or set the Profile's " +
                        '`onDeleteInUse: "remove"` to unload it anyway.',
                );
            }
            throw e;
        }
    });
}

/**
 * New AppArmor lines since `cursor` (undefined: position at the end, return nothing), from `source`
 * (default: the host picks).
 */
export async function denials(
    t: SshTarget,
    where: string,
    sudo: boolean,
    cursor: string | undefined,
    source?: host.DenialSource,
    share = false,
    seenAt = 0,
): Promise<{ cursor?: string; source?: string; lost: number; records: LogRecord[] }> {
    return step(where, "denials", async () => {
        const r = await reads.denials(
            t,
            sudo,
            cursor ?? "now",
            DENIAL_BYTES,
            source ?? "auto",
            share,
            seenAt,
        );
        return {
            cursor: r.cursor,
            source: r.source,
            lost: r.suppressed,
            records: logRecords(r.lines),
        };
    });
}

/** Parsed kernel AppArmor records of `lines` (each with its line). */
function logRecords(lines: readonly string[]): LogRecord[] {
    const records: LogRecord[] = [];
    for (const line of lines) {
        const x = parseAuditLine(line);
        if (x.kind === "record") records.push({ ...x.record, line });
    }
    return records;
}

/**
 * A rollout wave's whole host step in one round trip (install with `prior` and `labels`): under the
 * host lock, the profile's file and kernel mode and, when it is loaded, the log's end; then the
 * install, unless `unless` matches (the host already has that file and kernel mode: nothing
 * changes); after a change, the containers started with the profile and their labels and, with
 * `readLog`, the log lines since that end (a soak of 0 seconds).
 */
export async function waveStage(
    t: SshTarget,
    where: string,
    sudo: boolean,
    a: InstallInput & { unless?: { sha256: string; kernelMode: ProfileMode }; readLog?: boolean },
): Promise<host.InstallPriorResult & { records?: LogRecord[] }> {
    return step(where, "load", async () => {
        const r = await host.hostScripts.installPrior(hostExec(t), {
            name: a.name,
            dir: a.directory,
            text: a.text,
            mode: a.mode,
            ...(a.adopt ? { adopt: true } : {}),
            ...(a.unless ? { unless: a.unless } : {}),
            labels: true,
            ...(a.readLog ? { logMaxBytes: DENIAL_BYTES } : {}),
            sudo,
        });
        return r.log ? { ...r, records: logRecords(r.log.lines) } : r;
    });
}

/**
 * The host-preparation script for `remote.Command` (constant text + a validated, quoted dir). Each
 * apt-get runs under coreutils' `timeout` (when the host has it), so a hung package download fails
 * the step after `timeoutSeconds` with a message naming it instead of hanging `pulumi up`.
 */
export function prepareScript(directory: string, sudo: boolean, timeoutSeconds = 600): string {
    const err = host.validateHostDirectory(directory);
    if (err) throw new Error(`invalid directory: ${err}`);
    if (!(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= 86400))
        throw new Error(`invalid timeout: ${timeoutSeconds}`);
    const body = [
        "set -e",
        "limited() {",
        "  if command -v timeout >/dev/null 2>&1; then",
        `    timeout -k 10 ${timeoutSeconds} "$@" || {`,
        "      rc=$?",
        `      [ "$rc" -ne 124 ] || echo "pulumi-apparmor-prepare: $1 $2 timed out after ${timeoutSeconds} s (stepTimeout)" >&2`,
        '      return "$rc"',
        "    }",
        '  else "$@"; fi',
        "}",
        "if ! command -v apparmor_parser >/dev/null 2>&1; then",
        "  export DEBIAN_FRONTEND=noninteractive",
        "  limited apt-get update -q",
        "  limited apt-get install -y -q apparmor apparmor-utils",
        "fi",
        'mkdir -p "$1"',
    ].join("\n");
    const cmd = `sh -c ${host.shellQuote(body)} pulumi-apparmor-prepare ${host.shellQuote(directory)}`;
    return sudo ? `sudo -n ${cmd}` : cmd;
}

/** `docker restart` of a container, as a command (the ID validated, quoted). */
function restartCommand(id: string, sudo: boolean): string {
    const why = host.validateContainerId(id);
    if (why) throw new Error(`invalid ${why}`);
    const cmd = `sh -c ${host.shellQuote('docker restart -t 5 "$1" >/dev/null')} pulumi-apparmor-container ${host.shellQuote(id)}`;
    return sudo ? `sudo -n ${cmd}` : cmd;
}

/**
 * The AppArmor label of a container's init process as the host's kernel reports it
 * (`/proc/<pid>/attr/current`); undefined when the container is missing or stopped; and whether
 * AppArmor is enabled on the host. Served by the host's shared read ({@link reads}): the label checks
 * of one engine operation join its profiles' status and denials reads in one host run.
 */
export async function containerLabel(
    t: SshTarget,
    where: string,
    sudo: boolean,
    id: string,
): Promise<{
    label?: string;
    state: "running" | "stopped" | "missing";
    apparmorEnabled: boolean;
}> {
    return step(where, "confinement", async () => {
        const r = await reads.label(t, sudo, id);
        return {
            state: r.state,
            ...(r.label !== undefined ? { label: r.label } : {}),
            apparmorEnabled: r.apparmorEnabled,
        };
    });
}

/** Restarts a container (its processes get the profile applied again). */
export async function restartContainer(
    t: SshTarget,
    where: string,
    sudo: boolean,
    id: string,
): Promise<void> {
    await step(where, "confinement", async () => {
        reads.invalidate(t); // a restart changes what a read of the host reports
        const r = await tracedExec(t, restartCommand(id, sudo));
        if (r.code !== 0) throw new Error(`docker restart failed: ${r.stderr.trim()}`);
    });
}
