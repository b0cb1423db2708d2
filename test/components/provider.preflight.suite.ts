/**
 * Issue #13's preflight proof: "each branch once: user without sudo rights, apparmor_parser missing,
 * securityfs not mounted, AppArmor off, docker without AppArmor — one error naming host and fix,
 * nothing changed". On ONE extra VM of its own (the branches break the host; no reboot), each branch
 * is set up by hand, then the profile is created through the provider as the engine would (install
 * fails, the preflight explains it), then the host is restored:
 *  - no sudo rights: the SSH user's sudoers entry is moved away;
 *  - apparmor_parser missing: the binary is moved away;
 *  - securityfs not mounted: umount /sys/kernel/security;
 *  - docker without AppArmor: dockerd restarted in a mount namespace without securityfs (a runtime
 *    drop-in with `TemporaryFileSystem=/sys/kernel/security`, as a hardened unit or a dockerd started
 *    before securityfs was mounted would be): it then drops AppArmor from its SecurityOptions and runs
 *    `--security-opt apparmor=X` containers unconfined, while the host itself has AppArmor. Docker
 *    20.10 checks `/sys/kernel/security/apparmor` on every `docker info`, so unmounting securityfs
 *    and mounting it back would not do: what `preflight` (check-docker) reports.
 * AppArmor off needs a boot with `apparmor=0`: test/host/scripts-apparmor-off.test.ts (scripts) and
 * engine.apparmor-off.vm.test.ts (component path) cover that branch.
 *
 * A function of the release and the VM (issue #18): provider.preflight.vm.test.ts runs it on a
 * Debian 12 VM of its own (`"own"`, as above); engine.more.trixie.vm.test.ts on the shared Debian 13
 * VM (`"shared"`): every branch restores the host in its `finally` (and the test asserts it), and
 * the suite runs last in that file, after the suites that need the host whole. The same assertions
 * on both.
 */
import * as assert from "assert";
import { hostProfileProvider } from "../../src/components/hostProfileProvider";
import { resolveModel } from "../../src/components/profile";
import { closeAll } from "../../src/components/ssh";
import type { PlainConnection } from "../../src/components/connection";
import { hostScripts, preflightErrorMessage } from "../../src/host";
import { startExtraTestHost, stopExtraTestHost, type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { connectSsh, execOn } from "../../src/testhost";
import { execFor } from "../host/scripts-support";
import { plainConnection, secureProfile } from "../support/vmStack";

const NAME = "pa-preflight";
const DIR = "/etc/apparmor.d/containers";

/**
 * The suite on a VM of `release`: its own (`"own"`: booted and stopped by the suite) or the shared one
 * (`"shared"`: left running). Its title names trixie and the shared VM; bookworm's own is as before.
 */
export function providerPreflightSuite(release: Release, where: "own" | "shared"): void {
    const title =
        where === "own"
            ? "components: every preflight branch on a VM of its own (issue #13)"
            : "components: every preflight branch on the shared VM (issue #13)";
    describe(`${title}${releaseHost(release).suffix}`, function () {
        this.timeout(1_800_000);
        let vm: TestHostInfo | undefined;
        let conn: PlainConnection;
        let target = "";

        /** A root command on the VM over a fresh connection; throws on a non-zero exit. */
        async function root(cmd: string): Promise<string> {
            const c = await connectSsh(vm!, { asRoot: true });
            try {
                const r = await execOn(c, cmd, { timeoutMs: 300_000 });
                if (r.code !== 0)
                    throw new Error(`VM command failed (${r.code}): ${cmd}\n${r.stderr}`);
                return r.stdout;
            } finally {
                c.end();
            }
        }

        /** What a failed create must leave as it was (securityfs may be unmounted: read it after). */
        const SNAPSHOT =
            `ls -lA --time-style=+%s ${DIR} /var/lib/pulumi-apparmor 2>&1; ` +
            `ls /etc/systemd/system/pulumi-apparmor.service 2>&1; true`;
        const loaded = async () =>
            (await root(`grep -c '^${NAME} ' /sys/kernel/security/apparmor/profiles; true`)).trim();

        async function create(): Promise<string> {
            const r = resolveModel(secureProfile(NAME));
            assert.ok(r.resolved);
            let message = "";
            await assert.rejects(
                hostProfileProvider.create({
                    connection: conn,
                    target,
                    hostName: "vm",
                    profileName: NAME,
                    profileText: r.resolved!.text,
                    version: r.resolved!.version,
                    mode: "enforce",
                    directory: DIR,
                    drift: [],
                }),
                (e: Error) => ((message = e.message), true),
            );
            closeAll();
            return message;
        }

        /** One error: the host and the preflight step named, exactly one problem with its fix. */
        function assertOneProblem(message: string, problem: RegExp, fix: RegExp): void {
            const host = target.replace(/[.]/g, "\\.");
            assert.match(
                message,
                new RegExp(`^${host}: preflight failed: host ${host} cannot run`),
            );
            const lines = message.split("\n").filter((l) => l.startsWith("  - "));
            assert.strictEqual(lines.length, 1, message);
            assert.match(lines[0], problem, message);
            assert.match(lines[0], new RegExp(`\\. Fix: ${fix.source}`), message);
            process.stderr.write(`      [preflight] ${lines[0].trim()}\n`);
        }

        before(async function () {
            vm =
                where === "own"
                    ? await startExtraTestHost(release === "bookworm" ? {} : { release })
                    : await releaseHost(release).host();
            target = `${vm.user}@${vm.host}:${vm.port}`;
            conn = plainConnection(vm);
        });
        after(async () => {
            closeAll();
            if (vm && where === "own") await stopExtraTestHost(vm);
        });

        it("user without sudo rights", async () => {
            const sudoers = (
                await root(`grep -l '^${vm!.user} ' /etc/sudoers.d/* | head -n 1`)
            ).trim();
            assert.ok(sudoers, "no sudoers entry for the test user");
            const before = await root(SNAPSHOT);
            await root(`mv ${sudoers} /root/pa-sudoers.off`);
            try {
                const message = await create();
                assertOneProblem(
                    message,
                    new RegExp(`the SSH user ${vm!.user} is not root and has no passwordless sudo`),
                    /connect as root, or allow the user passwordless sudo/,
                );
            } finally {
                await root(`mv /root/pa-sudoers.off ${sudoers}`);
            }
            assert.strictEqual(await root(SNAPSHOT), before, "the host changed");
            assert.strictEqual(await loaded(), "0");
        });

        it("apparmor_parser missing", async () => {
            const parser = (await root("readlink -f $(command -v apparmor_parser)")).trim();
            const before = await root(SNAPSHOT);
            await root(`mv ${parser} /root/pa-parser.off`);
            try {
                const message = await create();
                assertOneProblem(
                    message,
                    /apparmor_parser is not installed/,
                    /apt-get install apparmor/,
                );
            } finally {
                await root(`mv /root/pa-parser.off ${parser}`);
            }
            assert.strictEqual(await root(SNAPSHOT), before, "the host changed");
            assert.strictEqual(await loaded(), "0");
        });

        it("securityfs not mounted", async () => {
            const before = await root(SNAPSHOT);
            await root("umount /sys/kernel/security");
            try {
                const message = await create();
                assertOneProblem(
                    message,
                    /securityfs is not mounted/,
                    /mount -t securityfs securityfs \/sys\/kernel\/security/,
                );
            } finally {
                await root("mount -t securityfs securityfs /sys/kernel/security");
            }
            assert.strictEqual(await root(SNAPSHOT), before, "the host changed");
            assert.strictEqual(await loaded(), "0");
        });

        it("docker without AppArmor", async () => {
            const dropInDir = "/run/systemd/system/docker.service.d";
            const dropIn = `${dropInDir}/pa-no-apparmor.conf`;
            await root(
                `mkdir -p ${dropInDir} && ` +
                    `printf '[Service]\\nTemporaryFileSystem=/sys/kernel/security\\n' > ${dropIn} && ` +
                    "systemctl daemon-reload && systemctl restart docker",
            );
            try {
                assert.match(
                    await root("grep -c '^' /sys/kernel/security/apparmor/profiles"),
                    /^[1-9]/,
                    "the host itself still has AppArmor with profiles loaded",
                );
                const before = await root(SNAPSHOT);
                const r = await hostScripts.preflight(execFor(vm!));
                assert.strictEqual(r.ok, false);
                assert.strictEqual(r.docker, "no-apparmor");
                assert.deepStrictEqual(
                    r.problems.map((p) => p.code),
                    ["docker-no-apparmor"],
                );
                const message = preflightErrorMessage(r, target);
                assertOneProblem(
                    `${target}: preflight failed: ${message}`,
                    /dockerd does not list apparmor in its SecurityOptions.*run unconfined/,
                    /let dockerd see \/sys\/kernel\/security\/apparmor .*hiding \/sys\/kernel\/security\), then systemctl restart docker/,
                );
                assert.strictEqual(await root(SNAPSHOT), before, "the host changed");
            } finally {
                await root(
                    `rm -f ${dropIn} && systemctl daemon-reload && systemctl restart docker`,
                );
            }
            const opts = await root("docker info --format '{{json .SecurityOptions}}'");
            assert.match(opts, /name=apparmor/, "docker has AppArmor back");
        });
    });
}
