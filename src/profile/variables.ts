/**
 * Variables of a whole policy file, as apparmor_parser resolves them: every `@{NAME}` a profile uses
 * must be declared in the file (`@{NAME} = …`) or by an included tunables file, `=` declares a
 * variable once, `+=` appends to a declared one, and declarations may not refer to themselves. The
 * built-in `@{profile_name}` is defined inside profile bodies only (not in names or attachments).
 * Pure; used by `validate.ts` when the model is a complete file.
 */
import type { PolicyDocument, PolicyItem, Profile, ProfileItem } from "./model";
import { parseProfile, parseRules } from "./parser";
import type { ValidationProblem } from "./validate";

/**
 * Variables AppArmor 3.0's stock tunables files declare (`/etc/apparmor.d/tunables/…`);
 * `tunables/global` includes all of them but `dovecot`, `securityfs` and `apparmorfs`.
 */
export const TUNABLE_VARIABLES: Readonly<Record<string, readonly string[]>> = {
    home: ["HOME", "HOMEDIRS"],
    multiarch: ["multiarch"],
    proc: ["PROC"],
    alias: [],
    kernelvars: ["pid", "tid", "pids", "uid", "uids", "sys"],
    "xdg-user-dirs": [
        "XDG_DESKTOP_DIR", "XDG_DOWNLOAD_DIR", "XDG_TEMPLATES_DIR", "XDG_PUBLICSHARE_DIR",
        "XDG_DOCUMENTS_DIR", "XDG_MUSIC_DIR", "XDG_PICTURES_DIR", "XDG_VIDEOS_DIR",
    ],
    share: ["flatpak_exports_root", "system_share_dirs", "user_share_dirs"],
    etc: ["etc_ro", "etc_rw"],
    run: ["run"],
    securityfs: ["securityfs"],
    apparmorfs: ["apparmorfs", "securityfs"],
    dovecot: ["DOVECOT_MAILSTORE"],
}; // prettier-ignore
const GLOBAL = ["home", "multiarch", "proc", "alias", "kernelvars", "xdg-user-dirs", "share", "etc", "run"]; // prettier-ignore

/** The variables an include declares, or undefined when unknown (not a stock tunables file). */
export function includeDeclares(path: string): readonly string[] | undefined {
    const m = /(?:^|\/)tunables\/([A-Za-z0-9_.-]+)$/.exec(path);
    if (!m) return undefined;
    if (m[1] === "global") return GLOBAL.flatMap((f) => TUNABLE_VARIABLES[f]);
    return TUNABLE_VARIABLES[m[1]];
}

const REF = /(\\*)@\{([^}]*)\}/g;

/** `@{NAME}` references in a string (escaped `\@{` skipped; malformed ones are left to others). */
export function variableRefs(s: string): string[] {
    const out: string[] = [];
    for (const m of s.matchAll(REF)) {
        if (m[1].length % 2 === 1) continue;
        if (/^[A-Za-z][A-Za-z0-9_]*$/.test(m[2])) out.push(m[2]);
    }
    return out;
}

type Obj = Record<string, unknown>;

interface Ref {
    readonly name: string;
    readonly path: string;
    /** in a profile header (name, attachment): @{profile_name} is not defined there */
    readonly header: boolean;
}

const NOT_EXPANDED = new Set(["kind", "text", "flags"]);

/** Every variable reference in a profile, with the field path it stands at. */
function profileRefs(p: Obj, base: string, out: Ref[]): void {
    const at = (f: string): string => (base ? `${base}.${f}` : f);
    for (const f of ["name", "attachment"])
        if (typeof p[f] === "string")
            for (const name of variableRefs(p[f] as string))
                out.push({ name, path: at(f), header: true });
    if (!Array.isArray(p.rules)) return;
    p.rules.forEach((r, i) => itemRefs(r, at(`rules[${i}]`), out));
}

function itemRefs(r: unknown, path: string, out: Ref[]): void {
    if (typeof r !== "object" || r === null || Array.isArray(r)) return;
    const o = r as Obj;
    if (o.kind === "profile") return profileRefs(o, path, out);
    if (o.kind === "comment" || o.kind === "include" || o.kind === "abi") return;
    if (o.kind === "raw") {
        let items: ProfileItem[];
        try {
            items = parseRules(String(o.text));
        } catch {
            return; // reported by the raw-text check
        }
        if (items.length === 1 && items[0].kind === "raw") return; // untyped: the host checks it
        items.forEach((it) => itemRefs(it, `${path}.text`, out));
        return;
    }
    const walk = (v: unknown, p: string): void => {
        if (typeof v === "string") {
            for (const name of variableRefs(v)) out.push({ name, path: p, header: false });
        } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
        else if (typeof v === "object" && v !== null)
            for (const [k, x] of Object.entries(v as Obj))
                if (!NOT_EXPANDED.has(k)) walk(x, `${p}.${k}`);
    };
    for (const [k, v] of Object.entries(o)) if (!NOT_EXPANDED.has(k)) walk(v, `${path}.${k}`);
}

const FIX_UNDEFINED =
    "declare it at the top of the file (variable(NAME, [...]) in the document), or include <tunables/global> for AppArmor's own variables (@{HOME}, @{PROC}, @{run}, …); variables a host defines in its own tunables are not visible to preview";

/**
 * Problems of the variables of a complete policy file (a document, or a bare profile rendered on its
 * own): undefined references, `=` of a declared variable, `+=` of an undeclared one, self-reference.
 * Nothing is reported about references when the file includes something whose declarations are
 * unknown (a non-tunables include at the top, e.g. `local/…`).
 */
export function variableProblems(model: Profile | PolicyDocument): ValidationProblem[] {
    const out: ValidationProblem[] = [];
    const bare = model.kind === "profile";
    const items: readonly PolicyItem[] = bare ? [model] : (model as PolicyDocument).items;
    if (!Array.isArray(items)) return out;
    const declared = new Map<string, string>([["profile_name", "AppArmor (built in)"]]);
    const values = new Map<string, { refs: string[]; path: string }>();
    let unknown = false;
    const refs: Ref[] = [];

    const preamble = (it: unknown, path: string): void => {
        if (typeof it !== "object" || it === null) return;
        const o = it as Obj;
        switch (o.kind) {
            case "include": {
                const names = includeDeclares(String(o.path));
                if (names === undefined) unknown = true;
                else for (const n of names) if (!declared.has(n)) declared.set(n, `<${o.path}>`);
                break;
            }
            case "variable": {
                const name = o.name;
                if (typeof name !== "string" || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) break;
                const vs = Array.isArray(o.values)
                    ? o.values.filter((v) => typeof v === "string")
                    : [];
                if (o.op === "=") {
                    const by = declared.get(name);
                    if (by !== undefined) {
                        out.push({
                            path: `${path}.name`,
                            message: `variable @{${name}} is already declared (by ${by})`,
                            fix: `append with += instead of =, or use another name`,
                        });
                        break;
                    }
                    declared.set(name, path);
                } else if (o.op === "+=" && !declared.has(name)) {
                    out.push({
                        path: `${path}.op`,
                        message: `variable @{${name}} is appended to (+=) before it is declared`,
                        fix: `declare it with = first (or include the tunables file that declares it before this line)`,
                    });
                    break;
                }
                const prev = values.get(name);
                values.set(name, {
                    refs: [...(prev?.refs ?? []), ...vs.flatMap((v) => variableRefs(v as string))],
                    path: prev?.path ?? `${path}.values`,
                });
                break;
            }
            case "raw": {
                let sub: PolicyDocument;
                try {
                    sub = parseProfile(String(o.text));
                } catch {
                    unknown = true;
                    break;
                }
                if (sub.items.length === 1 && sub.items[0].kind === "raw") unknown = true;
                else sub.items.forEach((x) => preamble(x, `${path}.text`));
                break;
            }
            case "profile":
                profileRefs(o, bare ? "" : path, refs);
                break;
        }
    };
    items.forEach((it, i) => preamble(it, bare ? "" : `items[${i}]`));

    // declarations that refer to themselves (directly or through others)
    for (const [name, v] of values) {
        const seen = new Set<string>();
        const stack = [...v.refs];
        while (stack.length) {
            const n = stack.pop()!;
            if (n === name) {
                out.push({
                    path: v.path,
                    message: `variable @{${name}} refers to itself`,
                    fix: "remove the self-reference from its values",
                });
                break;
            }
            if (seen.has(n)) continue;
            seen.add(n);
            stack.push(...(values.get(n)?.refs ?? []));
        }
    }
    if (unknown) return out;
    for (const [name, v] of values)
        for (const r of v.refs)
            if (!declared.has(r))
                out.push({
                    path: v.path,
                    message: `variable @{${name}} uses @{${r}}, which is never declared`,
                    fix: FIX_UNDEFINED,
                });
    const reported = new Set<string>();
    for (const r of refs) {
        const ok = declared.has(r.name) && !(r.header && r.name === "profile_name");
        if (ok || reported.has(`${r.path}|${r.name}`)) continue;
        reported.add(`${r.path}|${r.name}`);
        out.push({
            path: r.path,
            message:
                r.header && r.name === "profile_name"
                    ? "@{profile_name} is not defined in a profile's name or attachment"
                    : `uses @{${r.name}}, which is never declared in this file`,
            fix: r.header && r.name === "profile_name" ? "write the name itself" : FIX_UNDEFINED,
        });
    }
    return out;
}
