/**
 * The interface every rule kind implements (one module per kind in this folder, listed in
 * `index.ts`): how the parser reads it, how the renderer writes it, how the validator checks it and
 * how `ruleCode` writes it as builder code. A new kind is one new module plus one registry line.
 */
import type { Collector, Obj } from "../check";
import type { Prefix, Scanner } from "../scanner";

export interface RuleKind<R extends { readonly kind: string }> {
    /** the model's `kind` discriminant. */
    readonly kind: R["kind"];
    /** statement keywords that start the rule (after any qualifiers unless `bare`). */
    readonly keywords: readonly string[];
    /** takes the `owner` qualifier (file and link rules); others keep an owner rule raw. */
    readonly owner?: boolean;
    /** takes no `priority=N` prefix (AppArmor 4.1 rejects it on network and `all` rules). */
    readonly noPriority?: boolean;
    /**
     * Whether the statement at the keyword is this kind (default: always). `all` is the `all,` rule
     * only when `,` follows; `all /x,` is a file rule granting `a` and `l`.
     */
    claims?(s: Scanner): boolean;
    /** a statement without qualifiers (`set rlimit …`), recognised before `audit`/`deny`/`owner`. */
    readonly bare?: boolean;
    /**
     * Read the rule; the scanner is at `keyword` (after the qualifiers `p`), or at the rule itself
     * for the default kind (file rules, keyword ""). Throws `Untyped` for a well-formed rule the model
     * does not type (kept raw), `ProfileParseError` for a syntax error.
     */
    parse(s: Scanner, p: Prefix, keyword: string): R;
    /** The rule as one line of policy (no indentation, no newline). Throws `ProfileRenderError`. */
    render(rule: R): string;
    /** Check the rule's own fields (qualifiers are checked by the caller); `r` may be any object. */
    validate(c: Collector, r: Obj, base: string): void;
    /** Builder code for the rule (`file("/x", "r")`), or undefined when there is no compact form. */
    code?(rule: R): string | undefined;
}
