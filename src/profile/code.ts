/**
 * A rule as TypeScript builder code (`file("/tmp/a/x", "w")`, `deny.file(…)`, `capability("fsetid")`), for
 * suggestions a user pastes into a program's `.with(…)`. Pure. Kinds without a compact builder form
 * (each rule kind's `code` in `rules/`) become `raw("<rendered rule>")`, which the parser and
 * validator accept the same way.
 */
import type { Rule } from "./model";
import { lit } from "./quoting";
import { renderRule } from "./render";
import { ruleKind } from "./rules";

/** The builder expression for `rule`. */
export function ruleCode(rule: Rule): string {
    return ruleKind(rule.kind)?.code?.(rule) ?? `raw(${lit(renderRule(rule))})`;
}
