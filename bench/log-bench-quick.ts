/**
 * Quick A/B timing of this parser alone (no libapparmor, no mixed log, nothing written): the same
 * 200k-line input and the same rows as bench/log-bench.ts, in ns per line, best of N. For trying a
 * change to the scanner; the published numbers come from bench/log-bench.ts.
 *
 *   npx ts-node --transpile-only bench/log-bench-quick.ts [--runs N] [--only ROW]
 *   node -r ts-node/register/transpile-only --cpu-prof bench/log-bench-quick.ts --only type
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AuditRecord, scanAuditEvents, scanAuditLog } from "../src/log";
import { appArmorLine, readAggregatorFields, rng, writeLines } from "./log-bench.lib";

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

const LINES = Number(arg("--lines") ?? 200000);
const RUNS = Number(arg("--runs") ?? 7);
const ONLY = arg("--only");

function cpuBest(fn: () => number): number {
    let best = Infinity;
    for (let i = 0; i < RUNS; i++) {
        const c0 = process.cpuUsage();
        const n = fn();
        const c = process.cpuUsage(c0);
        if (n !== LINES) throw new Error(`parsed ${n} of ${LINES}`);
        best = Math.min(best, (c.user + c.system) / 1e3);
    }
    return best;
}

const rand = rng(1);
const lines: string[] = [];
for (let i = 0; i < LINES; i++) lines.push(appArmorLine(rand, i, { libapparmorForms: true }));
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "log-quick-")), "apparmor.log");
writeLines(file, lines);
// read back like bench/log-bench.ts does (readFileSync's string, not a joined one)
const text = fs.readFileSync(file, "utf8");
fs.rmSync(path.dirname(file), { recursive: true, force: true });

let sink = 0;
const rows: [string, () => number][] = [
    ["type", () => scanAuditEvents(text, (ev) => (sink += ev.type.length)).records],
    ["agg", () => scanAuditEvents(text, (ev) => (sink += readAggregatorFields(ev))).records],
    [
        "records",
        () =>
            scanAuditLog(text, (r: AuditRecord) => {
                sink += r.pid ?? 0;
            }).records,
    ],
];
for (const [name, fn] of rows) {
    if (ONLY !== undefined && ONLY !== name) continue;
    const ms = cpuBest(fn);
    process.stdout.write(
        `${name.padEnd(8)} ${((ms * 1e6) / LINES).toFixed(0)} ns/line  ${ms.toFixed(1)} ms\n`,
    );
}
void sink;
