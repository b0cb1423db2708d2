/**
 * The component provider (`provider/`, issue #14) from a Python program, on the real engine and the
 * test VM: examples/python-docker-default-secure/__main__.py as it is, run by
 * `pulumi-language-python` (test/engine/build-language.sh) in the venv of test/engine/python-venv.sh
 * (pulumi 3.259.0, pulumi-docker 5.0.0 from PyPI), with the apparmor SDK that
 * `pulumi package gen-sdk --language python --local` generates from provider/ (pip-installed into a
 * folder on PYTHONPATH) and the provider named in Pulumi.yaml `packages:` (what `pulumi package add`
 * writes).
 *
 * The program folder has no `node_modules` and the engine runs without `NODE_PATH`, as a Python
 * user's does: the components' custom resources are served by the apparmor plugin itself
 * (`apparmor:index:HostProfile`, src/components/pluginServed.ts), not by the engine's Node.js
 * dynamic-provider process, which could not load them there.
 *
 * One program, one stack: a bad argument fails the preview with the TypeScript component's error;
 * `up` loads the seed scenario and the program's own docker container runs under it (label read on
 * the host); a denial from `touch /tmp/a/x` is in the `denials` output after `up --refresh`; a mode
 * flip relabels the running container; `destroy` leaves nothing on the host.
 *
 * Why gen-sdk and not `pulumi package add`: the only pulumi-language-python the Go module proxy
 * serves (pseudo-version of August 2025, pkg/sdk 3.188) cannot parse the 3.259 CLI's LinkRequest
 * (field 2 was a map, `local_dependencies`, and is now a string, `loader_target`), and its `Link` is a
 * no-op; see README "Known limit". The YAML test runs the real `package add`.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { createThrowawayStack, engineBinDir, engineEnv, ThrowawayStack } from "../support/engine";
import { languageHostDir, pythonVenv } from "../support/languages";
import { pinnedPluginLines, seedScenarioTests } from "../support/providerPrograms";
import { buildLibrary, PROVIDER_DIR } from "../support/schema";
import { vmContext, type VmContext } from "../support/vmStack";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(repoRoot, "examples", "python-docker-default-secure");
const NAME = "pa-python-secure";

describe("Python program with the component provider (engine, VM)", function () {
    this.timeout(1_800_000);
    let ctx: VmContext;
    let stack: ThrowawayStack | undefined;
    let tmp: string | undefined;
    const box = { id: "" };

    /** The Pulumi.yaml of the program: the venv, the provider, the engine's provider plugins. */
    function pulumiYaml(venv: string): string {
        return [
            "name: pa-python",
            "runtime:",
            "  name: python",
            "  options:",
            `    virtualenv: ${JSON.stringify(venv)}`,
            "packages:",
            `  apparmor: ${JSON.stringify(PROVIDER_DIR)}`,
            ...pinnedPluginLines(),
            "",
        ].join("\n");
    }

    before(async () => {
        ctx = await vmContext();
        await ctx.clearProfiles([NAME]);
        await buildLibrary();
        const langDir = languageHostDir("python");
        const venv = pythonVenv();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-python-"));
        const program = path.join(tmp, "program");
        fs.mkdirSync(program);
        fs.copyFileSync(path.join(EXAMPLE, "__main__.py"), path.join(program, "__main__.py"));
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), pulumiYaml(venv));
        // Neither NODE_PATH nor node_modules: what a Python user's program folder has.
        const envVars = {
            PATH: [engineBinDir(), langDir, process.env.PATH ?? ""].join(path.delimiter),
            NODE_PATH: "",
            PYTHONPATH: path.join(tmp, "site"),
        };
        const home = path.join(tmp, "gen-home");
        fs.mkdirSync(home);
        await run(
            path.join(engineBinDir(), "pulumi"),
            [
                "package",
                "gen-sdk",
                PROVIDER_DIR,
                "--language",
                "python",
                "--local",
                "-o",
                path.join(tmp, "sdks"),
            ],
            {
                env: {
                    ...process.env,
                    ...engineEnv(path.join(tmp, "gen-backend"), home),
                    ...envVars,
                },
                maxBuffer: 16 * 1024 * 1024,
            },
        );
        fs.rmSync(home, { recursive: true, force: true });
        // What `pulumi package add` does next: pip-install the SDK (its version comes from the
        // installed package's metadata), here into a folder of its own on PYTHONPATH.
        await run(
            path.join(venv, "bin", "python"),
            [
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                path.join(tmp, "site"),
                path.join(tmp, "sdks", "python"),
            ],
            { maxBuffer: 16 * 1024 * 1024 },
        );
        stack = await createThrowawayStack({
            programDir: program,
            linkNodeModules: false,
            envVars,
            config: {
                host: ctx.vm.host,
                port: String(ctx.vm.port),
                user: ctx.vm.user,
                sshKey: { value: ctx.key, secret: true },
                hostKey: ctx.vm.hostKey,
                dockerHost: ctx.vm.dockerHost,
                profileName: NAME,
                image: "local/busybox:latest",
                command: "sleep 1000000",
                prepareHosts: "false",
            },
        });
    });

    after(async () => {
        if (stack) await stack.dispose();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        if (box.id) await ctx.root(`docker rm -f ${box.id} >/dev/null 2>&1; true`);
        if (ctx) await ctx.clearProfiles([NAME]);
    });

    seedScenarioTests("python", NAME, () => ({ stack: stack!, ctx }), box);
});
