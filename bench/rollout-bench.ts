/**
 * Rollout benchmark (issue 12). Writes bench/results/rollout.md.
 *
 *   npx ts-node --transpile-only bench/rollout-bench.ts mocks    # part A only (no VM, no engine)
 *   npx ts-node --transpile-only bench/rollout-bench.ts engine   # part B only (two VMs + engine)
 *
 *  A. setMocks preview of P profiles × H hosts with `rollout: { waves: [1, "10%", "100%"] }` vs the
 *     same program without `rollout`, each in its own process, alternating in one run: wall and CPU
 *     time until every resource is registered. Goal ≤ 1.5×. BENCH_PROFILES (5), BENCH_HOSTS (200),
 *     BENCH_ROUNDS (2).
 *  B. Two test VMs, real engine: a content change rolled out with `waves: [1, "100%"]`,
 *     `soakSeconds: 0` — `pulumi up` wall time less the engine's fixed cost (a no-op `up` of the same
 *     stack) — vs two bare installs of the same text over ssh, one host after the other
 *     (`ssh HOST sudo sh -c 'cat > FILE && apparmor_parser -r -W FILE'`). Goal ≤ 1.3×. Also the same
 *     change without `rollout`, for reference. BENCH_ROUNDS (2).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeResultsSection } from "./results-section";

const repo = path.resolve(__dirname, "..");
const results = path.join(repo, "bench/results/rollout.md");
const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

interface ChildResult {
    ms: number;
    cpuMs: number;
    resources: number;
}

async function mocksChild(kind: "rollout" | "plain", profiles: number, hosts: number) {
    const pulumi = await import("@pulumi/pulumi");
    let registered = 0;
    let expected = Number.POSITIVE_INFINITY;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                registered++;
                if (registered >= expected) done();
                const state: Record<string, unknown> = { ...a.inputs };
                if (a.type.endsWith(":RolloutWave")) state.hostStates = {};
                return { id: `${a.name}-id`, state };
            },
            call: (a) => a.inputs,
        },
        "bench",
        "bench",
        true,
    );
    const apparmor = await import("../src");
    const waves = kind === "rollout" ? 3 : 0;
    expected = profiles * (1 + hosts + waves) + hosts;
    const hostList = Array.from({ length: hosts }, (_, i) => ({
        host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        user: "deploy",
        privateKey: pulumi.secret(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
    }));
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let p = 0; p < profiles; p++)
        new apparmor.Profile(`p${p}`, {
            hosts: hostList,
            profile: apparmor
                .dockerDefault({ name: `bench-${p}` })
                .with(apparmor.deny.file("/tmp/a/**", "rwlx")),
            ...(kind === "rollout" ? { rollout: { waves: [1, "10%", "100%"] } } : {}),
        });
    await all;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
        JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, resources: registered }) + "\n",
    );
    process.exit(0);
}

function runChild(kind: string, profiles: number, hosts: number): ChildResult {
    const r = spawnSync(
        process.execPath,
        [
            "-r",
            "ts-node/register/transpile-only",
            __filename,
            "child",
            kind,
            String(profiles),
            String(hosts),
        ],
        {
            cwd: repo,
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        },
    );
    const last = r.stdout.trim().split("\n").pop() ?? "";
    if (!last.startsWith("{")) throw new Error(`child ${kind} failed (${r.status}): ${r.stderr}`);
    return JSON.parse(last);
}

function partA(lines: string[]): void {
    const profiles = Number(process.env.BENCH_PROFILES ?? 5);
    const hosts = Number(process.env.BENCH_HOSTS ?? 200);
    const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
    const started = new Date().toISOString();
    const load0 = loadavg();
    const plain: ChildResult[] = [];
    const roll: ChildResult[] = [];
    for (let i = 0; i < rounds; i++) {
        plain.push(runChild("plain", profiles, hosts));
        roll.push(runChild("rollout", profiles, hosts));
        process.stderr.write(
            `round ${i + 1}: plain ${JSON.stringify(plain[i])} rollout ${JSON.stringify(roll[i])}\n`,
        );
    }
    const sum = (rs: ChildResult[], k: "ms" | "cpuMs") => rs.reduce((t, r) => t + r[k], 0);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    lines.push(
        `## A. setMocks preview, ${profiles} profiles × ${hosts} hosts, waves [1, "10%", "100%"]`,
        "",
        `Run: ${started}, ${process.version}, ${execFileSync("nproc").toString().trim()} cores shared with other jobs` +
            ` (load average ${load0} at the start, ${loadavg()} at the end); ${rounds} round(s), alternating.`,
        "",
        "| round | program | resources | wall | CPU |",
        "|---|---|---|---|---|",
        ...plain.flatMap((p, i) => [
            `| ${i + 1} | without rollout | ${p.resources} | ${s(p.ms)} | ${s(p.cpuMs)} |`,
            `| ${i + 1} | with rollout | ${roll[i].resources} | ${s(roll[i].ms)} | ${s(roll[i].cpuMs)} |`,
        ]),
        "",
        `Ratio with / without rollout: **${(sum(roll, "ms") / sum(plain, "ms")).toFixed(2)}× wall**, ` +
            `**${(sum(roll, "cpuMs") / sum(plain, "cpuMs")).toFixed(2)}× CPU** (goal ≤ 1.5×).`,
        "",
    );
}

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "child")
        return mocksChild(rest[0] as "rollout" | "plain", Number(rest[1]), Number(rest[2]));
    fs.mkdirSync(path.dirname(results), { recursive: true });
    if (!fs.existsSync(results)) fs.writeFileSync(results, "# Rollout benchmark\n");
    if (mode !== "engine") {
        const section: string[] = [];
        partA(section);
        writeResultsSection(results, "A", section);
        process.stdout.write(section.join("\n") + "\n");
    }
    if (mode !== "mocks") {
        const section: string[] = [];
        const { partB } = await import("./rollout-bench-engine");
        await partB(section);
        writeResultsSection(results, "B", section);
        process.stdout.write(section.join("\n") + "\n");
    }
}

main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
