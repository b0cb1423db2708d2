/**
 * Part B of the components benchmark: the real engine against the test VM (see components-bench.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import {
    sharedTestHost,
    sshExec,
    stopAllTestHosts,
    type TestHostInfo,
} from "../test/support/testhost";
import { engineStack } from "../test/components/engineHarness";
import { Profile } from "../src/components";
import { audit, deny } from "../src/profile/builders";
import { dockerDefault } from "../src/profile/dockerDefault";

const N = 20;
const DIR = "/etc/apparmor.d/containers";

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
    const t0 = Date.now();
    const r = await f();
    return [r, (Date.now() - t0) / 1000];
}

export async function partB(lines: string[]): Promise<void> {
    const vm: TestHostInfo = await sharedTestHost();
    const key = fs.readFileSync(vm.privateKeyPath, "utf8");
    const root = (cmd: string) => sshExec(vm, cmd, { asRoot: true });
    let changed = false;
    const program = async () => {
        const host = {
            host: vm.host,
            port: vm.port,
            user: vm.user,
            privateKey: pulumi.secret(key),
            hostKey: vm.hostKey,
            name: "vm",
        };
        for (let i = 0; i < N; i++) {
            let p = dockerDefault({ name: `bench-${i}` }).with(
                audit.deny.file("/tmp/a/**", "rwlx"),
            );
            if (i === 0 && changed) p = p.with(deny.file("/tmp/changed/**", "w"));
            new Profile(`b${i}`, {
                hosts: [host],
                profile: p,
                prepareHosts: st.hasCommandProvider,
            });
        }
        return {};
    };
    const st = await engineStack("components-bench", program);
    try {
        const [, createS] = await timed(() => st.stack.up());
        const since = (await root("date +%s")).stdout.trim();
        const [, noopRefreshS] = await timed(() => st.stack.up({ refresh: true }));
        const accepted = await root(
            `journalctl -q --no-pager -u ssh --since @${since} | grep -c 'Accepted publickey' || true`,
        );
        const conns = Number(accepted.stdout.trim());
        const [, fixedS] = await timed(() => st.stack.up());
        changed = true;
        const [, changeS] = await timed(() => st.stack.up());
        // Bare peer: a fresh OpenSSH connection running the parser on a changed file.
        await root(`sed -i 's|^}$|  deny /tmp/bare/** w,\\n}|' ${DIR}/bench-1`);
        const bare: number[] = [];
        for (let i = 0; i < 3; i++) {
            if (i > 0)
                await root(
                    `sed -i 's|deny /tmp/bare[0-9]*/\\*\\* w,|deny /tmp/bare${i}/** w,|' ${DIR}/bench-1`,
                );
            const t0 = Date.now();
            const r = spawnSync("ssh", [
                "-i",
                vm.privateKeyPath,
                "-o",
                `UserKnownHostsFile=${vm.knownHostsPath}`,
                "-o",
                "BatchMode=yes",
                "-p",
                String(vm.port),
                `${vm.user}@${vm.host}`,
                `sudo -n apparmor_parser -r -W ${DIR}/bench-1`,
            ]);
            if (r.status !== 0) throw new Error(`bare ssh failed: ${r.stderr}`);
            bare.push((Date.now() - t0) / 1000);
        }
        const bareS = bare.sort((a, b) => a - b)[1];
        const net = changeS - fixedS;
        lines.push(
            `## B. Real engine + test VM (QEMU TCG), ${N} profiles on one host`,
            "",
            "| measurement | value |",
            "|---|---|",
            `| first \`up\` (create ${N} profiles) | ${createS.toFixed(1)} s |`,
            `| no-op \`up --refresh\` wall time | ${noopRefreshS.toFixed(1)} s |`,
            `| SSH connections opened by that \`up --refresh\` (sshd "Accepted publickey") | **${conns}** (goal 1) |`,
            `| engine fixed cost (no-op \`up\`, no refresh: no SSH at all) | ${fixedS.toFixed(1)} s |`,
            `| one profile changed: \`up\` wall time | ${changeS.toFixed(1)} s |`,
            `| … minus the engine's fixed cost | ${net.toFixed(1)} s |`,
            `| bare \`ssh host sudo apparmor_parser -r -W FILE\` (median of 3, fresh connection) | ${bareS.toFixed(2)} s |`,
            "",
            `Ratio (up − fixed) / bare: **${(net / bareS).toFixed(2)}×** (goal ≤ 1.2×). Our update runs preflight,`,
            "the pending denials read, install (apparmor_parser -Q check, write, -r -W) and status (which compiles",
            "the file again to compare raw_sha1) — the extra compiles are the price of verified state.",
            "",
        );
    } finally {
        await st.cleanup();
        await root(
            `for i in $(seq 0 ${N - 1}); do apparmor_parser -R ${DIR}/bench-$i 2>/dev/null; rm -f ${DIR}/bench-$i; done; true`,
        );
        await stopAllTestHosts();
    }
}
