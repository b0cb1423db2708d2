/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * `pulumi-apparmor/dist/src/components/providers` for this repository's engine tests: the dynamic
 * providers' serialized shims (src/components/dynamic.ts) require that module by package name inside
 * the engine's `pulumi-resource-pulumi-nodejs` process. An installed package has it in `dist/`; here
 * it is the checkout's TypeScript source, run through ts-node (transpile only, once per process).
 */
const path = require("path");

const repo = path.resolve(__dirname, "..", "..", "..", "..");
const REGISTERED = Symbol.for("ts-node.register.instance");
if (!process[REGISTERED]) {
    require("ts-node").register({
        transpileOnly: true,
        project: path.join(repo, "tsconfig.json"),
    });
}
module.exports = require(path.join(repo, "src", "components", "providers.ts"));
