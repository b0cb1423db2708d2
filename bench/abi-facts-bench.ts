/**
 * What the host's ABI facts add to a refresh (issue #18 item 2), on ONE test VM (the shared one,
 * `PULUMI_APPARMOR_TESTHOST_STATE`; run it on a trixie VM to include Debian 13's parser.conf pin):
 *   - on the host: `abi_facts` (lib-abi.sh) run 20 times in one shell, against its peer
 *     `apparmor_parser --version` run 20 times (the one process abi_facts starts);
 *   - over SSH, alternating, N rounds of a refresh's host read as HostProfile sends it (every managed
 *     profile's status + the log from "now") without and with the facts part.
 * Writes the medians and ratios to bench/results/abi.md.
 *   BENCH_ROUNDS (8)
 */
import * as fs from "fs";
import * as path from "path";
import { hostScriptDir, readCommand, type ReadPart } from "../src/host";
import { sharedTestHost, sshExec, type TestHostInfo } from "../test/support/testhost";
import { writeResultsSection } from "./results-section";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seconds(vm: TestHostInfo, command: string, stdin?: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    const r = await sshExec(vm, command, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`failed: ${r.stdout} ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Microseconds per run of `body` (a shell snippet), 20 runs in one root shell after `prelude`. */
async function perRun(vm: TestHostInfo, prelude: string, body: string): Promise<number> {
    const script =
        `${prelude}\ni=0; s=$(date +%s%N)\n` +
        `while [ $i -lt 20 ]; do ${body}; i=$((i + 1)); done\n` +
        `e=$(date +%s%N); echo $(((e - s) / 20000))\n`;
    const r = await sshExec(vm, "sh -s", { asRoot: true, stdin: script });
    if (r.code !== 0) throw new Error(`failed: ${r.stdout} ${r.stderr}`);
    return Number(r.stdout.trim());
}

async function main(): Promise<void> {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
    const vm = await sharedTestHost();
    const load0 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    const dir = hostScriptDir();
    const libs = ["lib.sh", "lib-abi.sh"].map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
    const facts: number[] = [];
    const version: number[] = [];
    for (let i = 0; i < 3; i++) {
        facts.push(await perRun(vm, libs.join("\n"), "abi_facts"));
        version.push(await perRun(vm, "", "apparmor_parser --version >/dev/null"));
    }
    const base: ReadPart[] = [
        { kind: "status", dir: "/etc/apparmor.d/containers", names: [] },
        { kind: "denials", cursor: "now", maxBytes: 1024 * 1024, source: "auto" },
    ];
    const without: number[] = [];
    const withFacts: number[] = [];
    for (let i = 0; i < rounds; i++) {
        without.push(await seconds(vm, readCommand(base, { sudo: true }).command));
        withFacts.push(
            await seconds(vm, readCommand([...base, { kind: "facts" }], { sudo: true }).command),
        );
    }
    const release = (await sshExec(vm, "cut -d. -f1 /etc/debian_version")).stdout.trim();
    const pin = (
        await sshExec(vm, "grep -s '^[^#]*features' /etc/apparmor/parser.conf; true")
    ).stdout.trim();
    const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
    const f = median(facts);
    const v = median(version);
    const lines = [
        "## Host ABI facts.",
        "",
        `Debian ${release} test VM (QEMU TCG), parser.conf pin: ${pin || "none"}; load before ${load0}, ` +
            `after ${fs.readFileSync("/proc/loadavg", "utf8").trim()}; ${rounds} rounds, medians.`,
        "",
        "| what | time | ratio |",
        "| --- | --- | --- |",
        `| abi_facts on the host (per run, 20 in one shell) | ${(f / 1000).toFixed(1)} ms | ${(f / v).toFixed(2)}× its apparmor_parser --version |`,
        `| apparmor_parser --version on the host (peer) | ${(v / 1000).toFixed(1)} ms | 1 |`,
        `| a refresh's host read (status of all + log), over SSH (peer) | ${ms(median(without))} | 1 |`,
        `| the same read with the facts part | ${ms(median(withFacts))} | ${(median(withFacts) / median(without)).toFixed(2)}× |`,
        "",
    ];
    process.stdout.write(lines.join("\n"));
    writeResultsSection(path.join(__dirname, "results", "abi.md"), "Host ABI facts", lines);
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
