/**
 * Components benchmark (issue 7). Writes bench/results/components.md.
 *
 *   npx ts-node bench/components-bench.ts            # all parts
 *   npx ts-node bench/components-bench.ts mocks      # only the setMocks part (no VM, no engine)
 *
 * Parts:
 *  A. setMocks preview of P profiles × H hosts (default 1000 × 10) vs a plain remote.Command program
 *     of the same size (one Command per profile and host carrying the same text), each in its own
 *     process; wall time until every resource is registered. Goal ≤ 1.5×.
 *  B. (VM + real engine) 20 profiles on one host: no-op `up --refresh` wall time and SSH connections
 *     opened (sshd's "Accepted publickey" lines in the VM's journal; goal 1); one profile change:
 *     `up` wall time vs the engine's fixed cost (a no-op `up`) vs bare
 *     `ssh host sudo apparmor_parser -r -W FILE` (goal: up − fixed ≤ 1.2 × bare).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const repo = path.resolve(__dirname, "..");
const results = path.join(repo, "bench/results/components.md");

// ---------------------------------------------------------------------------------------------------
// Part A child: one program under setMocks, prints {ms, resources}.

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
    const apparmor = await import("../src");
    const command = await import("@pulumi/command");
    const t0 = process.hrtime.bigint();
    const hostList = Array.from({ length: hosts }, (_, i) => ({
        host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        user: "deploy",
        privateKey: pulumi.secret(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
    }));
    if (kind === "profile") {
        // per profile: the component + one HostProfile per host; one prepare Command per host.
        expected = profiles * (1 + hosts) + hosts;
        for (let p = 0; p < profiles; p++) {
            new apparmor.Profile(`p${p}`, {
                hosts: hostList,
                profile: apparmor
                    .dockerDefault({ name: `bench-${p}` })
                    .with(apparmor.deny.file("/tmp/a/**", "rwlx")),
            });
        }
    } else {
        const { dockerDefault, deny, renderProfile } = apparmor;
        expected = profiles * hosts;
        for (let p = 0; p < profiles; p++) {
            const text = renderProfile(
                dockerDefault({ name: `bench-${p}` })
                    .with(deny.file("/tmp/a/**", "rwlx"))
                    .toModel(),
            );
            for (const h of hostList) {
                new command.remote.Command(`p${p}-${h.host}`, {
                    connection: { host: h.host, user: h.user, privateKey: h.privateKey },
                    create: `sudo -n apparmor_parser -r -W /etc/apparmor.d/containers/bench-${p}`,
                    stdin: text,
                });
            }
        }
    }
    await all;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ ms, resources: registered }) + "\n");
    process.exit(0);
}

function runChild(
    kind: string,
    profiles: number,
    hosts: number,
): { ms: number; resources: number } {
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

function partA(lines: string[]): void {
    const profiles = Number(process.env.BENCH_PROFILES ?? 1000);
    const hosts = Number(process.env.BENCH_HOSTS ?? 10);
    const peer = runChild("command", profiles, hosts);
    const ours = runChild("profile", profiles, hosts);
    const ratio = ours.ms / peer.ms;
    lines.push(
        `## A. setMocks preview, ${profiles} profiles × ${hosts} hosts`,
        "",
        "| program | resources registered | wall time |",
        "|---|---|---|",
        `| plain \`remote.Command\` per profile × host | ${peer.resources} | ${(peer.ms / 1000).toFixed(2)} s |`,
        `| \`apparmor.Profile\` (component + HostProfile per host, one prepare Command per host) | ${ours.resources} | ${(ours.ms / 1000).toFixed(2)} s |`,
        "",
        `Ratio: **${ratio.toFixed(2)}×** (goal ≤ 1.5×). Each side runs in its own Node process; time from`,
        "the first constructor to the last registration seen by the mock monitor (validation, rendering",
        "and the profile version hash included on our side; the peer renders the same text once per profile).",
        "",
    );
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "child")
        return mocksChild(rest[0] as "profile" | "command", Number(rest[1]), Number(rest[2]));
    const lines: string[] = [
        "# Components benchmark",
        "",
        `Run: ${new Date().toISOString()}, ${process.version}, ${execFileSync("nproc").toString().trim()} cores` +
            ` (load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}).`,
        "",
    ];
    partA(lines);
    if (mode !== "mocks") {
        const { partB } = await import("./components-bench-engine");
        await partB(lines);
    }
    fs.mkdirSync(path.dirname(results), { recursive: true });
    fs.writeFileSync(results, lines.join("\n") + "\n");
    process.stdout.write(lines.join("\n") + "\n");
}

main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
