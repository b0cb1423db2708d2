/**
 * The component provider (`provider/`, issue #14) from a Pulumi YAML program, on the real engine and
 * the test VM: examples/yaml-docker-default-secure/Pulumi.yaml as it is (its `packages:` path pointed
 * at this checkout's provider/ and the engine's provider plugins pinned), run by
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
import {
    assertKeyNotStored,
    createThrowawayStack,
    engineBinDir,
    ThrowawayStack,
} from "../support/engine";
import { languageHostDir } from "../support/languages";
import { assertBadDirectoryError, pinnedPluginLines } from "../support/providerPrograms";
import { buildLibrary, PROVIDER_DIR } from "../support/schema";
import { PROFILE_DIR, vmContext, type VmContext } from "../support/vmStack";

const repoRoot = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(repoRoot, "examples", "yaml-docker-default-secure");
const NAME = "pa-yaml-secure";

describe("YAML program with the component provider (engine, VM)", function () {
    this.timeout(1_800_000);
    let ctx: VmContext;
    let stack: ThrowawayStack | undefined;
    let tmp: string | undefined;
    let containerId = "";

    /** The example's Pulumi.yaml, its provider path made absolute, the engine's plugins pinned. */
    function pulumiYaml(): string {
        const text = fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8");
        const local = "  apparmor: ../../provider\n";
        assert.ok(text.includes(local), "the example names ../../provider");
        return [
            text.replace(local, `  apparmor: ${JSON.stringify(PROVIDER_DIR)}\n`).trimEnd(),
            ...pinnedPluginLines(),
            "",
        ].join("\n");
    }

    const labelOnHost = async (id: string): Promise<string> =>
        (
            await ctx.root(`cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`)
        ).stdout.trim();

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
        // A list-typed config value (`pulumi config set --path`; "1000000s", as a bare number would
        // be stored as one and the list would not be array<string>).
        await stack.cli(["config", "set", "--path", "command[0]", "sleep"]);
        await stack.cli(["config", "set", "--path", "command[1]", "1000000s"]);
    });

    after(async () => {
        if (stack) await stack.dispose();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        if (containerId) await ctx.root(`docker rm -f ${containerId} >/dev/null 2>&1; true`);
        if (ctx) await ctx.clearProfiles([NAME]);
    });

    it("a bad argument fails the preview with the TypeScript component's error", async () => {
        await stack!.stack.setConfig("directory", { value: "/tmp/x" });
        let text = "";
        try {
            await stack!.preview();
            assert.fail("the preview succeeded");
        } catch (e) {
            text = (e as Error).message;
        } finally {
            await stack!.stack.removeConfig("directory");
        }
        assertBadDirectoryError(text, ctx, NAME);
    });

    it("up: the profile is loaded and the program's own container runs under it", async () => {
        const t0 = Date.now();
        const up = await stack!.up();
        process.stderr.write(`yaml program: first up took ${(Date.now() - t0) / 1000} s\n`);
        assert.strictEqual(up.result.summary.result, "succeeded");
        const created = up.steps.filter((s) => s.op === "create").map((s) => `${s.type} ${s.name}`);
        for (const want of [
            "apparmor:index:Profile secure",
            "apparmor:index:HostProfile secure-web-host",
            "docker:index/container:Container web",
        ])
            assert.ok(created.includes(want), `no create of ${want} in ${created.join(", ")}`);
        assert.ok(
            !created.some((c) => c.startsWith("pulumi-nodejs:")),
            `a dynamic resource in ${created.join(", ")}`,
        );
        const o = up.result.outputs;
        assert.strictEqual(o.securityOpt.value, `apparmor=${NAME}`);
        containerId = String(o.containerId.value);
        assert.strictEqual(await labelOnHost(containerId), `${NAME} (enforce)`);
        // The state holds the resources' data, no code and no path of this machine; the key only
        // as ciphertext.
        await assertKeyNotStored(stack!, ctx.key);
        const exported = await stack!.exportStackText();
        assert.ok(!exported.includes("__provider"), "a serialized provider in state");
        // No property of any resource names the checkout. Allowed: the engine's own metadata about
        // the plugin — the `pulumi:providers:apparmor` provider's record of where the `packages:`
        // plugin is, and the SDK's registration source positions (`sourcePosition`,
        // `stackTrace`: where in the plugin's files each resource was declared; nothing reads
        // them back to run code).
        const resources = (
            JSON.parse(exported) as { deployment: { resources: Record<string, unknown>[] } }
        ).deployment.resources;
        const withPath = resources.flatMap((r) =>
            Object.entries(r)
                .filter(([, v]) => JSON.stringify(v).includes(repoRoot))
                .map(([k, v]) => `${String(r.type)} ${k}: ${JSON.stringify(v).slice(0, 300)}`),
        );
        process.stderr.write(`state naming the checkout:\n${withPath.join("\n")}\n`);
        assert.deepStrictEqual(
            withPath.filter(
                (w) =>
                    !w.startsWith("pulumi:providers:apparmor ") &&
                    !/^\S+ (sourcePosition|stackTrace): /.test(w),
            ),
            [],
        );
    });

    it("a denial from `touch /tmp/a/x` is in the denials output after up --refresh", async () => {
        const t = await ctx.root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`,
        );
        assert.match(t.stderr, /Permission denied/);
        const up = await stack!.stack.up({ refresh: true, color: "never" });
        assert.strictEqual(up.summary.result, "succeeded");
        const versions = up.outputs.versions.value as Record<string, { version: string }>;
        const denials = up.outputs.denials.value as Record<
            string,
            { byVersion: Record<string, { denied: number; targets: { target: string }[] }> }
        >;
        const d = denials["web-host"].byVersion[versions["web-host"].version];
        assert.ok(d && d.denied >= 1, JSON.stringify(up.outputs.denials.value));
        assert.ok(
            d.targets.some((x) => x.target.startsWith("/tmp/a")),
            JSON.stringify(d),
        );
    });

    it("a mode flip relabels the running container", async () => {
        await stack!.stack.setConfig("mode", { value: "complain" });
        const up = await stack!.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        assert.strictEqual(String(up.result.outputs.containerId.value), containerId);
        assert.strictEqual(await labelOnHost(containerId), `${NAME} (complain)`);
    });

    it("destroy removes the container and the profile", async () => {
        await stack!.destroy();
        const loaded = await ctx.root("cat /sys/kernel/security/apparmor/profiles");
        assert.ok(!loaded.stdout.includes(`${NAME} (`), `${NAME} still loaded`);
        assert.match(
            (await ctx.root(`ls ${PROFILE_DIR}/${NAME} 2>&1; true`)).stdout,
            /No such file/,
        );
        const left = await ctx.root(`docker ps -aq --filter id=${containerId}`);
        assert.strictEqual(left.stdout.trim(), "");
        containerId = "";
    });
});
