/**
 * Parsing a compose file: YAML 1.2 with the `yaml` package (merge keys `<<` on, as compose accepts
 * them; aliases expanded with yaml's own bound against alias bombs; duplicate keys refused), then
 * the Compose Specification schema (see schema.ts). Pure.
 */
import { parseDocument } from "yaml";
import { composeSchemaViolations } from "./schema";

/** A compose file as plain data (after YAML parsing and schema validation). */
export interface ComposeFile {
    readonly [key: string]: unknown;
    readonly services: Readonly<Record<string, Record<string, unknown>>>;
}

export type ParseOutcome =
    | { readonly ok: true; readonly file: ComposeFile }
    | { readonly ok: false; readonly errors: readonly string[] };

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and validates `text`; `errors` are human messages (YAML position or schema path). */
export function parseComposeText(text: string): ParseOutcome {
    if (typeof text !== "string" || text.trim() === "")
        return { ok: false, errors: ["the compose file is empty"] };
    const doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0)
        return {
            ok: false,
            errors: doc.errors
                .slice(0, 5)
                .map((e) => `not valid YAML: ${e.message.split("\n")[0]}`),
        };
    let value: unknown;
    try {
        value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
        return { ok: false, errors: [`not valid YAML: ${(e as Error).message}`] };
    }
    if (!isRecord(value)) return { ok: false, errors: ["the file is not a YAML mapping"] };
    const violations = composeSchemaViolations(value);
    if (violations.length > 0)
        return {
            ok: false,
            errors: violations.map((v) => `${v.path}: ${v.message} (Compose Specification)`),
        };
    if (!isRecord(value.services) || Object.keys(value.services).length === 0)
        return { ok: false, errors: ["the file declares no services"] };
    return { ok: true, file: value as ComposeFile };
}
