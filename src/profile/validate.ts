/**
 * Validation of profile models: pure (no I/O), returns every problem at once, each with the path of
 * the offending field (`rules[3].path`, `items[2].rules[0].capabilities[1]`), what is wrong and how to
 * fix it. Later components run it at Pulumi preview time and format the problems with
 * {@link formatProblem} ("resource X: field Y: problem; fix: Z").
 *
 * What is checked, and why:
 * - **Names** (profiles, hats, peers, transition targets): a managed profile name is what users pass
 *   to `docker run --security-opt apparmor=NAME`, what hosts store as file names and what scripts
 *   quote; so it must be a plain token ({@link validateProfileName}): no whitespace, control or
 *   invisible characters, nothing a shell (`;`, `$`, backtick, quotes, `&|<>()`) or the policy grammar
 *   (`{}`, `,`, `#`, `"`, `//`, a leading `:` or `^`) would read differently. Profiles named after the
 *   program they confine (`/usr/bin/foo`, `@{exec_path}`, globs) are accepted in that path form.
 * - **Strings the renderer cannot write faithfully** (paths, globs, labels, mount options, comments,
 *   raw text): NUL, control and invisible Unicode characters, a bare `"`, a trailing backslash,
 *   unbalanced `{}`/`[]`, a newline in a comment, raw text whose braces would close the profile.
 * - **Policy errors `apparmor_parser` would refuse** (so preview fails before a host is touched):
 *   unknown capability/signal/network/rlimit names, invalid or conflicting permission letters
 *   (`w` with `a`; two exec modes; bare `x` in an allow rule; `ix` in a deny rule), relative paths,
 *   both `allow` and `deny`, empty profiles, documents without a profile; glob groups the regex
 *   converter refuses (`{a}`, `[]`); unknown mount options and profile flags, rlimit values, rule
 *   combinations (`semantics.ts`); undeclared or redeclared variables (`variables.ts`); the typed
 *   statements inside raw text.
 * - **Container profiles** ({@link ValidateOptions.container}): includes only of AppArmor's own files
 *   (`includes.ts`), no attachment, no xattrs.
 *
 * Accepting a value promises: the renderer writes it so that `apparmor_parser` reads back the same
 * value (the hostile-input table in `test/unit/profile/validate.hostile.test.ts` proves it by
 * compiling), and the parser accepts it (`validate.generated.test.ts` compiles every generated value
 * the validator accepts). What depends on the host (which include files exist, AppArmor 4 syntax) is
 * left to the compile at preview on each host. Rejecting is always allowed.
 *
 * This module walks the document (profiles, preamble, includes, raw text, whole-file checks); each
 * rule kind checks its own fields in `rules/`, with the single-value validators of `values.ts` and the
 * field checks of `check.ts`. Every name it exported before the split is still exported from here.
 */
import {
    Collector,
    checkOptional,
    checkStringArray,
    isObj,
    join,
    type Obj,
    type ValidationProblem,
} from "./check";
import { containerIncludeProblem, type IncludePlace } from "./includes";
import { MAX_PRIORITY, MIN_PRIORITY, type PolicyDocument, type Profile } from "./model";
import { parseProfile, parseRules } from "./parser";
import { ruleKind } from "./rules";
import { flagConflict } from "./semantics";
import {
    globProblem,
    invisibleProblem,
    validateCommentText,
    validateFlag,
    validateIncludePath,
    validatePath,
    validateProfileName,
    validateRawText,
    validateToken,
    validateVariableName,
    variableRefProblem,
} from "./values";
import { variableProblems } from "./variables";

export type { ValidationProblem, ValueProblem } from "./check";
export {
    formatProblem,
    MAX_NAME_BYTES,
    MAX_PATH_BYTES,
    validateCommentText,
    validateFlag,
    validateIncludePath,
    validateLabel,
    validatePath,
    validateProfileName,
    validateRawText,
    validateToken,
    validateVariableName,
} from "./values";
export { CAPABILITIES, validateCapabilityName } from "./rules/capability";
export { validatePermissions } from "./rules/file";
export { NETWORK_DOMAINS, NETWORK_PROTOCOLS, NETWORK_TYPES } from "./rules/network";
export { RLIMITS } from "./rules/rlimit";
export { SIGNALS } from "./rules/signal";

// ---------------------------------------------------------------------------------------------------
// Whole-model validation
// ---------------------------------------------------------------------------------------------------

/** Options of {@link validateProfile}. */
export interface ValidateOptions {
    /**
     * The model is the whole policy file of a profile this library installs for containers (what the
     * `Profile` component validates): includes only of AppArmor's own files, in angle brackets
     * (`abstractions/` and `local/` in the profile, `tunables/` at the top, `abi/` in `abi`), and
     * `abstractions/` only with `tunables/global` included; no attachment (`profile web /** {` would
     * confine every program it matches on the host) and no xattrs; variables checked even in a bare
     * profile (it is rendered on its own). Defaults to false: any include, attachment and xattrs are
     * accepted, and a bare profile's variables are not checked (a document declares them).
     */
    readonly container?: boolean;
}

function checkQualifiers(c: Collector, rule: Obj, base: string): void {
    if (rule.deny && rule.allow) {
        c.fail(join(base, "deny"), "rule is both allow and deny", "keep either allow or deny");
    }
    if (rule.owner && !ruleKind(rule.kind)?.owner) {
        c.fail(
            join(base, "owner"),
            `owner applies to file and link rules, not ${String(rule.kind)} rules`,
            "drop owner",
        );
    }
    const priority = rule.priority;
    if (priority === undefined) return;
    if (typeof priority !== "number" || !Number.isInteger(priority)) {
        c.fail(join(base, "priority"), "priority must be an integer", "use e.g. 10 or -5");
    } else if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
        c.fail(
            join(base, "priority"),
            `priority ${priority} is out of range`,
            `use an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`,
        );
    } else if (ruleKind(rule.kind)?.noPriority) {
        c.fail(
            join(base, "priority"),
            `priority is not allowed on ${String(rule.kind)} rules`,
            "drop priority",
        );
    }
}

/** An include statement (`place`: at the top of the file or inside a profile). */
function checkInclude(c: Collector, r: Obj, base: string, place: IncludePlace): void {
    const path = r.path as string;
    const problem = validateIncludePath(path, r.form as "angle" | "quoted");
    c.add(join(base, "path"), problem);
    if (problem || !c.container) return;
    c.add(join(base, "path"), containerIncludeProblem(path, String(r.form), place));
    if (path.startsWith("abstractions/")) c.abstractions.push(join(base, "path"));
    if (place === "preamble" && path === "tunables/global") c.tunablesGlobal = true;
}

/**
 * Raw policy text: balanced and closed (validateRawText), then parsed like policy; the statements
 * the model types are checked like model items (so a raw rule is no way around the validator), and
 * statements it does not type (conditionals, AppArmor 4.1's `prompt` rules, AppArmor 4 forms the
 * kinds keep raw) are left to the host's parser, which compiles every new version at preview.
 */
function checkRaw(c: Collector, r: Obj, base: string, depth: number, preamble: boolean): void {
    const problem = validateRawText(r.text as string);
    c.add(join(base, "text"), problem);
    if (problem) return;
    let items: readonly unknown[];
    try {
        items = preamble ? parseProfile(r.text as string).items : parseRules(r.text as string);
    } catch (e) {
        c.fail(
            join(base, "text"),
            `raw rule is not valid policy (${(e as Error).message})`,
            "correct the policy text, or write the rule with the builder helpers",
        );
        return;
    }
    if (items.length === 1 && isObj(items[0]) && items[0].kind === "raw") return; // untyped
    items.forEach((it, i) => {
        const at = join(base, `text[${i}]`);
        if (!isObj(it)) return;
        if (preamble) checkPreamble(c, it, at);
        else checkRule(c, it, at, depth);
    });
}

function checkRule(c: Collector, r: unknown, base: string, depth: number): void {
    if (!isObj(r)) {
        c.fail(base, "rule is not an object", "use the builder helpers (file(), capability(), …)");
        return;
    }
    checkQualifiers(c, r, base);
    switch (r.kind) {
        case "include":
            checkInclude(c, r, base, "profile");
            break;
        case "comment":
            c.add(join(base, "text"), validateCommentText(r.text as string));
            break;
        case "raw":
            checkRaw(c, r, base, depth, false);
            break;
        case "profile":
            checkProfile(c, r, base, depth + 1);
            break;
        default: {
            const kind = ruleKind(r.kind);
            if (kind) {
                kind.validate(c, r, base);
                break;
            }
            c.fail(
                join(base, "kind"),
                `unknown rule kind ${JSON.stringify(r.kind)}`,
                "use the builder helpers (file(), capability(), raw(), …)",
            );
        }
    }
}

function checkProfile(c: Collector, p: Obj, base: string, depth: number): void {
    const name = p.name;
    if (typeof name !== "string") {
        c.fail(join(base, "name"), "profile has no name", "give the profile a name, e.g. my-app");
    } else if (p.hat) {
        const problem = validateProfileName(name);
        c.add(
            join(base, "name"),
            problem && {
                message: problem.message.replace("profile name", "hat name"),
                fix: problem.fix,
            },
        );
        if (depth === 0)
            c.fail(
                join(base, "hat"),
                "a hat must be nested in a profile",
                "move it into a profile's rules or drop hat: true",
            );
    } else {
        c.add(join(base, "name"), validateProfileName(name, { allowPath: true }));
    }
    if (c.container && p.attachment !== undefined) {
        c.fail(
            join(base, "attachment"),
            "a container profile cannot have an attachment (it would confine every program on the host whose path matches)",
            "drop the attachment: containers get the profile by name (--security-opt apparmor=NAME)",
        );
    } else checkOptional(c, p, base, "attachment", (s) => validatePath(s, "attachment"));
    if (p.flags !== undefined) {
        checkStringArray(c, join(base, "flags"), p.flags, validateFlag);
        if (Array.isArray(p.flags)) {
            const conflict = flagConflict(
                p.flags.filter((f): f is string => typeof f === "string"),
            );
            if (conflict)
                c.fail(join(base, "flags"), conflict, "keep one of the conflicting flags");
        }
    }
    if (c.container && p.xattrs !== undefined) {
        c.fail(
            join(base, "xattrs"),
            "a container profile cannot have xattrs conditions (they attach it to programs on the host)",
            "drop xattrs: containers get the profile by name",
        );
    } else if (p.xattrs !== undefined) {
        if (!Array.isArray(p.xattrs))
            c.fail(join(base, "xattrs"), "must be a list", "use [{ key, value }]");
        else
            p.xattrs.forEach((x, i) => {
                const xp = join(base, `xattrs[${i}]`);
                if (!isObj(x) || typeof x.key !== "string") {
                    c.fail(xp, "xattr needs a key", "use { key, value }");
                    return;
                }
                c.add(
                    join(xp, "key"),
                    /^[A-Za-z0-9_.+-]+$/.test(x.key)
                        ? undefined
                        : {
                              message: `xattr key ${JSON.stringify(x.key)} is not a plain attribute name`,
                              fix: "use a name such as security.foo or user.bar",
                          },
                );
                checkOptional(c, x, xp, "value", (s) => validateToken(s, "xattr value"));
            });
    }
    const rules = p.rules;
    if (!Array.isArray(rules)) {
        c.fail(join(base, "rules"), "profile rules must be a list", "use rules: []");
        return;
    }
    rules.forEach((r, i) => checkRule(c, r, join(base, `rules[${i}]`), depth));
    // hats and child profiles share one name space per profile ("Multiple definitions for hat")
    const nested = new Map<string, number>();
    rules.forEach((r, i) => {
        if (!isObj(r) || r.kind !== "profile" || typeof r.name !== "string") return;
        const prev = nested.get(r.name);
        if (prev === undefined) nested.set(r.name, i);
        else
            c.fail(
                join(base, `rules[${i}].name`),
                `${r.hat ? "hat" : "child profile"} ${JSON.stringify(r.name)} is defined twice (also rules[${prev}])`,
                "rename or merge one of them",
            );
    });
    // apparmor_parser merges allow rules with the same path and refuses different exec transitions
    // ("has merged rule /x with conflicting x modifiers"), whatever their owner/audit qualifiers.
    const execByPath = new Map<string, { mode: string; index: number }>();
    rules.forEach((r, i) => {
        if (!isObj(r) || r.kind !== "file" || r.deny || typeof r.path !== "string") return;
        if (typeof r.exec !== "string") return;
        const mode = r.target !== undefined ? `${r.exec} -> ${String(r.target)}` : r.exec;
        const prev = execByPath.get(r.path);
        if (!prev) {
            execByPath.set(r.path, { mode, index: i });
        } else if (prev.mode !== mode) {
            c.fail(
                join(base, `rules[${i}].exec`),
                `conflicting exec modes for ${r.path}: ${prev.mode} (rules[${prev.index}]) and ${mode}`,
                "give each path one exec transition",
            );
        }
    });
    const meaningful = rules.some((r) => isObj(r) && r.kind !== "comment");
    if (!meaningful && depth === 0) {
        c.fail(
            join(base, "rules"),
            `profile ${JSON.stringify(name)} has no rules (it would deny everything)`,
            "add rules, include an abstraction, or start from dockerDefault()",
        );
    }
}

function checkPreamble(c: Collector, item: Obj, base: string): void {
    switch (item.kind) {
        case "abi": {
            const problem = validateIncludePath(
                item.path as string,
                item.form as "angle" | "quoted",
            );
            c.add(join(base, "path"), problem);
            if (!problem && c.container)
                c.add(
                    join(base, "path"),
                    containerIncludeProblem(item.path as string, String(item.form), "abi"),
                );
            break;
        }
        case "include":
            checkInclude(c, item, base, "preamble");
            break;
        case "raw":
            checkRaw(c, item, base, 0, true);
            break;
        case "comment":
            checkRule(c, item, base, 0);
            break;
        case "variable":
            c.add(join(base, "name"), validateVariableName(item.name as string));
            if (item.op !== "=" && item.op !== "+=") {
                c.fail(
                    join(base, "op"),
                    `invalid operator ${JSON.stringify(item.op)}`,
                    'use "=" or "+="',
                );
            }
            checkStringArray(c, join(base, "values"), item.values, (s) => {
                const inv = invisibleProblem(s, "variable value");
                return (
                    inv ??
                    globProblem(s, "variable value", true) ??
                    variableRefProblem(s, "variable value")
                );
            });
            if (!Array.isArray(item.values) || item.values.length === 0) {
                c.fail(join(base, "values"), "variable has no values", "give at least one value");
            }
            break;
        case "alias":
            for (const [f, what] of [
                ["from", "alias source"],
                ["to", "alias target"],
            ] as const) {
                const v = item[f] as string;
                const problem = validatePath(v, what);
                c.add(
                    join(base, f),
                    problem ??
                        (v.includes("@")
                            ? {
                                  message: `${what} ${JSON.stringify(v)} uses a variable (apparmor_parser reads alias paths literally)`,
                                  fix: "write the path itself",
                              }
                            : undefined),
                );
            }
            break;
        case "profile":
            checkProfile(c, item, base, 0);
            break;
        default:
            c.fail(
                join(base, "kind"),
                `unknown item kind ${JSON.stringify(item.kind)}`,
                "use abi, include, variable, alias, comment, raw or profile",
            );
    }
}

/**
 * Validates a profile or a whole policy document and returns every problem found (empty = valid).
 * Pure: no I/O; safe to run at Pulumi preview time. Paths are relative to the argument:
 * `rules[3].path` for a profile, `items[1].rules[3].path` for a document.
 */
export function validateProfile(
    model: Profile | PolicyDocument,
    opts: ValidateOptions = {},
): ValidationProblem[] {
    const c = new Collector();
    c.container = !!opts.container;
    if (!isObj(model)) {
        c.fail(
            "",
            "profile is not an object",
            "pass a profile model (e.g. dockerDefault(...).toModel())",
        );
        return c.problems;
    }
    if (model.kind === "profile") {
        checkProfile(c, model as unknown as Obj, "", 0);
        return finish(c, model);
    }
    if (model.kind !== "document") {
        c.fail(
            "kind",
            `unknown model kind ${JSON.stringify(model.kind)}`,
            'pass a "profile" or a "document"',
        );
        return c.problems;
    }
    const items = (model as PolicyDocument).items;
    if (!Array.isArray(items)) {
        c.fail("items", "document items must be a list", "use items: [...]");
        return c.problems;
    }
    const names = new Map<string, number>();
    items.forEach((it, i) => {
        const base = `items[${i}]`;
        if (!isObj(it)) {
            c.fail(base, "item is not an object", "use model objects");
            return;
        }
        checkPreamble(c, it, base);
        if (it.kind === "profile" && typeof it.name === "string") {
            const prev = names.get(it.name);
            if (prev !== undefined) {
                c.fail(
                    join(base, "name"),
                    `profile ${JSON.stringify(it.name)} is defined twice (also items[${prev}])`,
                    "rename or merge one of them",
                );
            } else names.set(it.name, i);
        }
    });
    if (names.size === 0 && !items.some((it) => isObj(it) && it.kind === "profile")) {
        c.fail("items", "the document holds no profile", "add a profile");
    }
    return finish(c, model);
}

/**
 * Checks that need the whole file: variables (a document, or any model in container mode, where a
 * bare profile is the whole file), and `abstractions/` includes needing `tunables/global`.
 */
function finish(c: Collector, model: Profile | PolicyDocument): ValidationProblem[] {
    if (c.container || model.kind === "document") {
        const known = new Set(c.problems.map((p) => p.path));
        for (const p of variableProblems(model)) if (!known.has(p.path)) c.problems.push(p);
    }
    if (c.container && !c.tunablesGlobal)
        for (const at of c.abstractions)
            c.fail(
                at,
                "abstractions use the variables of tunables/global (@{PROC}, @{HOMEDIRS}, …), which this file does not include",
                "add include <tunables/global> at the top of the file (dockerDefault() does)",
            );
    return c.problems;
}
