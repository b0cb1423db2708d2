/**
 * `io_uring [ACCESS] [label=LABEL],` (AppArmor 4): io_uring operations that act with other
 * credentials (`override_creds`) or start a kernel polling thread (`sqpoll`).
 */
import { checkOptional, checkStringArray, inSet, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { access, codePrefix, kv, lit, prefix } from "../quoting";
import { qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { validateLabel } from "../values";
import { abi4Tokens, opt, setIfDefined } from "./common";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `io_uring (sqpoll, override_creds) label=LABEL,` */
export interface IoUringRule extends Qualifiers {
    readonly kind: "io_uring";
    /** access set: sqpoll, override_creds (empty = all). */
    readonly access: readonly string[];
    /** the label whose credentials `override_creds` may assume (`label=…`). */
    readonly label?: string;
}

/** Access words of io_uring rules. */
export const IO_URING_ACCESS: readonly string[] = ["override_creds", "sqpoll"];
const BARE: ReadonlySet<string> = new Set(IO_URING_ACCESS);

/** Options of `ioUring(...)`. */
export interface IoUringOptions {
    /** access set: sqpoll, override_creds. Defaults to all. */
    readonly access?: readonly string[];
    /** the label `override_creds` may assume. Defaults to any. */
    readonly label?: string;
}

/** `ioUring(…)` with the qualifiers `q`. */
export function buildIoUring(q: Qualifiers, opts?: IoUringOptions): IoUringRule {
    const rule: Record<string, unknown> = {
        kind: "io_uring",
        ...q,
        access: [...(opts?.access ?? [])],
    };
    return setIfDefined(rule, "label", opts?.label) as unknown as IoUringRule;
}

export const ioUringKind: RuleKind<IoUringRule> = {
    kind: "io_uring",
    keywords: ["io_uring"],
    parse(s: Scanner, p: Prefix, w: string): IoUringRule {
        const t = abi4Tokens(s, w, BARE, true, ["label"]);
        if (t.ids.length) throw new Untyped();
        return {
            kind: "io_uring",
            ...qualifiers(p),
            access: t.access,
            ...opt("label", t.conds.label),
        };
    },
    render(r: IoUringRule): string {
        return `${prefix(r)}io_uring${access("io_uring", r.access, BARE)}${kv("label", r.label)},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(
            c,
            join(base, "access"),
            r.access,
            inSet(IO_URING_ACCESS, "io_uring access", "use sqpoll or override_creds"),
        );
        if (r.access === undefined)
            c.fail(join(base, "access"), "is missing", "use [] for all access");
        checkOptional(c, r, base, "label", (l) => validateLabel(l, "label"));
    },
    code(r: IoUringRule): string {
        const o: string[] = [];
        if (r.access.length) o.push(`access: [${r.access.map(lit).join(", ")}]`);
        if (r.label !== undefined) o.push(`label: ${lit(r.label)}`);
        return `${codePrefix(r)}ioUring(${o.length ? `{ ${o.join(", ")} }` : ""})`;
    },
};
