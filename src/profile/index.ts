/**
 * The pure profile core: typed model, parser, renderer, version hash, validation, builders and the
 * docker-default template.
 */
export * from "./model";
export * from "./parser";
export * from "./render";
export * from "./version";
export * from "./validate";
export * from "./builders";
export * from "./dockerDefault";
export * from "./auditDenies";
export * from "./code";
export * from "./rename";
export * from "./glob";
export * from "./abi";
export * from "./utf8";
