/**
 * The dynamic providers' methods called directly (no engine) against the real test VM: create,
 * read (status + denials + drift), update (content, mode, repair), delete, confinement checks,
 * errors. The same code runs inside the engine in `engine.vm.test.ts`.
 *
 * A function of the release (issue #18): provider.vm.test.ts runs it on the shared Debian 12 VM,
 * providers.trixie.vm.test.ts on the shared Debian 13 VM, with the same assertions.
 */
import * as assert from "assert";
import { sshExec, type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import {
    hostProfileProvider,
    type HostProfileOutputs,
} from "../../src/components/hostProfileProvider";
import {
    confinementProvider,
    type ConfinementOutputs,
} from "../../src/components/confinementProvider";
import { resolveModel, resolveText } from "../../src/components/profile";
import { closeAll, connectionsOpened } from "../../src/components/ssh";
import type { PlainConnection } from "../../src/components/connection";
import { audit, deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { plainConnection } from "../support/vmStack";

const NAME = "pa-prov-secure";
const DIR = "/etc/apparmor.d/containers";

function secureText(extra: string[] = []): { text: string; version: string } {
    let b = dockerDefault({ name: NAME }).with(
        audit.deny.file("/tmp/a/**", "rwlx"),
        deny.capability("fsetid"),
    );
    for (const p of extra) b = b.with(audit.deny.file(p, "rwlx"));
    const r = resolveModel(b);
    assert.ok(r.resolved, JSON.stringify(r.problems));
    return r.resolved!;
}

/** The providers called directly on the shared VM of `release` (trixie's titles name it). */
export function providerSuite(release: Release): void {
    const { host, suffix } = releaseHost(release);

    describe(`components: providers against the test VM${suffix}`, function () {
        this.timeout(300_000);
        let vm: TestHostInfo;
        let conn: PlainConnection;
        let outs: HostProfileOutputs;
        let containerId: string;
        let conf: ConfinementOutputs;

        const inputs = (
            text: string,
            version: string,
            mode: "enforce" | "complain" = "enforce",
        ) => ({
            connection: conn,
            target: `${conn.user}@${conn.host}:${conn.port}`,
            hostName: "vm",
            profileName: NAME,
            profileText: text,
            version,
            mode,
            directory: DIR,
            drift: [] as string[],
        });
        const root = (cmd: string) => sshExec(vm, cmd, { asRoot: true });
        const inContainer = (cmd: string) => root(`docker exec ${containerId} sh -c '${cmd}'`);
        /**
         * Reads the profile, each read carrying the last one's outputs on as the engine does, until
         * `count` of them is above 0 or 60 s have passed (the audit transport may lag behind the
         * syscall, more on trixie's busier log). Returns the last count.
         */
        const readUntil = async (count: (o: HostProfileOutputs) => number): Promise<number> => {
            for (const until = Date.now() + 60_000; ; ) {
                outs = (await hostProfileProvider.read("id", outs)).props as HostProfileOutputs;
                const n = count(outs);
                if (n > 0 || Date.now() >= until) return n;
                await new Promise((r) => setTimeout(r, 1000));
            }
        };

        before(async function () {
            this.timeout(900_000);
            vm = await host();
            conn = plainConnection(vm);
            await root(
                `docker rm -f pa-prov-c >/dev/null 2>&1; apparmor_parser -R ${DIR}/${NAME} 2>/dev/null; rm -f ${DIR}/${NAME}; true`,
            );
        });
        after(async () => {
            if (vm) await root(`docker rm -f pa-prov-c >/dev/null 2>&1; true`);
            closeAll();
        });

        it("create: installs and loads the profile through sudo, records version, mode, cursor", async () => {
            const { text, version } = secureText();
            const before = connectionsOpened();
            const r = await hostProfileProvider.create(inputs(text, version));
            outs = r.outs as HostProfileOutputs;
            assert.strictEqual(r.id, `${conn.user}@${conn.host}:${conn.port}/${NAME}`);
            assert.strictEqual(outs.writes, 1);
            assert.deepStrictEqual(outs.drift, []);
            assert.strictEqual(outs.installed.version, version);
            assert.strictEqual(outs.live.loaded, true);
            assert.strictEqual(outs.live.mode, "enforce");
            assert.strictEqual(outs.live.policyMatchesFile, true);
            assert.ok(outs.denials.cursor, "a cursor to read new lines from");
            assert.strictEqual(
                connectionsOpened() - before,
                1,
                "one pooled connection for all steps",
            );
            const k = await root(`grep '^${NAME} ' /sys/kernel/security/apparmor/profiles`);
            assert.match(k.stdout, /\(enforce\)/);
        });

        it("update with the same inputs writes nothing", async () => {
            const { text, version } = secureText();
            const before = (await root(`stat -c %Y.%i ${DIR}/${NAME}`)).stdout;
            const r = await hostProfileProvider.update("id", outs, inputs(text, version));
            const o = r.outs as HostProfileOutputs;
            assert.strictEqual(o.writes, 0);
            assert.strictEqual(o.installed.loadedAt, outs.installed.loadedAt);
            assert.strictEqual((await root(`stat -c %Y.%i ${DIR}/${NAME}`)).stdout, before);
            outs = o;
        });

        it("confinement: a container started with the profile carries its label; the denial happens and is read back", async () => {
            const run = await root(
                `docker run -d --name pa-prov-c --security-opt apparmor=${NAME} local/busybox:latest sleep 100000`,
            );
            assert.strictEqual(run.code, 0, run.stderr);
            containerId = run.stdout.trim();
            const c = await confinementProvider.create({
                connection: conn,
                target: "vm",
                containerId,
                profileName: NAME,
                mode: "enforce",
                drift: [],
            });
            conf = c.outs as ConfinementOutputs;
            assert.strictEqual(conf.label, `${NAME} (enforce)`);
            const t = await inContainer("mkdir -p /tmp/a && touch /tmp/a/x");
            assert.notStrictEqual(t.code, 0);
            assert.match(t.stderr, /Permission denied/);
            await readUntil((o) => o.denials.byVersion[o.installed.version]?.denied ?? 0);
            const s = outs.denials.byVersion[outs.installed.version];
            assert.ok(s && s.denied >= 1, JSON.stringify(outs.denials));
            assert.ok(
                s.targets.some((x) => x.target === "/tmp/a/x"),
                JSON.stringify(s.targets),
            );
            assert.deepStrictEqual(outs.drift, []);
            // A second read reads only new lines: the count does not grow.
            const again = (await hostProfileProvider.read("id", outs)).props as HostProfileOutputs;
            assert.strictEqual(again.denials.byVersion[outs.installed.version].denied, s.denied);
            outs = again;
        });

        it("content change reloads in place: same container, new rule enforced", async () => {
            const { text, version } = secureText(["/tmp/b/**"]);
            const r = await hostProfileProvider.update("id", outs, inputs(text, version));
            const o = r.outs as HostProfileOutputs;
            assert.strictEqual(o.writes, 1);
            assert.strictEqual(o.history.length, 2);
            assert.strictEqual(o.history[0].version, version);
            outs = o;
            const still = await root(`docker inspect -f '{{.State.Running}} {{.Id}}' pa-prov-c`);
            assert.strictEqual(still.stdout.trim(), `true ${containerId}`);
            const t = await inContainer("mkdir -p /tmp/b && touch /tmp/b/x");
            assert.match(t.stderr, /Permission denied/);
        });

        it("mode flip: complain allows and logs ALLOWED; the container's label follows", async () => {
            const { text, version } = secureText(["/tmp/b/**"]);
            outs = (await hostProfileProvider.update("id", outs, inputs(text, version, "complain")))
                .outs as HostProfileOutputs;
            assert.strictEqual(outs.live.mode, "complain");
            const t = await inContainer("mkdir -p /tmp/a && touch /tmp/a/y && echo ok");
            assert.strictEqual(t.stdout.trim(), "ok", t.stderr);
            const allowed = await readUntil((o) => o.denials.byVersion[version]?.allowed ?? 0);
            assert.ok(allowed >= 1, JSON.stringify(outs.denials));
            const c = await confinementProvider.update("id", conf, {
                ...conf,
                mode: "complain",
                drift: [],
            });
            assert.strictEqual((c.outs as ConfinementOutputs).label, `${NAME} (complain)`);
            outs = (await hostProfileProvider.update("id", outs, inputs(text, version, "enforce")))
                .outs as HostProfileOutputs;
            conf = (
                await confinementProvider.update("id", conf, {
                    ...conf,
                    mode: "enforce",
                    drift: [],
                })
            ).outs as ConfinementOutputs;
            assert.strictEqual(conf.label, `${NAME} (enforce)`);
        });

        const driftCases: Array<[string, string, RegExp]> = [
            ["file edited", `echo '# edited' >> ${DIR}/${NAME}`, /edited on the host/],
            [
                "mode flipped",
                `apparmor_parser -r -C ${DIR}/${NAME}`,
                /mode is complain in the kernel, expected enforce/,
            ],
            ["file removed", `rm ${DIR}/${NAME}`, /file was removed/],
        ];
        for (const [what, cmd, re] of driftCases) {
            it(`drift (${what}) is reported by read and repaired by update`, async () => {
                assert.strictEqual((await root(cmd)).code, 0);
                const rd = await hostProfileProvider.read("id", outs);
                const o = rd.props as HostProfileOutputs;
                assert.ok(
                    o.drift.some((d) => re.test(d)),
                    o.drift.join("; "),
                );
                assert.deepStrictEqual(
                    (rd.inputs as HostProfileOutputs).drift,
                    o.drift,
                    "refreshed inputs carry the reasons",
                );
                assert.strictEqual(
                    (
                        await hostProfileProvider.diff(
                            "id",
                            o,
                            inputs(outs.profileText, outs.version),
                        )
                    ).changes,
                    true,
                );
                const fixed = (
                    await hostProfileProvider.update(
                        "id",
                        o,
                        inputs(outs.profileText, outs.version),
                    )
                ).outs as HostProfileOutputs;
                assert.deepStrictEqual(fixed.drift, []);
                const again = (await hostProfileProvider.read("id", fixed))
                    .props as HostProfileOutputs;
                assert.deepStrictEqual(again.drift, []);
                outs = again;
            });
        }

        it("drift (unloaded): the profile and the now-unconfined container are both reported and repaired", async () => {
            assert.strictEqual((await root(`apparmor_parser -R ${DIR}/${NAME}`)).code, 0);
            const o = (await hostProfileProvider.read("id", outs)).props as HostProfileOutputs;
            assert.ok(
                o.drift.some((d) => /not loaded/.test(d)),
                o.drift.join("; "),
            );
            const cr = await confinementProvider.read("id", conf);
            const co = cr.props as ConfinementOutputs;
            assert.match(co.drift.join(";"), /runs unconfined/);
            outs = (
                await hostProfileProvider.update("id", o, inputs(outs.profileText, outs.version))
            ).outs as HostProfileOutputs;
            const fixed = (await confinementProvider.update("id", co, { ...co, drift: [] }))
                .outs as ConfinementOutputs;
            assert.strictEqual(fixed.label, `${NAME} (enforce)`);
            assert.strictEqual(fixed.restarts, 1, "repaired by one restart");
            conf = fixed;
            const t = await inContainer("touch /tmp/a/z");
            assert.match(t.stderr, /Permission denied/);
        });

        it("a broken profile fails at validate, naming host and step, and leaves the loaded one", async () => {
            const bad =
                "profile " + NAME + " {\n  /x rw,\n  capability,\n  deny /y bogusperm,\n}\n";
            // Skip the local validator on purpose: the host's apparmor_parser must refuse it too.
            await assert.rejects(
                hostProfileProvider.update("id", outs, inputs(bad, "bad")),
                (e: Error) => {
                    assert.match(
                        e.message,
                        new RegExp(
                            `^${conn.user}@${conn.host}:${conn.port}: (validate|load) failed: `,
                        ),
                    );
                    return true;
                },
            );
            const again = (await hostProfileProvider.read("id", outs)).props as HostProfileOutputs;
            assert.deepStrictEqual(
                again.drift,
                [],
                "the old profile is still installed and loaded",
            );
        });

        it("a different host key is refused", async () => {
            const other = { ...conn, hostKey: "SHA256:" + "A".repeat(43) };
            await assert.rejects(
                hostProfileProvider.read("id", { ...outs, connection: other }),
                /connect failed: host key of .* is SHA256:.*, but the pinned hostKey is SHA256:A+: refusing to connect/,
            );
        });

        it("delete removes file and policy; an unreachable host fails clearly unless forgotten", async () => {
            await root("docker rm -f pa-prov-c");
            await hostProfileProvider.delete("id", outs);
            const left = await root(
                `ls ${DIR}/${NAME} 2>&1; grep -c '^${NAME} ' /sys/kernel/security/apparmor/profiles`,
            );
            assert.match(left.stdout, /No such file/);
            assert.match(left.stdout.trim(), /\n0$/);
            const gone = {
                ...outs,
                connection: { ...conn, port: 1 },
                target: "tester@127.0.0.1:1",
            };
            await assert.rejects(
                hostProfileProvider.delete("id", gone),
                /tester@127\.0\.0\.1:1: connect failed: .*\n.*PULUMI_APPARMOR_FORGET_UNREACHABLE=1/,
            );
            process.env.PULUMI_APPARMOR_FORGET_UNREACHABLE = "1";
            try {
                await hostProfileProvider.delete("id", gone);
            } finally {
                delete process.env.PULUMI_APPARMOR_FORGET_UNREACHABLE;
            }
        });

        it("profileText round trip: resolveText accepts what resolveModel renders", () => {
            const { text } = secureText();
            assert.ok(resolveText(text, "profileText").resolved);
        });
    });
}
