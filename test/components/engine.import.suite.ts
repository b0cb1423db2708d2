/* eslint-disable @typescript-eslint/no-require-imports -- the generated program is loaded as the engine's inline program */
/**
 * `pulumi-apparmor import` (issue #16 item 2) with the real engine against the test VM. A host with
 * two hand-made profiles (one enforce, one complain, a container under each) is imported; the
 * generated program's first `up` writes nothing and reloads nothing on the host (the no-op up's host
 * write markers: file stat, the loaded policy's hash, the kernel's STATUS records, and no manifest or adoption
 * record of ours); an edit of a saved profile file rolls out like any change; `destroy` gives the
 * host back its original file and policy.
 *
 * The program is run as the engine's inline program by requiring the generated `index.ts`; its
 * `import … from "pulumi-apparmor"` resolves to this checkout through a stand-in package the test
 * puts in the output folder (an installed program gets the published package from npm).
 */
import { releaseHost, type Release } from "../support/releases";
import { LOADED_POLICIES_SH } from "../host/scripts-support";
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { run } from "../../src/cli/import";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { type TestHostInfo } from "../support/testhost";
import {
    handMadeProfile,
    HANDMADE_DIR,
    placeHandMade,
    removeHandMade,
    vmHostArgs,
    vmRoot,
} from "../support/handmade";
import { runCli } from "../support/cliRun";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * Type-checks the generated program (strict) and transpiles its `index.ts` to `index.js`, as
 * Pulumi's nodejs runtime would run it; returns that file. Test-only: `node_modules` in the folder
 * resolves `pulumi-apparmor` to this checkout's sources and `@pulumi/pulumi` to the one the test
 * process uses (an installed program gets both from npm).
 */
function compileProgram(dir: string): string {
    const nm = path.join(dir, "node_modules");
    fs.mkdirSync(path.join(nm, "pulumi-apparmor"), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules", "@pulumi"), path.join(nm, "@pulumi"));
    const src = path.join(REPO, "src", "index");
    fs.writeFileSync(
        path.join(nm, "pulumi-apparmor", "index.js"),
        `module.exports = require(${JSON.stringify(`${src}.ts`)});\n`,
    );
    fs.writeFileSync(
        path.join(nm, "pulumi-apparmor", "index.d.ts"),
        `export * from ${JSON.stringify(src)};\n`,
    );
    const file = path.join(dir, "index.ts");
    const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2020,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        typeRoots: [path.join(REPO, "node_modules", "@types")],
        types: ["node"],
    });
    const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file === undefined || d.file.fileName === file)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepStrictEqual(problems, [], "the generated program type-checks");
    const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        compilerOptions: {
            module: ts.ModuleKind.CommonJS,
            target: ts.ScriptTarget.ES2020,
            esModuleInterop: true,
        },
    }).outputText;
    fs.writeFileSync(path.join(dir, "index.js"), js);
    return path.join(dir, "index.js");
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function engineImportSuite(release: Release): void {
    describe(`pulumi-apparmor import: the generated program on the real engine + VM${releaseHost(release).suffix}`, function () {
        this.timeout(1_200_000);
        let vm: TestHostInfo;
        let tmp: string;
        let out: string;
        let s: ThrowawayStack | undefined;
        let trace: string;
        const ENF = "pa-imp-enf";
        const CMP = "pa-imp-cmp";
        const containers = ["pa-imp-c1", "pa-imp-c2"];
        const texts: Record<string, string> = {
            [ENF]: handMadeProfile(ENF, "enforce"),
            [CMP]: handMadeProfile(CMP, "complain"),
        };
        let original = "";
        let importMs = 0;

        /** The no-op up's host write markers for both profiles, plus our records (absent or present). */
        async function markers(): Promise<string> {
            return vmRoot(
                vm,
                `for n in ${ENF} ${CMP}; do stat -c '%n %i %Y %Z' ${HANDMADE_DIR}/$n; ` +
                    `${LOADED_POLICIES_SH} | grep "^$n "; ` +
                    `grep "^$n " /sys/kernel/security/apparmor/profiles; ` +
                    `journalctl -q _TRANSPORT=audit --no-pager | grep -c "apparmor=\\"STATUS\\".*name=\\"$n\\""; ` +
                    `ls -d /var/lib/pulumi-apparmor/profiles/$n /var/lib/pulumi-apparmor/adopted/$n 2>&1; done; true`,
            );
        }

        before(async function () {
            this.timeout(3_600_000);
            vm = await releaseHost(release).host();
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-import-"));
            out = path.join(tmp, "program");
            trace = path.join(tmp, "trace.jsonl");
            await removeHandMade(vm, [ENF, CMP], containers);
            await placeHandMade(vm, ENF, texts[ENF], containers[0]);
            await placeHandMade(vm, CMP, texts[CMP], containers[1]);
            original = await markers();
        });

        after(async function () {
            if (s) await s.dispose();
            if (vm) await removeHandMade(vm, [ENF, CMP], containers);
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("import writes a program: one adopting Profile per profile, the texts byte for byte, no key", async () => {
            const t0 = Date.now();
            const r = await runCli(run, [
                ...vmHostArgs(vm),
                "--out",
                out,
                "--project",
                "pa-import",
                "--profile",
                ENF,
                "--profile",
                CMP,
            ]);
            importMs = Date.now() - t0;
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^adopted ${ENF} \\(enforce\\)$`, "m"));
            assert.match(r.stdout, new RegExp(`^adopted ${CMP} \\(complain\\)$`, "m"));
            for (const n of [ENF, CMP])
                assert.strictEqual(
                    fs.readFileSync(path.join(out, "profiles", n), "utf8"),
                    texts[n],
                );
            const index = fs.readFileSync(path.join(out, "index.ts"), "utf8");
            assert.match(index, /adopt: true,/);
            assert.match(index, /config\.requireSecret\("sshKey"\)/);
            assert.match(
                index,
                new RegExp(
                    `// containers: ${containers[0]} \\([0-9a-f]{12}, ${ENF} \\(enforce\\)\\)`,
                ),
            );
            const key = fs.readFileSync(vm.privateKeyPath, "utf8");
            for (const f of ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json"]) {
                const text = fs.readFileSync(path.join(out, f), "utf8");
                assert.ok(
                    !text.includes(vm.privateKeyPath) &&
                        !key.split("\n").some((l) => l.length > 20 && text.includes(l)),
                    f,
                );
            }
            assert.strictEqual(await markers(), original, "import only reads");
        });

        it("the program's first up changes nothing on the host: no compile, no write, no reload", async () => {
            const index = compileProgram(out);
            s = await createThrowawayStack({
                projectName: "pa-import",
                program: async () => {
                    delete require.cache[require.resolve(index)];
                    const m = require(index) as { versions: unknown };
                    return { versions: m.versions };
                },
                config: {
                    sshKey: { value: fs.readFileSync(vm.privateKeyPath, "utf8"), secret: true },
                },
                envVars: { PULUMI_APPARMOR_TRACE_FILE: trace },
            });
            const t0 = Date.now();
            const up = await s.up();
            const upMs = Date.now() - t0;
            process.stderr.write(
                `    [import] import ${(importMs / 1000).toFixed(1)} s + first up ${(upMs / 1000).toFixed(1)} s = ${((importMs + upMs) / 1000).toFixed(1)} s\n`,
            );
            assert.strictEqual(up.result.summary.result, "succeeded");
            assert.deepStrictEqual(
                up
                    .changes()
                    .filter((c) => c.type.endsWith("HostProfile"))
                    .map((c) => [c.op, c.name])
                    .sort(),
                [
                    ["create", `${CMP}-127.0.0.1:${vm.port}`],
                    ["create", `${ENF}-127.0.0.1:${vm.port}`],
                ].sort(),
            );
            // Same file (inode, times), same loaded policy and mode, no STATUS record (no load), and no
            // manifest: the install took its adopt-in-place path, the only one that compiles nothing.
            assert.strictEqual(await markers(), original, "host write markers changed");
            const steps = fs
                .readFileSync(trace, "utf8")
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l) as { script: string; code: number; items?: number });
            // the two installs and nothing else: one `installs` run of both (they reach the
            // provider together), or each its own `install` when they came apart
            const changes = steps.filter((x) => x.script !== "denials" && x.script !== "read");
            assert.ok(
                changes.every(
                    (x) => (x.script === "install" || x.script === "installs") && x.code === 0,
                ),
                JSON.stringify(changes),
            );
            assert.strictEqual(
                changes.reduce((n, x) => n + (x.script === "installs" ? x.items! : 1), 0),
                2,
                JSON.stringify(changes),
            );
            const o = (await s.stack.outputs()).versions.value as Record<
                string,
                Record<string, { mode: string }>
            >;
            assert.strictEqual(Object.values(o[ENF])[0].mode, "enforce");
            assert.strictEqual(Object.values(o[CMP])[0].mode, "complain");
            await s.stack.preview({ expectNoChanges: true });
        });

        it("an edit of a saved profile rolls out: the host gets the new file and policy, the container stays confined", async () => {
            const file = path.join(out, "profiles", ENF);
            fs.writeFileSync(
                file,
                texts[ENF].replace(
                    "  deny /tmp/secret/** rwlx,\n",
                    "  deny /tmp/secret/** rwlx,\n  audit deny /tmp/imp/** rwlx,\n",
                ),
            );
            const up = await s!.up();
            assert.deepStrictEqual(
                up.changes().map((c) => [c.op, c.name]),
                [["update", `${ENF}-127.0.0.1:${vm.port}`]],
            );
            assert.strictEqual(
                await vmRoot(vm, `cat ${HANDMADE_DIR}/${ENF}`),
                fs.readFileSync(file, "utf8"),
            );
            const t = await vmRoot(
                vm,
                `docker exec ${containers[0]} sh -c 'mkdir -p /tmp/imp && touch /tmp/imp/x' 2>&1; true`,
            );
            assert.match(t, /Permission denied/);
            assert.match(await vmRoot(vm, `ls /var/lib/pulumi-apparmor/adopted/${ENF}`), /file/);
        });

        it("destroy gives the host back its original files and policies", async () => {
            await s!.stack.destroy();
            assert.strictEqual(await vmRoot(vm, `cat ${HANDMADE_DIR}/${ENF}`), texts[ENF]);
            const now = await markers();
            // The restored file is a new inode (put back by rename); the loaded policy is the very same.
            const strip = (m: string) =>
                m.replace(/^(\S+) \d+ \d+ \d+$/gm, "$1").replace(/^\d+$/gm, "");
            assert.strictEqual(strip(now), strip(original));
            const label = await vmRoot(
                vm,
                `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${containers[0]})/attr/current`,
            );
            assert.strictEqual(label.trim(), `${ENF} (enforce)`);
        });
    });
}
