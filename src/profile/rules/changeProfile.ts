/**
 * `change_profile [safe|unsafe] [EXEC] [-> PROFILE],`: which profiles a task may change to.
 */
import { checkOptional, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { prefix, q, word } from "../quoting";
import { optArrowTarget, qualifiers, type Prefix, type Scanner } from "../scanner";
import { validateLabel, validatePath } from "../values";
import { setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `change_profile [safe|unsafe] [EXEC] [-> PROFILE],` */
export interface ChangeProfileRule extends Qualifiers {
    readonly kind: "change_profile";
    readonly execMode?: "safe" | "unsafe";
    /** executable path the change applies to. */
    readonly exec?: string;
    /** target profile (regex allowed). */
    readonly target?: string;
}

/** Options of `changeProfile(...)`. */
export interface ChangeProfileOptions {
    readonly execMode?: "safe" | "unsafe";
    /** executable the change applies to. Defaults to any. */
    readonly exec?: string;
}

/** `changeProfile(target, …)` with the qualifiers `q`. */
export function buildChangeProfile(
    q: Qualifiers,
    target?: string,
    opts?: ChangeProfileOptions,
): ChangeProfileRule {
    const rule: Record<string, unknown> = { kind: "change_profile", ...q };
    setIfDefined(rule, "execMode", opts?.execMode);
    setIfDefined(rule, "exec", opts?.exec);
    setIfDefined(rule, "target", target);
    return rule as unknown as ChangeProfileRule;
}

export const changeProfileKind: RuleKind<ChangeProfileRule> = {
    kind: "change_profile",
    keywords: ["change_profile"],
    parse(s: Scanner, p: Prefix): ChangeProfileRule {
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
        const target = optArrowTarget(s);
        s.endOfRule();
        return {
            kind: "change_profile",
            ...qualifiers(p),
            ...(execMode ? { execMode } : {}),
            ...(exec !== undefined ? { exec } : {}),
            ...(target !== undefined ? { target } : {}),
        };
    },
    render(r: ChangeProfileRule): string {
        const mode = r.execMode ? ` ${word(r.execMode, "exec mode keyword")}` : "";
        const exec = r.exec !== undefined ? " " + q(r.exec, "id", "exec path") : "";
        const tgt = r.target !== undefined ? " -> " + q(r.target, "id", "target profile") : "";
        return `${prefix(r)}change_profile${mode}${exec}${tgt},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        if (r.execMode !== undefined && r.execMode !== "safe" && r.execMode !== "unsafe") {
            c.fail(
                join(base, "execMode"),
                `invalid exec mode ${JSON.stringify(r.execMode)}`,
                'use "safe" or "unsafe"',
            );
        } else if (r.execMode !== undefined && r.exec === undefined) {
            c.fail(
                join(base, "execMode"),
                `${r.execMode} needs an exec path (apparmor_parser: "Exec condition is required")`,
                "add the executable (exec) or drop execMode",
            );
        }
        checkOptional(c, r, base, "exec", (s) => validatePath(s, "exec path"));
        checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
    },
};
