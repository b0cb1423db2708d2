/** preflight on a test VM booted with `apparmor=0`: the clear error; the mutating scripts refuse. */
import * as assert from "assert";
import { HostScriptError, hostScripts, preflightErrorMessage } from "../../src/host";
import type { LifecycleHost } from "../support/lifecycleHost";
import { releaseHost } from "../support/releases";
import type { TestHostInfo } from "../support/testhost";
import { execFor, secureProfile } from "./scripts-support";

/** The suite on `host` (booted, or rebooted on its disk, with `apparmor=0`; left so). */
export function scriptsApparmorOffSuite(host: LifecycleHost): void {
    describe(`host scripts on a test VM booted with apparmor=0${releaseHost(host.release).suffix}`, function () {
        this.timeout(900000);
        let info: TestHostInfo | undefined;

        before(async function () {
            this.timeout(900000);
            info = await host.up(["apparmor=0"]);
        });
        after(() => host.done());

        it("preflight names what is missing and how to fix it", async () => {
            const exec = execFor(info!);
            const r = await hostScripts.preflight(exec);
            assert.strictEqual(r.ok, false);
            assert.strictEqual(r.apparmorEnabled, false);
            assert.strictEqual(r.securityfs, false);
            assert.strictEqual(r.user, "sudo");
            assert.strictEqual(r.docker, "no-apparmor");
            assert.deepStrictEqual(
                r.problems.map((p) => p.code),
                ["apparmor-disabled", "docker-no-apparmor"],
            );
            const msg = preflightErrorMessage(r, `${info!.host}:${info!.port}`);
            assert.match(msg, /AppArmor is not enabled in the kernel/);
            assert.match(msg, /Fix: boot with apparmor=1 security=apparmor/);
            assert.match(msg, /would run unconfined without any error/);
            process.stderr.write(`      [preflight] ${msg.replace(/\n/g, "\n      ")}\n`);
            // The raw script: exit 3, the same problems on stderr, one a line.
            const raw = await exec((await import("../../src/host")).preflightCommand().command);
            assert.strictEqual(raw.exitCode, 3);
            assert.strictEqual(raw.stderr.trim().split("\n").length, 2);
        });

        it("install refuses instead of pretending", async () => {
            await assert.rejects(
                hostScripts.install(execFor(info!), {
                    name: "pa-off",
                    text: secureProfile("pa-off"),
                    mode: "enforce",
                    sudo: true,
                }),
                (e: unknown) => e instanceof HostScriptError && e.code === "apparmor-disabled",
            );
            const st = await hostScripts.status(execFor(info!), { names: ["pa-off"], sudo: true });
            assert.deepStrictEqual(st.apparmor, {
                enabled: false,
                securityfs: false,
                parser: true,
            });
            assert.deepStrictEqual(
                [st.profiles[0].file.present, st.profiles[0].loaded],
                [false, false],
            );
        });
    });
}
