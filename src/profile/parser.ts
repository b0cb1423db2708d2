/**
 * Parser for AppArmor 3.x and 4.1 policy text → {@link PolicyDocument}.
 *
 * A hand-written recursive-descent parser whose token rules follow `apparmor_parser`'s own lexer
 * (parser_lex.l): which characters belong to an identifier depends on the rule being read (file
 * paths, mount/dbus/signal/ptrace/unix conditions, lists in parentheses, variable values, includes).
 * Constructs the model does not type (conditionals, `audit {}` blocks, the `prompt`
 * mode, 4.x conditions the kinds do not type) are kept as
 * {@link RawRule}s with their exact text, so parsing never loses policy.
 *
 * This module reads the document structure (preamble, profiles and hats, bodies, includes, variables,
 * conditionals, qualifiers); each rule is read by its kind in `rules/` (found by keyword through the
 * registry), with the shared {@link Scanner} and token readers of `scanner.ts`.
 *
 * Errors are thrown as {@link ProfileParseError} with a 1-based line and column and what was expected.
 */

import type {
    Abi,
    Alias,
    Comment,
    Include,
    PolicyDocument,
    PolicyItem,
    Profile,
    ProfileItem,
    RawRule,
    VariableAssignment,
} from "./model";
import { BARE_KEYWORDS, DEFAULT_KIND, QUALIFIED_KEYWORDS } from "./rules";
import {
    canon,
    condList,
    isIdChar,
    isWs,
    parenList,
    ProfileParseError,
    rawText,
    Scanner,
    Untyped,
    type Prefix,
} from "./scanner";

export { ProfileParseError };

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
                flags = parenList(this.s, "profile flags");
                continue;
            }
            if (c === "(") {
                if (flags) throw s.error("only one flags=(…)");
                flags = parenList(this.s, "profile flags");
                continue;
            }
            if (s.atWord("xattrs") && /^xattrs\s*=\s*\(/.test(s.text.slice(s.pos, s.pos + 40))) {
                s.pos += 6;
                s.skipWs();
                s.expect("=");
                s.skipWs();
                xattrs = condList(this.s).map((cd) => {
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
        const bare = BARE_KEYWORDS.get(s.word());
        if (bare) return bare.parse(s, {}, s.word());
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
        // `priority=N` (AppArmor 4.1) comes first; the lexer reads `priority` followed by `=` as it
        if (s.atWord("priority") && /^priority\s*=/.test(s.text.slice(s.pos, s.pos + 40))) {
            s.pos += "priority".length;
            s.skipWs();
            s.expect("=");
            s.skipWs();
            const m = /^[+-]?[0-9]+/.exec(s.text.slice(s.pos, s.pos + 40));
            if (!m || !isWs(s.peek(m[0].length))) throw s.error("an integer after priority=");
            s.pos += m[0].length;
            p.priority = Number(m[0]);
            s.skipWs();
        }
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
        // AppArmor 4.1's `prompt` rule mode (needs a prompting daemon): kept raw
        if (w === "prompt" && !p.deny && !p.allow) throw new Untyped();
        if (STATEMENT_WORDS.has(w)) throw s.error("a rule after qualifiers");
        const keyed = QUALIFIED_KEYWORDS.get(w);
        const kind = keyed && (!keyed.claims || keyed.claims(s)) ? keyed : undefined;
        if (!kind) {
            if (p.priority !== undefined && DEFAULT_KIND.noPriority) throw new Untyped();
            return DEFAULT_KIND.parse(s, p, "");
        }
        // qualifiers AppArmor rejects on this kind: kept raw for the host's parser to report
        if (p.owner && !kind.owner) throw new Untyped();
        if (p.priority !== undefined && kind.noPriority) throw new Untyped();
        return kind.parse(s, p, w);
    }
}

/** Statement keywords that cannot follow rule qualifiers. */
const STATEMENT_WORDS = new Set(["set", "if", "include", "profile", "hat"]);

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
