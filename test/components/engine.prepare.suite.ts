/**
 * `Profile`'s host preparation (`prepareHosts`, default true) on the real engine against the test VM:
 * the preparing `remote.Command` (pulumi-resource-command 1.2.1) runs before the profile is installed
 * on the host — shown by the engine's events (the Command's step completes before the HostProfile's
 * step starts) and by the host's own sudo log (the prepare command's sudo session closes before any
 * other sudo command naming the profile's directory starts) — the profile ends up loaded, a second
 * `up` changes nothing (no step, no new sudo command on the host), and `destroy` removes everything
 * this stack made on the host.
 *
 * A directory unique to this run keeps the prepare command its own (it is shared per host, user and
 * directory) and makes its sudo log lines ours alone on the shared VM. Fails, not skips, without
 * the command plugin.
 *
 * A function of the release (issue #18): engine.prepare.vm.test.ts runs it on the shared Debian 12
 * VM, engine.more.trixie.vm.test.ts on the shared Debian 13 VM, with the same assertions (the
 * loaded policy's hash read as raw_sha1 or, on trixie's kernel, raw_sha256: LOADED_POLICIES_SH).
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";

import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";

import { Profile } from "../../src/components";
import { deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { createThrowawayStack, requireProviderPlugin, ThrowawayStack } from "../support/engine";
import { sshExec, type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { LOADED_POLICIES_SH, POLICY_HASH_RE } from "../host/scripts-support";

const COMMAND_TYPE = "command:remote:Command";
const HOST_PROFILE_TYPE = "pulumi-nodejs:dynamic/apparmor:HostProfile";

/** Index of the first event matching `pred`, or -1. */
function indexOf(events: readonly EngineEvent[], pred: (e: EngineEvent) => boolean): number {
    return events.findIndex(pred);
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function enginePrepareSuite(release: Release): void {
    describe(`components: Profile with prepareHosts on the real engine + VM${releaseHost(release).suffix}`, function () {
        this.timeout(900_000);
        const suffix = crypto.randomBytes(4).toString("hex");
        const name = `pa-eng-prep-${suffix}`;
        const dir = `/etc/apparmor.d/pa-prep-${suffix}`;
        let vm: TestHostInfo;
        let s: ThrowawayStack | undefined;
        let since = "";
        const root = (cmd: string) => sshExec(vm, cmd, { asRoot: true });

        /**
         * The host's sudo log since the test began, one `[unix time, pid, message]` per line that
         * mentions this run's directory or belongs to a sudo process that did (sudo logs the command
         * line, split over several lines when long, then its PAM session lines).
         */
        async function sudoLog(): Promise<Array<[number, string, string]>> {
            const r = await root(
                `journalctl -q --no-pager -t sudo -o short-unix --since @${since} | cut -c1-2000`,
            );
            assert.strictEqual(r.code, 0, r.stderr);
            const rows = r.stdout
                .split("\n")
                .map((l) => /^(\d+\.\d+) \S+ sudo\[(\d+)\]: (.*)$/.exec(l))
                .filter((m): m is RegExpExecArray => m !== null)
                .map((m): [number, string, string] => [Number(m[1]), m[2], m[3]]);
            const ours = new Set(
                rows.filter(([, , msg]) => msg.includes(dir)).map(([, pid]) => pid),
            );
            return rows.filter(([, pid]) => ours.has(pid));
        }

        before(async function () {
            this.timeout(3_600_000); // cold engine build + cold VM image
            requireProviderPlugin("command");
            vm = await releaseHost(release).host();
            const key = fs.readFileSync(vm.privateKeyPath, "utf8");
            since = (await root("date +%s")).stdout.trim();
            assert.match(since, /^\d+$/);
            const absent = await root(`test -e ${dir}`);
            assert.strictEqual(absent.code, 1, `${dir} exists before the test`);
            s = await createThrowawayStack({
                projectName: "pa-prepare",
                program: async () => {
                    const cfg = new pulumi.Config();
                    const p = new Profile("prep", {
                        hosts: [
                            {
                                host: cfg.require("host"),
                                port: cfg.requireNumber("port"),
                                user: vm.user,
                                privateKey: cfg.requireSecret("privateKey"),
                                hostKey: cfg.require("hostKey"),
                                name: "vm",
                            },
                        ],
                        profile: dockerDefault({ name }).with(deny.file("/tmp/a/**", "rwlx")),
                        directory: dir,
                        // prepareHosts: left at its default (true)
                    });
                    return { securityOpt: p.securityOpt, versions: p.versions };
                },
                config: {
                    host: vm.host,
                    port: String(vm.port),
                    hostKey: vm.hostKey,
                    privateKey: { value: key, secret: true },
                },
            });
        });

        after(async function () {
            if (s) await s.dispose();
            if (vm)
                await root(
                    `apparmor_parser -R ${dir}/${name} 2>/dev/null; rm -rf ${dir} /var/lib/pulumi-apparmor/profiles/${name}; true`,
                );
        });

        it("up: the prepare remote.Command runs first, then the profile is installed and loaded", async () => {
            const up = await s!.up();
            assert.strictEqual(up.result.summary.result, "succeeded");
            const created = up.changes().map((c) => [c.op, c.type]);
            assert.deepStrictEqual(
                created.filter(([, t]) => t === COMMAND_TYPE || t === HOST_PROFILE_TYPE),
                [
                    ["create", COMMAND_TYPE],
                    ["create", HOST_PROFILE_TYPE],
                ],
                JSON.stringify(created),
            );
            assert.ok(
                created.some(([op, t]) => op === "create" && t === "pulumi:providers:command"),
                JSON.stringify(created),
            );

            // Engine order: the Command's step has completed before the HostProfile's step starts.
            const commandDone = indexOf(
                up.events,
                (e) =>
                    e.resOutputsEvent?.metadata.type === COMMAND_TYPE &&
                    e.resOutputsEvent.metadata.op === "create",
            );
            const profileStart = indexOf(
                up.events,
                (e) => e.resourcePreEvent?.metadata.type === HOST_PROFILE_TYPE,
            );
            assert.ok(commandDone >= 0, "the prepare Command's step completed");
            assert.ok(profileStart >= 0, "the HostProfile's step started");
            assert.ok(
                commandDone < profileStart,
                `prepare completed (event ${commandDone}) before the install started (event ${profileStart})`,
            );

            // Host order: the prepare command's sudo session closed before any other sudo command on
            // this directory started.
            const log = await sudoLog();
            const prepPids = new Set(
                log
                    .filter(([, , m]) => m.includes("pulumi-apparmor-prepare") && m.includes(dir))
                    .map(([, pid]) => pid),
            );
            assert.strictEqual(prepPids.size, 1, `one prepare command ran:\n${log.join("\n")}`);
            const [prepPid] = prepPids;
            const prepClosed = log.find(
                ([, pid, m]) => pid === prepPid && /session closed/.test(m),
            )?.[0];
            assert.ok(
                prepClosed !== undefined,
                `prepare's sudo session closed:\n${log.join("\n")}`,
            );
            const others = log.filter(([, pid]) => pid !== prepPid);
            assert.ok(others.length > 0, `the install ran over sudo too:\n${log.join("\n")}`);
            const firstOther = Math.min(...others.map(([t]) => t));
            assert.ok(
                prepClosed <= firstOther,
                `prepare closed at ${prepClosed}, first other command on ${dir} at ${firstOther}`,
            );

            const o = await s!.outputs();
            assert.strictEqual(o.securityOpt.value, `apparmor=${name}`);
            const loaded = await root(
                `grep -x '${name} (enforce)' /sys/kernel/security/apparmor/profiles`,
            );
            assert.strictEqual(loaded.code, 0, `${name} is not loaded in enforce mode`);
            const file = await root(`test -f ${dir}/${name} && stat -c %U ${dir}`);
            assert.strictEqual(file.code, 0, file.stderr);
            assert.strictEqual(file.stdout.trim(), "root");
        });

        it("a second up changes nothing: no step and no new sudo command on the host", async () => {
            const before = await sudoLog();
            const markers = async () =>
                (
                    await root(
                        `stat -c '%i %Y %Z' ${dir}/${name}; ${LOADED_POLICIES_SH} | grep '^${name} '`,
                    )
                ).stdout;
            const m0 = await markers();
            // the markers hold the loaded policy's hash (not an empty read on either kernel)
            assert.match(m0, new RegExp(`\n${name} ${POLICY_HASH_RE} enforce\n$`));
            await s!.preview({ expectNoChanges: true });
            const again = await s!.up({ expectNoChanges: true });
            assert.deepStrictEqual(again.changes(), []);
            assert.strictEqual(await markers(), m0, "profile file or loaded policy changed");
            // Nothing ran over sudo on this directory: neither the prepare command nor a host script.
            assert.deepStrictEqual(
                await sudoLog(),
                before,
                "a sudo command ran during the no-op up",
            );
        });

        it("destroy removes everything: Command, HostProfile, providers; profile unloaded, file and manifest gone", async () => {
            const down = await s!.destroy();
            const deleted = down
                .changes()
                .map((c) => c.type)
                .sort();
            assert.deepStrictEqual(
                deleted.filter((t) => t === COMMAND_TYPE || t === HOST_PROFILE_TYPE),
                [COMMAND_TYPE, HOST_PROFILE_TYPE],
            );
            assert.ok(
                down.changes().every((c) => c.op === "delete"),
                JSON.stringify(down.changes()),
            );
            const hp = down.changes().findIndex((c) => c.type === HOST_PROFILE_TYPE);
            const cmd = down.changes().findIndex((c) => c.type === COMMAND_TYPE);
            assert.ok(hp < cmd, "the profile is removed before its prepare Command is deleted");
            const r = await root(
                `grep -c '^${name} ' /sys/kernel/security/apparmor/profiles; ls -A ${dir}; ls /var/lib/pulumi-apparmor/profiles`,
            );
            assert.match(r.stdout, /^0\n/, `${name} still loaded`);
            assert.ok(!r.stdout.includes(name), r.stdout);
            const state = await s!.exportStack();
            assert.deepStrictEqual(state.deployment.resources ?? [], []);
        });
    });
}
