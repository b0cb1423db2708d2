/**
 * `[audit] [deny|allow] [owner] link [subset] PATH -> TARGET,`: hard links.
 */
import { join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { prefix, q } from "../quoting";
import { label, qualifiers, type Prefix, type Scanner } from "../scanner";
import { validatePath } from "../values";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** Link rule: `[audit] [deny|allow] [owner] link [subset] PATH -> TARGET,` */
export interface LinkRule extends Qualifiers {
    readonly kind: "link";
    readonly owner?: boolean;
    /** `subset`: the link gets at most the permissions of the target. */
    readonly subset?: boolean;
    readonly path: string;
    readonly target: string;
}

/** `link(path, target, { subset })` with the qualifiers `q` (and `owner`). */
export function buildLink(
    q: Qualifiers,
    owner: boolean | undefined,
    path: string,
    target: string,
    opts?: { readonly subset?: boolean },
): LinkRule {
    const rule: Record<string, unknown> = { kind: "link", ...q };
    if (owner) rule.owner = true;
    if (opts?.subset) rule.subset = true;
    rule.path = path;
    rule.target = target;
    return rule as unknown as LinkRule;
}

export const linkKind: RuleKind<LinkRule> = {
    kind: "link",
    keywords: ["link"],
    owner: true,
    parse(s: Scanner, p: Prefix): LinkRule {
        s.pos += 4;
        s.skipWs();
        let subset = false;
        if (s.atWord("subset")) {
            s.pos += 6;
            subset = true;
            s.skipWs();
        } else if (s.startsWith("<=")) {
            s.pos += 2;
            subset = true;
            s.skipWs();
        }
        const path = label(s, "a link path");
        s.skipWs();
        s.expect("->", "'->' in link rule");
        s.skipWs();
        const target = s.peek() === '"' ? s.quoted() : label(s, "a link target path");
        s.endOfRule();
        return {
            kind: "link",
            ...qualifiers(p),
            ...(p.owner ? { owner: true } : {}),
            ...(subset ? { subset: true } : {}),
            path,
            target,
        };
    },
    render(r: LinkRule): string {
        return `${prefix(r)}link ${r.subset ? "subset " : ""}${q(r.path, "label", "link path")} -> ${q(r.target, "label", "link target")},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        if (typeof r.path !== "string")
            c.fail(join(base, "path"), "link rule needs a path", "add the link path");
        else c.add(join(base, "path"), validatePath(r.path));
        if (typeof r.target !== "string")
            c.fail(join(base, "target"), "link rule needs a target", "add the target path");
        else c.add(join(base, "target"), validatePath(r.target, "target"));
    },
};
