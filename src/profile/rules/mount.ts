/**
 * The mount family: `mount [CONDITIONS] [SOURCE] [-> MOUNTPOINT],`, `remount [CONDITIONS] [MOUNTPOINT],`
 * and `umount [CONDITIONS] [MOUNTPOINT],` (also spelled `unmount`), sharing their conditions
 * (`fstype=…`, `options=(…)`, `options in (…)`).
 */
import { checkOptional, checkStringArray, isObj, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { list, prefix, q, unsafeCommon, word } from "../quoting";
import {
    modeTokens,
    qualifiers,
    Untyped,
    type ModeTokens,
    type Prefix,
    type Scanner,
} from "../scanner";
import { mountOptionProblem } from "../semantics";
import { validatePath, validateToken } from "../values";
import { setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/**
 * A mount condition: `fstype=ext4`, `fstype=(ext3, ext4)`, `options=(ro,nosuid)`, `options in (rw)`.
 * `op` `=` means "exactly", `in` means "any subset of". Values are kept in order (data options such
 * as `mode=755` are matched as a string in that order).
 */
export interface MountCondition {
    /** `fstype` (alias `vfstype`) or `options` (alias `option`), as written. */
    readonly name: string;
    readonly op: "=" | "in";
    readonly values: readonly string[];
}

/** `mount [CONDITIONS] [SOURCE] [-> MOUNTPOINT],` */
export interface MountRule extends Qualifiers {
    readonly kind: "mount";
    readonly conditions: readonly MountCondition[];
    readonly source?: string;
    /** mount point (after `->`). */
    readonly target?: string;
}

/** `remount [CONDITIONS] [MOUNTPOINT],` */
export interface RemountRule extends Qualifiers {
    readonly kind: "remount";
    readonly conditions: readonly MountCondition[];
    readonly target?: string;
}

/** `umount [CONDITIONS] [MOUNTPOINT],` (also spelled `unmount`). */
export interface UmountRule extends Qualifiers {
    readonly kind: "umount";
    readonly conditions: readonly MountCondition[];
    readonly target?: string;
}

/** Options of `mount(...)`, `remount(...)`, `umount(...)`. */
export interface MountOptions {
    /** `fstype=(…)` values. Defaults to any. */
    readonly fstype?: readonly string[];
    /** `options=(…)` values (exact set). Defaults to any. */
    readonly options?: readonly string[];
    /** `options in (…)` values (any subset). Defaults to none. */
    readonly optionsIn?: readonly string[];
    /** mount source (mount only). Defaults to any. */
    readonly source?: string;
    /** mount point. Defaults to any. */
    readonly target?: string;
}

function mountConditions(opts: MountOptions | undefined): MountCondition[] {
    const out: MountCondition[] = [];
    if (opts?.fstype) out.push({ name: "fstype", op: "=", values: [...opts.fstype] });
    if (opts?.options) out.push({ name: "options", op: "=", values: [...opts.options] });
    if (opts?.optionsIn) out.push({ name: "options", op: "in", values: [...opts.optionsIn] });
    return out;
}

/** `mount(…)` with the qualifiers `q`. */
export function buildMount(q: Qualifiers, opts?: MountOptions): MountRule {
    const rule: Record<string, unknown> = {
        kind: "mount",
        ...q,
        conditions: mountConditions(opts),
    };
    setIfDefined(rule, "source", opts?.source);
    setIfDefined(rule, "target", opts?.target);
    return rule as unknown as MountRule;
}

/** `remount(…)` / `umount(…)` with the qualifiers `q`. */
export function buildRemountOrUmount<K extends "remount" | "umount">(
    kind: K,
    q: Qualifiers,
    opts?: Omit<MountOptions, "source">,
): K extends "remount" ? RemountRule : UmountRule {
    const rule: Record<string, unknown> = { kind, ...q, conditions: mountConditions(opts) };
    return setIfDefined(rule, "target", opts?.target) as unknown as K extends "remount"
        ? RemountRule
        : UmountRule;
}

/**
 * The tokens of a mount-family rule after its keyword `w`; conditions without values and condition
 * lists are not typed.
 */
function tokens(s: Scanner, w: string): ModeTokens {
    s.pos += w.length;
    const t = modeTokens(s, false);
    if (t.lists.length) throw new Untyped();
    for (const c of t.conds) if (c.values.length === 0) throw new Untyped();
    return t;
}

function cond(c: MountCondition): string {
    const name = word(c.name, "condition name");
    if (c.op === "in") return `${name} in ${list(c.values, `${name} value`)}`;
    if (c.values.length === 1 && !unsafeCommon(c.values[0]) && !/[(),]/.test(c.values[0])) {
        return `${name}=${q(c.values[0], "value", `${name} value`)}`;
    }
    return `${name}=${list(c.values, `${name} value`)}`;
}

function conds(r: { readonly conditions: readonly MountCondition[] }): string {
    return r.conditions.map((c) => " " + cond(c)).join("");
}

/** Checks the conditions, source and mount point shared by the three kinds. */
function validateMountLike(c: Collector, r: Obj, base: string): void {
    const cs = r.conditions;
    if (!Array.isArray(cs)) {
        c.fail(join(base, "conditions"), "must be a list", "use [] for no conditions");
    } else {
        cs.forEach((cd, i) => {
            const p = join(base, `conditions[${i}]`);
            if (!isObj(cd)) {
                c.fail(p, "condition is not an object", "use { name, op, values }");
                return;
            }
            if (!["fstype", "vfstype", "options", "option"].includes(String(cd.name))) {
                c.fail(
                    join(p, "name"),
                    `unknown mount condition ${JSON.stringify(cd.name)}`,
                    "use fstype or options",
                );
            }
            if (cd.op !== "=" && cd.op !== "in") {
                c.fail(
                    join(p, "op"),
                    `invalid operator ${JSON.stringify(cd.op)}`,
                    'use "=" or "in"',
                );
            }
            const isOptions = cd.name === "options" || cd.name === "option";
            checkStringArray(
                c,
                join(p, "values"),
                cd.values,
                (s) =>
                    validateToken(s, "mount condition value") ??
                    (isOptions ? mountOptionProblem(s) : undefined),
            );
            if (!Array.isArray(cd.values) || cd.values.length === 0) {
                c.fail(
                    join(p, "values"),
                    "mount condition has no values",
                    "list at least one value",
                );
            }
        });
    }
    checkOptional(c, r, base, "source", (s) => validateToken(s, "mount source"));
    checkOptional(c, r, base, "target", (s) => validatePath(s, "mount point"));
}

export const mountKind: RuleKind<MountRule> = {
    kind: "mount",
    keywords: ["mount"],
    parse(s: Scanner, p: Prefix, w: string): MountRule {
        const t = tokens(s, w);
        // mount [conds] [source] [-> [conds] mountpoint]; conditions after '->' are not typed
        if (t.arrowAt >= 0) {
            if (t.ids.length - t.arrowAt !== 1) throw new Untyped();
            if (t.condsAfterArrow) throw new Untyped();
        }
        const before = t.arrowAt >= 0 ? t.ids.slice(0, t.arrowAt) : t.ids;
        if (before.length > 1) throw new Untyped();
        return {
            kind: "mount",
            ...qualifiers(p),
            conditions: t.conds,
            ...(before.length ? { source: before[0] } : {}),
            ...(t.arrowAt >= 0 ? { target: t.ids[t.arrowAt] } : {}),
        };
    },
    render(r: MountRule): string {
        const cs = conds(r);
        const src = r.source !== undefined ? " " + q(r.source, "modeid", "mount source") : "";
        const tgt = r.target !== undefined ? " -> " + q(r.target, "modeid", "mount point") : "";
        return `${prefix(r)}mount${cs}${src}${tgt},`;
    },
    validate: validateMountLike,
};

/** remount and umount: conditions and an optional mount point. */
function remountOrUmount<R extends RemountRule | UmountRule>(
    kind: R["kind"],
    keywords: readonly string[],
): RuleKind<R> {
    return {
        kind,
        keywords,
        parse(s: Scanner, p: Prefix, w: string): R {
            const t = tokens(s, w);
            if (t.arrowAt >= 0 || t.ids.length > 1) throw new Untyped();
            return {
                kind,
                ...qualifiers(p),
                conditions: t.conds,
                ...(t.ids.length ? { target: t.ids[0] } : {}),
            } as unknown as R;
        },
        render(r: R): string {
            const cs = conds(r);
            const tgt = r.target !== undefined ? " " + q(r.target, "modeid", "mount point") : "";
            return `${prefix(r)}${r.kind}${cs}${tgt},`;
        },
        validate: validateMountLike,
    };
}

export const remountKind: RuleKind<RemountRule> = remountOrUmount<RemountRule>("remount", [
    "remount",
]);
export const umountKind: RuleKind<UmountRule> = remountOrUmount<UmountRule>("umount", [
    "umount",
    "unmount",
]);
