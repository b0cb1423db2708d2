/**
 * Install micro-benchmark (issue 12, benchmark B's install part): on ONE test VM (the shared one,
 * `PULUMI_APPARMOR_TESTHOST_STATE`), alternating, N rounds of
 *   - a bare install: `ssh HOST sudo -n sh -c 'cat > FILE && apparmor_parser -r -W FILE'`,
 *   - a library install: the install script as a HostProfile sends it (enforce, sha256),
 *   - a rollout install: the same with what a rollout wave adds (prior, labels, log),
 * each over the harness's kept ssh connection (the connection's cost is left out of all three) with a
 * new text (one more denied path). Prints the medians and ratios.
 *   BENCH_ROUNDS (8)
 */
import * as fs from "fs";
import { installCommand } from "../src/host";
import { renderProfile } from "../src/profile";
import { sharedTestHost, sshExec, type TestHostInfo } from "../test/support/testhost";
import { PROFILE_DIR as DIR, secureProfile } from "../test/support/vmStack";

const NAME = "pa-ibench";

/** One command over the harness's kept ssh connection (as the unprivileged user; sudo in `command`). */
async function ssh(vm: TestHostInfo, command: string, text: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    const r = await sshExec(vm, command, { stdin: text });
    if (r.code !== 0) throw new Error(`failed: ${r.stdout} ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
    const vm = await sharedTestHost();
    const clear = () =>
        sshExec(
            vm,
            `apparmor_parser -R ${DIR}/${NAME} 2>/dev/null; rm -f ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME}; true`,
            { asRoot: true },
        );
    await clear();
    const text = (i: number, k: string) =>
        renderProfile(secureProfile(NAME, [`/srv/${k}${i}/**`]).toModel());
    const bare: number[] = [];
    const lib: number[] = [];
    const roll: number[] = [];
    const load0 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    await ssh(
        vm,
        installCommand({ name: NAME, dir: DIR, text: text(0, "w"), mode: "enforce", sudo: true })
            .command,
        text(0, "w"),
    );
    try {
        for (let i = 1; i <= rounds; i++) {
            bare.push(
                await ssh(
                    vm,
                    `sudo -n sh -c 'cat > ${DIR}/${NAME} && apparmor_parser -r -W ${DIR}/${NAME}'`,
                    text(i, "b"),
                ),
            );
            const t = text(i, "s");
            const c = installCommand({
                name: NAME,
                dir: DIR,
                text: t,
                mode: "enforce",
                sudo: true,
            });
            lib.push(await ssh(vm, c.command, t));
            const t2 = text(i, "r");
            const c2 = installCommand({
                name: NAME,
                dir: DIR,
                text: t2,
                mode: "enforce",
                sudo: true,
                prior: true,
                labels: true,
                logMaxBytes: 1048576,
            });
            roll.push(await ssh(vm, c2.command, t2));
            process.stderr.write(
                `round ${i}: bare ${bare[i - 1].toFixed(2)} lib ${lib[i - 1].toFixed(2)} roll ${roll[i - 1].toFixed(2)}\n`,
            );
        }
    } finally {
        await clear();
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    process.stdout.write(
        `load ${load0} -> ${fs.readFileSync("/proc/loadavg", "utf8").trim()}\n` +
            `median bare ${med(bare).toFixed(2)} s, library ${med(lib).toFixed(2)} s, rollout install ${med(roll).toFixed(2)} s\n` +
            `sum ratio library/bare ${(sum(lib) / sum(bare)).toFixed(2)}x, rollout/bare ${(sum(roll) / sum(bare)).toFixed(2)}x\n`,
    );
}
main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
