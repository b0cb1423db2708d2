/**
 * `ptrace [ACCESS] [peer=LABEL],`: tracing and reading other processes.
 */
import { checkOptional, checkStringArray, inSet, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { access, kv, prefix } from "../quoting";
import { qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { validateLabel } from "../values";
import { ipcTokens, opt, setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `ptrace [(trace, read, tracedby, readby)] [peer=LABEL],` */
export interface PtraceRule extends Qualifiers {
    readonly kind: "ptrace";
    /** access set: trace, read, tracedby, readby, r, w, rw (empty = all). */
    readonly access: readonly string[];
    readonly peer?: string;
}

/** Access words of ptrace rules. */
const ACCESS: readonly string[] = ["trace", "read", "tracedby", "readby", "r", "w", "rw"];
/** Access words the lexer reads as a permission token (written without parentheses). */
const BARE: ReadonlySet<string> = new Set([
    "trace",
    "readby",
    "tracedby",
    "read",
    "write",
    "r",
    "w",
    "rw",
    "wr",
]);

/** Options of `ptrace(...)`. */
export interface PtraceOptions {
    /** access set: trace, read, tracedby, readby. Defaults to all. */
    readonly access?: readonly string[];
    /** peer label. Defaults to any. */
    readonly peer?: string;
}

/** `ptrace(…)` with the qualifiers `q`. */
export function buildPtrace(q: Qualifiers, opts?: PtraceOptions): PtraceRule {
    const rule: Record<string, unknown> = {
        kind: "ptrace",
        ...q,
        access: [...(opts?.access ?? [])],
    };
    return setIfDefined(rule, "peer", opts?.peer) as unknown as PtraceRule;
}

export const ptraceKind: RuleKind<PtraceRule> = {
    kind: "ptrace",
    keywords: ["ptrace"],
    parse(s: Scanner, p: Prefix, w: string): PtraceRule {
        const t = ipcTokens(s, w);
        t.only(["peer"]);
        if (t.lists.length) throw new Untyped();
        return {
            kind: "ptrace",
            ...qualifiers(p),
            access: t.access,
            ...opt("peer", t.single("peer")),
        };
    },
    render(r: PtraceRule): string {
        return `${prefix(r)}ptrace${access("ptrace", r.access, BARE)}${kv("peer", r.peer)},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(ACCESS, "ptrace access", "use trace, read, tracedby or readby"),
        );
        checkOptional(c, r, base, "peer", (s) => validateLabel(s, "peer"));
    },
};
