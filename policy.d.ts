export * from "./dist/src/policy";
