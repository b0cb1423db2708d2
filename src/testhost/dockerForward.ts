/**
 * How the host machine reaches the test VM's dockerd: an OpenSSH unix-socket forward,
 * `ssh -N -L STATE_DIR/docker.sock:/var/run/docker.sock tester@127.0.0.1`, owned by the test host's
 * lifecycle (started by `startTestHost`, stopped by `stopTestHost`, and ending by itself when QEMU
 * ends). Inside the VM dockerd listens on its unix socket only, so no container can reach its API.
 *
 * Why a socket forward rather than each docker client's own `ssh://` transport: one SSH connection
 * (key file, host key pinned in known_hosts, StrictHostKeyChecking=yes) serves every client as a plain
 * `unix://` DOCKER_HOST — the docker CLI, the Pulumi docker provider and a bare HTTP client alike —
 * with no per-client SSH options, and without a new SSH handshake plus a `docker system dial-stdio`
 * process in the (slow, emulated) guest for every API connection.
 *
 * The socket is 0600 (`StreamLocalBindMask=0177`) in the 0700 state directory. A supervising `sh`
 * loop re-opens the SSH connection if it drops, for as long as the QEMU process lives.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

/** The socket's file name in the state directory. */
export const DOCKER_SOCKET = "docker.sock";
const PID_FILE = "docker-forward.pid";
const LOG_FILE = "docker-forward.log";
/** `sockaddr_un.sun_path` holds 108 bytes with the final NUL; keep a margin. */
const MAX_SOCKET_PATH = 100;

/** What the forward needs to know about the VM. */
export interface ForwardTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly privateKeyPath: string;
    readonly knownHostsPath: string;
    readonly stateDir: string;
}

/** The forwarded socket of the VM whose state lives in `stateDir`. */
export function dockerSocketPath(stateDir: string): string {
    return path.join(stateDir, DOCKER_SOCKET);
}

/** `DOCKER_HOST` for that socket: `unix:///…/docker.sock`. */
export function dockerHostOf(stateDir: string): string {
    return `unix://${dockerSocketPath(stateDir)}`;
}

/** The `-L` argument; it also identifies the forward of `stateDir` in a process's command line. */
function forwardSpec(stateDir: string): string {
    return `${dockerSocketPath(stateDir)}:/var/run/docker.sock`;
}

/** Throws when the socket path of `stateDir` is too long for a unix socket. */
export function checkSocketPath(stateDir: string): void {
    const socket = dockerSocketPath(stateDir);
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
        throw new Error(
            `testhost: the docker socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes ` +
                `(a unix socket limit); use a shorter state directory`,
        );
    }
}

/**
 * The `ssh` arguments of the forward: no user or system ssh configuration, no agent, only the run's
 * key, only the pinned host key (`StrictHostKeyChecking=yes`, nothing written to known_hosts).
 */
export function dockerForwardArgs(target: ForwardTarget): string[] {
    const o = (option: string) => ["-o", option];
    return [
        "-F",
        "none",
        "-N",
        "-T",
        "-i",
        target.privateKeyPath,
        ...o("IdentitiesOnly=yes"),
        ...o("IdentityAgent=none"),
        ...o("BatchMode=yes"),
        ...o(`UserKnownHostsFile=${target.knownHostsPath}`),
        ...o("GlobalKnownHostsFile=/dev/null"),
        ...o("StrictHostKeyChecking=yes"),
        ...o("UpdateHostKeys=no"),
        ...o("ExitOnForwardFailure=yes"),
        ...o("StreamLocalBindUnlink=yes"),
        ...o("StreamLocalBindMask=0177"),
        ...o("ConnectTimeout=30"),
        // A guest starved of CPU under TCG can stall for a while: give it 2 minutes before giving up.
        ...o("ServerAliveInterval=15"),
        ...o("ServerAliveCountMax=8"),
        ...o("LogLevel=ERROR"),
        "-p",
        String(target.port),
        "-L",
        forwardSpec(target.stateDir),
        `${target.user}@${target.host}`,
    ];
}

/**
 * Re-runs the command in "$@" (the ssh forward) while the process $1 (QEMU) lives; a pause between
 * attempts keeps a refused connection from spinning.
 */
const SUPERVISOR = 'q="$1"; shift; while kill -0 "$q" 2>/dev/null; do "$@"; sleep 2; done';

function readPid(stateDir: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(path.join(stateDir, PID_FILE), "utf8").trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
        return undefined;
    }
}

/** Whether `pid` is a live forward supervisor of `stateDir` (not a reused pid). */
function isOurForward(pid: number, stateDir: string): boolean {
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && cmdline.split("\0").includes(forwardSpec(stateDir));
    } catch {
        return false;
    }
}

/** Whether the forward of `stateDir` is running. */
export function dockerForwardRunning(stateDir: string): boolean {
    const pid = readPid(stateDir);
    return pid !== undefined && isOurForward(pid, stateDir);
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Stops the forward of `stateDir` (its whole process group) and deletes its socket. */
export async function stopDockerForward(stateDir: string): Promise<void> {
    const pid = readPid(stateDir);
    if (pid !== undefined && isOurForward(pid, stateDir)) {
        const kill = (sig: NodeJS.Signals) => {
            try {
                process.kill(-pid, sig);
            } catch {
                // already gone
            }
        };
        kill("SIGTERM");
        const deadline = Date.now() + 5000;
        while (isOurForward(pid, stateDir) && Date.now() < deadline) await sleep(50);
        if (isOurForward(pid, stateDir)) kill("SIGKILL");
    }
    fs.rmSync(path.join(stateDir, PID_FILE), { force: true });
    fs.rmSync(dockerSocketPath(stateDir), { force: true });
}

/**
 * Starts the forward of `target` for the QEMU process `qemuPid` (stopping an earlier one first) and
 * returns the supervisor's pid. It runs in a process group of its own; with `keepAfterExit` it
 * outlives this Node process, otherwise it is killed when this process exits. Either way it ends
 * when QEMU ends.
 */
export async function startDockerForward(
    target: ForwardTarget,
    qemuPid: number,
    opts: { keepAfterExit?: boolean } = {},
): Promise<number> {
    checkSocketPath(target.stateDir);
    await stopDockerForward(target.stateDir);
    const logFd = fs.openSync(path.join(target.stateDir, LOG_FILE), "a", 0o600);
    const child = spawn(
        "sh",
        [
            "-c",
            SUPERVISOR,
            "pulumi-apparmor-docker-forward",
            String(qemuPid),
            "ssh",
            ...dockerForwardArgs(target),
        ],
        { stdio: ["ignore", logFd, logFd], detached: true },
    );
    fs.closeSync(logFd);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("spawn", () => resolve(child.pid!));
        child.once("error", reject);
    });
    fs.writeFileSync(path.join(target.stateDir, PID_FILE), `${pid}\n`, { mode: 0o600 });
    child.unref();
    if (!opts.keepAfterExit) {
        const kill = () => {
            try {
                process.kill(-pid, "SIGTERM");
            } catch {
                // already gone
            }
        };
        process.once("exit", kill);
        child.once("exit", () => process.removeListener("exit", kill));
    }
    return pid;
}

/** The last lines the forward's ssh printed (for error messages). */
export function dockerForwardLog(stateDir: string): string {
    try {
        return fs
            .readFileSync(path.join(stateDir, LOG_FILE), "utf8")
            .split("\n")
            .slice(-6)
            .join("\n");
    } catch {
        return "";
    }
}

/** Whether dockerd answers `GET /_ping` with `OK` on the unix socket `socketPath`. */
export function dockerPing(socketPath: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ socketPath, path: "/_ping", timeout: 5000 }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(false));
    });
}
