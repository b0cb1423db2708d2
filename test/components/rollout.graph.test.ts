/**
 * Rollout and versioned names in the resource graph (setMocks): the wave resources, the dependencies
 * that order the waves (read from the registration requests), the plan shown at preview, and the
 * versioned profile name and text. Real hosts: engine.rollout.vm.test.ts.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";

interface Created {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    deps: string[];
}

const created: Created[] = [];
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAfake\n-----END OPENSSH PRIVATE KEY-----\n";

let apparmor: typeof import("../../src");

async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

function hosts(n: number) {
    return Array.from({ length: n }, (_, i) => ({
        host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        privateKey: pulumi.secret(KEY),
    }));
}

function profile(name = "docker-default-secure") {
    return dockerDefault({ name }).with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"));
}

describe("components: rollout graph (setMocks)", function () {
    this.timeout(120_000);
    before(async () => {
        // The registration requests carry the explicit dependencies; the mock monitor's public
        // callback does not, so record them on the way in.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mocks = require("@pulumi/pulumi/runtime/mocks");
        const orig = mocks.MockMonitor.prototype.registerResource;
        mocks.MockMonitor.prototype.registerResource = function (
            req: { getName(): string; getType(): string; getDependenciesList(): string[] },
            cb: unknown,
        ) {
            pending.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
            return orig.call(this, req, cb);
        };
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    const key = `${args.type}::${args.name}`;
                    created.push({
                        type: args.type,
                        name: args.name,
                        urn: `urn:${args.name}`,
                        inputs: args.inputs,
                        deps: pending.get(key) ?? [],
                    });
                    const state: Record<string, unknown> = { ...args.inputs };
                    if (args.type.endsWith(":RolloutWave")) state.hostStates = {};
                    return { id: `${args.name}-id`, state };
                },
                call: (args) => args.inputs,
            },
            "project",
            "stack",
            true,
        );
        apparmor = await import("../../src");
    });
    const pending = new Map<string, string[]>();
    beforeEach(() => {
        created.length = 0;
    });

    const byName = (n: string) => created.find((c) => c.name === n)!;
    const depNames = (c: Created) => c.deps.map((u) => u.split("::").pop()!);

    it("waves [1, '100%'] on 2 hosts: wave 2 waits for host 1's HostProfile, which waits for wave 1", async () => {
        const p = new apparmor.Profile("web", {
            hosts: hosts(2),
            profile: profile(),
            rollout: { waves: [1, "100%"], gate: { soakSeconds: 5 } },
        });
        await settle();
        assert.deepStrictEqual(p.rolloutPlan, [["10.0.0.1"], ["10.0.0.2"]]);
        const w1 = byName("web-wave-1");
        const w2 = byName("web-wave-2");
        const h1 = byName("web-10.0.0.1");
        const h2 = byName("web-10.0.0.2");
        assert.strictEqual(w1.type, "pulumi-nodejs:dynamic/apparmor:RolloutWave");
        assert.ok(depNames(h1).includes("web-wave-1"));
        assert.ok(depNames(w2).includes("web-10.0.0.1"));
        assert.ok(depNames(h2).includes("web-wave-2"));
        assert.ok(
            !depNames(w1).some((d) => d.startsWith("web-")),
            "wave 1 waits for no HostProfile",
        );
        // The plan shown by preview: the wave's hosts and the gate settings; connections secret.
        assert.deepStrictEqual(w1.inputs.hosts, [
            { hostName: "10.0.0.1", target: "root@10.0.0.1:22", mode: "enforce" },
        ]);
        assert.deepStrictEqual(w2.inputs.settings, {
            soakSeconds: 5,
            maxNewDenials: 0,
            maxParallel: 1,
            onGateFailure: "halt",
            promoteFrom: "",
        });
        const conns = w1.inputs.connections as Record<string, unknown>;
        assert.strictEqual(conns[SIG_KEY], SECRET_SIG, "connections must arrive as a secret");
        // Wave 1 opens wave 2's connection ahead (a secret too); the last wave has no next wave.
        const next = w1.inputs.nextConnections as Record<string, unknown>;
        assert.strictEqual(next[SIG_KEY], SECRET_SIG, "nextConnections must arrive as a secret");
        assert.strictEqual(w2.inputs.nextConnections, undefined);
    });

    it("200 hosts, waves [1, '10%', '100%']: the dependencies encode exactly the three waves", async () => {
        const p = new apparmor.Profile("fleet", {
            hosts: hosts(200),
            profile: profile(),
            rollout: { waves: [1, "10%", "100%"], maxParallel: 10 },
        });
        await settle();
        assert.deepStrictEqual(
            p.rolloutPlan.map((w) => w.length),
            [1, 19, 180],
        );
        const waves = created.filter((c) => c.type.endsWith(":RolloutWave"));
        assert.strictEqual(waves.length, 3);
        const hp = created.filter((c) => c.type.endsWith(":HostProfile"));
        assert.strictEqual(hp.length, 200);
        p.rolloutPlan.forEach((keys, k) => {
            const wave = byName(`fleet-wave-${k + 1}`);
            const hostsOfWave = (wave.inputs.hosts as { hostName: string }[]).map(
                (h) => h.hostName,
            );
            assert.deepStrictEqual(hostsOfWave, keys);
            // Each HostProfile of wave k depends on wave k and on no other wave.
            for (const key of keys) {
                const d = depNames(byName(`fleet-${key}`)).filter((n) =>
                    n.startsWith("fleet-wave-"),
                );
                assert.deepStrictEqual(d, [`fleet-wave-${k + 1}`]);
            }
            // Wave k+1 depends on every HostProfile of wave k, and none of later waves.
            const prev = k === 0 ? [] : p.rolloutPlan[k - 1].map((key) => `fleet-${key}`);
            const got = depNames(wave).filter(
                (n) => n.startsWith("fleet-") && !n.startsWith("fleet-wave"),
            );
            assert.deepStrictEqual(got.sort(), prev.sort());
        });
        // Each wave but the last opens ahead the connections of the next wave's first maxParallel
        // hosts (10 here; wave 2 has 19 hosts, wave 3 180).
        const secretValue = (v: unknown) =>
            (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
                ? (v as Record<string, unknown>).value
                : undefined;
        for (const [k, want] of [
            [1, p.rolloutPlan[1].slice(0, 10)],
            [2, p.rolloutPlan[2].slice(0, 10)],
        ] as const) {
            const next = secretValue(byName(`fleet-wave-${k}`).inputs.nextConnections) as Record<
                string,
                { host: string }
            >;
            // (a Struct on the wire: its keys arrive sorted)
            assert.deepStrictEqual(Object.keys(next).sort(), [...want].sort());
            for (const [key, c] of Object.entries(next)) assert.strictEqual(c.host, key);
        }
        assert.strictEqual(byName("fleet-wave-3").inputs.nextConnections, undefined);
    });

    it("without rollout nothing changes: no wave resources", async () => {
        new apparmor.Profile("plain", { hosts: hosts(3), profile: profile() });
        await settle();
        assert.ok(!created.some((c) => c.type.endsWith(":RolloutWave")));
    });

    it("HostProfiles of a rollout receive their wave's record for the load history", async () => {
        new apparmor.Profile("hist", {
            hosts: hosts(1),
            profile: profile(),
            rollout: { promote: { from: "complain" } },
        });
        await settle();
        const hp = byName("hist-10.0.0.1");
        assert.ok("rolloutStage" in hp.inputs || hp.inputs.rolloutStage === undefined);
        assert.strictEqual(
            (byName("hist-wave-1").inputs.settings as { promoteFrom: string }).promoteFrom,
            "complain",
        );
    });

    it("bad rollout arguments fail at preview naming the resource, field and fix", () => {
        assert.throws(
            () =>
                new apparmor.Profile("bad", {
                    hosts: hosts(2),
                    profile: profile(),
                    rollout: { waves: [3] },
                }),
            /apparmor:index:Profile "bad": invalid arguments:\n {2}- rollout.waves\[0\]: 3 hosts, but the profile has 2 \(fix: use at most 2, or "100%"\)/,
        );
        assert.throws(
            () =>
                new apparmor.Profile("bad2", {
                    hosts: hosts(1),
                    profile: profile(),
                    rollout: {},
                    versionedName: true,
                }),
            /rollout: cannot be combined with versionedName/,
        );
    });

    it("versionedName: NAME-<8 hex of the version>, text renamed with its self-references", async () => {
        const plainP = new apparmor.Profile("vplain", { hosts: hosts(1), profile: profile("web") });
        const v = new apparmor.Profile("vname", {
            hosts: [{ host: "10.9.9.9", privateKey: pulumi.secret(KEY) }],
            profile: profile("web"),
            versionedName: true,
        });
        await settle();
        const plainHp = byName("vplain-10.0.0.1");
        const hp = byName("vname-10.9.9.9");
        const version = String(plainHp.inputs.version);
        assert.strictEqual(hp.inputs.version, version, "the version is the content version");
        assert.strictEqual(hp.inputs.profileName, `web-${version.slice(0, 8)}`);
        const text = String(hp.inputs.profileText);
        assert.match(text, new RegExp(`^profile web-${version.slice(0, 8)} flags=`, "m"));
        assert.match(text, new RegExp(`peer=web-${version.slice(0, 8)},`));
        assert.doesNotMatch(text, /peer=web,/);
        assert.strictEqual(
            await new Promise((r) => v.securityOpt.apply(r)),
            `apparmor=web-${version.slice(0, 8)}`,
        );
        void plainP;
        // A content change gives a new name.
        const v2 = new apparmor.Profile("vname2", {
            hosts: [{ host: "10.9.9.8", privateKey: pulumi.secret(KEY) }],
            profile: profile("web").with(deny.file("/srv/**", "w")),
            versionedName: true,
        });
        const n2 = await new Promise((r) => v2.profileName.apply(r));
        assert.notStrictEqual(n2, `web-${version.slice(0, 8)}`);
    });
});
