/** The pure profile core: typed model, renderer, parser, version hash. */
export * from "./model";
