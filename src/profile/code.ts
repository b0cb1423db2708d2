/**
 * A rule as TypeScript builder code (`file("/tmp/a/x", "w")`, `deny.file(…)`, `capability("fsetid")`), for
 * suggestions a user pastes into a program's `.with(…)`. Pure. Kinds without a compact builder form
 * become `raw("<rendered rule>")`, which the parser and validator accept the same way.
 */
import type { FileRule, Qualifiers, Rule } from "./model";
import { FILE_ACCESS_ORDER } from "./model";
import { renderRule } from "./render";

/** A JavaScript string literal (control characters and quotes escaped). */
function lit(s: string): string {
    return JSON.stringify(s).replace(
        /[\u2028\u2029]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16)}`,
    );
}

/** `audit.deny.` / `deny.` / `allow.` / "" for the rule's qualifiers. */
function prefix(q: Qualifiers & { owner?: boolean }): string {
    let p = "";
    if (q.owner) p += "owner.";
    if (q.audit) p += "audit.";
    if (q.deny) p += "deny.";
    else if (q.allow) p += "allow.";
    return p;
}

function filePerms(r: FileRule): string {
    const order = FILE_ACCESS_ORDER as readonly string[];
    const acc = [...r.access].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join("");
    return acc + (r.exec ?? "");
}

/** The builder expression for `rule`. */
export function ruleCode(rule: Rule): string {
    switch (rule.kind) {
        case "file":
            if (
                rule.path !== undefined &&
                rule.execMode === undefined &&
                (rule.target === undefined || rule.exec !== undefined)
            ) {
                const args = [lit(rule.path), lit(filePerms(rule))];
                if (rule.target !== undefined) args.push(lit(rule.target));
                return `${prefix(rule)}file(${args.join(", ")})`;
            }
            break;
        case "capability":
            return `${prefix(rule)}capability(${rule.capabilities.map(lit).join(", ")})`;
        case "network": {
            const parts = [rule.domain, rule.type, rule.protocol];
            while (parts.length > 0 && parts[parts.length - 1] === undefined) parts.pop();
            if (parts.every((p) => p !== undefined)) {
                const q = prefix(rule);
                return `${q}network(${(parts as string[]).map(lit).join(", ")})`;
            }
            break;
        }
    }
    return `raw(${lit(renderRule(rule))})`;
}
