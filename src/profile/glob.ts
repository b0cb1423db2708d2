/**
 * AppArmor path globs as JavaScript regular expressions, for asking "does this rule cover that
 * path?" (the policy pack's write checks; anything else that needs to match paths the kernel's way).
 *
 * Semantics follow apparmor.d(5) and the parser's conversion to its own regex (parser_regex.c):
 * `*` any characters but `/`, `**` any characters including `/`, `?` one character but `/`, `[…]`
 * and `[^…]` character classes, `{a,b}` alternation (nested, may hold globs), `\` escapes the next
 * character. A `*` or `**` right after a `/` must match at least one character, so `/dir/*` and
 * `/dir/**` do not match `/dir/` itself. Variables (`@{NAME}`) expand to each of their values
 * (from the policy's own assignments, falling back to `<tunables/global>`'s usual ones); runs of `/`
 * collapse to one, as the parser does after expansion. Pure: no I/O.
 */
import type { PolicyDocument, ProfileItem } from "./model";

/** Values of variables: name (without `@{` `}`) → alternatives. */
export type GlobVariables = Readonly<Record<string, readonly string[]>>;

/**
 * The variables `<tunables/global>` defines on Debian/Ubuntu (AppArmor 3.x) that container
 * profiles use: `@{PROC}`, `@{sys}`, `@{run}`, `@{HOME}`, `@{HOMEDIRS}`, `@{pid}`, `@{pids}`,
 * `@{tid}`, `@{uid}`, `@{multiarch}`. Numeric ones are approximated by digit globs.
 */
export const TUNABLE_VARIABLES: GlobVariables = {
    PROC: ["/proc/"],
    sys: ["/sys/"],
    run: ["/run/", "/var/run/"],
    HOMEDIRS: ["/home/"],
    HOME: ["@{HOMEDIRS}/*/", "/root/"],
    pid: ["{[1-9],[1-9][0-9]*}"],
    pids: ["@{pid}"],
    tid: ["@{pid}"],
    uid: ["{[0-9],[1-9][0-9]*}"],
    multiarch: ["*-linux-gnu*"],
};

/** At most this many expansions of one pattern's variables (a pathological policy stays cheap). */
const MAX_EXPANSIONS = 256;

/**
 * The variables a policy document assigns (`@{X} = a b`, `@{X} += c`, in order), on top of
 * {@link TUNABLE_VARIABLES}: an assignment with `=` replaces the tunable's values.
 */
export function documentVariables(doc: PolicyDocument): GlobVariables {
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(TUNABLE_VARIABLES)) out[k] = [...v];
    const visit = (items: readonly (PolicyDocument["items"][number] | ProfileItem)[]): void => {
        for (const item of items) {
            if (item.kind === "variable")
                out[item.name] = [
                    ...(item.op === "+=" ? (out[item.name] ?? []) : []),
                    ...item.values,
                ];
            else if (item.kind === "profile") visit(item.rules);
        }
    };
    visit(doc.items);
    return out;
}

/**
 * Every expansion of the variables in `pattern` (recursively, at most {@link MAX_EXPANSIONS}),
 * with runs of `/` collapsed. An unknown variable expands to `**` (it could be anything), so
 * a check built on matching stays on the safe side.
 */
export function expandVariables(
    pattern: string,
    vars: GlobVariables = TUNABLE_VARIABLES,
): string[] {
    const out: string[] = [];
    const work: { text: string; depth: number }[] = [{ text: pattern, depth: 0 }];
    while (work.length > 0 && out.length < MAX_EXPANSIONS) {
        const { text, depth } = work.pop()!;
        const at = findVariable(text);
        if (at === undefined || depth > 8) {
            out.push(collapseSlashes(at === undefined ? text : text.replace(/@\{[^}]*\}/g, "**")));
            continue;
        }
        const values = vars[at.name] ?? ["**"];
        for (let i = values.length - 1; i >= 0; i--)
            work.push({
                text: text.slice(0, at.start) + values[i] + text.slice(at.end),
                depth: depth + 1,
            });
    }
    return [...new Set(out)];
}

/** The first unescaped `@{NAME}` in a pattern. */
function findVariable(text: string): { start: number; end: number; name: string } | undefined {
    for (let i = 0; i < text.length; i++) {
        if (text[i] === "\\") {
            i++;
            continue;
        }
        if (text[i] === "@" && text[i + 1] === "{") {
            const close = text.indexOf("}", i + 2);
            if (close < 0) return undefined;
            return { start: i, end: close + 1, name: text.slice(i + 2, close) };
        }
    }
    return undefined;
}

/** Collapses runs of `/` outside character classes (after variable expansion, as the parser does). */
function collapseSlashes(text: string): string {
    let out = "";
    let inClass = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "\\" && i + 1 < text.length) {
            out += c + text[++i];
            continue;
        }
        if (c === "[") inClass = true;
        else if (c === "]") inClass = false;
        if (c === "/" && !inClass && out.endsWith("/") && !out.endsWith("\\/")) continue;
        out += c;
    }
    return out;
}

const REGEX_SPECIAL = new Set([..."\\^$.|?*+()[]{}/-"]);
const esc = (c: string): string => (REGEX_SPECIAL.has(c) ? `\\${c}` : c);

/**
 * One variable-free AppArmor glob as the source of an anchored JavaScript regex (see the module
 * comment for the semantics). Unbalanced `{`/`[` are taken literally.
 */
export function globSource(glob: string): string {
    let out = "";
    let depth = 0;
    let prevSlash = false;
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        const afterSlash = prevSlash;
        prevSlash = false;
        if (c === "\\" && i + 1 < glob.length) {
            const next = glob[++i];
            out += esc(next);
            prevSlash = next === "/";
            continue;
        }
        if (c === "*") {
            let n = 1;
            while (glob[i + 1] === "*") {
                n++;
                i++;
            }
            const any = n >= 2 ? "[^\\0]*" : "[^/\\0]*";
            out += afterSlash ? `[^/\\0]${any}` : any;
            continue;
        }
        if (c === "?") {
            out += "[^/\\0]";
            continue;
        }
        if (c === "[") {
            const close = classEnd(glob, i);
            if (close < 0) {
                out += esc(c);
                continue;
            }
            let body = glob.slice(i + 1, close);
            const negated = body.startsWith("^") || body.startsWith("!");
            if (negated) body = body.slice(1);
            let cls = "";
            for (let j = 0; j < body.length; j++) {
                const d = body[j];
                if (d === "\\" && j + 1 < body.length) cls += esc(body[++j]);
                else if (d === "-" && j > 0 && j < body.length - 1) cls += "-";
                else cls += esc(d);
            }
            out += negated ? `[^${cls}\\0]` : `[${cls}]`;
            i = close;
            continue;
        }
        if (c === "{" && braceEnd(glob, i) >= 0) {
            out += "(?:";
            depth++;
            continue;
        }
        if (c === "," && depth > 0) {
            out += "|";
            continue;
        }
        if (c === "}" && depth > 0) {
            out += ")";
            depth--;
            continue;
        }
        out += esc(c);
        prevSlash = c === "/";
    }
    return out;
}

/** Index of the `]` closing the class opened at `start` (a `]` first in the class is literal). */
function classEnd(glob: string, start: number): number {
    let j = start + 1;
    if (glob[j] === "^" || glob[j] === "!") j++;
    if (glob[j] === "]") j++;
    for (; j < glob.length; j++) {
        if (glob[j] === "\\") j++;
        else if (glob[j] === "]") return j;
    }
    return -1;
}

/** Index of the `}` closing the alternation opened at `start`, or -1. */
function braceEnd(glob: string, start: number): number {
    let depth = 0;
    for (let j = start; j < glob.length; j++) {
        if (glob[j] === "\\") j++;
        else if (glob[j] === "[") {
            const close = classEnd(glob, j);
            if (close > 0) j = close;
        } else if (glob[j] === "{") depth++;
        else if (glob[j] === "}" && --depth === 0) return j;
    }
    return -1;
}

/** A compiled AppArmor glob: all expansions of its variables. */
export interface CompiledGlob {
    /** The pattern as written. */
    readonly pattern: string;
    /** The variable-free expansions. */
    readonly expansions: readonly string[];
    /** Whether the glob matches the whole of `path`. */
    matches(path: string): boolean;
    /** The literal text each expansion starts with (up to its first glob character). */
    literalPrefixes(): string[];
}

/** Compiles an AppArmor glob (with variables from `vars`) for repeated matching. */
export function compileGlob(
    pattern: string,
    vars: GlobVariables = TUNABLE_VARIABLES,
): CompiledGlob {
    const expansions = expandVariables(pattern, vars);
    const res = expansions.map((e) => new RegExp(`^(?:${globSource(e)})$`, "s"));
    return {
        pattern,
        expansions,
        matches: (path) => res.some((re) => re.test(path)),
        literalPrefixes: () => expansions.map(literalPrefix),
    };
}

/** Whether AppArmor glob `pattern` matches the whole of `path` (one-off; see {@link compileGlob}). */
export function globMatches(
    pattern: string,
    path: string,
    vars: GlobVariables = TUNABLE_VARIABLES,
): boolean {
    return compileGlob(pattern, vars).matches(path);
}

/** The literal start of a variable-free glob (escapes resolved), up to its first glob character. */
export function literalPrefix(glob: string): string {
    let out = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "\\" && i + 1 < glob.length) {
            out += glob[++i];
            continue;
        }
        if (c === "*" || c === "?" || c === "[" || c === "{" || c === "@") return out;
        out += c;
    }
    return out;
}
