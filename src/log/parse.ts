/**
 * AppArmor audit-log parser. Pure: it takes text, never reads files.
 *
 * Speed matters because callers hand it whole kernel logs in which most lines are not AppArmor's:
 * `parseAuditLog` never splits the text into lines. It jumps from one AppArmor marker
 * (`apparmor=`, `type=APPARMOR_`, `type=150`, …) to the next with `indexOf`, and only the lines holding a
 * marker are parsed, by a hand-written scanner (no regular expression on the hot path; see view.ts).
 *
 * Two kinds of API share that one scanner: `scanAuditEvents` hands out a reused, on-demand
 * `AuditEventView` per event (nothing decoded until read: the fast path), and the record APIs
 * (`parseAuditLog`, `scanAuditLog`, `parseAuditLine`, `AuditLogParser`, `parseAuditLines`) turn each
 * view into an `AuditRecord` with `toRecord()`.
 *
 * Never throws on input: a line that carries a marker but cannot be read is counted as malformed.
 */
import type { AuditRecord } from "./record";
import {
    EVENT_HEAD,
    FALLBACK_WORDS,
    REC_EVENT,
    acquireByteScanner,
    releaseByteScanner,
} from "./bytescan";
import {
    AuditEventView,
    LINE_EVENT,
    LINE_MALFORMED,
    LINE_UNKNOWN,
    MARKER_MAX,
    hasMarker,
    isSpace,
} from "./view";

export { AuditEventView, decodeHex } from "./view";
export type { ViewStringField } from "./view";

export interface ParseOptions {
    /**
     * Year for BSD-syslog prefixes (`Nov 25 10:00:00 host …`) on lines that carry no `audit(…)` stamp
     * (journald's audit transport in its short format). Without it such lines get no `timestamp`.
     * Defaults to undefined.
     */
    readonly syslogYear?: number;
    /** Read BSD-syslog prefixes as local time instead of UTC. Defaults to false (UTC). */
    readonly syslogLocalTime?: boolean;
    /** How many malformed lines to keep as samples. Defaults to 5. */
    readonly malformedSamples?: number;
    /**
     * Longest line read, in characters (UTF-16 code units). A longer line that carries an AppArmor
     * marker is counted as malformed without being read (the kernel's audit records are at most
     * 8970 bytes, so such a line is not one), and `AuditLogParser` never holds more than this much
     * of an unfinished line. Defaults to 1048576 (`DEFAULT_MAX_LINE_LENGTH`).
     */
    readonly maxLineLength?: number;
}

/** The default `maxLineLength`: 1 MiB of characters. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/** `options.maxLineLength` when it is a positive integer, else the default. */
function maxLineOf(options: ParseOptions): number {
    const m = options.maxLineLength;
    return m !== undefined && Number.isInteger(m) && m > 0 ? m : DEFAULT_MAX_LINE_LENGTH;
}

/** The malformed-line reason of a line over `maxLineLength`. */
function overLongReason(length: number, max: number): string {
    return `line of ${length} characters is longer than maxLineLength (${max})`;
}

export interface ParseStats {
    /** Events returned. */
    records: number;
    /** Lines that carried an AppArmor marker but could not be read as an event. */
    malformed: number;
    /** The first few malformed lines (truncated to 300 characters), for diagnostics. */
    malformedSamples: string[];
    /** Characters scanned (bytes, for the byte API: `parseAuditLogBuffer` and kin). */
    chars: number;
    /** The `__CURSOR` of the last `journalctl -o json` line seen, if any. */
    journalCursor?: string;
}

export interface ParseResult extends ParseStats {
    events: AuditRecord[];
}

/** Result of reading one line. */
export type LineResult =
    | { readonly kind: "record"; readonly record: AuditRecord }
    | { readonly kind: "skip" }
    | { readonly kind: "malformed"; readonly reason: string };

// ---------------------------------------------------------------------------------------------
// Whole-text and streaming parsers

function emptyStats(): ParseStats {
    return { records: 0, malformed: 0, malformedSamples: [], chars: 0 };
}

/**
 * Scans `text[0, limit)` (complete lines only) and hands each event to `sink` as `view`. The jump
 * from marker to marker is what makes non-AppArmor lines cheap: they are never looked at one by one.
 */
function scanText(
    text: string,
    limit: number,
    options: ParseOptions,
    stats: ParseStats,
    view: AuditEventView,
    sink: (ev: AuditEventView) => void,
): void {
    const maxSamples = options.malformedSamples ?? 5;
    const maxLine = maxLineOf(options);
    // forward searches whose results are reused until passed: each is linear over the whole text
    let n0 = -2; // apparmor=
    let n4 = -2; // journalctl -o json with a non-UTF-8 MESSAGE (a byte array): "MESSAGE":[
    // `type=` occurrences, walked only up to the nearest other marker, for the legacy markers
    // type=APPARMOR_ (auditd's type names), type=150x (old kernels), type=UNKNOWN[150x] (auditd
    // without AppArmor's type names): one walk instead of three whole-text searches, which cost
    // more than all the parsing on an AppArmor-only log (their needles start with common letters)
    let lq = -2;
    let nextStamp = -2;
    let nextType = -2;
    let nextGs = -2;
    let nextTab = -2;
    let nextCr = -2;
    // after an AppArmor line, the next line is first tried as one directly (no marker search)
    let dense = false;
    let pos = 0;
    while (pos < limit) {
        let lineStart = pos;
        let lineEnd = text.indexOf("\n", pos);
        if (lineEnd === -1 || lineEnd > limit) lineEnd = limit;
        let res = LINE_UNKNOWN;
        let hit = -1;
        for (let attempt = dense ? 0 : 1; attempt < 2 && res === LINE_UNKNOWN; attempt++) {
            if (attempt === 1) {
                if (n0 !== -1 && n0 < pos) n0 = text.indexOf("apparmor=", pos);
                if (n4 !== -1 && n4 < pos) n4 = messageArrayAt(text, pos);
                hit = n0;
                if (n4 !== -1 && (hit === -1 || n4 < hit)) hit = n4;
                const bound = hit === -1 ? limit : hit;
                if (lq !== -1 && lq < pos) lq = text.indexOf("type=", pos);
                while (lq !== -1 && lq < bound && !isLegacyTypeAt(text, lq)) {
                    lq = text.indexOf("type=", lq + 1);
                }
                if (lq !== -1 && lq < bound) hit = lq;
                if (hit === -1 || hit >= limit) break;
                // `pos` starts a line: search back from the hit only when it is further on
                if (hit > lineEnd) {
                    lineStart = text.lastIndexOf("\n", hit) + 1;
                    lineEnd = text.indexOf("\n", hit);
                    if (lineEnd === -1 || lineEnd > limit) lineEnd = limit;
                }
            }
            if (lineEnd - lineStart > maxLine) {
                // never read (nor guessed as the line after an event): malformed when marked
                if (attempt === 0) continue;
                res = LINE_MALFORMED;
                break;
            }
            if (nextStamp !== -1 && nextStamp < lineStart)
                nextStamp = text.indexOf("audit(", lineStart);
            const stampAt = nextStamp !== -1 && nextStamp < lineEnd ? nextStamp : -1;
            if (attempt === 0 && stampAt === -1) continue;
            if (nextType !== -1 && nextType < lineStart)
                nextType = text.indexOf("type=", lineStart);
            const typeAt = nextType !== -1 && nextType < lineEnd ? nextType : -1;
            if (nextGs !== -1 && nextGs < lineStart) nextGs = text.indexOf("\x1d", lineStart);
            const gsAt = nextGs !== -1 && nextGs < lineEnd ? nextGs : -1;
            if (nextTab !== -1 && nextTab < lineStart) nextTab = text.indexOf("\t", lineStart);
            if (nextCr !== -1 && nextCr < lineStart) nextCr = text.indexOf("\r", lineStart);
            // no tab, and no CR but a last one (CRLF)
            const clean =
                (nextTab === -1 || nextTab >= lineEnd) && (nextCr === -1 || nextCr >= lineEnd - 1);
            try {
                res = view.scanLine(
                    text,
                    lineStart,
                    lineEnd,
                    stampAt,
                    typeAt,
                    gsAt,
                    clean,
                    attempt === 1,
                    hit === n0 ? n0 : -1,
                    options,
                    stats,
                );
            } catch {
                res = LINE_MALFORMED;
            }
        }
        if (res === LINE_UNKNOWN) break; // no marker left
        dense = res === LINE_EVENT;
        if (res === LINE_EVENT) {
            stats.records++;
            sink(view);
        } else if (res === LINE_MALFORMED) {
            stats.malformed++;
            if (stats.malformedSamples.length < maxSamples) {
                const line = text.slice(lineStart, Math.min(lineEnd, lineStart + 300));
                stats.malformedSamples.push(lineEnd - lineStart > 300 ? `${line}…` : line);
            }
        }
        pos = lineEnd + 1;
    }
    stats.chars += limit;
}

/** True when the `type=` at `t` is one of the legacy AppArmor markers (see scanText). */
function isLegacyTypeAt(text: string, t: number): boolean {
    switch (text.charCodeAt(t + 5)) {
        case 65: // A
            return text.startsWith("APPARMOR_", t + 5);
        case 49: // 1
            return text.startsWith("50", t + 6);
        case 85: // U
            return text.startsWith("UNKNOWN[150", t + 5);
    }
    return false;
}

/** The next `"MESSAGE":[` at or after `from`, or -1 (searched from its rarer `M`). */
function messageArrayAt(text: string, from: number): number {
    for (
        let m = text.indexOf('MESSAGE":[', from + 1);
        m !== -1;
        m = text.indexOf('MESSAGE":[', m + 1)
    ) {
        if (text.charCodeAt(m - 1) === 34 /* " */) return m - 1;
    }
    return -1;
}

/** The view `parseAuditLine` reuses (no caller code runs while it is in use). */
const lineView = new AuditEventView();

/** Reads one log line of any supported form. Never throws. */
export function parseAuditLine(line: string, options: ParseOptions = {}): LineResult {
    try {
        if (!hasMarker(line)) return { kind: "skip" };
        const max = maxLineOf(options);
        if (line.length > max)
            return { kind: "malformed", reason: overLongReason(line.length, max) };
        const view = lineView;
        const res = view.scanOneLine(line, options);
        if (res === LINE_EVENT) return { kind: "record", record: view.toRecord() };
        if (res === LINE_MALFORMED) return { kind: "malformed", reason: view.malformedReason };
        return { kind: "skip" };
    } catch (e) {
        return { kind: "malformed", reason: `parser error: ${(e as Error).message}` };
    }
}

/**
 * The fast path: hands each event of `text` to `onEvent` as an on-demand view (see
 * `AuditEventView`), reused from event to event. Nothing is sliced, decoded or converted unless the
 * callback reads it; `ev.toRecord()` gives exactly the record `parseAuditLog` would. The view is
 * valid only during the callback. Never throws on input (the callback's own errors propagate).
 */
export function scanAuditEvents(
    text: string,
    onEvent: (ev: AuditEventView) => void,
    options: ParseOptions = {},
): ParseStats {
    const stats = emptyStats();
    scanText(text, text.length, options, stats, new AuditEventView(), onEvent);
    lastJournalCursor(text, text.length, stats);
    return stats;
}

/** Parses a whole log text (any mix of the supported forms) into events. Never throws. */
export function parseAuditLog(text: string, options: ParseOptions = {}): ParseResult {
    const stats = emptyStats();
    const events: AuditRecord[] = [];
    scanText(text, text.length, options, stats, new AuditEventView(), (ev) =>
        events.push(ev.toRecord()),
    );
    lastJournalCursor(text, text.length, stats);
    return { events, ...stats };
}

/**
 * Like `parseAuditLog`, but hands each event to `onRecord` instead of collecting them (what an
 * aggregating caller wants: nothing is kept alive). Returns the statistics.
 */
export function scanAuditLog(
    text: string,
    onRecord: (r: AuditRecord) => void,
    options: ParseOptions = {},
): ParseStats {
    return scanAuditEvents(text, (ev) => onRecord(ev.toRecord()), options);
}

/** The `__CURSOR` of the last complete JSON line before `limit`, if that line is journal JSON. */
function lastJournalCursor(text: string, limit: number, stats: ParseStats): void {
    let end = limit;
    while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
    const start = text.lastIndexOf("\n", end - 1) + 1;
    if (text.charCodeAt(start) !== 123) return;
    const at = text.indexOf('"__CURSOR":"', start);
    if (at < 0 || at > end) return;
    const close = text.indexOf('"', at + 12);
    if (close > 0 && close <= end) stats.journalCursor = text.slice(at + 12, close);
}

// ---------------------------------------------------------------------------------------------
// Byte API: logs as they arrive (files, SSH output), never made into one string

/** Bytes handed to the byte scanner at once (a longer line makes its window longer). */
const BYTE_WINDOW = 1 << 22;

function asBuffer(bytes: Uint8Array): Buffer {
    return Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * `scanText` on bytes: the byte scanner (bytescan.ts) finds the marked lines and reads the common
 * kernel form itself; every other marked line is decoded (UTF-8) and read by the view's own
 * scanner exactly as `scanText` reads it. The events are those of `scanText` on
 * `bytes.toString("utf8")`, with `chars` counting bytes.
 */
function scanBytes(
    buf: Buffer,
    options: ParseOptions,
    stats: ParseStats,
    view: AuditEventView,
    sink: (ev: AuditEventView) => void,
): void {
    const maxSamples = options.malformedSamples ?? 5;
    const maxLine = maxLineOf(options);
    const len = buf.length;
    const sc = acquireByteScanner();
    try {
        let base = 0;
        while (base < len) {
            let end = Math.min(base + BYTE_WINDOW, len);
            if (end < len) {
                // whole lines only: up to the window's last newline, or on to the line's end
                const nl = buf.lastIndexOf(10, end - 1);
                if (nl >= base) end = nl + 1;
                else {
                    const next = buf.indexOf(10, end);
                    end = next < 0 ? len : next + 1;
                }
            }
            const n = end - base;
            sc.load(buf, base, end, maxLine);
            let pos = 0;
            while (pos < n) {
                pos = sc.scan(pos, n);
                const w = sc.words;
                const d = sc.doubles;
                let o = sc.outWord;
                const oEnd = o + sc.outWords();
                while (o < oEnd) {
                    const ls = base + w[o + 1];
                    const le = base + w[o + 2];
                    if (w[o] === REC_EVENT) {
                        const np = w[o + 4];
                        const ts = d[(o + 6) >> 1];
                        const serial = d[(o + 8) >> 1];
                        view.setBytesEvent(
                            buf,
                            ls,
                            le,
                            w[o + 3],
                            ts,
                            serial,
                            w,
                            o + EVENT_HEAD,
                            o + sc.eventWords,
                            np,
                            sc.interned,
                        );
                        stats.records++;
                        sink(view);
                        o += sc.eventWords + 4 * np;
                    } else {
                        const line = buf.toString("utf8", ls, le);
                        scanMarkedLine(line, options, stats, view, sink, maxSamples, maxLine);
                        o += FALLBACK_WORDS;
                    }
                }
            }
            base = end;
        }
    } finally {
        releaseByteScanner(sc);
    }
    stats.chars += len;
    // the journal cursor of the last line, when it is journal JSON
    let end = len;
    while (end > 0 && isSpace(buf[end - 1])) end--;
    if (end > 0) {
        const start = buf.lastIndexOf(10, end - 1) + 1;
        if (buf[start] === 123) {
            const last = buf.toString("utf8", start, end);
            lastJournalCursor(last, last.length, stats);
        }
    }
}

/** One line known to carry a marker, read as `scanText` reads it. */
function scanMarkedLine(
    line: string,
    options: ParseOptions,
    stats: ParseStats,
    view: AuditEventView,
    sink: (ev: AuditEventView) => void,
    maxSamples: number,
    maxLine: number,
): void {
    let res = LINE_MALFORMED;
    if (line.length <= maxLine) {
        const cr = line.indexOf("\r");
        const clean = line.indexOf("\t") < 0 && (cr < 0 || cr >= line.length - 1);
        try {
            res = view.scanLine(
                line,
                0,
                line.length,
                line.indexOf("audit("),
                line.indexOf("type="),
                line.indexOf("\x1d"),
                clean,
                true,
                -1,
                options,
                stats,
            );
        } catch {
            res = LINE_MALFORMED;
        }
    }
    if (res === LINE_EVENT) {
        stats.records++;
        sink(view);
    } else if (res === LINE_MALFORMED) {
        stats.malformed++;
        if (stats.malformedSamples.length < maxSamples) {
            stats.malformedSamples.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
        }
    }
}

/**
 * `scanAuditEvents` for a log as bytes (a file's contents, what SSH returns): the fast path. Lines
 * are found and read in the bytes — the common kernel form by a WebAssembly scanner, any other
 * form by the same scanner as the string API, from the decoded line — and a field is decoded only
 * when the callback reads it. Gives exactly the views (and `toRecord()` records) that
 * `scanAuditEvents(bytes.toString("utf8"))` gives; `chars` counts bytes. Never throws on input.
 */
export function scanAuditEventsBuffer(
    bytes: Uint8Array,
    onEvent: (ev: AuditEventView) => void,
    options: ParseOptions = {},
): ParseStats {
    const stats = emptyStats();
    scanBytes(asBuffer(bytes), options, stats, new AuditEventView(), onEvent);
    return stats;
}

/** `parseAuditLog` for a log as bytes (see `scanAuditEventsBuffer`). Never throws on input. */
export function parseAuditLogBuffer(bytes: Uint8Array, options: ParseOptions = {}): ParseResult {
    const stats = emptyStats();
    const events: AuditRecord[] = [];
    scanBytes(asBuffer(bytes), options, stats, new AuditEventView(), (ev) =>
        events.push(ev.toRecord()),
    );
    return { events, ...stats };
}

/** `scanAuditLog` for a log as bytes (see `scanAuditEventsBuffer`). Never throws on input. */
export function scanAuditLogBuffer(
    bytes: Uint8Array,
    onRecord: (r: AuditRecord) => void,
    options: ParseOptions = {},
): ParseStats {
    return scanAuditEventsBuffer(bytes, (ev) => onRecord(ev.toRecord()), options);
}

/**
 * Streaming variant: feed chunks as they arrive (any split, even mid-line), collect events.
 *
 *     const p = new AuditLogParser();
 *     for await (const chunk of stream) handle(p.push(chunk));
 *     handle(p.end());
 *
 * `pushEvents` / `endEvents` are the on-demand variants (views instead of records).
 *
 * Linear in the input: each chunk is searched for newlines once, the pieces of an unfinished line
 * are joined only when its newline arrives, and at most `maxLineLength` characters of it are held:
 * a longer line is dropped as it streams by (counted as malformed when it carries a marker, like
 * `parseAuditLog` counts it).
 */
export class AuditLogParser {
    /** Pieces of the unfinished last line, `heldChars` characters in all. */
    private held: string[] = [];
    private heldChars = 0;
    /** The unfinished line is longer than `maxLine`: it is being dropped. */
    private dropping = false;
    private dropChars = 0;
    private dropMarked = false;
    /** First characters of the dropped line (its malformed sample). */
    private dropHead = "";
    /** Last characters seen of the dropped line: a marker may straddle two chunks. */
    private dropTail = "";
    private readonly maxLine: number;
    private readonly statsValue: ParseStats = emptyStats();
    private readonly view = new AuditEventView();

    constructor(private readonly options: ParseOptions = {}) {
        this.maxLine = maxLineOf(options);
    }

    /** Adds text; returns the events of the lines it completed. */
    push(chunk: string): AuditRecord[] {
        const out: AuditRecord[] = [];
        this.pushEvents(chunk, (ev) => out.push(ev.toRecord()));
        return out;
    }

    /** Flushes the last line (without a final newline); returns its events. */
    end(): AuditRecord[] {
        const out: AuditRecord[] = [];
        this.endEvents((ev) => out.push(ev.toRecord()));
        return out;
    }

    /** Adds text; hands the events of the lines it completed to `onEvent` as views. */
    pushEvents(chunk: string, onEvent: (ev: AuditEventView) => void): void {
        const nl = chunk.indexOf("\n");
        if (nl < 0) {
            this.hold(chunk);
            return;
        }
        let text: string;
        if (this.dropping) {
            this.drop(chunk.slice(0, nl));
            this.endDrop(true);
            text = chunk.slice(nl + 1);
        } else if (this.heldChars > 0) {
            text = this.held.join("") + chunk;
            this.held = [];
            this.heldChars = 0;
        } else {
            text = chunk;
        }
        const lastNl = text.lastIndexOf("\n");
        if (lastNl < 0) {
            this.hold(text);
            return;
        }
        scanText(text, lastNl, this.options, this.statsValue, this.view, onEvent);
        lastJournalCursor(text, lastNl, this.statsValue);
        this.statsValue.chars += 1; // the newline itself
        this.hold(text.slice(lastNl + 1));
    }

    /** Flushes the last line (without a final newline) to `onEvent` as a view. */
    endEvents(onEvent: (ev: AuditEventView) => void): void {
        if (this.dropping) {
            this.endDrop(false);
            return;
        }
        if (this.heldChars > 0) {
            const rest = this.held.join("");
            this.held = [];
            this.heldChars = 0;
            scanText(rest, rest.length, this.options, this.statsValue, this.view, onEvent);
            lastJournalCursor(rest, rest.length, this.statsValue);
        }
    }

    get stats(): ParseStats {
        return this.statsValue;
    }

    /**
     * Characters held for the unfinished last line (never more than `maxLineLength`; what remains
     * of a dropped over-long line is not held). For monitoring and tests.
     */
    get bufferedChars(): number {
        return this.heldChars;
    }

    /** Keeps `s` (newline-free) as the next piece of the unfinished line, or drops it. */
    private hold(s: string): void {
        if (s.length === 0) return;
        if (this.dropping) {
            this.drop(s);
            return;
        }
        if (this.heldChars + s.length <= this.maxLine) {
            this.held.push(s);
            this.heldChars += s.length;
            return;
        }
        // over the limit: from here on the line is only looked at for a marker, never kept
        const head = this.held.join("") + s;
        this.held = [];
        this.heldChars = 0;
        this.dropping = true;
        this.dropChars = 0;
        this.dropMarked = false;
        this.dropHead = "";
        this.dropTail = "";
        this.drop(head);
    }

    /** Looks at one more newline-free piece of the dropped line. */
    private drop(s: string): void {
        this.dropChars += s.length;
        if (this.dropHead.length < 300) this.dropHead += s.slice(0, 300 - this.dropHead.length);
        if (!this.dropMarked) {
            const t = this.dropTail + s;
            this.dropMarked = hasMarker(t);
            this.dropTail = t.slice(-MARKER_MAX + 1);
        }
    }

    /** The dropped line ended (with a newline when `newline`): count it like scanText would. */
    private endDrop(newline: boolean): void {
        const st = this.statsValue;
        st.chars += this.dropChars + (newline ? 1 : 0);
        if (this.dropMarked) {
            st.malformed++;
            if (st.malformedSamples.length < (this.options.malformedSamples ?? 5))
                st.malformedSamples.push(
                    this.dropChars > 300 ? `${this.dropHead}…` : this.dropHead,
                );
        }
        this.dropping = false;
        this.dropHead = "";
        this.dropTail = "";
    }
}

/** Parses lines from any iterable (e.g. lines already split by a caller). */
export function* parseAuditLines(
    lines: Iterable<string>,
    options: ParseOptions = {},
    stats: ParseStats = emptyStats(),
): Generator<AuditRecord> {
    const out: AuditRecord[] = [];
    const view = new AuditEventView();
    for (const line of lines) {
        scanText(line, line.length, options, stats, view, (ev) => out.push(ev.toRecord()));
        if (out.length > 0) {
            yield* out;
            out.length = 0;
        }
    }
}

export { emptyStats };
