/**
 * The log byte scanner's WebAssembly module (src/log/scan-wasm.ts) is the build of its source
 * (wasm/log-scan.ts) by the pinned AssemblyScript compiler: rebuilt here and compared byte for
 * byte, so the module in the repository is reproducible from the repository.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

describe("log byte scanner module", () => {
    it("is byte for byte the build of wasm/log-scan.ts (npm run build:wasm)", function () {
        this.timeout(120000);
        const root = path.join(__dirname, "../../..");
        const r = spawnSync(
            process.execPath,
            [path.join(root, "scripts/build-wasm.mjs"), "--check"],
            {
                cwd: root,
                encoding: "utf8",
            },
        );
        assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /matches the build/);
    });
});
