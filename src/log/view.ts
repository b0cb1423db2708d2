/**
 * The AppArmor audit-line scanner, and the on-demand view of one event it hands out.
 *
 * This is the only scanner: `scanAuditEvents` hands each event to the caller as a reused
 * `AuditEventView`, and every record-producing API (`parseAuditLog`, `scanAuditLog`,
 * `parseAuditLine`, `AuditLogParser`, `parseAuditLines`) builds its records from the same views with
 * `toRecord()`, so views and records cannot disagree.
 *
 * Like libapparmor's struct of char pointers (or simdjson's on-demand API), the scanner only locates
 * each `key=value` pair (`=` and the value's end found with `indexOf`): the key is guessed from its
 * length and first two characters and compared in full only when that field is read (at once for
 * the keys the scan itself needs), and the offsets are stored in a reused Int32Array, with a flag
 * for quoted values. Nothing is sliced, decoded or converted until a getter asks for that field:
 * `ev.pid` reads the digits in place, `ev.name` slices (and hex-decodes) only then.
 *
 * Never throws on input: a line that carries a marker but cannot be read is counted as malformed.
 */
import { AUDIT_EVENT_TYPES } from "./record";
import type { AuditEventType, AuditRecord } from "./record";
import type { ParseOptions, ParseStats } from "./parse";
import { isKernelAppArmorType } from "./kernel";

// ---------------------------------------------------------------------------------------------
// Fields

/** Field codes: what a key means. Several keys share a code (`target` and `name2`, `mask` and `denied_mask`…). */
const enum K {
    Other,
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
    /** `exe=`: kept in `extra`, and the `comm` of lines without `comm=` (user-space mediators). */
    Exe,
    /** Number of codes that are stored as pairs. */
    Count,
    /** `apparmor=`: read while scanning (it decides the event type), never stored as a pair. */
    Apparmor,
    /** A pair whose key ends with a separator (`foo =x`): read past, kept nowhere. */
    Drop,
}

const KEYS: readonly (readonly [string, K])[] = [
    ["msg", K.Msg],
    ["pid", K.Pid],
    ["bus", K.Bus],
    ["exe", K.Exe],
    ["type", K.Type],
    ["name", K.Name],
    ["mask", K.Denied],
    ["comm", K.Comm],
    ["ouid", K.Ouid],
    ["peer", K.Peer],
    ["path", K.Path],
    ["info", K.Info],
    ["addr", K.ExtraUntrusted],
    ["label", K.Label],
    ["name2", K.Name2],
    ["fsuid", K.Fsuid],
    ["flags", K.Flags],
    ["error", K.Error],
    ["target", K.Name2],
    ["denied", K.Denied],
    ["family", K.Family],
    ["signal", K.Signal],
    ["member", K.Member],
    ["method", K.Member],
    ["fstype", K.Fstype],
    ["profile", K.Profile],
    ["capname", K.Capname],
    ["srcname", K.Srcname],
    ["apparmor", K.Apparmor],
    ["protocol", K.Protocol],
    ["execpath", K.ExtraUntrusted],
    // io_uring (AppArmor 4): the label whose credentials a request would use; libapparmor reads
    // it as peer_label (its peer_profile)
    ["tcontext", K.PeerProfile],
    ["operation", K.Operation],
    ["requested", K.Requested],
    ["sock_type", K.SockType],
    ["interface", K.Interface],
    ["namespace", K.Namespace],
    ["peer_addr", K.ExtraUntrusted],
    ["capability", K.Capability],
    ["peer_label", K.PeerProfile],
    ["denied_mask", K.Denied],
    ["peer_profile", K.PeerProfile],
    ["requested_mask", K.Requested],
];

/**
 * The key table and the codes the byte scanner (wasm/log-scan.ts) needs, from the same `KEYS` and
 * `K` as this scanner's: one list of keys for both. @internal
 */
export function byteScannerCodes(): {
    keys: readonly (readonly [string, number])[];
    type: number;
    apparmor: number;
    msg: number;
    operation: number;
    count: number;
    ints: readonly number[];
} {
    return {
        ints: [K.Pid, K.Fsuid, K.Ouid, K.Error, K.Capability],
        keys: KEYS,
        type: K.Type,
        apparmor: K.Apparmor,
        msg: K.Msg,
        operation: K.Operation,
        count: K.Count,
    };
}

// Key lookup without making the key a string: candidates by (length, first character), then the
// other characters compared with the candidate's, kept in a byte table (one byte per character).
const KEY_MAX = 16;
const KEY_CODE = new Uint8Array(KEYS.length);
const KEY_CHARS = new Uint8Array(KEYS.length * KEY_MAX);
/** (length << 7 | first character) → 1 + index of the first candidate in KEYS, 0 for none. */
const KEY_FIRST = new Uint8Array(KEY_MAX << 7);
/** 1 + index of the next candidate with the same length and first character, 0 for none. */
const KEY_NEXT = new Uint8Array(KEYS.length);
for (let k = KEYS.length - 1; k >= 0; k--) {
    const [key, code] = KEYS[k];
    KEY_CODE[k] = code;
    for (let j = 0; j < key.length; j++) KEY_CHARS[k * KEY_MAX + j] = key.charCodeAt(j);
    const slot = (key.length << 7) | key.charCodeAt(0);
    KEY_NEXT[k] = KEY_FIRST[slot];
    KEY_FIRST[slot] = k + 1;
}

/** The code of the key `s[start, start + len)` (which holds no `=`). No allocation. */
function keyCodeAt(s: string, start: number, len: number): K {
    if (len >= KEY_MAX || len === 0) return K.Other;
    const c0 = s.charCodeAt(start);
    if (c0 >= 128) return K.Other;
    let k = KEY_FIRST[(len << 7) | c0];
    while (k !== 0) {
        const base = (k - 1) * KEY_MAX;
        let j = 1;
        while (j < len && s.charCodeAt(start + j) === KEY_CHARS[base + j]) j++;
        if (j === len) return KEY_CODE[k - 1];
        k = KEY_NEXT[k - 1];
    }
    return K.Other;
}

/**
 * `keyCodeAt` for a key guessed as candidate `k` (1 + index in KEYS) from its length and first
 * two characters: the guess is compared from the third character on, then the candidates after
 * it with the same length and first character (the second one compared too).
 */
function guessedKeyCode(s: string, start: number, len: number, k: number): K {
    let j = 2;
    while (k !== 0) {
        const base = (k - 1) * KEY_MAX;
        while (j < len && s.charCodeAt(start + j) === KEY_CHARS[base + j]) j++;
        if (j === len) return KEY_CODE[k - 1];
        k = KEY_NEXT[k - 1];
        j = 1;
    }
    return K.Other;
}

/**
 * Event codes (the view stores the code): indexes into AUDIT_EVENT_TYPES, in its order. A module
 * constant, so that the getters index a known array (not a property of the imported module).
 */
const EVENT_TYPES = AUDIT_EVENT_TYPES;
const T_NONE = -1;
const T_DENIED = 0;
const T_ALLOWED = 1;
const T_AUDIT = 2;
const T_STATUS = 3;
const T_HINT = 4;
const T_ERROR = 5;

/** The event code of `apparmor="WORD"` in `s[start, end)`, or T_NONE. */
function eventWordAt(s: string, start: number, end: number): number {
    switch (end - start) {
        case 6:
            if (sameAt(s, start, "DENIED")) return T_DENIED;
            if (sameAt(s, start, "STATUS")) return T_STATUS;
            return T_NONE;
        case 7:
            return sameAt(s, start, "ALLOWED") ? T_ALLOWED : T_NONE;
        case 5:
            if (sameAt(s, start, "AUDIT")) return T_AUDIT;
            if (sameAt(s, start, "ERROR")) return T_ERROR;
            return T_NONE;
        case 4:
            return sameAt(s, start, "HINT") ? T_HINT : T_NONE;
    }
    return T_NONE;
}

/** The event code of an audit record type (`type=1503`, `type=APPARMOR_DENIED`…), or T_NONE. */
function eventFromAuditType(t: string): number {
    switch (t) {
        case "1501":
        case "APPARMOR_AUDIT":
        case "UNKNOWN[1501]":
            return T_AUDIT;
        case "1502":
        case "APPARMOR_ALLOWED":
        case "UNKNOWN[1502]":
            return T_ALLOWED;
        case "1503":
        case "APPARMOR_DENIED":
        case "UNKNOWN[1503]":
            return T_DENIED;
        case "1504":
        case "APPARMOR_HINT":
        case "UNKNOWN[1504]":
            return T_HINT;
        case "1505":
        case "APPARMOR_STATUS":
        case "UNKNOWN[1505]":
            return T_STATUS;
        case "1506":
        case "APPARMOR_ERROR":
        case "UNKNOWN[1506]":
            return T_ERROR;
    }
    return T_NONE;
}

/**
 * True when the syslog tag right before `m` in `line` (`host TAG[PID]: ` or `host TAG: `) names a
 * program, not the kernel or journald's audit transport (`kernel: `, `audit[PID]: `).
 */
function userSpaceTag(line: string, m: number): boolean {
    if (m < 3 || line.charCodeAt(m - 1) !== 32 || line.charCodeAt(m - 2) !== 58 /* : */)
        return false;
    let e = m - 2;
    const sp = line.lastIndexOf(" ", e - 1);
    if (line.charCodeAt(e - 1) === 93 /* ] */) e = line.lastIndexOf("[", e - 1);
    if (e <= sp + 1) return false;
    const tag = line.slice(sp + 1, e);
    return tag !== "kernel" && tag !== "audit";
}

/**
 * IP protocol names by number, in libapparmor's order: its table (`af_protos.h`) is generated at
 * build time from the IPPROTO_* constants of glibc's <netinet/in.h>, and its `net_protocol` is the
 * first name of a number, `unknown(N)` for a number without one. These are glibc 2.36's (Debian 12,
 * whose libapparmor the agreement tests compare with); a libapparmor built on a newer glibc may name
 * a few more numbers. The names are also read back: some user-space loggers write `protocol="tcp"`.
 */
const PROTOCOLS: readonly (readonly [string, number])[] = [
    ["ip", 0],
    ["icmp", 1],
    ["igmp", 2],
    ["ipip", 4],
    ["tcp", 6],
    ["egp", 8],
    ["pup", 12],
    ["udp", 17],
    ["idp", 22],
    ["tp", 29],
    ["dccp", 33],
    ["ipv6", 41],
    ["rsvp", 46],
    ["gre", 47],
    ["esp", 50],
    ["ah", 51],
    ["mtp", 92],
    ["beetph", 94],
    ["encap", 98],
    ["pim", 103],
    ["comp", 108],
    ["sctp", 132],
    ["udplite", 136],
    ["mpls", 137],
    ["ethernet", 143],
    ["raw", 255],
    ["mptcp", 262],
    // IPv6 extension headers and ICMPv6 (hopopts is 0: "ip" is named first, as in libapparmor)
    ["hopopts", 0],
    ["routing", 43],
    ["fragment", 44],
    ["icmpv6", 58],
    ["none", 59],
    ["dstopts", 60],
    ["mh", 135],
];

/** Protocol numbers by name (`protocol="tcp"`). */
const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = Object.fromEntries(PROTOCOLS);

// ---------------------------------------------------------------------------------------------
// Value helpers

const decoder = new TextDecoder("utf-8");

type Latin1Slicer = { latin1Slice(start: number, end: number): string };
/** `b.toString("latin1", start, end)`, through Buffer's own slicer when it has one (no checks). */
const latin1: (b: Buffer, start: number, end: number) => string =
    typeof (Buffer.prototype as unknown as Partial<Latin1Slicer>).latin1Slice === "function"
        ? (b, start, end) => (b as unknown as Latin1Slicer).latin1Slice(start, end)
        : (b, start, end) => b.toString("latin1", start, end);

/** `s.startsWith(key, at)` without the runtime call. */
function sameAt(s: string, at: number, key: string): boolean {
    for (let k = 0; k < key.length; k++)
        if (s.charCodeAt(at + k) !== key.charCodeAt(k)) return false;
    return true;
}

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

/** Integer value for a numeric field (`+v` when that is an integer); NaN when it is not one. */
function intValue(v: string): number {
    const n = +v;
    return v.length > 0 && Number.isInteger(n) ? n : NaN;
}

/** `intValue(s.slice(start, end))`, read in place for the usual plain digits. */
function intValueAt(s: string, start: number, end: number): number {
    const len = end - start;
    if (len > 0 && len <= 15) {
        let i = start;
        const neg = s.charCodeAt(i) === 45;
        if (neg) i++;
        if (i < end) {
            let v = 0;
            for (; i < end; i++) {
                const c = s.charCodeAt(i) - 48;
                if (c < 0 || c > 9) break;
                v = v * 10 + c;
            }
            if (i === end) return neg ? -v : v;
        }
    }
    // anything else (`0x1F`, ` 12`, `1e3`, very long digit strings): exactly what `+v` gives
    return intValue(s.slice(start, end));
}

export function isSpace(c: number): boolean {
    // space, tab, CR, LF, and the 0x1d group separator auditd puts before its enriched fields
    return c === 32 || c === 9 || c === 13 || c === 10 || c === 0x1d;
}

function setExtra(r: AuditRecord, key: string, value: string): void {
    (r.extra ??= {})[key] = value;
}

/** Stores the integer field `code` (pid, fsuid, ouid, error, capability) on `r`. */
function setIntField(r: AuditRecord, code: K, n: number): void {
    switch (code) {
        case K.Pid:
            r.pid = n;
            break;
        case K.Fsuid:
            r.fsuid = n;
            break;
        case K.Ouid:
            r.ouid = n;
            break;
        case K.Error:
            r.error = n;
            break;
        case K.Capability:
            r.capability = n;
            break;
    }
}

/** Fields whose unquoted values are hex-decoded (the kernel's `audit_log_untrustedstring`). */
const UNTRUSTED = new Uint8Array(K.Count);
for (const k of [
    K.Profile,
    K.Label,
    K.Name,
    K.Name2,
    K.Comm,
    K.Peer,
    K.PeerProfile,
    K.Srcname,
    K.Namespace,
    K.ExtraUntrusted,
    K.Exe,
]) {
    UNTRUSTED[k] = 1;
}

// ---------------------------------------------------------------------------------------------
// Records

/**
 * The constructor of `toRecord()`'s records: a plain object (its prototype is Object.prototype,
 * so it is indistinguishable from `{ type }`: same prototype, `constructor`, keys, JSON and deep
 * equality), made by `new` only so that V8 sizes it for the fields a record gets. A literal
 * `{ type }` has room for one field in the object itself, and every field added after it grows a
 * separate backing store (one allocation per few fields, ~15 fields a record); V8 gives objects
 * made by a constructor room for the `this.…` assignments it sees in its body (plus slack) and
 * trims that to what its first instances used. The branch below never runs (`type` is always a
 * string): it only tells V8 how many fields to expect, in the order `AUDIT_RECORD_FIELDS` lists
 * them. No field is ever set to undefined: a record has exactly the fields its line gives.
 */
interface RecordObjectCtor {
    new (type: AuditEventType): AuditRecord;
}
const RecordObject = function RecordObject(this: AuditRecord, type: AuditEventType): void {
    this.type = type;
    if ((type as unknown) === undefined) {
        // never runs: the expected shape (see above)
        const v = undefined as never;
        this.operation = this.profile = this.label = this.name = this.name2 = v;
        this.requestedMask = this.deniedMask = this.pid = this.comm = this.fsuid = v;
        this.ouid = this.capability = this.capname = this.family = this.sockType = v;
        this.protocol = this.protocolName = this.signal = this.peer = this.peerProfile = v;
        this.info = this.error = this.timestamp = this.serial = this.extra = v;
    }
} as unknown as RecordObjectCtor;
RecordObject.prototype = Object.prototype;

// ---------------------------------------------------------------------------------------------
// The view

/**
 * Pair layout in `AuditEventView.pairs`: 4 ints per `key=value`. The first holds the field code,
 * QUOTED, and UNVERIFIED when the scanner only guessed the key from its length and first two
 * characters (its `=` ends the key: the value starts 1 past it, 2 when quoted).
 */
const P_KEY = 1; // start of the key (after any bare words before it)
const P_VS = 2; // value start (after the opening quote)
const P_VE = 3; // value end (at the closing quote)
const P_SIZE = 4;
const QUOTED = 0x100;
const UNVERIFIED = 0x200;
const CODE_MASK = 0xff;
/** With UNVERIFIED: 1 + the index in KEYS of the guessed key, from this bit on. */
const GUESS_SHIFT = 10;
/**
 * Without UNVERIFIED (pairs of the byte scanner): INTVAL and the integer value from HIGH_SHIFT
 * on, or 1 + the value's intern id from HIGH_SHIFT on (0: not interned).
 */
const INTVAL = 0x400;
const HIGH_SHIFT = 11;
/**
 * Intern ids of the byte scanner are below this (wasm/log-scan.ts's internIds(), ISLOTS / 2;
 * checked when a scanner starts). Its strings array holds the value of id `i` at `i` and, for unquoted values of fields
 * the kernel may hex-encode, the decoded value at `INTERN_IDS + i`. @internal
 */
export const INTERN_IDS = 8192;

/** Where `timestamp` / `serial` came from: none, the line itself, or journald's JSON fields. */
const SRC_NONE = 0;
const SRC_LINE = 1;
const SRC_JSON = 2;

/**
 * One AppArmor event, read on demand. The scanner reuses one view for every event of a scan: it is
 * valid only inside the callback (keep `toRecord()`, or the values read, not the view).
 *
 * Every getter returns exactly the value the same-named field of `toRecord()` has (undefined when
 * the record would not have the field); strings, numbers and hex are decoded only when asked for.
 */
export class AuditEventView {
    /** The text the offsets point into (the log text, or the MESSAGE of a JSON line). */
    private src = "";
    /** The whole text and the bounds of the current line in it. */
    private text = "";
    private lineStart = 0;
    private lineEnd = 0;
    /** Event code (T_…), T_NONE while unknown. */
    private kind = T_NONE;
    private notEvent = false;
    /** User space logged the event (a user audit message, a mediator's own log line). */
    private userSpace = false;
    /** Why the line is malformed (set while scanning), or undefined. */
    private errorReason: string | undefined = undefined;
    private ts = 0;
    private tsSrc = SRC_NONE;
    private serialValue = 0;
    private serialSrc = SRC_NONE;
    private pairs: Int32Array = new Int32Array(32 * P_SIZE);
    /** The view's own pair array (`pairs` points into the byte scanner's output for its events). */
    private ownPairs = this.pairs;
    /** Where this event's pairs start in `pairs`. */
    private pbase = 0;
    /**
     * For an event read by the byte scanner: the bytes of its line, decoded into `src` (and
     * `text`) only when a field is read. Null once decoded, and for the string scanner's events.
     */
    private srcBytes: Buffer | null = null;
    /** A byte-scanner event's bytes and line start (kept after `srcBytes` is decoded). */
    private byteBuf: Buffer | null = null;
    private byteStart = 0;
    /** The byte scanner's strings by intern id. */
    private interned: (string | undefined)[] = [];
    private npairs = 0;
    /**
     * Per field code, at `lastBase + code`: the offset in `pairs` of its last pair, or -1. The
     * view's own table (`ownLast`, at 0) for the string scanner's events; for the byte scanner's,
     * the table its output holds for the event (in the same array as its pairs).
     */
    private lastPair: Int32Array = new Int32Array(K.Count).fill(-1);
    private readonly ownLast = this.lastPair;
    private lastBase = 0;

    // --- scanner side -------------------------------------------------------------------------

    /** Starts a new line: forgets every field of the previous one. */
    private reset(text: string, start: number, end: number): void {
        this.srcBytes = null;
        this.byteBuf = null;
        this.pairs = this.ownPairs;
        this.pbase = 0;
        this.lastPair = this.ownLast;
        this.lastBase = 0;
        this.src = text;
        this.text = text;
        this.lineStart = start;
        this.lineEnd = end;
        this.kind = T_NONE;
        this.notEvent = false;
        this.userSpace = false;
        this.errorReason = undefined;
        this.tsSrc = SRC_NONE;
        this.serialSrc = SRC_NONE;
        this.clearPairs();
    }

    /** Forgets the pairs read so far (USER_AVC's `msg='…'`: the outer keys are the mediator's). */
    private clearPairs(): void {
        this.npairs = 0;
        this.ownLast.fill(-1);
    }

    private addPair(word: number, ks: number, vs: number, ve: number): void {
        const o = this.npairs * P_SIZE;
        if (o + P_SIZE > this.pairs.length) {
            const bigger = new Int32Array(this.pairs.length * 2);
            bigger.set(this.pairs);
            this.pairs = bigger;
            this.ownPairs = bigger;
        }
        const p = this.pairs;
        p[o] = word;
        p[o + P_KEY] = ks;
        p[o + P_VS] = vs;
        p[o + P_VE] = ve;
        this.npairs++;
        this.ownLast[word & CODE_MASK] = o;
    }

    /**
     * Reads `key=value` pairs from `s[i, end)`. Handles `msg='…'` (USER_AVC) by restarting on the
     * quoted inner message, since the outer keys describe the mediator itself.
     *
     * `clean`: the line holds no tab, CR or 0x1d, so a key can contain a separator (a bare word
     * before it, `AVC apparmor=`) only if a space comes before its `=`; one search for the next
     * space tells, and is also where an unquoted value ends. A key without a separator is then
     * only guessed from its length and first two characters, and compared in full when read
     * (UNVERIFIED): keys the scan itself needs (`apparmor`, `type`) are compared at once.
     * `apparmorAt`: where an `apparmor=` is known to start (compared already), or -1.
     */
    private scanPairs(s: string, i: number, end: number, clean: boolean, apparmorAt: number): void {
        while (i < end) {
            let c = s.charCodeAt(i);
            while (c === 32 || c === 9) c = s.charCodeAt(++i);
            if (i >= end) return;
            const eq = s.indexOf("=", i);
            if (eq < 0 || eq >= end) return; // trailing words without a value
            const rawStart = i;
            let ks = i;
            let word: number = K.Other;
            let sp = -1;
            if (clean) {
                sp = s.indexOf(" ", i);
                if (sp < 0 || sp > end) sp = end;
            }
            if (sp > eq) {
                // no separator in the key: guess it from (length, first, second character)
                const len = eq - i;
                let k = len < KEY_MAX && c < 128 ? KEY_FIRST[(len << 7) | c] : 0;
                if (k !== 0) {
                    const c1 = s.charCodeAt(i + 1);
                    while (k !== 0 && KEY_CHARS[(k - 1) * KEY_MAX + 1] !== c1) k = KEY_NEXT[k - 1];
                }
                if (k !== 0) {
                    word = KEY_CODE[k - 1];
                    if (word === K.Apparmor) {
                        if (i !== apparmorAt) word = keyCodeAt(s, i, len);
                    } else if (word === K.Type) {
                        word = keyCodeAt(s, i, len);
                    } else if (len > 2) {
                        word |= UNVERIFIED | (k << GUESS_SHIFT);
                    }
                }
            } else {
                // the exact way: the whole key compared, and the last word taken after a separator
                word = keyCodeAt(s, i, eq - i);
                if (word === K.Other) {
                    for (let j = eq - 1; j >= i; j--) {
                        if (isSpace(s.charCodeAt(j))) {
                            ks = j + 1;
                            word = ks === eq ? K.Drop : keyCodeAt(s, ks, eq - ks);
                            break;
                        }
                    }
                }
            }
            i = eq + 1;
            c = s.charCodeAt(i);
            let vs: number;
            let ve: number;
            if (c === 34 /* " */) {
                const close = s.indexOf('"', i + 1);
                if (close < 0 || close >= end) {
                    this.errorReason = `unterminated quoted value of ${s.slice(rawStart, eq)}`;
                    return;
                }
                vs = i + 1;
                ve = close;
                word |= QUOTED;
                i = close + 1;
            } else if (c === 39 /* ' */ && eq - rawStart === 3 && sameAt(s, rawStart, "msg")) {
                // USER_AVC: msg='apparmor="DENIED" … exe="/usr/bin/dbus-daemon" …': the outer
                // pid/uid/auid/ses are the mediator's own, so restart on the inner message.
                // Only the kernel's user-message path writes `msg='…'` (never an AppArmor kernel
                // record): the event is marked as one any CAP_AUDIT_WRITE process can send.
                let close = s.lastIndexOf("'", end - 1);
                if (close <= i) close = end;
                this.userSpace = true;
                this.clearPairs();
                i++;
                end = close;
                continue;
            } else {
                if (sp <= eq) {
                    sp = s.indexOf(" ", i);
                    if (sp < 0 || sp > end) sp = end;
                }
                vs = i;
                ve = sp;
                i = sp;
            }
            const code = word & CODE_MASK;
            if (code < K.Count) {
                this.addPair(word, ks, vs, ve);
                if (code === K.Type) {
                    const t = eventFromAuditType(s.slice(vs, ve));
                    if (t !== T_NONE && this.kind === T_NONE) this.kind = t;
                }
            } else if (code === K.Apparmor) {
                const t = eventWordAt(s, vs, ve);
                if (t !== T_NONE) this.kind = t;
                else if ((word & QUOTED) !== 0)
                    this.errorReason = `unknown event apparmor="${s.slice(vs, ve)}"`;
                else this.notEvent = true;
            }
        }
    }

    /**
     * Parses `audit(SECONDS.FRACTION:SERIAL)` starting at `p` (index of `(`); returns the index
     * after `)`, or -1. Digits are read in place (no substring, no number parsing call).
     */
    private readStamp(line: string, p: number, end: number): number {
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
        if (ok) {
            this.ts = secs;
            this.tsSrc = SRC_LINE;
        }
        this.serialValue = serial;
        this.serialSrc = SRC_LINE;
        return i + 1;
    }

    /**
     * Reads the line `text[start, end)`, known to hold an AppArmor marker. The caller passes where
     * `audit(`, the header's `type=` and auditd's 0x1d separator are in that line (-1 when absent),
     * so that no search here ever runs past the line. `clean`: no tab, CR (but a last one) or
     * 0x1d in the line. `apparmorAt`: where an `apparmor=` of the line starts, or -1 when unknown.
     *
     * `marked` false: the caller does not know whether the line holds a marker at all; it is read
     * only if it is an audit record whose body starts with `apparmor=` (an AppArmor kernel or auditd
     * line: the caller's guess for the line after one), else LINE_UNKNOWN is returned at once.
     *
     * Returns LINE_EVENT, LINE_SKIP, LINE_MALFORMED (reason in `errorReason`) or LINE_UNKNOWN.
     * @internal
     */
    scanLine(
        text: string,
        start: number,
        end: number,
        stampAt: number,
        typeAt: number,
        gsAt: number,
        clean: boolean,
        marked: boolean,
        apparmorAt: number,
        options: ParseOptions,
        stats?: ParseStats,
    ): number {
        if (end > start && text.charCodeAt(end - 1) === 13) end--;
        this.reset(text, start, end);
        if (text.charCodeAt(start) === 123 /* { */) {
            if (!marked) return LINE_UNKNOWN;
            return this.scanJournalJson(text.slice(start, end), options, stats);
        }
        let bodyStart = -1;
        if (stampAt >= 0) {
            const after = this.readStamp(text, stampAt + 5, end);
            if (after > 0) {
                // header type: `type=1400 audit(`, `type=AVC msg=audit(`, `type=APPARMOR_DENIED msg=audit(`
                if (typeAt >= 0 && typeAt < stampAt) {
                    // `type=1400` (AVC) is by far the most common: no lookup for it
                    const c9 = text.charCodeAt(typeAt + 9);
                    const avc =
                        (c9 === 32 || typeAt + 9 === stampAt) && sameAt(text, typeAt + 5, "1400");
                    let e = avc ? 0 : text.indexOf(" ", typeAt);
                    if (e < 0 || e > stampAt) e = stampAt;
                    if (!avc) {
                        const t = eventFromAuditType(text.slice(typeAt + 5, e));
                        if (t !== T_NONE) this.kind = t;
                    }
                }
                bodyStart = after;
                if (text.charCodeAt(bodyStart) === 58 /* : */) bodyStart++;
                if (!marked) {
                    let a = bodyStart;
                    while (text.charCodeAt(a) === 32) a++;
                    if (a + 9 > end || !sameAt(text, a, "apparmor=")) return LINE_UNKNOWN;
                    apparmorAt = a;
                }
            }
        }
        if (bodyStart < 0) {
            if (!marked) return LINE_UNKNOWN;
            // no audit stamp: journald audit transport (`audit[886]: AVC apparmor=…`), user-space
            // mediators (`dbus-daemon[812]: apparmor=…`). Start at the first marker.
            const line = text.slice(start, end);
            let m = line.indexOf("apparmor=");
            if (m < 0) m = line.indexOf("type=");
            if (m < 0) return LINE_SKIP;
            bodyStart = start + m;
            // journald's audit transport in text form: `audit[812]: USER_AVC pid=… msg='apparmor=…'`
            // (the message of a user-space mediator, quoted): it ends at the closing quote
            if (m >= 5 && line.startsWith("msg='", m - 5)) {
                const close = line.lastIndexOf("'");
                if (close > m) end = start + close;
                this.userSpace = true;
            } else if (userSpaceTag(line, m)) {
                // a user-space mediator's own log line: `dbus-daemon[812]: apparmor="DENIED" …`
                this.userSpace = true;
            }
            const t = prefixTime(line, options);
            if (t !== undefined) {
                this.ts = t;
                this.tsSrc = SRC_LINE;
            }
        }
        if (gsAt >= bodyStart && gsAt < end) {
            // auditd's enriched fields (`FSUID="root" OUID="root"`) after a 0x1d separator
            this.scanPairs(text, bodyStart, gsAt, false, apparmorAt);
            if (this.errorReason === undefined) this.scanPairs(text, gsAt + 1, end, false, -1);
        } else {
            this.scanPairs(text, bodyStart, end, clean && gsAt < 0, apparmorAt);
        }
        return this.verdict();
    }

    private verdict(): number {
        if (this.errorReason !== undefined) return LINE_MALFORMED;
        if (this.kind === T_NONE) {
            if (this.notEvent) return LINE_SKIP;
            this.errorReason = "no AppArmor event type";
            return LINE_MALFORMED;
        }
        // the kernel logs some STATUS records without an operation (policy unpack failures:
        // `apparmor="STATUS" info="failed to unpack profile" … offset=151`)
        if (this.at(K.Operation) < 0 && this.kind !== T_STATUS) {
            this.errorReason = "no operation";
            return LINE_MALFORMED;
        }
        return LINE_EVENT;
    }

    /** Reads one line (no newline inside) of any supported form. @internal */
    scanOneLine(line: string, options: ParseOptions, stats?: ParseStats): number {
        const stampAt = line.indexOf("audit(");
        const typeAt = stampAt < 0 ? -1 : line.lastIndexOf("type=", stampAt);
        const cr = line.indexOf("\r");
        const clean =
            line.indexOf("\t") < 0 && line.indexOf("\n") < 0 && (cr < 0 || cr === line.length - 1);
        return this.scanLine(
            line,
            0,
            line.length,
            stampAt,
            typeAt,
            line.indexOf("\x1d"),
            clean,
            true,
            -1,
            options,
            stats,
        );
    }

    /** `journalctl -o json` line: the message is in MESSAGE; audit transport adds _AUDIT_ID etc. */
    private scanJournalJson(line: string, options: ParseOptions, stats?: ParseStats): number {
        const text = this.text;
        const lineStart = this.lineStart;
        const lineEnd = this.lineEnd;
        let obj: unknown;
        try {
            obj = JSON.parse(line);
        } catch {
            this.errorReason = "invalid JSON";
            return LINE_MALFORMED;
        }
        if (typeof obj !== "object" || obj === null) {
            this.errorReason = "JSON line is not an object";
            return LINE_MALFORMED;
        }
        const o = obj as Record<string, unknown>;
        if (stats && typeof o.__CURSOR === "string") stats.journalCursor = o.__CURSOR;
        let message = o.MESSAGE;
        if (Array.isArray(message)) {
            // journald exports non-UTF-8 messages as byte arrays
            message = decoder.decode(Uint8Array.from(message.filter((b) => typeof b === "number")));
        }
        if (typeof message !== "string") {
            this.errorReason = "JSON line without MESSAGE";
            return LINE_MALFORMED;
        }
        if (!hasMarker(message)) return LINE_SKIP;
        const res = this.scanOneLine(message, options);
        // journald says who logged it: a user audit message (_AUDIT_TYPE 1107 …) or a program's
        // own message (_TRANSPORT syslog, journal, stdout) is user space's
        const transport = o._TRANSPORT;
        const auditType = o._AUDIT_TYPE;
        if (
            (typeof transport === "string" && transport !== "kernel" && transport !== "audit") ||
            (typeof auditType === "string" && !isKernelAppArmorType(Number(auditType)))
        ) {
            this.userSpace = true;
        }
        // the view reads the message, but its line is the JSON line
        this.text = text;
        this.lineStart = lineStart;
        this.lineEnd = lineEnd;
        if (res === LINE_EVENT) {
            if (this.tsSrc === SRC_NONE) {
                const us = o._SOURCE_REALTIME_TIMESTAMP ?? o.__REALTIME_TIMESTAMP;
                if (typeof us === "string" && /^\d+$/.test(us)) {
                    this.ts = Number(us) / 1e6;
                    this.tsSrc = SRC_JSON;
                }
            }
            if (this.serialSrc === SRC_NONE && typeof o._AUDIT_ID === "string") {
                const n = intAt(o._AUDIT_ID);
                if (n === n) {
                    this.serialValue = n;
                    this.serialSrc = SRC_JSON;
                }
            }
        }
        return res;
    }

    /** Why the last line was malformed. */
    get malformedReason(): string {
        return this.errorReason ?? "";
    }

    /**
     * Makes this view the event the byte scanner read from `bytes[start, end)` (a printable-ASCII
     * line): event code `kind`, stamp `ts` / `serial`, `npairs` pairs at `base` in `pairs` (its
     * output, offsets relative to the line) and their table of last pairs at `lastBase` (see
     * `lastPair`). Nothing is decoded until a field is read.
     * @internal
     */
    setBytesEvent(
        bytes: Buffer,
        start: number,
        end: number,
        kind: number,
        ts: number,
        serial: number,
        pairs: Int32Array,
        lastBase: number,
        base: number,
        npairs: number,
        interned: (string | undefined)[],
    ): void {
        this.srcBytes = bytes;
        this.byteBuf = bytes;
        this.byteStart = start;
        this.interned = interned;
        this.lineStart = start;
        this.lineEnd = end;
        this.kind = kind;
        this.notEvent = false;
        this.userSpace = false;
        this.errorReason = undefined;
        this.ts = ts;
        this.tsSrc = SRC_LINE;
        this.serialValue = serial;
        this.serialSrc = SRC_LINE;
        this.pairs = pairs;
        this.pbase = base;
        this.npairs = npairs;
        this.lastPair = pairs;
        this.lastBase = lastBase;
    }

    /** The value of the pair at `o` as it is in the line (interned, or sliced). */
    private str(o: number): string {
        const p = this.pairs;
        const w = p[o];
        if ((w & (UNVERIFIED | INTVAL)) === 0 && w >>> HIGH_SHIFT !== 0) {
            const id = (w >>> HIGH_SHIFT) - 1;
            let v = this.interned[id];
            if (v === undefined) {
                const b = this.byteStart;
                v = latin1(this.byteBuf as Buffer, b + p[o + P_VS], b + p[o + P_VE]);
                this.interned[id] = v;
            }
            return v;
        }
        const bytes = this.srcBytes;
        if (bytes !== null) {
            // a byte-scanner event whose line is not decoded: only this value is (printable
            // ASCII, so its latin1 string is the slice of the decoded line)
            const b = this.byteStart;
            return latin1(bytes, b + p[o + P_VS], b + p[o + P_VE]);
        }
        return this.source().slice(p[o + P_VS], p[o + P_VE]);
    }

    /** The value of the pair at `o` as a string the kernel may have hex-encoded (decoded). */
    private untrustedStr(o: number): string {
        const w = this.pairs[o];
        if ((w & (UNVERIFIED | INTVAL | QUOTED)) === 0 && w >>> HIGH_SHIFT !== 0) {
            // an unquoted interned value: decoded once per intern id (kept after the raw ones)
            const slot = INTERN_IDS - 1 + (w >>> HIGH_SHIFT);
            let d = this.interned[slot];
            if (d === undefined) {
                const v = this.str(o);
                d = isHexAt(v, 0, v.length) ? decodeHexAt(v, 0, v.length) : v;
                this.interned[slot] = d;
            }
            return d;
        }
        const v = this.str(o);
        return (w & QUOTED) !== 0 || !isHexAt(v, 0, v.length) ? v : decodeHexAt(v, 0, v.length);
    }

    /** The integer value of the pair at `o` (NaN when it is not one). */
    private intOf(o: number): number {
        const p = this.pairs;
        const w = p[o];
        if ((w & (UNVERIFIED | INTVAL)) === INTVAL) return w >>> HIGH_SHIFT;
        return intValueAt(this.source(), p[o + P_VS], p[o + P_VE]);
    }

    /** The text the pair offsets point into (the line of a byte-scanner event, decoded now). */
    private source(): string {
        const b = this.srcBytes;
        if (b === null) return this.src;
        // printable ASCII: latin1 is its UTF-8 decoding, one byte a character
        const line = latin1(b, this.lineStart, this.lineEnd);
        this.srcBytes = null;
        this.src = line;
        this.text = line;
        this.lineStart = 0;
        this.lineEnd = line.length;
        return line;
    }

    // --- consumer side ------------------------------------------------------------------------

    /**
     * Offset in `pairs` of the last pair of `code` on this line, or -1. Small enough for V8 to
     * inline: a guessed key (the string scanner's) is compared by `verifiedAt`.
     */
    private at(code: K): number {
        const o = this.lastPair[this.lastBase + code];
        return o < 0 || (this.pairs[o] & UNVERIFIED) === 0 ? o : this.verifiedAt(code);
    }

    /** `at` when the last pair's key was only guessed: compared, else the field's previous pair. */
    private verifiedAt(code: K): number {
        const last = this.lastPair;
        const at = this.lastBase + code;
        let o = last[at];
        if (o < 0) return -1;
        const p = this.pairs;
        while ((p[o] & UNVERIFIED) !== 0 && this.verify(o) !== code) {
            // the guess was wrong (an unknown key): the field's previous pair, if any
            do o -= P_SIZE;
            while (o >= this.pbase && (p[o] & CODE_MASK) !== code);
            last[at] = o < this.pbase ? -1 : o;
            if (o < this.pbase) return -1;
        }
        return o;
    }

    /**
     * Compares the guessed key of the pair at `o` in full and stores its real code. A guessed key
     * holds no separator and no `=`, so it is either the guessed key (or its twin: `member` and
     * `method` share their first two characters and their code) or an unknown one.
     */
    private verify(o: number): number {
        const p = this.pairs;
        const w = p[o];
        const ks = p[o + P_KEY];
        const eq = p[o + P_VS] - ((w & QUOTED) !== 0 ? 2 : 1);
        const code = guessedKeyCode(this.source(), ks, eq - ks, w >>> GUESS_SHIFT);
        p[o] = code | (w & QUOTED);
        return code;
    }

    /** The field code of the pair at `o`, its key compared first if it was only guessed. */
    private codeOf(o: number): number {
        const w = this.pairs[o];
        return (w & UNVERIFIED) !== 0 ? this.verify(o) : w & CODE_MASK;
    }

    /** The key of the pair at `o` as a string (for `extra`). */
    private keyOf(o: number): string {
        const p = this.pairs;
        return this.source().slice(p[o + P_KEY], p[o + P_VS] - ((p[o] & QUOTED) !== 0 ? 2 : 1));
    }

    private raw(code: K): string | undefined {
        const o = this.at(code);
        if (o < 0) return undefined;
        return this.made(o, false) ?? this.str(o);
    }

    private untrusted(code: K): string | undefined {
        const o = this.at(code);
        if (o < 0) return undefined;
        return this.made(o, true) ?? this.untrustedStr(o);
    }

    /**
     * The string `str(o)` (`untrustedStr(o)` when `decoded`) gives for a pair of the byte scanner
     * whose intern id has it already, else undefined: the getters' common case, small enough for
     * V8 to inline where `str` and `untrustedStr` (which make the strings) are calls.
     */
    private made(o: number, decoded: boolean): string | undefined {
        const w = this.pairs[o];
        if ((w & (UNVERIFIED | INTVAL)) !== 0) return undefined;
        const h = w >>> HIGH_SHIFT;
        return h === 0
            ? undefined
            : this.interned[decoded && (w & QUOTED) === 0 ? INTERN_IDS - 1 + h : h - 1];
    }

    /** The last value of `code` that is an integer (an earlier valid one wins over a later invalid one). */
    private int(code: K): number | undefined {
        let o = this.at(code);
        if (o < 0) return undefined;
        for (;;) {
            const n = this.intOf(o);
            if (n === n) return n;
            // rare: an invalid value; look for an earlier pair of the same field
            do o -= P_SIZE;
            while (o >= this.pbase && this.codeOf(o) !== code);
            if (o < this.pbase) return undefined;
        }
    }

    /** The whole line the event was read from (a JSON line for `journalctl -o json`). */
    get line(): string {
        this.source();
        return this.text.slice(this.lineStart, this.lineEnd);
    }

    get type(): AuditEventType {
        return EVENT_TYPES[this.kind];
    }
    /** True for STATUS events (no string is made). */
    get isStatus(): boolean {
        return this.kind === T_STATUS;
    }
    get operation(): string | undefined {
        return this.lastPair[this.lastBase + K.Operation] < 0 ? undefined : this.raw(K.Operation);
    }
    get profile(): string | undefined {
        return this.lastPair[this.lastBase + K.Profile] < 0 ? undefined : this.untrusted(K.Profile);
    }
    get label(): string | undefined {
        return this.lastPair[this.lastBase + K.Label] < 0 ? undefined : this.untrusted(K.Label);
    }
    get name(): string | undefined {
        return this.lastPair[this.lastBase + K.Name] < 0 ? undefined : this.untrusted(K.Name);
    }
    get name2(): string | undefined {
        return this.lastPair[this.lastBase + K.Name2] < 0 ? undefined : this.untrusted(K.Name2);
    }
    get requestedMask(): string | undefined {
        return this.lastPair[this.lastBase + K.Requested] < 0 ? undefined : this.raw(K.Requested);
    }
    get deniedMask(): string | undefined {
        return this.lastPair[this.lastBase + K.Denied] < 0 ? undefined : this.raw(K.Denied);
    }
    get pid(): number | undefined {
        return this.lastPair[this.lastBase + K.Pid] < 0 ? undefined : this.int(K.Pid);
    }
    /** `comm=`, else `exe=` (dbus-daemon and dbus-broker log only that; as libapparmor does). */
    get comm(): string | undefined {
        return this.at(K.Comm) >= 0 ? this.untrusted(K.Comm) : this.untrusted(K.Exe);
    }
    get fsuid(): number | undefined {
        return this.lastPair[this.lastBase + K.Fsuid] < 0 ? undefined : this.int(K.Fsuid);
    }
    get ouid(): number | undefined {
        return this.lastPair[this.lastBase + K.Ouid] < 0 ? undefined : this.int(K.Ouid);
    }
    get capability(): number | undefined {
        return this.lastPair[this.lastBase + K.Capability] < 0 ? undefined : this.int(K.Capability);
    }
    get capname(): string | undefined {
        return this.lastPair[this.lastBase + K.Capname] < 0 ? undefined : this.raw(K.Capname);
    }
    get family(): string | undefined {
        return this.lastPair[this.lastBase + K.Family] < 0 ? undefined : this.raw(K.Family);
    }
    get sockType(): string | undefined {
        return this.lastPair[this.lastBase + K.SockType] < 0 ? undefined : this.raw(K.SockType);
    }
    get protocol(): number | undefined {
        let o = this.at(K.Protocol);
        if (o < 0) return undefined;
        for (;;) {
            const n = protocolValue(this.str(o));
            if (n === n) return n;
            do o -= P_SIZE;
            while (o >= this.pbase && this.codeOf(o) !== K.Protocol);
            if (o < this.pbase) return undefined;
        }
    }
    /** The name of `protocol` (`tcp` for 6), as libapparmor reports it; undefined when unnamed. */
    get protocolName(): string | undefined {
        return protocolName(this.protocol);
    }
    get signal(): string | undefined {
        return this.lastPair[this.lastBase + K.Signal] < 0 ? undefined : this.raw(K.Signal);
    }
    get peer(): string | undefined {
        return this.lastPair[this.lastBase + K.Peer] < 0 ? undefined : this.untrusted(K.Peer);
    }
    get peerProfile(): string | undefined {
        return this.lastPair[this.lastBase + K.PeerProfile] < 0
            ? undefined
            : this.untrusted(K.PeerProfile);
    }
    get bus(): string | undefined {
        return this.lastPair[this.lastBase + K.Bus] < 0 ? undefined : this.raw(K.Bus);
    }
    get path(): string | undefined {
        return this.lastPair[this.lastBase + K.Path] < 0 ? undefined : this.raw(K.Path);
    }
    get interface(): string | undefined {
        return this.lastPair[this.lastBase + K.Interface] < 0 ? undefined : this.raw(K.Interface);
    }
    get member(): string | undefined {
        return this.lastPair[this.lastBase + K.Member] < 0 ? undefined : this.raw(K.Member);
    }
    get fstype(): string | undefined {
        return this.lastPair[this.lastBase + K.Fstype] < 0 ? undefined : this.raw(K.Fstype);
    }
    get flags(): string | undefined {
        return this.lastPair[this.lastBase + K.Flags] < 0 ? undefined : this.raw(K.Flags);
    }
    get srcname(): string | undefined {
        return this.lastPair[this.lastBase + K.Srcname] < 0 ? undefined : this.untrusted(K.Srcname);
    }
    get info(): string | undefined {
        return this.lastPair[this.lastBase + K.Info] < 0 ? undefined : this.raw(K.Info);
    }
    get error(): number | undefined {
        return this.lastPair[this.lastBase + K.Error] < 0 ? undefined : this.int(K.Error);
    }
    get timestamp(): number | undefined {
        return this.tsSrc !== SRC_NONE ? this.ts : undefined;
    }
    get serial(): number | undefined {
        return this.serialSrc !== SRC_NONE ? this.serialValue : undefined;
    }
    get namespace(): string | undefined {
        return this.lastPair[this.lastBase + K.Namespace] < 0
            ? undefined
            : this.untrusted(K.Namespace);
    }
    /** True when user space logged the event (see `AuditRecord.fromUserSpace`), else undefined. */
    get fromUserSpace(): true | undefined {
        return this.userSpace ? true : undefined;
    }
    /** Every other key of the line, values decoded (built on each access). */
    get extra(): Record<string, string> | undefined {
        const r = {} as AuditRecord;
        this.replay(r, true);
        return r.extra;
    }

    /** The profile the event is about: `profile=`, else `label=` (like `recordProfile`). */
    get profileOrLabel(): string | undefined {
        return this.at(K.Profile) >= 0 ? this.untrusted(K.Profile) : this.untrusted(K.Label);
    }

    /**
     * True when `field`'s value on this line equals `s` (compared in place, no string made).
     * `field` is one of the view's string getters' names; values are compared decoded.
     */
    is(field: ViewStringField, s: string): boolean {
        let code = STRING_FIELD_CODES[field];
        if (code === K.Comm && this.at(K.Comm) < 0) code = K.Exe;
        const o = this.at(code);
        if (o < 0) return false;
        const p = this.pairs;
        const w = p[o];
        if ((w & (UNVERIFIED | INTVAL)) === 0 && w >>> HIGH_SHIFT !== 0) {
            // interned (byte scanner): compare the string
            return (UNTRUSTED[code] !== 0 ? this.untrustedStr(o) : this.str(o)) === s;
        }
        const vs = p[o + P_VS];
        const ve = p[o + P_VE];
        const src = this.source();
        if (UNTRUSTED[code] !== 0 && (w & QUOTED) === 0 && isHexAt(src, vs, ve)) {
            return decodeHexAt(src, vs, ve) === s;
        }
        return ve - vs === s.length && sameAt(src, vs, s);
    }

    /** The event as a record: exactly what `parseAuditLog` returns for this line. */
    toRecord(): AuditRecord {
        const r = new RecordObject(EVENT_TYPES[this.kind]);
        if (this.tsSrc === SRC_LINE) r.timestamp = this.ts;
        if (this.serialSrc === SRC_LINE) r.serial = this.serialValue;
        this.replay(r, false);
        if (r.comm === undefined && r.extra?.exe !== undefined) r.comm = r.extra.exe;
        if (r.protocol !== undefined) {
            const name = protocolName(r.protocol);
            if (name !== undefined) r.protocolName = name;
        }
        if (this.tsSrc === SRC_JSON) r.timestamp = this.ts;
        if (this.serialSrc === SRC_JSON) r.serial = this.serialValue;
        if (this.userSpace) r.fromUserSpace = true;
        return r;
    }

    /** Stores every pair, in line order, on `r` (only the `extra` ones when `extraOnly`). */
    private replay(r: AuditRecord, extraOnly: boolean): void {
        const n = this.pbase + this.npairs * P_SIZE;
        for (let o = this.pbase; o < n; o += P_SIZE) {
            const code = this.codeOf(o);
            if (extraOnly) {
                switch (code) {
                    case K.Pid:
                    case K.Fsuid:
                    case K.Ouid:
                    case K.Error:
                    case K.Capability:
                    case K.Protocol:
                    case K.Type:
                    case K.Msg:
                    case K.ExtraUntrusted:
                    case K.Exe:
                    case K.Other:
                        break;
                    default:
                        continue;
                }
            }
            switch (code) {
                case K.Operation:
                    r.operation = this.str(o);
                    break;
                case K.Profile:
                    r.profile = this.untrustedStr(o);
                    break;
                case K.Name:
                    r.name = this.untrustedStr(o);
                    break;
                case K.Pid:
                case K.Fsuid:
                case K.Ouid:
                case K.Error:
                case K.Capability: {
                    // integers; a value that is not one is kept in `extra` under its key
                    const n = this.intOf(o);
                    if (n !== n) setExtra(r, this.keyOf(o), this.str(o));
                    else if (!extraOnly) setIntField(r, code, n);
                    break;
                }
                case K.Comm:
                    r.comm = this.untrustedStr(o);
                    break;
                case K.Requested:
                    r.requestedMask = this.str(o);
                    break;
                case K.Denied:
                    r.deniedMask = this.str(o);
                    break;
                case K.Type: {
                    const v = this.str(o);
                    if (
                        eventFromAuditType(v) === T_NONE &&
                        v !== "1400" &&
                        v !== "AVC" &&
                        v !== "1107" &&
                        v !== "USER_AVC"
                    ) {
                        setExtra(r, this.keyOf(o), v);
                    }
                    break;
                }
                case K.Msg:
                    // `msg=audit(…):` is the stamp the scanner already read
                    {
                        const v = this.str(o);
                        if (v.length < 6 || !v.startsWith("audit(")) setExtra(r, this.keyOf(o), v);
                    }
                    break;
                case K.Label:
                    r.label = this.untrustedStr(o);
                    break;
                case K.Info:
                    r.info = this.str(o);
                    break;
                case K.Capname:
                    r.capname = this.str(o);
                    break;
                case K.Name2:
                    r.name2 = this.untrustedStr(o);
                    break;
                case K.Family:
                    r.family = this.str(o);
                    break;
                case K.SockType:
                    r.sockType = this.str(o);
                    break;
                case K.Protocol: {
                    const v = this.str(o);
                    const n = protocolValue(v);
                    if (n === n) {
                        if (!extraOnly) r.protocol = n;
                    } else setExtra(r, this.keyOf(o), v);
                    break;
                }
                case K.Signal:
                    r.signal = this.str(o);
                    break;
                case K.Peer:
                    r.peer = this.untrustedStr(o);
                    break;
                case K.PeerProfile:
                    r.peerProfile = this.untrustedStr(o);
                    break;
                case K.Bus:
                    r.bus = this.str(o);
                    break;
                case K.Path:
                    r.path = this.str(o);
                    break;
                case K.Interface:
                    r.interface = this.str(o);
                    break;
                case K.Member:
                    r.member = this.str(o);
                    break;
                case K.Fstype:
                    r.fstype = this.str(o);
                    break;
                case K.Flags:
                    r.flags = this.str(o);
                    break;
                case K.Srcname:
                    r.srcname = this.untrustedStr(o);
                    break;
                case K.Namespace:
                    r.namespace = this.untrustedStr(o);
                    break;
                case K.ExtraUntrusted:
                case K.Exe:
                    // other keys the kernel writes with audit_log_untrustedstring (hex when unsafe)
                    setExtra(r, this.keyOf(o), this.untrustedStr(o));
                    break;
                case K.Other:
                    setExtra(r, this.keyOf(o), this.str(o));
                    break;
            }
        }
    }
}

/** Names of the view's string fields, for `is`. */
export type ViewStringField =
    | "operation"
    | "profile"
    | "label"
    | "name"
    | "name2"
    | "requestedMask"
    | "deniedMask"
    | "comm"
    | "capname"
    | "family"
    | "sockType"
    | "signal"
    | "peer"
    | "peerProfile"
    | "bus"
    | "path"
    | "interface"
    | "member"
    | "fstype"
    | "flags"
    | "srcname"
    | "info"
    | "namespace";

const STRING_FIELD_CODES: Readonly<Record<ViewStringField, K>> = {
    operation: K.Operation,
    profile: K.Profile,
    label: K.Label,
    name: K.Name,
    name2: K.Name2,
    requestedMask: K.Requested,
    deniedMask: K.Denied,
    comm: K.Comm,
    capname: K.Capname,
    family: K.Family,
    sockType: K.SockType,
    signal: K.Signal,
    peer: K.Peer,
    peerProfile: K.PeerProfile,
    bus: K.Bus,
    path: K.Path,
    interface: K.Interface,
    member: K.Member,
    fstype: K.Fstype,
    flags: K.Flags,
    srcname: K.Srcname,
    info: K.Info,
    namespace: K.Namespace,
};

/** The first name of each protocol number (libapparmor's `net_protocol`), by number. */
const PROTOCOL_NAMES: Readonly<Record<number, string>> = (() => {
    const names: Record<number, string> = {};
    for (const [name, n] of PROTOCOLS) if (!Object.hasOwn(names, n)) names[n] = name;
    return names;
})();

/** The name of IP protocol `n` (`6` → `tcp`), or undefined when it has none. */
export function protocolName(n: number | undefined): string | undefined {
    return n !== undefined && Object.hasOwn(PROTOCOL_NAMES, n) ? PROTOCOL_NAMES[n] : undefined;
}

function protocolValue(v: string): number {
    const n = intValue(v);
    if (n === n) return n;
    // own properties only: `protocol=constructor` must not find Object.prototype's
    return Object.hasOwn(PROTOCOL_NUMBERS, v) ? PROTOCOL_NUMBERS[v] : NaN;
}

/** Plain decimal integer (optional `-`) or NaN. */
function intAt(s: string): number {
    if (s.length === 0 || s.length > 20) return NaN;
    let i = 0;
    let neg = false;
    if (s.charCodeAt(0) === 45) {
        neg = true;
        i++;
        if (i === s.length) return NaN;
    }
    let v = 0;
    for (; i < s.length; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return NaN;
        v = v * 10 + c;
    }
    return neg ? -v : v;
}

/** What `scanLine` found. */
export const LINE_SKIP = 0;
export const LINE_EVENT = 1;
export const LINE_MALFORMED = 2;
export const LINE_UNKNOWN = 3;

/** Length of the longest marker `hasMarker` looks for (`type=UNKNOWN[150`). */
export const MARKER_MAX = 16;

export function hasMarker(s: string): boolean {
    return (
        s.includes("apparmor=") ||
        s.includes("type=APPARMOR_") ||
        s.includes("type=150") ||
        s.includes("type=UNKNOWN[150") ||
        s.includes('"MESSAGE":[')
    );
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
