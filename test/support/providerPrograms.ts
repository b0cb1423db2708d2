/**
 * Shared pieces of the engine tests whose programs use the component provider (`provider/`) from
 * another language: the Pulumi.yaml block pinning the engine's provider plugins, the check that a
 * bad argument fails with the TypeScript component's own error, and the seed-scenario proof the
 * Python and YAML programs share ({@link seedScenarioTests}).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { argsError, validateProfileArgs } from "../../src/components/profile";
import { assertKeyNotStored, engine, engineBinDir, type ThrowawayStack } from "./engine";
import { PROFILE_DIR, secureProfile, type VmContext } from "./vmStack";

const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * Pulumi.yaml lines (`plugins: providers: …`) pinning every provider plugin of the source build's
 * bin folder (not the dynamic-provider launcher) to that folder; none with a Pulumi from PATH (its
 * own plugin discovery).
 */
export function pinnedPluginLines(): string[] {
    if (engine().layout === "own") return [];
    const names = fs
        .readdirSync(engineBinDir())
        .filter((f) => f.startsWith("pulumi-resource-") && f !== "pulumi-resource-pulumi-nodejs")
        .map((f) => f.slice("pulumi-resource-".length));
    if (names.length === 0) return [];
    const dir = JSON.stringify(engineBinDir());
    return [
        "plugins:",
        "  providers:",
        ...names.map((n) => `    - name: ${n}\n      path: ${dir}`),
    ];
}

/**
 * Asserts that `text` (a failed preview's output) holds every line of the error the TypeScript
 * `Profile` "secure" gives for `directory: "/tmp/x"` (resource, field, fix).
 */
export function assertBadDirectoryError(text: string, ctx: VmContext, profileName: string): void {
    const expected = argsError(
        "apparmor:index:Profile",
        "secure",
        validateProfileArgs({
            hosts: [ctx.host({ docker: true })],
            profile: secureProfile(profileName),
            mode: "enforce",
            prepareHosts: false,
            directory: "/tmp/x",
        }),
    ).message;
    assert.match(expected, /directory: /);
    for (const line of expected.split("\n"))
        assert.ok(text.includes(line.trim()), `missing "${line}" in:\n${text}`);
}

/**
 * The seed-scenario proof for a program of the examples' shape (a `Profile` "secure" on one host named
 * "web-host", a docker `Container` "web" with `securityOpts: [securityOpt]`; outputs `securityOpt`,
 * `versions`, `denials`, `containerId`; config `directory`, `mode`), declared as five `it`s of the
 * caller's `describe`, in order: bad argument, up, denial after `up --refresh`, mode flip, destroy.
 * `get` gives the stack and VM once the caller's `before` made them; `box.id` is the container id
 * while one runs (for the caller's `after`).
 */
export function seedScenarioTests(
    language: string,
    name: string,
    get: () => { stack: ThrowawayStack; ctx: VmContext },
    box: { id: string },
): void {
    const labelOnHost = async (ctx: VmContext, id: string): Promise<string> =>
        (
            await ctx.root(`cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`)
        ).stdout.trim();

    it("a bad argument fails the preview with the TypeScript component's error", async () => {
        const { stack, ctx } = get();
        await stack.stack.setConfig("directory", { value: "/tmp/x" });
        let text = "";
        try {
            await stack.preview();
            assert.fail("the preview succeeded");
        } catch (e) {
            text = (e as Error).message;
        } finally {
            await stack.stack.removeConfig("directory");
        }
        assertBadDirectoryError(text, ctx, name);
    });

    it("up: the profile is loaded and the program's own container runs under it", async () => {
        const { stack, ctx } = get();
        const t0 = Date.now();
        const up = await stack.up();
        process.stderr.write(`${language} program: first up took ${(Date.now() - t0) / 1000} s\n`);
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
        assert.strictEqual(o.securityOpt.value, `apparmor=${name}`);
        box.id = String(o.containerId.value);
        assert.strictEqual(await labelOnHost(ctx, box.id), `${name} (enforce)`);
        // The state holds the resources' data, no code and no path of this machine; the key only
        // as ciphertext.
        await assertKeyNotStored(stack, ctx.key);
        const exported = await stack.exportStackText();
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
        const { stack, ctx } = get();
        const t = await ctx.root(`docker exec ${box.id} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`);
        assert.match(t.stderr, /Permission denied/);
        const up = await stack.stack.up({ refresh: true, color: "never" });
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
        const { stack, ctx } = get();
        await stack.stack.setConfig("mode", { value: "complain" });
        const up = await stack.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        assert.strictEqual(String(up.result.outputs.containerId.value), box.id);
        assert.strictEqual(await labelOnHost(ctx, box.id), `${name} (complain)`);
    });

    it("destroy removes the container and the profile", async () => {
        const { stack, ctx } = get();
        await stack.destroy();
        const loaded = await ctx.root("cat /sys/kernel/security/apparmor/profiles");
        assert.ok(!loaded.stdout.includes(`${name} (`), `${name} still loaded`);
        assert.match(
            (await ctx.root(`ls ${PROFILE_DIR}/${name} 2>&1; true`)).stdout,
            /No such file/,
        );
        const left = await ctx.root(`docker ps -aq --filter id=${box.id}`);
        assert.strictEqual(left.stdout.trim(), "");
        box.id = "";
    });
}
