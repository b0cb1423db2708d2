/**
 * The harness on the real engine against the test VM:
 * - a command run over SSH (private key as a secret) creates a file on the VM and `destroy` removes
 *   it; a second `up` reports no changes; `pulumi stack export` holds no private key in plain text.
 *   The SSH command goes through a dynamic provider (ssh2), the way the components run host scripts;
 *   the same with `@pulumi/command`'s remote.Command (pulumi-resource-command) is command.vm.test.ts.
 * - a `docker.Container` with `securityOpts: ["apparmor=docker-default"]`, created by
 *   `pulumi-resource-docker` against the VM's dockerd, runs confined by that profile (`docker
 *   inspect`), a second `up` reports no changes, and `destroy` removes it.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";

/* eslint-disable @typescript-eslint/no-require-imports -- dynamic-provider methods are serialized into
   the provider process, so the modules they use are required inside them. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ClientChannel } from "ssh2";

import {
    assertDestroyOrder,
    assertKeyNotStored,
    createThrowawayStack,
    engineBinDir,
    requireProviderPlugin,
    ThrowawayStack,
} from "../support/engine";
import { sharedTestHost, sshExec, TestHostInfo } from "../support/testhost";

interface SshFileInputs {
    host: string;
    port: number;
    user: string;
    hostKey: string;
    privateKey: string;
    path: string;
    content: string;
}

/**
 * A dynamic provider that owns one file on an SSH host. The content travels on stdin, the path is
 * single-quoted (the test only uses [A-Za-z0-9/._-]), and the host key is pinned.
 */
const sshFileProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: SshFileInputs) {
        const run = (target: SshFileInputs, command: string, stdin: string): Promise<number> =>
            new Promise((resolve, reject) => {
                const { Client } = require("ssh2");
                const pinned = target.hostKey.trim().split(/\s+/)[1];
                const conn = new Client();
                conn.on("ready", () => {
                    conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
                        if (err) {
                            conn.end();
                            return reject(err);
                        }
                        stream.on("close", (code: number) => {
                            conn.end();
                            resolve(code);
                        });
                        stream.on("data", () => undefined);
                        stream.stderr.on("data", () => undefined);
                        stream.end(stdin);
                    });
                });
                conn.on("error", reject);
                conn.connect({
                    host: target.host,
                    port: target.port,
                    username: target.user,
                    privateKey: target.privateKey,
                    hostVerifier: (key: Buffer) => key.toString("base64") === pinned,
                });
            });
        const code = await run(inputs, `cat > '${inputs.path}'`, inputs.content);
        if (code !== 0) {
            throw new Error(`writing ${inputs.path} over SSH exited ${code}`);
        }
        // Everything goes to the outputs: `diff` compares against them, and `delete` (which only
        // gets the outputs) needs the connection details; `privateKey` stays secret through
        // additionalSecretOutputs.
        return { id: inputs.path, outs: { ...inputs } };
    },
    async diff(_id: string, olds: SshFileInputs, news: SshFileInputs) {
        const replaces = ["path", "content", "host", "port", "user"].filter(
            (k) =>
                (olds as unknown as Record<string, unknown>)[k] !==
                (news as unknown as Record<string, unknown>)[k],
        );
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async delete(id: string, props: SshFileInputs) {
        await new Promise<void>((resolve, reject) => {
            const { Client } = require("ssh2");
            const pinned = props.hostKey.trim().split(/\s+/)[1];
            const conn = new Client();
            conn.on("ready", () => {
                conn.exec(`rm -f '${id}'`, (err: Error | undefined, stream: ClientChannel) => {
                    if (err) {
                        conn.end();
                        return reject(err);
                    }
                    stream.on("close", (code: number) => {
                        conn.end();
                        if (code === 0) {
                            resolve();
                        } else {
                            reject(new Error(`rm ${id} over SSH exited ${code}`));
                        }
                    });
                    stream.resume();
                    stream.stderr.resume();
                });
            });
            conn.on("error", reject);
            conn.connect({
                host: props.host,
                port: props.port,
                username: props.user,
                privateKey: props.privateKey,
                hostVerifier: (key: Buffer) => key.toString("base64") === pinned,
            });
        });
    },
};

class SshFile extends pulumi.dynamic.Resource {
    declare readonly path: pulumi.Output<string>;
    constructor(
        name: string,
        args: { [K in keyof SshFileInputs]: pulumi.Input<SshFileInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(sshFileProvider, name, args, {
            ...opts,
            additionalSecretOutputs: ["privateKey", ...(opts?.additionalSecretOutputs ?? [])],
        });
    }
}

describe("engine harness (real engine, test VM)", function () {
    this.timeout(600_000);
    let host: TestHostInfo;
    let privateKey: string;
    const stacks: ThrowawayStack[] = [];

    before(async function () {
        this.timeout(3_600_000); // cold engine build + cold VM image
        engineBinDir();
        host = await sharedTestHost();
        privateKey = fs.readFileSync(host.privateKeyPath, "utf8");
    });

    after(async function () {
        for (const s of stacks) {
            await s.dispose();
        }
    });

    it("runs a command over SSH that creates a file, keeps the key secret, and destroy removes it", async () => {
        const file = `/tmp/pa-engine-${crypto.randomBytes(4).toString("hex")}`;
        const s = await createThrowawayStack({
            program: async () => {
                const cfg = new pulumi.Config();
                new SshFile("remote-file", {
                    host: cfg.require("host"),
                    port: cfg.requireNumber("port"),
                    user: cfg.require("user"),
                    hostKey: cfg.require("hostKey"),
                    privateKey: cfg.requireSecret("privateKey"),
                    path: file,
                    content: "made by the engine\n",
                });
            },
            config: {
                host: host.host,
                port: String(host.port),
                user: host.user,
                hostKey: host.hostKey,
                privateKey: { value: privateKey, secret: true },
            },
        });
        stacks.push(s);

        const up = await s.up();
        assert.deepStrictEqual(
            up.changes().map((c) => [c.op, c.name]),
            [
                ["create", "pa-test-test"],
                ["create", "default"],
                ["create", "remote-file"],
            ],
        );
        const cat = await sshExec(host, `cat '${file}'`);
        assert.strictEqual(cat.code, 0, cat.stderr);
        assert.strictEqual(cat.stdout, "made by the engine\n");

        await s.preview({ expectNoChanges: true });
        const again = await s.up();
        assert.deepStrictEqual(again.changes(), []);

        await assertKeyNotStored(s, privateKey);

        const down = await s.destroy();
        // The file goes first; the stack and the default provider have no order between them.
        assertDestroyOrder(down.changes(), (c) => c.name, "remote-file", [
            "default",
            "pa-test-test",
        ]);
        const gone = await sshExec(host, `test -e '${file}'`);
        assert.strictEqual(gone.code, 1, `${file} still exists after destroy`);
    });

    it("creates a docker.Container confined by an AppArmor profile through pulumi-resource-docker", async function () {
        requireProviderPlugin("docker");
        const name = `pa-engine-${crypto.randomBytes(4).toString("hex")}`;
        const s = await createThrowawayStack({
            program: async () => {
                const cfg = new pulumi.Config();
                const provider = new docker.Provider("vm-docker", {
                    host: cfg.require("dockerHost"),
                });
                const c = new docker.Container(
                    "confined",
                    {
                        name,
                        image: "local/busybox:latest",
                        command: ["sleep", "3600"],
                        mustRun: true,
                        securityOpts: ["apparmor=docker-default"],
                    },
                    { provider },
                );
                return { containerId: c.id };
            },
            config: { dockerHost: host.dockerHost },
        });
        stacks.push(s);

        const up = await s.up();
        assert.deepStrictEqual(
            up.changes().map((c) => [c.op, c.type]),
            [
                ["create", "pulumi:pulumi:Stack"],
                ["create", "pulumi:providers:docker"],
                ["create", "docker:index/container:Container"],
            ],
        );
        const inspect = await sshExec(
            host,
            `docker inspect -f '{{.State.Running}} {{.AppArmorProfile}} {{json .HostConfig.SecurityOpt}}' ${name}`,
        );
        assert.strictEqual(inspect.code, 0, inspect.stderr);
        assert.strictEqual(
            inspect.stdout.trim(),
            'true docker-default ["apparmor=docker-default"]',
        );
        // The kernel agrees: the container's PID 1 runs confined.
        const pid = await sshExec(host, `docker inspect -f '{{.State.Pid}}' ${name}`);
        const attr = await sshExec(host, `cat /proc/${pid.stdout.trim()}/attr/current`, {
            asRoot: true,
        });
        assert.strictEqual(attr.stdout.trim(), "docker-default (enforce)");

        await s.preview({ expectNoChanges: true });
        const again = await s.up();
        assert.deepStrictEqual(again.changes(), []);
        const refresh = await s.refresh({ expectNoChanges: true });
        assert.deepStrictEqual(refresh.result.summary.resourceChanges, { same: 3 });

        const down = await s.destroy();
        assert.deepStrictEqual(
            down.changes().map((c) => [c.op, c.type]),
            [
                ["delete", "docker:index/container:Container"],
                ["delete", "pulumi:providers:docker"],
                ["delete", "pulumi:pulumi:Stack"],
            ],
        );
        const gone = await sshExec(host, `docker inspect ${name}`);
        assert.notStrictEqual(gone.code, 0, `container ${name} still exists after destroy`);
    });
});
