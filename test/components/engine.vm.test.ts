/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * The proof list, with the real Pulumi engine (Go-built CLI, Automation API, file:// backend)
 * against the test VM: create → confined; no-op up → zero host writes; denials in outputs after
 * refresh; content change → reload in place; mode flip → ALLOWED; each drift kind detected by
 * refresh and repaired by up; rename → container replaced after the new profile is loaded; secrets
 * absent from `stack export`; destroy → nothing left on the host.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { sharedTestHost, sshExec, type TestHostInfo } from "../support/testhost";
import { engineStack, type EngineStack } from "./engineHarness";
import { Profile, ProfiledContainer } from "../../src/components";
import { deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";

const DIR = "/etc/apparmor.d/containers";

interface Spec {
    name: string;
    extra: string[];
    mode: "enforce" | "complain";
}

describe("components: real engine + VM (issue proof list)", function () {
    this.timeout(900_000);
    let vm: TestHostInfo;
    let key: string;
    let st: EngineStack;
    let stack: Stack;
    const spec: Spec = { name: "pa-eng-secure", extra: [], mode: "enforce" };
    let containerId = "";
    const root = (cmd: string) => sshExec(vm, cmd, { asRoot: true });

    const program = async () => {
        const host = {
            host: vm.host,
            port: vm.port,
            user: vm.user,
            privateKey: pulumi.secret(key),
            hostKey: vm.hostKey,
            dockerHost: vm.dockerHost,
            name: "vm",
        };
        let profile = dockerDefault({ name: spec.name }).with(
            deny.file("/tmp/a/**", "rwlx"),
            deny.capability("fsetid"),
        );
        for (const p of spec.extra) profile = profile.with(deny.file(p, "rwlx"));
        const p = new Profile("secure", {
            hosts: [host],
            profile,
            mode: spec.mode,
            // pulumi-resource-command cannot be built here (test/engine/build.sh); the VM is prepared.
            prepareHosts: st.hasCommandProvider,
        });
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

    async function outputs(): Promise<Record<string, unknown>> {
        const o = await stack.outputs();
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
    }

    async function denialsFor(version: string) {
        const d = ((await outputs()).denials as Record<string, any>).vm;
        return d.byVersion[version] as
            | { denied: number; allowed: number; targets: { target: string }[] }
            | undefined;
    }

    before(async function () {
        vm = await sharedTestHost();
        key = fs.readFileSync(vm.privateKeyPath, "utf8");
        await root(
            `for n in pa-eng-secure pa-eng-renamed; do apparmor_parser -R ${DIR}/$n 2>/dev/null; rm -f ${DIR}/$n; done; true`,
        );
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
        await root(`docker exec ${containerId} sh -c 'mkdir -p /tmp/a'`);
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
        assert.strictEqual(o.containerId, containerId);
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
        assert.strictEqual((await outputs()).label, `${spec.name} (complain)`);
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
        assert.strictEqual((await outputs()).label, `${spec.name} (enforce)`);
    });

    const driftCases: Array<[string, string, RegExp]> = [
        ["file edited", `echo '# edited by hand' >> ${DIR}/pa-eng-secure`, /edited on the host/],
        ["mode flipped by hand", `apparmor_parser -r -C ${DIR}/pa-eng-secure`, /mode is complain/],
        ["profile unloaded", `apparmor_parser -R ${DIR}/pa-eng-secure`, /not loaded|unconfined/],
    ];
    for (const [what, cmd, re] of driftCases) {
        it(`drift: ${what} → refresh shows the reason, preview sees a change, up repairs`, async () => {
            assert.strictEqual((await root(cmd)).code, 0);
            let refreshOut = "";
            await stack.refresh({ onOutput: (s) => (refreshOut += s) });
            assert.match(refreshOut, re, refreshOut);
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
        const seq = events
            .map((e) => e.resOutputsEvent?.metadata)
            .filter((m): m is NonNullable<typeof m> => m !== undefined)
            .map((m) => `${m.op} ${m.urn.split("::").pop()}`);
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

    it("secrets are absent from `pulumi stack export`", async () => {
        const dep = await stack.exportStack();
        const text = JSON.stringify(dep);
        const body = key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
        assert.ok(body.length > 0);
        for (const l of body) assert.ok(!text.includes(l), "private key material in stack export");
        assert.ok(!text.includes("BEGIN OPENSSH PRIVATE KEY"));
        assert.match(
            text,
            /"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext"/,
        );
    });

    it("destroy: container first, then unload + remove: nothing left on the host", async () => {
        await stack.destroy();
        const r = await root(
            `ls ${DIR}; grep -c 'pa-eng-' /sys/kernel/security/apparmor/profiles; docker ps -aq --filter id=${containerId} | wc -l; ls /var/lib/pulumi-apparmor/profiles`,
        );
        assert.ok(!/pa-eng-/.test(r.stdout), r.stdout);
        assert.match(r.stdout, /\n0\n0\n/);
    });
});
