/**
 * The component provider (`provider/`, issue #14) from a program that is not TypeScript: a Node.js
 * program in plain JavaScript using the SDK that `pulumi package gen-sdk --local` generates from the
 * provider, with the provider named in its Pulumi.yaml `packages:` (what `pulumi package add` writes).
 * On the real engine and the test VM:
 *
 * - preview: the provider runs the TypeScript `Profile` and `ProfiledContainer` (their HostProfile,
 *   docker container and Confinement children appear; HostProfile and Confinement as
 *   `apparmor:index:…` resources the plugin serves itself, src/components/pluginServed.ts);
 * - bad arguments from the SDK fail with exactly the error the TypeScript component gives;
 * - a profile the host's own `apparmor_parser` refuses fails the preview naming the host;
 * - up: the container runs confined (its label read on the host), destroy removes everything.
 *
 * Why not `pulumi package add`: it generates the same SDK, but its link step fails with this
 * engine build (`linking package: grpc: error unmarshalling request`: the cached
 * pulumi-language-nodejs is at pkg/sdk 3.187 and cannot parse the 3.259 CLI's LinkRequest). Link
 * would `npm install` the SDK, whose postinstall compiles it with tsc; here it is compiled the same
 * way without type checking (the generated `types/*.ts` of that language host import
 * `./types/input` from inside `types/`, which tsc's type check refuses; the emitted JavaScript is
 * unaffected).
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { createThrowawayStack, engineBinDir, engineEnv, ThrowawayStack } from "../support/engine";
import { assertBadDirectoryError, pinnedPluginLines } from "../support/providerPrograms";
import { buildLibrary, PROVIDER_DIR } from "../support/schema";
import { PROFILE_DIR, vmContext, type VmContext } from "../support/vmStack";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "..", "..");
const NAME = "pa-eng-provider";

/** The JavaScript program: which variant runs is the stack config `case`. */
const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const apparmor = require("./sdks/nodejs/bin");
const cfg = new pulumi.Config();
const variant = cfg.get("case") || "good";
const dockerDefault = {
    name: cfg.require("profileName"),
    denyFiles: [{ path: "/tmp/a/**", permissions: "rwlx" }],
    denyCapabilities: ["fsetid"],
};
if (variant === "hostRefuses") dockerDefault.rules = "#include <abstractions/pa-no-such-abstraction>";
const secure = new apparmor.Profile("secure", {
    hosts: [{
        host: cfg.require("host"),
        port: Number(cfg.require("port")),
        user: cfg.require("user"),
        privateKey: cfg.requireSecret("privateKey"),
        hostKey: cfg.require("hostKey"),
        dockerHost: cfg.require("dockerHost"),
        name: "vm",
    }],
    dockerDefault,
    mode: apparmor.ProfileMode.Enforce,
    prepareHosts: false,
    ...(variant === "badDirectory" ? { directory: "/tmp/x" } : {}),
});
const web = new apparmor.ProfiledContainer("web", {
    profile: secure.urn,
    container: { image: "local/busybox:latest", command: ["sleep", "1000000"] },
});
exports.securityOpt = secure.securityOpt;
exports.versions = secure.versions;
exports.label = web.label;
exports.containerId = web.containerId;
`;

/** The program folder: Pulumi.yaml naming the provider, the program, the generated SDK. */
async function programDir(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-provider-prog-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        [
            "name: pa-provider",
            "runtime: nodejs",
            "packages:",
            `  apparmor: ${JSON.stringify(PROVIDER_DIR)}`,
            ...pinnedPluginLines(),
            "",
        ].join("\n"),
    );
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "pa-provider", main: "index.js" }),
    );
    fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
    const home = path.join(dir, ".home");
    fs.mkdirSync(home);
    const env = { ...process.env, ...engineEnv(path.join(dir, ".backend"), home) };
    await run(
        path.join(engineBinDir(), "pulumi"),
        [
            "package",
            "gen-sdk",
            PROVIDER_DIR,
            "--language",
            "nodejs",
            "--local",
            "-o",
            path.join(dir, "sdks"),
        ],
        { env, maxBuffer: 16 * 1024 * 1024 },
    );
    const sdk = path.join(dir, "sdks", "nodejs");
    await run(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", sdk, "--noCheck"], {
        env,
    });
    // What the SDK's postinstall does after tsc (its getVersion reads bin/package.json).
    fs.copyFileSync(path.join(sdk, "package.json"), path.join(sdk, "bin", "package.json"));
    fs.rmSync(home, { recursive: true, force: true });
    return dir;
}

/** The text of a failed engine operation (the Automation API puts stdout and stderr in it). */
async function failure(op: Promise<unknown>): Promise<string> {
    try {
        await op;
    } catch (e) {
        return (e as Error).message;
    }
    assert.fail("the operation succeeded");
}

describe("component provider from a JavaScript program with the generated SDK (engine, VM)", function () {
    this.timeout(1_200_000);
    let ctx: VmContext;
    let stack: ThrowawayStack | undefined;
    let dir: string | undefined;

    before(async () => {
        ctx = await vmContext();
        await ctx.clearProfiles([NAME]);
        await buildLibrary();
        dir = await programDir();
        stack = await createThrowawayStack({
            programDir: dir,
            projectName: "pa-provider",
            config: {
                host: ctx.vm.host,
                port: String(ctx.vm.port),
                user: ctx.vm.user,
                privateKey: { value: ctx.key, secret: true },
                hostKey: ctx.vm.hostKey,
                dockerHost: ctx.vm.dockerHost,
                profileName: NAME,
            },
        });
    });

    after(async () => {
        if (stack) await stack.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (ctx) await ctx.clearProfiles([NAME]);
    });

    const setCase = (c: string) => stack!.stack.setConfig("case", { value: c });

    it("preview runs the TypeScript components through the provider", async () => {
        await setCase("good");
        const p = await stack!.preview();
        const created = p.steps.filter((s) => s.op === "create").map((s) => `${s.type} ${s.name}`);
        for (const want of [
            "apparmor:index:Profile secure",
            "apparmor:index:HostProfile secure-vm",
            "apparmor:index:ProfiledContainer web",
            "docker:index/container:Container web-container",
            "apparmor:index:Confinement web-confinement",
        ])
            assert.ok(created.includes(want), `no create of ${want} in ${created.join(", ")}`);
    });

    it("bad arguments from the SDK give the TypeScript component's error", async () => {
        await setCase("badDirectory");
        const text = await failure(stack!.preview());
        assertBadDirectoryError(text, ctx, NAME);
    });

    it("a profile the host's apparmor_parser refuses fails the preview naming the host", async () => {
        await setCase("hostRefuses");
        const text = await failure(stack!.preview());
        assert.match(text, /pa-no-such-abstraction/);
        assert.ok(text.includes(`${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`), text);
        const listed = await ctx.root(`ls ${PROFILE_DIR}/${NAME} 2>&1; true`);
        assert.match(listed.stdout, /No such file/, "a preview wrote the profile file");
    });

    it("up confines the container under the profile; destroy removes both", async () => {
        await setCase("good");
        const up = await stack!.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        assert.strictEqual(up.result.outputs.securityOpt.value, `apparmor=${NAME}`);
        assert.strictEqual(up.result.outputs.label.value, `${NAME} (enforce)`);
        const id = String(up.result.outputs.containerId.value);
        const label = await ctx.root(
            `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`,
        );
        assert.strictEqual(label.stdout.trim(), `${NAME} (enforce)`);
        await stack!.preview({ expectNoChanges: true });
        await stack!.destroy();
        const loaded = await ctx.root("cat /sys/kernel/security/apparmor/profiles");
        assert.ok(!loaded.stdout.includes(`${NAME} (`), `${NAME} still loaded`);
        const left = await ctx.root(`docker ps -aq --filter id=${id}`);
        assert.strictEqual(left.stdout.trim(), "");
    });
});
