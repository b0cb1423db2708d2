/**
 * Reads the providers' trace file (`PULUMI_APPARMOR_TRACE_FILE`, one JSON line per host script run:
 * script, host, exit status, milliseconds; see `src/components/hostops.ts`).
 */
import * as fs from "fs";

/** Host script runs by script name (items: an `installs` run's installs, 1 for any other run). */
export type TraceRuns = Record<string, { count: number; ms: number[]; items: number }>;

/** A reader of the runs appended to `file` since the reader's previous call. */
export function traceReader(file: string): () => TraceRuns {
    let seen = 0;
    return () => {
        const lines = fs.existsSync(file)
            ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean)
            : [];
        const fresh = lines
            .slice(seen)
            .map((l) => JSON.parse(l) as { script: string; ms: number; items?: number });
        seen = lines.length;
        const out: TraceRuns = {};
        for (const r of fresh) {
            out[r.script] ??= { count: 0, ms: [], items: 0 };
            out[r.script].count++;
            out[r.script].items += r.items ?? 1;
            out[r.script].ms.push(r.ms);
        }
        return out;
    };
}
