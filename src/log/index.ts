/**
 * AppArmor audit logs: parser, aggregation with version attribution, cursors, rule suggestions.
 * Pure code: callers (CLI, components) read the text and hand it in.
 */
export * from "./record";
export * from "./parse";
export * from "./aggregate";
export * from "./cursor";
export * from "./suggest";
export * from "./kernel";
export * from "./escape";
