/**
 * The shared scanner of the policy parser: AppArmor's character classes (parser_lex.l, 3.0), the
 * {@link Scanner} over the text, and the token readers several statements use (labels, `-> TARGET`,
 * parenthesised lists, condition lists and the generic MOUNT/DBUS/SIGNAL/PTRACE/UNIX lexer mode).
 * The statements themselves are read by `parser.ts` (document structure) and `rules/*.ts` (one rule
 * kind each).
 */

import type { MountCondition, Qualifiers } from "./model";

/** A syntax error in policy text, with its 1-based position. */
export class ProfileParseError extends Error {
    /** 1-based line of the offending character. */
    public readonly line: number;
    /** 1-based column (in characters) of the offending character. */
    public readonly column: number;
    /** what the parser expected at that position. */
    public readonly expected: string;
    /** what it found instead (a short excerpt, or "end of input"). */
    public readonly found: string;

    constructor(line: number, column: number, expected: string, found: string) {
        super(`line ${line}, column ${column}: expected ${expected}, found ${found}`);
        this.name = "ProfileParseError";
        this.line = line;
        this.column = column;
        this.expected = expected;
        this.found = found;
    }
}

// ---------------------------------------------------------------------------------------------------
// Character classes (from parser_lex.l, AppArmor 3.0)
// ---------------------------------------------------------------------------------------------------

export const isBlank = (c: string): boolean => c === " " || c === "\t";
export const isWs = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";
export const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
export const isAlnum_ = (c: string): boolean => isAlpha(c) || (c >= "0" && c <= "9") || c === "_";
/** ID_CHARS: anything but whitespace, quote, `!` and `,`. */
export const isIdChar = (c: string): boolean =>
    c !== "" &&
    c !== " " &&
    c !== "\t" &&
    c !== "\r" &&
    c !== "\n" &&
    c !== '"' &&
    c !== "!" &&
    c !== ",";
/** escapes that may appear inside unquoted ids: `\ `, `\<tab>`, `\"`, `\!`, `\,`. */
export const ID_ESCAPES = ' \t"!,';

// ---------------------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------------------

export class Scanner {
    pos = 0;
    constructor(readonly text: string) {}

    eof(): boolean {
        return this.pos >= this.text.length;
    }
    peek(n = 0): string {
        return this.text.charAt(this.pos + n);
    }
    startsWith(s: string): boolean {
        return this.text.startsWith(s, this.pos);
    }
    /** a keyword at the current position, followed by a non-identifier character. */
    atWord(word: string): boolean {
        return this.startsWith(word) && !isAlnum_(this.peek(word.length));
    }
    /** the [alpha][alnum_]* word at the current position ("" if none). */
    word(): string {
        if (!isAlpha(this.peek())) return "";
        let end = this.pos + 1;
        while (end < this.text.length && isAlnum_(this.text.charAt(end))) end++;
        return this.text.slice(this.pos, end);
    }
    skipBlanks(): void {
        while (isBlank(this.peek())) this.pos++;
    }
    /** whitespace including newlines (rules may span lines). */
    skipWs(): void {
        while (!this.eof() && isWs(this.peek())) this.pos++;
    }

    position(at = this.pos): { line: number; column: number } {
        let line = 1;
        let lineStart = 0;
        for (let i = 0; i < at && i < this.text.length; i++) {
            if (this.text.charCodeAt(i) === 10) {
                line++;
                lineStart = i + 1;
            }
        }
        return { line, column: at - lineStart + 1 };
    }

    found(at = this.pos): string {
        if (at >= this.text.length) return "end of input";
        const c = this.text.charAt(at);
        if (c === "\n") return "end of line";
        let end = at;
        while (end < this.text.length && end - at < 20 && !isWs(this.text.charAt(end))) end++;
        return JSON.stringify(this.text.slice(at, Math.max(end, at + 1)));
    }

    error(expected: string, at = this.pos): ProfileParseError {
        const { line, column } = this.position(at);
        return new ProfileParseError(line, column, expected, this.found(at));
    }

    expect(s: string, what = `'${s}'`): void {
        if (!this.startsWith(s)) throw this.error(what);
        this.pos += s.length;
    }

    /** `"…"` with `\"` escapes; returns the inner text as written. */
    quoted(): string {
        const start = this.pos;
        this.pos++; // opening quote
        while (!this.eof()) {
            const c = this.peek();
            if (c === "\\" && this.peek(1) === '"') {
                this.pos += 2;
                continue;
            }
            if (c === '"') {
                this.pos++;
                return this.text.slice(start + 1, this.pos - 1);
            }
            if (c === "\0") break;
            this.pos++;
        }
        throw this.error("closing '\"'", start);
    }

    /**
     * A run of identifier characters: `ok(c)` chars, a `,` followed by an `ok` char (e.g. in
     * `{a,b}` alternations), and backslash escapes of `extraEscapes`.
     */
    run(ok: (c: string) => boolean, extraEscapes = "", commaJoins = true): string {
        const start = this.pos;
        while (!this.eof()) {
            const c = this.peek();
            const n = this.peek(1);
            if (c === "\\" && n !== "" && (ID_ESCAPES + extraEscapes).includes(n)) {
                this.pos += 2;
                continue;
            }
            if (commaJoins && c === "," && n !== "" && ok(n) && n !== ",") {
                this.pos += 2;
                continue;
            }
            if (c === "," || !ok(c)) break;
            this.pos++;
        }
        return this.text.slice(start, this.pos);
    }

    /** IDS | QUOTED_ID (generic identifier). */
    id(what: string): string {
        if (this.peek() === '"') return this.quoted();
        const v = this.run(isIdChar);
        if (v === "") throw this.error(what);
        return v;
    }

    /** end of rule `,` (after optional whitespace). */
    endOfRule(): void {
        this.skipWs();
        if (this.peek() !== ",") throw this.error("',' ending the rule");
        this.pos++;
    }
}

// ---------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------

/** Thrown internally when a statement is well-formed but not representable by the typed model. */
export class Untyped extends Error {}

export interface Prefix {
    /** `priority=N` (AppArmor 4.1), as written. */
    priority?: number;
    audit?: boolean;
    deny?: boolean;
    allow?: boolean;
    owner?: boolean;
    other?: boolean;
}

export function qualifiers(p: Prefix): Qualifiers {
    const q: { priority?: number; audit?: boolean; deny?: boolean; allow?: boolean } = {};
    if (p.priority !== undefined) q.priority = p.priority;
    if (p.audit) q.audit = true;
    if (p.deny) q.deny = true;
    if (p.allow) q.allow = true;
    return q;
}

/** Normalise the text of an untyped statement: lines trimmed, blank lines dropped. */
export function rawText(text: string): string {
    return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .join("\n");
}

/** Set-valued fields are stored sorted and de-duplicated (the renderer writes them that way too). */
export function canon(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}

// ---------------------------------------------------------------------------------------------------
// Token readers shared by several statements
// ---------------------------------------------------------------------------------------------------

/** LABEL | QUOTED_LABEL | @{var}: a file path, attachment or exec path. */
export function label(s: Scanner, what: string): string {
    const c = s.peek();
    if (c === '"') return s.quoted();
    if (c === "/" || c === "@" || c === ":" || c === "&") {
        return s.run(isIdChar);
    }
    throw s.error(what);
}

/** optional `-> TARGET` (SUB_ID_WS: IDS | QUOTED_ID, or a variable). */
export function optArrowTarget(s: Scanner): string | undefined {
    s.skipWs();
    if (!s.startsWith("->")) return undefined;
    s.pos += 2;
    s.skipWs();
    return s.id("a target after '->'");
}

/** `(a, b c)` list in LIST_VAL_MODE; returns the values. */
export function parenList(s: Scanner, what: string): string[] {
    s.expect("(", `'(' starting ${what}`);
    const values: string[] = [];
    for (;;) {
        s.skipWs();
        const c = s.peek();
        if (c === ")") {
            s.pos++;
            return values;
        }
        if (c === ",") {
            s.pos++;
            continue;
        }
        if (c === "") throw s.error(`')' closing ${what}`);
        if (c === '"') {
            values.push(s.quoted());
            continue;
        }
        const v = s.run((ch) => isIdChar(ch) && ch !== "(" && ch !== ")", "()", false);
        if (v === "") throw s.error(`a value or ')' in ${what}`);
        values.push(v);
    }
}

/** `peer=( name=value name=(a b) … )` condition list (after `name=`). */
export function condList(s: Scanner): MountCondition[] {
    s.expect("(", "'(' starting the condition list");
    const out: MountCondition[] = [];
    for (;;) {
        s.skipWs();
        const c = s.peek();
        if (c === ")") {
            s.pos++;
            return out;
        }
        if (c === ",") {
            s.pos++;
            continue;
        }
        const name = s.run((ch) => isIdChar(ch) && ch !== "=" && ch !== ")", "", false);
        if (!name) throw s.error("a condition name or ')'");
        s.skipWs();
        if (s.peek() !== "=") {
            out.push({ name, op: "=", values: [] });
            continue;
        }
        s.pos++;
        s.skipWs();
        if (s.peek() === "(") {
            out.push({ name, op: "=", values: parenList(s, `${name}=(…)`) });
        } else {
            const v =
                s.peek() === '"'
                    ? s.quoted()
                    : s.run((ch) => isIdChar(ch) && ch !== "(" && ch !== ")", "()", false);
            if (!v) throw s.error(`a value for ${name}=`);
            out.push({ name, op: "=", values: [v] });
        }
    }
}

/** What {@link modeTokens} read. */
export interface ModeTokens {
    perms: string[] | undefined;
    conds: MountCondition[];
    lists: { name: string; conds: MountCondition[] }[];
    ids: string[];
    /** index in `ids` of the first id after `->`, or -1. */
    arrowAt: number;
    condsAfterArrow?: boolean;
}

/** Bare permission words the IPC lexer modes return as tokens (not ids). */
const PERM_WORDS = new Set([
    "send", "receive", "bind", "eavesdrop", "read", "write", "trace", "tracedby", "readby",
    "create", "listen", "accept", "connect", "getattr", "setattr", "getopt", "setopt", "shutdown",
    "r", "w", "rw", "wr",
]); // prettier-ignore

/**
 * Generic reader for the MOUNT/DBUS/SIGNAL/PTRACE/UNIX lexer modes: optional permissions, then
 * conditions, condition lists and plain ids, `->`, up to the ending `,`.
 */
export function modeTokens(s: Scanner, allowPerms: boolean): ModeTokens {
    const t: ModeTokens = { perms: undefined, conds: [], lists: [], ids: [], arrowAt: -1 };
    let first = true;
    for (;;) {
        s.skipWs();
        const c = s.peek();
        if (c === ",") {
            s.pos++;
            return t;
        }
        if (c === "") throw s.error("',' ending the rule");
        if (first && allowPerms) {
            first = false;
            if (c === "(") {
                t.perms = parenList(s, "the access list");
                continue;
            }
            const w = s.word();
            if (
                w &&
                PERM_WORDS.has(w) &&
                !/^[A-Za-z_]+\s*(=|\s+in\s*\()/.test(s.text.slice(s.pos, s.pos + 40))
            ) {
                const after = s.peek(w.length);
                if (after === "" || isWs(after) || after === ",") {
                    s.pos += w.length;
                    t.perms = [w];
                    continue;
                }
            }
        }
        first = false;
        if (s.startsWith("->")) {
            s.pos += 2;
            t.arrowAt = t.ids.length;
            continue;
        }
        const w = s.word();
        if (w) {
            const rest = s.text.slice(s.pos + w.length, s.pos + w.length + 40);
            if ((w === "peer" || w === "xattrs") && /^[ \t]*=[ \t]*\(/.test(rest)) {
                s.pos += w.length;
                s.skipBlanks();
                s.pos++; // =
                s.skipBlanks();
                t.lists.push({ name: w, conds: condList(s) });
                continue;
            }
            if (/^[ \t]*=/.test(rest)) {
                s.pos += w.length;
                s.skipBlanks();
                s.pos++; // =
                s.skipBlanks();
                if (t.arrowAt >= 0) t.condsAfterArrow = true;
                if (s.peek() === "(") {
                    t.conds.push({ name: w, op: "=", values: parenList(s, `${w}=(…)`) });
                } else {
                    if (s.peek() === "\n" || s.peek() === "\r")
                        throw s.error(`a value after ${w}=`);
                    const v = s.id(`a value after ${w}=`);
                    t.conds.push({ name: w, op: "=", values: [v] });
                }
                continue;
            }
            if (/^[ \t]+in[ \t]*\(/.test(rest)) {
                s.pos += w.length;
                s.skipBlanks();
                s.pos += 2;
                s.skipBlanks();
                if (t.arrowAt >= 0) t.condsAfterArrow = true;
                t.conds.push({ name: w, op: "in", values: parenList(s, `${w} in (…)`) });
                continue;
            }
        }
        // TOK_ID: IDS_NOEQ | LABEL | QUOTED_ID
        if (c === '"') {
            t.ids.push(s.quoted());
            continue;
        }
        if (c === "/" || c === "@" || c === ":" || c === "&") {
            t.ids.push(s.run(isIdChar));
            continue;
        }
        if ("=()+&".includes(c)) throw s.error("a condition, value or ','");
        const v = s.run((ch) => isIdChar(ch) && ch !== "=" && ch !== ")");
        if (!v) throw s.error("a condition, value or ','");
        t.ids.push(v);
    }
}
