/**
 * `mqueue [ACCESS] [type=posix|sysv] [label=LABEL] [NAME],` (AppArmor 4): POSIX and System V message
 * queues.
 */
import { checkOptional, checkStringArray, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { access, codePrefix, kv, lit, prefix, q } from "../quoting";
import { qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { validateLabel } from "../values";
import { abi4Tokens, opt, setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `mqueue (read, write) type=posix label=LABEL /name,` */
export interface MqueueRule extends Qualifiers {
    readonly kind: "mqueue";
    /**
     * access set: create, open, delete, read, write, getattr, setattr, or the mode letters r, w, rw
     * (empty = all).
     */
    readonly access: readonly string[];
    /** `posix` or `sysv` (implied by the name when absent: `/name` is posix, a number sysv). */
    readonly type?: string;
    /** the queue's label (`label=…`). */
    readonly label?: string;
    /** the queue: a POSIX name starting with `/` (globs allowed) or a System V key (a number). */
    readonly name?: string;
}

/** Access words of mqueue rules. */
export const MQUEUE_ACCESS: readonly string[] = [
    "create",
    "open",
    "delete",
    "read",
    "write",
    "getattr",
    "setattr",
];
/** Queue types of `type=`. */
export const MQUEUE_TYPES: readonly string[] = ["posix", "sysv"];
/** Access words the MQUEUE lexer mode reads as a permission token (written without parentheses). */
const BARE: ReadonlySet<string> = new Set([...MQUEUE_ACCESS, "r", "w", "rw", "wr"]);

/** Options of `mqueue(...)`. */
export interface MqueueOptions {
    /** access set: create, open, delete, read, write, getattr, setattr. Defaults to all. */
    readonly access?: readonly string[];
    /** `posix` or `sysv`. Defaults to the type the name implies (any queue without a name). */
    readonly type?: "posix" | "sysv";
    /** the queue's label. Defaults to any. */
    readonly label?: string;
    /** a POSIX queue name (`/name`, globs allowed) or a System V key (`"1234"`). Defaults to any queue. */
    readonly name?: string;
}

/** `mqueue(…)` with the qualifiers `q`. */
export function buildMqueue(qs: Qualifiers, opts?: MqueueOptions): MqueueRule {
    const rule: Record<string, unknown> = {
        kind: "mqueue",
        ...qs,
        access: [...(opts?.access ?? [])],
    };
    setIfDefined(rule, "type", opts?.type);
    setIfDefined(rule, "label", opts?.label);
    setIfDefined(rule, "name", opts?.name);
    return rule as unknown as MqueueRule;
}

/** A queue name: `/…` (POSIX) or digits (System V), and matching `type` when given. */
function nameProblem(name: string, type: unknown): { message: string; fix: string } | undefined {
    if (name.startsWith("/")) {
        if (type === "sysv") {
            return {
                message: `System V queue name ${JSON.stringify(name)} is not a number`,
                fix: "use the queue's numeric key, or type posix",
            };
        }
        return undefined;
    }
    if (/^[0-9]+$/.test(name)) {
        if (type === "posix") {
            return {
                message: `POSIX queue name ${JSON.stringify(name)} does not start with /`,
                fix: "write the name with a leading / (e.g. /myqueue), or use type sysv",
            };
        }
        return undefined;
    }
    return {
        message: `invalid mqueue name ${JSON.stringify(name)}`,
        fix: "use a POSIX name starting with / (e.g. /myqueue) or a System V key (a number)",
    };
}

export const mqueueKind: RuleKind<MqueueRule> = {
    kind: "mqueue",
    keywords: ["mqueue"],
    parse(s: Scanner, p: Prefix, w: string): MqueueRule {
        const t = abi4Tokens(s, w, BARE, true, ["type", "label"]);
        if (t.ids.length > 1) throw new Untyped();
        return {
            kind: "mqueue",
            ...qualifiers(p),
            access: t.access,
            ...opt("type", t.conds.type),
            ...opt("label", t.conds.label),
            ...opt("name", t.ids[0]),
        };
    },
    render(r: MqueueRule): string {
        const name = r.name === undefined ? "" : ` ${q(r.name, "modeid", "mqueue name")}`;
        return `${prefix(r)}mqueue${access("mqueue", r.access, BARE)}${kv("type", r.type)}${kv("label", r.label)}${name},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(c, join(base, "access"), r.access, (a) =>
            MQUEUE_ACCESS.includes(a) || /^[rw]+$/.test(a)
                ? undefined
                : {
                      message: `unknown mqueue access ${JSON.stringify(a)}`,
                      fix: "use create, open, delete, read, write, getattr or setattr",
                  },
        );
        if (r.access === undefined)
            c.fail(join(base, "access"), "is missing", "use [] for all access");
        checkOptional(c, r, base, "type", (t) =>
            MQUEUE_TYPES.includes(t)
                ? undefined
                : { message: `unknown mqueue type ${JSON.stringify(t)}`, fix: "use posix or sysv" },
        );
        checkOptional(c, r, base, "label", (l) => validateLabel(l, "label"));
        checkOptional(c, r, base, "name", (n) => nameProblem(n, r.type));
    },
    code(r: MqueueRule): string {
        const o: string[] = [];
        if (r.access.length) o.push(`access: [${r.access.map(lit).join(", ")}]`);
        for (const k of ["type", "label", "name"] as const)
            if (r[k] !== undefined) o.push(`${k}: ${lit(r[k] as string)}`);
        return `${codePrefix(r)}mqueue(${o.length ? `{ ${o.join(", ")} }` : ""})`;
    },
};
