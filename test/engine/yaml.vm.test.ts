/**
 * The component provider (`provider/`, issue #14) from a Pulumi YAML program, on the real engine and
 * the test VM: examples/yaml-docker-default-secure/Pulumi.yaml as it is, its `packages:` entry written
 * by `pulumi package add` of this checkout's provider/ (the engine's provider plugins pinned), run by
 * `pulumi-language-yaml` (test/engine/build-language.sh yaml), which reads the provider's schema
 * itself (no SDK). No `node_modules`, no `NODE_PATH`, as for a YAML user.
 *
 * One program, one stack, the same proof as python.vm.test.ts: a bad argument fails the preview with
 * the TypeScript component's error; `up` loads the seed scenario and the program's own docker
 * container runs under it (label read on the host); a denial of `touch /tmp/a/x` is in `denials`
 * after `up --refresh`; a mode flip relabels the running container; `destroy` leaves nothing.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createThrowawayStack, engineBinDir, ThrowawayStack } from "../support/engine";
import { languageHostDir } from "../support/languages";
import { pinnedPluginLines, seedScenarioTests } from "../support/providerPrograms";
import { buildLibrary, PROVIDER_DIR } from "../support/schema";
import { vmContext, type VmContext } from "../support/vmStack";

const repoRoot = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(repoRoot, "examples", "yaml-docker-default-secure");
const NAME = "pa-yaml-secure";

describe("YAML program with the component provider (engine, VM)", function () {
    this.timeout(1_800_000);
    let ctx: VmContext;
    let stack: ThrowawayStack | undefined;
    let tmp: string | undefined;
    const box = { id: "" };

    /**
     * The example's Pulumi.yaml without its `packages:` entry (`pulumi package add` writes it back),
     * the engine's plugins pinned.
     */
    function pulumiYaml(): string {
        const text = fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8");
        const local = "packages:\n  apparmor: ../../provider\n";
        assert.ok(text.includes(local), "the example names ../../provider");
        return [text.replace(local, "").trimEnd(), ...pinnedPluginLines(), ""].join("\n");
    }

    before(async () => {
        ctx = await vmContext();
        await ctx.clearProfiles([NAME]);
        await buildLibrary();
        const langDir = languageHostDir("yaml");
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-yaml-"));
        const program = path.join(tmp, "program");
        fs.mkdirSync(program);
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), pulumiYaml());
        // Neither NODE_PATH nor node_modules: what a YAML user's program folder has.
        const envVars = {
            PATH: [engineBinDir(), langDir, process.env.PATH ?? ""].join(path.delimiter),
            NODE_PATH: "",
        };
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
                prepareHosts: "false",
            },
        });
        // What a YAML user runs: `pulumi package add` of the provider folder (it reads the schema
        // through the plugin and writes the `packages:` entry; YAML needs no generated SDK).
        await stack.cli(["package", "add", PROVIDER_DIR], { stackFlag: false });
        const written = fs.readFileSync(
            path.join(stack.stack.workspace.workDir, "Pulumi.yaml"),
            "utf8",
        );
        assert.ok(
            written.includes(`packages:\n  apparmor: ${PROVIDER_DIR}\n`),
            `package add wrote the packages entry:\n${written}`,
        );
        // A list-typed config value (`pulumi config set --path`; "1000000s", as a bare number would
        // be stored as one and the list would not be array<string>).
        await stack.cli(["config", "set", "--path", "command[0]", "sleep"]);
        await stack.cli(["config", "set", "--path", "command[1]", "1000000s"]);
    });

    after(async () => {
        if (stack) await stack.dispose();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        if (box.id) await ctx.root(`docker rm -f ${box.id} >/dev/null 2>&1; true`);
        if (ctx) await ctx.clearProfiles([NAME]);
    });

    seedScenarioTests("yaml", NAME, () => ({ stack: stack!, ctx }), box);
});
