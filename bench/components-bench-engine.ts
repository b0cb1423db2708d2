/**
 * Part B of the components benchmark: the real engine against the test VM (see components-bench.ts).
 *
 *   PULUMI_APPARMOR_TESTHOST_STATE=/var/tmp/pa-vm/shared \
 *     npx ts-node --transpile-only bench/components-bench-engine.ts
 *
 * Run on its own it replaces only the "## B." section of bench/results/components.md (part A, the
 * setMocks part, is kept as it is). Without PULUMI_APPARMOR_TESTHOST_STATE it boots its own VM and
 * stops it at the end; a VM given by state dir is used, never stopped (other users may share it), and
 * only this benchmark's profiles (`pa-bench-*`) are created and removed on it.
 *
 * SSH connections are counted exactly: the stack reaches the VM through a loopback TCP relay owned by
 * this process, which counts the connections it accepts (sshd's own log would also count every other
 * user of a shared VM).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Profile } from "../src/components";
import { writeResultsSection } from "./results-section";
import { stopAllTestHosts } from "../test/support/testhost";
import { engineStack } from "../test/components/engineHarness";
import { traceReader } from "../test/support/trace";
import { PROFILE_DIR as DIR, secureProfile, vmContext } from "../test/support/vmStack";

const N = 20;
const PREFIX = "pa-bench-";
const results = path.resolve(__dirname, "results/components.md");

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
    const t0 = Date.now();
    const r = await f();
    return [r, (Date.now() - t0) / 1000];
}

/** A loopback TCP relay to host:port that counts the connections it accepts. */
async function countingRelay(
    host: string,
    port: number,
): Promise<{ port: number; count: () => number; reset: () => void; close: () => Promise<void> }> {
    let n = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        n++;
        const upstream = net.connect(port, host);
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => {
                client.destroy();
                upstream.destroy();
            });
        }
        client.pipe(upstream);
        upstream.pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        port: (server.address() as net.AddressInfo).port,
        count: () => n,
        reset: () => (n = 0),
        close: () =>
            new Promise<void>((r) => {
                for (const s of sockets) s.destroy();
                server.close(() => r());
            }),
    };
}

/** One command over a fresh OpenSSH connection (the bare peers). */
function bareSsh(
    vm: {
        privateKeyPath: string;
        knownHostsPath: string;
        port: number;
        user: string;
        host: string;
    },
    command: string,
): void {
    const r = spawnSync("ssh", [
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
    ]);
    if (r.status !== 0) throw new Error(`bare ssh failed: ${r.stderr}`);
}

const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export async function partB(lines: string[]): Promise<void> {
    const loadStart = loadavg();
    const ctx = await vmContext();
    const { vm, root } = ctx;
    const names = Array.from({ length: N }, (_, i) => `${PREFIX}${i}`);
    await ctx.clearProfiles(names);
    const relay = await countingRelay(vm.host, vm.port);
    // A second "host": the same VM behind a second relay port, so the provider sees two targets
    // (two connections, two batches) while the profiles on the machine stay the same 20.
    const relay2 = await countingRelay(vm.host, vm.port);
    let twoHosts = false;
    let changed = false;
    const program = async () => {
        const host = { ...ctx.host(), port: relay.port };
        const host2 = { ...ctx.host(), port: relay2.port, name: "vm2" };
        for (let i = 0; i < N; i++) {
            const extra = i === 0 && changed ? ["/tmp/changed/**"] : [];
            new Profile(`b${i}`, {
                hosts: twoHosts ? [host, host2] : [host],
                profile: secureProfile(names[i], extra),
                prepareHosts: st.hasCommandProvider,
            });
        }
        return {};
    };
    // Host script runs per operation, from the providers' trace (the CLI passes our env on).
    process.env.PULUMI_APPARMOR_TRACE_FILE ??= path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), "pa-bench-")),
        "trace.jsonl",
    );
    const runs = traceReader(process.env.PULUMI_APPARMOR_TRACE_FILE);
    const reads = () => runs().read?.count ?? 0;
    const st = await engineStack("components-bench", program);
    try {
        const [, createS] = await timed(() => st.stack.up());
        const createConns = relay.count();
        // Warm the engine (plugin binaries in the page cache) before timing the no-op runs.
        await st.stack.up();
        reads();
        relay.reset();
        // The first refresh after the creates: each profile's log cursor is the one of its own
        // create, so the denials parts differ between the engine's waves of reads.
        const [, firstRefreshS] = await timed(() => st.stack.up({ refresh: true }));
        const firstReads = reads();
        relay.reset();
        // The next one: what every later refresh of an unchanged stack costs.
        const [, noopRefreshS] = await timed(() => st.stack.up({ refresh: true }));
        const conns = relay.count();
        const steadyReads = reads();
        // Bare peer of the first `up`: one fresh OpenSSH connection loading the same N files with
        // one apparmor_parser call (compiled: -T skips the cache, -W writes it).
        const bareLoad: number[] = [];
        for (let i = 0; i < 3; i++) {
            const t0 = Date.now();
            bareSsh(
                vm,
                `sudo -n apparmor_parser -r -T -W ${names.map((n) => `${DIR}/${n}`).join(" ")}`,
            );
            bareLoad.push((Date.now() - t0) / 1000);
        }
        const bareLoadS = median(bareLoad);
        // Bare peer of a refresh: one fresh OpenSSH connection, one sudo, reading the same state
        // for all N (the loaded profiles and modes, the files' hashes, the journal's cursor).
        const bareRead: number[] = [];
        for (let i = 0; i < 3; i++) {
            const t0 = Date.now();
            bareSsh(
                vm,
                "sudo -n sh -c '(aa-status || cat /sys/kernel/security/apparmor/profiles) >/dev/null 2>&1; " +
                    `sha256sum ${DIR}/${PREFIX}* >/dev/null; journalctl -q -n 0 --show-cursor >/dev/null'`,
            );
            bareRead.push((Date.now() - t0) / 1000);
        }
        const bareReadS = median(bareRead);
        const fixed: number[] = [];
        relay.reset();
        for (let i = 0; i < 3; i++) fixed.push((await timed(() => st.stack.up()))[1]);
        const fixedConns = relay.count();
        const fixedS = median(fixed);

        // One profile changed. "Reloaded" is the kernel's profile_replace STATUS record of that
        // profile (VM clock, converted to ours with the offset measured just before).
        const offset = await clockOffset(root);
        changed = true;
        relay.reset();
        const upStart = Date.now() / 1000;
        const [upRes, changeS] = await timed(() => st.stack.up());
        const changeConns = relay.count();
        if (upRes.summary.resourceChanges?.update !== 1)
            throw new Error(`expected 1 update: ${JSON.stringify(upRes.summary.resourceChanges)}`);
        const reloadedAt = await statusTime(root, names[0], upStart + offset - 1);
        const toReloadS = reloadedAt - offset - upStart;

        // Bare peer: a fresh OpenSSH connection running the parser on a changed file.
        const bare: number[] = [];
        for (let i = 0; i < 5; i++) {
            await root(
                `sed -i -e '/deny \\/tmp\\/bare/d' -e 's|^}$|  deny /tmp/bare${i}/** w,\\n}|' ${DIR}/${names[1]}`,
            );
            const t0 = Date.now();
            bareSsh(vm, `sudo -n apparmor_parser -r -W ${DIR}/${names[1]}`);
            bare.push((Date.now() - t0) / 1000);
        }
        const bareS = median(bare);
        const net = changeS - fixedS;
        const netReload = toReloadS - fixedS;
        const load = `${loadStart} at the start, ${loadavg()} at the end`;
        const readGoal = fixedS + 2 * bareReadS;
        lines.push(
            `## B. Real engine + test VM (QEMU TCG), ${N} profiles on one host`,
            "",
            `Run: ${new Date().toISOString()}, load average ${load} (2 cores, shared with other users of the VM).`,
            "",
            "| measurement | value |",
            "|---|---|",
            `| first \`up\` (create ${N} profiles) | ${createS.toFixed(1)} s, ${createConns} SSH connection(s) |`,
            `| bare \`ssh host sudo apparmor_parser -r -T -W\` of the same ${N} files in one call, median of 3 | ${bareLoadS.toFixed(2)} s (${fmt(bareLoad)}) |`,
            `| first no-op \`up --refresh\` after the creates (cursors of ${N} creates) | ${firstRefreshS.toFixed(1)} s, ${firstReads} host read run(s) |`,
            `| no-op \`up --refresh\` wall time (the next one: an unchanged stack) | ${noopRefreshS.toFixed(1)} s, ${steadyReads} host read run(s) |`,
            `| SSH connections opened by that \`up --refresh\` | **${conns}** (goal 1) |`,
            `| bare \`ssh host sudo …\` reading the same state for all ${N} (aa-status, file hashes, journal cursor; fresh connection), median of 3 | ${bareReadS.toFixed(2)} s (${fmt(bareRead)}) |`,
            `| engine fixed cost: no-op \`up\` (no refresh), median of 3 | ${fixedS.toFixed(1)} s (${fmt(fixed)}), ${fixedConns} SSH connections |`,
            `| one profile changed: \`up\` start → profile reloaded (kernel STATUS record) | ${toReloadS.toFixed(2)} s |`,
            `| one profile changed: \`up\` wall time | ${changeS.toFixed(1)} s, ${changeConns} SSH connection(s) |`,
            `| bare \`ssh host sudo apparmor_parser -r -W FILE\` (fresh connection), median of 5 | ${bareS.toFixed(2)} s (${fmt(bare)}) |`,
            "",
            `No-op \`up --refresh\`: ${noopRefreshS.toFixed(1)} s against the goal fixed + 2 × bare read = ` +
                `${fixedS.toFixed(1)} + 2 × ${bareReadS.toFixed(2)} = ${readGoal.toFixed(1)} s: ` +
                `**${(noopRefreshS / readGoal).toFixed(2)}× the goal**; (refresh − fixed) / bare read = ` +
                `**${((noopRefreshS - fixedS) / bareReadS).toFixed(2)}×** (goal ≤ 2×).`,
            "",
            `First \`up\`: (${createS.toFixed(1)} − fixed ${fixedS.toFixed(1)}) / bare load ` +
                `${bareLoadS.toFixed(2)} = **${((createS - fixedS) / bareLoadS).toFixed(2)}×** (goal ≤ 1.3×). ` +
                `The first refresh after the creates: ${firstRefreshS.toFixed(1)} s = ` +
                `**${((firstRefreshS - fixedS) / bareReadS).toFixed(2)}×** the bare read over the fixed cost.`,
            "",
            `Ratio (start → reloaded − fixed) / bare: **${(netReload / bareS).toFixed(2)}×**; ` +
                `(whole \`up\` − fixed) / bare: **${(net / bareS).toFixed(2)}×** (goal ≤ 1.2×).`,
            "",
        );

        // 20 profiles × 2 hosts: the no-op `up --refresh` against the one-host figure (goal ≤ 1.2×).
        if (process.env.BENCH_TWO_HOSTS !== "0") {
            twoHosts = true;
            await st.stack.up();
            await st.stack.up();
            relay.reset();
            relay2.reset();
            const [, twoS] = await timed(() => st.stack.up({ refresh: true }));
            const conns2 = relay.count() + relay2.count();
            lines.push(
                `20 profiles × 2 hosts (the second host is the same VM behind a second relay port: two`,
                `targets, two connections and two batches for the provider; one machine's two emulated`,
                `CPUs serve both): no-op \`up --refresh\` ${twoS.toFixed(1)} s, ${conns2} SSH connection(s); ` +
                    `**${(twoS / noopRefreshS).toFixed(2)}× the one-host figure** (goal ≤ 1.2×). ` +
                    `Load at its end: ${loadavg()}.`,
                "",
            );
        }
    } finally {
        await st.cleanup();
        await relay.close();
        await relay2.close();
        await ctx.clearProfiles(names);
        await stopAllTestHosts();
    }
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function fmt(xs: number[]): string {
    return xs.map((x) => x.toFixed(2)).join(", ");
}

type Root = (cmd: string) => Promise<{ stdout: string }>;

/** VM clock minus ours, in seconds (midpoint of a round trip). */
async function clockOffset(root: Root): Promise<number> {
    const best: Array<[number, number]> = [];
    for (let i = 0; i < 3; i++) {
        const t0 = Date.now() / 1000;
        const vmNow = Number((await root("date +%s.%N")).stdout.trim());
        const t1 = Date.now() / 1000;
        best.push([t1 - t0, vmNow - (t0 + t1) / 2]);
    }
    return best.sort((a, b) => a[0] - b[0])[0][1];
}

/** Journal time (VM clock) of the first profile_replace/load STATUS record for `name` after `since`. */
async function statusTime(root: Root, name: string, since: number): Promise<number> {
    const r = await root(
        `journalctl -q _TRANSPORT=audit --no-pager --since @${Math.floor(since)} -o short-unix | ` +
            `grep 'apparmor="STATUS"' | grep 'operation="profile_\\(replace\\|load\\)"' | grep 'name="${name}"'`,
    );
    for (const l of r.stdout.split("\n")) {
        const m = /^(\d+\.\d+) /.exec(l);
        if (m && Number(m[1]) >= since) return Number(m[1]);
    }
    throw new Error(`no STATUS record for ${name} since ${since}: ${r.stdout}`);
}

if (require.main === module) {
    const lines: string[] = [];
    partB(lines)
        .then(() => {
            writeResultsSection(results, "B", lines);
            process.stdout.write(lines.join("\n") + "\n");
            process.exit(0);
        })
        .catch((e) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(1);
        });
}
