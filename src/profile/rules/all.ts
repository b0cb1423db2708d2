/**
 * `all,` (AppArmor 4): every kind of access the kernel mediates (file, capability, network, mount,
 * signal, ptrace, unix, dbus, userns, mqueue, io_uring …), as one rule; takes no `priority=` and no
 * `owner`.
 */
import type { Collector, Obj } from "../check";
import type { Qualifiers } from "../model";
import { codePrefix, prefix } from "../quoting";
import { qualifiers, type Prefix, type Scanner } from "../scanner";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `all,` (with `audit`/`deny`/`allow`). */
export interface AllRule extends Qualifiers {
    readonly kind: "all";
}

/** `all,` with the qualifiers `q`. */
export function buildAll(q: Qualifiers): AllRule {
    return { kind: "all", ...q };
}

export const allKind: RuleKind<AllRule> = {
    kind: "all",
    keywords: ["all"],
    noPriority: true,
    claims(s: Scanner): boolean {
        return /^all\s*,/.test(s.text.slice(s.pos, s.pos + 40));
    },
    parse(s: Scanner, p: Prefix): AllRule {
        s.pos += "all".length;
        s.endOfRule();
        return { kind: "all", ...qualifiers(p) };
    },
    render(r: AllRule): string {
        return `${prefix(r)}all,`;
    },
    validate(_c: Collector, _r: Obj, _base: string): void {
        // no fields of its own
    },
    code(r: AllRule): string {
        return `${codePrefix(r)}all()`;
    },
};
