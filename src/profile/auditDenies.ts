/**
 * Audited deny rules. AppArmor does not log what a plain `deny` rule refuses (such denials are
 * "quiet"), so a denial the user asked for never shows up in the audit log, nor in the `denials`
 * output. `audit deny` logs it. Adding `audit` changes logging only: what is allowed and denied stays
 * the same (in complain mode an `audit deny` rule is logged as ALLOWED).
 *
 * {@link auditDenies} rewrites a model's deny rules to `audit deny`:
 * - `"user"`: the deny rules the user added; the docker-default template's own deny rules (the
 *   `/proc`, `/sys` and `mount` denies moby ships, see {@link dockerDefaultModel}) stay quiet, as in
 *   moby's profile, because a busy host hits them constantly;
 * - `"all"`: every deny rule;
 * - `"none"`: none (the model as written).
 * A template rule is recognised by being equal to one (same rule, any position); raw rules are not
 * rewritten ({@link quietDenies} lists them). Pure.
 */
import { dockerDefaultModel } from "./dockerDefault";
import {
    ruleKey,
    type PolicyDocument,
    type PolicyItem,
    type Profile,
    type ProfileItem,
} from "./model";
import { parseRules } from "./parser";
import { renderRule } from "./render";

/** Which deny rules to render as `audit deny`. */
export type AuditDenies = "user" | "all" | "none";

export const AUDIT_DENIES: readonly AuditDenies[] = ["user", "all", "none"];

let templateKeys: ReadonlySet<string> | undefined;

/** Keys of the docker-default template's own deny rules (they do not depend on the name). */
function templateDenies(): ReadonlySet<string> {
    if (!templateKeys) {
        const doc = dockerDefaultModel({ name: "x", comments: false });
        const prof = doc.items.find((i): i is Profile => i.kind === "profile")!;
        templateKeys = new Set(
            prof.rules.filter((r) => "deny" in r && r.deny).map((r) => ruleKey(r)),
        );
    }
    return templateKeys;
}

function isQuietDeny(r: ProfileItem): boolean {
    return "deny" in r && !!r.deny && !("audit" in r && r.audit);
}

/** Whether `auditDenies` turns this deny rule into `audit deny`. */
function audited(r: ProfileItem, mode: AuditDenies): boolean {
    if (mode === "none" || !isQuietDeny(r)) return false;
    return mode === "all" || !templateDenies().has(ruleKey(r));
}

function rewriteProfile(p: Profile, mode: AuditDenies): Profile {
    let changed = false;
    const rules = p.rules.map((r): ProfileItem => {
        if (r.kind === "profile") {
            const n = rewriteProfile(r, mode);
            if (n !== r) changed = true;
            return n;
        }
        if (!audited(r, mode)) return r;
        changed = true;
        return { ...r, audit: true } as ProfileItem;
    });
    return changed ? { ...p, rules } : p;
}

/**
 * The model with its deny rules rendered `audit deny` as `mode` says (see the module doc). Returns
 * the same object when nothing changes (so "none", or a model without quiet user denies, renders
 * byte for byte as before).
 */
export function auditDenies<T extends Profile | PolicyDocument>(model: T, mode: AuditDenies): T {
    if (mode === "none") return model;
    if (model.kind === "profile") return rewriteProfile(model as Profile, mode) as T;
    const doc = model as PolicyDocument;
    let changed = false;
    const items = doc.items.map((it): PolicyItem => {
        if (it.kind !== "profile") return it;
        const n = rewriteProfile(it, mode);
        if (n !== it) changed = true;
        return n;
    });
    return (changed ? { ...doc, items } : doc) as T;
}

/**
 * The deny rules that stay quiet (unlogged) in `model` under `mode`, as policy lines: deny rules
 * `auditDenies` leaves alone (all of them for "none"; the user's only, not the template's, for the
 * others), and deny rules inside raw text. For the preview warning.
 */
export function quietDenies(model: Profile | PolicyDocument, mode: AuditDenies): string[] {
    const out: string[] = [];
    const visit = (items: readonly (ProfileItem | PolicyItem)[]): void => {
        for (const r of items) {
            if (r.kind === "profile") visit(r.rules);
            else if (r.kind === "raw") {
                let parsed: ProfileItem[] = [];
                try {
                    parsed = parseRules(r.text);
                } catch {
                    // invalid raw text is reported by the validator
                }
                const typed = parsed.filter((x) => x.kind !== "raw");
                for (const x of typed)
                    if (isQuietDeny(x) && !templateDenies().has(ruleKey(x)))
                        out.push(`${renderRule(x)} (raw text is not rewritten)`);
                if (parsed.some((x) => x.kind === "raw" && /(^|[\s{])deny\s/.test(x.text)))
                    out.push(`${r.text.split("\n")[0]} (raw text is not rewritten)`);
            } else if (isQuietDeny(r as ProfileItem)) {
                const rule = r as ProfileItem;
                if (!templateDenies().has(ruleKey(rule)) && !audited(rule, mode))
                    out.push(renderRule(rule));
            }
        }
    };
    visit(model.kind === "profile" ? [model] : model.items);
    return out;
}
