/**
 * `set rlimit RESOURCE <= VALUE,`: a resource limit (no qualifiers).
 */
import { checkOptional, inSet, join, type Collector, type Obj } from "../check";
import { word } from "../quoting";
import type { Prefix, Scanner } from "../scanner";
import { rlimitValueProblem } from "../semantics";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `set rlimit RESOURCE <= VALUE,` e.g. `set rlimit nofile <= 1024,` */
export interface RlimitRule {
    readonly kind: "rlimit";
    /** cpu, fsize, data, stack, core, rss, nofile, ofile, as, nproc, memlock, locks, sigpending, msgqueue, nice, rtprio, rttime. */
    readonly resource: string;
    /** limit value as written: a number with optional unit (`1024`, `10MB`, `5s`) or `infinity`. */
    readonly value: string;
}

/** Resources of `set rlimit`. */
export const RLIMITS: readonly string[] = [
    "cpu",
    "fsize",
    "data",
    "stack",
    "core",
    "rss",
    "nofile",
    "ofile",
    "as",
    "nproc",
    "memlock",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "rttime",
];

/** `set rlimit RESOURCE <= VALUE,` (a number is written as it is). */
export function buildRlimit(resource: string, value: string | number): RlimitRule {
    return { kind: "rlimit", resource, value: String(value) };
}

export const rlimitKind: RuleKind<RlimitRule> = {
    kind: "rlimit",
    keywords: ["set"],
    bare: true,
    parse(s: Scanner, _p: Prefix): RlimitRule {
        s.pos += 3;
        s.skipWs();
        if (!s.atWord("rlimit")) throw s.error("'rlimit' after 'set'");
        s.pos += 6;
        s.skipWs();
        const resource = s.word();
        if (!resource) throw s.error("an rlimit resource name");
        s.pos += resource.length;
        s.skipWs();
        s.expect("<=", "'<=' in rlimit rule");
        s.skipWs();
        const vstart = s.pos;
        if (s.peek() === "-") s.pos++;
        while (/[0-9]/.test(s.peek())) s.pos++;
        let value: string;
        if (s.pos === vstart) {
            if (!s.atWord("infinity")) throw s.error("a number or 'infinity'");
            s.pos += 8;
            value = "infinity";
        } else {
            value = s.text.slice(vstart, s.pos);
            s.skipBlanks();
            const unit = s.word();
            if (unit) {
                s.pos += unit.length;
                value += unit;
            }
        }
        s.endOfRule();
        return { kind: "rlimit", resource, value };
    },
    render(r: RlimitRule): string {
        return `set rlimit ${word(r.resource, "rlimit resource")} <= ${word(r.value, "rlimit value")},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkOptional(
            c,
            r,
            base,
            "resource",
            inSet(RLIMITS, "rlimit resource", "use e.g. nofile, nproc, as, core"),
        );
        if (typeof r.resource !== "string")
            c.fail(join(base, "resource"), "rlimit needs a resource", "e.g. nofile");
        if (typeof r.value !== "string" || !/^(infinity|-?[0-9]+[A-Za-z]*)$/.test(r.value)) {
            c.fail(
                join(base, "value"),
                `invalid rlimit value ${JSON.stringify(r.value)}`,
                "use a number with an optional unit (1024, 10MB, 5s) or infinity",
            );
        } else if (typeof r.resource === "string" && RLIMITS.includes(r.resource)) {
            c.add(join(base, "value"), rlimitValueProblem(r.resource, r.value));
        }
    },
};
