/**
 * An unreachable host at `pulumi destroy`, with the real Pulumi engine against a VM of its own (never
 * the shared one, which must not be stopped): after `up`, the VM is stopped; `destroy` fails with a
 * message naming the host and how to forget it; with PULUMI_APPARMOR_FORGET_UNREACHABLE=1 `destroy`
 * succeeds with a warning and the stack is left empty.
 * The VM is a `LifecycleHost` (never the worker's shared VM): it ends powered off with the forgotten
 * profile still on its disk, so on a VM shared by suites this one runs last.
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
import { Profile } from "../../src/components";
import { audit } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";

const NAME = "pa-forget-profile";
const FORGET = "PULUMI_APPARMOR_FORGET_UNREACHABLE";

/** The suite on `host` (booted without kernel arguments; left powered off, its profile on the disk). */
export function engineForgetSuite(host: LifecycleHost): void {
    describe(`components: destroy with an unreachable host (real engine + own VM, stopped)${releaseHost(host.release).suffix}`, function () {
        this.timeout(1_800_000);
        let vm: TestHostInfo | undefined;
        let key: string;
        let st: EngineStack;
        let stack: Stack;
        let target = "";

        const program = async () => {
            const p = new Profile("secure", {
                hosts: [
                    {
                        host: vm!.host,
                        port: vm!.port,
                        user: vm!.user,
                        privateKey: pulumi.secret(key),
                        hostKey: vm!.hostKey,
                        name: "vm",
                    },
                ],
                profile: dockerDefault({ name: NAME }).with(audit.deny.file("/tmp/a/**", "rwlx")),
                // The VM image is prepared (apparmor installed, directory present).
                prepareHosts: false,
            });
            return { versions: p.versions };
        };

        before(async function () {
            vm = await host.up();
            key = fs.readFileSync(vm.privateKeyPath, "utf8");
            target = `${vm.user}@${vm.host}:${vm.port}`;
            st = await engineStack("components-forget", program);
            stack = st.stack;
        });
        after(async function () {
            delete stack?.workspace.envVars[FORGET];
            if (st) await st.cleanup();
            await host.done();
        });

        it("up loads the profile on the VM", async () => {
            const r = await stack.up({ color: "never" });
            assert.strictEqual(r.summary.result, "succeeded");
            const c = await connectSsh(vm!, { asRoot: true });
            try {
                const loaded = await execOn(c, "cat /sys/kernel/security/apparmor/profiles");
                assert.match(loaded.stdout, new RegExp(`^${NAME} \\(enforce\\)$`, "m"));
            } finally {
                c.end();
            }
        });

        it("host stopped: destroy fails, naming the host and the option to forget it", async () => {
            await host.powerOff();
            vm = undefined;
            let message = "";
            await assert.rejects(
                () => stack.destroy({ color: "never" }),
                (e: Error) => ((message = e.message), true),
            );
            const where = target.replace(/[.]/g, "\\.");
            assert.match(
                message,
                new RegExp(`${where}: connect failed: cannot reach ${where}`),
                message,
            );
            assert.match(
                message,
                new RegExp(`profile ${NAME} cannot be removed from an unreachable host`),
            );
            assert.match(message, new RegExp(`run again with ${FORGET}=1`), message);
            assert.match(message, /pulumi state delete/, message);
            // Nothing was dropped from the stack.
            const left = (await stack.exportStack()).deployment.resources ?? [];
            assert.ok(
                left.some((r: { urn: string }) => r.urn.endsWith("::secure-vm")),
                "the host's profile is still in the stack",
            );
        });

        it(`with ${FORGET}=1 destroy succeeds with a warning and leaves the stack empty`, async () => {
            stack.workspace.envVars[FORGET] = "1";
            const events: EngineEvent[] = [];
            const r = await stack.destroy({ color: "never", onEvent: (e) => events.push(e) });
            assert.strictEqual(r.summary.result, "succeeded");
            const said = [
                r.stdout,
                r.stderr,
                ...events.map((e) => e.diagnosticEvent?.message ?? ""),
            ].join("\n");
            assert.match(
                said,
                new RegExp(
                    `warning: ${target.replace(/[.]/g, "\\.")} is unreachable; forgetting profile ${NAME} without removing it`,
                ),
                said,
            );
            const left = (await stack.exportStack()).deployment.resources ?? [];
            assert.deepStrictEqual(
                left.map((x: { urn: string }) => x.urn),
                [],
            );
        });
    });
}
