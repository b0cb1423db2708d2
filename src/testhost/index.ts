/**
 * The disposable test host: a QEMU VM (TCG) running Debian bookworm (12: kernel 6.1, AppArmor 3.0, the
 * default) or trixie (13: kernel 6.12, AppArmor 4.1; `release: "trixie"`) with AppArmor in the kernel,
 * sshd (key only, pinned host key) and dockerd. Each release's image is built once by `build-image.sh`
 * and cached in `$PULUMI_APPARMOR_CACHE/testhost/<recipe hash>/` (the hash covers the release, so both
 * images live side by side); every start boots a fresh copy-on-write overlay, so each run begins from
 * the same clean disk.
 *
 * Network: QEMU user networking with `restrict=on` and one port forward, 127.0.0.1:PORT to the guest's
 * sshd. The guest reaches nothing outside itself (not the host machine, not its loopback services).
 * dockerd listens on its unix socket only; the host machine reaches it through an SSH unix-socket
 * forward to `STATE_DIR/docker.sock` (see `dockerForward.ts`). The cache, the image and state
 * directories are 0700 and the files holding keys 0600 (the image's disk holds the VM's host key).
 *
 * State of a running VM (pid, ports, per-run key, console log) lives in a state directory, by default
 * `$PULUMI_APPARMOR_CACHE/testhost-run/default`. Several VMs can run at once with different state dirs.
 *
 * A host can also be rebooted on the same disk, e.g. with other kernel arguments: stop it with
 * `stopTestHost(dir, { keepDisk: true })` (guest caches synced, overlay, key and ports kept), then
 * `startTestHost({ stateDir: dir, reuseDisk: true, kernelArgs })` boots that disk again on the same
 * ports with the same keys, so a stack that recorded the host still finds it.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { utils as sshUtils } from "ssh2";
import {
    checkSocketPath,
    dockerForwardLog,
    dockerForwardRunning,
    dockerHostOf,
    dockerPing,
    dockerSocketPath,
    startDockerForward,
    stopDockerForward,
} from "./dockerForward";
import {
    dropSnapshot,
    markSnapshotReady,
    qmpSaveAndQuit,
    readSnapshot,
    SNAPSHOT_TAG,
    snapshotName,
    snapshotUsable,
    withSnapshotLock,
    type SnapshotFiles,
} from "./snapshot";
import { connectSsh, execOn, type ExecResult, type SshTarget } from "./ssh";

export { connectSsh, execOn, publicKeyBlob, sshConfig } from "./ssh";
export type { ExecOptions, ExecResult, SshTarget } from "./ssh";
export { dockerForwardArgs, dockerForwardRunning, dockerPing } from "./dockerForward";

/** The cache root: `$PULUMI_APPARMOR_CACHE`, default `/var/cache/pulumi-apparmor`. */
export function cacheRoot(): string {
    return process.env.PULUMI_APPARMOR_CACHE || "/var/cache/pulumi-apparmor";
}

/** Default state directory of `startTestHost`/`stopTestHost`/`testHostStatus`. */
export function defaultStateDir(): string {
    return path.join(cacheRoot(), "testhost-run", "default");
}

/**
 * Creates `dir` (and missing parents) with mode 0700, or makes an existing one 0700. Refuses a
 * directory of another user, or one that others can write (e.g. /tmp itself: anyone could have
 * planted files there), since it will hold a private key and the docker socket.
 */
export function privateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    if (!st.isDirectory()) {
        throw new Error(`testhost: ${dir} is not a directory`);
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
        throw new Error(
            `testhost: ${dir} belongs to another user (uid ${st.uid}); use a directory of your own`,
        );
    }
    if ((st.mode & 0o1002) !== 0) {
        throw new Error(
            `testhost: ${dir} is writable by others; use a directory of its own, e.g. ${path.join(dir, "testhost")}`,
        );
    }
    if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/** The Debian releases a test host can run. */
export const TESTHOST_RELEASES = ["bookworm", "trixie"] as const;
export type TestHostRelease = (typeof TESTHOST_RELEASES)[number];

/** Checks a release name (e.g. from the command line); throws naming the ones that exist. */
export function checkRelease(release: string): TestHostRelease {
    const found = TESTHOST_RELEASES.find((r) => r === release);
    if (!found) {
        throw new Error(
            `testhost: unknown release "${release}" (expected ${TESTHOST_RELEASES.join(" or ")})`,
        );
    }
    return found;
}

/** The environment variable that sets the guest CPUs of VMs booted without an explicit `cpus`. */
export const TESTHOST_CPUS_ENV = "PULUMI_APPARMOR_TESTHOST_CPUS";

/**
 * The guest CPUs of a VM: `cpus` when given, else `env[TESTHOST_CPUS_ENV]` when set, else 2. Throws
 * naming the value and the fix unless it is a whole number from 1 to 64. Under TCG (no KVM) each vCPU
 * is a host thread: two VMs of two vCPUs on a 2-core machine run slower than two VMs of one, which is
 * why the test suite sets 1 (`test/run-all.sh`).
 */
export function guestCpus(
    cpus: number | undefined,
    env: Readonly<Record<string, string | undefined>> = process.env,
): number {
    const raw = cpus ?? env[TESTHOST_CPUS_ENV];
    if (raw === undefined || raw === "") return 2;
    const n = typeof raw === "number" ? raw : /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 64) {
        const from = cpus !== undefined ? "cpus" : TESTHOST_CPUS_ENV;
        throw new Error(
            `testhost: ${from} is ${JSON.stringify(raw)}; expected a whole number of guest CPUs from 1 to 64 ` +
                `(e.g. ${from === "cpus" ? "--cpus 2" : `${TESTHOST_CPUS_ENV}=1`})`,
        );
    }
    return n;
}

/** A built image in the cache. */
export interface TestHostImage {
    readonly dir: string;
    readonly release: TestHostRelease;
    readonly disk: string;
    readonly kernel: string;
    readonly initrd: string;
    /** The VM's SSH host public key (`ssh-ed25519 AAAA… testhost`). */
    readonly hostKey: string;
}

export interface TestHostOptions {
    /**
     * The Debian release the VM runs: `bookworm` (12) or `trixie` (13). With `reuseDisk`, the kept
     * disk's release. Defaults to `bookworm`.
     */
    readonly release?: TestHostRelease;
    /** Where the VM's state lives (pid, ports, key, overlay, console log). Defaults to `defaultStateDir()`. */
    readonly stateDir?: string;
    /** Extra kernel command line arguments, e.g. `["apparmor=0"]`. Defaults to none. */
    readonly kernelArgs?: readonly string[];
    /** Guest memory in MiB. Defaults to 2048. */
    readonly memoryMiB?: number;
    /**
     * Guest CPUs. Defaults to `PULUMI_APPARMOR_TESTHOST_CPUS` when set (the test suite sets 1: see
     * `guestCpus`), else 2.
     */
    readonly cpus?: number;
    /** Milliseconds from QEMU start until SSH, dockerd and the busybox image answer. Defaults to 1200000. */
    readonly bootTimeoutMs?: number;
    /**
     * Keep the VM running after this Node process exits (the CLI does). When false, the VM is killed
     * when the process exits. Defaults to false.
     */
    readonly keepAfterExit?: boolean;
    /** Progress messages (image build, boot). Defaults to silence. */
    readonly log?: (message: string) => void;
    /**
     * Boot the disk kept by `stopTestHost(stateDir, { keepDisk: true })` instead of a fresh overlay:
     * a reboot of the same host (files, docker containers and images as it left them), on the same
     * SSH and docker ports with the same client key, with this call's `kernelArgs`. Fails when the
     * state dir has no kept disk or a VM is still running in it. Defaults to false.
     */
    readonly reuseDisk?: boolean;
    /**
     * Restore the VM from a snapshot saved right after a boot of the same image (a few seconds instead
     * of a 40-100 s boot; see `snapshot.ts`). The first boot of an image makes that snapshot (a cold
     * boot, then about 10 s to save it). A boot with `kernelArgs` or `reuseDisk` is always cold;
     * `PULUMI_APPARMOR_TESTHOST_SNAPSHOT=0` makes every boot cold. Defaults to true.
     */
    readonly snapshot?: boolean;
}

export interface StopTestHostOptions {
    /**
     * Flush the guest's file system caches (`sync` over SSH) before stopping QEMU (a power cut
     * after sync: files, journal and docker state are on the disk), and keep its overlay, key,
     * ports and state file, for `startTestHost({ reuseDisk: true })`. Defaults to false: kill QEMU
     * and delete the overlay and key.
     */
    readonly keepDisk?: boolean;
}

/** How to reach a running test host. */
export interface TestHostInfo extends SshTarget {
    /** Always 127.0.0.1: every forwarded port binds to loopback only. */
    readonly host: string;
    /** Forwarded SSH port on 127.0.0.1. */
    readonly port: number;
    /** `tester`: unprivileged, passwordless sudo, in the docker group. */
    readonly user: string;
    /** `root` (same key). */
    readonly rootUser: string;
    /** The run's ed25519 private key (OpenSSH format, mode 0600). */
    readonly privateKeyPath: string;
    /** The pinned host key line. */
    readonly hostKey: string;
    /** A known_hosts file for OpenSSH clients (`ssh -o UserKnownHostsFile=…`). */
    readonly knownHostsPath: string;
    /**
     * The VM's dockerd for clients on this machine (DOCKER_HOST, the docker provider's `host`):
     * `unix://STATE_DIR/docker.sock`, a socket (mode 0600) forwarded over SSH to the VM's
     * `/var/run/docker.sock`. Inside the VM dockerd has no TCP listener.
     */
    readonly dockerHost: string;
    /** The path of that socket. */
    readonly dockerSocket: string;
    /** The guest's serial console (kernel + systemd messages). */
    readonly consoleLog: string;
    readonly stateDir: string;
    /** PID of the QEMU process. */
    readonly pid: number;
    /** Whether the booted kernel has AppArmor enabled (false when booted with `apparmor=0`). */
    readonly apparmor: boolean;
    /** The kernel command line extras it was booted with. */
    readonly kernelArgs: readonly string[];
    /** The Debian release it runs (`bookworm` or `trixie`). */
    readonly release: TestHostRelease;
    /** Milliseconds from QEMU start until SSH answered, and until docker + busybox were ready. */
    readonly bootMs: { readonly ssh: number; readonly docker: number };
    /** The snapshot folder the VM was restored from (see `snapshot.ts`); absent after a cold boot. */
    readonly snapshot?: string;
    readonly image: string;
}

export interface TestHostStatus {
    readonly running: boolean;
    readonly stateDir: string;
    /** Whether the docker socket forward runs (only meaningful while the VM runs). */
    readonly dockerForward: boolean;
    /** Present when a VM was started in this state dir and has not been stopped. */
    readonly info?: TestHostInfo;
}

const STATE_FILE = "state.json";

function findBuildScript(): string {
    const candidates = [
        path.join(__dirname, "build-image.sh"),
        path.resolve(__dirname, "..", "..", "..", "src", "testhost", "build-image.sh"),
    ];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) {
        throw new Error(`testhost: build-image.sh not found (looked in ${candidates.join(", ")})`);
    }
    return found;
}

function which(tool: string): boolean {
    const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin", "/usr/bin"]);
    return dirs.some((d) => d !== "" && fs.existsSync(path.join(d, tool)));
}

function readImage(dir: string, release: TestHostRelease): TestHostImage {
    return {
        dir,
        release,
        disk: path.join(dir, "disk.raw"),
        kernel: path.join(dir, "vmlinuz"),
        initrd: path.join(dir, "initrd.img"),
        hostKey: fs.readFileSync(path.join(dir, "ssh_host_ed25519_key.pub"), "utf8").trim(),
    };
}

/** The cached image's directory for `release` (whether or not it is built yet). Defaults to bookworm. */
export function imageDir(release: TestHostRelease = "bookworm"): string {
    const r = spawnSync("sh", [findBuildScript(), "path", checkRelease(release)], {
        encoding: "utf8",
    });
    if (r.status !== 0) {
        throw new Error(`testhost: build-image.sh path failed: ${r.stderr}`);
    }
    return r.stdout.trim();
}

/**
 * Builds the image of `release` (default bookworm) unless the cache has it (a few minutes cold, needs
 * root and debootstrap), and returns it. Concurrent callers wait for one build.
 */
export async function ensureImage(
    log?: (message: string) => void,
    release: TestHostRelease = "bookworm",
): Promise<TestHostImage> {
    const script = findBuildScript();
    checkRelease(release);
    const dir = await new Promise<string>((resolve, reject) => {
        const child = spawn("sh", [script, "ensure", release], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => {
            err += d.toString();
            for (const line of d.toString().split("\n")) {
                if (line.trim() !== "") log?.(line);
            }
        });
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) {
                resolve(out.trim().split("\n").pop() ?? "");
            } else {
                reject(new Error(`testhost: image build failed (exit ${code}):\n${err.trim()}`));
            }
        });
    });
    return readImage(dir, release);
}

/** Writes the guest's file system caches to its disk (`sync` as root over its own SSH connection). */
async function syncGuest(info: TestHostInfo, timeoutMs: number): Promise<void> {
    const c = await connectSsh(info, { asRoot: true, readyTimeoutMs: 30000 });
    try {
        await execOn(c, "sync", { timeoutMs });
    } finally {
        c.end();
    }
}

/** A fresh copy-on-write overlay of the image's disk. */
function createOverlay(disk: string, overlay: string): void {
    const img = spawnSync(
        "qemu-img",
        ["create", "-q", "-f", "qcow2", "-b", disk, "-F", "raw", overlay],
        {
            encoding: "utf8",
        },
    );
    if (img.status !== 0) {
        throw new Error(`testhost: qemu-img create failed: ${img.stderr}`);
    }
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            const port = typeof addr === "object" && addr ? addr.port : 0;
            srv.close(() => resolve(port));
        });
    });
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Whether `pid` is a live QEMU process started for `stateDir`. */
function isOurQemu(pid: number, stateDir: string): boolean {
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && cmdline.includes(path.join(stateDir, "overlay.qcow2"));
    } catch {
        return false;
    }
}

/** The last `lines` lines of a file (empty string when missing). */
export function tailFile(file: string, lines = 40): string {
    try {
        const text = fs.readFileSync(file, "utf8");
        return text
            .split("\n")
            .slice(-lines - 1)
            .join("\n");
    } catch {
        return "";
    }
}

function readState(stateDir: string): TestHostInfo | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILE), "utf8")) as TestHostInfo;
    } catch {
        return undefined;
    }
}

/** Whether a VM started in `stateDir` is running, and how to reach it. */
export function testHostStatus(stateDir: string = defaultStateDir()): TestHostStatus {
    const info = readState(stateDir);
    const running = info !== undefined && isOurQemu(info.pid, stateDir);
    const dockerForward = dockerForwardRunning(stateDir);
    return { running, stateDir, dockerForward, ...(info ? { info } : {}) };
}

/**
 * Restarts the docker socket forward of the VM running in `stateDir` when it is not running (e.g.
 * killed by hand), so that its `dockerHost` answers again; waits until dockerd answers on it.
 * The new forward outlives this process when `keepAfterExit`. Fails when no VM runs there.
 */
export async function ensureDockerForward(
    stateDir: string,
    opts: { keepAfterExit?: boolean; timeoutMs?: number } = {},
): Promise<void> {
    const info = readState(stateDir);
    if (!info || !isOurQemu(info.pid, stateDir)) {
        throw new Error(`testhost: no VM running in ${stateDir}`);
    }
    if (!dockerForwardRunning(stateDir)) {
        await startDockerForward(info, info.pid, { keepAfterExit: opts.keepAfterExit });
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 120000);
    while (!(await dockerPing(dockerSocketPath(stateDir)))) {
        if (Date.now() > deadline) {
            throw new Error(
                `testhost: dockerd does not answer on ${dockerSocketPath(stateDir)}:\n${dockerForwardLog(stateDir)}`,
            );
        }
        await sleep(1000);
    }
}

/**
 * Stops the VM of `stateDir` (SIGTERM, then SIGKILL after 10 s) and deletes its overlay and key.
 * The console log stays for post-mortems. Stopping a stopped VM is a no-op. With `keepDisk`, the
 * guest's caches are synced to its disk first, and its disk, key and ports are kept (see
 * {@link StopTestHostOptions}).
 */
export async function stopTestHost(
    stateDir: string = defaultStateDir(),
    opts: StopTestHostOptions = {},
): Promise<void> {
    const info = readState(stateDir);
    let pid: number | undefined = info?.pid;
    if (pid === undefined) {
        try {
            pid = Number(fs.readFileSync(path.join(stateDir, "qemu.pid"), "utf8").trim());
        } catch {
            pid = undefined;
        }
    }
    const running = pid !== undefined && pid > 0 && isOurQemu(pid, stateDir);
    await stopDockerForward(stateDir);
    if (running && opts.keepDisk && info) {
        // Flush the guest's caches to the disk, then cut the power: a clean `poweroff` took over two
        // minutes under TCG on a busy machine, and the kept disk only needs its data written.
        try {
            await syncGuest(info, 60000);
        } catch {
            // unreachable guest: the disk is kept as it is
        }
    }
    if (running && isOurQemu(pid!, stateDir)) {
        process.kill(pid!, "SIGTERM");
        const deadline = Date.now() + 10000;
        while (isOurQemu(pid!, stateDir) && Date.now() < deadline) {
            await sleep(100);
        }
        if (isOurQemu(pid!, stateDir)) {
            process.kill(pid!, "SIGKILL");
            while (isOurQemu(pid!, stateDir)) await sleep(100);
        }
    }
    if (opts.keepDisk) {
        fs.rmSync(path.join(stateDir, "qemu.pid"), { force: true });
        return;
    }
    for (const f of [STATE_FILE, "overlay.qcow2", "qemu.pid", "id_ed25519", "id_ed25519.pub"]) {
        fs.rmSync(path.join(stateDir, f), { force: true });
    }
}

const SSH_KEY_ARG = "pulumi_apparmor.authorized_key";

/**
 * An ed25519 key pair in OpenSSH format whose public key is 32 bytes. ssh2's generateKeyPairSync
 * drops a leading zero byte of the public key (about 1 key in 256: the blob then says 31 bytes,
 * `AAAAC3NzaC1lZDI1NTE5AAAAH…`), and neither OpenSSH nor ssh2 can log in with such a pair: the boot
 * would wait for SSH until it gives up. Such a pair is drawn again.
 */
export function ed25519KeyPair(
    comment: string,
    generate: () => { private: string; public: string } = () =>
        sshUtils.generateKeyPairSync("ed25519", { comment }),
): { private: string; public: string } {
    for (;;) {
        const keys = generate();
        if (ed25519PublicKeyBytes(keys.public) === 32) return keys;
    }
}

/** Length of the key field of an OpenSSH `ssh-ed25519 BASE64 …` public key line (-1: not one). */
export function ed25519PublicKeyBytes(line: string): number {
    const blob = Buffer.from(line.split(" ")[1] ?? "", "base64");
    const type = "ssh-ed25519";
    if (blob.length < 4 + type.length + 4) return -1;
    if (blob.readUInt32BE(0) !== type.length) return -1;
    if (blob.subarray(4, 4 + type.length).toString("latin1") !== type) return -1;
    const n = blob.readUInt32BE(4 + type.length);
    return blob.length === 4 + type.length + 4 + n ? n : -1;
}

/**
 * Boots a test host and waits until SSH works, dockerd answers on the forwarded socket and the
 * `local/busybox:latest` image exists (and, when the kernel has AppArmor on, until docker reports
 * AppArmor in its SecurityOptions). A VM already running in the same state dir is stopped first.
 * Builds the image on first use.
 *
 * A guest kernel that panics while booting (seen rarely under QEMU's TCG emulation on a loaded
 * machine, in early kernel init, before any of this project's code runs) is booted once more.
 * With `reuseDisk`, a boot that fails keeps the disk (as `stopTestHost(dir, { keepDisk: true })`
 * does), so that second boot, or the caller's, boots the same disk.
 */
export async function startTestHost(opts: TestHostOptions = {}): Promise<TestHostInfo> {
    if (snapshotUsable(opts)) {
        const restored = await restoreTestHost(opts);
        if (restored) return restored;
    }
    return coldBoot(opts, {});
}

/** A boot from the kernel up, booted once more after a guest kernel panic (see startTestHost). */
async function coldBoot(opts: TestHostOptions, mode: BootMode): Promise<TestHostInfo> {
    try {
        return await bootTestHost(opts, mode);
    } catch (e) {
        if (!isBootPanic(e)) throw e;
        (opts.log ?? (() => undefined))("the guest kernel panicked while booting; booting again");
        return bootTestHost(opts, mode);
    }
}

/** How `bootTestHost` starts QEMU: with a QMP socket (the snapshot's template), or restoring one. */
interface BootMode {
    readonly qmpSocket?: string;
    readonly restore?: SnapshotFiles;
}

let qemuVersionLine: string | undefined;
function qemuVersion(): string {
    qemuVersionLine ??= spawnSync("qemu-system-x86_64", ["--version"], {
        encoding: "utf8",
    }).stdout.split("\n")[0];
    return qemuVersionLine;
}

/**
 * Restores the VM from its image's snapshot (made first when there is none): undefined when that
 * fails, after saying why, so that the caller boots cold. A snapshot whose restore failed is dropped.
 */
async function restoreTestHost(opts: TestHostOptions): Promise<TestHostInfo | undefined> {
    const log = opts.log ?? (() => undefined);
    if (!which("qemu-system-x86_64") || !which("qemu-img")) return undefined; // the cold boot says why
    const release = checkRelease(opts.release ?? "bookworm");
    const image = await ensureImage(log, release);
    const shape = qemuArgs({
        image,
        cpus: guestCpus(opts.cpus),
        memoryMiB: opts.memoryMiB ?? 2048,
        append: kernelAppend("KEY", []),
        overlay: "OVERLAY",
        sshPort: 0,
        consoleLog: "CONSOLE",
        pidFile: "PID",
    });
    const dir = path.join(image.dir, snapshotName(qemuVersion(), shape));
    let snap: SnapshotFiles | undefined;
    try {
        snap =
            readSnapshot(dir) ??
            (await withSnapshotLock(dir, async () => readSnapshot(dir) ?? makeSnapshot(opts, dir)));
    } catch (e) {
        log(`could not make the VM snapshot, booting cold: ${(e as Error).message}`);
        return undefined;
    }
    try {
        // A restored VM answers in seconds; one that does not within minutes will not.
        const bootTimeoutMs = Math.min(opts.bootTimeoutMs ?? 300000, 300000);
        return await bootTestHost({ ...opts, bootTimeoutMs }, { restore: snap });
    } catch (e) {
        log(`restoring the VM snapshot failed, booting cold: ${(e as Error).message}`);
        dropSnapshot(dir);
        return undefined;
    }
}

/**
 * Boots the template VM cold (with a QMP socket), quiets it (caches synced, SSH sessions closed) and
 * saves it into `dir` (see snapshot.ts). The template's state dir is short-lived and outside the
 * cache's image folder: its socket paths must stay short.
 */
async function makeSnapshot(opts: TestHostOptions, dir: string): Promise<SnapshotFiles> {
    const log = opts.log ?? (() => undefined);
    const run = path.join(cacheRoot(), "testhost-run");
    privateDir(run);
    const vmDir = path.join(run, `template-${process.pid}`);
    const qmpSocket = path.join(vmDir, "qmp.sock");
    log(`making the VM snapshot (once per image and VM shape): ${dir}`);
    const t0 = Date.now();
    const info = await coldBoot(
        { ...opts, stateDir: vmDir, keepAfterExit: false, snapshot: false },
        { qmpSocket },
    );
    try {
        await syncGuest(info, 120000);
        await stopDockerForward(vmDir);
        await sleep(2000); // the guest's sshd ends the closed sessions
        await qmpSaveAndQuit(qmpSocket, SNAPSHOT_TAG);
        const deadline = Date.now() + 30000;
        while (isOurQemu(info.pid, vmDir) && Date.now() < deadline) await sleep(100);
        privateDir(dir);
        for (const f of ["overlay.qcow2", "id_ed25519", "id_ed25519.pub"]) {
            fs.renameSync(path.join(vmDir, f), path.join(dir, f));
        }
        markSnapshotReady(dir);
    } finally {
        await stopTestHost(vmDir);
        fs.rmSync(vmDir, { recursive: true, force: true });
    }
    log(`VM snapshot made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const snap = readSnapshot(dir);
    if (!snap) throw new Error(`testhost: the snapshot in ${dir} is incomplete`);
    return snap;
}

/** The kernel command line: the fixed part, the client key and the caller's extras. */
function kernelAppend(keyArg: string, kernelArgs: readonly string[]): string {
    return [
        "root=/dev/vda",
        "rw",
        "console=ttyS0",
        // Kernel chatter off the (slow, emulated) serial console; systemd's status lines stay.
        "loglevel=4",
        // A throwaway VM: CPU-bug mitigations only slow the emulated CPU down.
        "mitigations=off",
        "panic=-1",
        `${SSH_KEY_ARG}=${keyArg}`,
        ...kernelArgs,
    ].join(" ");
}

/** QEMU's arguments for a VM (without the QMP socket or `-loadvm`, which only some boots add). */
function qemuArgs(vm: {
    readonly image: TestHostImage;
    readonly cpus: number;
    readonly memoryMiB: number;
    readonly append: string;
    readonly overlay: string;
    readonly sshPort: number;
    readonly consoleLog: string;
    readonly pidFile: string;
}): string[] {
    return [
        "-name",
        "pulumi-apparmor-testhost",
        "-nodefaults",
        "-accel",
        "tcg,thread=multi",
        "-cpu",
        "max",
        "-m",
        String(vm.memoryMiB),
        "-smp",
        String(vm.cpus),
        "-kernel",
        vm.image.kernel,
        "-initrd",
        vm.image.initrd,
        "-append",
        vm.append,
        "-drive",
        `file=${vm.overlay},if=virtio,format=qcow2,cache=unsafe`,
        // restrict=on: the guest reaches nothing outside itself; only the forward comes in.
        "-netdev",
        `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${vm.sshPort}-:22`,
        "-device",
        "virtio-net-pci,netdev=n0",
        "-object",
        "rng-random,filename=/dev/urandom,id=rng0",
        "-device",
        "virtio-rng-pci,rng=rng0",
        // A new generation ID at every QEMU start: a restored guest's kernel reseeds its RNG.
        "-device",
        "vmgenid,guid=auto",
        "-serial",
        `file:${vm.consoleLog}`,
        "-display",
        "none",
        "-monitor",
        "none",
        "-no-reboot",
        "-pidfile",
        vm.pidFile,
    ];
}

/** Whether `e` is a boot that failed because the guest kernel panicked (its console says so). */
export function isBootPanic(e: unknown): boolean {
    const m = e instanceof Error ? e.message : "";
    return /^testhost: qemu exited during boot/.test(m) && /Kernel panic - not syncing/.test(m);
}

async function bootTestHost(opts: TestHostOptions, mode: BootMode): Promise<TestHostInfo> {
    const log = opts.log ?? (() => undefined);
    const cpus = guestCpus(opts.cpus);
    const missing = ["qemu-system-x86_64", "qemu-img"].filter((t) => !which(t));
    if (missing.length > 0) {
        throw new Error(
            `testhost: ${missing.join(", ")} not found; install with: apt-get install qemu-system-x86 qemu-utils`,
        );
    }
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir());
    checkSocketPath(stateDir);
    const kernelArgs = [...(opts.kernelArgs ?? [])];
    for (const a of kernelArgs) {
        if (!/^[A-Za-z0-9_.,:=/+-]+$/.test(a) || a.startsWith(SSH_KEY_ARG)) {
            throw new Error(`testhost: kernel argument "${a}" is not allowed`);
        }
    }
    // A reboot of a kept disk runs the release that disk was made from.
    const keptRelease = opts.reuseDisk ? readState(stateDir)?.release : undefined;
    const release = checkRelease(opts.release ?? keptRelease ?? "bookworm");
    const image = await ensureImage(log, release);
    if (path.dirname(stateDir) === path.join(cacheRoot(), "testhost-run")) {
        privateDir(path.dirname(stateDir));
    }
    privateDir(stateDir);
    const privateKeyPath = path.join(stateDir, "id_ed25519");
    const overlay = path.join(stateDir, "overlay.qcow2");
    let kept: TestHostInfo | undefined;
    if (opts.reuseDisk) {
        // A reboot of the kept disk: same key and ports (see StopTestHostOptions.keepDisk).
        kept = readState(stateDir);
        if (!kept || !fs.existsSync(overlay) || !fs.existsSync(`${privateKeyPath}.pub`)) {
            throw new Error(
                `testhost: no kept disk in ${stateDir} (stop the host with stopTestHost(dir, { keepDisk: true }) first)`,
            );
        }
        if (isOurQemu(kept.pid, stateDir)) {
            throw new Error(`testhost: the VM of ${stateDir} is still running (pid ${kept.pid})`);
        }
        if (kept.image !== image.dir) {
            throw new Error(`testhost: the kept disk of ${stateDir} was made from another image`);
        }
        fs.rmSync(path.join(stateDir, STATE_FILE), { force: true });
    } else {
        await stopTestHost(stateDir);
        fs.rmSync(overlay, { force: true });
        if (mode.restore) {
            // The saved guest's key and disk (the overlay also holds the saved machine state).
            fs.copyFileSync(mode.restore.privateKey, privateKeyPath);
            fs.copyFileSync(mode.restore.publicKey, `${privateKeyPath}.pub`);
            fs.copyFileSync(mode.restore.overlay, overlay);
        } else {
            // Per-run client key pair; the public half goes to the guest on the kernel command line.
            const keys = ed25519KeyPair("pulumi-apparmor-testhost");
            fs.writeFileSync(privateKeyPath, keys.private, { mode: 0o600 });
            fs.writeFileSync(`${privateKeyPath}.pub`, `${keys.public}\n`, { mode: 0o644 });
            createOverlay(image.disk, overlay);
        }
    }
    // The overlay holds what the guest writes (authorized keys, docker state): private too.
    fs.chmodSync(overlay, 0o600);
    fs.chmodSync(privateKeyPath, 0o600);
    const publicKey = fs.readFileSync(`${privateKeyPath}.pub`, "utf8");
    const keyArg = Buffer.from(publicKey.trim()).toString("base64");

    const consoleLog = path.join(stateDir, "console.log");
    const qemuLog = path.join(stateDir, "qemu.log");
    // Generous: a 2-core machine shared with other heavy jobs has taken 9 minutes to get dockerd up.
    const bootTimeoutMs = opts.bootTimeoutMs ?? 1200000;

    // Ports are picked free just before QEMU binds them; retry if another process won the race.
    let child: ReturnType<typeof spawn> | undefined;
    let sshPort = 0;
    let started = 0;
    for (let attempt = 1; ; attempt++) {
        sshPort = kept ? kept.port : await freePort();
        const args = qemuArgs({
            image,
            cpus,
            memoryMiB: opts.memoryMiB ?? 2048,
            append: kernelAppend(keyArg, kernelArgs),
            overlay,
            sshPort,
            consoleLog,
            pidFile: path.join(stateDir, "qemu.pid"),
        });
        if (mode.qmpSocket) args.push("-qmp", `unix:${mode.qmpSocket},server=on,wait=off`);
        if (mode.restore) args.push("-loadvm", SNAPSHOT_TAG);
        const logFd = fs.openSync(qemuLog, "w");
        started = Date.now();
        child = spawn("qemu-system-x86_64", args, {
            stdio: ["ignore", logFd, logFd],
            detached: opts.keepAfterExit === true,
        });
        fs.closeSync(logFd);
        const early = await new Promise<number | null | undefined>((resolve) => {
            const t = setTimeout(() => resolve(undefined), 1500);
            child!.once("exit", (code) => {
                clearTimeout(t);
                resolve(code);
            });
            child!.once("error", () => {
                clearTimeout(t);
                resolve(-1);
            });
        });
        if (early === undefined) break;
        const why = tailFile(qemuLog, 10);
        if (!kept && attempt < 3 && /host forwarding|Address already in use/i.test(why)) {
            log(`qemu could not bind its ports, retrying: ${why.trim()}`);
            continue;
        }
        throw new Error(`testhost: qemu exited at once (code ${early}):\n${why}`);
    }
    const pid = child!.pid!;
    if (opts.keepAfterExit) {
        child!.unref();
    } else {
        const kill = () => {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        };
        process.once("exit", kill);
        child!.once("exit", () => process.removeListener("exit", kill));
    }
    let exited = false;
    child!.once("exit", () => (exited = true));

    const knownHostsPath = path.join(stateDir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `[127.0.0.1]:${sshPort} ${image.hostKey}\n`);
    const partial = {
        host: "127.0.0.1",
        port: sshPort,
        user: "tester",
        rootUser: "root",
        privateKeyPath,
        hostKey: image.hostKey,
        knownHostsPath,
        dockerHost: dockerHostOf(stateDir),
        dockerSocket: dockerSocketPath(stateDir),
        consoleLog,
        stateDir,
        pid,
        kernelArgs,
        release,
        image: image.dir,
        ...(mode.restore ? { snapshot: mode.restore.dir } : {}),
    };
    log(
        `${mode.restore ? "restoring" : "booting"} ${release} (pid ${pid}, ssh 127.0.0.1:${sshPort})`,
    );

    const fail = async (why: string): Promise<never> => {
        const tail = tailFile(consoleLog, 30);
        if (kept) {
            // A failed boot of a kept disk keeps that disk, its key, ports and state, so it can be
            // booted again (startTestHost's second boot after a guest kernel panic).
            await stopTestHost(stateDir, { keepDisk: true });
            fs.writeFileSync(path.join(stateDir, STATE_FILE), `${JSON.stringify(kept, null, 2)}\n`);
        } else {
            await stopTestHost(stateDir);
        }
        throw new Error(`testhost: ${why}\n--- console (${consoleLog}) ---\n${tail}`);
    };
    const deadline = started + bootTimeoutMs;

    // 1. SSH (as root) answers with the pinned host key and the run's key.
    let sshMs = 0;
    let client: Awaited<ReturnType<typeof connectSsh>> | undefined;
    let lastErr = "";
    while (!client) {
        if (exited) return fail(`qemu exited during boot: ${tailFile(qemuLog, 5)}`);
        if (Date.now() > deadline) return fail(`no SSH after ${bootTimeoutMs} ms (${lastErr})`);
        try {
            client = await connectSsh(partial, { asRoot: true, readyTimeoutMs: 30000 });
            sshMs = Date.now() - started;
        } catch (e) {
            lastErr = (e as Error).message;
            await sleep(2000);
        }
    }
    log(`ssh answered after ${(sshMs / 1000).toFixed(1)} s`);
    if (mode.restore) {
        // The restored guest's clock stood still since the save.
        const now = (Date.now() / 1000).toFixed(3);
        const r = await execOn(client, `date -u -s @${now} >/dev/null`, { timeoutMs: 30000 });
        if (r.code !== 0) return fail(`could not set the restored guest's clock: ${r.stderr}`);
    }

    // 2. The docker socket forward (over SSH, as the unprivileged user), then dockerd on it, the
    //    busybox image imported, AppArmor state consistent.
    let apparmor = false;
    let dockerMs = 0;
    try {
        try {
            await startDockerForward(partial, pid, { keepAfterExit: opts.keepAfterExit });
        } catch (e) {
            return fail(`could not start the docker socket forward: ${(e as Error).message}`);
        }
        for (;;) {
            if (exited) return fail("qemu exited during boot");
            if (Date.now() > deadline) {
                return fail(
                    `docker not ready after ${bootTimeoutMs} ms (socket forward: ${dockerForwardLog(stateDir)})`,
                );
            }
            const r: ExecResult = await execOn(
                client,
                "test -e /run/pulumi-apparmor-ready && cat /sys/module/apparmor/parameters/enabled 2>/dev/null; " +
                    "test -e /run/pulumi-apparmor-ready && docker info --format '{{json .SecurityOptions}}'",
                { timeoutMs: 60000 },
            );
            if (r.code === 0 && (await dockerPing(partial.dockerSocket))) {
                const [enabled, secopts] = r.stdout.trim().split("\n");
                apparmor = enabled === "Y";
                if (apparmor && !/apparmor/.test(secopts ?? "")) {
                    return fail(`AppArmor is on but docker does not use it: ${secopts}`);
                }
                dockerMs = Date.now() - started;
                break;
            }
            const state = await execOn(
                client,
                "systemctl is-failed docker.service pulumi-apparmor-ready.service",
                {
                    timeoutMs: 30000,
                },
            );
            if (/^failed$/m.test(state.stdout)) {
                const j = await execOn(
                    client,
                    "journalctl -b -u docker -u pulumi-apparmor-ready -n 30 --no-pager",
                );
                return fail(`docker or the busybox import failed:\n${j.stdout}`);
            }
            await sleep(2000);
        }
    } finally {
        client.end();
    }
    log(`docker ready after ${(dockerMs / 1000).toFixed(1)} s`);

    const info: TestHostInfo = { ...partial, apparmor, bootMs: { ssh: sshMs, docker: dockerMs } };
    fs.writeFileSync(path.join(stateDir, STATE_FILE), `${JSON.stringify(info, null, 2)}\n`);
    return info;
}
