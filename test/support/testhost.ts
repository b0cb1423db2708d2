/**
 * The test VM for mocha: one per mocha process (one per worker when mocha runs in parallel, as `npm test`
 * does), booted lazily by the first test that asks for it and stopped by the root hooks in `hooks.ts`
 * (registered in `.mocharc.json`). Test files share it one after the other: each cleans up what it
 * creates, and none may rely on running first or alone.
 *
 *     import { sharedTestHost, sshExec } from "../support/testhost";
 *     before(async function () { this.timeout(900_000); host = await sharedTestHost(); });
 *     const r = await sshExec(host, "cat /sys/module/apparmor/parameters/enabled");  // { code, stdout, stderr }
 *     await sshExec(host, "apparmor_parser -r -W", { asRoot: true, stdin: profileText });
 *
 * A VM is restored from its image's snapshot in seconds (src/testhost/snapshot.ts); the first boot of an
 * image boots cold and makes that snapshot, 1-3 minutes under TCG on an idle machine, far longer on a
 * busy one (9 min seen), and the first run ever also builds the image (4-17 min): give the `before`
 * hook that calls `sharedTestHost()` a generous timeout (1_800_000 ms); the boot itself gives up after
 * 20 minutes.
 *
 * Environment:
 *  - PULUMI_APPARMOR_TESTHOST_STATE=DIR: use the VM already running in DIR (started with
 *    `pulumi-apparmor testhost start --state-dir DIR`) instead of booting one; it is not stopped at the end.
 *    Handy while iterating on tests; each test must still clean up what it creates. Its docker socket
 *    forward is restarted (and left running) if it had stopped.
 *
 * Other VMs (e.g. booted with `apparmor=0`): `startExtraTestHost({ kernelArgs: ["apparmor=0"] })`; it is
 * stopped by the same root hook. The shared VM runs Debian 12 bookworm; `sharedVm(release)` gives the
 * shared VM of any release the same way (`sharedVm("trixie")`, alias `sharedTrixieHost()`: Debian 13,
 * kernel 6.12, AppArmor 4.1, its own cached image), which honours PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR
 * (the trixie VM already running in DIR, started with `pulumi-apparmor testhost start --release trixie
 * --state-dir DIR`; it is not stopped at the end); a trixie VM for one file alone is
 * `startExtraTestHost({ release: "trixie" })`.
 */
import * as fs from "fs";
import * as path from "path";
import type { Client } from "ssh2";
import {
    cacheRoot,
    connectSsh,
    ensureDockerForward,
    execOn,
    startTestHost,
    stopTestHost,
    tailFile,
    testHostStatus,
    type ExecResult,
    type TestHostInfo,
    type TestHostOptions,
} from "../../src/testhost";

export type { ExecResult, TestHostInfo } from "../../src/testhost";

const runDir = path.join(cacheRoot(), "testhost-run");
/** State dirs this process booted (and must stop). */
const owned = new Set<string>();
/** What each of those VMs answered when it came up. */
const booted = new Map<string, TestHostInfo>();
let extraCount = 0;

function log(message: string): void {
    if (process.env.PULUMI_APPARMOR_TESTHOST_QUIET !== "1") {
        process.stderr.write(`    [testhost] ${message}\n`);
    }
}

/**
 * Stops VMs left behind by mocha processes that died without stopping theirs (and removes their state
 * folders). Run before each boot and by the root hooks' global teardown, which also waits (up to
 * `waitForChildrenMs`) for this process's own child processes — mocha's parallel workers — to exit first.
 */
export async function reapOrphans(waitForChildrenMs = 0): Promise<void> {
    let entries: string[] = [];
    try {
        entries = fs.readdirSync(runDir);
    } catch {
        return;
    }
    for (const name of entries) {
        const m = /^(mocha|template)-(\d+)(?:-\d+|-trixie)?$/.exec(name);
        if (!m) continue;
        const ownerPid = Number(m[2]);
        // A snapshot's template VM (src/testhost/snapshot.ts) is its maker's until that process dies.
        if (m[1] === "template" && ownerPid === process.pid) continue;
        const deadline = Date.now() + waitForChildrenMs;
        while (Date.now() < deadline && isChildAlive(ownerPid)) {
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        let alive = true;
        try {
            process.kill(ownerPid, 0);
        } catch {
            alive = false;
        }
        if (!alive || ownerPid === process.pid) {
            if (ownerPid === process.pid && owned.has(path.join(runDir, name))) continue;
            await stopTestHost(path.join(runDir, name));
            fs.rmSync(path.join(runDir, name), { recursive: true, force: true });
        }
    }
}

/** Whether `pid` is a live child process of this one (a parallel mocha worker). */
function isChildAlive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // Fields after the parenthesised command name: state, ppid, …
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid;
    } catch {
        return false;
    }
}

let signalsHooked = false;

/**
 * A mocha killed by SIGTERM/SIGHUP (e.g. by `timeout`) would otherwise exit without "exit" handlers and
 * leave its VMs running: exit properly so `startTestHost`'s exit handler kills them.
 */
function hookSignals(): void {
    if (signalsHooked) return;
    signalsHooked = true;
    for (const [sig, code] of [
        ["SIGTERM", 143],
        ["SIGHUP", 129],
    ] as const) {
        process.once(sig, () => process.exit(code));
    }
}

async function boot(
    stateDir: string,
    opts: Omit<TestHostOptions, "stateDir">,
): Promise<TestHostInfo> {
    hookSignals();
    owned.add(stateDir);
    const t0 = Date.now();
    const info = await startTestHost({ ...opts, stateDir, log });
    booted.set(stateDir, info);
    log(
        `up in ${((Date.now() - t0) / 1000).toFixed(1)} s (ssh ${(info.bootMs.ssh / 1000).toFixed(1)} s, ` +
            `docker ${(info.bootMs.docker / 1000).toFixed(1)} s) at ${info.host}:${info.port}`,
    );
    return info;
}

/** A Debian release the test VMs run (`pulumi-apparmor testhost start --release`). */
export type Release = "bookworm" | "trixie";

/**
 * Per release: the env var naming an already-running VM to use, the suffix of the state dir this
 * process boots, and the release that VM must run (none: the bookworm variable accepts any release,
 * so that a bookworm-only file can be tried by hand on a VM of another release).
 */
const SHARED: Record<
    Release,
    { readonly env: string; readonly suffix: string; readonly mustRun?: Release }
> = {
    bookworm: { env: "PULUMI_APPARMOR_TESTHOST_STATE", suffix: "" },
    trixie: { env: "PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE", suffix: "-trixie", mustRun: "trixie" },
};
const sharedVms = new Map<Release, Promise<TestHostInfo>>();

/** The VM already running in `external` (its docker socket forward restarted if it had stopped). */
function externalVm(external: string, mustRun: Release | undefined): Promise<TestHostInfo> {
    const status = testHostStatus(path.resolve(external));
    const info = status.info;
    if (!status.running || !info)
        return Promise.reject(new Error(`no test host running in ${external}`));
    if (mustRun && info.release !== mustRun)
        return Promise.reject(
            new Error(`the test host in ${external} runs ${info.release}, not ${mustRun}`),
        );
    // A VM of an older image (docker on TCP) has no socket forward to restart.
    return info.dockerHost.startsWith("unix://")
        ? ensureDockerForward(info.stateDir, { keepAfterExit: true }).then(() => info)
        : Promise.resolve(info);
}

/**
 * The VM of `release` shared by every test of this mocha process (booted on the first call,
 * memoised, kept for the worker's next files and stopped by the root hook): the VM running in the
 * release's env var (left running) if set, else one this process boots. A failed boot is memoised
 * too, so the remaining tests fail fast with the same error. Test files share it one after the
 * other, each cleaning up what it creates. Give the calling hook a generous timeout (1_800_000 ms).
 */
export function sharedVm(release: Release): Promise<TestHostInfo> {
    let vm = sharedVms.get(release);
    if (!vm) {
        const { env, suffix, mustRun } = SHARED[release];
        const external = process.env[env];
        vm = external
            ? externalVm(external, mustRun)
            : reapOrphans().then(() =>
                  boot(
                      path.join(runDir, `mocha-${process.pid}${suffix}`),
                      release === "bookworm" ? {} : { release },
                  ),
              );
        sharedVms.set(release, vm);
    }
    return vm;
}

/** The Debian 12 bookworm VM shared by this mocha process: `sharedVm("bookworm")`. */
export function sharedTestHost(): Promise<TestHostInfo> {
    return sharedVm("bookworm");
}

/**
 * Boots another VM (e.g. `{ kernelArgs: ["apparmor=0"] }`, `{ release: "trixie" }`) owned by this
 * process; stop it with
 * `stopExtraTestHost(info)` when done (the root hook stops it otherwise).
 */
export async function startExtraTestHost(
    opts: Omit<TestHostOptions, "stateDir" | "keepAfterExit" | "log"> = {},
): Promise<TestHostInfo> {
    extraCount += 1;
    return boot(path.join(runDir, `mocha-${process.pid}-${extraCount}`), opts);
}

/** The Debian 13 trixie VM shared by this mocha process: `sharedVm("trixie")`. */
export function sharedTrixieHost(): Promise<TestHostInfo> {
    return sharedVm("trixie");
}

export async function stopExtraTestHost(info: TestHostInfo): Promise<void> {
    closeConnections(info);
    await stopTestHost(info.stateDir);
    owned.delete(info.stateDir);
}

const connections = new Map<string, Promise<Client>>();

function connKey(info: TestHostInfo, asRoot: boolean): string {
    return `${info.host}:${info.port}:${asRoot ? info.rootUser : info.user}`;
}

/** Ends this process's cached SSH connections (to `info`'s host only, if given): after a reboot or re-key. */
export function closeConnections(info?: TestHostInfo): void {
    for (const [key, conn] of connections) {
        if (!info || key.startsWith(`${info.host}:${info.port}:`)) {
            connections.delete(key);
            conn.then((c) => c.end()).catch(() => undefined);
        }
    }
}

function connection(info: TestHostInfo, asRoot: boolean): Promise<Client> {
    const key = connKey(info, asRoot);
    let conn = connections.get(key);
    if (!conn) {
        conn = connectSsh(info, { asRoot });
        connections.set(key, conn);
        conn.then(
            (c) => c.once("close", () => connections.get(key) === conn && connections.delete(key)),
            () => connections.get(key) === conn && connections.delete(key),
        );
    }
    return conn;
}

/**
 * Runs a shell command on the VM over SSH (one reused connection per host and user) and returns its
 * exit code and output; a non-zero exit does not throw. `asRoot` logs in as root (default: the
 * unprivileged `tester`, who has passwordless sudo). `stdin` is written to the command and closed.
 * `timeoutMs` (default 120000) rejects the promise when exceeded.
 */
export async function sshExec(
    info: TestHostInfo,
    command: string,
    opts: { stdin?: string | Buffer; asRoot?: boolean; timeoutMs?: number } = {},
): Promise<ExecResult> {
    const asRoot = opts.asRoot === true;
    const client = await connection(info, asRoot);
    try {
        return await execOn(client, command, opts);
    } catch (e) {
        // A dead connection: forget it so the next call reconnects; retry once if it never ran.
        connections.delete(connKey(info, asRoot));
        client.end();
        if (
            /No response from server|Not connected|channel open failure/i.test((e as Error).message)
        ) {
            return execOn(await connection(info, asRoot), command, opts);
        }
        throw e;
    }
}

/** A fresh, unshared SSH connection (e.g. to kill it mid-command); the caller ends it. */
export function openSsh(info: TestHostInfo, opts: { asRoot?: boolean } = {}): Promise<Client> {
    return connectSsh(info, opts);
}

/** The last lines of the VM's serial console. */
export function consoleTail(info: TestHostInfo, lines = 40): string {
    return tailFile(info.consoleLog, lines);
}

/** Whether this process booted (or attached to) a VM: the root hook prints console tails only then. */
export function testHostsInUse(): boolean {
    return sharedVms.size > 0 || owned.size > 0;
}

/** Console tails of every VM this process uses (for failure reports). */
export async function consoleTails(lines = 40): Promise<string> {
    const parts: string[] = [];
    const dirs = new Set<string>();
    for (const vm of sharedVms.values()) {
        const info = await vm.catch(() => undefined);
        if (!info) continue;
        dirs.add(info.stateDir);
        parts.push(`--- test host console (${info.consoleLog}) ---\n${consoleTail(info, lines)}`);
    }
    for (const dir of owned) {
        if (dirs.has(dir)) continue;
        const file = path.join(dir, "console.log");
        parts.push(`--- test host console (${file}) ---\n${tailFile(file, lines)}`);
    }
    return parts.join("\n");
}

/**
 * Stops the extra VMs (`startExtraTestHost`) this process booted and still runs, keeping the shared
 * one: what a parallel mocha worker does after each test file (its shared VM serves its next files and
 * is stopped when the worker exits).
 */
export async function stopExtraTestHosts(): Promise<void> {
    const sharedDirs = new Set<string | undefined>();
    for (const vm of sharedVms.values())
        if (vm) sharedDirs.add((await vm.catch(() => undefined))?.stateDir);
    for (const dir of [...owned]) {
        if (sharedDirs.has(dir)) continue;
        const info = booted.get(dir);
        if (info) closeConnections(info);
        await stopTestHost(dir);
        fs.rmSync(dir, { recursive: true, force: true });
        owned.delete(dir);
    }
}

/** Stops every VM this process booted (called by the root hook after all tests). */
export async function stopAllTestHosts(): Promise<void> {
    closeConnections();
    for (const dir of owned) {
        await stopTestHost(dir);
        fs.rmSync(dir, { recursive: true, force: true });
    }
    owned.clear();
    sharedVms.clear();
}

/**
 * The VM's systemd state the image promises (src/testhost/build-image.sh): no failed unit, and only
 * the fstab generator live (the image masks the others, which every boot and daemon-reload would
 * run). Returns the failed units and the live generators, one per line each.
 */
export async function systemdHealth(
    info: TestHostInfo,
): Promise<{ failedUnits: string; liveGenerators: string }> {
    const r = await sshExec(
        info,
        "systemctl --failed --no-legend --plain; echo ---; " +
            "for g in /usr/lib/systemd/system-generators/*; do " +
            'n=${g##*/}; [ "$(readlink /etc/systemd/system-generators/$n)" = /dev/null ] || echo "$n"; done',
        { asRoot: true },
    );
    if (r.code !== 0) throw new Error(`systemd state: exit ${r.code}: ${r.stderr}`);
    const [failedUnits, liveGenerators] = r.stdout.split("---\n");
    return { failedUnits: failedUnits.trim(), liveGenerators: (liveGenerators ?? "").trim() };
}
