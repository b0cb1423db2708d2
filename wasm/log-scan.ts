// AssemblyScript source of the byte scanner behind `scanAuditEventsBuffer` (src/log/parse.ts).
// Built by `npm run build:wasm` (scripts/build-wasm.js) into src/log/scan-wasm.ts; the unit test
// test/unit/log/wasm-build.test.ts rebuilds it and compares the bytes.
//
// What it does: it splits the bytes at newlines, keeps the lines that carry an AppArmor marker
// (the markers of `hasMarker` in src/log/view.ts), and reads at once the one form that makes up
// nearly every AppArmor log: a printable-ASCII line with an `audit(SECONDS.FRACTION:SERIAL)` stamp,
// an optional `type=1400` / `type=AVC` header before it, and plain `key=value` pairs after it, as
// the TypeScript scanner (AuditEventView.scanLine / scanPairs, clean mode) reads them. For such a
// line it writes the event kind, the stamp, where the last pair of each field is, and the pairs
// (field code, key start, value start, value end, in the pair layout of AuditEventView) to the
// output area. Any other marked line —
// any byte outside 0x20..0x7e, JSON, no stamp, a legacy or user header type, a key holding a
// separator, `msg='…'`, an unterminated quote, an unknown event word, no event type, no
// operation, more than PAIR_MAX pairs, longer than maxLine — is handed back as FALLBACK and read by
// the TypeScript scanner from the decoded line, so every record comes out exactly as the string
// API makes it.
//
// The key table (key bytes → field code) and the codes the scan itself needs are set by the
// caller from src/log/view.ts (`init`, `addKey`): one list of keys for both scanners.

// ---------------------------------------------------------------------------------------------
// Memory: key table (static), then the output area and the input window above __heap_base.

/**
 * The keys, in an open-addressing hash table of KEY_SLOTS entries (at most a quarter full, so a
 * look-up nearly always ends at its first slot): per entry the key's first 8 bytes and next 8
 * bytes (u64 each, zero past its end), its length (0: empty slot) and its field code (u32 each).
 */
const KEY_SLOTS: u32 = 256;
const KEY_ENTRY: usize = 24;
const KEYTAB: usize = memory.data(256 * 24, 16);
const OUT_BYTES: usize = 1 << 20;
/** Most pairs written for one event; a line with more goes to the TypeScript scanner. */
const PAIR_MAX: i32 = 256;
/** Header of an event record, in bytes (10 i32 words). */
const HEAD: usize = 40;
/** Most field codes (`count` of `init`): the size of an event record's table of last pairs. */
const CODES_MAX: i32 = 64;
const REC_MAX: usize = HEAD + <usize>CODES_MAX * 4 + 16 + <usize>PAIR_MAX * 16;

/**
 * Values seen before are interned: a hash table of the value bytes (kept in an arena) gives each
 * distinct value an id, written into the pair's first word, and the caller keeps one string per
 * id (made from the bytes the first time a field with that id is read), so that a field read
 * costs an array look-up instead of decoding the line and slicing it. Up to INTERN_MAX_LEN
 * bytes; the table is emptied (and `internGeneration` moves on) at the start of a `scan` when it
 * is half full; during a scan, a full table interns nothing more.
 */
const ISLOTS: u32 = 16384;
/** Per slot: hash (0: empty), id, arena offset, length, then the words `intern` hashes (u64 each). */
const ISLOT_BYTES: usize = 32;
const ITAB: usize = memory.data(16384 * 32, 16);
const ARENA_BYTES: usize = 1 << 20;
const ARENA: usize = memory.data(1 << 20, 16);
const INTERN_MAX_LEN: i32 = 64;
let icount: u32 = 0;
let arenaUsed: usize = 0;
let generation: i32 = 0;
/** Pair word bits (AuditEventView): an integer value in place of an intern id. */
const INTVAL: i32 = 0x400;
const HIGH_SHIFT: i32 = 11;
/** Field codes (bits) whose values are integers (pid, fsuid, ouid, error, capability). */
let intCodes: u32 = 0;

const REC_EVENT: i32 = 1;
const REC_FALLBACK: i32 = 2;
const QUOTED: i32 = 0x100;
const T_STATUS: i32 = 3;

let nkeys: i32 = 0;
let OUT: usize = 0;
let IN: usize = 0;
let outPos: usize = 0;
let maxLine: i32 = 1 << 20;
let cType: i32 = 0;
let cApparmor: i32 = 0;
let cMsg: i32 = 0;
let cOperation: i32 = 0;
let cCount: i32 = 0;
/** The current line holds a byte outside 0x20..0x7e. */
let dirty: bool = false;

/** Sets the codes the scan needs; returns where the input window starts. */
export function init(
    type: i32,
    apparmor: i32,
    msg: i32,
    operation: i32,
    count: i32,
    ints: u32,
): usize {
    if (count > CODES_MAX) unreachable();
    intCodes = ints;
    memory.fill(ITAB, 0, <usize>ISLOTS * ISLOT_BYTES);
    icount = 0;
    arenaUsed = 0;
    cType = type;
    cApparmor = apparmor;
    cMsg = msg;
    cOperation = operation;
    cCount = count;
    OUT = (__heap_base + 15) & ~(<usize>15);
    IN = OUT + OUT_BYTES;
    nkeys = 0;
    memory.fill(KEYTAB, 0, <usize>KEY_SLOTS * KEY_ENTRY);
    ensure(4096);
    return IN;
}

/**
 * How many intern ids there can be (ids are below this): the caller sizes its string table by it
 * (src/log/view.ts INTERN_IDS must equal it; the scanner refuses to start otherwise).
 */
export function internIds(): u32 {
    return ISLOTS >> 1;
}

/** Moves on each time the intern table is emptied (the caller then forgets its strings). */
export function internGeneration(): i32 {
    return generation;
}

/**
 * The first `n` bytes of the word `v` (all of it when `n` is 8 or more, 0 when `n` is 0 or less),
 * without branches: value and key lengths vary too much to predict.
 */
@inline
function lowBytes(v: u64, n: i32): u64 {
    const m = (<u64>1 << (<u64>(n & 7) << 3)) - 1;
    return select<u64>(v, select<u64>(v & m, 0, n > 0), n >= 8);
}

/** 1 + the intern id of the bytes `[vs, ve)`, or 0 when not interned. */
function intern(vs: usize, ve: usize): i32 {
    const n = <i32>(ve - vs);
    if (n > INTERN_MAX_LEN) return 0;
    // the first and last 8 bytes (overlapping, or masked for shorter values) and the length
    const a = lowBytes(load<u64>(vs), n);
    const z = select<u64>(load<u64>(ve - 8), 0, n >= 8);
    let x = (a ^ (z * 0x9e3779b97f4a7c15) ^ <u64>n) * 0xff51afd7ed558ccd;
    x ^= x >> 32;
    const h = <u32>x | 1;
    let slot = h & (ISLOTS - 1);
    for (;;) {
        const e = ITAB + <usize>slot * ISLOT_BYTES;
        const eh = load<u32>(e);
        if (eh == 0) {
            if (icount >= ISLOTS >> 1 || arenaUsed + <usize>n > ARENA_BYTES) return 0;
            memory.copy(ARENA + arenaUsed, vs, <usize>n);
            store<u32>(e, h);
            store<u32>(e, icount, 4);
            store<u32>(e, <u32>arenaUsed, 8);
            store<u32>(e, <u32>n, 12);
            store<u64>(e, a, 16);
            store<u64>(e, z, 24);
            arenaUsed += <usize>n;
            icount++;
            return <i32>icount;
        }
        // up to 16 bytes, `a` and `z` hold the whole value; a longer one is compared in the arena
        if (
            eh == h &&
            load<u32>(e, 12) == <u32>n &&
            load<u64>(e, 16) == a &&
            load<u64>(e, 24) == z &&
            (n <= 16 || memEq(ARENA + <usize>load<u32>(e, 8), vs, n))
        ) {
            return <i32>load<u32>(e, 4) + 1;
        }
        slot = (slot + 1) & (ISLOTS - 1);
    }
    return 0;
}

/** True when the `n` (at least 8) bytes at `a` and `b` are equal (the last 8 compared overlapping). */
function memEq(a: usize, b: usize, n: i32): bool {
    for (let i: i32 = 0; i + 8 < n; i += 8) {
        if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
    }
    return load<u64>(a + <usize>(n - 8)) == load<u64>(b + <usize>(n - 8));
}

/** The value `[vs, ve)` as an integer for INTVAL (plain digits, under 2^21), or -1. */
function smallInt(vs: usize, ve: usize): i32 {
    const n = <i32>(ve - vs);
    if (n < 1 || n > 7) return -1;
    let v: i32 = 0;
    for (let k = vs; k < ve; k++) {
        const c = <i32>load<u8>(k) - 48;
        if (<u32>c > 9) return -1;
        v = v * 10 + c;
    }
    return v < 1 << 21 ? v : -1;
}

/** Where the output records start. */
export function outputBase(): usize {
    return OUT;
}

/** Bytes of output records written by the last `scan`. */
export function outLen(): i32 {
    return <i32>(outPos - OUT);
}

/** Grows the memory so that an input window of `len` bytes (and slack after it) fits. */
export function ensure(len: usize): void {
    const need = IN + len + 64;
    const have = (<usize>memory.size()) << 16;
    if (need > have) {
        const pages = <i32>((need - have + 0xffff) >> 16);
        if (memory.grow(pages) < 0) unreachable();
    }
}

/** Lines of more bytes than this go to the TypeScript scanner (which applies maxLineLength). */
export function setMaxLine(n: i32): void {
    maxLine = n;
}

/** The key's 8 bytes from `off` on, zero past its end. */
@inline
function keyWord(p: usize, len: i32, off: i32): u64 {
    return lowBytes(load<u64>(p + <usize>off), len - off);
}

/** The first slot to look at for a key of `len` bytes whose words are `v0`, `v1`. */
@inline
function keySlot(v0: u64, v1: u64, len: i32): u32 {
    const x = (v0 ^ (v1 * 0x9e3779b97f4a7c15) ^ <u64>len) * 0xff51afd7ed558ccd;
    return <u32>(x >> 56) & (KEY_SLOTS - 1);
}

/** Adds the key whose `len` bytes the caller wrote at the input window's start. */
export function addKey(len: i32, code: i32): void {
    if (len <= 0 || len >= 16 || <u32>nkeys >= KEY_SLOTS >> 2) unreachable();
    const v0 = keyWord(IN, len, 0);
    const v1 = keyWord(IN, len, 8);
    let slot = keySlot(v0, v1, len);
    while (load<u32>(KEYTAB + <usize>slot * KEY_ENTRY, 16) != 0) slot = (slot + 1) & (KEY_SLOTS - 1);
    const e = KEYTAB + <usize>slot * KEY_ENTRY;
    store<u64>(e, v0);
    store<u64>(e, v1, 8);
    store<u32>(e, len, 16);
    store<u32>(e, code, 20);
    nkeys++;
}

/** The field code of the key `[p, p + len)`, 0 (K.Other) for an unknown key. */
function keyCode(p: usize, len: i32): i32 {
    if (len <= 0 || len >= 16) return 0;
    const v0 = keyWord(p, len, 0);
    const v1 = keyWord(p, len, 8);
    let slot = keySlot(v0, v1, len);
    for (;;) {
        const e = KEYTAB + <usize>slot * KEY_ENTRY;
        const n = load<u32>(e, 16);
        if (n == 0) return 0;
        if (load<u64>(e) == v0 && load<u64>(e, 8) == v1 && n == <u32>len) {
            return <i32>load<u32>(e, 20);
        }
        slot = (slot + 1) & (KEY_SLOTS - 1);
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Byte search

/** The first `b` in `[p, end)`, or `end`. Reads up to 15 bytes past `end` (slack). */
function findByte(p: usize, end: usize, b: i32): usize {
    const needle = i8x16.splat(<i8>b);
    while (p < end) {
        const m = i8x16.bitmask(i8x16.eq(v128.load(p), needle));
        if (m != 0) {
            const q = p + <usize>ctz(m);
            return q < end ? q : end;
        }
        p += 16;
    }
    return end;
}

/** A space came before the `=` that `findEq` found. */
let spaceBefore: bool = false;

/**
 * The first `=` in `[p, end)`, or `end`; sets `spaceBefore` when a space comes before it (one
 * pass for what scanPairs finds with two searches: the `=` and the first space).
 */
function findEq(p: usize, end: usize): usize {
    const eqv = i8x16.splat(0x3d);
    const spv = i8x16.splat(0x20);
    spaceBefore = false;
    while (p < end) {
        const v = v128.load(p);
        const me = i8x16.bitmask(i8x16.eq(v, eqv));
        const ms = i8x16.bitmask(i8x16.eq(v, spv));
        if (me != 0) {
            let q = p + <usize>ctz(me);
            if (q > end) q = end;
            if ((ms & ((1 << <i32>(q - p)) - 1)) != 0) spaceBefore = true;
            return q;
        }
        if (ms != 0 && p + <usize>ctz(ms) < end) spaceBefore = true;
        p += 16;
    }
    return end;
}

/**
 * True when the bytes at `p` are the ASCII string `s` (at most 16 characters): its UTF-16 code
 * units narrowed to bytes and compared 16 at a time, without a loop.
 */
function eqStr(p: usize, s: string): bool {
    const sp = changetype<usize>(s);
    const chars = i8x16.narrow_i16x8_u(v128.load(sp), v128.load(sp, 16));
    const want = (1 << s.length) - 1;
    return (i8x16.bitmask(i8x16.eq(v128.load(p), chars)) & want) == want;
}

/**
 * The first start in `[p, endStart)` of the ASCII string `s` lying whole before `lim`, or
 * `endStart`. Candidates are found 16 at a time from the first and last characters.
 */
function findStr(p: usize, endStart: usize, lim: usize, s: string): usize {
    const n = s.length;
    const first = i8x16.splat(<i8>s.charCodeAt(0));
    const lastc = i8x16.splat(<i8>s.charCodeAt(n - 1));
    const off = <usize>(n - 1);
    while (p < endStart) {
        let m = i8x16.bitmask(
            v128.and(i8x16.eq(v128.load(p), first), i8x16.eq(v128.load(p + off), lastc)),
        );
        while (m != 0) {
            const q = p + <usize>ctz(m);
            if (q >= endStart) return endStart;
            if (q + <usize>n <= lim && eqStr(q, s)) return q;
            m &= m - 1;
        }
        p += 16;
    }
    return endStart;
}

/**
 * The end of the line starting at `p` (its newline, or `end`); sets `dirty`. One signed compare
 * finds the bytes outside 0x20..0x7e (0x20..0x7e plus 0x60 are, as signed bytes, exactly those
 * below -33); the newline is one of them, so only a block holding one is searched for it.
 */
function lineEnd(p: usize, end: usize): usize {
    const nl = i8x16.splat(10);
    const shift = i8x16.splat(0x60);
    const below = i8x16.splat(-33);
    while (p < end) {
        const v = v128.load(p);
        const b = ~i8x16.bitmask(i8x16.lt_s(i8x16.add(v, shift), below)) & 0xffff;
        if (b != 0) {
            const m = i8x16.bitmask(i8x16.eq(v, nl));
            if (m != 0) {
                let q = p + <usize>ctz(m);
                if (q > end) q = end;
                if ((b & ((1 << <i32>(q - p)) - 1)) != 0) dirty = true;
                return q;
            }
            const lim = end - p;
            if ((lim >= 16 ? b : b & ((1 << <i32>lim) - 1)) != 0) dirty = true;
        }
        p += 16;
    }
    return end;
}

/** True when the marker candidate at `q` (see hasMarker) is one, within `[q, le)`. */
function markerAt(q: usize, le: usize): bool {
    const c = load<u8>(q);
    if (c == 0x61) return q + 9 <= le && eqStr(q, "apparmor=");
    if (c == 0x74) {
        if (q + 8 > le || !eqStr(q, "type=")) return false;
        const c5 = load<u8>(q + 5);
        if (c5 == 0x41) return q + 14 <= le && eqStr(q + 5, "APPARMOR_");
        if (c5 == 0x31) return eqStr(q + 6, "50");
        if (c5 == 0x55) return q + 16 <= le && eqStr(q + 5, "UNKNOWN[150");
        return false;
    }
    return q + 11 <= le && eqStr(q, '"MESSAGE":[');
}

/**
 * True when `[ls, le)` holds an AppArmor marker: `apparmor=`, `type=APPARMOR_`, `type=150`,
 * `type=UNKNOWN[150` or `"MESSAGE":[`.
 */
function hasMarker(ls: usize, le: usize): bool {
    const a = i8x16.splat(0x61);
    const t = i8x16.splat(0x74);
    const dq = i8x16.splat(0x22);
    const eq = i8x16.splat(0x3d);
    const br = i8x16.splat(0x5b);
    let p = ls;
    while (p < le) {
        const v = v128.load(p);
        const c1 = v128.and(i8x16.eq(v, a), i8x16.eq(v128.load(p + 8), eq));
        const c2 = v128.and(i8x16.eq(v, t), i8x16.eq(v128.load(p + 4), eq));
        const c3 = v128.and(i8x16.eq(v, dq), i8x16.eq(v128.load(p + 10), br));
        let m = i8x16.bitmask(v128.or(v128.or(c1, c2), c3));
        while (m != 0) {
            const q = p + <usize>ctz(m);
            if (q >= le) return false;
            if (markerAt(q, le)) return true;
            m &= m - 1;
        }
        p += 16;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Lines

/** The event code (index in AUDIT_EVENT_TYPES) of the word `[vs, ve)`, or -1. */
function eventWord(vs: usize, ve: usize): i32 {
    switch (<i32>(ve - vs)) {
        case 6:
            if (eqStr(vs, "DENIED")) return 0;
            if (eqStr(vs, "STATUS")) return 3;
            return -1;
        case 7:
            return eqStr(vs, "ALLOWED") ? 1 : -1;
        case 5:
            if (eqStr(vs, "AUDIT")) return 2;
            if (eqStr(vs, "ERROR")) return 5;
            return -1;
        case 4:
            return eqStr(vs, "HINT") ? 4 : -1;
    }
    return -1;
}

function fallback(rec: usize, ls: usize, le: usize): void {
    store<i32>(rec, REC_FALLBACK);
    store<i32>(rec, <i32>(ls - IN), 4);
    store<i32>(rec, <i32>(le - IN), 8);
    store<i32>(rec, 0, 12);
    outPos = rec + 16;
}

@inline
function isDigit(c: i32): bool {
    return <u32>(c - 48) <= 9;
}

/**
 * True when the 15 bytes at `q` are the kernel's `SSSSSSSSSS.FFF:` (10 digits of seconds, 3 of
 * milliseconds), which `fast` then reads without a loop.
 */
function kernelSeconds(q: usize): bool {
    const v = v128.load(q);
    const digitsMask = i8x16.bitmask(i8x16.le_u(i8x16.sub(v, i8x16.splat(48)), i8x16.splat(9)));
    const dot = i8x16.bitmask(i8x16.eq(v, i8x16.splat(0x2e)));
    const colon = i8x16.bitmask(i8x16.eq(v, i8x16.splat(0x3a)));
    return (digitsMask & 0x7fff) == 0x3bff && (dot & 0x400) != 0 && (colon & 0x4000) != 0;
}

/** The value of the 8 decimal digits at `q` (SWAR: pairs, then fours, then the eight). */
@inline
function eightDigits(q: usize): u32 {
    let x = load<u64>(q) - 0x3030303030303030;
    x = x * 10 + (x >> 8);
    x =
        (x & 0x000000ff000000ff) * (100 + (<u64>1000000 << 32)) +
        ((x >> 16) & 0x000000ff000000ff) * (1 + (<u64>10000 << 32));
    return <u32>(x >> 32);
}

/** Where the digits `digits` read end. */
let digitsEnd: usize = 0;

/**
 * Reads the decimal digits from `i` on (up to `stop`) into `v` as readStamp does (`v = v * 10 +
 * digit` in doubles); sets `digitsEnd`. While `v` is below 2^49 each step is exact, so it is done
 * in integers (a shorter chain of dependent operations), giving the same double.
 */
function digits(i: usize, v: f64, stop: usize): f64 {
    let d = <i32>load<u8>(i) - 48;
    if (v < 562949953421312.0) {
        let n = <i64>v;
        while (<u32>d <= 9 && i < stop && n < 562949953421312) {
            n = n * 10 + <i64>d;
            d = <i32>load<u8>(++i) - 48;
        }
        v = <f64>n;
    }
    while (<u32>d <= 9 && i < stop) {
        v = v * 10 + <f64>d;
        d = <i32>load<u8>(++i) - 48;
    }
    digitsEnd = i;
    return v;
}

/** `fast`: not the kernel form; whether the line is marked is not known yet. */
const UNKNOWN: i32 = 0;
/** `fast`: read (an event record written, or no event). */
const DONE: i32 = 1;
/** `fast`: a marked line the TypeScript scanner must read. */
const BAIL: i32 = 2;

/**
 * Reads the clean line `[ls, le)` as AuditEventView.scanLine does when it is the kernel form (a
 * stamp, then a body that starts with `apparmor=`, so the line is marked): writes an event record
 * at `rec` and returns DONE (also for a line that is no event: `apparmor=` with an unquoted
 * unknown word), or BAIL when the TypeScript scanner must read it; UNKNOWN when the line is not
 * of that form (the caller then looks for a marker).
 */
function fast(rec: usize, ls: usize, le: usize): i32 {
    if (load<u8>(ls) == 0x7b) return UNKNOWN; // JSON
    const stampAt = findStr(ls, le, le, "audit(");
    if (stampAt >= le) return UNKNOWN;
    // audit(SECONDS.FRACTION:SERIAL), with the same double arithmetic as readStamp
    const p = stampAt + 5;
    let secs: f64;
    let i: usize;
    let c: i32;
    if (kernelSeconds(p + 1)) {
        // SSSSSSSSSS.FFF: the 13 digits' integer (below 2^53, exact as readStamp's sum) / 1000
        const q = p + 1;
        const n =
            <u64>eightDigits(q) * 100000 +
            <u64>(load<u8>(q, 8) - 48) * 10000 +
            <u64>(load<u8>(q, 9) - 48) * 1000 +
            <u64>(load<u8>(q, 11) - 48) * 100 +
            <u64>(load<u8>(q, 12) - 48) * 10 +
            <u64>(load<u8>(q, 13) - 48);
        secs = <f64>n / 1000;
        i = q + 14;
        c = 0x3a;
    } else {
        secs = digits(p + 1, 0, le);
        i = digitsEnd;
        if (i == p + 1) return UNKNOWN;
        c = <i32>load<u8>(i);
    }
    if (c == 0x2e) {
        // at most 9 fraction digits, then one division by 10^digits (readStamp's `scale`)
        secs = digits(i + 1, secs, i + 10);
        let scale: f64 = 1;
        for (let k = i + 1; k < digitsEnd; k++) scale *= 10;
        secs /= scale;
        i = digitsEnd;
        c = <i32>load<u8>(i);
    }
    if (c != 0x3a) return UNKNOWN;
    const s0 = ++i;
    const serial = digits(s0, 0, le);
    i = digitsEnd;
    c = <i32>load<u8>(i);
    if (c != 0x29 || i == s0 || i >= le) return UNKNOWN;
    let body = i + 1;
    if (load<u8>(body) == 0x3a) body++;
    // the kernel's body starts with apparmor= (then the line is marked)
    let a = body;
    while (load<u8>(a) == 0x20) a++;
    if (a + 9 > le || !eqStr(a, "apparmor=")) return UNKNOWN;
    // the header's type: only `type=1400` / `type=AVC` (or a type naming no AppArmor event)
    const typeAt = findStr(ls, stampAt, le, "type=");
    if (typeAt < stampAt) {
        const c9 = load<u8>(typeAt + 9);
        const avc = (c9 == 0x20 || typeAt + 9 == stampAt) && eqStr(typeAt + 5, "1400");
        if (!avc) {
            const e = findByte(typeAt, stampAt, 0x20);
            const w = typeAt + 5;
            if (!(e - w == 3 && eqStr(w, "AVC")) && e > w) {
                const c5 = load<u8>(w);
                if (c5 == 0x31 || c5 == 0x41 || c5 == 0x55) return BAIL;
            }
        }
    }
    // key=value pairs (scanPairs, clean mode)
    // per field code, the word index (in memory) of its last pair, -1 while it has none (set 16
    // bytes at a time: the last store may run into the pairs, which are written after it)
    const last = rec + HEAD;
    const pairs = last + (<usize>cCount << 2);
    for (let t = last; t < pairs; t += 16) v128.store(t, i64x2.splat(-1));
    let np: i32 = 0;
    let kind: i32 = -1;
    let notEvent = false;
    let hasOp = false;
    i = body;
    while (i < le) {
        c = <i32>load<u8>(i);
        while (c == 0x20) c = <i32>load<u8>(++i);
        if (i >= le) break;
        const eq = findEq(i, le);
        if (eq >= le) break;
        if (spaceBefore) return BAIL; // a separator in the key: bare words before it
        const ks = i;
        const code = keyCode(i, <i32>(eq - i));
        i = eq + 1;
        c = <i32>load<u8>(i);
        let vs: usize;
        let ve: usize;
        let quoted: i32 = 0;
        if (c == 0x22) {
            const close = findByte(i + 1, le, 0x22);
            if (close >= le) return BAIL;
            vs = i + 1;
            ve = close;
            quoted = QUOTED;
            i = close + 1;
        } else if (c == 0x27 && code == cMsg) {
            return BAIL;
        } else {
            // the first space after the key's start (none before its `=`)
            const sp = findByte(i, le, 0x20);
            vs = i;
            ve = sp;
            i = sp;
        }
        if (code < cCount) {
            if (code == cType || np >= PAIR_MAX) return BAIL;
            const q = pairs + (<usize>np << 4);
            let high: i32 = 0;
            if (code < 32 && ((intCodes >> <u32>code) & 1) != 0) {
                const v = smallInt(vs, ve);
                if (v >= 0) high = INTVAL | (v << HIGH_SHIFT);
            } else {
                const id = intern(vs, ve);
                if (id > 0 && id < 1 << 20) high = id << HIGH_SHIFT;
            }
            store<i32>(q, code | quoted | high);
            store<i32>(q, <i32>(ks - ls), 4);
            store<i32>(q, <i32>(vs - ls), 8);
            store<i32>(q, <i32>(ve - ls), 12);
            store<i32>(last + (<usize>code << 2), <i32>(q >> 2));
            np++;
            if (code == cOperation) hasOp = true;
        } else if (code == cApparmor) {
            const t = eventWord(vs, ve);
            if (t >= 0) kind = t;
            else if (quoted != 0) return BAIL;
            else notEvent = true;
        }
    }
    if (kind < 0) return notEvent ? DONE : BAIL;
    if (!hasOp && kind != T_STATUS) return BAIL;
    store<i32>(rec, REC_EVENT);
    store<i32>(rec, <i32>(ls - IN), 4);
    store<i32>(rec, <i32>(le - IN), 8);
    store<i32>(rec, kind, 12);
    store<i32>(rec, np, 16);
    store<i32>(rec, 0, 20);
    store<f64>(rec, secs, 24);
    store<f64>(rec, serial, 32);
    outPos = pairs + (<usize>np << 4);
    return DONE;
}

/**
 * Scans the input window's lines from byte `from` up to `end` (the window's length: its last line
 * ends there, with or without a newline) until the output area is full. Returns where to go on
 * (`end` when done); `outLen()` tells how many bytes of records were written.
 */
export function scan(from: i32, end: i32): i32 {
    outPos = OUT;
    if (icount >= ISLOTS >> 2 || arenaUsed > ARENA_BYTES >> 2) {
        memory.fill(ITAB, 0, <usize>ISLOTS * ISLOT_BYTES);
        icount = 0;
        arenaUsed = 0;
        generation++;
    }
    const e = IN + <usize>end;
    memory.fill(e, 0, 32);
    let p = IN + <usize>from;
    while (p < e) {
        if (outPos + REC_MAX > OUT + OUT_BYTES) break;
        dirty = false;
        const le = lineEnd(p, e);
        if (le > p) {
            const rec = outPos;
            const r = dirty || <i32>(le - p) > maxLine ? UNKNOWN : fast(rec, p, le);
            if (r == BAIL || (r == UNKNOWN && hasMarker(p, le))) fallback(rec, p, le);
        }
        p = le + 1;
    }
    return p < e ? <i32>(p - IN) : end;
}
