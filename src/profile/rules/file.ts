/**
 * File rules: `[audit] [deny|allow] [owner] [file] [safe|unsafe] PATH PERMS [-> TARGET],` (or the
 * leading-permissions form `PERMS PATH`), and the bare `file,` rule. The default kind: a statement
 * that starts with no rule keyword is read as a file rule.
 */
import { checkOptional, join, type Collector, type Obj, type ValueProblem } from "../check";
import {
    EXEC_MODES,
    FILE_ACCESS_ORDER,
    type ExecMode,
    type FileAccess,
    type Qualifiers,
} from "../model";
import { codePrefix, lit, prefix, ProfileRenderError, q, word } from "../quoting";
import {
    isWs,
    label,
    optArrowTarget,
    qualifiers,
    Untyped,
    type Prefix,
    type Scanner,
} from "../scanner";
import { describeChar, validateLabel, validatePath } from "../values";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/**
 * File rule: `[audit] [deny|allow] [owner] [file] [safe|unsafe] PATH PERMS [-> TARGET],`
 * (or the leading-permissions form `PERMS PATH`, which parses to the same model).
 * A rule with neither `path` nor permissions is the bare `file,` rule (all file access).
 */
export interface FileRule extends Qualifiers {
    readonly kind: "file";
    /** `owner` prefix: only files owned by the task's fsuid. */
    readonly owner?: boolean;
    /** path glob, may contain variables (`@{HOME}/**`). Absent only for the bare `file,` rule. */
    readonly path?: string;
    /** plain permissions (a set: order is irrelevant, rendered in {@link FILE_ACCESS_ORDER}). */
    readonly access: readonly FileAccess[];
    /** exec transition, if the rule grants/denies execution. */
    readonly exec?: ExecMode;
    /** `-> TARGET`: profile to transition to (exec rules with p/c modes). */
    readonly target?: string;
    /**
     * `safe` / `unsafe` keyword before the path: force environment scrubbing on (`safe`) or off
     * (`unsafe`) for the exec transition. Only valid with an exec mode.
     */
    readonly execMode?: "safe" | "unsafe";
}

// ---------------------------------------------------------------------------------------------------
// Permission strings
// ---------------------------------------------------------------------------------------------------

const PLAIN_ACCESS: ReadonlySet<string> = new Set(["r", "w", "a", "l", "k", "m"]);
const EXEC_QUALIFIERS: ReadonlySet<string> = new Set(["i", "p", "c", "u", "P", "C", "U"]);

/** The result of {@link parsePermissions}. */
export interface ParsedPermissions {
    readonly access: FileAccess[];
    readonly exec?: ExecMode;
}

/**
 * Splits an AppArmor permission string such as `"rwlx"`, `"rPx"`, `"mrix"` or `"r"` into plain
 * access letters (a set, duplicates removed) and at most one exec mode. Throws a `TypeError` naming the
 * offending letter when the string is not a permission string, or holds two exec modes.
 * (Combinations the kernel refuses, like `w` with `a`, are reported by `validateProfile`.)
 */
export function parsePermissions(perms: string): ParsedPermissions {
    const access: FileAccess[] = [];
    let exec: ExecMode | undefined;
    let pendingQualifiers = "";
    for (let i = 0; i < perms.length; i++) {
        const ch = perms[i];
        if (PLAIN_ACCESS.has(ch)) {
            if (pendingQualifiers) {
                throw new TypeError(
                    `permissions "${perms}": exec qualifier "${pendingQualifiers}" must be followed by "x"`,
                );
            }
            if (!access.includes(ch as FileAccess)) access.push(ch as FileAccess);
        } else if (EXEC_QUALIFIERS.has(ch)) {
            pendingQualifiers += ch;
        } else if (ch === "x") {
            const mode = `${pendingQualifiers}x`;
            if (!(EXEC_MODES as readonly string[]).includes(mode)) {
                throw new TypeError(`permissions "${perms}": "${mode}" is not an exec mode`);
            }
            if (exec !== undefined) {
                throw new TypeError(
                    `permissions "${perms}": two exec modes ("${exec}" and "${mode}"); keep one`,
                );
            }
            exec = mode as ExecMode;
            pendingQualifiers = "";
        } else {
            throw new TypeError(
                `permissions "${perms}": unknown letter ${JSON.stringify(ch)} (use r w a l k m and x with i p c u P C U)`,
            );
        }
    }
    if (pendingQualifiers) {
        throw new TypeError(
            `permissions "${perms}": exec qualifier "${pendingQualifiers}" must be followed by "x"`,
        );
    }
    return exec === undefined ? { access } : { access, exec };
}

const FILE_ACCESS_LETTERS = new Set(["r", "w", "a", "l", "k", "m"]);
/** Exec modes that may name a target (`px -> foo`): all but the plain, inherit and unconfined ones. */
const TARGET_EXEC_MODES: ReadonlySet<string> = new Set(
    EXEC_MODES.filter((m) => !["x", "ix", "ux", "Ux"].includes(m)),
);

/**
 * A file permission string as written in policy (`rwlx`, `rPx`, `mrix`): letters r w a l k m, at most
 * one exec mode, not both `w` and `a`. `deny` rules take only a bare `x`; allow rules need an exec
 * qualifier (`ix`, `px`, …).
 */
export function validatePermissions(perms: string, opts: { deny?: boolean } = {}): ValueProblem {
    let pending = "";
    const modes: string[] = [];
    const letters = new Set<string>();
    for (const ch of perms) {
        if (FILE_ACCESS_LETTERS.has(ch)) {
            if (pending) {
                return {
                    message: `exec qualifier "${pending}" is not followed by x`,
                    fix: `write ${pending}x`,
                };
            }
            letters.add(ch);
        } else if ("ipcuPCU".includes(ch)) {
            pending += ch;
        } else if (ch === "x") {
            modes.push(`${pending}x`);
            pending = "";
        } else {
            return {
                message: `invalid permission ${describeChar(ch)} in ${JSON.stringify(perms)}`,
                fix: "use r w a l k m, and x with an exec qualifier (ix px Px cx Cx ux Ux pix cix …)",
            };
        }
    }
    if (pending) {
        return {
            message: `exec qualifier "${pending}" is not followed by x`,
            fix: `write ${pending}x`,
        };
    }
    return (
        accessProblem([...letters]) ??
        (modes.length > 1
            ? {
                  message: `conflicting exec modes ${modes.join(" and ")}`,
                  fix: "keep one exec mode per rule",
              }
            : modes.length === 1
              ? execProblem(modes[0], !!opts.deny)
              : undefined)
    );
}

function accessProblem(access: readonly unknown[]): ValueProblem {
    for (const a of access) {
        if (typeof a !== "string" || !FILE_ACCESS_LETTERS.has(a)) {
            return {
                message: `invalid permission ${typeof a === "string" ? describeChar(a) : String(a)}`,
                fix: "use r w a l k m (exec permissions go in exec)",
            };
        }
    }
    if (access.includes("w") && access.includes("a")) {
        return {
            message: "permissions w and a conflict (w already includes append)",
            fix: "keep either w or a",
        };
    }
    return undefined;
}

function execProblem(mode: string, deny: boolean): ValueProblem {
    if (!(EXEC_MODES as readonly string[]).includes(mode)) {
        return {
            message: `invalid exec mode ${JSON.stringify(mode)}`,
            fix: "use one of ix px Px cx Cx ux Ux pix Pix cix Cix pux PUx cux CUx (x alone in deny rules)",
        };
    }
    if (deny && mode !== "x") {
        return {
            message: `deny rules take a bare x, not ${mode}`,
            fix: "write x in deny rules (the transition does not matter when execution is denied)",
        };
    }
    if (!deny && mode === "x") {
        return {
            message: "x in an allow rule needs an exec qualifier",
            fix: "write ix, px, cx or ux (e.g. ix to run it under the same profile)",
        };
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------

const FILE_MODE_CHARS = "rRwWaAlLmMkKxXiIuUpPcC";

/** Whether `ch` is a file-permission character ("" — past the end of the text — is not). */
function isFileModeChar(ch: string): boolean {
    return ch !== "" && FILE_MODE_CHARS.includes(ch);
}

function fileRule(
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
function fileRuleTail(s: Scanner, p: Prefix): FileRule {
    let execMode: "safe" | "unsafe" | undefined;
    if (s.atWord("safe") || s.atWord("unsafe")) {
        execMode = s.atWord("safe") ? "safe" : "unsafe";
        s.pos += execMode.length;
        s.skipWs();
    }
    const withMode = (r: FileRule): FileRule => (execMode ? { ...r, execMode } : r);
    const c = s.peek();
    if (c === "/" || c === "@" || c === '"' || c === ":" || c === "&") {
        const path = label(s, "a file path");
        s.skipWs();
        const mode = fileMode(s);
        const target = optArrowTarget(s);
        s.endOfRule();
        return withMode(fileRule(p, path, mode.access, mode.exec, target));
    }
    // leading-permissions form
    if (atFileMode(s)) {
        const mode = fileMode(s);
        s.skipWs();
        if (s.atWord("subset")) throw new Untyped();
        if (s.startsWith("<=")) throw new Untyped();
        const path = label(s, "a file path after the permissions");
        const target = optArrowTarget(s);
        if (target !== undefined && mode.access.includes("l")) throw new Untyped();
        s.endOfRule();
        return withMode(fileRule(p, path, mode.access, mode.exec, target));
    }
    throw s.error("a rule (file path, capability, network, mount, signal, ptrace, unix, dbus, …)");
}

function atFileMode(s: Scanner): boolean {
    let i = 0;
    while (isFileModeChar(s.peek(i))) i++;
    const after = s.peek(i);
    return i > 0 && (after === "" || isWs(after) || after === ",");
}

/** MODES token → plain access set + exec mode (canonical spelling). */
function fileMode(s: Scanner): { access: FileAccess[]; exec?: ExecMode } {
    const start = s.pos;
    if (!atFileMode(s)) throw s.error("file permissions (e.g. r, rw, mr, ix, Px)");
    let end = start;
    while (isFileModeChar(s.text.charAt(end))) end++;
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
            setExec((ch === "P" ? "PUx" : ch === "C" ? "CUx" : ch + "ux") as ExecMode, start + i);
            i += 2;
        } else {
            throw s.error("valid file permissions (r w a l k m and an exec mode)", start + i);
        }
    }
    s.pos = end;
    const order: FileAccess[] = ["m", "r", "w", "a", "l", "k"];
    return { access: order.filter((a) => access.has(a)), ...(exec ? { exec } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Writing and checking
// ---------------------------------------------------------------------------------------------------

function filePerms(accessList: readonly string[], exec: string | undefined): string {
    const set = new Set(accessList);
    for (const a of set) {
        if (!(FILE_ACCESS_ORDER as readonly string[]).includes(a)) {
            throw new ProfileRenderError(`invalid file permission ${JSON.stringify(a)}`);
        }
    }
    const letters = FILE_ACCESS_ORDER.filter((a) => set.has(a)).join("");
    if (exec !== undefined && !/^(x|[iuUpPcC]x|[pPcC]ix|pux|cux|PUx|CUx)$/.test(exec)) {
        throw new ProfileRenderError(`invalid exec mode ${JSON.stringify(exec)}`);
    }
    return letters + (exec ?? "");
}

/**
 * `safe` / `unsafe` before a file rule (`unsafe /usr/bin/foo px,`) says whether the exec transition
 * scrubs the environment; apparmor_parser rejects it on a rule without exec permission ("unsafe rule
 * missing exec permissions") and `unsafe` on a deny rule (a denied exec has no transition).
 */
function checkExecSafety(c: Collector, r: Obj, base: string, deny: boolean): void {
    const m = r.execMode;
    if (m === undefined) return;
    const at = join(base, "execMode");
    if (m !== "safe" && m !== "unsafe") {
        c.fail(at, `unknown exec safety ${JSON.stringify(m)}`, 'use "safe" or "unsafe"');
    } else if (r.exec === undefined) {
        c.fail(
            at,
            `${m} applies to exec permissions, and the rule has none`,
            "add an exec mode (e.g. px) or drop execMode",
        );
    } else if (deny && m === "unsafe") {
        c.fail(
            at,
            "a deny rule cannot be unsafe (a denied exec has no transition)",
            "drop execMode",
        );
    }
}

function validateFileRule(c: Collector, r: Obj, base: string): void {
    const deny = !!r.deny;
    const access = r.access;
    if (!Array.isArray(access)) {
        c.fail(join(base, "access"), "must be a list of permission letters", 'use e.g. ["r", "w"]');
    } else {
        c.add(join(base, "access"), accessProblem(access));
    }
    if (r.exec !== undefined) {
        c.add(
            join(base, "exec"),
            typeof r.exec === "string"
                ? execProblem(r.exec, deny)
                : execProblem(String(r.exec), deny),
        );
    }
    checkExecSafety(c, r, base, deny);
    if (r.path === undefined && deny && (!Array.isArray(access) || access.length === 0)) {
        c.fail(
            join(base, "deny"),
            "apparmor_parser 3 refuses a bare deny file, rule",
            "deny the paths instead, e.g. deny /** rwlkmx,",
        );
    }
    if (r.path === undefined) {
        if (
            (Array.isArray(access) && access.length > 0) ||
            r.exec !== undefined ||
            r.target !== undefined
        ) {
            c.fail(
                join(base, "path"),
                "permissions without a path",
                "add the path the permissions apply to",
            );
        }
        return;
    }
    checkOptional(c, r, base, "path", (s) => validatePath(s));
    if (Array.isArray(access) && access.length === 0 && r.exec === undefined) {
        c.fail(
            join(base, "access"),
            "file rule grants no permissions",
            'add permissions such as "r"',
        );
    }
    if (r.target !== undefined) {
        if (typeof r.exec !== "string" || !TARGET_EXEC_MODES.has(r.exec)) {
            c.fail(
                join(base, "target"),
                "a transition target needs a p or c exec mode (px, Px, cx, Cx, pix, …)",
                "set exec to px/cx (or remove the target)",
            );
        }
        checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
    }
}

/** `file(path, perms, target)` with the qualifiers `q` (and `owner`); no path = the bare `file,`. */
export function buildFile(
    q: Qualifiers,
    owner: boolean | undefined,
    path?: string,
    perms?: string,
    target?: string,
): FileRule {
    const rule: Record<string, unknown> = { kind: "file", ...q };
    if (owner) rule.owner = true;
    if (path === undefined) {
        if (perms !== undefined || target !== undefined) {
            throw new TypeError("file(): permissions or a target need a path");
        }
        rule.access = [];
        return rule as unknown as FileRule;
    }
    rule.path = path;
    const parsed = parsePermissions(perms ?? "");
    rule.access = parsed.access;
    if (parsed.exec !== undefined) rule.exec = parsed.exec;
    if (target !== undefined) rule.target = target;
    return rule as unknown as FileRule;
}

export const fileKind: RuleKind<FileRule> = {
    kind: "file",
    keywords: ["file"],
    owner: true,
    parse(s: Scanner, p: Prefix, keyword: string): FileRule {
        if (keyword === "") return fileRuleTail(s, p);
        s.pos += 4;
        s.skipWs();
        if (s.peek() === ",") {
            s.pos++;
            return fileRule(p, undefined, [], undefined, undefined);
        }
        return fileRuleTail(s, p);
    },
    render(r: FileRule): string {
        const p = prefix(r);
        if (r.path === undefined) return `${p}file,`;
        const target = r.target !== undefined ? ` -> ${q(r.target, "id", "exec target")}` : "";
        const mode = r.execMode ? `${word(r.execMode, "exec mode keyword")} ` : "";
        return `${p}${mode}${q(r.path, "label", "file path")} ${filePerms(r.access, r.exec)}${target},`;
    },
    validate: validateFileRule,
    code(r: FileRule): string | undefined {
        if (
            r.path === undefined ||
            r.execMode !== undefined ||
            (r.target !== undefined && r.exec === undefined)
        )
            return undefined;
        const order = FILE_ACCESS_ORDER as readonly string[];
        const perms =
            [...r.access].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join("") +
            (r.exec ?? "");
        const args = [lit(r.path), lit(perms)];
        if (r.target !== undefined) args.push(lit(r.target));
        return `${codePrefix(r)}file(${args.join(", ")})`;
    },
};
