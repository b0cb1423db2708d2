/**
 * Components benchmark (issue 7). Writes bench/results/components.md.
 *
 *   npx ts-node bench/components-bench.ts            # all parts
 *   npx ts-node bench/components-bench.ts mocks      # only the setMocks part (no VM, no engine);
 *                                                    # rewrites only the "## A." section
 *   npx ts-node bench/components-bench.ts engine     # only part B (VM + real engine); rewrites
 *                                                    # only the "## B." section
 *
 * Parts:
 *  A. setMocks preview of P profiles × H hosts (default 1000 × 10) vs a plain remote.Command program
 *     of the same size (one Command per profile and host carrying the same text), each in its own
 *     process, the two alternating in one run so the machine's load falls on both: wall and CPU
 *     time until every resource is registered, peak RSS. Goal ≤ 1.5×. Environment: BENCH_PROFILES,
 *     BENCH_HOSTS, BENCH_ROUNDS (default 1). The programs are the top-level code of
 *     bench/components-bench-program.ts, like an index.ts.
 *  B. (VM + real engine) 20 profiles on one host: no-op `up --refresh` wall time and SSH connections
 *     opened (sshd's "Accepted publickey" lines in the VM's journal; goal 1); one profile change:
 *     `up` wall time vs the engine's fixed cost (a no-op `up`) vs bare
 *     `ssh host sudo apparmor_parser -r -W FILE` (goal: up − fixed ≤ 1.2 × bare).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeResultsSection } from "./results-section";

const repo = path.resolve(__dirname, "..");
const results = path.join(repo, "bench/results/components.md");

// ---------------------------------------------------------------------------------------------------
// Part A child: one program under setMocks, prints {ms, cpuMs, resources, maxRssMb}.

async function mocksChild(
    kind: "profile" | "command",
    profiles: number,
    hosts: number,
): Promise<void> {
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
                return { id: `${a.name}-id`, state: a.inputs };
            },
            call: (a) => a.inputs,
        },
        "bench",
        "bench",
        true,
    );
    // Load the modules first: their import (and ts-node compile) is not part of the measurement.
    await import("../src");
    await import("@pulumi/command");
    expected = kind === "profile" ? profiles * (1 + hosts) + hosts : profiles * hosts;
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    // The program as a module's top-level code, as `pulumi preview` runs index.ts.
    (globalThis as { __paBenchProgram?: unknown }).__paBenchProgram = { kind, profiles, hosts };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./components-bench-program");
    await all;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
        JSON.stringify({
            ms,
            cpuMs: (cpu.user + cpu.system) / 1000,
            resources: registered,
            maxRssMb: process.resourceUsage().maxRSS / 1024,
        }) + "\n",
    );
    process.exit(0);
}

interface ChildResult {
    ms: number;
    cpuMs: number;
    resources: number;
    maxRssMb: number;
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
    // The child exits right after the last registration; Pulumi's leak check then complains about
    // pending output promises, which is irrelevant here: the JSON line is what counts.
    const last = r.stdout.trim().split("\n").pop() ?? "";
    if (!last.startsWith("{")) throw new Error(`child ${kind} failed (${r.status}): ${r.stderr}`);
    return JSON.parse(last);
}

const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function partA(lines: string[]): void {
    const profiles = Number(process.env.BENCH_PROFILES ?? 1000);
    const hosts = Number(process.env.BENCH_HOSTS ?? 10);
    const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
    const started = new Date().toISOString();
    const load0 = loadavg();
    // Both sides in the same run, alternating (peer, ours, peer, ours, …), so load from the other
    // users of the machine falls on both.
    const peer: ChildResult[] = [];
    const ours: ChildResult[] = [];
    for (let i = 0; i < rounds; i++) {
        peer.push(runChild("command", profiles, hosts));
        process.stderr.write(`round ${i + 1} peer ${JSON.stringify(peer[i])}\n`);
        ours.push(runChild("profile", profiles, hosts));
        process.stderr.write(`round ${i + 1} ours ${JSON.stringify(ours[i])}\n`);
    }
    const sum = (rs: ChildResult[], k: "ms" | "cpuMs") => rs.reduce((t, r) => t + r[k], 0);
    const wallRatio = sum(ours, "ms") / sum(peer, "ms");
    const cpuRatio = sum(ours, "cpuMs") / sum(peer, "cpuMs");
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const row = (name: string, r: ChildResult, i: number) =>
        `| ${i + 1} | ${name} | ${r.resources} | ${s(r.ms)} | ${s(r.cpuMs)} | ${r.maxRssMb.toFixed(0)} MB |`;
    lines.push(
        `## A. setMocks preview, ${profiles} profiles × ${hosts} hosts`,
        "",
        `Run: ${started}, ${process.version}, ${execFileSync("nproc").toString().trim()} cores shared` +
            ` with test VMs and other jobs (load average ${load0} at the start, ${loadavg()} at the end);` +
            ` ${rounds} round(s), the two programs alternating in the same run.`,
        "",
        "| round | program | resources registered | wall time | CPU time (user+sys) | peak RSS |",
        "|---|---|---|---|---|---|",
        ...peer.flatMap((p, i) => [
            row("plain `remote.Command` per profile × host", p, i),
            row(
                "`apparmor.Profile` (component + HostProfile per host, one prepare Command per host)",
                ours[i],
                i,
            ),
        ]),
        "",
        `Ratio ours / plain: **${wallRatio.toFixed(2)}× wall**, **${cpuRatio.toFixed(2)}× CPU** (goal ≤ 1.5×).`,
        "Each program runs in its own Node process (ts-node, as `pulumi preview` runs a TypeScript",
        "program), as the top-level code of a module (`bench/components-bench-program.ts`), like an index.ts;",
        "time from the first constructor to the last registration seen by the mock monitor",
        "(validation, rendering and the profile version hash included on our side; the peer renders the",
        "same text once per profile). CPU time is the process's own over the same span; peak RSS is",
        "the process's maximum.",
        "",
    );
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "child")
        return mocksChild(rest[0] as "profile" | "command", Number(rest[1]), Number(rest[2]));
    fs.mkdirSync(path.dirname(results), { recursive: true });
    if (mode === "mocks") {
        // Only part A: its section of the results file is replaced, the rest (part B) kept.
        const section: string[] = [];
        partA(section);
        writeResultsSection(results, "A", section);
        process.stdout.write(section.join("\n") + "\n");
        return;
    }
    if (mode === "engine") {
        // Only part B (VM + real engine): its section is replaced, part A (and its notes) kept.
        const section: string[] = [];
        const { partB } = await import("./components-bench-engine");
        await partB(section);
        writeResultsSection(results, "B", section);
        process.stdout.write(section.join("\n") + "\n");
        return;
    }
    const lines: string[] = ["# Components benchmark", ""];
    partA(lines);
    const { partB } = await import("./components-bench-engine");
    await partB(lines);
    fs.writeFileSync(results, lines.join("\n") + "\n");
    process.stdout.write(lines.join("\n") + "\n");
}

main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
