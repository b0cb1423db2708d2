/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * ComposeProject with the real Pulumi engine against the test VM (compose from the image:
 * bookworm's docker-compose 1.29): two services, each confined by its own Profile (label read on the
 * host), a denial of one service in the project's outputs after `up --refresh`, a profile rename
 * restarting only the service on it, a project started by hand without the apparmor options as drift
 * that `up` repairs, and `destroy` bringing the project down before the profiles are unloaded. The
 * stack is recorded on the host as the project's owner (organization/PROJECT/STACK).
 */
import * as assert from "assert";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { secureProfile, TWO_SERVICE_COMPOSE, vmContext } from "../support/vmStack";
import type { VmContext } from "../support/vmStack";
import { engineStack, opSequence, type EngineStack } from "./engineHarness";
import { ComposeProject, Profile } from "../../src/components";

const PROJECT = "pa-cmp-proj";
const COMPOSE = TWO_SERVICE_COMPOSE;

describe("components: ComposeProject on the real engine + VM", function () {
    this.timeout(1_200_000);
    let ctx: VmContext;
    let st: EngineStack;
    let stack: Stack;
    const names = { one: "pa-cmp-one", two: "pa-cmp-two" };
    const ids = { one: "", two: "" };
    const root = (cmd: string) => ctx.root(cmd);

    const program = async () => {
        const profile = (res: string, name: string) =>
            new Profile(res, {
                hosts: [ctx.host()],
                profile: secureProfile(name),
                mode: "enforce",
                prepareHosts: st.hasCommandProvider,
            });
        const project = new ComposeProject("proj", {
            composeText: COMPOSE,
            profiles: { one: profile("p-one", names.one), two: profile("p-two", names.two) },
            projectName: PROJECT,
        });
        return { services: project.services, drift: project.drift };
    };

    /** The kernel's label of a container's init process and docker's profile, read on the host. */
    const hostLabel = (id: string) => ctx.hostLabel(id);
    const current = async () => {
        const o = (await st.outputs()).services as any;
        return { one: o.one.containers[0].id as string, two: o.two.containers[0].id as string, o };
    };

    before(async function () {
        ctx = await vmContext();
        await root(
            `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${PROJECT}) 2>/dev/null; true`,
        );
        await ctx.clearProfiles(["pa-cmp-one", "pa-cmp-two", "pa-cmp-two-renamed"]);
        st = await engineStack("components-compose", program);
        stack = st.stack;
    });
    after(async function () {
        if (st) await st.cleanup();
        if (ctx) await root(`rm -f /tmp/pa-cmp-orig.yml`);
    });

    it("up: both services confined by their own profile (label read on the host)", async () => {
        const r = await stack.up();
        assert.strictEqual(r.summary.result, "succeeded");
        const c = await current();
        ids.one = c.one;
        ids.two = c.two;
        for (const s of ["one", "two"] as const) {
            assert.strictEqual(c.o[s].confined, true);
            assert.strictEqual(c.o[s].profileName, names[s]);
            assert.strictEqual(c.o[s].containers[0].label, `${names[s]} (enforce)`);
            assert.strictEqual(await hostLabel(ids[s]), `${names[s]} (enforce) ${names[s]}`);
        }
        // The other security options of the file are kept beside the apparmor one.
        const opts = await root(`docker inspect -f '{{json .HostConfig.SecurityOpt}}' ${ids.one}`);
        assert.deepStrictEqual(JSON.parse(opts.stdout), [
            "no-new-privileges:true",
            `apparmor=${names.one}`,
        ]);
        // The stack is recorded on the host as the project's owner (ORG/PROJECT/STACK, #16).
        const owner = await root(`cat /var/lib/pulumi-apparmor/compose/${PROJECT}/owner`);
        assert.strictEqual(owner.stdout, `organization/components-compose/${stack.name}\n`);
    });

    it("a denial in service one appears in the project's outputs after up --refresh", async () => {
        const t = await root(`docker exec ${ids.one} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`);
        assert.match(t.stderr, /Permission denied/);
        await stack.up({ refresh: true });
        const c = await current();
        assert.match(JSON.stringify(c.o.one.denials), /\/tmp\/a\/x/);
        assert.doesNotMatch(JSON.stringify(c.o.two.denials ?? {}), /\/tmp\/a\/x/);
    });

    it("renaming profile two restarts only service two", async () => {
        names.two = "pa-cmp-two-renamed";
        const r = await stack.up();
        assert.strictEqual(r.summary.result, "succeeded");
        const c = await current();
        assert.strictEqual(c.one, ids.one, "service one's container is unchanged");
        assert.notStrictEqual(c.two, ids.two, "service two was recreated");
        assert.strictEqual(await hostLabel(c.two), `${names.two} (enforce) ${names.two}`);
        assert.strictEqual(c.o.two.confined, true);
        ids.two = c.two;
    });

    it("drift: the project started by hand without the apparmor options → refresh shows it, up repairs", async () => {
        const put = await root(
            `printf '%s' '${COMPOSE.replace(/'/g, "")}' > /tmp/pa-cmp-orig.yml && ` +
                `COMPOSE_HTTP_TIMEOUT=600 docker-compose -p ${PROJECT} -f /tmp/pa-cmp-orig.yml up -d 2>&1`,
        );
        assert.strictEqual(put.code, 0, put.stdout + put.stderr);
        const hand = await root(
            `docker ps -q --no-trunc --filter label=com.docker.compose.project=${PROJECT} | xargs docker inspect -f '{{.AppArmorProfile}}'`,
        );
        assert.ok(!hand.stdout.includes("pa-cmp"), hand.stdout);
        const reasons = await st.refreshDrift(["::proj-deployment"]);
        assert.ok(
            reasons.some((x) => /service one: .*expected pa-cmp-one \(enforce\)/.test(x)),
            reasons.join("\n"),
        );
        assert.ok(
            reasons.some((x) => /service two: /.test(x)),
            reasons.join("\n"),
        );
        const pv = await stack.preview();
        assert.ok((pv.changeSummary.update ?? 0) >= 1, JSON.stringify(pv.changeSummary));
        await stack.up();
        const c = await current();
        for (const s of ["one", "two"] as const) {
            assert.strictEqual(c.o[s].confined, true);
            assert.strictEqual(await hostLabel(c[s]), `${names[s]} (enforce) ${names[s]}`);
        }
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("drift: profile one unloaded under its running service → refresh shows both, up reloads then restarts it", async () => {
        const before = (await current()).one;
        await root(`apparmor_parser -R /etc/apparmor.d/containers/${names.one}`);
        const reasons = await st.refreshDrift(["::proj-deployment", "::p-one-vm"]);
        assert.ok(
            reasons.some((x) => /service one: .*runs unconfined/.test(x)),
            reasons.join("\n"),
        );
        await stack.up();
        const c = await current();
        assert.strictEqual(c.one, before, "same container, restarted in place");
        assert.strictEqual(c.o.one.confined, true);
        assert.strictEqual(await hostLabel(c.one), `${names.one} (enforce) ${names.one}`);
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("destroy: compose down before the profiles are unloaded; nothing left", async () => {
        const events: EngineEvent[] = [];
        await stack.destroy({ onEvent: (e) => events.push(e) });
        const seq = opSequence(events);
        const down = seq.indexOf("delete proj-deployment");
        assert.ok(down >= 0, seq.join("\n"));
        for (const p of ["p-one-vm", "p-two-vm"])
            assert.ok(seq.indexOf(`delete ${p}`) > down, seq.join("\n"));
        const left = await root(
            `docker ps -aq --filter label=com.docker.compose.project=${PROJECT} | wc -l; grep -c '^pa-cmp-' /sys/kernel/security/apparmor/profiles; ls /var/lib/pulumi-apparmor/compose`,
        );
        assert.strictEqual(
            left.stdout.trim().split("\n").slice(0, 2).join(" "),
            "0 0",
            left.stdout,
        );
        assert.doesNotMatch(left.stdout, new RegExp(PROJECT));
    });
});
