/**
 * Part B of the rollout benchmark (see rollout-bench.ts): two test VMs and the real engine. The shared
 * test VM (`PULUMI_APPARMOR_TESTHOST_STATE` selects a running one) is host 1, an extra VM booted here
 * is host 2. Only this benchmark's profile (`pa-rbench`) is created and removed on them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Profile } from "../src/components";
import { createThrowawayStack } from "../test/support/engine";
import {
    sharedTestHost,
    sshExec,
    startExtraTestHost,
    stopAllTestHosts,
    type TestHostInfo,
} from "../test/support/testhost";
import { PROFILE_DIR as DIR, secureProfile } from "../test/support/vmStack";
import { traceReader, type TraceRuns } from "../test/support/trace";
import { renderProfile } from "../src/profile";
import { installCommand } from "../src/host";

const NAME = "pa-rbench";

/** "install × 4: 9.1 s, denials × 4: 3.2 s, …": the runs since the reader's previous call. */
function traceSummary(read: () => TraceRuns): string {
    const all = Object.entries(read())
        .map(([k, e]) => [k, e.count, e.ms.reduce((t, ms) => t + ms, 0)] as const)
        .sort((x, y) => y[2] - x[2]);
    const total = all.reduce((t, [, , ms]) => t + ms, 0);
    return (
        all.map(([k, n, ms]) => `${k} × ${n}: ${(ms / 1000).toFixed(1)} s`).join(", ") +
        ` (sum ${(total / 1000).toFixed(1)} s)`
    );
}

async function timed(f: () => Promise<unknown>): Promise<number> {
    const t0 = Date.now();
    await f();
    return (Date.now() - t0) / 1000;
}

/** `ssh` over a fresh connection to `vm` (its pinned host key) running `command`, `text` on stdin. */
function sshTimed(vm: TestHostInfo, command: string, text: string, what: string): number {
    const t0 = Date.now();
    const r = spawnSync(
        "ssh",
        [
            "-i",
            vm.privateKeyPath,
            "-o",
            `UserKnownHostsFile=${vm.knownHostsPath}`,
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-p",
            String(vm.port),
            `${vm.user}@${vm.host}`,
            command,
        ],
        { input: text, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`${what} failed: ${r.stdout} ${r.stderr}`);
    return (Date.now() - t0) / 1000;
}

/** One bare install over a fresh ssh connection: the text on stdin, written, compiled and loaded. */
function bareInstall(vm: TestHostInfo, text: string): number {
    const cmd = `sudo -n sh -c 'cat > ${DIR}/${NAME} && apparmor_parser -r -W ${DIR}/${NAME}'`;
    return sshTimed(vm, cmd, text, "bare install");
}

/**
 * One install by the library's own install script (what a HostProfile runs, without a rollout) over
 * a fresh ssh connection: the safety steps (compile before load, name check, verified raw_sha1,
 * manifest) on top of the bare install.
 */
function libraryInstall(vm: TestHostInfo, text: string): number {
    const c = installCommand({ name: NAME, dir: DIR, text, mode: "enforce", sudo: true });
    return sshTimed(vm, c.command, c.stdin ?? "", "library install");
}

export async function partB(lines: string[]): Promise<void> {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
    const started = new Date().toISOString();
    const load0 = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const [vm1, vm2] = await Promise.all([sharedTestHost(), startExtraTestHost()]);
    const clear = (vm: TestHostInfo) =>
        sshExec(
            vm,
            `apparmor_parser -R ${DIR}/${NAME} 2>/dev/null; rm -f ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME}; true`,
            { asRoot: true },
        );
    await Promise.all([clear(vm1), clear(vm2)]);
    let extra: string[] = [];
    let rollout = true;
    const host = (vm: TestHostInfo, name: string) => ({
        host: vm.host,
        port: vm.port,
        user: vm.user,
        privateKey: pulumi.secret(fs.readFileSync(vm.privateKeyPath, "utf8")),
        hostKey: vm.hostKey,
        name,
    });
    const program = async () => {
        new Profile("rb", {
            hosts: [host(vm1, "vm1"), host(vm2, "vm2")],
            profile: secureProfile(NAME, extra),
            prepareHosts: false,
            ...(rollout ? { rollout: { waves: [1, "100%"], gate: { soakSeconds: 0 } } } : {}),
        });
    };
    // Host script runs of the rollout `up` (script, host, ms), from the providers' trace file.
    const traceFile = path.join(os.tmpdir(), `pa-rollout-bench-${process.pid}.trace`);
    process.env.PULUMI_APPARMOR_TRACE_FILE = traceFile;
    const traceRuns = traceReader(traceFile);
    const steps: string[] = [];
    const st = await createThrowawayStack({ program, projectName: "rollout-bench" });
    const rows: string[] = [];
    const ratios: number[] = [];
    const libRatios: number[] = [];
    try {
        await st.stack.up({ color: "never" });
        for (let i = 0; i < rounds; i++) {
            rollout = true;
            await st.stack.up({ color: "never" }); // back to the rollout program (creates its waves)
            const fixed = await timed(() => st.stack.up({ color: "never" }));
            extra = [`/srv/r${i}/**`];
            traceRuns(); // only the rollout up's runs below
            const roll = await timed(() => st.stack.up({ color: "never" }));
            steps.push(traceSummary(traceRuns));
            // The same kind of change by hand: the next text, host 1 then host 2.
            const text = renderProfile(secureProfile(NAME, [`/srv/b${i}/**`]).toModel());
            const bare = bareInstall(vm1, text) + bareInstall(vm2, text);
            // The same by the library's install script, host 1 then host 2.
            const text2 = renderProfile(secureProfile(NAME, [`/srv/s${i}/**`]).toModel());
            const lib = libraryInstall(vm1, text2) + libraryInstall(vm2, text2);
            // Back to the stack's text, then the same change without rollout.
            await st.stack.up({ color: "never" });
            rollout = false;
            await st.stack.up({ color: "never" });
            extra = [`/srv/p${i}/**`];
            const plain = await timed(() => st.stack.up({ color: "never" }));
            const ratio = (roll - fixed) / bare;
            ratios.push(ratio);
            libRatios.push((roll - fixed) / lib);
            rows.push(
                `| ${i + 1} | ${fixed.toFixed(1)} s | ${roll.toFixed(1)} s | ${plain.toFixed(1)} s | ${bare.toFixed(1)} s | ${lib.toFixed(1)} s | ${ratio.toFixed(2)}× | ${(lib / bare).toFixed(2)}× | ${((roll - fixed) / lib).toFixed(2)}× |`,
            );
            process.stderr.write(`round ${i + 1}: ${rows[rows.length - 1]}\n`);
        }
    } finally {
        await st.stack.destroy({ color: "never" }).catch(() => undefined);
        await st.dispose();
        await stopAllTestHosts();
        fs.rmSync(traceFile, { force: true });
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mean = avg(ratios);
    lines.push(
        `## B. Two VMs, real engine: a 2-host rollout (waves [1, "100%"], soakSeconds 0) vs two bare installs`,
        "",
        `Run: ${started} (load average ${load0} at the start); QEMU TCG VMs; ${rounds} round(s).`,
        "",
        "| round | engine fixed cost (no-op `up`) | rollout `up` | same change without rollout | two bare installs over ssh | two library installs over ssh | (rollout − fixed) / bare | library / bare | (rollout − fixed) / library |",
        "|---|---|---|---|---|---|---|---|---|",
        ...rows,
        "",
        `Mean ratio: **${mean.toFixed(2)}×** (goal ≤ 1.3×). A bare install is` +
            " `ssh HOST sudo sh -c 'cat > FILE && apparmor_parser -r -W FILE'` with the text on stdin (a new" +
            " ssh connection each, like a person would run it), host 1 then host 2. The rollout `up` does" +
            " per host one round trip: the install, which first reads the file, kernel mode and log" +
            " position under the host lock, then lists the containers' labels and reads the new log" +
            " lines (a soak of 0 reads right away); the HostProfile then takes what the wave verified" +
            " instead of installing again. Waves run one after the other.",
        "",
        `A library install is the install script every HostProfile runs, sent like the bare one (a new ssh` +
            " connection each, host 1 then host 2): the text compiled before anything is loaded, its" +
            " profile names checked, the compiled policy loaded and the kernel's raw_sha1 verified, the" +
            " manifest and boot unit kept. Mean (rollout − fixed) / library install:" +
            ` **${avg(libRatios).toFixed(2)}×**: what the waves add (the look and position, the label` +
            " and log check) beyond the install itself.",
        "",
        "Host script runs during each rollout `up` (script × runs: total seconds of SSH exec, both hosts):",
        "",
        ...steps.map((s, i) => `- round ${i + 1}: ${s}`),
        "",
    );
}
