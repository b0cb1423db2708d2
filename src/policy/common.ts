/**
 * What the policies share: the resource types they look at, URN helpers, simple name patterns,
 * configuration with defaults, and reading values that may be unknown during a preview.
 */
import { UnknownValueError, type PolicyConfigSchema } from "@pulumi/policy";

/** Resource type tokens the policies look at. */
export const TYPES = {
    container: "docker:index/container:Container",
    dockerProvider: "pulumi:providers:docker",
    profile: "apparmor:index:Profile",
    profiledContainer: "apparmor:index:ProfiledContainer",
    hostProfile: "pulumi-nodejs:dynamic/apparmor:HostProfile",
    confinement: "pulumi-nodejs:dynamic/apparmor:Confinement",
    composeProject: "apparmor:index:ComposeProject",
    composeDeployment: "pulumi-nodejs:dynamic/apparmor:ComposeDeployment",
} as const;

/** The stack name in a URN (`urn:pulumi:STACK::PROJECT::TYPE::NAME`). */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/** The project name in a URN. */
export function projectOfUrn(urn: string): string {
    return urn.split("::")[1] ?? "";
}

/** The resource name in a URN (its last `::` part). */
export function nameOfUrn(urn: string): string {
    const parts = urn.split("::");
    return parts[parts.length - 1];
}

/**
 * Whether `text` matches a name pattern of the configuration: `*` any characters (including
 * none), `?` exactly one, anything else literal; the whole text must match.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
    let re = "";
    for (const c of pattern)
        re += c === "*" ? "[^]*" : c === "?" ? "[^]" : c.replace(/[\\^$.|+()[\]{}/-]/g, "\\$&");
    return new RegExp(`^${re}$`).test(text);
}

/** Whether any of `patterns` matches `text` (see {@link wildcardMatch}). */
export function anyMatch(patterns: readonly string[], text: string): boolean {
    return patterns.some((p) => wildcardMatch(p, text));
}

/** Whether a stack matches a `productionStacks` pattern: `STACK` patterns, or `PROJECT/STACK`. */
export function stackMatches(patterns: readonly string[], urn: string): boolean {
    const stack = stackOfUrn(urn);
    const qualified = `${projectOfUrn(urn)}/${stack}`;
    return patterns.some((p) => wildcardMatch(p, p.includes("/") ? qualified : stack));
}

/**
 * The policy's configuration: what the engine passed (`getConfig`), over the defaults of its
 * schema (the engine fills them in too; this keeps the policy right when called directly).
 */
export function configOf<T extends object>(
    schema: PolicyConfigSchema,
    given: object | undefined,
): T {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema.properties))
        if (typeof s === "object" && s.default !== undefined)
            out[k] = JSON.parse(JSON.stringify(s.default));
    for (const [k, v] of Object.entries(given ?? {})) if (v !== undefined) out[k] = v;
    return out as T;
}

/** Marker for a value that is unknown during a preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * `read()`, or {@link UNKNOWN} when it touches a value the engine does not know yet (during a
 * preview, the outputs of resources still to be created): the stack policies skip such resources
 * rather than failing, and see them with their real values at `up`.
 */
export function known<T>(read: () => T): T | typeof UNKNOWN {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** A string for messages: quoted, control characters escaped, at most 200 characters. */
export function quote(s: string): string {
    const q = JSON.stringify(s);
    return q.length > 202 ? `${q.slice(0, 199)}…"` : q;
}

/**
 * Text for a terminal: control characters (newlines included) and bidirectional-override characters
 * written as `\u{…}` escapes, so a rule or name cannot forge lines or reorder what the CLI prints.
 */
export function printableText(s: string): string {
    return s.replace(
        /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
        (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
    );
}

/**
 * The violation text every policy writes: what is wrong (naming the resource and the rule or
 * option), then the fix, each made {@link printableText}.
 */
export function message(what: string, fix: string): string {
    return `${printableText(what)}\nFix: ${printableText(fix)}`;
}

/** JSON-schema pieces the config schemas share. */
export const schema = {
    stringList: (description: string, def: readonly string[] = []) => ({
        type: "array" as const,
        items: { type: "string" as const },
        default: [...def],
        description,
    }),
    bool: (description: string, def: boolean) => ({
        type: "boolean" as const,
        default: def,
        description,
    }),
};
