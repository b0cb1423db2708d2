/**
 * `pulumi-apparmor testhost start|stop|status|build`: a disposable QEMU VM with AppArmor, sshd and dockerd
 * for trying profiles from a machine whose kernel has no AppArmor.
 */
import type { CliIo } from "./main";
import {
    checkRelease,
    ensureImage,
    startTestHost,
    stopTestHost,
    testHostStatus,
    type TestHostRelease,
} from "../testhost";

const USAGE = `usage: pulumi-apparmor testhost start [--release bookworm|trixie] [--state-dir DIR]
                                       [--memory MIB] [--cpus N] [--kernel-arg ARG]...
                                       [--timeout SECONDS] [--no-snapshot]
       pulumi-apparmor testhost stop [--state-dir DIR]
       pulumi-apparmor testhost status [--state-dir DIR]
       pulumi-apparmor testhost build [--release bookworm|trixie]

start  boots the VM (building its image on first use, a few minutes, needs root and debootstrap) and
       prints one JSON object: host, port, user, rootUser, privateKeyPath, hostKey, knownHostsPath,
       dockerHost, dockerSocket, consoleLog, stateDir, pid, release. --release: Debian bookworm (12:
       kernel 6.1, AppArmor 3.0; the default) or trixie (13: kernel 6.12, AppArmor 4.1); each
       release's image is cached on its own. Run VMs of both side by side with two --state-dir.
       --cpus: guest CPUs (default $PULUMI_APPARMOR_TESTHOST_CPUS, else 2; without KVM each is a host
       thread, so several VMs on a small machine run faster with 1 each). --memory: MiB (default 2048).
       The first start of an image saves the booted VM as a snapshot next to the image (about 10 s
       more); later starts restore it in seconds instead of booting (40-100 s). A start with
       --kernel-arg, or with --no-snapshot ($PULUMI_APPARMOR_TESTHOST_SNAPSHOT=0), boots cold.
       Progress goes to stderr, the console to
       consoleLog. The VM reaches nothing outside itself; only its sshd is forwarded (127.0.0.1:PORT).
       ssh -i KEY -o UserKnownHostsFile=KNOWN_HOSTS -o StrictHostKeyChecking=yes -p PORT tester@127.0.0.1
       DOCKER_HOST=unix://STATE_DIR/docker.sock docker ps
         (dockerHost: a socket, mode 0600, forwarded over SSH to the VM's /var/run/docker.sock; it
         lives as long as the VM; dockerd has no TCP listener)
stop   stops it (and the docker socket forward) and deletes its overlay disk and key.
status prints {"running": bool, "dockerForward": bool, ...} as JSON; exit code 0 when running, 1 when not.
build  builds the image of the release (default bookworm) unless cached and prints its directory.
State dir default: $PULUMI_APPARMOR_CACHE/testhost-run/default (cache default /var/cache/pulumi-apparmor);
the cache and state dirs are private (0700): they hold the keys.
`;

interface Parsed {
    release?: TestHostRelease;
    stateDir?: string;
    memoryMiB?: number;
    cpus?: number;
    kernelArgs: string[];
    timeoutS?: number;
    snapshot?: boolean;
}

function parse(args: string[]): Parsed | string {
    const out: Parsed = { kernelArgs: [] };
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const value = (): string | undefined => args[++i];
        const num = (name: string): number | string => {
            const v = value();
            const n = Number(v);
            return v !== undefined && Number.isInteger(n) && n > 0
                ? n
                : `${name} needs a positive integer`;
        };
        if (a === "--release") {
            const v = value();
            if (!v) return "--release needs bookworm or trixie";
            try {
                out.release = checkRelease(v);
            } catch {
                return `--release: unknown release "${v}" (expected bookworm or trixie)`;
            }
        } else if (a === "--state-dir") {
            const v = value();
            if (!v) return "--state-dir needs a directory";
            out.stateDir = v;
        } else if (a === "--no-snapshot") {
            out.snapshot = false;
        } else if (a === "--kernel-arg") {
            const v = value();
            if (!v) return "--kernel-arg needs a value";
            out.kernelArgs.push(v);
        } else if (a === "--memory" || a === "--cpus" || a === "--timeout") {
            const n = num(a);
            if (typeof n === "string") return n;
            if (a === "--memory") out.memoryMiB = n;
            else if (a === "--cpus") out.cpus = n;
            else out.timeoutS = n;
        } else {
            return `unknown option "${a}"`;
        }
    }
    return out;
}

export async function run(args: string[], io: CliIo): Promise<number> {
    const [verb, ...rest] = args;
    if (verb === "-h" || verb === "--help" || verb === "help") {
        io.stdout.write(USAGE);
        return 0;
    }
    const opts = parse(rest);
    if (typeof opts === "string" || !["start", "stop", "status", "build"].includes(verb ?? "")) {
        io.stderr.write(
            `pulumi-apparmor testhost: ${typeof opts === "string" ? opts : "missing or unknown command"}\n${USAGE}`,
        );
        return 2;
    }
    const log = (m: string) => io.stderr.write(`testhost: ${m}\n`);
    try {
        switch (verb) {
            case "build": {
                const image = await ensureImage(log, opts.release);
                io.stdout.write(`${image.dir}\n`);
                return 0;
            }
            case "start": {
                const info = await startTestHost({
                    release: opts.release,
                    stateDir: opts.stateDir,
                    kernelArgs: opts.kernelArgs,
                    memoryMiB: opts.memoryMiB,
                    cpus: opts.cpus,
                    bootTimeoutMs: opts.timeoutS !== undefined ? opts.timeoutS * 1000 : undefined,
                    keepAfterExit: true,
                    snapshot: opts.snapshot,
                    log,
                });
                io.stdout.write(`${JSON.stringify(info)}\n`);
                return 0;
            }
            case "stop":
                await stopTestHost(opts.stateDir);
                return 0;
            default: {
                const status = testHostStatus(opts.stateDir);
                const body =
                    status.running && status.info
                        ? { running: true, dockerForward: status.dockerForward, ...status.info }
                        : { running: false, stateDir: status.stateDir };
                io.stdout.write(`${JSON.stringify(body)}\n`);
                return status.running ? 0 : 1;
            }
        }
    } catch (e) {
        io.stderr.write(`pulumi-apparmor testhost: ${(e as Error).message}\n`);
        return 1;
    }
}
