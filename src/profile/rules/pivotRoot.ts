/**
 * `pivot_root [oldroot=OLD] [NEWROOT] [-> PROFILE],`: changing the root filesystem.
 */
import { checkOptional, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { kv, prefix, q } from "../quoting";
import { modeTokens, qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { validateLabel, validatePath } from "../values";
import { setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `pivot_root [oldroot=OLD] [NEWROOT] [-> PROFILE],` */
export interface PivotRootRule extends Qualifiers {
    readonly kind: "pivot_root";
    readonly oldroot?: string;
    readonly newroot?: string;
    /** profile to transition to. */
    readonly target?: string;
}

/** Options of `pivotRoot(...)`. */
export interface PivotRootOptions {
    oldroot?: string;
    newroot?: string;
    target?: string;
}

/** `pivotRoot(…)` with the qualifiers `q`. */
export function buildPivotRoot(q: Qualifiers, opts?: PivotRootOptions): PivotRootRule {
    const rule: Record<string, unknown> = { kind: "pivot_root", ...q };
    setIfDefined(rule, "oldroot", opts?.oldroot);
    setIfDefined(rule, "newroot", opts?.newroot);
    setIfDefined(rule, "target", opts?.target);
    return rule as unknown as PivotRootRule;
}

export const pivotRootKind: RuleKind<PivotRootRule> = {
    kind: "pivot_root",
    keywords: ["pivot_root"],
    parse(s: Scanner, p: Prefix, w: string): PivotRootRule {
        s.pos += w.length;
        const t = modeTokens(s, false);
        if (t.lists.length) throw new Untyped();
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
        return {
            kind: "pivot_root",
            ...qualifiers(p),
            ...(oldroot !== undefined ? { oldroot } : {}),
            ...(before.length ? { newroot: before[0] } : {}),
            ...(t.arrowAt >= 0 ? { target: t.ids[t.arrowAt] } : {}),
        };
    },
    render(r: PivotRootRule): string {
        const old = kv("oldroot", r.oldroot);
        const nr = r.newroot !== undefined ? " " + q(r.newroot, "modeid", "new root") : "";
        const tgt = r.target !== undefined ? " -> " + q(r.target, "modeid", "profile") : "";
        return `${prefix(r)}pivot_root${old}${nr}${tgt},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkOptional(c, r, base, "oldroot", (s) => validatePath(s, "oldroot"));
        checkOptional(c, r, base, "newroot", (s) => validatePath(s, "newroot"));
        checkOptional(c, r, base, "target", (s) => validateLabel(s, "target"));
    },
};
