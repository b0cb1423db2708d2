/**
 * Pieces several rule kinds share: the builders' optional-field setter, and the reading of the IPC
 * rules (`signal`, `ptrace`, `unix`, `dbus`), which share one lexer mode and its conditions.
 */
import type { DbusRule, Qualifiers, UnixRule } from "../model";
import { access, kv, peerList, prefix } from "../quoting";
import {
    canon,
    isIdChar,
    isWs,
    modeTokens,
    parenList,
    qualifiers,
    Untyped,
    type Prefix,
    type Scanner,
} from "../scanner";

/** Sets `obj[key] = value` unless `value` is undefined (optional model fields stay absent). */
export function setIfDefined<T extends object>(obj: T, key: string, value: unknown): T {
    if (value !== undefined) (obj as Record<string, unknown>)[key] = value;
    return obj;
}

/** What an IPC rule's text holds, read by {@link ipcTokens}. */
export interface IpcTokens {
    /** the access set, sorted and de-duplicated. */
    readonly access: string[];
    readonly conds: ReturnType<typeof modeTokens>["conds"];
    readonly lists: ReturnType<typeof modeTokens>["lists"];
    /** the value of a condition written once as `name=value` (undefined when absent). */
    single(name: string): string | undefined;
    /** keep the rule raw when it has a condition not in `names`. */
    only(names: string[]): void;
    /** the `peer=(…)` list as a record of `names` (undefined when absent). */
    peerList(names: string[]): Record<string, string> | undefined;
}

/** `{ [k]: v }`, or `{}` when `v` is undefined. */
export function opt(k: string, v: string | undefined): Record<string, string> {
    return v === undefined ? {} : { [k]: v };
}

/**
 * Reads an IPC rule after its keyword `w` (the scanner is at the keyword): access, conditions and
 * condition lists up to the ending `,`. Throws `Untyped` for plain ids or `->` (not typed).
 */
export function ipcTokens(s: Scanner, w: string): IpcTokens {
    s.pos += w.length;
    const t = modeTokens(s, true);
    if (t.ids.length || t.arrowAt >= 0) throw new Untyped();
    return {
        access: canon(t.perms ?? []),
        conds: t.conds,
        lists: t.lists,
        single(name: string): string | undefined {
            const cs = t.conds.filter((c) => c.name === name);
            if (cs.length === 0) return undefined;
            if (cs.length > 1 || cs[0].op !== "=" || cs[0].values.length !== 1) throw new Untyped();
            return cs[0].values[0];
        },
        only(names: string[]): void {
            for (const c of t.conds) if (!names.includes(c.name)) throw new Untyped();
        },
        peerList(names: string[]): Record<string, string> | undefined {
            if (t.lists.length === 0) return undefined;
            if (t.lists.length > 1 || t.lists[0].name !== "peer") throw new Untyped();
            const out: Record<string, string> = {};
            for (const c of t.lists[0].conds) {
                if (!names.includes(c.name) || c.values.length !== 1 || c.name in out)
                    throw new Untyped();
                out[c.name] = c.values[0];
            }
            return out;
        },
    };
}

/** The shape unix and dbus rules share: an access set, `key=value` fields and a `peer=(…)` list. */
export interface FieldRuleShape {
    readonly kind: "unix" | "dbus";
    /** the `key=value` fields, in rendering order. */
    readonly fields: readonly string[];
    /** the keys of `peer=(…)`, in rendering order. */
    readonly peerKeys: readonly string[];
    /** access words the lexer reads as a permission token (written without parentheses). */
    readonly bare: ReadonlySet<string>;
}

type FieldRuleData = Qualifiers & {
    readonly access?: readonly string[];
    readonly peer?: object;
    readonly [field: string]: unknown;
};

/** The builder of a field rule: `opts` holds the access set, the fields and the peer. */
export function buildFieldRule(shape: FieldRuleShape, q: Qualifiers, opts?: object): unknown {
    const o = opts as FieldRuleData | undefined;
    const rule: Record<string, unknown> = {
        kind: shape.kind,
        ...q,
        access: [...(o?.access ?? [])],
    };
    for (const k of shape.fields) setIfDefined(rule, k, o?.[k]);
    if (o?.peer) rule.peer = { ...o.peer };
    return rule;
}

/** Reads a field rule after its keyword `w`. */
export function parseFieldRule(shape: FieldRuleShape, s: Scanner, p: Prefix, w: string): unknown {
    const t = ipcTokens(s, w);
    const keys = [...shape.fields];
    t.only(keys);
    const fields: Record<string, string> = {};
    for (const k of keys) Object.assign(fields, opt(k, t.single(k)));
    const peer = t.peerList([...shape.peerKeys]);
    return {
        kind: shape.kind,
        ...qualifiers(p),
        access: t.access,
        ...fields,
        ...(peer ? { peer } : {}),
    };
}

/** Writes a field rule. */
export function renderFieldRule(shape: FieldRuleShape, r: UnixRule | DbusRule): string {
    const values = r as unknown as Readonly<Record<string, string | undefined>>;
    const fields = shape.fields.map((k) => kv(k, values[k])).join("");
    const peer = peerList(r.peer as Record<string, string | undefined>, [...shape.peerKeys]);
    return `${prefix(r)}${shape.kind}${access(shape.kind, r.access ?? [], shape.bare)}${fields}${peer},`;
}

/** What an AppArmor 4 rule (`userns`, `mqueue`, `io_uring`) holds after its keyword. */
export interface Abi4Tokens {
    /** the access set, sorted and de-duplicated. */
    readonly access: string[];
    /** `name=value` conditions, each written once with one value. */
    readonly conds: Record<string, string>;
    /** plain ids (TOK_ID) after the conditions, in order. */
    readonly ids: string[];
}

/**
 * Reads an AppArmor 4 rule after its keyword `w` (the scanner is at the keyword) up to the ending
 * `,`: an access word of `bare` or, when `parens`, a parenthesised access list; `name=value`
 * conditions of `conds`; plain ids. Throws `Untyped` for what the model does not type (other
 * conditions, a condition twice, `name=(…)` value lists, `in`), keeping the rule raw.
 */
export function abi4Tokens(
    s: Scanner,
    w: string,
    bare: ReadonlySet<string>,
    parens: boolean,
    conds: readonly string[],
): Abi4Tokens {
    s.pos += w.length;
    let access: string[] = [];
    const fields: Record<string, string> = {};
    const ids: string[] = [];
    let first = true;
    for (;;) {
        s.skipWs();
        const c = s.peek();
        if (c === ",") {
            s.pos++;
            return { access: canon(access), conds: fields, ids };
        }
        if (c === "") throw s.error("',' ending the rule");
        if (first) {
            first = false;
            if (c === "(") {
                if (!parens) throw new Untyped();
                access = parenList(s, "the access list");
                continue;
            }
            const a = s.word();
            const after = s.peek(a.length);
            if (a && bare.has(a) && (after === "" || isWs(after) || after === ",")) {
                s.pos += a.length;
                access = [a];
                continue;
            }
        }
        const name = s.word();
        const rest = s.text.slice(s.pos + name.length, s.pos + name.length + 40);
        if (name && /^[ \t]*=/.test(rest)) {
            if (!conds.includes(name) || name in fields) throw new Untyped();
            s.pos += name.length;
            s.skipBlanks();
            s.pos++; // =
            s.skipBlanks();
            if (s.peek() === "(") throw new Untyped();
            if (s.peek() === "" || s.peek() === "\n" || s.peek() === "\r")
                throw s.error(`a value after ${name}=`);
            fields[name] = s.id(`a value after ${name}=`);
            continue;
        }
        if (name && /^[ \t]+in[ \t]*\(/.test(rest)) throw new Untyped();
        // TOK_ID: IDS_NOEQ | LABEL | QUOTED_ID
        if (c === '"') {
            ids.push(s.quoted());
            continue;
        }
        if (c === "/" || c === "@" || c === ":" || c === "&") {
            ids.push(s.run(isIdChar));
            continue;
        }
        if ("=()+&".includes(c)) throw s.error("a condition, value or ','");
        const v = s.run((ch) => isIdChar(ch) && ch !== "=" && ch !== ")");
        if (!v) throw s.error("a condition, value or ','");
        ids.push(v);
    }
}
