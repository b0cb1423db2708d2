/**
 * Profile core benchmark: parse + render throughput of this library over the real-world corpus
 * (test/corpus), and — in the same run, on the same files — the time `apparmor_parser -Q -K` takes
 * to compile them (no cache, compile only), as the peer to compare with.
 *
 *   npx ts-node bench/profile-bench.ts            # writes bench/results/profile.md
 *
 * Notes: our numbers are in-process (no process start); apparmor_parser's include a process start
 * per file and the compile of everything each file includes. They answer "what does parsing and
 * rendering cost compared with the compile a deployment needs anyway", not "which parser is faster".
 */

import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseProfile, renderProfile } from "../src/profile";
import { corpusFiles, haveApparmorParser, PARSER_ARGS } from "../test/corpus/corpus";

/** Compile-only args of the peer run (no binary output needed). */
const PEER_ARGS = PARSER_ARGS.filter((a) => a !== "-S");

/**
 * `apparmor_parser -Q -K …` on `text` via stdin, wrapped in `sh -c '…; times'` so the child's CPU
 * time (user + sys, 10 ms ticks) is measured as well as the wall time.
 */
function peerCompile(text: string): Promise<{ ok: boolean; wallMs: number; cpuMs: number }> {
    return new Promise((resolve, reject) => {
        const start = nowMs();
        const child = spawn(
            "sh",
            [
                "-c",
                'apparmor_parser "$@" >/dev/null 2>&1; rc=$?; times; exit $rc',
                "sh",
                ...PEER_ARGS,
            ],
            { stdio: ["pipe", "pipe", "ignore"] },
        );
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => {
            const wallMs = nowMs() - start;
            // second line of `times`: children's user and system time, e.g. "0m0.070000s 0m0.000000s"
            const line = out.trim().split("\n")[1] ?? "";
            const cpuMs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
                (n, m) => n + (Number(m[1]) * 60 + Number(m[2])) * 1000,
                0,
            );
            resolve({ ok: code === 0, wallMs, cpuMs });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(text);
    });
}

function nowMs(): number {
    return Number(process.hrtime.bigint()) / 1e6;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

interface Passes {
    /** median wall ms per corpus pass. */
    msPerPass: number;
    /** median CPU (user + sys) ms per corpus pass. */
    cpuPerPass: number;
    passes: number;
}

/** Run `fn` over the corpus repeatedly for at least `minMs` after a warm-up; medians per pass. */
function timePasses(fn: () => void, minMs: number): Passes {
    for (let i = 0; i < 3; i++) fn(); // warm-up (JIT)
    const wall: number[] = [];
    const cpu: number[] = [];
    const start = nowMs();
    while (nowMs() - start < minMs || wall.length < 5) {
        const t = nowMs();
        const c = process.cpuUsage();
        fn();
        const d = process.cpuUsage(c);
        wall.push(nowMs() - t);
        cpu.push((d.user + d.system) / 1000);
    }
    return { msPerPass: median(wall), cpuPerPass: median(cpu), passes: wall.length };
}

async function main(): Promise<void> {
    const files = corpusFiles();
    const texts = files.map((f) => f.text);
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
    const mb = bytes / (1024 * 1024);
    const models = texts.map((t) => parseProfile(t));

    const parse = timePasses(() => {
        for (const t of texts) parseProfile(t);
    }, 3000);
    const render = timePasses(() => {
        for (const m of models) renderProfile(m);
    }, 3000);
    const both = timePasses(() => {
        for (const t of texts) renderProfile(parseProfile(t));
    }, 3000);

    const perSec = (ms: number): string => (files.length / (ms / 1000)).toFixed(0);
    const mbSec = (ms: number): string => (mb / (ms / 1000)).toFixed(2);
    const row = (what: string, p: Passes): string =>
        `| ${what} | ${perSec(p.cpuPerPass)} | ${mbSec(p.cpuPerPass)} | ${perSec(p.msPerPass)} | ` +
        `${mbSec(p.msPerPass)} | ${p.cpuPerPass.toFixed(1)} ms CPU, ${p.msPerPass.toFixed(1)} ms wall ` +
        `per corpus pass (median of ${p.passes}) |\n`;

    // the peer: apparmor_parser -Q -K (compile only, no cache), one file at a time, same files
    let parserRows = "| apparmor_parser | – | – | – | – | not installed: not measured |\n";
    let ratio = "";
    if (haveApparmorParser()) {
        const wall: number[] = [];
        let cpuTotal = 0;
        let rejected = 0;
        const wallStart = nowMs();
        for (const t of texts) {
            const r = await peerCompile(t);
            wall.push(r.wallMs);
            cpuTotal += r.cpuMs;
            if (!r.ok) rejected++;
        }
        const wallTotal = nowMs() - wallStart;
        const version = execFileSync("apparmor_parser", ["--version"], { encoding: "utf8" })
            .split("\n")[0]
            .replace("AppArmor parser version ", "")
            .trim();
        parserRows =
            `| apparmor_parser ${version} \`${PEER_ARGS.join(" ")}\` (stdin, one process per file, sequential) ` +
            `| ${perSec(cpuTotal)} | ${(mb / (cpuTotal / 1000)).toFixed(3)} ` +
            `| ${perSec(wallTotal)} | ${(mb / (wallTotal / 1000)).toFixed(3)} ` +
            `| ${(cpuTotal / 1000).toFixed(1)} s CPU, ${(wallTotal / 1000).toFixed(1)} s wall for the corpus; ` +
            `per file median ${median(wall).toFixed(0)} ms wall, max ${Math.max(...wall).toFixed(0)} ms; ` +
            `${rejected} file(s) rejected |\n`;
        ratio =
            `\nCPU time for the whole corpus: parse + render ${both.cpuPerPass.toFixed(1)} ms, ` +
            `apparmor_parser ${(cpuTotal / 1000).toFixed(1)} s — parse + render costs ` +
            `${((both.cpuPerPass / cpuTotal) * 100).toFixed(2)} % of the compile a deployment runs ` +
            `anyway (apparmor_parser takes ×${(cpuTotal / both.cpuPerPass).toFixed(0)} the CPU).\n`;
    }

    const load = os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ");
    const md =
        `# Profile core benchmark\n\n` +
        `Generated by \`npx ts-node bench/profile-bench.ts\` on ${new Date().toISOString()} ` +
        `(node ${process.version}, ${os.cpus().length} CPUs, load average at the end: ${load}).\n\n` +
        `Corpus: ${files.length} policy files, ${(bytes / 1024).toFixed(0)} KiB ` +
        `(/etc/apparmor.d profiles, /usr/share/apparmor/extra-profiles, docker-default).\n\n` +
        `| what | profiles/s (CPU) | MB/s (CPU) | profiles/s (wall) | MB/s (wall) | detail |\n` +
        `|---|---:|---:|---:|---:|---|\n` +
        row("parseProfile", parse) +
        row("renderProfile", render) +
        row("parse + render", both) +
        parserRows +
        ratio +
        `\nMB/s counts input policy text bytes (for render: the bytes of the parsed input). CPU ` +
        `columns divide by user + sys CPU time (ours: process.cpuUsage; apparmor_parser: the shell's ` +
        `\`times\`, 10 ms ticks), which is robust against the shared machine's load; wall columns ` +
        `divide by elapsed time. apparmor_parser times include its process start and compiling ` +
        `every abstraction each file includes. Compare rows of the same run.\n`;
    const out = path.join(__dirname, "results", "profile.md");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, md);
    process.stdout.write(md);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
