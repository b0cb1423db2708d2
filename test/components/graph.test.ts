/**
 * Resource-graph unit tests with `pulumi.runtime.setMocks`: what the components create, their names,
 * parents, inputs, secretness and outputs — no engine, no host. Behaviour on real hosts is proven by
 * `provider.vm.test.ts` and `engine.vm.test.ts`.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

interface Created {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    provider?: string;
}

const created: Created[] = [];
/** The key line the mocked HostKey resources report (what the host presented). */
const HOST_KEY_LINE =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPBTDv+7HSD8QU2dJ6nHJqOSQ+MwYNVL9hHG9wUmPo5Q";
/** Pulumi's wire form of a secret: { [SIG_KEY]: SECRET_SIG, value }. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecret = (v: unknown) =>
    (v as Record<string, unknown> | undefined)?.[SIG_KEY] === SECRET_SIG;

function fakeOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    if (args.type === "pulumi-nodejs:dynamic/apparmor:HostProfile") {
        const i = args.inputs;
        return {
            ...i,
            installed: {
                version: i.version,
                mode: i.mode,
                loadedAt: "2026-11-25T00:00:00.000Z",
                fileSha256: "f",
            },
            history: [{ version: i.version, mode: i.mode, loadedAt: "2026-11-25T00:00:00.000Z" }],
            denials: { lost: 0, byVersion: {} },
            drift: [],
            writes: 1,
        };
    }
    if (args.type === "pulumi-nodejs:dynamic/apparmor:HostKey")
        return { ...args.inputs, key: HOST_KEY_LINE, fingerprint: "SHA256:fake" };
    if (args.type === "pulumi-nodejs:dynamic/apparmor:Confinement")
        return {
            ...args.inputs,
            label: `${args.inputs.profileName} (${args.inputs.mode})`,
            restarts: 0,
        };
    return args.inputs;
}

let apparmor: typeof import("../../src");
import { deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";

function outputOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

async function settle(): Promise<void> {
    // Let registrations reach the mock monitor.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAfakekeymaterialZZZ\n-----END OPENSSH PRIVATE KEY-----\n";

describe("components: resource graph (setMocks)", () => {
    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({
                        type: args.type,
                        name: args.name,
                        inputs: args.inputs,
                        provider: args.provider,
                    });
                    return { id: `${args.name}-id`, state: fakeOutputs(args) };
                },
                call: (args) => args.inputs,
            },
            "project",
            "stack",
            true,
        );
        apparmor = await import("../../src");
    });
    beforeEach(() => {
        created.length = 0;
    });

    function secureProfile(name: string, hosts: import("../../src").HostConnectionArgs[]) {
        return new apparmor.Profile(name, {
            hosts,
            profile: dockerDefault({ name: "docker-default-secure" }).with(
                deny.file("/tmp/a/**", "rwlx"),
                deny.capability("fsetid"),
            ),
            mode: "enforce",
        });
    }

    it("creates a prepare Command and a HostProfile per host, named after the host, parented to the component", async () => {
        const p = secureProfile("secure", [
            { host: "10.0.0.5", user: "deploy", privateKey: pulumi.secret(KEY) },
            { host: "10.0.0.6", port: 2222, privateKey: pulumi.secret(KEY), mode: "complain" },
        ]);
        assert.strictEqual(await outputOf(p.securityOpt), "apparmor=docker-default-secure");
        await settle();
        const names = created.map((c) => `${c.type} ${c.name}`).sort();
        assert.deepStrictEqual(names, [
            "apparmor:index:Profile secure",
            "command:remote:Command apparmor-prepare-10.0.0.5-deploy",
            "command:remote:Command apparmor-prepare-10.0.0.6:2222",
            "pulumi-nodejs:dynamic/apparmor:HostKey apparmor-hostkey-10.0.0.5",
            "pulumi-nodejs:dynamic/apparmor:HostKey apparmor-hostkey-10.0.0.6:2222",
            "pulumi-nodejs:dynamic/apparmor:HostProfile secure-10.0.0.5",
            "pulumi-nodejs:dynamic/apparmor:HostProfile secure-10.0.0.6:2222",
        ]);
        const versions = (await outputOf(p.versions)) as Record<
            string,
            { mode: string; version: string }
        >;
        assert.deepStrictEqual(Object.keys(versions).sort(), ["10.0.0.5", "10.0.0.6:2222"]);
        assert.strictEqual(versions["10.0.0.5"].mode, "enforce");
        assert.strictEqual(versions["10.0.0.6:2222"].mode, "complain", "per-host mode override");
        assert.match(versions["10.0.0.5"].version, /^[0-9a-f]{64}$/);
        assert.deepStrictEqual(await outputOf(p.drift), { "10.0.0.5": [], "10.0.0.6:2222": [] });
    });

    it("passes the rendered profile, its version, mode and directory; connection is a secret", async () => {
        secureProfile("s2", [{ host: "h1", user: "deploy", privateKey: pulumi.secret(KEY) }]);
        await settle();
        const hp = created.find((c) => c.type.endsWith(":HostProfile"))!;
        assert.match(String(hp.inputs.profileText), /deny \/tmp\/a\/\*\* rwlx,/);
        assert.match(String(hp.inputs.profileText), /deny capability fsetid,/);
        assert.strictEqual(hp.inputs.profileName, "docker-default-secure");
        assert.strictEqual(hp.inputs.mode, "enforce");
        assert.strictEqual(hp.inputs.directory, "/etc/apparmor.d/containers");
        assert.strictEqual(hp.inputs.target, "deploy@h1:22");
        const conn = hp.inputs.connection as Record<string, unknown>;
        assert.ok(isSecret(conn), "connection must arrive as a secret");
        const value = conn.value as Record<string, unknown>;
        assert.strictEqual(value.sudo, true, "non-root users go through sudo");
        assert.strictEqual(value.privateKey, KEY);
        // The serialized provider code stored in state must not contain the key.
        assert.ok(typeof hp.inputs.__provider === "string");
        assert.ok(!String(hp.inputs.__provider).includes("fakekeymaterial"));
        const prep = created.find((c) => c.type === "command:remote:Command")!;
        assert.ok(isSecret(prep.inputs.connection), "prepare connection is secret");
        assert.ok(!String(prep.inputs.create).includes("fakekeymaterial"));
        assert.match(String(prep.inputs.create), /^sudo -n sh -c /);
        assert.match(String(prep.inputs.create), /'\/etc\/apparmor\.d\/containers'$/);
    });

    it("prepares each host once per program, shared by the profiles on it", async () => {
        const h = { host: "shared-host", privateKey: KEY };
        new apparmor.Profile("one", { hosts: [h], profileText: "profile one { file, }\n" });
        new apparmor.Profile("two", { hosts: [h], profileText: "profile two { file, }\n" });
        new apparmor.Profile("three", {
            hosts: [h],
            profileText: "profile three { file, }\n",
            directory: "/etc/apparmor.d/other",
        });
        await settle();
        const prep = created.filter((c) => c.type === "command:remote:Command").map((c) => c.name);
        assert.deepStrictEqual(prep.sort(), [
            "apparmor-prepare-shared-host",
            "apparmor-prepare-shared-host-" + prep.sort()[1].split("-").pop(),
        ]);
        assert.strictEqual(created.filter((c) => c.type.endsWith(":HostProfile")).length, 3);
    });

    it("the prepare Command always gets the verified key line of its host's HostKey (one per host)", async () => {
        const fp = "SHA256:" + "A".repeat(43);
        new apparmor.Profile("k1", {
            hosts: [{ host: "k-host", privateKey: KEY, hostKey: fp }],
            profileText: "profile k1 { file, }\n",
        });
        new apparmor.Profile("k2", {
            hosts: [{ host: "k-host", privateKey: KEY, hostKey: fp }],
            profileText: "profile k2 { file, }\n",
            directory: "/etc/apparmor.d/k2",
        });
        // trust on first use (no pin): the HostKey records the key, the Command still gets it
        new apparmor.Profile("k3", {
            hosts: [{ host: "tofu-host", privateKey: KEY }],
            profileText: "profile k3 { file, }\n",
        });
        await settle();
        const keys = created.filter((c) => c.type === "pulumi-nodejs:dynamic/apparmor:HostKey");
        assert.deepStrictEqual(keys.map((k) => k.name).sort(), [
            "apparmor-hostkey-k-host",
            "apparmor-hostkey-tofu-host",
        ]);
        const pinned = keys.find((k) => k.name === "apparmor-hostkey-k-host")!;
        assert.strictEqual(pinned.inputs.pin, fp);
        assert.strictEqual(pinned.inputs.target, "root@k-host:22");
        assert.ok(!JSON.stringify(pinned.inputs).includes("fakekeymaterial"), "no credentials");
        const tofu = keys.find((k) => k.name === "apparmor-hostkey-tofu-host")!;
        assert.strictEqual(tofu.inputs.pin, undefined);
        const cmds = created.filter((c) => c.type === "command:remote:Command");
        assert.strictEqual(cmds.length, 3);
        for (const c of cmds) {
            const conn = c.inputs.connection as { value: Record<string, unknown> };
            assert.ok(isSecret(conn), `${c.name}: connection is secret`);
            assert.strictEqual(conn.value.hostKey, HOST_KEY_LINE, `${c.name}: verified key line`);
        }
    });

    it("hosts given as Outputs without a name are never taken for one another: each gets its own Command and HostKey", async () => {
        for (const [n, host] of [
            ["o1", "10.7.0.1"],
            ["o2", "10.7.0.2"],
        ])
            new apparmor.Profile(n, {
                hosts: [{ host: pulumi.output(host), privateKey: KEY }],
                profileText: `profile ${n} { file, }\n`,
            });
        await settle();
        const names = (t: string) =>
            created
                .filter((c) => c.type === t)
                .map((c) => c.name)
                .sort();
        assert.deepStrictEqual(names("command:remote:Command"), ["o1-0-prepare", "o2-0-prepare"]);
        assert.deepStrictEqual(names("pulumi-nodejs:dynamic/apparmor:HostKey"), [
            "o1-0-hostkey",
            "o2-0-hostkey",
        ]);
        const hosts = created
            .filter((c) => c.type === "command:remote:Command")
            .map((c) => (c.inputs.connection as { value: { host: string } }).value.host)
            .sort();
        assert.deepStrictEqual(hosts, ["10.7.0.1", "10.7.0.2"]);
    });

    it("rejects password authentication without a pinned hostKey at preview, naming field and fix", async () => {
        assert.throws(
            () =>
                new apparmor.Profile("pw", {
                    hosts: [{ host: "pw-host", password: pulumi.secret("hunter2") }],
                    profileText: "profile pw { file, }\n",
                }),
            /apparmor:index:Profile "pw": invalid arguments:\n {2}- hosts\[0\]\.hostKey: is required with password authentication.*\(fix: set hostKey to the host's public key line/,
        );
        await settle();
        assert.deepStrictEqual(
            created.filter((c) => c.type !== "apparmor:index:Profile").map((c) => c.name),
            [],
            "no connection is declared",
        );
    });

    it("accepts profileText and profileFile, installing the text verbatim", async () => {
        const text =
            "abi <abi/3.0>,\nprofile t1 flags=(attach_disconnected) {\n  file,\n  deny /tmp/x w,\n}\n";
        const p = new apparmor.Profile("t", {
            hosts: [{ host: "h", privateKey: KEY }],
            profileText: text,
            prepareHosts: false,
        });
        assert.strictEqual(await outputOf(p.profileName), "t1");
        await settle();
        const hp = created.find((c) => c.type.endsWith(":HostProfile"))!;
        assert.strictEqual(hp.inputs.profileText, text);
        assert.ok(!created.some((c) => c.type === "command:remote:Command"), "prepareHosts: false");
        const fs = await import("fs");
        const os = await import("os");
        const path = await import("path");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-")), "t1");
        fs.writeFileSync(file, text);
        const q = new apparmor.Profile("tf", {
            hosts: [{ host: "h", privateKey: KEY }],
            profileFile: file,
        });
        assert.strictEqual(await outputOf(q.profileName), "t1");
    });

    it("passes the same inputs whether the profile, mode, directory and host are plain values or Outputs", async () => {
        const text = "profile o1 flags=(attach_disconnected) {\n  file,\n  deny /tmp/o w,\n}\n";
        new apparmor.Profile("plain", {
            hosts: [{ host: "h9", user: "deploy", privateKey: KEY }],
            profileText: text,
            mode: "complain",
            directory: "/etc/apparmor.d/x",
            prepareHosts: false,
        });
        const q = new apparmor.Profile("outs", {
            hosts: [
                {
                    host: pulumi.output("h9"),
                    user: pulumi.output("deploy"),
                    privateKey: KEY,
                    name: "h9",
                },
            ],
            profileText: pulumi.output(text),
            mode: pulumi.output("complain" as const),
            directory: pulumi.output("/etc/apparmor.d/x"),
            prepareHosts: false,
        });
        assert.strictEqual(await outputOf(q.profileName), "o1");
        assert.strictEqual(await outputOf(q.modes["h9"]), "complain");
        await settle();
        const [a, b] = ["plain-h9", "outs-h9"].map(
            (n) => created.find((c) => c.name === n)!.inputs,
        );
        for (const k of [
            "target",
            "hostName",
            "profileName",
            "profileText",
            "version",
            "mode",
            "directory",
            "drift",
        ])
            assert.deepStrictEqual(b[k], a[k], k);
        assert.strictEqual(a.target, "deploy@h9:22");
        assert.strictEqual(a.profileText, text);
        assert.match(String(a.version), /^[0-9a-f]{64}$/);
        assert.deepStrictEqual(
            (b.connection as { value: unknown }).value,
            (a.connection as { value: unknown }).value,
        );
    });

    it("a model's version is the core profileVersion of the rendered model", async () => {
        const model = dockerDefault({ name: "vv" }).with(deny.file("/tmp/v/**", "w"));
        new apparmor.Profile("vv", {
            hosts: [{ host: "hv", privateKey: KEY }],
            profile: model,
            prepareHosts: false,
        });
        await settle();
        const hp = created.find((c) => c.name === "vv-hv")!;
        const core = await import("../../src/profile");
        // What is rendered is the model with the user's deny rules audited (auditDenies "user", the
        // default): `deny /tmp/v/** w,` becomes `audit deny …` so its denials are logged.
        const rendered = core.auditDenies(model.toModel(), "user");
        assert.strictEqual(hp.inputs.version, core.profileVersion(rendered));
        assert.strictEqual(hp.inputs.profileText, core.renderProfile(rendered));
        assert.match(String(hp.inputs.profileText), /^ {2}audit deny \/tmp\/v\/\*\* w,$/m);
        // auditDenies "none" renders the model as written
        new apparmor.Profile("vn", {
            hosts: [{ host: "hn", privateKey: KEY }],
            profile: model,
            auditDenies: "none",
            prepareHosts: false,
        });
        await settle();
        const hn = created.find((c) => c.name === "vn-hn")!;
        assert.strictEqual(hn.inputs.version, core.profileVersion(model.toModel()));
        assert.strictEqual(hn.inputs.profileText, core.renderProfile(model.toModel()));
    });

    it("profiles on the same host entry share its secret connection; a changed entry gets a new one", async () => {
        const conn = await import("../../src/components/connection");
        const h: { host: string; privateKey: pulumi.Input<string>; user?: string } = {
            host: "10.9.9.9",
            privateKey: pulumi.secret(KEY),
        };
        const first = conn.secretConnection(h);
        assert.strictEqual(conn.secretConnection(h), first, "same entry, same Output");
        assert.strictEqual(await pulumi.isSecret(first), true);
        h.user = "deploy";
        const second = conn.secretConnection(h);
        assert.notStrictEqual(second, first, "a changed field is not served from the cache");
        assert.strictEqual((await outputOf(second)).user, "deploy");
        assert.strictEqual((await outputOf(second)).sudo, true);
        const p1 = new apparmor.Profile("c1", {
            hosts: [h],
            profileText: "profile c1 { file, }\n",
            prepareHosts: false,
        });
        const p2 = new apparmor.Profile("c2", {
            hosts: [h],
            profileText: "profile c2 { file, }\n",
            prepareHosts: false,
        });
        assert.ok(p1.hostProfiles["10.9.9.9"] && p2.hostProfiles["10.9.9.9"]);
        await settle();
        for (const n of ["c1-10.9.9.9", "c2-10.9.9.9"]) {
            const c = created.find((x) => x.name === n)!.inputs.connection;
            assert.ok(isSecret(c), `${n}: connection is secret`);
            assert.strictEqual((c as { value: { user: string } }).value.user, "deploy");
        }
    });

    it("ProfiledContainer adds apparmor=NAME to securityOpts, uses a docker provider for the same host, checks the label", async () => {
        const p = secureProfile("sec", [
            {
                host: "10.0.0.5",
                user: "deploy",
                privateKey: pulumi.secret(KEY),
                dockerHost: "tcp://10.0.0.5:2375",
            },
        ]);
        const c = new apparmor.ProfiledContainer("web", {
            profile: p,
            container: {
                image: "nginx",
                securityOpts: ["no-new-privileges", "apparmor=unconfined"],
            },
        });
        assert.strictEqual(await outputOf(c.label), "docker-default-secure (enforce)");
        await settle();
        const cont = created.find((x) => x.type === "docker:index/container:Container")!;
        assert.strictEqual(cont.name, "web-container");
        assert.deepStrictEqual(cont.inputs.securityOpts, [
            "no-new-privileges",
            "apparmor=docker-default-secure",
        ]);
        const prov = created.find((x) => x.type === "pulumi:providers:docker")!;
        assert.strictEqual(prov.name, "web-docker");
        assert.strictEqual(prov.inputs.host, "tcp://10.0.0.5:2375");
        assert.match(String(cont.provider), /pulumi:providers:docker::web-docker/);
        const conf = created.find((x) => x.type.endsWith(":Confinement"))!;
        assert.strictEqual(conf.inputs.containerId, "web-container-id");
        assert.strictEqual(conf.inputs.profileName, "docker-default-secure");
    });

    it("dockerProvider defaults to ssh://user@host:port", async () => {
        apparmor.dockerProvider("d", { host: "10.1.1.1", port: 2200, user: "ops" });
        await settle();
        const prov = created.find((x) => x.type === "pulumi:providers:docker")!;
        assert.strictEqual(prov.inputs.host, "ssh://ops@10.1.1.1:2200");
    });

    it("ProfiledContainer refuses an ambiguous or unknown host", () => {
        const p = secureProfile("two", [
            { host: "a", privateKey: KEY },
            { host: "b", privateKey: KEY },
        ]);
        assert.throws(
            () => new apparmor.ProfiledContainer("c", { profile: p, container: { image: "x" } }),
            /apparmor:index:ProfiledContainer "c": invalid arguments:\n {2}- host: the profile has 2 hosts/,
        );
        assert.throws(
            () =>
                new apparmor.ProfiledContainer("c2", {
                    profile: p,
                    host: "zz",
                    container: { image: "x" },
                }),
            /"zz" is not one of the profile's hosts \(a, b\)/,
        );
    });
});
