/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * ProfiledContainer with the real Pulumi engine (and the Go-built docker provider) against the test
 * VM: profile loaded before the container is created, container confined (docker inspect + the real
 * label), content change → same container, unloading → both the profile and the unconfined container
 * are drift and `up` repairs them, rename → the container is replaced after the new profile is
 * loaded and the old profile removed last, destroy → container first, nothing left.
 * (`engine.vm.test.ts` covers the rest of the proof list for Profile alone.)
 */
import * as assert from "assert";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { PROFILE_DIR as DIR, secureProfileOnVm, vmContext } from "../support/vmStack";
import type { ProfileSpec, VmContext } from "../support/vmStack";
import { engineStack, opSequence, type EngineStack } from "./engineHarness";
import { ProfiledContainer } from "../../src/components";

describe("components: ProfiledContainer on the real engine + VM", function () {
    this.timeout(900_000);
    let ctx: VmContext;
    let st: EngineStack;
    let stack: Stack;
    const spec: ProfileSpec = { name: "pa-eng-secure", extra: [], mode: "enforce" };
    let containerId = "";
    const root = (cmd: string) => ctx.root(cmd);

    const program = async () => {
        const p = secureProfileOnVm(ctx, spec, st.hasCommandProvider);
        const c = new ProfiledContainer("web", {
            profile: p,
            container: {
                image: "local/busybox:latest",
                command: ["sleep", "1000000"],
                mustRun: true,
            },
        });
        return {
            securityOpt: p.securityOpt,
            versions: p.versions,
            denials: p.denials,
            drift: p.drift,
            containerId: c.container.id,
            label: c.label,
        };
    };

    const outputs = () => st.outputs();

    before(async function () {
        ctx = await vmContext();
        await ctx.clearProfiles(["pa-eng-secure", "pa-eng-renamed"]);
        st = await engineStack("components-proof", program);
        stack = st.stack;
    });
    after(async function () {
        if (st) await st.cleanup();
    });

    it("up: profile loaded, container created after it and confined (docker inspect + real label), denial happens", async () => {
        const events: EngineEvent[] = [];
        const r = await stack.up({ onEvent: (e) => events.push(e) });
        assert.strictEqual(r.summary.result, "succeeded");
        const o = await outputs();
        assert.strictEqual(o.securityOpt, `apparmor=${spec.name}`);
        assert.strictEqual(o.label, `${spec.name} (enforce)`);
        containerId = String(o.containerId);
        const ins = await root(
            `docker inspect -f '{{.AppArmorProfile}} {{json .HostConfig.SecurityOpt}}' ${containerId}`,
        );
        assert.strictEqual(ins.stdout.trim(), `${spec.name} ["apparmor=${spec.name}"]`);
        const t = await root(`docker exec ${containerId} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`);
        assert.match(t.stderr, /Permission denied/);
        // Ordering: the HostProfile finished before the container was created.
        const done = (suffix: string) =>
            events.findIndex((e) => e.resOutputsEvent?.metadata.urn.endsWith(suffix) ?? false);
        const pre = (suffix: string) =>
            events.findIndex((e) => e.resourcePreEvent?.metadata.urn.endsWith(suffix) ?? false);
        assert.ok(done("::secure-vm") >= 0 && pre("::web-container") > done("::secure-vm"));
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
        assert.strictEqual(o.containerId, containerId);
        const t = await root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/b && touch /tmp/b/x'`,
        );
        assert.match(t.stderr, /Permission denied/);
        const v = (o.versions as Record<string, any>).vm;
        assert.strictEqual(v.history.length, 2);
    });

    const driftCases: Array<[string, string, RegExp]> = [
        // Unloading silently unconfines the running container: both resources report it.
        [
            "profile unloaded",
            `apparmor_parser -R ${DIR}/pa-eng-secure`,
            /not loaded[\s\S]*unconfined|unconfined[\s\S]*not loaded/,
        ],
    ];
    for (const [what, cmd, re] of driftCases) {
        it(`drift: ${what} → refresh shows the reason, preview sees a change, up repairs`, async () => {
            assert.strictEqual((await root(cmd)).code, 0);
            // What `pulumi refresh --diff` prints: the refreshed `drift` output with its reasons.
            const reasons = await st.refreshDrift(["::secure-vm", "::web-confinement"]);
            assert.match(reasons.join("\n"), re, JSON.stringify(reasons));
            const pv = await stack.preview();
            assert.ok((pv.changeSummary.update ?? 0) >= 1, JSON.stringify(pv.changeSummary));
            await stack.up();
            const o = await outputs();
            assert.deepStrictEqual(o.drift, { vm: [] });
            assert.strictEqual(o.label, `${spec.name} (enforce)`);
            await stack.preview({ expectNoChanges: true, refresh: true });
            const t = await root(`docker exec ${containerId} sh -c 'touch /tmp/a/z'`);
            assert.match(t.stderr, /Permission denied/, "confinement restored");
        });
    }

    it("rename: the new profile is loaded, then the container is replaced, then the old profile removed", async () => {
        const events: EngineEvent[] = [];
        spec.name = "pa-eng-renamed";
        await stack.up({ onEvent: (e) => events.push(e) });
        const o = await outputs();
        assert.notStrictEqual(o.containerId, containerId);
        assert.strictEqual(o.label, "pa-eng-renamed (enforce)");
        const seq = opSequence(events);
        const idx = (s: string) => seq.findIndex((x) => x === s);
        const newProfile = Math.max(idx("create secure-vm"), idx("create-replacement secure-vm"));
        const newContainer = Math.max(
            idx("create web-container"),
            idx("create-replacement web-container"),
        );
        assert.ok(newProfile >= 0 && newContainer > newProfile, seq.join("\n"));
        const oldProfileGone = Math.max(idx("delete-replaced secure-vm"), idx("delete secure-vm"));
        const oldContainerGone = Math.max(
            idx("delete-replaced web-container"),
            idx("delete web-container"),
        );
        assert.ok(oldContainerGone >= 0 && oldProfileGone > oldContainerGone, seq.join("\n"));
        const left = await root(
            `ls ${DIR}; grep -c '^pa-eng-secure ' /sys/kernel/security/apparmor/profiles`,
        );
        assert.ok(!left.stdout.includes("pa-eng-secure\n"), left.stdout);
        containerId = String(o.containerId);
    });

    /** Samples the labels of this stack's running containers until `stop()` (every ~250 ms). */
    function sampleLabels(): { stop(): Promise<string[]> } {
        const seen: string[] = [];
        let on = true;
        const loop = (async () => {
            while (on) {
                const r = await root(
                    "for id in $(docker ps -q --filter name=web-container); do pid=$(docker inspect -f '{{.State.Pid}}' $id); " +
                        'printf "%s\\n" "$(cat /proc/$pid/attr/current 2>/dev/null)"; done',
                ).catch(() => undefined);
                if (r) seen.push(...r.stdout.split("\n").filter((l) => l.trim() !== ""));
                await new Promise((res) => setTimeout(res, 250));
            }
        })();
        return {
            stop: async () => {
                on = false;
                await loop;
                return seen;
            },
        };
    }

    it("versionedName: each content change loads NAME-<version> beside the old one, moves the container onto it, then unloads the old; never unconfined", async () => {
        const loaded = async () =>
            (
                await root("grep -o '^pa-eng-renamed[^ ]*' /sys/kernel/security/apparmor/profiles")
            ).stdout
                .trim()
                .split("\n")
                .filter(Boolean);
        spec.versionedName = true;
        for (const extra of [spec.extra, [...spec.extra, "/tmp/c/**"]]) {
            spec.extra = extra;
            const sampler = sampleLabels();
            await stack.up();
            const labels = await sampler.stop();
            const o = await outputs();
            const name = String(o.securityOpt).replace(/^apparmor=/, "");
            const version = (o.versions as Record<string, any>).vm.version as string;
            assert.strictEqual(name, `pa-eng-renamed-${version.slice(0, 8)}`);
            assert.strictEqual(o.label, `${name} (enforce)`);
            assert.notStrictEqual(o.containerId, containerId, "the container moved (replaced)");
            containerId = String(o.containerId);
            assert.ok(labels.length > 0, "labels were sampled during the up");
            assert.ok(!labels.includes("unconfined"), `a container ran unconfined: ${labels}`);
            // Only the new name is left loaded and on disk.
            assert.deepStrictEqual(await loaded(), [name]);
            const files = (await root(`ls ${DIR}`)).stdout
                .split("\n")
                .filter((f) => f.startsWith("pa-eng-"));
            assert.deepStrictEqual(files, [name]);
        }
        const t = await root(
            `docker exec ${containerId} sh -c 'mkdir -p /tmp/c && touch /tmp/c/x'`,
        );
        assert.match(t.stderr, /Permission denied/, "the new version's rule is enforced");
    });

    it("destroy: container first, then unload + remove: nothing left on the host", async () => {
        await stack.destroy();
        const r = await root(
            `ls ${DIR}; grep -c 'pa-eng-secure\|pa-eng-renamed' /sys/kernel/security/apparmor/profiles; docker ps -aq --filter id=${containerId} | wc -l; ls /var/lib/pulumi-apparmor/profiles`,
        );
        // Only this file's profiles: other tests may use the same VM at the same time.
        assert.ok(!/pa-eng-(secure|renamed)/.test(r.stdout), r.stdout);
        // `ls DIR` prints nothing when the directory is empty: the counts may start the output.
        assert.match(r.stdout, /(^|\n)0\n0\n/);
    });
});
