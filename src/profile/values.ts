/**
 * Single-value validators of the policy language, shared by every rule kind: names, paths, labels,
 * tokens, flags, variable names, comments, raw text and include paths (each returns a
 * {@link ValueProblem}: undefined when valid). The whole-model walk is `validate.ts`; each rule kind
 * checks its own fields in `rules/*.ts`.
 */
import type { ValidationProblem, ValueProblem } from "./check";
import { knownFlagProblem, labelShapeProblem, PROFILE_FLAGS } from "./semantics";

/** Longest accepted profile name, in UTF-8 bytes (hosts store profiles in files named after them). */
export const MAX_NAME_BYTES = 200;
/** Longest accepted path or glob, in UTF-8 bytes (PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

// ---------------------------------------------------------------------------------------------------
// Character-level checks
// ---------------------------------------------------------------------------------------------------

/**
 * Control characters (C0, DEL, C1), and invisible or direction-changing Unicode (zero-width, bidi
 * overrides/isolates, line/paragraph separators, BOM), which would make text read differently than it
 * looks. Tab is handled by callers (allowed only in raw text and comments).
 */
const INVISIBLE =
    /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;

export function describeChar(ch: string): string {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0) return "a NUL byte";
    if (ch === "\n") return "a newline";
    if (ch === "\r") return "a carriage return";
    if (ch === "\t") return "a tab";
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `control character U+${hex(cp)}`;
    if (ch.trim() === "") return `whitespace U+${hex(cp)}`;
    // invisible and direction-changing characters are named, never printed
    if (INVISIBLE.test(ch)) return `invisible character U+${hex(cp)}`;
    return cp < 0x7f ? JSON.stringify(ch) : `${JSON.stringify(ch)} (U+${hex(cp)})`;
}

function hex(cp: number): string {
    return cp.toString(16).toUpperCase().padStart(4, "0");
}

function hasLoneSurrogate(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff) {
            const n = s.charCodeAt(i + 1);
            if (!(n >= 0xdc00 && n <= 0xdfff)) return true;
            i++;
        } else if (c >= 0xdc00 && c <= 0xdfff) {
            return true;
        }
    }
    return false;
}

export function invisibleProblem(value: string, what: string, allowTab = false): ValueProblem {
    const m = INVISIBLE.exec(allowTab ? value.replace(/\t/g, " ") : value);
    if (m) {
        return {
            message: `${what} contains ${describeChar(m[0])}`,
            fix: `remove ${describeChar(m[0])} from the ${what}`,
        };
    }
    if (hasLoneSurrogate(value)) {
        return { message: `${what} is not valid Unicode`, fix: `use valid UTF-16 text` };
    }
    return undefined;
}

function byteLength(s: string): number {
    return Buffer.byteLength(s, "utf8");
}

/**
 * Escapes and brackets in an AppArmor string value: a `"` must be escaped (`\"`), a value must not end
 * in a backslash (a lone one escapes what follows; an escaped one `\\` still makes the closing quote
 * or the space after the value read as escaped), `{}` / `[]` must be balanced, every `{ }` group needs
 * two alternatives or more (`{a}` and `{}` are refused), and a `[ ]` class must hold something and not
 * end in `-` (they are glob syntax).
 */
export function globProblem(value: string, what: string, globs: boolean): ValueProblem {
    // per open `{`: whether a `,` was seen at its level
    const braces: boolean[] = [];
    let bracket = -1; // index of the open `[`, -1 outside a class
    for (let i = 0; i < value.length; i++) {
        const ch = value[i];
        if (ch === "\\") {
            if (i === value.length - 1) {
                return {
                    message: `${what} ends with a lone backslash`,
                    fix: "remove the trailing \\ or escape it as \\\\",
                };
            }
            if (i + 2 === value.length && value[i + 1] === "\\") {
                return {
                    message: `${what} ends with a backslash (apparmor_parser would read it as escaping what follows the value)`,
                    fix: "do not end a value with \\\\ (match the character with ? instead)",
                };
            }
            i++;
            continue;
        }
        if (ch === '"') {
            return {
                message: `${what} contains a double quote`,
                fix: 'remove the " (AppArmor strings cannot hold it unescaped)',
            };
        }
        if (!globs) continue;
        if (bracket < 0 && ch === "@" && value[i + 1] === "{") {
            // a variable reference @{NAME} is no alternation (variableRefProblem checks its form)
            const close = value.indexOf("}", i + 2);
            if (close > 0 && !/[{,\\]/.test(value.slice(i + 2, close))) {
                i = close;
                continue;
            }
        }
        if (bracket >= 0) {
            if (ch === "]") {
                const body = value.slice(bracket + 1, i).replace(/^\^/, "");
                if (body === "") {
                    return {
                        message: `${what} has an empty character class`,
                        fix: "put characters between [ and ] (a literal ] is written \\])",
                    };
                }
                if (body.endsWith("-") && !body.endsWith("\\-")) {
                    return {
                        message: `${what} has a character class ending in "-"`,
                        fix: "end the range (e.g. [a-z]) or escape the dash as \\-",
                    };
                }
                bracket = -1;
            }
            continue;
        }
        if (ch === "[") bracket = i;
        else if (ch === "{") braces.push(false);
        else if (ch === "}") {
            const comma = braces.pop();
            if (comma === undefined) {
                return {
                    message: `${what} has a "}" without a matching "{"`,
                    fix: "balance the { } alternation or escape the brace as \\}",
                };
            }
            if (!comma) {
                return {
                    message: `${what} has a { } group with fewer than two alternatives`,
                    fix: "separate the alternatives with , (e.g. {a,b} or {,a}), or escape the braces as \\{ \\}",
                };
            }
        } else if (ch === ",") {
            if (braces.length === 0) {
                return {
                    message: `${what} has a "," outside a { } alternation`,
                    fix: "remove the comma, or escape it as \\, if it is part of a file name",
                };
            }
            braces[braces.length - 1] = true;
        }
    }
    if (bracket >= 0) {
        return {
            message: `${what} has a "[" without a matching "]"`,
            fix: "close the [ ] character class or escape the bracket as \\[",
        };
    }
    if (braces.length > 0) {
        return {
            message: `${what} has a "{" without a matching "}"`,
            fix: "close the { } alternation or escape the brace as \\{",
        };
    }
    return undefined;
}

export function variableRefProblem(value: string, what: string): ValueProblem {
    const re = /@\{([^}]*)\}?/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null) {
        if (!m[0].endsWith("}") || !/^[A-Za-z][A-Za-z0-9_]*$/.test(m[1])) {
            return {
                message: `${what} has a malformed variable reference ${JSON.stringify(m[0])}`,
                fix: "write variables as @{NAME}: a letter, then letters, digits and _",
            };
        }
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Exported single-value validators
// ---------------------------------------------------------------------------------------------------

const STRICT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const PATH_NAME_CHARS = /^[A-Za-z0-9_.+\-/@{}*?[\]^,~:=]+$/;
/** Label patterns may also use `&` (stacking, e.g. `/usr/bin/man//&man_groff`). */
const LABEL_CHARS = /^[A-Za-z0-9_.+\-/@{}*?[\]^,~:=&]+$/;

/**
 * A managed profile name: what `docker run --security-opt apparmor=NAME` refers to and what hosts use
 * as a file name. Letters, digits, `_`, `.`, `+`, `-`; starts with a letter, digit or `_`; at most
 * {@link MAX_NAME_BYTES} bytes; not `unconfined`. With `allowPath`, names in AppArmor's path form are
 * also accepted (`/usr/bin/foo`, `/usr/lib/firefox{,-[0-9]*}/firefox`, `@{exec_path}`): they start with
 * `/` or `@{`, hold no whitespace, quotes, `#`, `//`, `$`, backtick or shell metacharacters, and have
 * balanced globs.
 */
export function validateProfileName(
    name: string,
    opts: { allowPath?: boolean } = {},
): ValueProblem {
    if (typeof name !== "string" || name === "") {
        return { message: "profile name is empty", fix: "give the profile a name, e.g. my-app" };
    }
    const inv = invisibleProblem(name, "profile name");
    if (inv) return { message: inv.message, fix: "use only letters, digits, _ . + -" };
    if (byteLength(name) > MAX_NAME_BYTES) {
        return {
            message: `profile name is ${byteLength(name)} bytes long (at most ${MAX_NAME_BYTES})`,
            fix: "use a shorter name",
        };
    }
    if (name === "unconfined") {
        return {
            message: 'profile name "unconfined" is reserved by AppArmor',
            fix: "choose another name",
        };
    }
    if (STRICT_NAME.test(name)) return undefined;
    const pathLike = name.startsWith("/") || name.startsWith("@{");
    if (opts.allowPath && pathLike) {
        const bad = [...name].find((c) => !PATH_NAME_CHARS.test(c));
        if (bad !== undefined) {
            return {
                message: `profile name contains ${describeChar(bad)}`,
                fix: "use only letters, digits, _ . + - / and AppArmor globs in a path-style name",
            };
        }
        if (name.includes("//")) {
            return {
                message: 'profile name contains "//" (AppArmor\'s parent//child separator)',
                fix: "remove the doubled slash",
            };
        }
        return globProblem(name, "profile name", true) ?? variableRefProblem(name, "profile name");
    }
    const bad = [...name].find((c) => !/[A-Za-z0-9_.+-]/.test(c));
    if (bad === undefined) {
        return {
            message: `profile name must start with a letter, digit or _ (not ${JSON.stringify(name[0])})`,
            fix: "start the name with a letter, e.g. my-app",
        };
    }
    return {
        message: `profile name contains ${describeChar(bad)}`,
        fix: opts.allowPath
            ? "use only letters, digits, _ . + - (or a path-style name starting with /)"
            : "use only letters, digits, _ . + -",
    };
}

/**
 * A path or glob in a rule: absolute (`/…`) or starting with a variable (`@{HOME}/…`); printable, no
 * bare `"`, balanced globs, well-formed variables. (apparmor_parser reads no path starting with an
 * alternation: write `/{a,b}/x`, not `{/a,/b}/x`.)
 */
export function validatePath(path: string, what = "path"): ValueProblem {
    if (typeof path !== "string" || path === "") {
        return {
            message: `${what} is empty`,
            fix: "give an absolute path such as /var/lib/app/**",
        };
    }
    const inv = invisibleProblem(path, what);
    if (inv) return inv;
    if (byteLength(path) > MAX_PATH_BYTES) {
        return {
            message: `${what} is ${byteLength(path)} bytes long (at most ${MAX_PATH_BYTES})`,
            fix: "shorten it, e.g. with a ** glob",
        };
    }
    if (path.startsWith("{")) {
        return {
            message: `${what} ${JSON.stringify(path)} starts with an alternation, which apparmor_parser cannot read`,
            fix: "start it with / (write {/a,/b}/x as /{a,b}/x), or write one rule per path",
        };
    }
    if (!(path.startsWith("/") || path.startsWith("@{"))) {
        return {
            message: `${what} ${JSON.stringify(path)} is relative`,
            fix: "write an absolute path (/…) or start it with a variable such as @{HOME}/",
        };
    }
    return globProblem(path, what, true) ?? variableRefProblem(path, what);
}

/**
 * A peer or transition label (`peer=`, `-> target`, `change_profile -> …`): a profile name or an
 * AppArmor label pattern (globs, `//` children, `:ns:`), without whitespace, quotes or shell
 * metacharacters.
 */
export function validateLabel(label: string, what = "label"): ValueProblem {
    if (typeof label !== "string" || label === "") {
        return { message: `${what} is empty`, fix: "name a profile, e.g. unconfined or my-app" };
    }
    const inv = invisibleProblem(label, what);
    if (inv) return inv;
    if (byteLength(label) > MAX_PATH_BYTES) {
        return { message: `${what} is too long`, fix: "use a shorter label" };
    }
    const bad = [...label].find((c) => !LABEL_CHARS.test(c));
    if (bad !== undefined) {
        return {
            message: `${what} contains ${describeChar(bad)}`,
            fix: "use only letters, digits, _ . + - / : & and AppArmor globs",
        };
    }
    return (
        labelShapeProblem(label, what) ??
        globProblem(label, what, true) ??
        variableRefProblem(label, what)
    );
}

/** A plain token such as a mount option, fstype, dbus interface or unix attribute. */
export function validateToken(value: string, what = "value"): ValueProblem {
    if (typeof value !== "string" || value === "") {
        return { message: `${what} is empty`, fix: `give a ${what} or leave the field out` };
    }
    const inv = invisibleProblem(value, what);
    if (inv) return inv;
    if (byteLength(value) > MAX_PATH_BYTES) {
        return { message: `${what} is too long`, fix: `shorten the ${what}` };
    }
    const bad = [...value].find((c) => !/[A-Za-z0-9_.+\-/@{}*?[\]^~:=,]/.test(c));
    if (bad !== undefined) {
        return {
            message: `${what} contains ${describeChar(bad)}`,
            fix: "use only letters, digits, _ . + - / : = @ and AppArmor globs",
        };
    }
    return globProblem(value, what, true);
}

/**
 * A profile flag apparmor_parser knows ({@link PROFILE_FLAGS}: complain, audit, attach_disconnected,
 * mediate_deleted, …; AppArmor 4 flags such as `error=EACCES` are accepted too and checked by the
 * host's parser at preview).
 */
export function validateFlag(flag: string): ValueProblem {
    if (typeof flag === "string" && knownFlagProblem(flag) === undefined) return undefined;
    return {
        message: `invalid profile flag ${JSON.stringify(flag)}${flag === "debug" ? " (no longer valid)" : ""}`,
        fix: `use ${PROFILE_FLAGS.join(", ")} (AppArmor 4 also: prompt, interruptible, error=EACCES, kill.signal=…, attach_disconnected.path=/…)`,
    };
}

/** A variable name without `@{}`: a letter, then letters, digits and `_`. */
export function validateVariableName(name: string): ValueProblem {
    if (typeof name === "string" && /^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return undefined;
    return {
        message: `invalid variable name ${JSON.stringify(name)}`,
        fix: "start with a letter, then letters, digits and _ (written without @{ })",
    };
}

/**
 * A comment's text: one line, no control characters, and not starting with `include` (`#include` is
 * an include statement, not a comment).
 */
export function validateCommentText(text: string): ValueProblem {
    if (typeof text !== "string") return { message: "comment is not text", fix: "use a string" };
    if (/^include/.test(text))
        return {
            message: `comment ${JSON.stringify(text)} would be read as an #include statement`,
            fix: "start the comment with a space (# include …)",
        };
    return invisibleProblem(text, "comment", true);
}

/**
 * Raw policy text (the escape hatch): printable (tabs and newlines allowed), quotes closed, and its
 * `{}`/`()` balanced so it cannot close the enclosing profile or open a new one; it must end a rule
 * (with `,`) or a block (with `}`) unless it is only comments.
 */
export function validateRawText(text: string): ValueProblem {
    if (typeof text !== "string" || text.trim() === "") {
        return {
            message: "raw rule is empty",
            fix: "remove it, or write a policy rule ending in ,",
        };
    }
    const inv = invisibleProblem(text.replace(/\n/g, " "), "raw rule", true);
    if (inv) return inv;
    let depth = 0;
    let parens = 0;
    let last = "";
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        const atToken = i === 0 || /\s/.test(text[i - 1]);
        if (atToken && (text.startsWith("#include", i) || text.startsWith("include", i))) {
            // an include statement ends at its closing > or " (no comma)
            const inc = /^#?include(?:\s+if\s+exists)?\s*(?:<[^>\n]*>|"[^"\n]*")/.exec(
                text.slice(i),
            );
            if (!inc) {
                return { message: "raw rule has a malformed include", fix: "write include <path>" };
            }
            i += inc[0].length - 1;
            last = ",";
            continue;
        }
        if (ch === "#" && atToken) {
            while (i < text.length && text[i] !== "\n") i++;
            continue;
        }
        if (ch === '"') {
            i++;
            while (i < text.length && text[i] !== '"') {
                if (text[i] === "\\") i++;
                if (text[i] === "\n") break;
                i++;
            }
            if (i >= text.length || text[i] !== '"') {
                return { message: "raw rule has an unterminated quote", fix: 'close the "' };
            }
            last = '"';
            continue;
        }
        if (ch === "\\") {
            i++;
            last = "\\";
            continue;
        }
        if (ch === "{") depth++;
        if (ch === "}") depth--;
        if (ch === "(") parens++;
        if (ch === ")") parens--;
        if (depth < 0) {
            return {
                message: 'raw rule has a "}" that would close the enclosing profile',
                fix: "balance the braces inside the raw rule",
            };
        }
        if (parens < 0) {
            return { message: 'raw rule has an unmatched ")"', fix: "balance the parentheses" };
        }
        if (!/\s/.test(ch)) last = ch;
    }
    if (depth !== 0) {
        return { message: 'raw rule has an unclosed "{"', fix: "balance the braces" };
    }
    if (parens !== 0) {
        return { message: 'raw rule has an unclosed "("', fix: "balance the parentheses" };
    }
    if (last !== "" && last !== "," && last !== "}") {
        return {
            message: 'raw rule does not end with "," or "}"',
            fix: "end the rule with a comma",
        };
    }
    return undefined;
}

/** An include or abi path (`abstractions/base`, `/etc/apparmor.d/local/x`). */
export function validateIncludePath(path: string, form: "angle" | "quoted"): ValueProblem {
    if (typeof path !== "string" || path === "") {
        return { message: "include path is empty", fix: "name a file such as abstractions/base" };
    }
    const inv = invisibleProblem(path, "include path");
    if (inv) return inv;
    if (/[<>"]/.test(path)) {
        return {
            message: 'include path contains <, > or "',
            fix: "remove them; write the path only (form says how it is bracketed)",
        };
    }
    if (form === "angle" && /\s/.test(path)) {
        return {
            message: "include path in <> contains whitespace",
            fix: 'use the quoted form for paths with spaces (form: "quoted")',
        };
    }
    if (form !== "angle" && form !== "quoted") {
        return {
            message: `invalid include form ${JSON.stringify(form)}`,
            fix: 'use "angle" or "quoted"',
        };
    }
    return undefined;
}

/**
 * Formats a problem for a Pulumi resource: `resource NAME: field FIELD: MESSAGE; fix: FIX`.
 * `fieldPrefix` is prepended to the problem path (e.g. `profile.` for the `profile` input).
 */
export function formatProblem(
    resource: string,
    problem: ValidationProblem,
    fieldPrefix = "",
): string {
    const field = `${fieldPrefix}${problem.path}` || "(profile)";
    return `resource ${resource}: field ${field}: ${problem.message}; fix: ${problem.fix}`;
}
