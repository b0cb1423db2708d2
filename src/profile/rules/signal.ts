/**
 * `signal [ACCESS] [set=(SIGNALS)] [peer=LABEL],`: sending and receiving signals.
 */
import { checkOptional, checkStringArray, inSet, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { access, kv, list, prefix, sortedUnique } from "../quoting";
import { canon, qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { validateLabel } from "../values";
import { ipcTokens, opt, setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `signal [(send, receive)] [set=(hup, kill)] [peer=LABEL],` */
export interface SignalRule extends Qualifiers {
    readonly kind: "signal";
    /** access set: send, receive, r, w, rw, read, write (empty = all). */
    readonly access: readonly string[];
    /** signal names (hup, int, …, rtmin+N); empty = all signals. */
    readonly signals: readonly string[];
    /** peer label (AppArmor regex). */
    readonly peer?: string;
}

/** Signal names of `signal set=(…)` (plus `rtmin+0` … `rtmin+32`). */
export const SIGNALS: readonly string[] = [
    "hup",
    "int",
    "quit",
    "ill",
    "trap",
    "abrt",
    "bus",
    "fpe",
    "kill",
    "usr1",
    "segv",
    "usr2",
    "pipe",
    "alrm",
    "term",
    "stkflt",
    "chld",
    "cont",
    "stop",
    "stp",
    "ttin",
    "ttou",
    "urg",
    "xcpu",
    "xfsz",
    "vtalrm",
    "prof",
    "winch",
    "io",
    "pwr",
    "sys",
    "emt",
    "exists",
];

/** Access words of signal rules. */
const ACCESS: readonly string[] = ["send", "receive", "r", "w", "rw", "read", "write"];
/** Access words the lexer reads as a permission token (written without parentheses). */
const BARE: ReadonlySet<string> = new Set([
    "send",
    "receive",
    "read",
    "write",
    "r",
    "w",
    "rw",
    "wr",
]);

/** Options of `signal(...)`. */
export interface SignalOptions {
    /** access set, e.g. `["send"]`, `["receive"]`. Defaults to all. */
    readonly access?: readonly string[];
    /** signal names, e.g. `["term", "kill"]`. Defaults to all. */
    readonly signals?: readonly string[];
    /** peer label. Defaults to any. */
    readonly peer?: string;
}

/** `signal(…)` with the qualifiers `q`. */
export function buildSignal(q: Qualifiers, opts?: SignalOptions): SignalRule {
    const rule: Record<string, unknown> = {
        kind: "signal",
        ...q,
        access: [...(opts?.access ?? [])],
        signals: [...(opts?.signals ?? [])],
    };
    return setIfDefined(rule, "peer", opts?.peer) as unknown as SignalRule;
}

export const signalKind: RuleKind<SignalRule> = {
    kind: "signal",
    keywords: ["signal"],
    parse(s: Scanner, p: Prefix, w: string): SignalRule {
        const t = ipcTokens(s, w);
        t.only(["set", "peer"]);
        if (t.lists.length) throw new Untyped();
        const signals: string[] = [];
        for (const c of t.conds)
            if (c.name === "set") {
                if (c.op !== "=") throw new Untyped();
                signals.push(...c.values);
            }
        return {
            kind: "signal",
            ...qualifiers(p),
            access: t.access,
            signals: canon(signals),
            ...opt("peer", t.single("peer")),
        };
    },
    render(r: SignalRule): string {
        const sigs = sortedUnique(r.signals);
        const set = sigs.length ? ` set=${list(sigs, "signal")}` : "";
        return `${prefix(r)}signal${access("signal", r.access, BARE)}${set}${kv("peer", r.peer)},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(ACCESS, "signal access", "use send or receive"),
        );
        checkStringArray(c, join(base, "signals"), r.signals, (s) =>
            SIGNALS.includes(s) || /^rtmin\+([0-9]|[12][0-9]|3[0-2])$/.test(s)
                ? undefined
                : {
                      message: `unknown signal ${JSON.stringify(s)}`,
                      fix: "use names such as hup, int, kill, term, usr1, rtmin+N (lower case, no SIG)",
                  },
        );
        checkOptional(c, r, base, "peer", (s) => validateLabel(s, "peer"));
    },
};
