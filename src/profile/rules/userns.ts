/**
 * `userns [create],` (AppArmor 4): whether the confined task may create user namespaces.
 */
import { checkStringArray, inSet, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { codePrefix, prefix, ProfileRenderError, sortedUnique } from "../quoting";
import { qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { abi4Tokens } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `userns,` or `userns create,` (the same: create is the only user namespace permission). */
export interface UsernsRule extends Qualifiers {
    readonly kind: "userns";
    /** access set: `create`, or empty (= all, which is create). */
    readonly access: readonly string[];
}

/** Access words of userns rules. */
export const USERNS_ACCESS: readonly string[] = ["create"];
const BARE: ReadonlySet<string> = new Set(USERNS_ACCESS);

/** Options of `userns(...)`. */
export interface UsernsOptions {
    /** access set: `["create"]`. Defaults to all (`userns,`, which is create). */
    readonly access?: readonly string[];
}

/** `userns(…)` with the qualifiers `q`. */
export function buildUserns(q: Qualifiers, opts?: UsernsOptions): UsernsRule {
    return { kind: "userns", ...q, access: [...(opts?.access ?? [])] };
}

export const usernsKind: RuleKind<UsernsRule> = {
    kind: "userns",
    keywords: ["userns"],
    parse(s: Scanner, p: Prefix, w: string): UsernsRule {
        const t = abi4Tokens(s, w, BARE, false, []);
        if (t.ids.length) throw new Untyped();
        return { kind: "userns", ...qualifiers(p), access: t.access };
    },
    render(r: UsernsRule): string {
        // the USERNS lexer mode reads one bare permission word, no list
        const vs = sortedUnique(r.access);
        if (vs.length > 1 || (vs.length === 1 && vs[0] !== "create")) {
            throw new ProfileRenderError(`userns access ${JSON.stringify(vs)} is not [\"create\"]`);
        }
        const access = vs.length ? " create" : "";
        return `${prefix(r)}userns${access},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(USERNS_ACCESS, "userns access", "use create (or [] for userns,)"),
        );
        if (r.access === undefined)
            c.fail(join(base, "access"), "is missing", 'use [] for userns, or ["create"]');
    },
    code(r: UsernsRule): string {
        return `${codePrefix(r)}userns(${r.access.length ? '{ access: ["create"] }' : ""})`;
    },
};
