/** The engine's marker for a value not known during preview, as a dynamic provider receives it. */
export const UNKNOWN_MARKER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a dynamic provider's input is the engine's unknown marker. */
export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN_MARKER;
}
