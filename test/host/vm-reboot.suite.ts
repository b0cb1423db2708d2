/**
 * Reboot survival on a real VM: Debian's apparmor.service loads only the top level of /etc/apparmor.d,
 * so the profiles we put in /etc/apparmor.d/containers/ would be gone after a reboot and containers
 * started with `--security-opt apparmor=NAME` and a restart policy would fail to start. install/mode
 * put `pulumi-apparmor.service` in place; this proves, across a reboot (clean poweroff, boot of the
 * same disk), that every profile comes
 * back with its exact policy and mode before dockerd restarts the container (which then runs confined),
 * and that removing the last profile leaves nothing of ours behind.
 */
import * as assert from "assert";
import { hostScripts } from "../../src/host";
import type { LifecycleHost } from "../support/lifecycleHost";
import { releaseHost } from "../support/releases";
import { sshExec, type TestHostInfo } from "../support/testhost";
import {
    IMAGE,
    execFor,
    kernelMode,
    kernelRawSha1,
    root as rootOn,
    secureProfile,
} from "./scripts-support";

const ENFORCED = "pa-boot-enforce";
const COMPLAINING = "pa-boot-complain";
const UNIT = "/etc/systemd/system/pulumi-apparmor.service";
const LOADER = "/var/lib/pulumi-apparmor/boot-load";
const WANTS = "/etc/systemd/system/sysinit.target.wants/pulumi-apparmor.service";

/** The suite on `host` (booted without kernel arguments; left so, with nothing of its own on it). */
export function vmRebootSuite(host: LifecycleHost): void {
    describe(`host scripts on a test VM that reboots${releaseHost(host.release).suffix}`, function () {
        this.timeout(1_800_000);
        let info: TestHostInfo | undefined;
        const root = (cmd: string, opts: { allowFail?: boolean } = {}) => rootOn(info!, cmd, opts);

        async function bootId(): Promise<string> {
            return (await root("cat /proc/sys/kernel/random/boot_id")).stdout.trim();
        }

        /**
         * Reboots the VM on the same disk: a clean guest poweroff, then a boot of the kept overlay (the
         * test VM's QEMU runs with -no-reboot, so an in-guest `reboot` would just end it).
         */
        async function reboot(): Promise<void> {
            const before = await bootId();
            info = await host.reboot();
            assert.notStrictEqual(await bootId(), before, "the VM did not reboot");
        }

        /** Where the journal ends now (for {@link reloadsSince}). */
        async function journalCursor(): Promise<string> {
            const out = (await root("journalctl -n 0 --show-cursor")).stdout;
            const m = /^-- cursor: (.+)$/m.exec(out);
            assert.ok(m, out);
            return m[1];
        }

        /**
         * How many times systemd (PID 1) reloaded its units since `cursor`: "Reloading." (systemd 252,
         * Debian 12) or "Reloading..." (257, Debian 13), once per reload.
         */
        async function reloadsSince(cursor: string): Promise<number> {
            const log = (await root(`journalctl --after-cursor '${cursor}' -o short`)).stdout;
            return log.split("\n").filter((l) => /systemd\[1\]: Reloading(\.|\.\.\.)$/.test(l))
                .length;
        }

        before(async function () {
            this.timeout(1_800_000);
            info = await host.up();
        });
        after(() => host.done());

        it("install puts the boot unit in place once; a repeated install writes nothing", async () => {
            const exec = execFor(info!);
            assert.strictEqual(
                (await root(`test -e ${UNIT} || test -e ${LOADER} || echo none`)).stdout.trim(),
                "none",
                "a fresh host has no unit of ours",
            );
            const cursor = await journalCursor();
            const a = await hostScripts.install(exec, {
                name: ENFORCED,
                text: secureProfile(ENFORCED),
                mode: "enforce",
                sudo: true,
            });
            assert.strictEqual(a.bootLoad, true);
            const b = await hostScripts.install(exec, {
                name: COMPLAINING,
                text: secureProfile(COMPLAINING),
                mode: "complain",
                sudo: true,
            });
            assert.strictEqual(b.bootLoad, true);
            assert.strictEqual(
                (await root("systemctl is-enabled pulumi-apparmor.service")).stdout.trim(),
                "enabled",
            );
            // Writing and enabling the unit cost systemd one reload in all (not enable's own as well).
            assert.strictEqual(await reloadsSince(cursor), 1, "systemd reloads for the new unit");
            // The unit is valid for systemd (no warnings) and ordered before dockerd.
            const verify = await root(`systemd-analyze verify ${UNIT} 2>&1; true`);
            assert.strictEqual(verify.stdout.trim(), "", verify.stdout);
            const after = (await root("systemctl show -p After -p Before pulumi-apparmor.service"))
                .stdout;
            assert.match(after, /After=.*apparmor\.service/);
            assert.match(after, /Before=.*docker\.service/);

            const stamp = `stat -c '%i %Y %Z' ${UNIT} ${LOADER} ${WANTS}`;
            const first = (await root(stamp)).stdout;
            const again = await hostScripts.install(exec, {
                name: ENFORCED,
                text: secureProfile(ENFORCED),
                mode: "enforce",
                sudo: true,
            });
            assert.deepStrictEqual([again.changed, again.bootLoad], [false, true]);
            assert.strictEqual(
                (await root(stamp)).stdout,
                first,
                "the no-op install touched the unit",
            );
        });

        it("after a reboot both profiles are loaded with the same policy and mode, and the restarted container is confined", async () => {
            const shaE = await kernelRawSha1(info!, ENFORCED);
            const shaC = await kernelRawSha1(info!, COMPLAINING);
            assert.strictEqual(shaE.length, 40);
            const run = await sshExec(
                info!,
                `docker run -d --name pa-boot-c1 --restart=always --security-opt apparmor=${ENFORCED} ${IMAGE} sleep 100000`,
                { timeoutMs: 180_000 },
            );
            assert.strictEqual(run.code, 0, run.stderr);

            await reboot();

            assert.strictEqual(await kernelRawSha1(info!, ENFORCED), shaE);
            assert.strictEqual(await kernelRawSha1(info!, COMPLAINING), shaC);
            assert.strictEqual(await kernelMode(info!, ENFORCED), "enforce");
            assert.strictEqual(await kernelMode(info!, COMPLAINING), "complain");
            const unit = await root(
                "systemctl show -p ActiveState -p Result pulumi-apparmor.service",
            );
            assert.match(unit.stdout, /ActiveState=active/);
            assert.match(unit.stdout, /Result=success/);

            // dockerd brings the container back (restart=always): it must run under the profile.
            let label = "";
            const deadline = Date.now() + 10 * 60_000;
            while (Date.now() < deadline) {
                const r = await root(
                    `pid=$(docker inspect -f '{{.State.Pid}}' pa-boot-c1 2>/dev/null); ` +
                        `[ -n "$pid" ] && [ "$pid" != 0 ] && cat /proc/$pid/attr/current; true`,
                );
                label = r.stdout.trim();
                if (label !== "") break;
                await new Promise((r) => setTimeout(r, 3000));
            }
            assert.strictEqual(label, `${ENFORCED} (enforce)`);
            const denied = await sshExec(
                info!,
                `docker exec pa-boot-c1 sh -c 'mkdir -p /tmp/a && touch /tmp/a/x'`,
                { timeoutMs: 120_000 },
            );
            assert.notStrictEqual(denied.code, 0);
            assert.match(denied.stderr, /Permission denied/);
        });

        it("removing the last profile disables and deletes the unit and its loader", async () => {
            await root("docker rm -f pa-boot-c1 >/dev/null 2>&1; true");
            const exec = execFor(info!);
            await hostScripts.remove(exec, { name: ENFORCED, sudo: true });
            assert.strictEqual(
                (await root(`test -e ${UNIT} && echo present; true`)).stdout.trim(),
                "present",
                "one profile is left: the unit stays",
            );
            const cursor = await journalCursor();
            await hostScripts.remove(exec, { name: COMPLAINING, sudo: true });
            assert.strictEqual(
                await reloadsSince(cursor),
                1,
                "systemd reloads for the dropped unit",
            );
            const left = await root(
                `for f in ${UNIT} ${LOADER} ${WANTS}; do if [ -e $f ] || [ -L $f ]; then echo $f; fi; done`,
            );
            assert.strictEqual(left.stdout.trim(), "", "files of ours left behind");
            const state = await root("systemctl is-enabled pulumi-apparmor.service 2>&1; true");
            assert.match(state.stdout, /No such file|not-found/, state.stdout);
        });
    });
}
