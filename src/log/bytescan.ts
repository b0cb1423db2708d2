/**
 * The byte scanner of `scanAuditEventsBuffer` (parse.ts): a WebAssembly module built from
 * wasm/log-scan.ts (AssemblyScript; `npm run build:wasm` writes its bytes into scan-wasm.ts, and a
 * unit test rebuilds it and compares). Pure: the module's bytes are in the source, nothing is read.
 *
 * The module finds the lines of a byte window that carry an AppArmor marker and reads the common
 * kernel form itself (see wasm/log-scan.ts), writing records to its output area:
 *
 *     event:    [1, lineStart, lineEnd, kind, npairs, 0, ts (f64), serial (f64), last…, pairs…]
 *     fallback: [2, lineStart, lineEnd, 0]   (a marked line for the TypeScript scanner)
 *
 * `last` is one word per field code (`K.Count` of them): the word index, in the module's memory,
 * of the field's last pair, or -1. Pairs are 4 words each in AuditEventView's layout, offsets
 * relative to the line start.
 */
import { WASM_BASE64 } from "./scan-wasm";
import { byteScannerCodes, INTERN_IDS } from "./view";

export const REC_EVENT = 1;
export const REC_FALLBACK = 2;
/** Words of an event record's header (before its table of last pairs). */
export const EVENT_HEAD = 10;
/** Words of a fallback record. */
export const FALLBACK_WORDS = 4;

interface ScanExports {
    readonly memory: { readonly buffer: ArrayBuffer };
    init(
        type: number,
        apparmor: number,
        msg: number,
        operation: number,
        count: number,
        ints: number,
    ): number;
    internGeneration(): number;
    internIds(): number;
    outputBase(): number;
    outLen(): number;
    ensure(len: number): void;
    setMaxLine(n: number): void;
    addKey(len: number, code: number): void;
    scan(from: number, end: number): number;
}

interface WasmApi {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
}

const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | undefined;

/** One instance of the module with its memory; not re-entrant (see `acquireByteScanner`). */
export class ByteScanner {
    private readonly x: ScanExports;
    private readonly inBase: number;
    /** Word index of the output area. */
    readonly outWord: number;
    /** Words of an event record before its pairs (header and table of last pairs). */
    readonly eventWords: number;
    words = new Int32Array(0);
    doubles = new Float64Array(0);
    private bytes = new Uint8Array(0);
    /**
     * The string of each intern id (undefined until a field with it is read), then its
     * hex-decoded form (see INTERN_IDS).
     */
    readonly interned: (string | undefined)[] = new Array<string | undefined>(2 * INTERN_IDS).fill(
        undefined,
    );
    private generation = 0;

    constructor() {
        compiled ??= new wasmApi.Module(Buffer.from(WASM_BASE64, "base64"));
        this.x = new wasmApi.Instance(compiled, {
            env: {
                abort: () => {
                    throw new Error("log byte scanner: abort");
                },
            },
        }).exports as ScanExports;
        // The strings table below holds INTERN_IDS ids (and their decoded forms after them).
        if (this.x.internIds() !== INTERN_IDS)
            throw new Error(
                `log byte scanner: the module interns ${this.x.internIds()} ids, view.ts INTERN_IDS is ${INTERN_IDS}`,
            );
        const c = byteScannerCodes();
        const ints = c.ints.reduce((m, code) => m | (1 << code), 0);
        this.inBase = this.x.init(c.type, c.apparmor, c.msg, c.operation, c.count, ints);
        this.outWord = this.x.outputBase() >> 2;
        this.eventWords = EVENT_HEAD + c.count;
        this.views();
        for (const [key, code] of c.keys) {
            this.bytes.set(Buffer.from(key, "latin1"), this.inBase);
            this.x.addKey(key.length, code);
        }
    }

    private views(): void {
        const buf = this.x.memory.buffer;
        this.words = new Int32Array(buf);
        this.doubles = new Float64Array(buf);
        this.bytes = new Uint8Array(buf);
    }

    /** Copies `src[start, end)` into the input window; lines longer than `maxLine` bytes fall back. */
    load(src: Uint8Array, start: number, end: number, maxLine: number): void {
        const n = end - start;
        if (this.inBase + n + 64 > this.x.memory.buffer.byteLength) {
            this.x.ensure(n);
            this.views();
        }
        this.bytes.set(src.subarray(start, end), this.inBase);
        this.x.setMaxLine(Math.min(maxLine, 0x7fffffff));
    }

    /** Scans the loaded window from `from` up to `end`; returns where to go on. */
    scan(from: number, end: number): number {
        const pos = this.x.scan(from, end);
        const g = this.x.internGeneration();
        if (g !== this.generation) {
            // the table was emptied: its ids name other values from now on
            this.generation = g;
            this.interned.fill(undefined);
        }
        return pos;
    }

    /** Words of records the last `scan` wrote (from `outWord`). */
    outWords(): number {
        return this.x.outLen() >> 2;
    }
}

const pool: ByteScanner[] = [];

/**
 * A scanner no scan is using (a callback may start another scan while its own is under way: each
 * gets its own instance). Give it back with `releaseByteScanner`.
 */
export function acquireByteScanner(): ByteScanner {
    return pool.pop() ?? new ByteScanner();
}

export function releaseByteScanner(s: ByteScanner): void {
    if (pool.length < 4) pool.push(s);
}
