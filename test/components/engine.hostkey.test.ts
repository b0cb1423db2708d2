/**
 * The dynamic providers on the real engine, without a VM: a `HostKey` against a stand-in SSH
 * server on loopback (`test/support/fakeSsh.ts`).
 *
 * - The serialized provider in state names the implementation by package name only: `pulumi stack
 *   export` and the backend's files hold no path of this checkout, and the engine's provider process
 *   (a fresh one per operation) still loads it — from `NODE_PATH`, where the harness's stand-in
 *   `pulumi-apparmor` package resolves to the sources (an installed package resolves to its `dist/`).
 * - The key is recorded on first use (the full `TYPE BASE64` line, no authentication); once the
 *   server is re-keyed, refresh refuses, naming the host and both fingerprints; re-pinning the new
 *   key and `up` accepts it.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HostKey } from "../../src/components";
import { pinKeyLine } from "../../src/components/hostKeys";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { startFakeSsh, type FakeSsh } from "../support/fakeSsh";

const repoRoot = path.resolve(__dirname, "..", "..");

describe("components: HostKey and the provider's code path on the real engine (fake SSH server)", function () {
    this.timeout(300_000);
    let srv: FakeSsh;
    let s: ThrowawayStack;
    let pin: string | undefined;

    before(async () => {
        srv = await startFakeSsh();
        s = await createThrowawayStack({
            projectName: "pa-hostkey",
            program: async () => {
                const hk = new HostKey("hk", {
                    host: "127.0.0.1",
                    port: srv.port,
                    target: `deploy@127.0.0.1:${srv.port}`,
                    ...(pin ? { pin } : {}),
                });
                return { key: hk.key, fingerprint: hk.fingerprint, stack: pulumi.getStack() };
            },
        });
    });
    after(async () => {
        if (s) await s.dispose();
        if (srv) await srv.close();
    });

    it("up records the host's full key line on first use, without authenticating", async () => {
        const up = await s.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        const o = await s.outputs();
        assert.strictEqual(o.key.value, pinKeyLine(srv.keys[0].line));
        assert.strictEqual(o.fingerprint.value, srv.keys[0].fingerprint);
        assert.deepStrictEqual([...srv.auths], [], "a key scan never authenticates");
    });

    it("state holds no path of this checkout; the provider loads by package name (refresh, preview)", async () => {
        // The engine records, for every resource of every program, where the program constructed it
        // (`sourcePosition`, `stackTrace`: the program's own call stack, here this test file and the
        // sources it imports). That is the engine's metadata, not the provider: left out here.
        const noPositions = (t: string) => t.replace(/"sourcePosition":\s*"[^"]*"/g, "");
        const text = noPositions(await s.exportStackText());
        const stored = noPositions(s.backendText());
        const roots = new Set([repoRoot, fs.realpathSync(repoRoot)]);
        for (const root of roots) {
            assert.ok(!text.includes(root), `stack export contains ${root}`);
            assert.ok(!stored.includes(root), `backend files contain ${root}`);
        }
        assert.ok(!/src\/components\/providers\.ts/.test(text), "no source path in the export");
        assert.ok(
            text.includes("pulumi-apparmor/dist/src/components/providers"),
            "the serialized provider requires the package's implementation module",
        );
        // Each operation runs a new provider process, which evaluates the serialized provider.
        const r = await s.refresh();
        assert.strictEqual(r.result.summary.result, "succeeded");
        assert.deepStrictEqual(r.result.summary.resourceChanges, { same: 2 });
        await s.preview({ expectNoChanges: true });
    });

    it("a re-keyed host: refresh refuses naming host and both fingerprints; re-pinning the new key and up accept it", async () => {
        const old = srv.keys[0];
        await srv.rekey();
        const now = srv.keys[0];
        const where = `deploy@127.0.0.1:${srv.port}`;
        let message = "";
        try {
            await s.refresh();
        } catch (e) {
            message = String(e);
        }
        assert.ok(
            message.includes(`${where}: connect failed: host key of ${where} changed`),
            message,
        );
        assert.ok(message.includes(`key is ${now.fingerprint}`), message);
        assert.ok(message.includes(old.fingerprint), message);
        assert.match(message, /set hostKey to the host's public key line/);
        pin = now.line;
        const up = await s.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        assert.strictEqual((await s.outputs()).key.value, pinKeyLine(now.line));
        assert.deepStrictEqual([...srv.auths], []);
    });
});

/**
 * The same with the package as users install it: this checkout built to `dist/` into a temporary
 * `node_modules/pulumi-apparmor` (its package.json, `dist/`, host scripts), the program loading it
 * from there, and the provider process resolving it by name through that `node_modules` only (no
 * stand-in package on `NODE_PATH`).
 */
describe("components: the provider of an installed package (built dist) on the real engine", function () {
    this.timeout(600_000);
    let srv: FakeSsh;
    let s: ThrowawayStack | undefined;
    let tmp = "";

    before(async function () {
        srv = await startFakeSsh();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-installed-"));
        const nm = path.join(tmp, "node_modules");
        const pkg = path.join(nm, "pulumi-apparmor");
        fs.mkdirSync(path.join(pkg, "src", "host"), { recursive: true });
        execFileSync(
            process.execPath,
            [
                require.resolve("typescript/bin/tsc"),
                "-p",
                path.join(repoRoot, "tsconfig.json"),
                "--outDir",
                path.join(pkg, "dist"),
                "--declaration",
                "false",
                "--sourceMap",
                "false",
            ],
            { stdio: "inherit" },
        );
        fs.copyFileSync(path.join(repoRoot, "package.json"), path.join(pkg, "package.json"));
        for (const f of fs.readdirSync(path.join(repoRoot, "src", "host")))
            if (f.endsWith(".sh"))
                fs.copyFileSync(
                    path.join(repoRoot, "src", "host", f),
                    path.join(pkg, "src", "host", f),
                );
        // The package's dependencies, as npm would install them beside it.
        const deps = path.join(repoRoot, "node_modules");
        for (const e of fs.readdirSync(deps))
            if (e !== "pulumi-apparmor" && !e.startsWith("."))
                fs.symlinkSync(path.join(deps, e), path.join(nm, e));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const installed: typeof import("../../src") = require(pkg);
        s = await createThrowawayStack({
            projectName: "pa-installed",
            program: async () => {
                const hk = new installed.HostKey("hk", {
                    host: "127.0.0.1",
                    port: srv.port,
                    target: `deploy@127.0.0.1:${srv.port}`,
                });
                return { key: hk.key };
            },
            envVars: { NODE_PATH: nm },
        });
    });
    after(async () => {
        if (s) await s.dispose();
        if (srv) await srv.close();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("up, refresh and destroy load the provider from the installed package; state names no path", async () => {
        assert.strictEqual((await s!.up()).result.summary.result, "succeeded");
        assert.strictEqual((await s!.outputs()).key.value, pinKeyLine(srv.keys[0].line));
        const text = (await s!.exportStackText()).replace(/"sourcePosition":\s*"[^"]*"/g, "");
        for (const p of [repoRoot, fs.realpathSync(repoRoot), tmp, fs.realpathSync(tmp)])
            assert.ok(!text.includes(p), `stack export contains ${p}`);
        assert.ok(text.includes("pulumi-apparmor/dist/src/components/providers"));
        const r = await s!.refresh();
        assert.deepStrictEqual(r.result.summary.resourceChanges, { same: 2 });
        const d = await s!.destroy();
        assert.strictEqual(d.result.summary.result, "succeeded");
    });
});
