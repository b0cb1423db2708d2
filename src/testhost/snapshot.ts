/**
 * Snapshot-restored boots of the test host. A cold boot under TCG takes 40-100 s (kernel, systemd,
 * sshd, dockerd, the busybox import); restoring the memory and disk of a VM saved right after such a
 * boot takes a few seconds. The first boot of an image (per guest CPUs, memory and QEMU version) is a
 * cold one whose VM is then saved (`savevm` over QMP, an internal snapshot in its qcow2 overlay, next
 * to the image in the cache); every later boot copies that overlay and starts QEMU with `-loadvm`.
 *
 * What a restored VM shares with its template, and how it is made its own:
 *  - the client key of the template boot (it is in the saved guest's authorized_keys): kept in the
 *    snapshot folder (0700, beside the image that already holds the VM's host key) and copied into
 *    each state dir;
 *  - the guest's clock stops at the save: set from this machine right after SSH answers;
 *  - its kernel RNG state: `-device vmgenid` gives each QEMU start a new generation ID, on which the
 *    guest kernel reseeds;
 *  - its boot ID and kernel log (it is the same boot); a reboot (`reuseDisk`) boots cold as before.
 * A boot with kernel arguments, or a reboot of a kept disk, is always a cold boot.
 *
 * This file holds the pieces that need no QEMU process of their own: the key that names a snapshot,
 * the folder lock, the QMP exchange. `index.ts` boots the template and the restored VMs.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

/** The internal snapshot's tag in the template overlay. */
export const SNAPSHOT_TAG = "ready";
/** Set to `0` to boot every test host cold (no snapshot is made or used). */
export const SNAPSHOT_ENV = "PULUMI_APPARMOR_TESTHOST_SNAPSHOT";
/** Marks a complete snapshot folder (written last). */
const READY_FILE = "ready";

/** The files of a complete snapshot. */
export interface SnapshotFiles {
    readonly dir: string;
    /** The template VM's qcow2 overlay (backed by the image's disk), holding the internal snapshot. */
    readonly overlay: string;
    /** The client key pair authorized in the saved guest. */
    readonly privateKey: string;
    readonly publicKey: string;
}

/**
 * Whether a boot may be a restored one: not a reboot of a kept disk, no kernel arguments (they are
 * part of the saved kernel's command line), and snapshots not switched off by `opts.snapshot` or
 * `env[SNAPSHOT_ENV] === "0"`.
 */
export function snapshotUsable(
    opts: {
        readonly kernelArgs?: readonly string[];
        readonly reuseDisk?: boolean;
        readonly snapshot?: boolean;
    },
    env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
    if (opts.snapshot === false || env[SNAPSHOT_ENV] === "0") return false;
    return !opts.reuseDisk && (opts.kernelArgs ?? []).length === 0;
}

/**
 * The snapshot folder's name for a VM shape: a hash over everything a saved machine state depends on
 * (the QEMU version, the QEMU arguments with the per-VM paths and port replaced by placeholders).
 * The image is not in it: the folder lives in the image's own folder.
 */
export function snapshotName(qemuVersion: string, shapeArgs: readonly string[]): string {
    const h = createHash("sha256");
    h.update(`${qemuVersion}\0${shapeArgs.join("\0")}`);
    return `snapshot-${h.digest("hex").slice(0, 16)}`;
}

/** The complete snapshot in `dir`, or undefined when there is none (or it is half made). */
export function readSnapshot(dir: string): SnapshotFiles | undefined {
    const files: SnapshotFiles = {
        dir,
        overlay: path.join(dir, "overlay.qcow2"),
        privateKey: path.join(dir, "id_ed25519"),
        publicKey: path.join(dir, "id_ed25519.pub"),
    };
    const complete = [READY_FILE, "overlay.qcow2", "id_ed25519", "id_ed25519.pub"].every((f) =>
        fs.existsSync(path.join(dir, f)),
    );
    return complete ? files : undefined;
}

/** Marks `dir` complete (its overlay and keys are in place). */
export function markSnapshotReady(dir: string): void {
    fs.writeFileSync(path.join(dir, READY_FILE), `${new Date().toISOString()}\n`, { mode: 0o600 });
}

/** Removes a snapshot (e.g. one whose restore failed), so that the next boot makes a new one. */
export function dropSnapshot(dir: string): void {
    fs.rmSync(path.join(dir, READY_FILE), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
}

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/**
 * Runs `fn` holding `dir`'s lock (a `DIR.lock` folder with the holder's pid; a lock whose holder
 * died is taken over), so that concurrent boots make one snapshot and the others wait for it.
 */
export async function withSnapshotLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const lock = `${dir}.lock`;
    const owner = path.join(lock, "pid");
    for (;;) {
        try {
            fs.mkdirSync(lock, { mode: 0o700 });
            fs.writeFileSync(owner, String(process.pid));
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            let holder = NaN;
            try {
                holder = Number(fs.readFileSync(owner, "utf8"));
            } catch {
                // being written: wait
            }
            if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
                fs.rmSync(lock, { recursive: true, force: true });
                continue;
            }
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
    try {
        return await fn();
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}

/**
 * Over the QMP socket of a running QEMU: `savevm TAG` (the VM pauses while its memory and devices are
 * written into its qcow2 overlay), then `quit`. Throws with QEMU's answer when the save fails.
 */
export function qmpSaveAndQuit(socket: string, tag: string, timeoutMs = 600000): Promise<void> {
    return new Promise((resolve, reject) => {
        const conn = net.connect(socket);
        const timer = setTimeout(() => {
            conn.destroy();
            reject(new Error(`testhost: QMP savevm did not finish in ${timeoutMs} ms`));
        }, timeoutMs);
        const steps = [
            { execute: "qmp_capabilities" },
            { execute: "human-monitor-command", arguments: { "command-line": `savevm ${tag}` } },
            { execute: "quit" },
        ];
        let step = -1; // -1: waiting for the greeting
        let buffered = "";
        let done = false;
        const finish = (err?: Error): void => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            conn.destroy();
            if (err) reject(err);
            else resolve();
        };
        conn.on("data", (d: Buffer) => {
            buffered += d.toString("utf8");
            let nl: number;
            while ((nl = buffered.indexOf("\n")) >= 0) {
                const line = buffered.slice(0, nl).trim();
                buffered = buffered.slice(nl + 1);
                if (line === "") continue;
                let msg: {
                    QMP?: unknown;
                    event?: string;
                    return?: unknown;
                    error?: { desc?: string };
                };
                try {
                    msg = JSON.parse(line) as typeof msg;
                } catch {
                    return finish(new Error(`testhost: QMP: not JSON: ${line.slice(0, 200)}`));
                }
                if (msg.event !== undefined) continue;
                if (msg.error) return finish(new Error(`testhost: QMP: ${msg.error.desc ?? line}`));
                // savevm reports failure as text in its (successful) return value.
                if (step === 1 && typeof msg.return === "string" && msg.return.trim() !== "") {
                    return finish(new Error(`testhost: savevm failed: ${msg.return.trim()}`));
                }
                step++;
                if (step === steps.length) return finish();
                conn.write(`${JSON.stringify(steps[step])}\n`);
            }
        });
        // After `quit` QEMU closes the socket: the save is complete.
        conn.on("close", () =>
            step >= steps.length - 1
                ? finish()
                : finish(new Error("testhost: QEMU closed its QMP socket")),
        );
        conn.on("error", (e) => finish(new Error(`testhost: QMP: ${e.message}`)));
    });
}
