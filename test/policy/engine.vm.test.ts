/**
 * The shipped policy pack (`policy-pack/`) on the real engine: the Go-built CLI starts it through the
 * Node.js language host (`pulumi preview --policy-pack DIR`, `pulumi up --policy-pack DIR`) against
 * programs that break each policy, with and without a `--policy-pack-config` file.
 *
 * Cheap on purpose: the previews need no host (the VM's key only makes HostProfile's checks pass);
 * one stack runs four `up`s against the shared VM (`prepareHosts: false`, one profile, one
 * container) and is destroyed.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile, ProfiledContainer } from "../../src/components";
import { audit, deny, dockerDefault, file, renderProfile } from "../../src/profile";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { PROFILE_DIR, vmContext, type VmContext } from "../support/vmStack";

const root = path.resolve(__dirname, "..", "..");
const PACK = path.join(root, "policy-pack");
const IMAGE = "local/busybox:latest";

/** A policy violation as the engine reported it. */
interface Reported {
    readonly policy: string;
    readonly level: string;
    /** The resource's name (last URN part). */
    readonly resource: string;
    readonly message: string;
    /** `NAME@vVERSION` of the pack that reported it. */
    readonly pack: string;
}

/** The pack runs the compiled `dist/`: rebuild it when a source file is newer. */
function ensureBuilt(): void {
    const built = path.join(root, "dist", "src", "policy", "index.js");
    const newest = (dir: string): number =>
        Math.max(
            0,
            ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
                const p = path.join(dir, e.name);
                return e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs;
            }),
        );
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newest(path.join(root, "src")))
        execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
}

/** Runs `op` (preview or up) with the pack; returns the violations and the error, if it failed. */
async function withPack(
    s: ThrowawayStack,
    op: "preview" | "up",
    config?: object,
): Promise<{ reported: Reported[]; error?: string; seconds: number }> {
    const events: EngineEvent[] = [];
    const policyPackConfigs: string[] = [];
    if (config) {
        const file = path.join(s.tempDir, `policy-config-${Date.now()}.json`);
        fs.writeFileSync(file, JSON.stringify(config));
        policyPackConfigs.push(file);
    }
    const opts = {
        policyPacks: [PACK],
        policyPackConfigs,
        color: "never" as const,
        onEvent: (e: EngineEvent) => events.push(e),
    };
    const t0 = Date.now();
    let error: string | undefined;
    try {
        if (op === "preview") await s.stack.preview(opts);
        else await s.stack.up(opts);
    } catch (e) {
        error = String(e);
    }
    const reported = events
        .filter((e) => e.policyEvent)
        .map((e) => ({
            policy: e.policyEvent!.policyName,
            level: e.policyEvent!.enforcementLevel,
            resource: (e.policyEvent!.resourceUrn ?? "").split("::").pop() ?? "",
            message: e.policyEvent!.message,
            pack: `${e.policyEvent!.policyPackName}@v${e.policyEvent!.policyPackVersion}`,
        }));
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write(
        `      [policy engine] ${op}${config ? " (config)" : ""}: ${seconds.toFixed(1)} s, ${reported.length} violations\n`,
    );
    return { reported, error, seconds };
}

/** `policy resource level` lines, sorted, for whole-set comparisons. */
const summary = (r: readonly Reported[]) =>
    r.map((x) => `${x.policy} ${x.resource} ${x.level}`).sort();

describe("policy pack on the real engine (preview and up with --policy-pack)", function () {
    this.timeout(1_800_000);
    let ctx: VmContext;

    before(async function () {
        ensureBuilt();
        ctx = await vmContext();
    });

    describe("a program breaking every policy, previewed", () => {
        let s: ThrowawayStack;
        const program = async () => {
            const h = ctx.host({ docker: true });
            const good = new Profile("good", {
                hosts: [h],
                profile: dockerDefault({ name: "pa-pol-good" }).with(
                    audit.deny.capability("fsetid"),
                ),
                prepareHosts: false,
            });
            new ProfiledContainer("noverify", {
                profile: good,
                container: { image: IMAGE },
                verifyConfinement: false,
            });
            new Profile("complainer", {
                hosts: [h],
                profile: dockerDefault({ name: "pa-pol-complain" }),
                mode: "complain",
                prepareHosts: false,
            });
            new Profile("hatch", {
                hosts: [h],
                profileText: [
                    "profile pa-pol-hatch flags=(attach_disconnected,mediate_deleted) {",
                    "  /usr/bin/helper ux,",
                    "  capability sys_admin,",
                    "  mount fstype=tmpfs -> /mnt/,",
                    "  /proc/sys/kernel/core_pattern w,",
                    "  deny /tmp/q/** w,",
                    "}",
                ].join("\n"),
                prepareHosts: false,
            });
            const vmSsh = new docker.Provider("vm-ssh", {
                host: `ssh://tester@127.0.0.1:${ctx.vm.port}`,
            });
            const other = new docker.Provider("other-host", { host: "ssh://root@10.9.9.9" });
            const vmDocker = new docker.Provider("vm-docker", { host: ctx.vm.dockerHost });
            const c = (
                name: string,
                args: Partial<docker.ContainerArgs>,
                provider: docker.Provider,
            ) => new docker.Container(name, { image: IMAGE, ...args }, { provider });
            c("bare", {}, vmSsh);
            c("unconfined", { securityOpts: ["apparmor=unconfined"] }, vmSsh);
            c("privileged", { securityOpts: [good.securityOpt], privileged: true }, vmSsh);
            c("handloaded", { securityOpts: ["apparmor=pa-pol-byhand"] }, vmSsh);
            c("onvm", { securityOpts: [good.securityOpt] }, vmSsh);
            c("elsewhere", { securityOpts: [good.securityOpt] }, other);
            c("tcp", { securityOpts: [good.securityOpt] }, vmDocker);
        };

        before(async () => {
            s = await createThrowawayStack({
                program,
                projectName: "pa-policy",
                stackName: "prod-bad",
            });
        });
        after(async () => {
            if (s) await s.dispose();
        });

        it("default config: mandatory violations fail the preview, each naming the policy and the resource; the advisory one warns", async () => {
            const r = await withPack(s, "preview");
            assert.ok(r.error, "the preview failed");
            assert.deepStrictEqual(summary(r.reported), [
                "apparmor-container-confined bare mandatory",
                "apparmor-container-confined privileged mandatory",
                "apparmor-container-confined unconfined mandatory",
                "apparmor-container-profile-managed elsewhere mandatory",
                "apparmor-container-profile-managed handloaded mandatory",
                "apparmor-container-profile-managed noverify-container mandatory",
                "apparmor-container-profile-managed tcp mandatory",
                "apparmor-production-enforce complainer-vm mandatory",
                "apparmor-production-verify-confinement noverify mandatory",
                "apparmor-profile-audit-denies hatch-vm advisory",
                "apparmor-profile-no-escape-hatches hatch-vm mandatory",
                "apparmor-profile-no-escape-hatches hatch-vm mandatory",
                "apparmor-profile-no-escape-hatches hatch-vm mandatory",
                "apparmor-profile-no-escape-hatches hatch-vm mandatory",
            ]);
            // The pack is versioned as this package, although the CLI starts it from the program's folder.
            const { version } = JSON.parse(
                fs.readFileSync(path.join(root, "package.json"), "utf8"),
            );
            assert.deepStrictEqual(
                [...new Set(r.reported.map((x) => x.pack))],
                [`pulumi-apparmor@v${version}`],
            );
            // What the CLI printed names each policy and resource too.
            for (const x of r.reported) {
                assert.ok(r.error!.includes(x.policy), x.policy);
                assert.ok(r.error!.includes(x.resource), x.resource);
            }
            const msg = (policy: string, resource: string) =>
                r.reported
                    .filter((x) => x.policy === policy && x.resource === resource)
                    .map((x) => x.message)
                    .join("\n");
            assert.match(
                msg("apparmor-container-confined", "privileged"),
                /privileged: true, so dockerd runs it unconfined/,
            );
            assert.match(
                msg("apparmor-container-profile-managed", "elsewhere"),
                /runs on 10\.9\.9\.9:22 .*managed only by Profile "good" on tester@127\.0\.0\.1:\d+/,
            );
            assert.match(
                msg("apparmor-container-profile-managed", "tcp"),
                /cannot tell which host/,
            );
            assert.match(
                msg("apparmor-production-enforce", "complainer-vm"),
                /in "complain" mode .* in production stack "prod-bad"/,
            );
            assert.match(
                msg("apparmor-profile-no-escape-hatches", "hatch-vm"),
                /`\/usr\/bin\/helper ux,` runs \/usr\/bin\/helper unconfined/,
            );
            assert.match(
                msg("apparmor-profile-no-escape-hatches", "hatch-vm"),
                /grants capability sys_admin/,
            );
            assert.match(msg("apparmor-profile-no-escape-hatches", "hatch-vm"), /allows mounting/);
            assert.match(
                msg("apparmor-profile-no-escape-hatches", "hatch-vm"),
                /writes to kernel control files \(\/proc\/sys\/kernel\/core_pattern\)/,
            );
            assert.match(
                msg("apparmor-profile-audit-denies", "hatch-vm"),
                /`deny \/tmp\/q\/\*\* w,`/,
            );
        });

        it("a config file lowers and disables levels and allow-lists: the preview passes with what is left as warnings", async () => {
            const r = await withPack(s, "preview", {
                "apparmor-container-confined": {
                    enforcementLevel: "advisory",
                    allowDockerDefault: true,
                },
                "apparmor-container-profile-managed": {
                    dockerHosts: { [ctx.vm.dockerHost]: `127.0.0.1:${ctx.vm.port}` },
                    exemptContainers: ["handloaded", "elsewhere"],
                },
                "apparmor-production-enforce": { productionStacks: ["live*"] },
                "apparmor-production-verify-confinement": "disabled",
                "apparmor-profile-no-escape-hatches": {
                    allow: [
                        { check: "unconfined-exec", match: "/usr/bin/helper" },
                        { check: "capability", match: "sys_admin", profile: "pa-pol-hatch" },
                        { check: "mount" },
                        { check: "kernel-write", match: "/proc/sys/kernel/*" },
                    ],
                },
            });
            assert.strictEqual(r.error, undefined, r.error);
            assert.deepStrictEqual(summary(r.reported), [
                "apparmor-container-confined privileged advisory",
                "apparmor-container-confined unconfined advisory",
                "apparmor-profile-audit-denies hatch-vm advisory",
            ]);
        });
    });

    describe("up on the VM", () => {
        let s: ThrowawayStack;
        const NAME = "pa-pol-seed";
        const spec = { hatch: true, quiet: true, verify: true };
        const program = async () => {
            let p = dockerDefault({ name: NAME }).with(
                audit.deny.file("/tmp/a/**", "rwlx"),
                audit.deny.capability("fsetid"),
            );
            if (spec.quiet) p = p.with(deny.file("/tmp/q/**", "w"));
            if (spec.hatch) p = p.with(file("/usr/bin/helper", "ux"));
            // As text: installed as written, so the plain `deny` stays quiet whatever Profile's
            // model options do with the deny rules of a model.
            const profile = new Profile("secure", {
                hosts: [ctx.host({ docker: true })],
                profileText: renderProfile(p.toModel()),
                prepareHosts: false,
            });
            const web = new ProfiledContainer("web", {
                profile,
                container: {
                    image: IMAGE,
                    command: ["sleep", "1000000"],
                    mustRun: true,
                    labels: [{ label: "pa-policy-test", value: "1" }],
                },
                verifyConfinement: spec.verify,
            });
            return { containerId: web.container.id };
        };
        /** The container's docker endpoint is the VM (the unix/tcp forward cannot say so itself). */
        const config = () => ({
            "apparmor-container-profile-managed": {
                dockerHosts: { [ctx.vm.dockerHost]: `127.0.0.1:${ctx.vm.port}` },
            },
        });
        const onVm = async () =>
            (await ctx.root(`test -e ${PROFILE_DIR}/${NAME} && echo yes || echo no`)).stdout.trim();

        before(async () => {
            await ctx.clearProfiles([NAME]);
            s = await createThrowawayStack({
                program,
                projectName: "pa-policy",
                stackName: "prod-up",
            });
        });
        after(async () => {
            // The ups ran through the Automation API directly: destroy explicitly (dispose only
            // destroys after the harness's own up).
            if (s)
                try {
                    await s.destroy();
                } finally {
                    await s.dispose();
                }
            await ctx.clearProfiles([NAME]);
            await ctx.root(`rm -f /var/lib/pulumi-apparmor/profiles/${NAME}`);
            const left = await ctx.root("docker ps -aq --filter label=pa-policy-test");
            assert.strictEqual(left.stdout.trim(), "", "the test's container is gone");
        });

        it("a mandatory resource policy fails `up` before the profile is installed", async () => {
            const r = await withPack(s, "up", config());
            assert.ok(r.error, "up failed");
            assert.match(r.error!, /apparmor-profile-no-escape-hatches/);
            assert.match(r.error!, /secure-vm/);
            assert.deepStrictEqual(summary(r.reported), [
                "apparmor-profile-audit-denies secure-vm advisory",
                "apparmor-profile-no-escape-hatches secure-vm mandatory",
            ]);
            assert.strictEqual(await onVm(), "no", "nothing was installed on the host");
        });

        it("a mandatory stack policy fails `up` (after the update: stack policies see the result)", async () => {
            spec.hatch = false;
            spec.verify = false;
            const r = await withPack(s, "up", config());
            assert.ok(r.error, "up failed");
            assert.match(r.error!, /apparmor-production-verify-confinement/);
            assert.deepStrictEqual(summary(r.reported), [
                "apparmor-production-verify-confinement web mandatory",
                "apparmor-profile-audit-denies secure-vm advisory",
            ]);
        });

        it("advisory violations only: `up` succeeds with the warning", async () => {
            spec.verify = true;
            const r = await withPack(s, "up", config());
            assert.strictEqual(r.error, undefined, r.error);
            assert.deepStrictEqual(summary(r.reported), [
                "apparmor-profile-audit-denies secure-vm advisory",
            ]);
            assert.strictEqual(await onVm(), "yes");
        });

        it("the seed scenario (docker-default + audit deny /tmp/a/** rwlx + deny capability fsetid, a container under it) passes `up` and preview with 0 violations", async () => {
            spec.quiet = false;
            const up = await withPack(s, "up", config());
            assert.strictEqual(up.error, undefined, up.error);
            assert.deepStrictEqual(up.reported, []);
            const pv = await withPack(s, "preview", config());
            assert.strictEqual(pv.error, undefined, pv.error);
            assert.deepStrictEqual(pv.reported, []);
            const id = String((await s.outputs()).containerId.value);
            assert.match(id, /^[0-9a-f]{64}$/);
            const label = await ctx.root(
                `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`,
            );
            assert.strictEqual(label.stdout.trim(), `${NAME} (enforce)`);
        });
    });
});
