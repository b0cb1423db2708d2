/**
 * The host operations the providers run over the pooled SSH connection: the host scripts of
 * `src/host` (preflight, install, status, remove, denials) plus two small container commands, each
 * mapped to the step names used in errors.
 */
import type { AuditRecord } from "../log";
import { parseAuditLine } from "../log";
import * as host from "../host";
import type { LiveState, ProfileMode } from "../state";
import { HostStepError, HostStepTimeout, Step } from "./errors";
import { exec, ExecResult, SshError, SshTarget } from "./ssh";

/** An audit record with the line it came from (for samples). */
export type LogRecord = AuditRecord & { line?: string };

/** Bound on the log bytes fetched per refresh and host. */
export const DENIAL_BYTES = 1024 * 1024;

function hostExec(t: SshTarget): host.HostExec {
    return async (command, stdin) => {
        const r: ExecResult = await exec(t, command, stdin);
        return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
    };
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
                e.code === "parse-failed" || e.code === "no-header" || e.code === "compile-failed"
                    ? "validate"
                    : e.code === "load-failed"
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

export async function install(
    t: SshTarget,
    where: string,
    sudo: boolean,
    a: { name: string; directory: string; text: string; mode: ProfileMode | "keep" },
): Promise<{ changed: boolean; fileSha256: string; live: LiveState }> {
    return step(where, "load", async () => {
        const r = await host.hostScripts.install(hostExec(t), {
            name: a.name,
            dir: a.directory,
            text: a.text,
            mode: a.mode,
            sudo,
        });
        // A successful install is what `status` would report right after it: the script checks that
        // AppArmor is enabled with securityfs mounted, writes the file (sha256), and leaves the kernel's
        // raw_sha1 of the profile equal to the compiled file's (it reloads otherwise and verifies),
        // then reads the kernel's mode. Asking `status` again would compile the profile once more.
        const live: LiveState = {
            enabled: true,
            filePresent: true,
            fileSha256: r.sha256,
            loaded: r.kernelMode !== "",
            ...(r.kernelMode ? { mode: r.kernelMode } : {}),
            policyMatchesFile: true,
        };
        return { changed: r.changed, fileSha256: r.sha256, live };
    });
}

export async function status(
    t: SshTarget,
    where: string,
    sudo: boolean,
    name: string,
    directory: string,
): Promise<LiveState> {
    return step(where, "status", async () => {
        const r = await host.hostScripts.status(hostExec(t), {
            names: [name],
            dir: directory,
            sudo,
        });
        const p = r.profiles.find((x) => x.name === name);
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

export async function remove(
    t: SshTarget,
    where: string,
    sudo: boolean,
    name: string,
    directory: string,
): Promise<{ changed: boolean; processes: number }> {
    return step(where, "remove", async () => {
        const r = await host.hostScripts.remove(hostExec(t), { name, dir: directory, sudo });
        return { changed: r.changed, processes: r.processes };
    });
}

/** The profile's file, kernel mode and the containers running under it (changes nothing). */
export async function snapshot(
    t: SshTarget,
    where: string,
    sudo: boolean,
    name: string,
    directory: string,
): Promise<host.SnapshotResult> {
    return step(where, "status", () =>
        host.hostScripts.snapshot(hostExec(t), { name, dir: directory, sudo }),
    );
}

/** New AppArmor lines since `cursor` (undefined: position at the end, return nothing). */
export async function denials(
    t: SshTarget,
    where: string,
    sudo: boolean,
    cursor: string | undefined,
): Promise<{ cursor?: string; source?: string; lost: number; records: LogRecord[] }> {
    return step(where, "denials", async () => {
        const r = await host.hostScripts.denials(hostExec(t), {
            cursor: cursor ?? "now",
            maxBytes: DENIAL_BYTES,
            sudo,
        });
        const records: LogRecord[] = [];
        for (const line of r.lines) {
            const x = parseAuditLine(line);
            if (x.kind === "record") records.push({ ...x.record, line });
        }
        return { cursor: r.cursor, source: r.source, lost: r.suppressed, records };
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

const LABEL_SCRIPT = [
    'pid=$(docker inspect -f "{{.State.Pid}}" "$1" 2>/dev/null) || { echo "missing"; exit 0; }',
    'if [ -z "$pid" ] || [ "$pid" = 0 ]; then echo "stopped"; exit 0; fi',
    'printf "label=%s\\n" "$(cat "/proc/$pid/attr/current" 2>/dev/null || echo unconfined)"',
].join("\n");

function containerCommand(script: string, id: string, sudo: boolean): string {
    if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`invalid container id "${id.slice(0, 80)}"`);
    const cmd = `sh -c ${host.shellQuote(script)} pulumi-apparmor-container ${host.shellQuote(id)}`;
    return sudo ? `sudo -n ${cmd}` : cmd;
}

/**
 * The AppArmor label of a container's init process as the host's kernel reports it
 * (`/proc/<pid>/attr/current`); undefined when the container is missing or stopped.
 */
export async function containerLabel(
    t: SshTarget,
    where: string,
    sudo: boolean,
    id: string,
): Promise<{ label?: string; state: "running" | "stopped" | "missing" }> {
    return step(where, "confinement", async () => {
        const r = await exec(t, containerCommand(LABEL_SCRIPT, id, sudo));
        const out = r.stdout.trim();
        if (r.code !== 0) throw new Error(`cannot inspect container: ${r.stderr.trim() || out}`);
        if (out === "missing" || out === "stopped") return { state: out };
        const m = /^label=(.*)$/m.exec(out);
        if (!m) throw new Error(`unexpected output: ${out.slice(0, 200)}`);
        return { label: m[1].trim(), state: "running" };
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
        const r = await exec(t, containerCommand('docker restart -t 5 "$1" >/dev/null', id, sudo));
        if (r.code !== 0) throw new Error(`docker restart failed: ${r.stderr.trim()}`);
    });
}
