/**
 * Byte API benchmark (issue #17 item 2, "denial parser ≥ 5× libapparmor"): `scanAuditEventsBuffer`
 * / `scanAuditLogBuffer` on the log's bytes vs libapparmor (`LibAppArmor.parse_record` through
 * Debian's python3-libapparmor, bench/log-bench.py) on the same 200k-line corpus as
 * bench/log-bench.ts, libapparmor timed again in every round, so each round's ratio is against
 * libapparmor on the machine as loaded then. Writes the "## Byte API." section of
 * bench/results/log.md (the rest of that file is bench/log-bench.ts's).
 *
 *   npx ts-node --transpile-only bench/log-bytes-bench.ts [--rounds N] [--lines N]
 *
 * Times are CPU seconds of the measuring process (user+system), best of RUNS in a round.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    AuditRecord,
    scanAuditEvents,
    scanAuditEventsBuffer,
    scanAuditLog,
    scanAuditLogBuffer,
    parseAuditLogBuffer,
} from "../src/log";
import {
    appArmorLine,
    libapparmorPython,
    mixedLog,
    readAggregatorFields,
    rng,
    writeLines,
} from "./log-bench.lib";
import { writeResultsSection } from "./results-section";
import type { AuditEventView } from "../src/log";

function arg(name: string, dflt: number): number {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const LINES = arg("--lines", 200000);
const ROUNDS = arg("--rounds", 3);
const RUNS = 5;

function cpuBest(fn: () => void, runs = RUNS): number {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
        const c0 = process.cpuUsage();
        fn();
        const c = process.cpuUsage(c0);
        best = Math.min(best, (c.user + c.system) / 1e6);
    }
    return best;
}

/** Every typed field of the event (what libapparmor's struct holds after parse_record). */
function readEveryField(ev: AuditEventView): number {
    let n = ev.type.length + (ev.operation?.length ?? 0) + (ev.profile?.length ?? 0);
    n += (ev.label?.length ?? 0) + (ev.name?.length ?? 0) + (ev.name2?.length ?? 0);
    n += (ev.requestedMask?.length ?? 0) + (ev.deniedMask?.length ?? 0) + (ev.pid ?? 0);
    n += (ev.comm?.length ?? 0) + (ev.fsuid ?? 0) + (ev.ouid ?? 0) + (ev.capability ?? 0);
    n += (ev.capname?.length ?? 0) + (ev.family?.length ?? 0) + (ev.sockType?.length ?? 0);
    n += (ev.protocol ?? 0) + (ev.signal?.length ?? 0) + (ev.peer?.length ?? 0);
    n += (ev.peerProfile?.length ?? 0) + (ev.bus?.length ?? 0) + (ev.path?.length ?? 0);
    n += (ev.interface?.length ?? 0) + (ev.member?.length ?? 0) + (ev.fstype?.length ?? 0);
    n += (ev.flags?.length ?? 0) + (ev.srcname?.length ?? 0) + (ev.info?.length ?? 0);
    n += (ev.error ?? 0) + (ev.timestamp ?? 0) + (ev.serial ?? 0);
    return n + (ev.namespace?.length ?? 0);
}

function fmt(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-bytes-bench-"));
    const py = libapparmorPython();
    try {
        // the corpus of bench/log-bench.ts: same generator, seed and forms
        const rand = rng(1);
        const lines: string[] = [];
        for (let i = 0; i < LINES; i++)
            lines.push(appArmorLine(rand, i, { libapparmorForms: true }));
        const file = path.join(dir, "apparmor.log");
        writeLines(file, lines);
        const bytes = fs.readFileSync(file);
        const text = fs.readFileSync(file, "utf8");

        let sink = 0;
        const check = (n: number) => {
            if (n !== LINES) throw new Error(`parsed ${n} of ${LINES}`);
        };
        const consume = (r: AuditRecord) => {
            sink += r.pid ?? 0;
        };
        const rows: [string, () => void][] = [
            [
                "bytes, view: the event kind only (`scanAuditEventsBuffer`)",
                () => check(scanAuditEventsBuffer(bytes, (ev) => (sink += ev.type.length)).records),
            ],
            [
                "bytes, view: what the aggregator reads",
                () =>
                    check(
                        scanAuditEventsBuffer(bytes, (ev) => (sink += readAggregatorFields(ev)))
                            .records,
                    ),
            ],
            [
                "bytes, view: every field (what libapparmor's struct holds)",
                () =>
                    check(
                        scanAuditEventsBuffer(bytes, (ev) => (sink += readEveryField(ev))).records,
                    ),
            ],
            [
                "bytes, full records handed to a consumer (`scanAuditLogBuffer`)",
                () => check(scanAuditLogBuffer(bytes, consume).records),
            ],
            [
                "bytes, every record kept in an array (`parseAuditLogBuffer`)",
                () => check(parseAuditLogBuffer(bytes).events.length),
            ],
            [
                "string API, view: what the aggregator reads (`scanAuditEvents`, for reference)",
                () =>
                    check(
                        scanAuditEvents(text, (ev) => (sink += readAggregatorFields(ev))).records,
                    ),
            ],
            [
                "string API, full records (`scanAuditLog`, for reference)",
                () => check(scanAuditLog(text, consume).records),
            ],
        ];
        // warm-up before the first round: V8's optimising tiers (the WebAssembly module's and the
        // JS glue's) settle after ~9 whole passes over this corpus (measured: ~1,280 ns per record
        // in the first pass, ~645 from the ninth on, on this machine)
        for (const [, fn] of rows) cpuBest(fn, 10);

        const libRates: number[] = [];
        const loads: string[] = [];
        const times: number[][] = rows.map(() => []);
        for (let r = 0; r < ROUNDS; r++) {
            loads.push(
                os
                    .loadavg()
                    .map((x) => x.toFixed(1))
                    .join(" "),
            );
            const lib = JSON.parse(
                execFileSync(py, [path.join(__dirname, "log-bench.py"), "time", file, "3"], {
                    encoding: "utf8",
                    maxBuffer: 1 << 26,
                    stdio: ["ignore", "pipe", "inherit"],
                }),
            ) as { lines: number; best_seconds: number };
            libRates.push(lib.lines / lib.best_seconds);
            rows.forEach(([, fn], i) => times[i].push(cpuBest(fn)));
            process.stderr.write(
                `round ${r + 1}: load ${loads[r]}, libapparmor ${fmt(libRates[r])} lines/s; ` +
                    rows
                        .map((_, i) => `${(LINES / times[i][r] / libRates[r]).toFixed(2)}×`)
                        .join(" ") +
                    "\n",
            );
        }
        const ratios = times.map((ts) => ts.map((t, r) => LINES / t / libRates[r]));

        // mixed kernel log: MB/s, bytes vs string
        const mixed = mixedLog(100e6, 100);
        const mixedBytes = Buffer.from(mixed.text);
        const mb = mixedBytes.length / 1e6;
        let found = 0;
        const mixedB = cpuBest(() => {
            found = scanAuditEventsBuffer(mixedBytes, (ev) => (sink += ev.type.length)).records;
        }, 3);
        if (found !== mixed.appArmor) throw new Error(`mixed: ${found} of ${mixed.appArmor}`);
        const mixedS = cpuBest(() => {
            found = scanAuditEvents(mixed.text, (ev) => (sink += ev.type.length)).records;
        }, 3);
        const mixedBR = cpuBest(() => {
            found = scanAuditLogBuffer(mixedBytes, consume).records;
        }, 3);

        const libVersion = execFileSync(
            "dpkg-query",
            ["-W", "-f=${Version}", "python3-libapparmor"],
            {
                encoding: "utf8",
            },
        ).trim();
        const meets = rows
            .map(([name], i) => ({ name, min: Math.min(...ratios[i]), med: median(ratios[i]) }))
            .filter((x) => x.name.startsWith("bytes"));
        const allRounds = meets.filter((x) => x.min >= 5).map((x) => x.name);
        const onMedian = meets.filter((x) => x.med >= 5 && x.min < 5).map((x) => x.name);
        const section = [
            "## Byte API.",
            "",
            `Generated by \`npx ts-node --transpile-only bench/log-bytes-bench.ts\` on ${new Date().toISOString()}:`,
            `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"} (shared: other engineers' VMs and builds were running),`,
            `Node ${process.version}, python3-libapparmor ${libVersion}.`,
            "",
            `The corpus of the first section (${fmt(LINES)} lines, ${(bytes.length / 1e6).toFixed(1)} MB, only forms libapparmor reads),`,
            "handed over as the bytes read from the file (`fs.readFileSync(file)`), as logs arrive from SSH and files.",
            `${ROUNDS} rounds; in each, libapparmor (\`parse_record\` + \`free_record\` per line, best of 3 loops) is timed`,
            `first, then every row (CPU time, best of ${RUNS}; every row warmed up by 10 passes before round 1);`,
            "each ratio is against that round's libapparmor.",
            "",
            `| API | ${loads.map((l, r) => `round ${r + 1} (load ${l})`).join(" | ")} | median |`,
            `|---|${loads.map(() => "---:|").join("")}---:|`,
            `| libapparmor lines/s | ${libRates.map(fmt).join(" | ")} | ${fmt(median(libRates))} |`,
            ...rows.map(
                ([name], i) =>
                    `| ${name} | ${ratios[i]
                        .map((x, r) => `${x.toFixed(2)}× (${fmt(LINES / times[i][r])}/s)`)
                        .join(" | ")} | **${median(ratios[i]).toFixed(2)}×** |`,
            ),
            "",
            `**Target ≥ 5× libapparmor: ${
                allRounds.length > 0
                    ? `met in every round by: ${allRounds.join("; ")}`
                    : "met in every round by no byte API row"
            }${onMedian.length > 0 ? `; on the median only by: ${onMedian.join("; ")}` : ""}.**`,
            "",
            `Large mixed kernel log (${mb.toFixed(0)} MB, 1 line in 100 AppArmor's): bytes, view ${fmt(mb / mixedB)} MB/s;`,
            `bytes, records ${fmt(mb / mixedBR)} MB/s; string API, view ${fmt(mb / mixedS)} MB/s.`,
            "",
            "How the byte API works: a WebAssembly module (wasm/log-scan.ts, AssemblyScript, SIMD byte searches;",
            "built into src/log/scan-wasm.ts by `npm run build:wasm`, and checked by a unit test that rebuilds it)",
            "splits the bytes into lines, keeps those with an AppArmor marker, and reads the kernel's own form",
            "(printable ASCII, `audit(…)` stamp, `type=1400`/`type=AVC` header, plain pairs) into offsets: per",
            "event its pairs (keys found in a hash table, values interned) and a table of each field's last",
            "pair, which the view reads where the module wrote it. The view decodes only the values read",
            "(latin1; an interned value once per distinct value). Every other marked line (JSON, journald,",
            "user-space messages, non-ASCII, legacy types, anything odd) is decoded and read by the TypeScript",
            "scanner, so records are those of the string API (unit-tested record for record and getter for",
            "getter over every fixture, real samples and hostile inputs).",
            "",
            "Where the time goes (measured while building this, not by this script: `node --cpu-prof` on a loop of",
            "`scanAuditLogBuffer` over this corpus, compiled JS, load average 8-14): the module ~50 % of the samples",
            "(line ends, marker/stamp searches, pairs, interning), the glue that hands its records to the view",
            "~18 % (including copying the bytes into the module's memory, ~4 %), building records (`toRecord`,",
            "`replay`) ~14 %, garbage collection ~6 %. Records were ~20 % garbage collection until each record",
            "was made by a constructor V8 sizes for a record's fields (a literal `{ type }` grew a separate",
            "backing store field by field); the view decodes a value that is not interned alone from the bytes",
            "(not its whole line first), keeps an interned value's hex decoding per intern id, and a getter",
            "tests its field's presence before calling the reader. Reading every field stays the slowest view",
            "row: a getter for a field the line lacks still costs a call (~5 ns, ~22 of them per event here:",
            "with the presence test a getter is 37 bytecodes, above V8's 27 for always inlining, and the",
            "caller's inlining budget runs out).",
            "",
            "Then, to reach 5× in every round (A/B timing in one process, `node --cpu-prof`, and `perf` with V8's",
            "jitdump for the module; load average 2-5): the module alone on this corpus went from ~400 to ~335 ns",
            "a line (cut at points it was line ends ~43 ns, stamp and header ~67 ns, pairs ~285 ns, interning ~70",
            "ns of them). A constant word (`audit(`, `apparmor=`, `1400`, the event words) is compared 16 bytes",
            "at once, not byte by byte (~40 ns a line); a key is one hash-table probe (the walk over the keys of",
            "its length was ~15-20 % of the line reader's samples); the kernel's `SSSSSSSSSS.FFF` is read without",
            "a loop (other digits in integers while exact); line ends take one signed compare per 16 bytes;",
            "interned values up to 16 bytes are compared in their hash slot. The glue set two per-field arrays",
            "for every pair of every event (~35 ns an event): the module now writes each event's table of last",
            "pairs itself (with 16-byte stores: a `memory.fill` of a run-time size was a call to memset). In the",
            "view, `at()` and the look-up of an interned string already made (`made`) are small enough for V8 to",
            "inline into the getters. Tried and dropped: a per-event table of values filled as the pairs are",
            "taken (the event-kind row 30-40 ns slower), 256 KiB windows instead of 4 MiB (no change), a packed",
            "intern array (no measurable change). Reading every field varies most between processes (V8 compiles",
            "the getters with the string API's feedback too: 720-830 ns a line in A/B runs of the same code;",
            "before the word compares, three runs of this script, load 2.0-3.7, gave 5.31-5.36×, 5.22-5.24× and",
            "5.05-5.11× on that row). Not done: getters V8 inlines whole (a 26-byte form with a per-line presence",
            "array measured slower; a larger inlining budget gains ~30 ns a line on that row), the module's",
            "per-pair searches (`=`, the value's end) merged into one pass of per-line bitmasks, interning (~50",
            "ns a line), copying the bytes into the module's memory (~25 ns a line).",
            "",
        ];
        void sink;
        writeResultsSection(path.join(__dirname, "results/log.md"), "Byte API", section);
        process.stdout.write(section.join("\n"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();
