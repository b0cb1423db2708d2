/**
 * Host keys and step timeouts on every SSH path, against a stand-in SSH server on loopback
 * (`test/support/fakeSsh.ts`): the providers of Confinement, HostProfile, HostKey and RolloutWave
 * refuse a host presenting another key than the pinned or recorded one, naming the host and both fingerprints,
 * before any credential is sent and without reading anything from it; a password goes only to a
 * host whose key is pinned; a command that hangs fails after the host's `stepTimeout`, naming host
 * and step, with its channel closed.
 */
import * as assert from "assert";
import type { PlainConnection } from "../../../src/components/connection";
import {
    confinementProvider,
    type ConfinementInputs,
    type ConfinementOutputs,
} from "../../../src/components/confinementProvider";
import { HostStepError, HostStepTimeout } from "../../../src/components/errors";
import { hostKeyProvider, type HostKeyOutputs } from "../../../src/components/hostKeyProvider";
import {
    hostProfileProvider,
    type HostProfileInputs,
    type HostProfileOutputs,
} from "../../../src/components/hostProfileProvider";
import { ACCEPT_HOST_KEY_ENV, pinKeyLine } from "../../../src/components/hostKeys";
import {
    rolloutWaveProvider,
    type RolloutWaveInputs,
    type RolloutWaveOutputs,
} from "../../../src/components/rollout/provider";
import { closeAll } from "../../../src/components/ssh";
import { clientKey, startFakeSsh, type FakeReply, type FakeSsh } from "../../support/fakeSsh";

const CONTAINER = "0123456789abcdef0123";
const PASSWORD = "pw-never-sent-3141";
/** The host's batched read answering the one labels part a Confinement check sends. */
const LABEL_REPLY: FakeReply = {
    stdout: [
        '{"ok":true,"read":"v1","parts":1}',
        '{"part":0,"exit":0,"lines":1}',
        JSON.stringify({
            ok: true,
            apparmor: { enabled: true },
            containers: [
                {
                    id: CONTAINER.padEnd(64, "0"),
                    name: "/fake",
                    pid: 1,
                    label: "pa-fake (enforce)",
                },
            ],
        }),
        "",
    ].join("\n"),
};

describe("components: host keys and step timeouts (fake SSH server on loopback)", function () {
    this.timeout(15_000);
    const key = clientKey();
    const servers: FakeSsh[] = [];

    async function server(exec?: (cmd: string) => FakeReply, keyTypes?: ("ed25519" | "ecdsa")[]) {
        const s = await startFakeSsh({ exec: exec ?? (() => LABEL_REPLY), keyTypes });
        servers.push(s);
        return s;
    }
    const conn = (s: FakeSsh, extra: Partial<PlainConnection> = {}): PlainConnection => ({
        host: "127.0.0.1",
        port: s.port,
        user: "deploy",
        privateKey: key,
        sudo: false,
        ...extra,
    });
    const target = (s: FakeSsh) => `deploy@127.0.0.1:${s.port}`;
    const confinement = (s: FakeSsh, extra: Partial<PlainConnection> = {}): ConfinementInputs => ({
        connection: conn(s, extra),
        target: target(s),
        containerId: CONTAINER,
        profileName: "pa-fake",
        mode: "enforce",
        drift: [],
    });
    const profile = (s: FakeSsh, extra: Partial<PlainConnection> = {}): HostProfileInputs => ({
        connection: conn(s, extra),
        target: target(s),
        hostName: "fake",
        profileName: "pa-fake",
        profileText: "profile pa-fake {\n  file,\n}\n",
        version: "v1",
        mode: "enforce",
        directory: "/etc/apparmor.d/containers",
        drift: [],
    });
    /** Asserts a refusal naming the host, both fingerprints and what to do. */
    async function refuses(p: Promise<unknown>, s: FakeSsh, expected: string, presented: string) {
        await assert.rejects(p, (e: Error) => {
            assert.ok(e instanceof HostStepError, `${e.name}: ${e.message}`);
            assert.ok(e.message.startsWith(`${target(s)}: connect failed: `), e.message);
            assert.ok(e.message.includes(`host key of ${target(s)} changed`), e.message);
            assert.ok(e.message.includes(`key is ${presented}`), e.message);
            assert.ok(e.message.includes(` is ${expected}`), e.message);
            assert.match(e.message, /set hostKey to the host's public key line/);
            assert.match(e.message, /\(no credentials were sent\)/);
            return true;
        });
    }

    afterEach(async () => {
        closeAll();
        delete process.env[ACCEPT_HOST_KEY_ENV];
        for (const s of servers.splice(0)) await s.close();
    });

    it("Confinement create refuses a host presenting another key than the pin: nothing sent, no label read", async () => {
        const s = await server();
        const pinned = s.keys[0];
        await s.rekey();
        await refuses(
            confinementProvider.create(
                confinement(s, { hostKey: pinned.line, password: PASSWORD }),
            ),
            s,
            pinned.fingerprint,
            s.keys[0].fingerprint,
        );
        assert.deepStrictEqual([...s.auths], [], "no authentication attempted");
        assert.deepStrictEqual([...s.execs], [], "no command run");
    });

    it("Confinement records the key on first use; read and update refuse a changed key (no label faked)", async () => {
        const s = await server();
        const first = s.keys[0];
        const created = (await confinementProvider.create(confinement(s)))
            .outs as ConfinementOutputs;
        assert.strictEqual(created.label, "pa-fake (enforce)");
        assert.strictEqual(created.hostKeySeen, first.fingerprint, "key recorded in state");
        closeAll();
        await s.rekey();
        s.auths.length = 0;
        s.execs.length = 0;
        await refuses(
            confinementProvider.read(CONTAINER, created),
            s,
            first.fingerprint,
            s.keys[0].fingerprint,
        );
        await refuses(
            confinementProvider.update(CONTAINER, created, confinement(s)),
            s,
            first.fingerprint,
            s.keys[0].fingerprint,
        );
        assert.deepStrictEqual([...s.auths], [], "no authentication attempted");
        assert.deepStrictEqual([...s.execs], [], "no label read from the new host");
    });

    it(`${ACCEPT_HOST_KEY_ENV} accepts exactly the named new key in place of a recorded one, never of a pin`, async () => {
        const s = await server();
        const first = s.keys[0];
        const created = (await confinementProvider.create(confinement(s)))
            .outs as ConfinementOutputs;
        closeAll();
        await s.rekey();
        const now = s.keys[0];
        process.env[ACCEPT_HOST_KEY_ENV] = "SHA256:" + "B".repeat(43);
        await refuses(
            confinementProvider.read(CONTAINER, created),
            s,
            first.fingerprint,
            now.fingerprint,
        );
        process.env[ACCEPT_HOST_KEY_ENV] = now.fingerprint;
        const read = (await confinementProvider.read(CONTAINER, created))
            .props as ConfinementOutputs;
        assert.strictEqual(read.hostKeySeen, now.fingerprint, "the accepted key is recorded");
        closeAll();
        const pinnedOld = { ...created, connection: conn(s, { hostKey: first.line }) };
        await refuses(
            confinementProvider.read(CONTAINER, pinnedOld),
            s,
            first.fingerprint,
            now.fingerprint,
        );
        delete process.env[ACCEPT_HOST_KEY_ENV];
        closeAll();
        // recorded from now on: a plain read works
        const again = (await confinementProvider.read(CONTAINER, read)).props as ConfinementOutputs;
        assert.strictEqual(again.label, "pa-fake (enforce)");
    });

    it("HostProfile refuses a changed key on create (pin) and on read/delete (recorded), naming both fingerprints", async () => {
        const s = await server(() => "hang");
        const old = s.keys[0];
        await s.rekey();
        const now = s.keys[0];
        await refuses(
            hostProfileProvider.create(profile(s, { hostKey: old.line })),
            s,
            old.fingerprint,
            now.fingerprint,
        );
        const state = {
            ...profile(s),
            hostKeySeen: old.fingerprint,
            installed: { version: "v1", mode: "enforce", loadedAt: "t", fileSha256: "f" },
            history: [],
            denials: { lost: 0, byVersion: {} },
        } as unknown as HostProfileOutputs;
        await refuses(hostProfileProvider.read("id", state), s, old.fingerprint, now.fingerprint);
        await refuses(hostProfileProvider.delete("id", state), s, old.fingerprint, now.fingerprint);
        assert.deepStrictEqual([...s.auths], []);
        assert.deepStrictEqual([...s.execs], []);
    });

    it("RolloutWave (a staged rollout's wave) refuses a host whose key changed since it was recorded", async () => {
        const s = await server(() => "hang");
        const old = s.keys[0];
        await s.rekey();
        const inputs: RolloutWaveInputs = {
            wave: 1,
            waves: 1,
            profileName: "pa-fake",
            profileText: "profile pa-fake {\n  file,\n}\n",
            version: "v1",
            directory: "/etc/apparmor.d/containers",
            hosts: [{ hostName: "fake", target: target(s), mode: "enforce" }],
            connections: { fake: conn(s) },
            settings: {
                soakSeconds: 0,
                maxNewDenials: 0,
                maxParallel: 1,
                onGateFailure: "halt",
                promoteFrom: "",
            },
        };
        const olds: RolloutWaveOutputs = {
            ...inputs,
            hostStates: {},
            hostKeysSeen: { fake: old.fingerprint },
            checkedAt: "t",
        };
        await assert.rejects(rolloutWaveProvider.update("id", olds, inputs), (e: Error) => {
            assert.ok(e.message.includes(`host key of ${target(s)} changed`), e.message);
            assert.ok(e.message.includes(`key is ${s.keys[0].fingerprint}`), e.message);
            assert.ok(e.message.includes(` is ${old.fingerprint}`), e.message);
            return true;
        });
        assert.deepStrictEqual([...s.auths], []);
        assert.deepStrictEqual([...s.execs], []);
    });

    it("HostKey records the full key line on first use without authenticating; read/update refuse a changed key; a new pin is accepted", async () => {
        const s = await server();
        const first = s.keys[0];
        const inputs = { host: "127.0.0.1", port: s.port, target: target(s) };
        const created = (await hostKeyProvider.create(inputs)).outs as HostKeyOutputs;
        assert.strictEqual(created.key, pinKeyLine(first.line), "TYPE BASE64 of the host's key");
        assert.strictEqual(created.fingerprint, first.fingerprint);
        assert.strictEqual(s.connections, 1);
        assert.deepStrictEqual([...s.auths], [], "a key scan never authenticates");
        const same = await hostKeyProvider.read(`127.0.0.1:${s.port}`, created);
        assert.deepStrictEqual(same.props, created, "unchanged key: nothing to refresh");
        await s.rekey();
        const now = s.keys[0];
        await refuses(hostKeyProvider.read("id", created), s, first.fingerprint, now.fingerprint);
        await refuses(
            hostKeyProvider.update("id", created, { ...inputs, pin: first.line }),
            s,
            first.fingerprint,
            now.fingerprint,
        );
        for (const pin of [now.line, now.fingerprint]) {
            const updated = (await hostKeyProvider.update("id", created, { ...inputs, pin }))
                .outs as HostKeyOutputs;
            assert.strictEqual(updated.key, pinKeyLine(now.line), `re-pinned with ${pin}`);
        }
        assert.deepStrictEqual([...s.auths], []);
    });

    it("HostKey finds the key a fingerprint pin names on a host with several key types", async () => {
        const s = await server(undefined, ["ed25519", "ecdsa"]);
        const ecdsa = s.keys[1];
        const outs = (
            await hostKeyProvider.create({
                host: "127.0.0.1",
                port: s.port,
                target: target(s),
                pin: ecdsa.fingerprint,
            })
        ).outs as HostKeyOutputs;
        assert.strictEqual(outs.key, pinKeyLine(ecdsa.line));
        assert.match(outs.key, /^ecdsa-sha2-nistp256 /);
    });

    it("a password is never sent to a host whose key is neither pinned nor recorded", async () => {
        const s = await server();
        const c = { password: PASSWORD, privateKey: undefined };
        await assert.rejects(
            confinementProvider.create(confinement(s, c)),
            /refusing to send a password to deploy@127\.0\.0\.1:\d+: its host key is neither pinned nor recorded/,
        );
        await assert.rejects(
            hostProfileProvider.create(profile(s, c)),
            /refusing to send a password/,
        );
        assert.strictEqual(s.connections, 0, "not even a TCP connection");
        assert.deepStrictEqual([...s.auths], []);
        for (const check of [
            hostProfileProvider.check({}, profile(s, c)),
            confinementProvider.check({}, confinement(s, c)),
        ]) {
            const failures = (await check).failures ?? [];
            assert.ok(
                failures.some(
                    (f) =>
                        f.property === "connection.hostKey" &&
                        /required with password authentication/.test(f.reason),
                ),
                JSON.stringify(failures),
            );
        }
        // With a pinned key the password is sent, after the key was checked.
        const pinned = s.keys[0].line;
        await confinementProvider.create(confinement(s, { ...c, hostKey: pinned }));
        assert.deepStrictEqual(
            s.auths.filter((a) => a.method === "password").map((a) => a.password),
            [PASSWORD],
        );
    });

    it("a hanging command times out after stepTimeout, naming host and step; its channel is closed", async () => {
        const s = await server(() => "hang");
        const t0 = Date.now();
        await assert.rejects(
            confinementProvider.create(confinement(s, { stepTimeout: 1 })),
            (e: Error) => {
                assert.ok(e instanceof HostStepTimeout, `${e.name}: ${e.message}`);
                assert.strictEqual(
                    e.message,
                    `${target(s)}: confinement failed: timed out after 1 s (stepTimeout); ` +
                        "the command's channel was closed",
                );
                return true;
            },
        );
        assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
        await assert.rejects(
            hostProfileProvider.create(profile(s, { stepTimeout: 1 })),
            (e: Error) => {
                assert.ok(e instanceof HostStepTimeout, `${e.name}: ${e.message}`);
                assert.match(
                    e.message,
                    /^deploy@127\.0\.0\.1:\d+: load failed: timed out after 1 s/,
                );
                return true;
            },
        );
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(
            !s.execs.some((c) => c.includes("pulumi-apparmor-preflight")),
            "no preflight after a timed-out install",
        );
        assert.strictEqual(s.closedEarly, s.execs.length, "every timed-out channel was closed");
        assert.ok(s.signals.includes("TERM"), `signals: ${s.signals.join(",")}`);
    });
});
