/**
 * Validation of a compose file against the official Compose Specification JSON schema
 * (`compose-spec.json`, copied unchanged from github.com/compose-spec/compose-spec, schema/, Apache-2.0,
 * commit 170098b of 2026-06-23). Why these libraries: there is no maintained compose-spec validator on
 * npm, while the spec project publishes its schema; Ajv (ajv, the most used JSON Schema validator,
 * draft-07 as the schema declares) checks it, and `yaml` (eemeli/yaml, YAML 1.2, maintained, no
 * dependencies) parses the file. Pure: no I/O, no Pulumi.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import schema from "./compose-spec.json";

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
    // The schema's "$schema" names draft-07 without the trailing "#" Ajv keys it by, so the
    // meta-schema check is off (the schema is the spec's own, not user input); strict off: it uses
    // annotations (e.g. "deprecated") Ajv's strict mode refuses.
    validator ??= new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(
        schema,
    );
    return validator;
}

/** One schema violation: where in the file (e.g. `services.web.ports`) and what is wrong. */
export interface SchemaViolation {
    readonly path: string;
    readonly message: string;
}

function describe(e: ErrorObject): SchemaViolation {
    const path = e.instancePath
        .split("/")
        .slice(1)
        .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
        .join(".");
    const extra =
        e.keyword === "additionalProperties"
            ? ` (unknown key "${String((e.params as { additionalProperty?: string }).additionalProperty)}")`
            : e.keyword === "enum"
              ? ` (one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
              : "";
    return { path: path || "(top level)", message: `${e.message ?? "is invalid"}${extra}` };
}

/**
 * The violations of the Compose Specification in a parsed compose file (at most `max`, default 10;
 * `oneOf`/`anyOf` summaries dropped when a more precise error is present).
 */
export function composeSchemaViolations(value: unknown, max = 10): SchemaViolation[] {
    const v = compiled();
    if (v(value)) return [];
    const errors = v.errors ?? [];
    const precise = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf");
    const seen = new Set<string>();
    const out: SchemaViolation[] = [];
    for (const e of precise.length > 0 ? precise : errors) {
        const d = describe(e);
        const key = `${d.path}: ${d.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(d);
        if (out.length >= max) break;
    }
    return out;
}
