/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * "Disabling AppArmor" drift, with the real Pulumi engine against a VM of its own that is rebooted
 * on the same disk with other kernel arguments (`stopTestHost(dir, { keepDisk: true })` +
 * `startTestHost({ reuseDisk: true })` through its `LifecycleHost`; never the worker's shared VM):
 *  1. `up` on the host with AppArmor on: profile loaded, the ProfiledContainer confined;
 *  2. rebooted with `apparmor=0`: `preview --refresh` and `refresh` show drift whose reason names the
 *     host, and the container (restarted by docker at boot, silently unconfined) is reported unconfined;
 *  3. the next `up` fails, naming the host and the preflight step, and writes nothing;
 *  4. rebooted with AppArmor on again: `up` repairs (profile loaded, container confined, no drift).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import type { LifecycleHost } from "../support/lifecycleHost";
import { releaseHost } from "../support/releases";
import type { TestHostInfo } from "../support/testhost";
import { connectSsh, execOn } from "../../src/testhost";
import { engineStack, type EngineStack } from "./engineHarness";
import { Profile, ProfiledContainer } from "../../src/components";
import { audit } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";

const DIR = "/etc/apparmor.d/containers";
const NAME = "pa-off-profile";

/** The suite on `host` (booted without kernel arguments; left so, with nothing of its own on it). */
export function engineApparmorOffSuite(host: LifecycleHost): void {
    describe(`components: AppArmor disabled on a host (real engine + own VM, rebooted)${releaseHost(host.release).suffix}`, function () {
        this.timeout(1_800_000);
        let vm: TestHostInfo;
        let key: string;
        let st: EngineStack;
        let stack: Stack;
        let target = "";

        /** A command as root on the VM, over a fresh connection (the VM reboots between tests). */
        async function root(cmd: string) {
            const c = await connectSsh(vm, { asRoot: true });
            try {
                return await execOn(c, cmd, { timeoutMs: 120000 });
            } finally {
                c.end();
            }
        }

        /** Reboots the VM on the same disk, ports and keys, with `kernelArgs`. */
        async function reboot(kernelArgs: string[]): Promise<void> {
            const t0 = Date.now();
            const next = await host.reboot(kernelArgs);
            assert.strictEqual(next.port, vm.port, "same SSH port after the reboot");
            assert.strictEqual(next.dockerHost, vm.dockerHost, "same docker port after the reboot");
            vm = next;
            process.stderr.write(
                `    [apparmor-off] reboot ${JSON.stringify(kernelArgs)}: ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
                    `(ssh up ${(next.bootMs.ssh / 1000).toFixed(1)} s after the start)\n`,
            );
        }

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
            const p = new Profile("secure", {
                hosts: [host],
                profile: dockerDefault({ name: NAME }).with(audit.deny.file("/tmp/a/**", "rwlx")),
                mode: "enforce",
                // The VM image is prepared (apparmor installed, directory present).
                prepareHosts: false,
            });
            const c = new ProfiledContainer("web", {
                profile: p,
                container: {
                    name: "pa-off-web-c",
                    image: "local/busybox:latest",
                    command: ["sleep", "1000000"],
                    // docker starts it again at boot: with AppArmor off, silently unconfined.
                    restart: "unless-stopped",
                    mustRun: true,
                },
            });
            return {
                drift: p.drift,
                versions: p.versions,
                containerId: c.container.id,
                label: c.label,
            };
        };

        async function outputs(): Promise<Record<string, any>> {
            const o = await stack.outputs();
            return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
        }

        /** The refreshed `drift` output of the resources whose URN ends with `::NAME`. */
        function refreshedDrift(events: readonly EngineEvent[], name: string): string[] {
            return events
                .map((e) => e.resOutputsEvent?.metadata)
                .filter((m) => m !== undefined && m.urn.endsWith(`::${name}`))
                .flatMap((m) => (m!.new?.outputs?.drift as string[] | undefined) ?? []);
        }

        async function containerLabel(): Promise<string> {
            const r = await root(
                `pid=$(docker inspect -f '{{.State.Pid}}' pa-off-web-c) && cat /proc/$pid/attr/current 2>&1`,
            );
            return r.stdout.trim();
        }

        before(async function () {
            vm = await host.up();
            key = fs.readFileSync(vm.privateKeyPath, "utf8");
            target = `${vm.user}@${vm.host}:${vm.port}`;
            st = await engineStack("components-apparmor-off", program);
            stack = st.stack;
        });
        after(async function () {
            if (st) {
                // Destroy only works against a reachable host with AppArmor on.
                if (vm && !vm.apparmor) await reboot([]).catch(() => undefined);
                await st.cleanup();
            }
            await host.done();
        });

        it("up on the host with AppArmor on: profile loaded, container confined", async () => {
            const r = await stack.up({ color: "never" });
            assert.strictEqual(r.summary.result, "succeeded");
            const o = await outputs();
            assert.strictEqual(o.label, `${NAME} (enforce)`);
            assert.deepStrictEqual(o.drift, { vm: [] });
            assert.strictEqual(await containerLabel(), `${NAME} (enforce)`);
            // Flush the guest's page cache: the reboot below must find the profile on disk.
            await root("sync");
        });

        it("rebooted with apparmor=0: preview --refresh and refresh show the drift, naming the host; the container is unconfined", async () => {
            await reboot(["apparmor=0"]);
            assert.strictEqual(vm.apparmor, false, "the VM booted with AppArmor off");
            assert.strictEqual(
                (await root("cat /sys/module/apparmor/parameters/enabled")).stdout.trim(),
                "N",
            );
            // docker restarted the container at boot, without any error, and it runs unconfined.
            assert.strictEqual(
                (await root("docker inspect -f '{{.State.Running}}' pa-off-web-c")).stdout.trim(),
                "true",
            );
            assert.doesNotMatch(await containerLabel(), new RegExp(NAME));

            const disabled = new RegExp(`AppArmor is disabled.*${target.replace(/[.]/g, "\\.")}`);
            const pv = await stack.preview({ refresh: true, diff: true, color: "never" });
            assert.ok((pv.changeSummary.update ?? 0) >= 1, JSON.stringify(pv.changeSummary));
            assert.match(pv.stdout, disabled, pv.stdout);
            const unconfined = new RegExp(
                `container runs unconfined: AppArmor is disabled on host ${target.replace(/[.]/g, "\\.")}`,
            );
            assert.match(pv.stdout, unconfined, pv.stdout);

            const events: EngineEvent[] = [];
            await stack.refresh({ color: "never", onEvent: (e) => events.push(e) });
            const hostDrift = refreshedDrift(events, "secure-vm");
            assert.match(hostDrift.join("\n"), disabled, JSON.stringify(hostDrift));
            const containerDrift = refreshedDrift(events, "web-confinement");
            assert.match(containerDrift.join("\n"), unconfined, JSON.stringify(containerDrift));
            assert.match(
                containerDrift.join("\n"),
                new RegExp(`expected ${NAME} \\(enforce\\)`),
                JSON.stringify(containerDrift),
            );
        });

        it("up while AppArmor is off fails, naming the host and the preflight step, and writes nothing", async () => {
            const before = await root(
                `stat -c '%i %Y' ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME}`,
            );
            let message = "";
            await assert.rejects(
                () => stack.up({ color: "never" }),
                (e: Error) => ((message = e.message), true),
            );
            assert.match(
                message,
                new RegExp(`${target.replace(/[.]/g, "\\.")}: preflight failed`),
                message,
            );
            assert.match(message, /AppArmor is not enabled in the kernel/, message);
            const after = await root(
                `stat -c '%i %Y' ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME}`,
            );
            assert.strictEqual(
                after.stdout,
                before.stdout,
                "the host's profile files were not touched",
            );
            // Still drift: nothing was recorded as repaired.
            const pv = await stack.preview({ refresh: true, color: "never" });
            assert.ok((pv.changeSummary.update ?? 0) >= 1, JSON.stringify(pv.changeSummary));
        });

        it("rebooted with AppArmor on: up repairs (profile loaded, container confined, no drift)", async () => {
            await reboot([]);
            assert.strictEqual(vm.apparmor, true);
            const r = await stack.up({ color: "never" });
            assert.strictEqual(r.summary.result, "succeeded");
            const loaded = await root("cat /sys/kernel/security/apparmor/profiles");
            assert.match(loaded.stdout, new RegExp(`^${NAME} \\(enforce\\)$`, "m"), loaded.stdout);
            const o = await outputs();
            assert.deepStrictEqual(o.drift, { vm: [] });
            assert.strictEqual(o.label, `${NAME} (enforce)`);
            assert.strictEqual(await containerLabel(), `${NAME} (enforce)`);
            await stack.preview({ refresh: true, expectNoChanges: true, color: "never" });
            const t = await root(
                `docker exec pa-off-web-c sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`,
            );
            assert.match(t.stderr, /Permission denied/, "confinement restored");
        });
    });
}
