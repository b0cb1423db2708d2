/**
 * Compose files (pure: no Pulumi, no I/O): parsing and Compose Specification validation, the rules
 * a confined project must satisfy, and the rewrite that gives each service its profile.
 */
export * from "./parse";
export * from "./paths";
export * from "./rules";
export * from "./rewrite";
export * from "./schema";
