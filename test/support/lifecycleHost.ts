/**
 * The VM of a lifecycle suite (issue #18): a suite that reboots its host, boots it with other kernel
 * arguments, re-keys it or powers it off cannot use the shared VM. Each such suite is a function of a
 * {@link LifecycleHost}:
 *  - `ownHost(release)`: a VM of the suite's own, booted by its first `up` and stopped by `done`
 *    (one boot per suite; what each bookworm file does);
 *  - `sharedLifecycleHost(release)`: one VM for several suites of one file, in sequence; `up(args)`
 *    reboots the same disk when the VM runs with other kernel arguments or was powered off, and
 *    `done` leaves it for the next suite (the file stops it). Each suite leaves the host as it found
 *    it (its profiles, containers, units and keys gone or restored), so trixie pays one boot for
 *    all of them instead of one each.
 */
import { startTestHost, stopTestHost } from "../../src/testhost";
import {
    closeConnections,
    startExtraTestHost,
    stopExtraTestHost,
    type Release,
    type TestHostInfo,
} from "./testhost";

export interface LifecycleHost {
    readonly release: Release;
    /**
     * The VM running with `kernelArgs` (none by default): booted if it is not yet, rebooted on the
     * same disk (same ports and keys) if it runs with other arguments or was powered off.
     */
    up(kernelArgs?: readonly string[]): Promise<TestHostInfo>;
    /** A clean guest poweroff, then a boot of the same disk with `kernelArgs` (none by default). */
    reboot(kernelArgs?: readonly string[]): Promise<TestHostInfo>;
    /** Powers the VM off (a host gone unreachable); a later `up` boots the same disk again. */
    powerOff(): Promise<void>;
    /** The suite is done with the VM: its own is stopped, a shared one is left for the next suite. */
    done(): Promise<void>;
}

const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);

/** A VM of `release`; `shared`: kept across suites (see the module comment). */
function lifecycleHost(
    release: Release,
    shared: boolean,
): LifecycleHost & { stop(): Promise<void> } {
    let info: TestHostInfo | undefined;
    let args: readonly string[] = [];
    let running = false;

    const boot = async (kernelArgs: readonly string[]): Promise<TestHostInfo> => {
        if (info) closeConnections(info);
        info = info
            ? await startTestHost({
                  stateDir: info.stateDir,
                  reuseDisk: true,
                  kernelArgs: [...kernelArgs],
              })
            : await startExtraTestHost({ release, kernelArgs: [...kernelArgs] });
        args = kernelArgs;
        running = true;
        return info;
    };
    /** Powers off, keeping the disk for the next boot, or stops for good (disk dropped). */
    const stop = async (keepDisk: boolean): Promise<void> => {
        if (!info) return;
        closeConnections(info);
        if (keepDisk) {
            if (running) await stopTestHost(info.stateDir, { keepDisk: true });
        } else {
            await stopExtraTestHost(info);
            info = undefined;
        }
        running = false;
    };
    const reboot = async (kernelArgs: readonly string[] = []): Promise<TestHostInfo> => {
        await stop(true);
        return boot(kernelArgs);
    };
    return {
        release,
        up: async (kernelArgs = []) =>
            info && running && same(args, kernelArgs) ? info : reboot(kernelArgs),
        reboot,
        powerOff: () => stop(shared),
        done: async () => {
            if (!shared) await stop(false);
            else if (info) closeConnections(info);
        },
        stop: () => stop(false),
    };
}

/** A VM of the suite's own (booted by its first `up`, stopped by `done`). */
export function ownHost(release: Release): LifecycleHost {
    return lifecycleHost(release, false);
}

/**
 * One VM for the suites of a file, in sequence: each suite's `done` leaves it running; stop it in
 * the file's last `after` hook with `stop()` (the root hook stops it otherwise).
 */
export function sharedLifecycleHost(release: Release): LifecycleHost & { stop(): Promise<void> } {
    return lifecycleHost(release, true);
}
