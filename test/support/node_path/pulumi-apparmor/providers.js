/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * `pulumi-apparmor/dist/src/components/providers` for this repository's engine tests: the dynamic
 * providers' serialized shims (src/components/dynamic.ts) require that module by package name inside
 * the engine's `pulumi-resource-pulumi-nodejs` process, one per engine operation. An installed
 * package has it in `dist/`; here it is the checkout's compiled `dist/` when that is newer than every
 * source (`npm test` builds it first: test/run-all.sh), else the TypeScript sources through ts-node
 * (transpile only), so that a test run by hand after an edit still runs the edited code. Measured
 * 2026-12-06: loading through ts-node costs 3.9 s of CPU per process, `dist/` 0.8 s.
 */
const path = require("path");
const { distIsFresh } = require("../../distFresh");

const repo = path.resolve(__dirname, "..", "..", "..", "..");
if (distIsFresh(repo)) {
    module.exports = require(path.join(repo, "dist", "src", "components", "providers.js"));
} else {
    const REGISTERED = Symbol.for("ts-node.register.instance");
    if (!process[REGISTERED]) {
        require("ts-node").register({
            transpileOnly: true,
            project: path.join(repo, "tsconfig.json"),
        });
    }
    module.exports = require(path.join(repo, "src", "components", "providers.ts"));
}
