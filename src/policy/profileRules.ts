/**
 * The rules of each profile in a policy document, as the kernel would see them: nested profiles and
 * hats flattened out with their full names (`parent//child`), and the bodies of blocks the model
 * keeps as raw text (`if … { } else { }`, qualifier blocks such as `audit { … }`) parsed with the
 * library's own parser, their qualifiers applied. Pure.
 */
import { parseProfile } from "../profile/parser";
import type { PolicyDocument, Profile, ProfileItem, RawRule, Rule } from "../profile/model";

/** One profile's rules (own rules and those of its raw blocks; no nested profiles). */
export interface FlatProfile {
    /** Full name (`parent//child` for children and hats). */
    readonly name: string;
    /** Whether it is a top-level profile of the document. */
    readonly topLevel: boolean;
    readonly profile: Profile;
    readonly rules: readonly Rule[];
    /** Raw text that is neither a block nor a typed rule: forms the parser keeps raw (e.g. `prompt` rules). */
    readonly rawRules: readonly string[];
    /** Raw blocks whose bodies could not be parsed (so their rules were not seen). */
    readonly unreadable: readonly { readonly text: string; readonly error: string }[];
}

const QUALIFIERS = new Set(["audit", "deny", "allow", "owner"]);

/** Every profile of a document (depth first, parents before their children). */
export function flattenProfiles(doc: PolicyDocument): FlatProfile[] {
    const out: FlatProfile[] = [];
    for (const item of doc.items) if (item.kind === "profile") visit(item, item.name, true, out);
    return out;
}

function visit(p: Profile, name: string, topLevel: boolean, out: FlatProfile[]): void {
    const rules: Rule[] = [];
    const rawRules: string[] = [];
    const unreadable: { text: string; error: string }[] = [];
    const children: { p: Profile; name: string }[] = [];
    const take = (items: readonly ProfileItem[], quals: readonly string[]): void => {
        for (const item of items) {
            if (item.kind === "profile") children.push({ p: item, name: `${name}//${item.name}` });
            else if (item.kind === "raw") {
                const block = rawBlock(item);
                if (block === undefined) rawRules.push(item.text);
                else if ("error" in block) unreadable.push({ text: item.text, error: block.error });
                else for (const body of block.bodies) take(body, [...quals, ...block.qualifiers]);
            } else if (item.kind !== "include" && item.kind !== "comment")
                rules.push(qualify(item, quals));
        }
    };
    take(p.rules, []);
    out.push({ name, topLevel, profile: p, rules, rawRules, unreadable });
    for (const c of children) visit(c.p, c.name, false, out);
}

/** A rule with the qualifiers of the blocks around it. */
function qualify(rule: Rule, quals: readonly string[]): Rule {
    if (quals.length === 0 || rule.kind === "rlimit") return rule;
    const q: Record<string, boolean> = {};
    if (quals.includes("audit")) q.audit = true;
    if (quals.includes("deny")) q.deny = true;
    if (quals.includes("owner") && (rule.kind === "file" || rule.kind === "link")) q.owner = true;
    return { ...rule, ...q } as Rule;
}

/**
 * The bodies of a raw block (`if … { A } else { B }` gives A and B; `audit deny { A }` gives A with
 * its qualifiers), parsed; undefined when the raw text is not a block.
 */
function rawBlock(
    raw: RawRule,
): { qualifiers: string[]; bodies: (readonly ProfileItem[])[] } | { error: string } | undefined {
    const spans = topLevelBraces(raw.text);
    if (spans.length === 0) return undefined;
    const head = raw.text.slice(0, spans[0].open).trim().split(/\s+/);
    const qualifiers = head.every((w) => QUALIFIERS.has(w)) ? head : [];
    try {
        const bodies = spans.map((s) => {
            const body = raw.text.slice(s.open + 1, s.close);
            const doc = parseProfile(`profile __block {\n${body}\n}\n`);
            return (doc.items.find((i) => i.kind === "profile") as Profile).rules;
        });
        return { qualifiers, bodies };
    } catch (e) {
        return { error: (e as Error).message };
    }
}

/** Offsets of the top-level `{ … }` pairs of a text (quotes and `#` comments skipped). */
function topLevelBraces(text: string): { open: number; close: number }[] {
    const out: { open: number; close: number }[] = [];
    let depth = 0;
    let open = -1;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '"') {
            for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
        } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
            while (i < text.length && text[i] !== "\n") i++;
        } else if (c === "{" && (text[i - 1] === "$" || text[i - 1] === "@")) {
            while (i < text.length && text[i] !== "}") i++; // a variable: ${BOOL}, @{VAR}
        } else if (c === "{") {
            if (depth++ === 0) open = i;
        } else if (c === "}" && depth > 0 && --depth === 0) out.push({ open, close: i });
    }
    return out;
}
