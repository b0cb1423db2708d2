/**
 * Renderer: typed model → AppArmor policy text.
 *
 * Deterministic (the same model always gives the same bytes) and canonical: one rule per line,
 * two-space indentation per nesting level, set-valued fields (permissions, access sets,
 * capabilities, signals, flags) sorted and de-duplicated, values quoted only when the lexer needs it.
 * Values that cannot be written without changing their meaning (newline, NUL, an unescaped `"`, a
 * trailing lone backslash) make the renderer throw {@link ProfileRenderError} rather than emit text
 * that means something else; `validateProfile` reports those earlier with a field path.
 *
 * This module writes the document structure; each rule is written by its kind in `rules/`, with the
 * quoting of `quoting.ts`.
 */

import type { AnyItem, PolicyDocument, Profile, Rule } from "./model";
import { checkRepresentable, list, ProfileRenderError, q, sortedUnique } from "./quoting";
import { ruleKind } from "./rules";

export { ProfileRenderError };

const INDENT = "  ";

// ---------------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------------

/**
 * Render one item (rule, include, comment, raw text, preamble statement or nested profile) without
 * a trailing newline. `indent` is prepended to every line.
 */
export function renderRule(item: AnyItem, indent = ""): string {
    switch (item.kind) {
        case "profile":
            return renderProfileBlock(item, indent);
        case "raw":
            if (item.text.includes("\0")) throw new ProfileRenderError("raw rule contains NUL");
            return item.text
                .split("\n")
                .map((l) => (l.trim() === "" ? "" : indent + l.trim()))
                .filter((l) => l !== "")
                .join("\n");
        default:
            return indent + renderLine(item);
    }
}

function renderLine(item: Exclude<AnyItem, Profile | { kind: "raw" }>): string {
    switch (item.kind) {
        case "comment": {
            if (/[\n\r\0]/.test(item.text)) {
                throw new ProfileRenderError("comment text contains a newline or NUL");
            }
            if (/^include/.test(item.text)) {
                throw new ProfileRenderError(
                    `comment text ${JSON.stringify(item.text)} would be read as '#include'`,
                );
            }
            return `#${item.text}`;
        }
        case "abi":
            return `abi ${includePath(item.path, item.form)},`;
        case "include":
            return `${item.hash ? "#include" : "include"}${item.ifExists ? " if exists" : ""} ${includePath(item.path, item.form)}`;
        case "variable": {
            if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(item.name)) {
                throw new ProfileRenderError(`invalid variable name ${JSON.stringify(item.name)}`);
            }
            if (item.values.length === 0) {
                throw new ProfileRenderError(`variable @{${item.name}} has no values`);
            }
            if (item.op !== "=" && item.op !== "+=") {
                throw new ProfileRenderError(
                    `invalid assignment operator ${JSON.stringify(item.op)}`,
                );
            }
            const vs = item.values.map((v) => q(v, "assign", `value of @{${item.name}}`));
            return `@{${item.name}} ${item.op} ${vs.join(" ")}`;
        }
        case "alias":
            return `alias ${q(item.from, "label", "alias")} -> ${q(item.to, "label", "alias target")},`;
        default: {
            const kind = ruleKind(item.kind);
            if (kind) return kind.render(item as Rule);
            throw new ProfileRenderError(
                `unknown item kind ${JSON.stringify((item as { kind?: unknown }).kind)}`,
            );
        }
    }
}

function includePath(path: string, form: "angle" | "quoted"): string {
    checkRepresentable(path, "include path");
    if (form === "quoted") return `"${path}"`;
    if (path === "" || /[">\s]/.test(path) || path !== path.trim()) return `<"${path}">`;
    return `<${path}>`;
}

function profileHeader(p: Profile): string {
    let h = p.hat
        ? `^${q(p.name, "id", "hat name")}`
        : `profile ${q(p.name, "id", "profile name")}`;
    if (p.attachment !== undefined) h += " " + q(p.attachment, "label", "attachment");
    if (p.xattrs && p.xattrs.length) {
        const xs = p.xattrs.map((x) =>
            x.value === undefined
                ? q(x.key, "list", "xattr key")
                : `${q(x.key, "list", "xattr key")}=${q(x.value, "list", "xattr value")}`,
        );
        h += ` xattrs=(${xs.join(" ")})`;
    }
    if (p.flags && p.flags.length) h += ` flags=${list(sortedUnique(p.flags), "flag")}`;
    return h;
}

/**
 * Join rendered items, separating profiles (hats, child profiles) from their neighbours by a blank
 * line; comments directly above a profile stay attached to it.
 */
function joinItems(items: readonly AnyItem[], indent: string): string[] {
    const out: string[] = [];
    const startsProfileGroup = (i: number): boolean => {
        let j = i;
        while (j < items.length && items[j].kind === "comment") j++;
        return j < items.length && items[j].kind === "profile";
    };
    items.forEach((it, i) => {
        if (i > 0) {
            const prev = items[i - 1];
            if (
                prev.kind === "profile" ||
                (prev.kind !== "comment" && (it.kind === "profile" || startsProfileGroup(i)))
            ) {
                out.push("");
            }
        }
        out.push(renderRule(it, indent));
    });
    return out;
}

function renderProfileBlock(p: Profile, indent: string): string {
    return [
        `${indent}${profileHeader(p)} {`,
        ...joinItems(p.rules, indent + INDENT),
        `${indent}}`,
    ].join("\n");
}

/**
 * Render a whole policy document (or a single profile) as canonical policy text ending in a
 * newline: preamble statements one per line, a blank line around each profile (comments directly
 * above a profile stay attached to it).
 */
export function renderProfile(model: PolicyDocument | Profile): string {
    const items = model.kind === "document" ? model.items : [model];
    return joinItems(items, "").join("\n") + "\n";
}
