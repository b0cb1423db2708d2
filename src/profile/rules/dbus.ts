/**
 * `dbus [ACCESS] [bus=B] [path=P] [interface=I] [member=M] [name=N] [peer=(name=…, label=…)],`:
 * D-Bus messages (`name=` is used by `bind` rules; `eavesdrop` rules use only `bus=`).
 */
import {
    addFieldProblems,
    checkOptional,
    checkStringArray,
    inSet,
    isObj,
    join,
    type Collector,
    type Obj,
} from "../check";
import type { Qualifiers } from "../model";
import type { Prefix, Scanner } from "../scanner";
import { dbusProblems } from "../semantics";
import { validateLabel, validateToken } from "../values";
import { buildFieldRule, parseFieldRule, renderFieldRule, type FieldRuleShape } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** Peer conditions of a dbus rule. */
export interface DbusPeer {
    readonly name?: string;
    readonly label?: string;
}

/**
 * `dbus [ACCESS] [bus=B] [path=P] [interface=I] [member=M] [name=N] [peer=(name=…, label=…)],`
 * (`name=` is used by `bind` rules; `eavesdrop` rules use only `bus=`).
 */
export interface DbusRule extends Qualifiers {
    readonly kind: "dbus";
    /** access set: send, receive, bind, eavesdrop, r, w, rw (empty = all). */
    readonly access: readonly string[];
    readonly bus?: string;
    readonly path?: string;
    readonly interface?: string;
    readonly member?: string;
    readonly name?: string;
    readonly peer?: DbusPeer;
}

/** Access words of dbus rules. */
const ACCESS: readonly string[] = [
    "send",
    "receive",
    "bind",
    "eavesdrop",
    "r",
    "w",
    "rw",
    "read",
    "write",
];
/** Access words the lexer reads as a permission token (written without parentheses). */
const BARE: ReadonlySet<string> = new Set([
    "bind",
    "eavesdrop",
    "send",
    "receive",
    "read",
    "write",
    "r",
    "w",
    "rw",
    "wr",
]);

/** The `key=value` fields of a dbus rule, in rendering order. */
const FIELDS = ["bus", "path", "interface", "member", "name"] as const;

const SHAPE: FieldRuleShape = {
    kind: "dbus",
    fields: FIELDS,
    peerKeys: ["name", "label"],
    bare: BARE,
};

/** Options of `dbus(...)`. */
export interface DbusOptions {
    readonly access?: readonly string[];
    readonly bus?: string;
    readonly path?: string;
    readonly interface?: string;
    readonly member?: string;
    readonly name?: string;
    readonly peer?: DbusPeer;
}

/** `dbus(…)` with the qualifiers `q`. */
export function buildDbus(q: Qualifiers, opts?: DbusOptions): DbusRule {
    return buildFieldRule(SHAPE, q, opts) as DbusRule;
}

export const dbusKind: RuleKind<DbusRule> = {
    kind: "dbus",
    keywords: ["dbus"],
    parse(s: Scanner, p: Prefix, w: string): DbusRule {
        return parseFieldRule(SHAPE, s, p, w) as DbusRule;
    },
    render(r: DbusRule): string {
        return renderFieldRule(SHAPE, r);
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(ACCESS, "dbus access", "use send, receive, bind or eavesdrop"),
        );
        for (const f of ["bus", "interface", "member", "name"])
            checkOptional(c, r, base, f, (s) => validateToken(s, f));
        checkOptional(c, r, base, "path", (s) => validateToken(s, "dbus path"));
        if (r.peer !== undefined) {
            if (!isObj(r.peer))
                c.fail(join(base, "peer"), "peer is not an object", "use { name, label }");
            else {
                checkOptional(c, r.peer, join(base, "peer"), "name", (s) =>
                    validateToken(s, "peer name"),
                );
                checkOptional(c, r.peer, join(base, "peer"), "label", (s) =>
                    validateLabel(s, "peer label"),
                );
            }
        }
        addFieldProblems(c, base, dbusProblems(r));
    },
};
