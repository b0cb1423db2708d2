/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * The proof list for `Profile`, with the real Pulumi engine (Go-built CLI, Automation API,
 * file:// backend) against the test VM. The container here is started by hand (`docker run` over
 * SSH) so this file needs no docker provider; `engine.docker.vm.test.ts` covers ProfiledContainer
 * (ordering, label check, rename). Proves: create → loaded and the container is confined; no-op up
 * → zero host writes; denials in outputs after refresh; content change → reload in place, same
 * container; mode flip → ALLOWED; each drift kind detected by refresh and repaired by up; secrets
 * absent from `stack export`; destroy → nothing left on the host.
 */
import * as assert from "assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { PROFILE_DIR as DIR, secureProfileOnVm, vmContext } from "../support/vmStack";
import type { ProfileSpec, VmContext } from "../support/vmStack";
import { engineStack, type EngineStack } from "./engineHarness";

describe("components: Profile on the real engine + VM (issue proof list)", function () {
    this.timeout(900_000);
    let ctx: VmContext;
    let st: EngineStack;
    let stack: Stack;
    const spec: ProfileSpec = { name: "pa-eng-profile", extra: [], mode: "enforce" };
    let containerId = "";
    const root = (cmd: string) => ctx.root(cmd);

    const program = async () => {
        const p = secureProfileOnVm(ctx, spec, st.hasCommandProvider);
        return {
            securityOpt: p.securityOpt,
            versions: p.versions,
            denials: p.denials,
            drift: p.drift,
        };
    };

    /** Markers that change whenever a host write happens: file stat, loaded policy, STATUS events. */
    async function hostWriteMarkers(): Promise<string> {
        const r = await root(
            `stat -c '%i %Y %Z' ${DIR}/${spec.name}; ` +
                `for d in /sys/kernel/security/apparmor/policy/profiles/*; do ` +
                `[ "$(cat $d/name)" = ${spec.name} ] && cat $d/raw_sha1; done; ` +
                `journalctl -q _TRANSPORT=audit --no-pager | grep -c 'apparmor="STATUS".*name="${spec.name}"'; ` +
                `stat -c '%Y' /var/lib/pulumi-apparmor/profiles/${spec.name}`,
        );
        return r.stdout;
    }

    const outputs = () => st.outputs();

    async function denialsFor(version: string) {
        const d = ((await outputs()).denials as Record<string, any>).vm;
        return d.byVersion[version] as
            | { denied: number; allowed: number; targets: { target: string }[] }
            | undefined;
    }

    before(async function () {
        ctx = await vmContext();
        await ctx.clearProfiles(["pa-eng-profile", "pa-eng-renamed"]);
        st = await engineStack("components-proof", program);
        stack = st.stack;
    });
    after(async function () {
        if (ctx) await root("docker rm -f pa-eng-c >/dev/null 2>&1; true");
        if (st) await st.cleanup();
    });

    it("up: profile loaded and a container started with securityOpt is confined; the denial happens", async () => {
        const r = await stack.up();
        assert.strictEqual(r.summary.result, "succeeded");
        const o = await outputs();
        assert.strictEqual(o.securityOpt, `apparmor=${spec.name}`);
        const run = await root(
            `docker rm -f pa-eng-c >/dev/null 2>&1; docker run -d --name pa-eng-c --security-opt ${o.securityOpt} local/busybox:latest sleep 1000000`,
        );
        assert.strictEqual(run.code, 0, run.stderr);
        containerId = run.stdout.trim();
        const ins = await root(`docker inspect -f '{{.AppArmorProfile}}' ${containerId}`);
        assert.strictEqual(ins.stdout.trim(), spec.name);
        const pid = (await root(`docker inspect -f '{{.State.Pid}}' ${containerId}`)).stdout.trim();
        const label = await root(`cat /proc/${pid}/attr/current`);
        assert.strictEqual(label.stdout.trim(), `${spec.name} (enforce)`);
        const t = await root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/a && touch /tmp/a/x'`,
        );
        assert.match(t.stderr, /Permission denied/);
    });

    it("no-op up writes nothing to the host (and preview reports no changes)", async () => {
        const before = await hostWriteMarkers();
        await stack.preview({ expectNoChanges: true });
        const r = await stack.up({ expectNoChanges: true });
        const changes = r.summary.resourceChanges ?? {};
        assert.deepStrictEqual(
            Object.keys(changes).filter((k) => k !== "same"),
            [],
        );
        assert.strictEqual(await hostWriteMarkers(), before, "host write markers changed");
    });

    it("denials appear in the stack outputs after refresh", async () => {
        // /tmp/a does not exist in the image: `mkdir /tmp/a` is what gets denied (`/tmp/a/` matches /tmp/a/**).
        await root(`docker exec ${containerId} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x2'`);
        await new Promise((r) => setTimeout(r, 1500));
        await stack.refresh();
        await stack.up({ expectNoChanges: true }); // re-evaluates the stack outputs from refreshed state
        const version = ((await outputs()).versions as Record<string, any>).vm.version;
        const s = await denialsFor(version);
        assert.ok(s && s.denied >= 2, JSON.stringify(s));
        assert.ok(
            s!.targets.some((t) => t.target.startsWith("/tmp/a/")),
            JSON.stringify(s),
        );
    });

    it("content change reloads in place: same container ID, new rule enforced", async () => {
        spec.extra = ["/tmp/b/**"];
        const r = await stack.up();
        assert.strictEqual(
            r.summary.resourceChanges?.update,
            1,
            JSON.stringify(r.summary.resourceChanges),
        );
        const o = await outputs();
        const still = await root(`docker inspect -f '{{.State.Running}} {{.Id}}' pa-eng-c`);
        assert.strictEqual(
            still.stdout.trim(),
            `true ${containerId}`,
            "same container, still running",
        );
        const t = await root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/b && touch /tmp/b/x'`,
        );
        assert.match(t.stderr, /Permission denied/);
        const v = (o.versions as Record<string, any>).vm;
        assert.strictEqual(v.history.length, 2);
    });

    it("mode flip to complain: the action succeeds and ALLOWED lines are recorded; back to enforce", async () => {
        spec.mode = "complain";
        await stack.up();
        assert.strictEqual(((await outputs()).versions as Record<string, any>).vm.mode, "complain");
        const t = await root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/a && touch /tmp/a/y && echo ok'`,
        );
        assert.strictEqual(t.stdout.trim(), "ok");
        await new Promise((r) => setTimeout(r, 1500));
        await stack.up({ refresh: true });
        const version = ((await outputs()).versions as Record<string, any>).vm.version;
        const s = await denialsFor(version);
        assert.ok(s && s.allowed >= 1, JSON.stringify(s));
        spec.mode = "enforce";
        await stack.up();
        assert.strictEqual(((await outputs()).versions as Record<string, any>).vm.mode, "enforce");
    });

    const driftCases: Array<[string, string, RegExp]> = [
        ["file edited", `echo '# edited by hand' >> ${DIR}/pa-eng-profile`, /edited on the host/],
        ["mode flipped by hand", `apparmor_parser -r -C ${DIR}/pa-eng-profile`, /mode is complain/],
        ["profile unloaded", `apparmor_parser -R ${DIR}/pa-eng-profile`, /not loaded/],
    ];
    for (const [what, cmd, re] of driftCases) {
        it(`drift: ${what} → refresh shows the reason, preview sees a change, up repairs`, async () => {
            assert.strictEqual((await root(cmd)).code, 0);
            // What `pulumi refresh --diff` prints: the refreshed `drift` output with its reasons.
            const reasons = await st.refreshDrift(["::secure-vm"]);
            assert.match(reasons.join("\n"), re, JSON.stringify(reasons));
            const pv = await stack.preview();
            assert.ok(
                (pv.changeSummary.update ?? 0) >= 1,
                `${JSON.stringify(pv.changeSummary)}\n${pv.stdout}\n${pv.stderr}`,
            );
            await stack.up();
            const o = await outputs();
            assert.deepStrictEqual(o.drift, { vm: [] });
            await stack.preview({ expectNoChanges: true, refresh: true });
            if (what === "profile unloaded") {
                // The running container lost its confinement when the profile was unloaded (kernel
                // behaviour); ProfiledContainer's label check restarts it (engine.docker.vm.test.ts).
                await root(`docker restart -t 1 ${containerId}`);
            }
            const t = await root(`docker exec ${containerId} sh -c 'touch /tmp/a/z'`);
            assert.match(t.stderr, /Permission denied/, "confinement restored");
        });
    }

    it("secrets are absent from `pulumi stack export`", async () => {
        const text = await st.exportStackText();
        const dep: unknown = JSON.parse(text);
        const body = ctx.key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
        assert.ok(body.length > 0);
        const where = (o: unknown, needle: string, p = ""): string[] =>
            typeof o === "string"
                ? o.includes(needle)
                    ? [p]
                    : []
                : o && typeof o === "object"
                  ? Object.entries(o).flatMap(([k, v]) => where(v, needle, `${p}.${k}`))
                  : [];
        for (const l of body)
            assert.deepStrictEqual(where(dep, l), [], "private key material in stack export");
        assert.ok(!text.includes("BEGIN OPENSSH PRIVATE KEY"));
        assert.match(
            text,
            /"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/,
        );
    });

    it("destroy: unload + remove: nothing left on the host", async () => {
        await root("docker rm -f pa-eng-c");
        await stack.destroy();
        const r = await root(
            `ls ${DIR}; grep -c 'pa-eng-profile' /sys/kernel/security/apparmor/profiles; ls /var/lib/pulumi-apparmor/profiles`,
        );
        // Only this file's profile: other tests may use the same VM at the same time.
        assert.ok(!/pa-eng-profile/.test(r.stdout), r.stdout);
        assert.match(r.stdout, /(^|\n)0\n/);
    });
});
