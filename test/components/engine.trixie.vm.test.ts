/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * The components over the real Pulumi engine on Debian 13 trixie (kernel 6.12, AppArmor 4.1,
 * docker.io 26, compose v2 2.26.1) — #18 item 1: what the bookworm suites prove for Profile
 * (`engine.vm.test.ts`), ProfiledContainer (`engine.docker.vm.test.ts`) and ComposeProject
 * (`engine.compose.vm.test.ts`), once on trixie, in one stack to keep the suite time low:
 *  - Profile `secure`: the seed scenario's docker-default + `audit deny /tmp/a/** rwlx,` +
 *    `deny capability fsetid,`, with ProfiledContainer `web` under it;
 *  - Profile `nouserns`: docker-default on AppArmor 4's ABI (`abi <abi/4.0>,`, which mediates user
 *    namespaces) + `audit deny userns,`, with ProfiledContainer `ns` under it, run without docker's
 *    seccomp filter (which refuses unshare on its own) so that AppArmor alone decides;
 *  - ComposeProject `proj` (compose v2 on this host): service one under `secure`, two under `nouserns`.
 * Proves: every container and service confined (the kernel's label read on the host); `touch
 * /tmp/a/x` and `unshare -U` refused and both denials in the `denials` outputs after `up --refresh`;
 * a profile unloaded by hand is drift of the profile, its container and its compose service, and
 * `up` repairs all three; a mode flip to complain reaches the kernel and the running container; a
 * second preview shows no changes; `destroy` brings the project and the containers down before the
 * profiles and leaves nothing on the host.
 *
 * The file boots its own trixie VM and stops it at the end (PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR
 * uses one already running in DIR instead, see `trixieTestHost`).
 */
import * as assert from "assert";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { ComposeProject, Profile, ProfiledContainer } from "../../src/components";
import { audit, dockerDefault } from "../../src/profile";
import { releaseTrixieTestHost, trixieTestHost, type TrixieHost } from "../support/testhost";
import {
    PROFILE_DIR as DIR,
    secureProfileOnVm,
    TWO_SERVICE_COMPOSE,
    vmContext,
} from "../support/vmStack";
import type { ProfileSpec, VmContext } from "../support/vmStack";
import { engineStack, opSequence, type EngineStack } from "./engineHarness";

const PROJECT = "pa-trx-proj";
const NOUSERNS = "pa-trx-nouserns";

describe("components on the real engine + a Debian 13 trixie VM (AppArmor 4.1, compose v2)", function () {
    this.timeout(900_000);
    let vm: TrixieHost | undefined;
    let ctx: VmContext;
    let st: EngineStack;
    let stack: Stack;
    const spec: ProfileSpec = { name: "pa-trx-secure", extra: [], mode: "enforce" };
    const ids = { web: "", ns: "", one: "", two: "" };
    const root = (cmd: string) => ctx.root(cmd);

    const program = async () => {
        const secure = secureProfileOnVm(ctx, spec, st.hasCommandProvider);
        const nouserns = new Profile("nouserns", {
            hosts: [ctx.host({ docker: true })],
            profile: dockerDefault({ name: NOUSERNS, abi: "abi/4.0" }).with(audit.deny.userns()),
            prepareHosts: st.hasCommandProvider,
        });
        const container = (name: string, profile: Profile, securityOpts: string[]) =>
            new ProfiledContainer(name, {
                profile,
                container: {
                    image: "local/busybox:latest",
                    command: ["sleep", "1000000"],
                    mustRun: true,
                    securityOpts,
                },
            });
        const web = container("web", secure, []);
        const ns = container("ns", nouserns, ["seccomp=unconfined"]);
        const project = new ComposeProject("proj", {
            composeText: TWO_SERVICE_COMPOSE,
            profiles: { one: secure, two: nouserns },
            projectName: PROJECT,
        });
        return {
            versions: secure.versions,
            denials: secure.denials,
            drift: secure.drift,
            nsVersions: nouserns.versions,
            nsDenials: nouserns.denials,
            web: { id: web.container.id, label: web.label },
            ns: { id: ns.container.id, label: ns.label },
            services: project.services,
            composeTool: project.deployment.tool,
            composeDrift: project.drift,
        };
    };

    const outputs = () => st.outputs();
    /** The denials of a profile's current version on the VM (`versions`/`denials` output names). */
    async function currentDenials(versions: string, denials: string) {
        const o = await outputs();
        const version = (o[versions] as Record<string, any>).vm.version as string;
        return (o[denials] as Record<string, any>).vm.byVersion[version] as
            | { denied: number; byOperation: Record<string, number>; targets: { target: string }[] }
            | undefined;
    }
    /** The kernel's loaded-profile line of `name` (e.g. `pa-trx-secure (enforce)`). */
    const kernelLine = async (name: string) =>
        (await root(`grep '^${name} ' /sys/kernel/security/apparmor/profiles`)).stdout.trim();

    before(async function () {
        this.timeout(1_800_000);
        vm = await trixieTestHost();
        ctx = await vmContext(vm.info);
        await root(
            `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${PROJECT}) 2>/dev/null; true`,
        );
        await ctx.clearProfiles([spec.name, NOUSERNS]);
        st = await engineStack("components-trixie", program);
        stack = st.stack;
    });
    after(async function () {
        this.timeout(600_000);
        if (st) await st.cleanup();
        await releaseTrixieTestHost(vm);
    });

    it("up: both profiles loaded in enforce mode; both containers and both compose services confined (label read on the host); compose v2 ran the project", async () => {
        const r = await stack.up();
        assert.strictEqual(r.summary.result, "succeeded");
        const o = (await outputs()) as Record<string, any>;
        assert.strictEqual(await kernelLine(spec.name), `${spec.name} (enforce)`);
        assert.strictEqual(await kernelLine(NOUSERNS), `${NOUSERNS} (enforce)`);
        ids.web = o.web.id;
        ids.ns = o.ns.id;
        for (const [c, name] of [
            ["web", spec.name],
            ["ns", NOUSERNS],
        ] as const) {
            assert.strictEqual(o[c].label, `${name} (enforce)`, c);
            assert.strictEqual(await ctx.hostLabel(ids[c]), `${name} (enforce) ${name}`, c);
        }
        const svc = o.services;
        ids.one = svc.one.containers[0].id;
        ids.two = svc.two.containers[0].id;
        for (const [s, name] of [
            ["one", spec.name],
            ["two", NOUSERNS],
        ] as const) {
            assert.strictEqual(svc[s].confined, true, s);
            assert.strictEqual(svc[s].containers[0].label, `${name} (enforce)`, s);
            assert.strictEqual(await ctx.hostLabel(ids[s]), `${name} (enforce) ${name}`, s);
        }
        // src/host/compose.sh prefers the docker CLI plugin: trixie's docker-compose 2.26.1 is one.
        assert.strictEqual(o.composeTool, "docker compose");
    });

    it("denials: touch /tmp/a/x and unshare -U refused in the containers; after up --refresh both are in the denials outputs, also per compose service", async () => {
        const t = await root(`docker exec ${ids.web} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`);
        assert.match(t.stderr, /Permission denied/);
        const u = await root(`docker exec ${ids.ns} sh -c 'unshare -U true; echo unshare=$?'`);
        assert.match(u.stdout, /unshare=1/, u.stderr);
        assert.match(u.stderr, /unshare\(0x10000000\): Permission denied/);
        await new Promise((res) => setTimeout(res, 1500));
        await stack.up({ refresh: true });
        const secure = await currentDenials("versions", "denials");
        assert.ok(
            secure?.targets.some((x) => x.target === "/tmp/a/x"),
            JSON.stringify(secure),
        );
        const ns = await currentDenials("nsVersions", "nsDenials");
        assert.ok((ns?.byOperation.userns_create ?? 0) >= 1, JSON.stringify(ns));
        assert.ok((ns?.denied ?? 0) >= 1, JSON.stringify(ns));
        const svc = ((await outputs()) as Record<string, any>).services;
        assert.match(JSON.stringify(svc.one.denials), /\/tmp\/a\/x/);
        assert.match(JSON.stringify(svc.two.denials), /userns_create/);
    });

    it("drift: the profile unloaded by hand → refresh shows it, its container and its compose service unconfined; up reloads and restarts both in place", async () => {
        assert.strictEqual((await root(`apparmor_parser -R ${DIR}/${spec.name}`)).code, 0);
        const reasons = (
            await st.refreshDrift(["::secure-vm", "::web-confinement", "::proj-deployment"])
        ).join("\n");
        assert.match(reasons, /not loaded/, reasons);
        assert.match(reasons, /container runs unconfined/, reasons);
        assert.match(reasons, /service one: .*runs unconfined/, reasons);
        const pv = await stack.preview();
        assert.ok((pv.changeSummary.update ?? 0) >= 1, JSON.stringify(pv.changeSummary));
        await stack.up();
        const o = (await outputs()) as Record<string, any>;
        assert.deepStrictEqual([o.drift, o.composeDrift], [{ vm: [] }, []]);
        assert.deepStrictEqual(
            [o.web.id, o.services.one.containers[0].id],
            [ids.web, ids.one],
            "the same containers, restarted",
        );
        for (const id of [ids.web, ids.one]) {
            assert.strictEqual(await ctx.hostLabel(id), `${spec.name} (enforce) ${spec.name}`);
        }
        const t = await root(`docker exec ${ids.web} sh -c 'touch /tmp/a/z'`);
        assert.match(t.stderr, /Permission denied/, "confinement restored");
    });

    it("mode flip to complain: the kernel shows complain for the profile and its running containers, the touch succeeds; a second preview shows no changes", async () => {
        spec.mode = "complain";
        await stack.up();
        assert.strictEqual(await kernelLine(spec.name), `${spec.name} (complain)`);
        const o = (await outputs()) as Record<string, any>;
        assert.strictEqual(o.versions.vm.mode, "complain");
        assert.strictEqual(o.web.label, `${spec.name} (complain)`);
        for (const id of [ids.web, ids.one]) {
            assert.strictEqual(await ctx.hostLabel(id), `${spec.name} (complain) ${spec.name}`);
        }
        const t = await root(`docker exec ${ids.web} sh -c 'touch /tmp/a/y && echo ok'`);
        assert.strictEqual(t.stdout.trim(), "ok", t.stderr);
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("destroy: the compose project and both containers go before the profiles; nothing left on the host", async () => {
        const events: EngineEvent[] = [];
        await stack.destroy({ onEvent: (e) => events.push(e) });
        const seq = opSequence(events);
        const at = (step: string) => seq.indexOf(`delete ${step}`);
        // Each profile goes after what runs under it (unrelated deletes may come in any order).
        for (const [profile, users] of [
            ["secure-vm", ["web-container", "proj-deployment"]],
            ["nouserns-vm", ["ns-container", "proj-deployment"]],
        ] as const) {
            for (const u of users) assert.ok(at(u) >= 0 && at(profile) > at(u), seq.join("\n"));
        }
        const left = await root(
            `docker ps -aq --no-trunc | grep -c -e ${Object.values(ids).join(" -e ")}; ` +
                `grep -c '^pa-trx-' /sys/kernel/security/apparmor/profiles; ` +
                `ls ${DIR} /var/lib/pulumi-apparmor/profiles /var/lib/pulumi-apparmor/compose`,
        );
        assert.deepStrictEqual(left.stdout.split("\n").slice(0, 2), ["0", "0"], left.stdout);
        assert.doesNotMatch(left.stdout, /pa-trx-/);
    });
});
