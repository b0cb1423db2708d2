/**
 * Writing values as policy text: quoting per lexer context (see `scanner.ts`), plain words, lists,
 * qualifier prefixes and `key=value` fields, shared by the renderer (`render.ts`) and the rule kinds
 * (`rules/*.ts`); and the pieces of builder code (`code.ts`).
 */

import type { Qualifiers } from "./model";

/** A model value that cannot be rendered safely. */
export class ProfileRenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ProfileRenderError";
    }
}

export function checkRepresentable(v: string, what: string): void {
    if (/[\n\r\0]/.test(v)) {
        throw new ProfileRenderError(`${what} ${JSON.stringify(v)} contains a newline or NUL`);
    }
    // every `"` must be escaped, and the value must not end in an odd number of backslashes
    let i = 0;
    while (i < v.length) {
        const c = v.charAt(i);
        if (c === "\\") {
            if (i + 1 >= v.length) {
                throw new ProfileRenderError(
                    `${what} ${JSON.stringify(v)} ends with a lone backslash`,
                );
            }
            i += 2;
            continue;
        }
        if (c === '"') {
            throw new ProfileRenderError(`${what} ${JSON.stringify(v)} contains an unescaped '"'`);
        }
        i++;
    }
}

/** Characters/constructs that end an unquoted id in every lexer context. */
export function unsafeCommon(v: string): boolean {
    return v === "" || /[\s"!]/.test(v) || /,(?=[\s,"!]|$)/.test(v);
}

export type Ctx = "label" | "id" | "value" | "modeid" | "list" | "assign";

export function q(v: string, ctx: Ctx, what: string): string {
    checkRepresentable(v, what);
    let quote = unsafeCommon(v);
    if (!quote) {
        switch (ctx) {
            case "label": {
                // a leading variable must be followed by a character the lexer keeps in the label
                // (`@{V}=x` would read as an assignment)
                if (v.startsWith("@")) {
                    const m = /^@(\{[A-Za-z][A-Za-z0-9_]*\}|[A-Za-z][A-Za-z0-9_]*)/.exec(v);
                    quote = !m || "=+".includes(v.charAt(m[0].length) || "x");
                }
                break;
            }
            case "id":
                break;
            case "value":
                quote = v.startsWith("(");
                break;
            case "modeid":
                quote =
                    (!/^[/@:&]/.test(v) &&
                        (/[=)]/.test(v) || /^[(+]/.test(v) || v.startsWith("->"))) ||
                    // a lone variable is no LABEL for the lexer (it needs a character after it)
                    /^@\{[A-Za-z][A-Za-z0-9_]*\}$/.test(v);
                break;
            case "list":
                quote = /[(),]/.test(v);
                break;
            case "assign":
                quote = v.startsWith("#");
                break;
        }
    }
    return quote ? `"${v}"` : v;
}

export function word(v: string, what: string): string {
    if (!/^[A-Za-z0-9_+-]+$/.test(v)) {
        throw new ProfileRenderError(`${what} ${JSON.stringify(v)} is not a plain word`);
    }
    return v;
}

export function sortedUnique(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}

export function list(values: readonly string[], what: string): string {
    return `(${values.map((v) => q(v, "list", what)).join(", ")})`;
}

export function prefix(r: Qualifiers & { owner?: boolean }): string {
    let p = "";
    if (r.priority !== undefined) {
        if (!Number.isSafeInteger(r.priority)) {
            throw new ProfileRenderError(`priority ${String(r.priority)} is not an integer`);
        }
        p += `priority=${r.priority} `;
    }
    if (r.audit) p += "audit ";
    if (r.deny) p += "deny ";
    else if (r.allow) p += "allow ";
    if (r.owner) p += "owner ";
    return p;
}

/**
 * An access set as the IPC lexer modes read it: nothing (all), a bare permission word of `bare`, or
 * a parenthesised list.
 */
export function access(kind: string, values: readonly string[], bare: ReadonlySet<string>): string {
    const vs = sortedUnique(values);
    if (vs.length === 0) return "";
    if (vs.length === 1 && bare.has(vs[0])) return ` ${vs[0]}`;
    return ` ${list(vs, `${kind} access`)}`;
}

export function kv(name: string, v: string | undefined): string {
    return v === undefined ? "" : ` ${name}=${q(v, "value", name)}`;
}

export function peerList(
    peer: Readonly<Record<string, string | undefined>> | undefined,
    keys: string[],
): string {
    if (!peer) return "";
    const parts = keys
        .filter((k) => peer[k] !== undefined)
        .map((k) => `${k}=${q(peer[k] as string, "list", `peer ${k}`)}`);
    return parts.length ? ` peer=(${parts.join(", ")})` : "";
}

/** A JavaScript string literal (control characters and quotes escaped), for builder code. */
export function lit(s: string): string {
    return JSON.stringify(s).replace(
        /[\u2028\u2029]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16)}`,
    );
}

/**
 * `priority(5).owner.audit.deny.` / `deny.` / `allow.` / "" for the rule's qualifiers, in builder
 * code.
 */
export function codePrefix(q: Qualifiers & { owner?: boolean }): string {
    let p = q.priority !== undefined ? `priority(${q.priority}).` : "";
    if (q.owner) p += "owner.";
    if (q.audit) p += "audit.";
    if (q.deny) p += "deny.";
    else if (q.allow) p += "allow.";
    return p;
}
