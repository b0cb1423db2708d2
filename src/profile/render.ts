/**
 * Renderer: typed model → AppArmor policy text.
 *
 * Deterministic (the same model always gives the same bytes) and canonical: one rule per line,
 * two-space indentation per nesting level, set-valued fields (permissions, access sets,
 * capabilities, signals, flags) sorted and de-duplicated, values quoted only when the lexer needs it.
 * Values that cannot be written without changing their meaning (newline, NUL, an unescaped `"`, a
 * trailing lone backslash) make the renderer throw {@link ProfileRenderError} rather than emit text
 * that means something else; `validateProfile` reports those earlier with a field path.
 */

import {
    AnyItem,
    FILE_ACCESS_ORDER,
    MountCondition,
    PolicyDocument,
    Profile,
    Qualifiers,
} from "./model";

/** A model value that cannot be rendered safely. */
export class ProfileRenderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ProfileRenderError";
    }
}

const INDENT = "  ";

// ---------------------------------------------------------------------------------------------------
// Values and quoting (per lexer context, see parser.ts)
// ---------------------------------------------------------------------------------------------------

function checkRepresentable(v: string, what: string): void {
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
function unsafeCommon(v: string): boolean {
    return v === "" || /[\s"!]/.test(v) || /,(?=[\s,"!]|$)/.test(v);
}

type Ctx = "label" | "id" | "value" | "modeid" | "list" | "assign";

function q(v: string, ctx: Ctx, what: string): string {
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

function word(v: string, what: string): string {
    if (!/^[A-Za-z0-9_+-]+$/.test(v)) {
        throw new ProfileRenderError(`${what} ${JSON.stringify(v)} is not a plain word`);
    }
    return v;
}

function sortedUnique(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}

function list(values: readonly string[], what: string): string {
    return `(${values.map((v) => q(v, "list", what)).join(", ")})`;
}

function prefix(r: Qualifiers & { owner?: boolean }): string {
    let p = "";
    if (r.audit) p += "audit ";
    if (r.deny) p += "deny ";
    else if (r.allow) p += "allow ";
    if (r.owner) p += "owner ";
    return p;
}

/** keywords each IPC lexer mode returns as a permission token (may be written without parens). */
const BARE_PERMS: Record<string, ReadonlySet<string>> = {
    signal: new Set(["send", "receive", "read", "write", "r", "w", "rw", "wr"]),
    ptrace: new Set(["trace", "readby", "tracedby", "read", "write", "r", "w", "rw", "wr"]),
    unix: new Set([
        "create", "listen", "accept", "connect", "getattr", "setattr", "getopt", "setopt",
        "shutdown", "bind", "send", "receive", "read", "write", "r", "w", "rw", "wr",
    ]), // prettier-ignore
    dbus: new Set(["bind", "eavesdrop", "send", "receive", "read", "write", "r", "w", "rw", "wr"]),
};

function access(kind: string, values: readonly string[]): string {
    const vs = sortedUnique(values);
    if (vs.length === 0) return "";
    if (vs.length === 1 && BARE_PERMS[kind].has(vs[0])) return ` ${vs[0]}`;
    return ` ${list(vs, `${kind} access`)}`;
}

function cond(c: MountCondition): string {
    const name = word(c.name, "condition name");
    if (c.op === "in") return `${name} in ${list(c.values, `${name} value`)}`;
    if (c.values.length === 1 && !unsafeCommon(c.values[0]) && !/[(),]/.test(c.values[0])) {
        return `${name}=${q(c.values[0], "value", `${name} value`)}`;
    }
    return `${name}=${list(c.values, `${name} value`)}`;
}

function kv(name: string, v: string | undefined): string {
    return v === undefined ? "" : ` ${name}=${q(v, "value", name)}`;
}

function peerList(
    peer: Readonly<Record<string, string | undefined>> | undefined,
    keys: string[],
): string {
    if (!peer) return "";
    const parts = keys
        .filter((k) => peer[k] !== undefined)
        .map((k) => `${k}=${q(peer[k] as string, "list", `peer ${k}`)}`);
    return parts.length ? ` peer=(${parts.join(", ")})` : "";
}

function filePerms(accessList: readonly string[], exec: string | undefined): string {
    const set = new Set(accessList);
    for (const a of set) {
        if (!(FILE_ACCESS_ORDER as readonly string[]).includes(a)) {
            throw new ProfileRenderError(`invalid file permission ${JSON.stringify(a)}`);
        }
    }
    const letters = FILE_ACCESS_ORDER.filter((a) => set.has(a)).join("");
    if (exec !== undefined && !/^(x|[iuUpPcC]x|[pPcC]ix|pux|cux|PUx|CUx)$/.test(exec)) {
        throw new ProfileRenderError(`invalid exec mode ${JSON.stringify(exec)}`);
    }
    return letters + (exec ?? "");
}

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
        case "file": {
            const p = prefix(item);
            if (item.path === undefined) return `${p}file,`;
            const target =
                item.target !== undefined ? ` -> ${q(item.target, "id", "exec target")}` : "";
            const mode = item.execMode ? `${word(item.execMode, "exec mode keyword")} ` : "";
            return `${p}${mode}${q(item.path, "label", "file path")} ${filePerms(item.access, item.exec)}${target},`;
        }
        case "link":
            return `${prefix(item)}link ${item.subset ? "subset " : ""}${q(item.path, "label", "link path")} -> ${q(item.target, "label", "link target")},`;
        case "capability": {
            const caps = sortedUnique(item.capabilities).map((c) => word(c, "capability"));
            return `${prefix(item)}capability${caps.map((c) => " " + c).join("")},`;
        }
        case "network": {
            const parts = [item.domain, item.type, item.protocol]
                .filter((x): x is string => x !== undefined)
                .map((x) => " " + word(x, "network qualifier"));
            return `${prefix(item)}network${parts.join("")},`;
        }
        case "mount": {
            const conds = item.conditions.map((c) => " " + cond(c)).join("");
            const src =
                item.source !== undefined ? " " + q(item.source, "modeid", "mount source") : "";
            const tgt =
                item.target !== undefined ? " -> " + q(item.target, "modeid", "mount point") : "";
            return `${prefix(item)}mount${conds}${src}${tgt},`;
        }
        case "remount":
        case "umount": {
            const conds = item.conditions.map((c) => " " + cond(c)).join("");
            const tgt =
                item.target !== undefined ? " " + q(item.target, "modeid", "mount point") : "";
            return `${prefix(item)}${item.kind}${conds}${tgt},`;
        }
        case "pivot_root": {
            const old = kv("oldroot", item.oldroot);
            const nr =
                item.newroot !== undefined ? " " + q(item.newroot, "modeid", "new root") : "";
            const tgt =
                item.target !== undefined ? " -> " + q(item.target, "modeid", "profile") : "";
            return `${prefix(item)}pivot_root${old}${nr}${tgt},`;
        }
        case "signal": {
            const sigs = sortedUnique(item.signals);
            const set = sigs.length ? ` set=${list(sigs, "signal")}` : "";
            return `${prefix(item)}signal${access("signal", item.access)}${set}${kv("peer", item.peer)},`;
        }
        case "ptrace":
            return `${prefix(item)}ptrace${access("ptrace", item.access)}${kv("peer", item.peer)},`;
        case "unix": {
            const fields = (["type", "protocol", "addr", "label", "attr", "opt"] as const)
                .map((k) => kv(k, item[k]))
                .join("");
            const peer = peerList(item.peer as Record<string, string | undefined>, [
                "label",
                "addr",
            ]);
            return `${prefix(item)}unix${access("unix", item.access)}${fields}${peer},`;
        }
        case "dbus": {
            const fields = (["bus", "path", "interface", "member", "name"] as const)
                .map((k) => kv(k, item[k]))
                .join("");
            const peer = peerList(item.peer as Record<string, string | undefined>, [
                "name",
                "label",
            ]);
            return `${prefix(item)}dbus${access("dbus", item.access)}${fields}${peer},`;
        }
        case "change_profile": {
            const mode = item.execMode ? ` ${word(item.execMode, "exec mode keyword")}` : "";
            const exec = item.exec !== undefined ? " " + q(item.exec, "id", "exec path") : "";
            const tgt =
                item.target !== undefined ? " -> " + q(item.target, "id", "target profile") : "";
            return `${prefix(item)}change_profile${mode}${exec}${tgt},`;
        }
        case "rlimit":
            return `set rlimit ${word(item.resource, "rlimit resource")} <= ${word(item.value, "rlimit value")},`;
        default:
            throw new ProfileRenderError(
                `unknown item kind ${JSON.stringify((item as { kind?: unknown }).kind)}`,
            );
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
