/**
 * AppArmor audit-log parser. Pure: it takes text, never reads files.
 *
 * Speed matters because callers hand it whole kernel logs in which most lines are not AppArmor's:
 * `parseAuditLog` never splits the text into lines. It jumps from one AppArmor marker
 * (`apparmor=`, `type=APPARMOR_`, `type=150`, …) to the next with `indexOf`, and only the lines holding a
 * marker are parsed, by a hand-written scanner (no regular expression on the hot path).
 *
 * Never throws on input: a line that carries a marker but cannot be read is counted as malformed.
 */
import type { AuditEventType, AuditRecord } from "./record";

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
}

export interface ParseStats {
    /** Events returned. */
    records: number;
    /** Lines that carried an AppArmor marker but could not be read as an event. */
    malformed: number;
    /** The first few malformed lines (truncated to 300 characters), for diagnostics. */
    malformedSamples: string[];
    /** Characters scanned. */
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

const SKIP = 0;
class Malformed {
    constructor(readonly reason: string) {}
}
type Inner = AuditRecord | typeof SKIP | Malformed;

function eventFromAuditType(t: string): AuditEventType | undefined {
    switch (t) {
        case "1501":
        case "APPARMOR_AUDIT":
        case "UNKNOWN[1501]":
            return "AUDIT";
        case "1502":
        case "APPARMOR_ALLOWED":
        case "UNKNOWN[1502]":
            return "ALLOWED";
        case "1503":
        case "APPARMOR_DENIED":
        case "UNKNOWN[1503]":
            return "DENIED";
        case "1504":
        case "APPARMOR_HINT":
        case "UNKNOWN[1504]":
            return "HINT";
        case "1505":
        case "APPARMOR_STATUS":
        case "UNKNOWN[1505]":
            return "STATUS";
        case "1506":
        case "APPARMOR_ERROR":
        case "UNKNOWN[1506]":
            return "ERROR";
    }
    return undefined;
}

/** IP protocol names some user-space loggers write instead of numbers. */
const PROTOCOL_NUMBERS: Record<string, number> = {
    ip: 0,
    icmp: 1,
    igmp: 2,
    tcp: 6,
    udp: 17,
    ipv6: 41,
    gre: 47,
    esp: 50,
    ah: 51,
    icmpv6: 58,
    sctp: 132,
    udplite: 136,
    raw: 255,
    mptcp: 262,
};

// ---------------------------------------------------------------------------------------------
// Value helpers

const decoder = new TextDecoder("utf-8");

/** True when `s[start, end)` is non-empty upper-case hex of even length (the kernel's encoding). */
function isHexAt(s: string, start: number, end: number): boolean {
    if (end <= start || ((end - start) & 1) !== 0) return false;
    for (let i = start; i < end; i++) {
        const c = s.charCodeAt(i);
        if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false;
    }
    return true;
}

function hexValue(c: number): number {
    return c <= 57 ? c - 48 : c - 55;
}

function decodeHexAt(s: string, start: number, end: number): string {
    const n = (end - start) >> 1;
    let ascii = true;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
        const p = start + 2 * i;
        const b = (hexValue(s.charCodeAt(p)) << 4) | hexValue(s.charCodeAt(p + 1));
        bytes[i] = b;
        if (b >= 0x80) ascii = false;
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    return decoder.decode(bytes);
}

/** Decodes the kernel's hex encoding of untrusted strings (upper-case hex of the raw bytes). */
export function decodeHex(s: string): string {
    return decodeHexAt(s, 0, s.length);
}

/** Integer in `s[start, end)` (optional leading `-`), or NaN. No allocation. */
function intAt(s: string, start: number, end: number): number {
    if (end <= start || end - start > 20) return NaN;
    let i = start;
    let neg = false;
    if (s.charCodeAt(i) === 45) {
        neg = true;
        i++;
        if (i === end) return NaN;
    }
    let v = 0;
    for (; i < end; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return NaN;
        v = v * 10 + c;
    }
    return neg ? -v : v;
}

function toInt(s: string): number | undefined {
    const n = intAt(s, 0, s.length);
    return Number.isNaN(n) ? undefined : n;
}

function setExtra(r: AuditRecord, key: string, value: string): void {
    (r.extra ??= {})[key] = value;
}

/** `s.startsWith(key, at)` for a key of length `len`, without the runtime call. */
function sameAt(s: string, at: number, len: number, key: string): boolean {
    if (key.length !== len) return false;
    for (let k = 0; k < len; k++) if (s.charCodeAt(at + k) !== key.charCodeAt(k)) return false;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Line scanner. Delimiters are found with indexOf (native, fast) rather than char by char: on
// this hot path a JavaScript loop over every character costs more than everything else.

function isSpace(c: number): boolean {
    // space, tab, CR, LF, and the 0x1d group separator auditd puts before its enriched fields
    return c === 32 || c === 9 || c === 13 || c === 10 || c === 0x1d;
}

/**
 * Parses `audit(SECONDS.FRACTION:SERIAL)` starting at `p` (index of `(`); returns the index after
 * `)`, or -1. Digits are read in place (no substring, no number parsing call).
 */
function readStamp(line: string, p: number, end: number, r: AuditRecord): number {
    let i = p + 1;
    let secs = 0;
    let c = line.charCodeAt(i);
    while (c >= 48 && c <= 57) {
        secs = secs * 10 + (c - 48);
        c = line.charCodeAt(++i);
    }
    let ok = i > p + 1;
    if (ok && c === 46 /* . */) {
        let scale = 1;
        c = line.charCodeAt(++i);
        while (c >= 48 && c <= 57 && scale < 1e9) {
            secs = secs * 10 + (c - 48);
            scale *= 10;
            c = line.charCodeAt(++i);
        }
        // one division of exact integers: the correctly rounded value of the decimal text
        secs /= scale;
    }
    if (c !== 58 /* : */) {
        // `ausearch -i` prints a local date here instead of seconds: keep the serial, drop the time
        ok = false;
        const colon = line.indexOf(":", i);
        if (colon < 0 || colon >= end) return -1;
        i = colon;
    }
    const s0 = ++i;
    let serial = 0;
    c = line.charCodeAt(i);
    while (c >= 48 && c <= 57) {
        serial = serial * 10 + (c - 48);
        c = line.charCodeAt(++i);
    }
    if (c !== 41 /* ) */ || i === s0 || i >= end) return -1;
    if (ok) r.timestamp = secs;
    r.serial = serial;
    return i + 1;
}

interface Scan {
    type?: AuditEventType;
    /** Set when `apparmor=` held something that is not an event word (e.g. `apparmor=1` on the kernel command line). */
    notEvent?: boolean;
    error?: string;
}

/** Integer value for a numeric field; NaN when it is not one. */
function intValue(v: string): number {
    const n = +v;
    return v.length > 0 && Number.isInteger(n) ? n : NaN;
}

/**
 * Reads `key=value` pairs from `line[start, end)` into `r`. Handles `msg='…'` (USER_AVC) by
 * restarting on the quoted inner message, since the outer keys describe the mediator itself.
 */
function scanPairs(line: string, start: number, end: number, r: AuditRecord, scan: Scan): void {
    let i = start;
    while (i < end) {
        let c = line.charCodeAt(i);
        while (c === 32 || c === 9) c = line.charCodeAt(++i);
        if (i >= end) return;
        const eq = line.indexOf("=", i);
        if (eq < 0 || eq >= end) return; // trailing words without a value
        const key = line.slice(i, eq);
        i = eq + 1;
        let v: string;
        let quoted = false;
        c = line.charCodeAt(i);
        if (c === 34 /* " */) {
            const close = line.indexOf('"', i + 1);
            if (close < 0 || close >= end) {
                scan.error = `unterminated quoted value of ${key}`;
                return;
            }
            v = line.slice(i + 1, close);
            quoted = true;
            i = close + 1;
        } else if (c === 39 /* ' */ && key === "msg") {
            // USER_AVC: msg='apparmor="DENIED" … exe="/usr/bin/dbus-daemon" …': the outer
            // pid/uid/auid/ses are the mediator's own, so restart on the inner message.
            let close = line.lastIndexOf("'", end - 1);
            if (close <= i) close = end;
            for (const k of Object.keys(r)) {
                if (k !== "type" && k !== "timestamp" && k !== "serial") {
                    delete (r as unknown as Record<string, unknown>)[k];
                }
            }
            scanPairs(line, i + 1, close, r, scan);
            return;
        } else {
            let sp = line.indexOf(" ", i);
            if (sp < 0 || sp > end) sp = end;
            v = line.slice(i, sp);
            i = sp;
        }
        assign(r, key, v, quoted, scan);
    }
}

const enum K {
    Other,
    Apparmor,
    Type,
    Msg,
    Operation,
    Profile,
    Label,
    Name,
    Name2,
    Requested,
    Denied,
    Pid,
    Comm,
    Fsuid,
    Ouid,
    Capability,
    Capname,
    Family,
    SockType,
    Protocol,
    Signal,
    Peer,
    PeerProfile,
    Bus,
    Path,
    Interface,
    Member,
    Fstype,
    Flags,
    Srcname,
    Info,
    Error,
    Namespace,
    ExtraUntrusted,
}

/** Which field a key is, by length first (a jump table) then a few string compares. */
function keyCode(key: string): K {
    switch (key.length) {
        case 3:
            switch (key) {
                case "msg":
                    return K.Msg;
                case "pid":
                    return K.Pid;
                case "bus":
                    return K.Bus;
                case "exe":
                    return K.ExtraUntrusted;
            }
            return K.Other;
        case 4:
            switch (key) {
                case "type":
                    return K.Type;
                case "name":
                    return K.Name;
                case "mask":
                    return K.Denied;
                case "comm":
                    return K.Comm;
                case "ouid":
                    return K.Ouid;
                case "peer":
                    return K.Peer;
                case "path":
                    return K.Path;
                case "info":
                    return K.Info;
                case "addr":
                    return K.ExtraUntrusted;
            }
            return K.Other;
        case 5:
            switch (key) {
                case "label":
                    return K.Label;
                case "name2":
                    return K.Name2;
                case "fsuid":
                    return K.Fsuid;
                case "flags":
                    return K.Flags;
                case "error":
                    return K.Error;
            }
            return K.Other;
        case 6:
            switch (key) {
                case "target":
                    return K.Name2;
                case "denied":
                    return K.Denied;
                case "family":
                    return K.Family;
                case "signal":
                    return K.Signal;
                case "member":
                    return K.Member;
                case "method":
                    return K.Member;
                case "fstype":
                    return K.Fstype;
            }
            return K.Other;
        case 7:
            switch (key) {
                case "profile":
                    return K.Profile;
                case "capname":
                    return K.Capname;
                case "srcname":
                    return K.Srcname;
            }
            return K.Other;
        case 8:
            switch (key) {
                case "apparmor":
                    return K.Apparmor;
                case "protocol":
                    return K.Protocol;
                case "execpath":
                    return K.ExtraUntrusted;
            }
            return K.Other;
        case 9:
            switch (key) {
                case "operation":
                    return K.Operation;
                case "requested":
                    return K.Requested;
                case "sock_type":
                    return K.SockType;
                case "interface":
                    return K.Interface;
                case "namespace":
                    return K.Namespace;
                case "peer_addr":
                    return K.ExtraUntrusted;
            }
            return K.Other;
        case 10:
            switch (key) {
                case "capability":
                    return K.Capability;
                case "peer_label":
                    return K.PeerProfile;
            }
            return K.Other;
        case 11:
            switch (key) {
                case "denied_mask":
                    return K.Denied;
            }
            return K.Other;
        case 12:
            switch (key) {
                case "peer_profile":
                    return K.PeerProfile;
            }
            return K.Other;
        case 14:
            switch (key) {
                case "requested_mask":
                    return K.Requested;
            }
            return K.Other;
    }
    return K.Other;
}

/** Stores one `key=value` pair on the record (or on `scan` for the event type). */
function assign(r: AuditRecord, key: string, v: string, quoted: boolean, scan: Scan): void {
    switch (keyCode(key)) {
        case K.Apparmor: {
            const t = eventWord(v);
            if (t !== undefined) scan.type = t;
            else if (quoted) scan.error = `unknown event apparmor="${v}"`;
            else scan.notEvent = true;
            return;
        }
        case K.Operation:
            r.operation = v;
            return;
        case K.Profile:
            r.profile = quoted ? v : untrusted(v);
            return;
        case K.Name:
            r.name = quoted ? v : untrusted(v);
            return;
        case K.Pid: {
            const n = intValue(v);
            if (n === n) r.pid = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Comm:
            r.comm = quoted ? v : untrusted(v);
            return;
        case K.Requested:
            r.requestedMask = v;
            return;
        case K.Denied:
            r.deniedMask = v;
            return;
        case K.Fsuid: {
            const n = intValue(v);
            if (n === n) r.fsuid = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Ouid: {
            const n = intValue(v);
            if (n === n) r.ouid = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Type: {
            const t = eventFromAuditType(v);
            if (t !== undefined) scan.type ??= t;
            else if (v !== "1400" && v !== "AVC" && v !== "1107" && v !== "USER_AVC") {
                setExtra(r, key, v);
            }
            return;
        }
        case K.Msg:
            // `msg=audit(…):` is the stamp the caller already read
            if (!v.startsWith("audit(")) setExtra(r, key, v);
            return;
        case K.Label:
            r.label = quoted ? v : untrusted(v);
            return;
        case K.Info:
            r.info = v;
            return;
        case K.Error: {
            const n = intValue(v);
            if (n === n) r.error = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Capability: {
            const n = intValue(v);
            if (n === n) r.capability = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Capname:
            r.capname = v;
            return;
        case K.Name2:
            r.name2 = quoted ? v : untrusted(v);
            return;
        case K.Family:
            r.family = v;
            return;
        case K.SockType:
            r.sockType = v;
            return;
        case K.Protocol: {
            let n = intValue(v);
            // own properties only: `protocol=constructor` must not find Object.prototype's
            if (n !== n) n = Object.hasOwn(PROTOCOL_NUMBERS, v) ? PROTOCOL_NUMBERS[v] : NaN;
            if (n === n) r.protocol = n;
            else setExtra(r, key, v);
            return;
        }
        case K.Signal:
            r.signal = v;
            return;
        case K.Peer:
            r.peer = quoted ? v : untrusted(v);
            return;
        case K.PeerProfile:
            r.peerProfile = quoted ? v : untrusted(v);
            return;
        case K.Bus:
            r.bus = v;
            return;
        case K.Path:
            r.path = v;
            return;
        case K.Interface:
            r.interface = v;
            return;
        case K.Member:
            r.member = v;
            return;
        case K.Fstype:
            r.fstype = v;
            return;
        case K.Flags:
            r.flags = v;
            return;
        case K.Srcname:
            r.srcname = quoted ? v : untrusted(v);
            return;
        case K.Namespace:
            r.namespace = quoted ? v : untrusted(v);
            return;
        case K.ExtraUntrusted:
            // other keys the kernel writes with audit_log_untrustedstring (hex when unsafe)
            setExtra(r, key, quoted ? v : untrusted(v));
            return;
        case K.Other: {
            // a bare word before the key (`AVC apparmor=…`): the key is the last word
            const cut = lastSeparator(key);
            if (cut < 0) setExtra(r, key, v);
            else if (cut < key.length - 1) assign(r, key.slice(cut + 1), v, quoted, scan);
        }
    }
}

/** Index of the last whitespace or 0x1d separator in a would-be key, or -1. */
function lastSeparator(key: string): number {
    for (let k = key.length - 1; k >= 0; k--) if (isSpace(key.charCodeAt(k))) return k;
    return -1;
}

function eventWord(v: string): AuditEventType | undefined {
    switch (v) {
        case "DENIED":
            return "DENIED";
        case "ALLOWED":
            return "ALLOWED";
        case "AUDIT":
            return "AUDIT";
        case "STATUS":
            return "STATUS";
        case "HINT":
            return "HINT";
        case "ERROR":
            return "ERROR";
    }
    return undefined;
}

/** Unquoted value of a key the kernel writes with `audit_log_untrustedstring`: hex if it looks so. */
function untrusted(v: string): string {
    return isHexAt(v, 0, v.length) ? decodeHexAt(v, 0, v.length) : v;
}

const MONTHS: Record<string, number> = {
    Jan: 0,
    Feb: 1,
    Mar: 2,
    Apr: 3,
    May: 4,
    Jun: 5,
    Jul: 6,
    Aug: 7,
    Sep: 8,
    Oct: 9,
    Nov: 10,
    Dec: 11,
};
const ISO_PREFIX = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?\s/;
const BSD_PREFIX = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s/;
const UNIX_PREFIX = /^(\d{9,11}\.\d+)\s/;

/** Time from a log-line prefix (ISO 8601, `short-unix`, or BSD syslog with a known year). */
function prefixTime(line: string, options: ParseOptions): number | undefined {
    let m = ISO_PREFIX.exec(line);
    if (m) {
        let zone = m[3] ?? "Z";
        if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
        const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
        return Number.isFinite(t) ? t / 1000 : undefined;
    }
    m = UNIX_PREFIX.exec(line);
    if (m) return Number(m[1]);
    m = BSD_PREFIX.exec(line);
    if (m && options.syslogYear !== undefined) {
        const month = MONTHS[m[1]];
        if (month === undefined) return undefined;
        const args = [options.syslogYear, month, +m[2], +m[3], +m[4], +m[5]] as const;
        const ms = options.syslogLocalTime ? new Date(...args).getTime() : Date.UTC(...args);
        return ms / 1000 + (m[6] ? Number(`0.${m[6]}`) : 0);
    }
    return undefined;
}

/** Reads one line known to hold an AppArmor marker at `marker` (or -1: find it). */
/**
 * Reads the line `text[start, end)`, known to hold an AppArmor marker. The caller passes where
 * `audit(`, the header's `type=` and auditd's 0x1d separator are in that line (-1 when absent), so
 * that no search here ever runs past the line.
 */
function parseMarkedLine(
    text: string,
    start: number,
    end: number,
    stampAt: number,
    typeAt: number,
    gsAt: number,
    options: ParseOptions,
    stats?: ParseStats,
): Inner {
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (text.charCodeAt(start) === 123 /* { */) {
        return parseJournalJson(text.slice(start, end), options, stats);
    }
    // `type` is set first (placeholder) so it leads in JSON output, and is fixed at the end.
    const r: AuditRecord = { type: "DENIED" };
    const scan: Scan = {};
    let bodyStart = -1;
    if (stampAt >= 0) {
        const after = readStamp(text, stampAt + 5, end, r);
        if (after > 0) {
            // header type: `type=1400 audit(`, `type=AVC msg=audit(`, `type=APPARMOR_DENIED msg=audit(`
            if (typeAt >= 0 && typeAt < stampAt) {
                let e = text.indexOf(" ", typeAt);
                if (e < 0 || e > stampAt) e = stampAt;
                // `type=1400` (AVC) is by far the most common: skip the lookup for it
                if (!(e - typeAt === 9 && sameAt(text, typeAt + 5, 4, "1400"))) {
                    const t = eventFromAuditType(text.slice(typeAt + 5, e));
                    if (t !== undefined) scan.type = t;
                }
            }
            bodyStart = after;
            if (text.charCodeAt(bodyStart) === 58 /* : */) bodyStart++;
        }
    }
    if (bodyStart < 0) {
        // no audit stamp: journald audit transport (`audit[886]: AVC apparmor=…`), user-space
        // mediators (`dbus-daemon[812]: apparmor=…`). Start at the first marker.
        const line = text.slice(start, end);
        let m = line.indexOf("apparmor=");
        if (m < 0) m = line.indexOf("type=");
        if (m < 0) return SKIP;
        bodyStart = start + m;
        const t = prefixTime(line, options);
        if (t !== undefined) r.timestamp = t;
    }
    if (gsAt >= bodyStart && gsAt < end) {
        // auditd's enriched fields (`FSUID="root" OUID="root"`) after a 0x1d separator
        scanPairs(text, bodyStart, gsAt, r, scan);
        if (scan.error === undefined) scanPairs(text, gsAt + 1, end, r, scan);
    } else {
        scanPairs(text, bodyStart, end, r, scan);
    }
    if (scan.error !== undefined) return new Malformed(scan.error);
    if (scan.type === undefined) {
        return scan.notEvent ? SKIP : new Malformed("no AppArmor event type");
    }
    if (r.operation === undefined) return new Malformed("no operation");
    r.type = scan.type;
    return r;
}

/** Reads one line (no newline inside) of any supported form. */
function parseOneLine(line: string, options: ParseOptions, stats?: ParseStats): Inner {
    const stampAt = line.indexOf("audit(");
    const typeAt = stampAt < 0 ? -1 : line.lastIndexOf("type=", stampAt);
    return parseMarkedLine(
        line,
        0,
        line.length,
        stampAt,
        typeAt,
        line.indexOf("\x1d"),
        options,
        stats,
    );
}

/** `journalctl -o json` line: the message is in MESSAGE; audit transport adds _AUDIT_ID etc. */
function parseJournalJson(line: string, options: ParseOptions, stats?: ParseStats): Inner {
    let obj: unknown;
    try {
        obj = JSON.parse(line);
    } catch {
        return new Malformed("invalid JSON");
    }
    if (typeof obj !== "object" || obj === null) return new Malformed("JSON line is not an object");
    const o = obj as Record<string, unknown>;
    if (stats && typeof o.__CURSOR === "string") stats.journalCursor = o.__CURSOR;
    let message = o.MESSAGE;
    if (Array.isArray(message)) {
        // journald exports non-UTF-8 messages as byte arrays
        message = decoder.decode(Uint8Array.from(message.filter((b) => typeof b === "number")));
    }
    if (typeof message !== "string") return new Malformed("JSON line without MESSAGE");
    if (!hasMarker(message)) return SKIP;
    const inner = parseOneLine(message, options);
    if (!(inner instanceof Malformed) && inner !== SKIP) {
        if (inner.timestamp === undefined) {
            const us = o._SOURCE_REALTIME_TIMESTAMP ?? o.__REALTIME_TIMESTAMP;
            if (typeof us === "string" && /^\d+$/.test(us)) inner.timestamp = Number(us) / 1e6;
        }
        if (inner.serial === undefined && typeof o._AUDIT_ID === "string") {
            const n = toInt(o._AUDIT_ID);
            if (n !== undefined) inner.serial = n;
        }
    }
    return inner;
}

function hasMarker(s: string): boolean {
    return (
        s.includes("apparmor=") ||
        s.includes("type=APPARMOR_") ||
        s.includes("type=150") ||
        s.includes("type=UNKNOWN[150") ||
        s.includes('"MESSAGE":[')
    );
}

/** Reads one log line of any supported form. Never throws. */
export function parseAuditLine(line: string, options: ParseOptions = {}): LineResult {
    try {
        if (!hasMarker(line)) return { kind: "skip" };
        const r = parseOneLine(line, options);
        if (r === SKIP) return { kind: "skip" };
        if (r instanceof Malformed) return { kind: "malformed", reason: r.reason };
        return { kind: "record", record: r };
    } catch (e) {
        return { kind: "malformed", reason: `parser error: ${(e as Error).message}` };
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-text and streaming parsers

function emptyStats(): ParseStats {
    return { records: 0, malformed: 0, malformedSamples: [], chars: 0 };
}

/**
 * Scans `text[0, limit)` (complete lines only) and pushes events to `out`. The jump from marker to
 * marker is what makes non-AppArmor lines cheap: they are never looked at one by one.
 */
function scanText(
    text: string,
    limit: number,
    options: ParseOptions,
    stats: ParseStats,
    sink: (r: AuditRecord) => void,
): void {
    const maxSamples = options.malformedSamples ?? 5;
    // forward searches whose results are reused until passed: each is linear over the whole text
    let n0 = -2; // apparmor=
    let n1 = -2; // type=APPARMOR_ (auditd's legacy type names)
    let n2 = -2; // type=150x (legacy kernels)
    let n3 = -2; // type=UNKNOWN[150x] (auditd without AppArmor's type names)
    let n4 = -2; // journalctl -o json with a non-UTF-8 MESSAGE (a byte array)
    let nextStamp = -2;
    let nextType = -2;
    let nextGs = -2;
    let pos = 0;
    while (pos < limit) {
        if (n0 !== -1 && n0 < pos) n0 = text.indexOf("apparmor=", pos);
        if (n1 !== -1 && n1 < pos) n1 = text.indexOf("type=APPARMOR_", pos);
        if (n2 !== -1 && n2 < pos) n2 = text.indexOf("type=150", pos);
        if (n3 !== -1 && n3 < pos) n3 = text.indexOf("type=UNKNOWN[150", pos);
        if (n4 !== -1 && n4 < pos) n4 = text.indexOf('"MESSAGE":[', pos);
        let hit = n0;
        if (n1 !== -1 && (hit === -1 || n1 < hit)) hit = n1;
        if (n2 !== -1 && (hit === -1 || n2 < hit)) hit = n2;
        if (n3 !== -1 && (hit === -1 || n3 < hit)) hit = n3;
        if (n4 !== -1 && (hit === -1 || n4 < hit)) hit = n4;
        if (hit === -1 || hit >= limit) break;
        const lineStart = text.lastIndexOf("\n", hit) + 1;
        let lineEnd = text.indexOf("\n", hit);
        if (lineEnd === -1 || lineEnd > limit) lineEnd = limit;
        if (nextStamp !== -1 && nextStamp < lineStart)
            nextStamp = text.indexOf("audit(", lineStart);
        const stampAt = nextStamp !== -1 && nextStamp < lineEnd ? nextStamp : -1;
        if (nextType !== -1 && nextType < lineStart) nextType = text.indexOf("type=", lineStart);
        const typeAt = nextType !== -1 && nextType < lineEnd ? nextType : -1;
        if (nextGs !== -1 && nextGs < lineStart) nextGs = text.indexOf("\x1d", lineStart);
        const gsAt = nextGs !== -1 && nextGs < lineEnd ? nextGs : -1;
        let r: Inner;
        try {
            r = parseMarkedLine(text, lineStart, lineEnd, stampAt, typeAt, gsAt, options, stats);
        } catch (e) {
            r = new Malformed(`parser error: ${(e as Error).message}`);
        }
        if (r instanceof Malformed) {
            stats.malformed++;
            if (stats.malformedSamples.length < maxSamples) {
                const line = text.slice(lineStart, Math.min(lineEnd, lineStart + 300));
                stats.malformedSamples.push(lineEnd - lineStart > 300 ? `${line}…` : line);
            }
        } else if (r !== SKIP) {
            stats.records++;
            sink(r);
        }
        pos = lineEnd + 1;
    }
    stats.chars += limit;
}

/** Parses a whole log text (any mix of the supported forms) into events. Never throws. */
export function parseAuditLog(text: string, options: ParseOptions = {}): ParseResult {
    const stats = emptyStats();
    const events: AuditRecord[] = [];
    scanText(text, text.length, options, stats, (r) => events.push(r));
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
    const stats = emptyStats();
    scanText(text, text.length, options, stats, onRecord);
    lastJournalCursor(text, text.length, stats);
    return stats;
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

/**
 * Streaming variant: feed chunks as they arrive (any split, even mid-line), collect events.
 *
 *     const p = new AuditLogParser();
 *     for await (const chunk of stream) handle(p.push(chunk));
 *     handle(p.end());
 */
export class AuditLogParser {
    private rest = "";
    private readonly statsValue: ParseStats = emptyStats();

    constructor(private readonly options: ParseOptions = {}) {}

    /** Adds text; returns the events of the lines it completed. */
    push(chunk: string): AuditRecord[] {
        const text = this.rest.length > 0 ? this.rest + chunk : chunk;
        const lastNl = text.lastIndexOf("\n");
        const out: AuditRecord[] = [];
        if (lastNl < 0) {
            this.rest = text;
            return out;
        }
        scanText(text, lastNl, this.options, this.statsValue, (r) => out.push(r));
        lastJournalCursor(text, lastNl, this.statsValue);
        this.statsValue.chars += 1; // the newline itself
        this.rest = text.slice(lastNl + 1);
        return out;
    }

    /** Flushes the last line (without a final newline); returns its events. */
    end(): AuditRecord[] {
        const out: AuditRecord[] = [];
        if (this.rest.length > 0) {
            scanText(this.rest, this.rest.length, this.options, this.statsValue, (r) =>
                out.push(r),
            );
            lastJournalCursor(this.rest, this.rest.length, this.statsValue);
            this.rest = "";
        }
        return out;
    }

    get stats(): ParseStats {
        return this.statsValue;
    }
}

/** Parses lines from any iterable (e.g. lines already split by a caller). */
export function* parseAuditLines(
    lines: Iterable<string>,
    options: ParseOptions = {},
    stats: ParseStats = emptyStats(),
): Generator<AuditRecord> {
    const out: AuditRecord[] = [];
    for (const line of lines) {
        scanText(line, line.length, options, stats, (r) => out.push(r));
        if (out.length > 0) {
            yield* out;
            out.length = 0;
        }
    }
}

export { emptyStats };
