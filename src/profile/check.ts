/**
 * The shared machinery of the validator: the problem types, the {@link Collector} that gathers problems
 * with their field paths, and the field checks every rule kind uses (`rules/*.ts` validate their own
 * fields with these; `validate.ts` walks the document).
 */

/** One problem found by {@link validateProfile}. */
export interface ValidationProblem {
    /** Path of the offending field from the validated object, e.g. `rules[3].path` or `name`. */
    readonly path: string;
    /** What is wrong. */
    readonly message: string;
    /** How to fix it. */
    readonly fix: string;
}

/** The result of a single-value validator: undefined when valid. */
export type ValueProblem = { readonly message: string; readonly fix: string } | undefined;

export type Obj = Record<string, unknown>;

/** Gathers problems with the path of their field. */
export class Collector {
    readonly problems: ValidationProblem[] = [];
    /** container mode (see `ValidateOptions` in validate.ts) */
    container = false;
    /** paths of `abstractions/` includes, and whether `tunables/global` is included at the top */
    readonly abstractions: string[] = [];
    tunablesGlobal = false;

    add(path: string, p: ValueProblem): void {
        if (p) this.problems.push({ path, message: p.message, fix: p.fix });
    }

    fail(path: string, message: string, fix: string): void {
        this.problems.push({ path, message, fix });
    }
}

export function join(base: string, field: string): string {
    if (field.startsWith("[")) return `${base}${field}`;
    return base ? `${base}.${field}` : field;
}

export function isObj(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkStringArray(
    c: Collector,
    path: string,
    value: unknown,
    check: (s: string) => ValueProblem,
): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        c.fail(path, "must be a list", "use an array of strings");
        return;
    }
    value.forEach((v, i) => {
        if (typeof v !== "string") c.fail(`${path}[${i}]`, "must be a string", "use a string");
        else c.add(`${path}[${i}]`, check(v));
    });
}

export function checkOptional(
    c: Collector,
    obj: Obj,
    base: string,
    field: string,
    check: (s: string) => ValueProblem,
): void {
    const v = obj[field];
    if (v === undefined) return;
    if (typeof v !== "string") {
        c.fail(join(base, field), "must be a string", "use a string or leave the field out");
        return;
    }
    c.add(join(base, field), check(v));
}

export function inSet(
    set: readonly string[],
    what: string,
    fix: string,
): (s: string) => ValueProblem {
    return (s) =>
        set.includes(s) ? undefined : { message: `unknown ${what} ${JSON.stringify(s)}`, fix };
}

export function addFieldProblems(
    c: Collector,
    base: string,
    problems: readonly { field: string; message: string; fix: string }[],
): void {
    for (const p of problems) c.fail(join(base, p.field), p.message, p.fix);
}
