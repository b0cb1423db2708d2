/**
 * `unix [ACCESS] [type=T] [protocol=P] [addr=A] [label=L] [attr=X] [opt=O] [peer=(label=…,addr=…)],`:
 * unix domain sockets.
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
import { unixProblems } from "../semantics";
import { validateLabel, validateToken } from "../values";
import { buildFieldRule, parseFieldRule, renderFieldRule, type FieldRuleShape } from "./common";
import type { RuleKind } from "./kind";
import { NETWORK_TYPES } from "./network";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** Peer conditions of a unix rule (`peer=(label=…, addr=…)`). */
export interface UnixPeer {
    readonly label?: string;
    readonly addr?: string;
}

/**
 * `unix [ACCESS] [type=T] [protocol=P] [addr=A] [label=L] [attr=X] [opt=O] [peer=(label=…,addr=…)],`
 */
export interface UnixRule extends Qualifiers {
    readonly kind: "unix";
    /** access set: create, bind, listen, accept, connect, shutdown, getattr, setattr, getopt, setopt, send, receive, r, w, rw (empty = all). */
    readonly access: readonly string[];
    readonly type?: string;
    readonly protocol?: string;
    /** local address (`@name` abstract, `none` unnamed, or a path pattern). */
    readonly addr?: string;
    readonly label?: string;
    readonly attr?: string;
    readonly opt?: string;
    readonly peer?: UnixPeer;
}

/** Access words of unix rules. */
const ACCESS: readonly string[] = [
    "create",
    "bind",
    "listen",
    "accept",
    "connect",
    "shutdown",
    "getattr",
    "setattr",
    "getopt",
    "setopt",
    "send",
    "receive",
    "r",
    "w",
    "rw",
];
/** Access words the lexer reads as a permission token (written without parentheses). */
const BARE: ReadonlySet<string> = new Set([
    "create", "listen", "accept", "connect", "getattr", "setattr", "getopt", "setopt",
    "shutdown", "bind", "send", "receive", "read", "write", "r", "w", "rw", "wr",
]); // prettier-ignore

/** The `key=value` fields of a unix rule, in rendering order. */
const FIELDS = ["type", "protocol", "addr", "label", "attr", "opt"] as const;

const SHAPE: FieldRuleShape = {
    kind: "unix",
    fields: FIELDS,
    peerKeys: ["label", "addr"],
    bare: BARE,
};

/** Options of `unix(...)`. */
export interface UnixOptions {
    readonly access?: readonly string[];
    readonly type?: string;
    readonly protocol?: string;
    readonly addr?: string;
    readonly label?: string;
    readonly attr?: string;
    readonly opt?: string;
    readonly peer?: UnixPeer;
}

/** `unix(…)` with the qualifiers `q`. */
export function buildUnix(q: Qualifiers, opts?: UnixOptions): UnixRule {
    return buildFieldRule(SHAPE, q, opts) as UnixRule;
}

export const unixKind: RuleKind<UnixRule> = {
    kind: "unix",
    keywords: ["unix"],
    parse(s: Scanner, p: Prefix, w: string): UnixRule {
        return parseFieldRule(SHAPE, s, p, w) as UnixRule;
    },
    render(r: UnixRule): string {
        return renderFieldRule(SHAPE, r);
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(
                ACCESS,
                "unix access",
                "use e.g. create, bind, listen, accept, connect, send, receive",
            ),
        );
        checkOptional(
            c,
            r,
            base,
            "type",
            inSet(NETWORK_TYPES, "socket type", "use stream, dgram or seqpacket"),
        );
        for (const f of ["protocol", "attr", "opt"])
            checkOptional(c, r, base, f, (s) => validateToken(s, f));
        checkOptional(c, r, base, "addr", (s) => validateToken(s, "addr"));
        checkOptional(c, r, base, "label", (s) => validateLabel(s, "label"));
        addFieldProblems(c, base, unixProblems(r));
        if (r.peer !== undefined) {
            if (!isObj(r.peer))
                c.fail(join(base, "peer"), "peer is not an object", "use { label, addr }");
            else {
                checkOptional(c, r.peer, join(base, "peer"), "label", (s) =>
                    validateLabel(s, "peer label"),
                );
                checkOptional(c, r.peer, join(base, "peer"), "addr", (s) =>
                    validateToken(s, "peer addr"),
                );
            }
        }
    },
};
