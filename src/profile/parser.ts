/**
 * Parser for AppArmor 3.x policy text → {@link PolicyDocument}.
 *
 * A hand-written recursive-descent parser whose token rules follow `apparmor_parser`'s own lexer
 * (parser_lex.l): which characters belong to an identifier depends on the rule being read (file
 * paths, mount/dbus/signal/ptrace/unix conditions, lists in parentheses, variable values, includes).
 * Constructs the model does not type (conditionals, `audit {}` blocks, 4.x-only rules) are kept as
 * {@link RawRule}s with their exact text, so parsing never loses policy.
 *
 * Errors are thrown as {@link ProfileParseError} with a 1-based line and column and what was expected.
 */

import {
    Abi,
    Alias,
    CapabilityRule,
    ChangeProfileRule,
    Comment,
    DbusRule,
    ExecMode,
    FileAccess,
    FileRule,
    Include,
    LinkRule,
    MountCondition,
    MountRule,
    NetworkRule,
    PivotRootRule,
    PolicyDocument,
    PolicyItem,
    Profile,
    ProfileItem,
    PtraceRule,
    Qualifiers,
    RawRule,
    RemountRule,
    RlimitRule,
    SignalRule,
    UmountRule,
    UnixRule,
    VariableAssignment,
} from "./model";

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

const isBlank = (c: string): boolean => c === " " || c === "\t";
const isWs = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";
const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isAlnum_ = (c: string): boolean => isAlpha(c) || (c >= "0" && c <= "9") || c === "_";
/** ID_CHARS: anything but whitespace, quote, `!` and `,`. */
const isIdChar = (c: string): boolean =>
    c !== "" &&
    c !== " " &&
    c !== "\t" &&
    c !== "\r" &&
    c !== "\n" &&
    c !== '"' &&
    c !== "!" &&
    c !== ",";
/** escapes that may appear inside unquoted ids: `\ `, `\<tab>`, `\"`, `\!`, `\,`. */
const ID_ESCAPES = ' \t"!,';

const FILE_MODE_CHARS = "rRwWaAlLmMkKxXiIuUpPcC";

/** Address families known to AppArmor 3.0 (base_af_names.h), used to classify `network` words. */
const NETWORK_DOMAINS = new Set([
    "unspec",
    "unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25", "inet6",
    "rose", "netbeui", "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds",
    "sna", "irda", "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv",
    "rxrpc", "isdn", "phonet", "ieee802154", "caif", "alg", "nfc", "vsock", "kcm", "qipcrtr",
    "smc", "xdp", "mctp",
]); // prettier-ignore
const NETWORK_TYPES = new Set(["stream", "dgram", "seqpacket", "rdm", "raw", "packet"]);

// ---------------------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------------------

class Scanner {
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
class Untyped extends Error {}

interface Prefix {
    audit?: boolean;
    deny?: boolean;
    allow?: boolean;
    owner?: boolean;
    other?: boolean;
}

function qualifiers(p: Prefix): Qualifiers {
    const q: { audit?: boolean; deny?: boolean; allow?: boolean } = {};
    if (p.audit) q.audit = true;
    if (p.deny) q.deny = true;
    if (p.allow) q.allow = true;
    return q;
}

/** Normalise the text of an untyped statement: lines trimmed, blank lines dropped. */
function rawText(text: string): string {
    return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .join("\n");
}

/** Set-valued fields are stored sorted and de-duplicated (the renderer writes them that way too). */
function canon(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}

class Parser {
    readonly s: Scanner;
    constructor(text: string) {
        this.s = new Scanner(text);
    }

    document(): PolicyDocument {
        const items: PolicyItem[] = [];
        const s = this.s;
        for (;;) {
            s.skipWs();
            if (s.eof()) break;
            items.push(...this.topItem());
        }
        return { kind: "document", items };
    }

    // --- shared statements -------------------------------------------------------------------

    /** `#…` comment or `#include`; returns null when not at `#`. */
    commentOrHashInclude(): Comment | Include | null {
        const s = this.s;
        if (s.peek() !== "#") return null;
        if (s.startsWith("#include")) {
            s.pos += "#include".length;
            return this.includeRest(true);
        }
        const start = s.pos + 1;
        while (!s.eof() && s.peek() !== "\n") s.pos++;
        let text = s.text.slice(start, s.pos);
        if (text.endsWith("\r")) text = text.slice(0, -1);
        return { kind: "comment", text: text.trimEnd() };
    }

    /** after `include` / `#include`: `[if exists] <path> | "path" | path`. */
    includeRest(hash: boolean): Include {
        const s = this.s;
        s.skipBlanks();
        let ifExists = false;
        if (s.atWord("if")) {
            const save = s.pos;
            s.pos += 2;
            s.skipBlanks();
            if (s.atWord("exists")) {
                s.pos += "exists".length;
                s.skipBlanks();
                ifExists = true;
            } else {
                s.pos = save;
            }
        }
        const { path, form } = this.includePath();
        const inc: Include = {
            kind: "include",
            path,
            form,
            ...(ifExists ? { ifExists: true } : {}),
            ...(hash ? { hash: true } : {}),
        };
        return inc;
    }

    includePath(): { path: string; form: "angle" | "quoted" } {
        const s = this.s;
        if (s.peek() === "<") {
            s.pos++;
            let path: string;
            if (s.peek() === '"') {
                path = s.quoted();
            } else {
                const start = s.pos;
                while (!s.eof() && !'">\t\r\n'.includes(s.peek())) s.pos++;
                path = s.text.slice(start, s.pos).trim();
            }
            if (s.peek() !== ">") throw s.error("'>' closing the include path");
            s.pos++;
            if (path === "") throw s.error("an include path", s.pos - 1);
            return { path, form: "angle" };
        }
        if (s.peek() === '"') return { path: s.quoted(), form: "quoted" };
        const path = s.run((c) => isIdChar(c) && c !== "<" && c !== ">");
        if (path === "") throw s.error('an include path (<path> or "path")');
        return { path, form: "quoted" };
    }

    /** `abi <path>,` (after the keyword). */
    abiRest(): Abi {
        const s = this.s;
        s.skipWs();
        const { path, form } = this.includePath();
        s.endOfRule();
        return { kind: "abi", path, form };
    }

    /** statement text from `start` to the current position, as a raw rule. */
    raw(start: number): RawRule {
        return { kind: "raw", text: rawText(this.s.text.slice(start, this.s.pos)) };
    }

    /** Skip a balanced `{ … }` block (for raw `if`/qualifier blocks), honouring quotes and comments. */
    skipBlock(): void {
        const s = this.s;
        s.skipWs();
        if (s.peek() !== "{") throw s.error("'{'");
        let depth = 0;
        while (!s.eof()) {
            const c = s.peek();
            if (c === '"') {
                s.quoted();
                continue;
            }
            if (c === "#" && (s.pos === 0 || isWs(s.text.charAt(s.pos - 1)))) {
                while (!s.eof() && s.peek() !== "\n") s.pos++;
                continue;
            }
            s.pos++;
            if (c === "{") depth++;
            else if (c === "}") {
                depth--;
                if (depth === 0) return;
            }
        }
        throw s.error("'}' closing the block");
    }

    // --- top level ----------------------------------------------------------------------------

    topItem(): PolicyItem[] {
        const s = this.s;
        const start = s.pos;
        const c = this.commentOrHashInclude();
        if (c) return [c];
        if (s.atWord("include")) {
            s.pos += "include".length;
            return [this.includeRest(false)];
        }
        if (s.atWord("abi")) {
            s.pos += 3;
            return [this.abiRest()];
        }
        if (s.atWord("alias") || s.atWord("rewrite")) {
            s.pos += s.word().length;
            s.skipWs();
            const from = s.id("alias source path");
            s.skipWs();
            s.expect("->", "'->' in alias");
            s.skipWs();
            const to = s.id("alias target path");
            s.endOfRule();
            const a: Alias = { kind: "alias", from, to };
            return [a];
        }
        if (s.peek() === "@") return [this.variable()];
        if (s.peek() === "$") {
            // boolean variable assignment: kept raw (one line)
            while (!s.eof() && s.peek() !== "\n" && s.peek() !== "#") s.pos++;
            return [this.raw(start)];
        }
        if (s.atWord("if")) {
            this.conditional();
            return [this.raw(start)];
        }
        return [this.profile(false)];
    }

    /** `@{NAME} = v1 v2` / `+=` (values up to the end of the line, `\` continues). */
    variable(): VariableAssignment {
        const s = this.s;
        s.pos++; // @
        let name: string;
        if (s.peek() === "{") {
            s.pos++;
            name = s.word();
            if (name === "") throw s.error("a variable name");
            s.pos += name.length;
            s.expect("}", "'}' closing the variable name");
        } else {
            name = s.word();
            if (name === "") throw s.error("a variable name after '@'");
            s.pos += name.length;
        }
        s.skipBlanks();
        let op: "=" | "+=";
        if (s.startsWith("+=")) op = "+=";
        else if (s.startsWith("=")) op = "=";
        else throw s.error("'=' or '+=' in variable assignment");
        s.pos += op.length;
        const values: string[] = [];
        for (;;) {
            s.skipBlanks();
            const c = s.peek();
            if (c === "\\" && (s.peek(1) === "\n" || s.startsWith("\\\r\n"))) {
                s.pos += s.peek(1) === "\n" ? 2 : 3;
                continue;
            }
            if (c === "" || c === "\n" || c === "\r") break;
            if (c === "#") {
                // a comment ends the assignment; leave it to be read as a comment item
                break;
            }
            if (c === ",") throw s.error("a value (variable declarations take no trailing comma)");
            values.push(s.id("a variable value"));
        }
        if (values.length === 0) throw s.error(`at least one value for @{${name}}`);
        return { kind: "variable", name, op, values };
    }

    /** `if … { … } [else [if …] { … }]` — consumed so the caller can keep it raw. */
    conditional(): void {
        const s = this.s;
        // expression up to the block
        while (!s.eof() && s.peek() !== "{") {
            if (s.peek() === ",") throw s.error("'{' after the if-expression");
            if ((s.peek() === "$" || s.peek() === "@") && s.peek(1) === "{") {
                const close = s.text.indexOf("}", s.pos);
                if (close < 0) throw s.error("'}' closing the variable name");
                s.pos = close + 1;
                continue;
            }
            s.pos++;
        }
        this.skipBlock();
        const save = s.pos;
        s.skipWs();
        if (s.atWord("else")) {
            s.pos += 4;
            s.skipWs();
            if (s.atWord("if")) {
                s.pos += 2;
                this.conditional();
            } else {
                this.skipBlock();
            }
        } else {
            s.pos = save;
        }
    }

    // --- profiles -----------------------------------------------------------------------------

    /**
     * Profile header and body. At top level: `[profile|hat|^] NAME …`; nested (`nested`):
     * `profile NAME …`, `hat NAME …` or `^NAME …`.
     */
    profile(nested: boolean): Profile {
        const s = this.s;
        let hat = false;
        let name: string;
        if (s.peek() === "^") {
            s.pos++;
            hat = true;
            s.skipBlanks();
            name = s.id("a hat name after '^'");
        } else if (s.atWord("hat") || s.atWord("profile")) {
            hat = s.atWord("hat");
            s.pos += hat ? 3 : 7;
            s.skipWs();
            if (s.peek() === "{") throw s.error(hat ? "a hat name" : "a profile name");
            name = s.id(hat ? "a hat name" : "a profile name");
        } else {
            if (nested) throw s.error("a rule");
            const c = s.peek();
            if (c === '"') {
                name = s.quoted();
            } else if (c === "/" || c === "@" || c === ":" || c === "&") {
                name = s.run(isIdChar);
            } else {
                throw s.error(
                    "a profile ('profile NAME {', '/path {'), include, abi, alias or variable",
                );
            }
        }
        let attachment: string | undefined;
        let flags: string[] | undefined;
        let xattrs: { key: string; value?: string }[] | undefined;
        for (;;) {
            s.skipWs();
            const c = s.peek();
            if (c === "{") {
                s.pos++;
                break;
            }
            if (s.atWord("flags") && /^flags\s*=/.test(s.text.slice(s.pos, s.pos + 40))) {
                if (flags) throw s.error("only one flags=(…)");
                s.pos += 5;
                s.skipWs();
                s.expect("=");
                s.skipWs();
                flags = this.parenList("profile flags");
                continue;
            }
            if (c === "(") {
                if (flags) throw s.error("only one flags=(…)");
                flags = this.parenList("profile flags");
                continue;
            }
            if (s.atWord("xattrs") && /^xattrs\s*=\s*\(/.test(s.text.slice(s.pos, s.pos + 40))) {
                s.pos += 6;
                s.skipWs();
                s.expect("=");
                s.skipWs();
                xattrs = this.condList().map((cd) => {
                    if (cd.values.length > 1) throw new Untyped();
                    return cd.values.length
                        ? { key: cd.name, value: cd.values[0] }
                        : { key: cd.name };
                });
                continue;
            }
            if (attachment === undefined && (c === "/" || c === "@" || c === '"')) {
                attachment = c === '"' ? s.quoted() : s.run(isIdChar);
                continue;
            }
            throw s.error("'{' to open the profile, an attachment path or flags=(…)");
        }
        const rules = this.body();
        const p: Profile = {
            kind: "profile",
            name,
            ...(attachment !== undefined ? { attachment } : {}),
            ...(xattrs ? { xattrs } : {}),
            ...(flags ? { flags: canon(flags) } : {}),
            ...(hat ? { hat: true } : {}),
            rules,
        };
        return p;
    }

    /** Profile body items up to and including the closing `}`. */
    body(): ProfileItem[] {
        const s = this.s;
        const items: ProfileItem[] = [];
        for (;;) {
            s.skipWs();
            if (s.eof()) throw s.error("'}' closing the profile");
            if (s.peek() === "}") {
                s.pos++;
                return items;
            }
            items.push(this.bodyItem());
        }
    }

    bodyItem(): ProfileItem {
        const s = this.s;
        const start = s.pos;
        const c = this.commentOrHashInclude();
        if (c) return c;
        if (s.atWord("include")) {
            s.pos += "include".length;
            return this.includeRest(false);
        }
        if (s.peek() === "^" || s.atWord("hat") || s.atWord("profile")) return this.profile(true);
        if (s.atWord("abi")) {
            s.pos += 3;
            this.abiRest();
            return this.raw(start);
        }
        if (s.atWord("if")) {
            this.conditional();
            return this.raw(start);
        }
        if (s.atWord("set")) {
            return this.rlimit();
        }
        try {
            return this.rule();
        } catch (e) {
            if (!(e instanceof Untyped)) throw e;
            // well-formed but not typed: skip to the end of the statement and keep it raw
            s.pos = start;
            this.skipStatement();
            return this.raw(start);
        }
    }

    /** `set rlimit RES <= VALUE,` */
    rlimit(): RlimitRule {
        const s = this.s;
        s.pos += 3;
        s.skipWs();
        if (!s.atWord("rlimit")) throw s.error("'rlimit' after 'set'");
        s.pos += 6;
        s.skipWs();
        const resource = s.word();
        if (!resource) throw s.error("an rlimit resource name");
        s.pos += resource.length;
        s.skipWs();
        s.expect("<=", "'<=' in rlimit rule");
        s.skipWs();
        const vstart = s.pos;
        if (s.peek() === "-") s.pos++;
        while (/[0-9]/.test(s.peek())) s.pos++;
        let value: string;
        if (s.pos === vstart) {
            if (!s.atWord("infinity")) throw s.error("a number or 'infinity'");
            s.pos += 8;
            value = "infinity";
        } else {
            value = s.text.slice(vstart, s.pos);
            s.skipBlanks();
            const unit = s.word();
            if (unit) {
                s.pos += unit.length;
                value += unit;
            }
        }
        s.endOfRule();
        return { kind: "rlimit", resource, value };
    }

    /**
     * Skip the remainder of a statement the typed parser gave up on: up to the `,` that ends the
     * rule (outside quotes and parentheses), or a balanced `{}` block for qualifier blocks.
     */
    skipStatement(): void {
        const s = this.s;
        let depth = 0;
        while (!s.eof()) {
            const c = s.peek();
            if (c === '"') {
                s.quoted();
                continue;
            }
            if (c === "(") depth++;
            if (c === ")") depth--;
            if (c === "{" && depth === 0 && (s.pos === 0 || isWs(s.text.charAt(s.pos - 1)))) {
                this.skipBlock();
                return;
            }
            s.pos++;
            if (c === "," && depth <= 0 && !isIdChar(s.peek())) return;
            if (c === "," && depth <= 0 && s.peek() === ",") return;
        }
        throw s.error("',' ending the rule");
    }

    // --- rules --------------------------------------------------------------------------------

    prefix(): Prefix {
        const s = this.s;
        const p: Prefix = {};
        s.skipWs();
        if (s.atWord("audit")) {
            s.pos += 5;
            p.audit = true;
            s.skipWs();
        }
        if (s.atWord("deny")) {
            s.pos += 4;
            p.deny = true;
            s.skipWs();
        } else if (s.atWord("allow")) {
            s.pos += 5;
            p.allow = true;
            s.skipWs();
        }
        if (s.atWord("owner") || s.atWord("user")) {
            s.pos += s.word().length;
            p.owner = true;
            s.skipWs();
        } else if (s.atWord("other")) {
            s.pos += 5;
            p.other = true;
            s.skipWs();
        }
        return p;
    }

    rule(): ProfileItem {
        const s = this.s;
        const p = this.prefix();
        if (s.peek() === "{") throw new Untyped(); // qualifier block
        if (p.other) throw new Untyped();
        const w = s.word();
        // AppArmor 4.x rules (userns, mqueue, io_uring, `all,`, `priority=N` prefixes): kept raw
        if (FOUR_X_RULES.has(w) && !isAlnum_(s.peek(w.length))) throw new Untyped();
        if (w === "all" && /^all\s*,/.test(s.text.slice(s.pos, s.pos + 20))) throw new Untyped();
        if (w === "priority" && /^priority\s*=/.test(s.text.slice(s.pos, s.pos + 20))) {
            throw new Untyped();
        }
        const notFile = (): void => {
            if (p.owner) throw new Untyped();
        };
        switch (w) {
            case "capability":
                notFile();
                return this.capability(p);
            case "network":
                notFile();
                return this.network(p);
            case "mount":
            case "remount":
            case "umount":
            case "unmount":
            case "pivot_root":
                notFile();
                return this.mountLike(p, w);
            case "signal":
            case "ptrace":
            case "unix":
            case "dbus":
                notFile();
                return this.ipc(p, w);
            case "change_profile":
                notFile();
                return this.changeProfile(p);
            case "link":
                return this.link(p);
            case "file":
                s.pos += 4;
                s.skipWs();
                if (s.peek() === ",") {
                    s.pos++;
                    return this.fileRule(p, undefined, [], undefined, undefined);
                }
                return this.fileRuleTail(p);
            case "set":
            case "if":
            case "include":
            case "profile":
            case "hat":
                throw s.error("a rule after qualifiers");
            default:
                return this.fileRuleTail(p);
        }
    }

    fileRule(
        p: Prefix,
        path: string | undefined,
        access: FileAccess[],
        exec: ExecMode | undefined,
        target: string | undefined,
    ): FileRule {
        return {
            kind: "file",
            ...qualifiers(p),
            ...(p.owner ? { owner: true } : {}),
            ...(path !== undefined ? { path } : {}),
            access,
            ...(exec ? { exec } : {}),
            ...(target !== undefined ? { target } : {}),
        };
    }

    /** A file rule after the optional `file` keyword: path-first or permissions-first form. */
    fileRuleTail(p: Prefix): FileRule {
        const s = this.s;
        let execMode: "safe" | "unsafe" | undefined;
        if (s.atWord("safe") || s.atWord("unsafe")) {
            execMode = s.atWord("safe") ? "safe" : "unsafe";
            s.pos += execMode.length;
            s.skipWs();
        }
        const withMode = (r: FileRule): FileRule => (execMode ? { ...r, execMode } : r);
        const c = s.peek();
        if (c === "/" || c === "@" || c === '"' || c === ":" || c === "&") {
            const path = this.label("a file path");
            s.skipWs();
            const mode = this.fileMode();
            const target = this.optArrowTarget();
            s.endOfRule();
            return withMode(this.fileRule(p, path, mode.access, mode.exec, target));
        }
        // leading-permissions form
        if (this.atFileMode()) {
            const mode = this.fileMode();
            s.skipWs();
            if (s.atWord("subset")) throw new Untyped();
            if (s.startsWith("<=")) throw new Untyped();
            const path = this.label("a file path after the permissions");
            const target = this.optArrowTarget();
            if (target !== undefined && mode.access.includes("l")) throw new Untyped();
            s.endOfRule();
            return withMode(this.fileRule(p, path, mode.access, mode.exec, target));
        }
        throw s.error(
            "a rule (file path, capability, network, mount, signal, ptrace, unix, dbus, …)",
        );
    }

    /** LABEL | QUOTED_LABEL | @{var}: a file path, attachment or exec path. */
    label(what: string): string {
        const s = this.s;
        const c = s.peek();
        if (c === '"') return s.quoted();
        if (c === "/" || c === "@" || c === ":" || c === "&") {
            return s.run(isIdChar);
        }
        throw s.error(what);
    }

    atFileMode(): boolean {
        const s = this.s;
        let i = 0;
        while (FILE_MODE_CHARS.includes(s.peek(i))) i++;
        const after = s.peek(i);
        return i > 0 && (after === "" || isWs(after) || after === ",");
    }

    /** MODES token → plain access set + exec mode (canonical spelling). */
    fileMode(): { access: FileAccess[]; exec?: ExecMode } {
        const s = this.s;
        const start = s.pos;
        if (!this.atFileMode()) throw s.error("file permissions (e.g. r, rw, mr, ix, Px)");
        let end = start;
        while (FILE_MODE_CHARS.includes(s.text.charAt(end))) end++;
        const str = s.text.slice(start, end);
        const access = new Set<FileAccess>();
        let exec: ExecMode | undefined;
        const setExec = (m: ExecMode, at: number): void => {
            if (exec !== undefined && exec !== m)
                throw s.error("at most one exec mode (conflicting exec qualifiers)", at);
            exec = m;
        };
        for (let i = 0; i < str.length; i++) {
            const ch = str.charAt(i);
            const lower = ch.toLowerCase();
            const next = str.charAt(i + 1).toLowerCase();
            const next2 = str.charAt(i + 2).toLowerCase();
            if ("rwalkm".includes(lower) && ch !== "A" && ch !== "K") {
                access.add(lower as FileAccess);
            } else if (lower === "x") {
                setExec("x", start + i);
            } else if (lower === "i" && next === "x") {
                setExec("ix", start + i);
                i++;
            } else if (lower === "u" && next === "x") {
                setExec(ch === "U" ? "Ux" : "ux", start + i);
                i++;
            } else if ((lower === "p" || lower === "c") && next === "x") {
                setExec((ch + "x") as ExecMode, start + i);
                i++;
            } else if ((lower === "p" || lower === "c") && next === "i" && next2 === "x") {
                setExec((ch + "ix") as ExecMode, start + i);
                i += 2;
            } else if ((lower === "p" || lower === "c") && next === "u" && next2 === "x") {
                setExec(
                    (ch === "P" ? "PUx" : ch === "C" ? "CUx" : ch + "ux") as ExecMode,
                    start + i,
                );
                i += 2;
            } else {
                throw s.error("valid file permissions (r w a l k m and an exec mode)", start + i);
            }
        }
        s.pos = end;
        const order: FileAccess[] = ["m", "r", "w", "a", "l", "k"];
        return { access: order.filter((a) => access.has(a)), ...(exec ? { exec } : {}) };
    }

    /** optional `-> TARGET` (SUB_ID_WS: IDS | QUOTED_ID, or a variable). */
    optArrowTarget(): string | undefined {
        const s = this.s;
        s.skipWs();
        if (!s.startsWith("->")) return undefined;
        s.pos += 2;
        s.skipWs();
        return s.id("a target after '->'");
    }

    link(p: Prefix): LinkRule {
        const s = this.s;
        s.pos += 4;
        s.skipWs();
        let subset = false;
        if (s.atWord("subset")) {
            s.pos += 6;
            subset = true;
            s.skipWs();
        } else if (s.startsWith("<=")) {
            s.pos += 2;
            subset = true;
            s.skipWs();
        }
        const path = this.label("a link path");
        s.skipWs();
        s.expect("->", "'->' in link rule");
        s.skipWs();
        const target = s.peek() === '"' ? s.quoted() : this.label("a link target path");
        s.endOfRule();
        return {
            kind: "link",
            ...qualifiers(p),
            ...(p.owner ? { owner: true } : {}),
            ...(subset ? { subset: true } : {}),
            path,
            target,
        };
    }

    capability(p: Prefix): CapabilityRule {
        const s = this.s;
        s.pos += "capability".length;
        const caps: string[] = [];
        for (;;) {
            s.skipWs();
            if (s.peek() === ",") {
                s.pos++;
                break;
            }
            const w = s.word();
            if (!w) throw s.error("a capability name or ','");
            s.pos += w.length;
            caps.push(w);
        }
        return { kind: "capability", ...qualifiers(p), capabilities: canon(caps) };
    }

    network(p: Prefix): NetworkRule {
        const s = this.s;
        s.pos += "network".length;
        const words: string[] = [];
        for (;;) {
            s.skipWs();
            if (s.peek() === ",") {
                s.pos++;
                break;
            }
            if (s.peek() === "(" || /^[A-Za-z_]+\s*=/.test(s.text.slice(s.pos, s.pos + 30)))
                throw new Untyped();
            const w = s.run(isIdChar);
            if (!w) throw s.error("a network domain, type or protocol, or ','");
            words.push(w);
        }
        if (words.length > 3) throw new Untyped();
        const r: { domain?: string; type?: string; protocol?: string } = {};
        for (const w of words) {
            if (
                r.domain === undefined &&
                r.type === undefined &&
                r.protocol === undefined &&
                NETWORK_DOMAINS.has(w)
            )
                r.domain = w;
            else if (r.type === undefined && r.protocol === undefined && NETWORK_TYPES.has(w))
                r.type = w;
            else if (r.protocol === undefined) r.protocol = w;
            else throw new Untyped();
        }
        return { kind: "network", ...qualifiers(p), ...r };
    }

    // --- mount / ipc modes ------------------------------------------------------------------

    /** `(a, b c)` list in LIST_VAL_MODE; returns the values. */
    parenList(what: string): string[] {
        const s = this.s;
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
    condList(): MountCondition[] {
        const s = this.s;
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
                out.push({ name, op: "=", values: this.parenList(`${name}=(…)`) });
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

    /**
     * Generic reader for the MOUNT/DBUS/SIGNAL/PTRACE/UNIX lexer modes: optional permissions, then
     * conditions, condition lists and plain ids, `->`, up to the ending `,`.
     */
    modeTokens(allowPerms: boolean): ModeTokens {
        const s = this.s;
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
                    t.perms = this.parenList("the access list");
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
                    t.lists.push({ name: w, conds: this.condList() });
                    continue;
                }
                if (/^[ \t]*=/.test(rest)) {
                    s.pos += w.length;
                    s.skipBlanks();
                    s.pos++; // =
                    s.skipBlanks();
                    if (t.arrowAt >= 0) t.condsAfterArrow = true;
                    if (s.peek() === "(") {
                        t.conds.push({ name: w, op: "=", values: this.parenList(`${w}=(…)`) });
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
                    t.conds.push({ name: w, op: "in", values: this.parenList(`${w} in (…)`) });
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

    mountLike(p: Prefix, w: string): MountRule | RemountRule | UmountRule | PivotRootRule {
        const s = this.s;
        s.pos += w.length;
        const t = this.modeTokens(false);
        if (t.lists.length) throw new Untyped();
        const q = qualifiers(p);
        if (w === "pivot_root") {
            if (t.arrowAt >= 0 && t.arrowAt !== t.ids.length - 1) throw new Untyped();
            let oldroot: string | undefined;
            for (const c of t.conds) {
                if (
                    c.name !== "oldroot" ||
                    c.op !== "=" ||
                    c.values.length !== 1 ||
                    oldroot !== undefined
                )
                    throw new Untyped();
                oldroot = c.values[0];
            }
            const before = t.arrowAt >= 0 ? t.ids.slice(0, t.arrowAt) : t.ids;
            if (before.length > 1) throw new Untyped();
            const r: PivotRootRule = {
                kind: "pivot_root",
                ...q,
                ...(oldroot !== undefined ? { oldroot } : {}),
                ...(before.length ? { newroot: before[0] } : {}),
                ...(t.arrowAt >= 0 ? { target: t.ids[t.arrowAt] } : {}),
            };
            return r;
        }
        for (const c of t.conds) if (c.values.length === 0) throw new Untyped();
        if (w === "mount") {
            // mount [conds] [source] [-> [conds] mountpoint]; conditions after '->' are not typed
            if (t.arrowAt >= 0) {
                if (t.ids.length - t.arrowAt !== 1) throw new Untyped();
                if (t.condsAfterArrow) throw new Untyped();
            }
            const before = t.arrowAt >= 0 ? t.ids.slice(0, t.arrowAt) : t.ids;
            if (before.length > 1) throw new Untyped();
            const r: MountRule = {
                kind: "mount",
                ...q,
                conditions: t.conds,
                ...(before.length ? { source: before[0] } : {}),
                ...(t.arrowAt >= 0 ? { target: t.ids[t.arrowAt] } : {}),
            };
            return r;
        }
        if (t.arrowAt >= 0 || t.ids.length > 1) throw new Untyped();
        const kind = w === "remount" ? "remount" : "umount";
        return {
            kind,
            ...q,
            conditions: t.conds,
            ...(t.ids.length ? { target: t.ids[0] } : {}),
        } as RemountRule | UmountRule;
    }

    ipc(p: Prefix, w: string): SignalRule | PtraceRule | UnixRule | DbusRule {
        const s = this.s;
        s.pos += w.length;
        const t = this.modeTokens(true);
        if (t.ids.length || t.arrowAt >= 0) throw new Untyped();
        const q = qualifiers(p);
        const access = canon(t.perms ?? []);
        const single = (name: string): string | undefined => {
            const cs = t.conds.filter((c) => c.name === name);
            if (cs.length === 0) return undefined;
            if (cs.length > 1 || cs[0].op !== "=" || cs[0].values.length !== 1) throw new Untyped();
            return cs[0].values[0];
        };
        const only = (names: string[]): void => {
            for (const c of t.conds) if (!names.includes(c.name)) throw new Untyped();
        };
        const peerList = (names: string[]): Record<string, string> | undefined => {
            if (t.lists.length === 0) return undefined;
            if (t.lists.length > 1 || t.lists[0].name !== "peer") throw new Untyped();
            const out: Record<string, string> = {};
            for (const c of t.lists[0].conds) {
                if (!names.includes(c.name) || c.values.length !== 1 || c.name in out)
                    throw new Untyped();
                out[c.name] = c.values[0];
            }
            return out;
        };
        const opt = (k: string, v: string | undefined): Record<string, string> =>
            v === undefined ? {} : { [k]: v };
        if (w === "signal") {
            only(["set", "peer"]);
            if (t.lists.length) throw new Untyped();
            const signals: string[] = [];
            for (const c of t.conds)
                if (c.name === "set") {
                    if (c.op !== "=") throw new Untyped();
                    signals.push(...c.values);
                }
            return {
                kind: "signal",
                ...q,
                access,
                signals: canon(signals),
                ...opt("peer", single("peer")),
            };
        }
        if (w === "ptrace") {
            only(["peer"]);
            if (t.lists.length) throw new Untyped();
            return { kind: "ptrace", ...q, access, ...opt("peer", single("peer")) };
        }
        if (w === "unix") {
            const keys = ["type", "protocol", "addr", "label", "attr", "opt"];
            only(keys);
            const fields: Record<string, string> = {};
            for (const k of keys) Object.assign(fields, opt(k, single(k)));
            const peer = peerList(["label", "addr"]);
            return { kind: "unix", ...q, access, ...fields, ...(peer ? { peer } : {}) } as UnixRule;
        }
        const keys = ["bus", "path", "interface", "member", "name"];
        only(keys);
        const fields: Record<string, string> = {};
        for (const k of keys) Object.assign(fields, opt(k, single(k)));
        const peer = peerList(["name", "label"]);
        return { kind: "dbus", ...q, access, ...fields, ...(peer ? { peer } : {}) } as DbusRule;
    }

    changeProfile(p: Prefix): ChangeProfileRule {
        const s = this.s;
        s.pos += "change_profile".length;
        s.skipWs();
        let execMode: "safe" | "unsafe" | undefined;
        if (s.atWord("safe") || s.atWord("unsafe")) {
            execMode = s.atWord("safe") ? "safe" : "unsafe";
            s.pos += execMode.length;
            s.skipWs();
        }
        let exec: string | undefined;
        if (s.peek() !== "," && !s.startsWith("->")) exec = s.id("an exec path, '->' or ','");
        const target = this.optArrowTarget();
        s.endOfRule();
        return {
            kind: "change_profile",
            ...qualifiers(p),
            ...(execMode ? { execMode } : {}),
            ...(exec !== undefined ? { exec } : {}),
            ...(target !== undefined ? { target } : {}),
        };
    }
}

interface ModeTokens {
    perms: string[] | undefined;
    conds: MountCondition[];
    lists: { name: string; conds: MountCondition[] }[];
    ids: string[];
    /** index in `ids` of the first id after `->`, or -1. */
    arrowAt: number;
    condsAfterArrow?: boolean;
}

/** Rule keywords of AppArmor 4.x that 3.x does not have; such rules are kept as raw text. */
const FOUR_X_RULES = new Set(["userns", "mqueue", "io_uring"]);

/** Bare permission words the IPC lexer modes return as tokens (not ids). */
const PERM_WORDS = new Set([
    "send", "receive", "bind", "eavesdrop", "read", "write", "trace", "tracedby", "readby",
    "create", "listen", "accept", "connect", "getattr", "setattr", "getopt", "setopt", "shutdown",
    "r", "w", "rw", "wr",
]); // prettier-ignore

/**
 * Parse AppArmor policy text (a whole file: preamble, profiles, comments) into the typed model.
 * Throws {@link ProfileParseError} (with line and column) on syntax errors.
 */
export function parseProfile(text: string): PolicyDocument {
    return new Parser(text).document();
}

/**
 * Parse a sequence of body items (rules, includes, comments, hats) as they would appear inside a
 * profile body, e.g. the text of a raw rule. Throws {@link ProfileParseError} on syntax errors.
 */
export function parseRules(text: string): ProfileItem[] {
    const p = new Parser(text);
    const items: ProfileItem[] = [];
    for (;;) {
        p.s.skipWs();
        if (p.s.eof()) return items;
        items.push(p.bodyItem());
    }
}

/**
 * Parse a single rule (or include/comment) as it would appear inside a profile body, e.g.
 * `deny /tmp/a/** rwl,`. Throws {@link ProfileParseError} on syntax errors or trailing text.
 */
export function parseRule(text: string): ProfileItem {
    const p = new Parser(text);
    p.s.skipWs();
    const item = p.bodyItem();
    p.s.skipWs();
    if (!p.s.eof()) throw p.s.error("end of input after the rule");
    return item;
}
