/**
 * The `read` host script: a refresh's whole read of one host (the `status` of many profiles,
 * `denials` from one or more cursors, the `labels` of containers) in one run under one sudo. Each part
 * is the existing script run as is, so every part has its own validation, result and error:
 * {@link parseRead} gives each part's own typed result or its own {@link HostScriptError}. Pure
 * (command text and parsing only).
 */
import {
    badOutputError,
    buildHostCommand,
    HostScriptError,
    hostScriptProgram,
    isDenialSource,
    parseDenials,
    parseHostAbi,
    parseHostResult,
    parseStatus,
    validateCursor,
    validateHostDirectory,
    validateMaxBytes,
    validateProfileName,
    type DenialSource,
    type DenialsResult,
    type HostCommand,
    type HostCommandOptions,
    type ScriptOutput,
    type StatusResult,
} from "./index";
import type { HostAbiFacts } from "../profile/abi";
import { labelsArgs, MAX_LABEL_IDS, parseLabels, type LabelsResult } from "./labels";

/** `status DIR NAME…` as a part of a read. */
export interface StatusPart {
    readonly kind: "status";
    /** Where to look for names without a manifest. */
    readonly dir: string;
    /** The profiles to report; none: every profile this library manages on the host (its manifests). */
    readonly names: readonly string[];
}

/** `denials CURSOR MAXBYTES SOURCE [UNTIL]` as a part of a read. */
export interface DenialsPart {
    readonly kind: "denials";
    /** "start", "now" or the cursor of an earlier result. */
    readonly cursor: string;
    readonly maxBytes: number;
    readonly source: DenialSource | "auto";
    /**
     * A journal cursor of an earlier result: a journal source's read ends at that entry (see
     * denials.sh). Defaults to none.
     */
    readonly until?: string;
    /**
     * Without `until`: end where the run's first journal read of the same `source` ended (read.sh's
     * UNTIL "="), so that the parts of one run leave their profiles at one position; a part before
     * any such read ends at the log's end. Defaults to false.
     */
    readonly align?: boolean;
}

/** `labels ID…` as a part of a read: the kernel's label of each container's init process. */
export interface LabelsPart {
    readonly kind: "labels";
    /** Container IDs or ID prefixes; at least one. */
    readonly ids: readonly string[];
}

/**
 * `facts` as a part of a read: the host's AppArmor ABI (`abi_facts` in lib-abi.sh: parser version,
 * kernel, ABI files, kernel features, the feature sets parser.conf pins).
 */
export interface FactsPart {
    readonly kind: "facts";
}

export type ReadPart = StatusPart | DenialsPart | LabelsPart | FactsPart;

/** The result type of a part. */
export type ReadPartValue<P extends ReadPart> = P extends StatusPart
    ? StatusResult
    : P extends DenialsPart
      ? DenialsResult
      : P extends LabelsPart
        ? LabelsResult
        : HostAbiFacts;

/** One part's outcome: its own result, or its own error. */
export type ReadPartResult<P extends ReadPart = ReadPart> =
    | { readonly ok: true; readonly value: ReadPartValue<P> }
    | { readonly ok: false; readonly error: HostScriptError };

/** Most names one status part carries (the script's COUNT bound). */
export const MAX_READ_STATUS_NAMES = 500;

/**
 * Longest read command built: below one SSH packet every server accepts (RFC 4253 §6.1: 35000
 * bytes, see minify.ts), with room for the packet's own framing.
 */
export const MAX_READ_COMMAND = 32_000;

function check(field: string, err: string | undefined): void {
    if (err !== undefined) throw new Error(`invalid ${field}: ${err}`);
}

/** The arguments of one part, validated. */
export function readPartArgs(p: ReadPart): string[] {
    if (p.kind === "status") {
        check("directory", validateHostDirectory(p.dir));
        if (p.names.length > MAX_READ_STATUS_NAMES)
            throw new Error(
                `invalid status part: 0 to ${MAX_READ_STATUS_NAMES} names, got ${p.names.length}`,
            );
        for (const n of p.names) check("profile name", validateProfileName(n));
        return ["status", p.dir, String(p.names.length), ...p.names];
    }
    if (p.kind === "denials") {
        check("cursor", validateCursor(p.cursor));
        check("maxBytes", validateMaxBytes(p.maxBytes));
        if (p.source !== "auto" && !isDenialSource(p.source))
            throw new Error(`invalid source "${String(p.source).slice(0, 40)}"`);
        if (p.until !== undefined) {
            check("until", validateCursor(p.until));
            if (!p.until.startsWith("journal:") || p.until.length === 8)
                throw new Error("invalid until: a journal cursor returned by denials");
        }
        return [
            "denials",
            p.cursor,
            String(p.maxBytes),
            p.source,
            p.until ?? (p.align ? "=" : "-"),
        ];
    }
    if (p.kind === "labels") {
        const ids = labelsArgs(p.ids);
        return ["labels", String(ids.length), ...ids];
    }
    if (p.kind === "facts") return ["facts"];
    throw new Error(`invalid read part "${String((p as { kind?: unknown }).kind)}"`);
}

/** The command running `parts` in one read (validated, quoted; throws when it would not fit). */
export function readCommand(
    parts: readonly ReadPart[],
    opts: HostCommandOptions = {},
): HostCommand {
    if (parts.length === 0) throw new Error("invalid read: no parts");
    const command = buildHostCommand("read", parts.flatMap(readPartArgs), opts);
    if (command.length > MAX_READ_COMMAND)
        throw new Error(`read command of ${command.length} bytes exceeds ${MAX_READ_COMMAND}`);
    return { script: "read", command };
}

/** Bytes a part adds to a read command (its quoted arguments). */
function partBytes(p: ReadPart): number {
    return readPartArgs(p).reduce((n, a) => n + a.length + 3, 0);
}

/** The words of a list part (status names, labels IDs), and the part of the same kind holding others. */
function listOf(
    p: ReadPart,
): { words: readonly string[]; max: number; with(words: string[]): ReadPart } | undefined {
    if (p.kind === "status")
        return { words: p.names, max: MAX_READ_STATUS_NAMES, with: (names) => ({ ...p, names }) };
    if (p.kind === "labels")
        return { words: p.ids, max: MAX_LABEL_IDS, with: (ids) => ({ ...p, ids }) };
    return undefined;
}

/**
 * `parts` in as few reads as fit in {@link MAX_READ_COMMAND} each, in order; a status (labels) part
 * with more names (IDs) than fit is split into parts of the same kind (and directory). Each entry
 * lists, per part of its read, the index of the part of `parts` it serves.
 */
export function planReads(
    parts: readonly ReadPart[],
    opts: HostCommandOptions = {},
): { parts: ReadPart[]; from: number[] }[] {
    // Room for `sudo -n ` whatever `opts` says: a plan then fits in one command sent either way
    // (8 bytes of 32000), and a change in the packed script's length cannot tip it over.
    const fixed = buildHostCommand("read", [], { ...opts, sudo: true }).length;
    const room = MAX_READ_COMMAND - fixed;
    const plans: { parts: ReadPart[]; from: number[] }[] = [];
    let cur: { parts: ReadPart[]; from: number[] } = { parts: [], from: [] };
    let used = 0;
    const next = () => {
        plans.push(cur);
        cur = { parts: [], from: [] };
        used = 0;
    };
    const push = (p: ReadPart, i: number) => {
        const b = partBytes(p);
        if (b > room) throw new Error(`a read part of ${b} bytes cannot fit in one command`);
        if (used + b > room && cur.parts.length > 0) next();
        cur.parts.push(p);
        cur.from.push(i);
        used += b;
    };
    parts.forEach((p, i) => {
        const list = listOf(p);
        if (!list || list.words.length === 0) return push(p, i);
        // words one by one into parts that fit; `empty`: the part's bytes without its words, with
        // room for a COUNT of three digits
        const one = list.words[0];
        const empty = partBytes(list.with([one])) - (one.length + 3) + 2;
        let words: string[] = [];
        let bytes = empty;
        const flush = () => {
            if (words.length > 0) push(list.with(words), i);
            words = [];
            bytes = empty;
        };
        for (const w of list.words) {
            const wb = w.length + 3;
            if (
                words.length >= list.max ||
                (words.length > 0 && (used + bytes + wb > room || bytes + wb > room))
            ) {
                flush();
                // the read is full: the next words start the next read (not a part of one word)
                if (used + empty + wb > room && cur.parts.length > 0) next();
            }
            words.push(w);
            bytes += wb;
        }
        flush();
    });
    if (cur.parts.length > 0) plans.push(cur);
    return plans;
}

function badOutput(message: string, out: ScriptOutput): HostScriptError {
    return badOutputError("read", message, out);
}

/** A non-negative integer field of a frame line. */
function count(o: Record<string, unknown>, key: string): number {
    const v = o[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
        throw new Error(`${key} is not a count`);
    return v;
}

/**
 * Each part's result, in the order of `parts`. The read itself failing (not root, usage, output cut
 * or not framed as announced) throws {@link HostScriptError} of script `read`; a part that failed is
 * that part's own error (script `status`, `denials` or `labels`, as when run alone).
 */
export function parseRead(parts: readonly ReadPart[], out: ScriptOutput): ReadPartResult[] {
    const header = parseHostResult("read", out);
    if (header.read !== "v1" || header.parts !== parts.length)
        throw badOutput(
            `header ${JSON.stringify(header).slice(0, 200)} does not announce ${parts.length} parts`,
            out,
        );
    const lines = out.stdout.split("\n");
    if (lines[lines.length - 1] !== "") throw badOutput("the last line is cut (no newline)", out);
    let at = 1;
    const results: ReadPartResult[] = [];
    for (let i = 0; i < parts.length; i++) {
        let frame: Record<string, unknown>;
        let n: number;
        let exit: number;
        try {
            frame = JSON.parse(lines[at] ?? "") as Record<string, unknown>;
            if (typeof frame !== "object" || frame === null || frame.part !== i)
                throw new Error("not the next part");
            n = count(frame, "lines");
            exit = count(frame, "exit");
        } catch (e) {
            throw badOutput(`part ${i}: bad frame line (${(e as Error).message})`, out);
        }
        if (at + 1 + n > lines.length - 1)
            throw badOutput(`part ${i}: ${n} lines announced, fewer sent`, out);
        const body = lines.slice(at + 1, at + 1 + n);
        at += 1 + n;
        const partOut: ScriptOutput = {
            stdout: body.length ? `${body.join("\n")}\n` : "",
            stderr: out.stderr ?? "",
            exitCode: exit,
        };
        const p = parts[i];
        try {
            const value =
                p.kind === "status"
                    ? parseStatus(partOut)
                    : p.kind === "denials"
                      ? parseDenials(partOut)
                      : p.kind === "labels"
                        ? parseLabels(partOut)
                        : parseFacts(partOut);
            results.push({ ok: true, value } as ReadPartResult);
        } catch (e) {
            if (!(e instanceof HostScriptError)) throw e;
            results.push({ ok: false, error: e });
        }
    }
    if (at !== lines.length - 1) throw badOutput(`lines after the last part`, out);
    return results;
}

/** A facts part's result: its `hostAbi`, checked ({@link parseHostAbi}). */
function parseFacts(out: ScriptOutput): HostAbiFacts {
    const facts = parseHostAbi(parseHostResult("read", out).hostAbi);
    if (!facts) throw badOutput("facts: no well-formed hostAbi", out);
    return facts;
}

/** The read program (for tests: its size decides how many names fit). */
export function readProgram(): string {
    return hostScriptProgram("read");
}
