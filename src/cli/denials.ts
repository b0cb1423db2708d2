/**
 * `pulumi-apparmor denials [FILE|-] [--json] [--profile NAME] [--since TIME] [--suggest]`
 *
 * Reads AppArmor audit lines in any supported form (dmesg, journalctl -k / -o json, syslog,
 * auditd's audit.log, journald's audit transport) from FILE or stdin, and prints a table grouped by
 * profile and operation (default), one JSON record per line (`--json`), or suggested rules
 * (`--suggest`, with `--json`: one JSON object per rule).
 *
 * Every piece of log text is escaped before it is printed (`escapeControls`: control, bidi and
 * other invisible characters as visible escapes; `safeJson` for JSON), so a logged name cannot
 * start a line of its own, move the cursor or reorder what the reader sees.
 */
import * as fs from "fs";
import type { CliIo } from "./main";
import {
    AUDIT_EVENT_TYPES,
    AUDIT_RECORD_FIELDS,
    AuditAggregator,
    AuditEventView,
    AuditLogParser,
    AuditRecord,
    AuditSummary,
    TypeCounts,
    dangerousRule,
    emptySummary,
    escapeControls,
    renderSuggestions,
    safeJson,
    subjectProfile,
    suggestRulesByProfile,
} from "../log";
import { renderRule } from "../profile/render";

const USAGE =
    "usage: pulumi-apparmor denials [FILE|-] [--json] [--profile NAME] [--since TIME] [--suggest]\n" +
    "  FILE     log text: dmesg, journalctl -k, journalctl -o json, syslog, audit.log (default: stdin)\n" +
    "  --json   one JSON record per line\n" +
    "  --profile NAME   only events of this profile\n" +
    "  --since TIME     only events at or after TIME: epoch seconds, an ISO date, or 30m / 2h / 1d ago\n" +
    "  --suggest        print rules that would allow the denied accesses\n";

interface Args {
    file?: string;
    json: boolean;
    suggest: boolean;
    profile?: string;
    since?: number;
}

class UsageError extends Error {}

/** Parses `--since` values: epoch seconds, relative `30m`/`2h`/`1d`/`45s` (ago), or a date. */
export function parseSince(v: string, now: number = Date.now() / 1000): number {
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
    const rel = /^-?(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(v);
    if (rel) {
        const unit = { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as "s" | "m" | "h" | "d"];
        return now - Number(rel[1]) * unit;
    }
    const t = Date.parse(v);
    if (Number.isNaN(t)) {
        throw new UsageError(
            `--since: cannot read ${JSON.stringify(v)} (use epoch seconds, an ISO date like 2026-11-25T10:00:00Z, or 30m/2h/1d)`,
        );
    }
    return t / 1000;
}

function parseArgs(argv: string[]): Args {
    const a: Args = { json: false, suggest: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = (name: string): string => {
            const eq = arg.indexOf("=");
            if (eq >= 0) return arg.slice(eq + 1);
            const v = argv[++i];
            if (v === undefined) throw new UsageError(`${name} needs a value`);
            return v;
        };
        if (arg === "--json") a.json = true;
        else if (arg === "--suggest") a.suggest = true;
        else if (arg === "--profile" || arg.startsWith("--profile="))
            a.profile = value("--profile");
        else if (arg === "--since" || arg.startsWith("--since="))
            a.since = parseSince(value("--since"));
        else if (arg === "-h" || arg === "--help") throw new UsageError("");
        else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
        else if (a.file !== undefined)
            throw new UsageError(`only one FILE (got ${a.file} and ${arg})`);
        else a.file = arg;
    }
    return a;
}

/**
 * A record as one JSON line, fields in documented order (`AUDIT_RECORD_FIELDS`), with every
 * control and invisible character escaped (`safeJson`).
 */
export function recordJson(r: AuditRecord): string {
    const o: Record<string, unknown> = {};
    for (const k of AUDIT_RECORD_FIELDS) if (r[k] !== undefined) o[k] = r[k];
    return safeJson(o);
}

/**
 * Reads the input and hands each event that passes `--profile` / `--since` to `onEvent` as the
 * scanner's view (valid only during the call). Returns the parser's malformed-line statistics.
 */
async function readEvents(
    a: Args,
    io: CliIo,
    onEvent: (ev: AuditEventView) => void,
): Promise<{ malformed: number; samples: string[] }> {
    const parser = new AuditLogParser({ syslogYear: new Date().getUTCFullYear() });
    const keep = (ev: AuditEventView) => {
        if (a.profile !== undefined && subjectProfile(ev) !== a.profile) return;
        if (a.since !== undefined) {
            const t = ev.timestamp;
            if (t === undefined || t < a.since) return;
        }
        onEvent(ev);
    };
    const stream: NodeJS.ReadableStream =
        a.file === undefined || a.file === "-" ? io.stdin : fs.createReadStream(a.file);
    const decoder = new TextDecoder("utf-8");
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
        parser.pushEvents(
            typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }),
            keep,
        );
    }
    parser.pushEvents(decoder.decode(), keep);
    parser.endEvents(keep);
    return { malformed: parser.stats.malformed, samples: parser.stats.malformedSamples };
}

function typeList(c: TypeCounts, counts: boolean): string {
    return AUDIT_EVENT_TYPES.filter((t) => c[t])
        .map((t) => (counts || Object.keys(c).length > 1 ? `${c[t]} ${t}` : t))
        .join(", ");
}

function pad(s: string, n: number): string {
    return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/**
 * The default output: per profile, one row per operation and target, with counts. Every cell and
 * profile name is log text, printed through `escapeControls`.
 */
export function renderTable(summary: AuditSummary, statusByProfile: Map<string, number>): string {
    const out: string[] = [];
    const profiles = [
        ...new Set([...Object.keys(summary.profiles), ...statusByProfile.keys()]),
    ].sort();
    for (const p of profiles) {
        const ps = summary.profiles[p];
        const loads = statusByProfile.get(p) ?? 0;
        const types: TypeCounts = {};
        const rows: string[][] = [];
        for (const vs of Object.values(ps?.versions ?? {})) {
            for (const t of AUDIT_EVENT_TYPES)
                if (vs.types[t]) types[t] = (types[t] ?? 0) + vs.types[t]!;
            for (const [op, os] of Object.entries(vs.operations)) {
                for (const [key, e] of Object.entries(os.entries)) {
                    const comms = [
                        ...new Set(e.samples.map((s) => s.comm).filter((c) => c !== undefined)),
                    ];
                    rows.push([
                        escapeControls(op),
                        String(e.count),
                        typeList(e.types, false),
                        escapeControls(key),
                        escapeControls(e.deniedMask ?? e.requestedMask ?? ""),
                        comms.map(escapeControls).join(","),
                    ]);
                }
                if (os.otherEntries > 0)
                    rows.push([
                        escapeControls(op),
                        String(os.otherEntries),
                        "",
                        "(other targets)",
                        "",
                        "",
                    ]);
            }
        }
        const header = `${escapeControls(p)}  (${ps?.count ?? 0} event(s)${ps && ps.count > 0 ? `: ${typeList(types, true)}` : ""}${loads ? `; ${loads} load/replace/remove` : ""})`;
        out.push(header);
        if (rows.length === 0) continue;
        rows.sort((x, y) =>
            x[0] === y[0]
                ? Number(y[1]) - Number(x[1]) || (x[3] < y[3] ? -1 : 1)
                : x[0] < y[0]
                  ? -1
                  : 1,
        );
        const head = ["OPERATION", "COUNT", "KIND", "TARGET", "MASK", "COMM"];
        const widths = head.map((h, i) =>
            Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))),
        );
        const line = (r: string[]) =>
            `  ${r
                .map((c, i) =>
                    i === 1 ? c.padStart(widths[i]) : i === r.length - 1 ? c : pad(c, widths[i]),
                )
                .join("  ")}`.trimEnd();
        out.push(line(head));
        for (const r of rows) out.push(line(r));
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
}

export async function run(argv: string[], io: CliIo): Promise<number> {
    let a: Args;
    try {
        a = parseArgs(argv);
    } catch (e) {
        const msg = (e as Error).message;
        io.stderr.write(msg ? `pulumi-apparmor denials: ${escapeControls(msg)}\n${USAGE}` : USAGE);
        return msg ? 2 : 0;
    }
    // --json and --suggest need records; the table aggregates the views directly
    const records: AuditRecord[] = [];
    const aggregator = new AuditAggregator(emptySummary(), {
        limits: {
            maxProfiles: 10000,
            maxVersions: 10000,
            maxOperations: 10000,
            maxEntries: 100000,
            maxKeyLength: 1000,
        },
    });
    const statusByProfile = new Map<string, number>();
    const total: TypeCounts = {};
    let events = 0;
    const table = !a.json && !a.suggest;
    let read: Awaited<ReturnType<typeof readEvents>>;
    try {
        read = await readEvents(
            a,
            io,
            table
                ? (ev) => {
                      aggregator.add(ev);
                      const type = ev.type;
                      if (type === "STATUS") {
                          const p = subjectProfile(ev);
                          statusByProfile.set(p, (statusByProfile.get(p) ?? 0) + 1);
                      }
                      total[type] = (total[type] ?? 0) + 1;
                      events++;
                  }
                : (ev) => records.push(ev.toRecord()),
        );
    } catch (e) {
        io.stderr.write(
            `pulumi-apparmor denials: cannot read ${escapeControls(a.file ?? "stdin")}: ${escapeControls((e as Error).message)}\n`,
        );
        return 1;
    }
    const { malformed, samples } = read;
    if (malformed > 0) {
        io.stderr.write(
            `pulumi-apparmor denials: ${malformed} malformed AppArmor line(s) skipped, e.g.: ${escapeControls(samples[0])}\n`,
        );
    }
    if (a.suggest) {
        const suggestions = suggestRulesByProfile(records);
        if (a.json) {
            // one object per rule; `dangerous` (the reason) marks a rule to review, never to paste
            for (const s of suggestions) {
                s.rules.forEach((rule, i) => {
                    let text: string | undefined;
                    try {
                        text = renderRule(rule);
                    } catch {
                        text = undefined;
                    }
                    const dangerous = s.dangerous[i] ?? dangerousRule(rule);
                    io.stdout.write(
                        `${safeJson({ profile: s.profile, rule, text, ...(dangerous ? { dangerous } : {}) })}\n`,
                    );
                });
                for (const skipped of s.skipped) {
                    io.stdout.write(`${safeJson({ profile: s.profile, skipped })}\n`);
                }
            }
        } else {
            const text = renderSuggestions(suggestions);
            io.stdout.write(text.length > 0 ? text : "# nothing denied: no rules to suggest\n");
        }
        return 0;
    }
    if (a.json) {
        for (const r of records) io.stdout.write(`${recordJson(r)}\n`);
        return 0;
    }
    const summary = aggregator.finish();
    io.stdout.write(renderTable(summary, statusByProfile));
    io.stdout.write(
        `${events} event(s)${
            events > 0
                ? ` (${AUDIT_EVENT_TYPES.filter((t) => total[t])
                      .map((t) => `${total[t]} ${t}`)
                      .join(", ")})`
                : ""
        }, ${malformed} malformed line(s)\n`,
    );
    return 0;
}
