/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * One host read per host per engine operation (issue #17 item 1), with the real engine against the
 * test VM: a refresh of several profiles on one host runs ONE host script (`read`, counted with
 * PULUMI_APPARMOR_TRACE_FILE) and each profile still gets exactly its own truth: its live state is
 * what the `status` script says of it alone, the denial of one profile is counted for it once (not
 * for the others, not again on the next refresh); `preview --refresh` and `up --refresh` go through
 * the same single read. With ProfiledContainers beside the profiles, their Confinement label checks
 * join that one read, and a container left unconfined by hand is still drift, repaired by `up`.
 *
 * A function of the release (issue #18): engine.read.vm.test.ts runs it on the shared Debian 12 VM,
 * engine.more.trixie.vm.test.ts on the shared Debian 13 VM, with the same assertions.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Profile, ProfiledContainer } from "../../src/components";
import { hostScripts } from "../../src/host";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { traceReader } from "../support/trace";
import { PROFILE_DIR as DIR, secureProfile, vmContext, type VmContext } from "../support/vmStack";
import { execFor } from "../host/scripts-support";
import { releaseHost, type Release } from "../support/releases";

const N = 4;
const NAMES = Array.from({ length: N }, (_, i) => `pa-read-eng-${i}`);

/** The two suites on the shared VM of `release` (their titles name trixie; bookworm's are as before). */
export function engineReadSuite(release: Release): void {
    const suffix = releaseHost(release).suffix;

    describe(`components: one host read per refresh (engine + VM)${suffix}`, function () {
        this.timeout(900_000);
        let ctx: VmContext;
        let st: ThrowawayStack;
        const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-read-trace-")), "trace");
        const runs = traceReader(trace);

        const program = async () => {
            const out: Record<string, unknown> = {};
            NAMES.forEach((name, i) => {
                const p = new Profile(`p${i}`, {
                    hosts: [ctx.host()],
                    profile: secureProfile(name),
                    prepareHosts: false,
                });
                out[name] = { versions: p.versions, denials: p.denials, drift: p.drift };
            });
            return out;
        };

        /** Each HostProfile's `live` output in the checkpoint, by profile name. */
        async function liveByName(): Promise<Record<string, any>> {
            const d = await st.exportStack();
            const out: Record<string, any> = {};
            for (const r of (d.deployment as any).resources ?? []) {
                const o = r.outputs ?? {};
                if (typeof o.profileName === "string" && o.live) out[o.profileName] = o.live;
            }
            return out;
        }

        /** What the old per-profile path reported: the status script for that one name, alone. */
        async function liveAlone(name: string): Promise<Record<string, unknown>> {
            const r = await hostScripts.status(execFor(ctx.vm), {
                names: [name],
                dir: DIR,
                sudo: true,
            });
            const p = r.profiles[0];
            return {
                enabled: r.apparmor.enabled && r.apparmor.securityfs,
                filePresent: p.file.present,
                ...(p.file.sha256 ? { fileSha256: p.file.sha256 } : {}),
                loaded: p.loaded,
                ...(p.kernelMode ? { mode: p.kernelMode } : {}),
                policyMatchesFile: p.policyMatchesFile,
            };
        }

        /** Denied events counted for `name` (all versions) in its HostProfile's refreshed state. */
        async function denied(name: string): Promise<number> {
            const d = await st.exportStack();
            const r = ((d.deployment as any).resources ?? []).find(
                (x: any) =>
                    x.outputs?.profileName === name && x.outputs?.live && x.outputs?.denials,
            );
            assert.ok(r, `no HostProfile of ${name} in the checkpoint`);
            const byVersion = r.outputs.denials.byVersion as Record<string, { denied: number }>;
            return Object.values(byVersion).reduce((n, v) => n + v.denied, 0);
        }

        before(async function () {
            ctx = await vmContext(await releaseHost(release).host());
            await ctx.clearProfiles(NAMES);
            await ctx.root(
                `for n in ${NAMES.join(" ")}; do rm -f /var/lib/pulumi-apparmor/profiles/$n; done`,
            );
            st = await createThrowawayStack({
                program,
                projectName: "read-batch",
                envVars: { PULUMI_APPARMOR_TRACE_FILE: trace },
            });
        });
        after(async function () {
            // the `up`s above run on the Automation API stack itself: destroy explicitly (dispose only
            // destroys after its own `up`), so the profiles and their manifests leave the host
            if (st)
                await st.destroy().catch((e) => process.stderr.write(`destroy: ${String(e)}\n`));
            if (st) await st.dispose();
            if (ctx) await ctx.clearProfiles(NAMES);
        });

        it(`refresh of ${N} profiles on one host: ONE host read; each profile's live state as read alone; its own denials once`, async () => {
            const up = await st.stack.up({ color: "never" });
            assert.strictEqual(up.summary.result, "succeeded");
            // the creates, which the engine sends together: installed (one install each in all,
            // nothing else run for them), at least two of them in one shared `installs` run
            const created = runs();
            const ran = JSON.stringify(created);
            assert.ok(
                Object.keys(created).every((k) => k === "install" || k === "installs"),
                ran,
            );
            assert.strictEqual(
                (created.install?.items ?? 0) + (created.installs?.items ?? 0),
                N,
                ran,
            );
            assert.ok(created.installs && created.installs.items >= 2, `no shared run: ${ran}`);
            // a denial of profile 0 only
            const r = await ctx.root(
                `docker run --rm --security-opt apparmor=${NAMES[0]} local/busybox:latest sh -c 'mkdir -p /tmp/a; touch /tmp/a/x; echo touch=$?'`,
            );
            assert.match(r.stdout, /touch=1/, r.stderr);
            // journald stores audit records asynchronously: wait until it has the denial
            for (let i = 0; i < 60; i++) {
                const j = await ctx.root(
                    `journalctl -q _TRANSPORT=audit --no-pager | grep -c 'apparmor="DENIED".*profile="${NAMES[0]}"'`,
                );
                if (Number(j.stdout.trim()) >= 1) break;
                await new Promise((res) => setTimeout(res, 1000));
            }

            await st.stack.refresh({ color: "never" });
            const first = runs();
            assert.deepStrictEqual(Object.keys(first), ["read"], JSON.stringify(first));
            assert.strictEqual(first.read.count, 1, `host runs: ${JSON.stringify(first)}`);

            const live = await liveByName();
            for (const name of NAMES) {
                assert.deepStrictEqual(live[name], await liveAlone(name), name);
                assert.strictEqual(live[name].loaded, true);
                assert.strictEqual(live[name].policyMatchesFile, true);
            }
            assert.strictEqual(
                await denied(NAMES[0]),
                1,
                "the one denial, counted for its profile",
            );
            for (const name of NAMES.slice(1)) assert.strictEqual(await denied(name), 0, name);
            for (const name of NAMES)
                assert.deepStrictEqual(((await st.stack.outputs())[name].value as any).drift, {
                    vm: [],
                });

            // again: one read, nothing counted twice
            await st.stack.refresh({ color: "never" });
            const second = runs();
            assert.deepStrictEqual(Object.keys(second), ["read"], JSON.stringify(second));
            assert.strictEqual(second.read.count, 1);
            assert.strictEqual(await denied(NAMES[0]), 1, "counted once");
        });

        it("preview --refresh and a no-op up --refresh: one host read each, nothing written", async () => {
            await st.stack.preview({ color: "never", refresh: true } as any);
            const p = runs();
            assert.deepStrictEqual(Object.keys(p), ["read"], JSON.stringify(p));
            assert.strictEqual(p.read.count, 1);
            const up = await st.stack.up({ color: "never", refresh: true } as any);
            assert.strictEqual(up.summary.result, "succeeded");
            assert.deepStrictEqual(
                Object.keys(up.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
                [],
                JSON.stringify(up.summary.resourceChanges),
            );
            const u = runs();
            assert.deepStrictEqual(Object.keys(u), ["read"], JSON.stringify(u));
            assert.strictEqual(u.read.count, 1);
        });
    });

    describe(`components: profiles and their containers, one host read per refresh (engine + VM)${suffix}`, function () {
        this.timeout(1_200_000);
        let ctx: VmContext;
        let st: ThrowawayStack;
        const names = Array.from({ length: N }, (_, i) => `pa-read-ctr-${i}`);
        const trace = path.join(
            fs.mkdtempSync(path.join(os.tmpdir(), "pa-read-ctr-trace-")),
            "trace",
        );
        const runs = traceReader(trace);
        /** Containers on profiles 0 and 1. */
        const CONTAINERS = [0, 1];

        const program = async () => {
            const out: Record<string, unknown> = {};
            const profiles = names.map(
                (name, i) =>
                    new Profile(`p${i}`, {
                        hosts: [ctx.host({ docker: true })],
                        profile: secureProfile(name),
                        prepareHosts: false,
                    }),
            );
            names.forEach((name, i) => (out[name] = { drift: profiles[i].drift }));
            for (const i of CONTAINERS) {
                const c = new ProfiledContainer(`c${i}`, {
                    profile: profiles[i],
                    container: {
                        image: "local/busybox:latest",
                        command: ["sleep", "1000000"],
                        mustRun: true,
                    },
                });
                out[`c${i}`] = { id: c.container.id, label: c.label, drift: c.confinement!.drift };
            }
            return out;
        };

        const outputs = async () =>
            Object.fromEntries(
                Object.entries(await st.stack.outputs()).map(([k, v]) => [k, v.value as any]),
            );

        /**
         * The refreshed state in the checkpoint (a refresh does not run the program, so the stack
         * outputs keep the values of the last `up`): each Confinement's label and drift by container
         * key, each HostProfile's drift by profile name.
         */
        async function refreshed(): Promise<{
            c: Record<string, { label: string; drift: string[] }>;
            drift: Record<string, string[]>;
        }> {
            const d = await st.exportStack();
            const c: Record<string, { label: string; drift: string[] }> = {};
            const drift: Record<string, string[]> = {};
            for (const r of (d.deployment as any).resources ?? []) {
                const o = r.outputs ?? {};
                const m = /::(c\d+)-confinement$/.exec(String(r.urn));
                if (m && String(r.type).endsWith(":Confinement"))
                    c[m[1]] = { label: o.label, drift: o.drift };
                else if (typeof o.profileName === "string" && o.live)
                    drift[o.profileName] = o.drift;
            }
            return { c, drift };
        }

        /** Counts by script of the host runs since the last call. */
        const counts = () =>
            Object.fromEntries(Object.entries(runs()).map(([k, v]) => [k, v.count]));

        before(async function () {
            ctx = await vmContext(await releaseHost(release).host());
            await ctx.clearProfiles(names);
            await ctx.root(
                `for n in ${names.join(" ")}; do rm -f /var/lib/pulumi-apparmor/profiles/$n; done`,
            );
            st = await createThrowawayStack({
                program,
                projectName: "read-batch-containers",
                envVars: { PULUMI_APPARMOR_TRACE_FILE: trace },
            });
        });
        after(async function () {
            // destroy explicitly (see above): the containers, then the profiles and their manifests
            if (st)
                await st.destroy().catch((e) => process.stderr.write(`destroy: ${String(e)}\n`));
            if (st) await st.dispose();
            if (ctx) await ctx.clearProfiles(names);
        });

        it(`refresh of ${N} profiles + ${CONTAINERS.length} containers on one host: ONE host run; each container its own label`, async () => {
            const up = await st.stack.up({ color: "never" });
            assert.strictEqual(up.summary.result, "succeeded");
            const o = await outputs();
            for (const i of CONTAINERS)
                assert.strictEqual(o[`c${i}`].label, `${names[i]} (enforce)`);
            runs();

            await st.stack.refresh({ color: "never" });
            assert.deepStrictEqual(counts(), { read: 1 });
            const r = await refreshed();
            assert.deepStrictEqual(Object.keys(r.c).sort(), ["c0", "c1"]);
            for (const i of CONTAINERS) {
                assert.strictEqual(r.c[`c${i}`].label, `${names[i]} (enforce)`);
                assert.deepStrictEqual(r.c[`c${i}`].drift, []);
                // the label the kernel reports for the container's init process, read independently
                const k = await ctx.root(
                    `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${o[`c${i}`].id})/attr/current`,
                );
                assert.strictEqual(k.stdout.trim(), `${names[i]} (enforce)`);
            }
            for (const name of names) assert.deepStrictEqual(r.drift[name], [], name);
        });

        it("a container left unconfined by hand: drift found by the same single read; up repairs; a no-op up --refresh is one read", async () => {
            // Unloading the profile unconfines its running container; loading it again (the same
            // compiled policy) leaves the container unconfined: only the container has drifted.
            const file = `${DIR}/${names[0]}`;
            const un = await ctx.root(
                `apparmor_parser -R ${file} && apparmor_parser -r -K ${file}`,
            );
            assert.strictEqual(un.code, 0, un.stderr);
            const id = (await outputs()).c0.id as string;
            const k = await ctx.root(
                `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`,
            );
            assert.strictEqual(k.stdout.trim(), "unconfined");
            runs();

            await st.stack.refresh({ color: "never" });
            assert.deepStrictEqual(counts(), { read: 1 });
            const r = await refreshed();
            assert.deepStrictEqual(r.c.c0.drift, [
                `container runs unconfined (expected ${names[0]} (enforce))`,
            ]);
            assert.strictEqual(r.c.c0.label, "unconfined");
            assert.deepStrictEqual(r.c.c1.drift, []);
            assert.strictEqual(r.c.c1.label, `${names[1]} (enforce)`);
            for (const name of names) assert.deepStrictEqual(r.drift[name], [], name);

            const up = await st.stack.up({ color: "never" });
            assert.strictEqual(up.summary.result, "succeeded");
            const o = await outputs();
            assert.strictEqual(o.c0.label, `${names[0]} (enforce)`);
            assert.deepStrictEqual(o.c0.drift, []);
            assert.strictEqual(o.c0.id, id, "repaired by a restart, not a new container");
            const k2 = await ctx.root(
                `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${id})/attr/current`,
            );
            assert.strictEqual(k2.stdout.trim(), `${names[0]} (enforce)`);
            runs();

            const noop = await st.stack.up({ color: "never", refresh: true } as any);
            assert.strictEqual(noop.summary.result, "succeeded");
            assert.deepStrictEqual(
                Object.keys(noop.summary.resourceChanges ?? {}).filter((x) => x !== "same"),
                [],
                JSON.stringify(noop.summary.resourceChanges),
            );
            assert.deepStrictEqual(counts(), { read: 1 });
        });
    });
}
