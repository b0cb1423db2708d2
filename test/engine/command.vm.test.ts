/**
 * `@pulumi/command`'s `remote.Command` on the real engine (Go-built CLI and `pulumi-resource-command`
 * 1.2.1 from test/engine/build-command.sh) against the test VM: over SSH with the private key as a
 * Pulumi secret and the VM's host key pinned, it creates a file; a second `up` is a no-op (the
 * command does not run again); `destroy` runs the delete command and the file is gone; `pulumi
 * stack export` and the backend's files hold no line of the private key.
 *
 * Fails (does not skip) when the plugin was not built, naming it and how to provide it.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import {
    assertDestroyOrder,
    assertKeyNotStored,
    createThrowawayStack,
    requireProviderPlugin,
    ThrowawayStack,
} from "../support/engine";
import { sharedTestHost, sshExec, TestHostInfo } from "../support/testhost";

describe("remote.Command through pulumi-resource-command (real engine, test VM)", function () {
    this.timeout(600_000);
    let host: TestHostInfo;
    let privateKey: string;
    const stacks: ThrowawayStack[] = [];

    before(async function () {
        this.timeout(3_600_000); // cold engine build + cold VM image
        requireProviderPlugin("command");
        host = await sharedTestHost();
        privateKey = fs.readFileSync(host.privateKeyPath, "utf8");
    });

    after(async function () {
        for (const s of stacks) {
            await s.dispose();
        }
    });

    it("creates a file over SSH, is a no-op the second time, and destroy runs the delete command", async () => {
        const file = `/tmp/pa-command-${crypto.randomBytes(4).toString("hex")}`;
        const s = await createThrowawayStack({
            projectName: "pa-command",
            program: async () => {
                const cfg = new pulumi.Config();
                const c = new command.remote.Command("remote-file", {
                    connection: {
                        host: cfg.require("host"),
                        port: cfg.requireNumber("port"),
                        user: cfg.require("user"),
                        hostKey: cfg.require("hostKey"),
                        privateKey: cfg.requireSecret("privateKey"),
                    },
                    // Appends, so a second run of the create command would show in the file.
                    create: `echo made-by-remote-command >> '${file}' && echo created`,
                    delete: `rm '${file}'`,
                });
                return { stdout: c.stdout };
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
            up.changes().map((c) => [c.op, c.type]),
            [
                ["create", "pulumi:pulumi:Stack"],
                ["create", "pulumi:providers:command"],
                ["create", "command:remote:Command"],
            ],
        );
        assert.strictEqual(up.result.outputs.stdout.value, "created");
        const cat = await sshExec(host, `cat '${file}'`);
        assert.strictEqual(cat.code, 0, cat.stderr);
        assert.strictEqual(cat.stdout, "made-by-remote-command\n");

        // The engine ran the plugin this repo built (1.2.1), not some other one.
        const deployment = await s.exportStack();
        const resources = (deployment.deployment.resources ?? []) as {
            type: string;
            outputs?: { version?: string };
        }[];
        const provider = resources.find((r) => r.type === "pulumi:providers:command");
        assert.strictEqual(provider?.outputs?.version, "1.2.1");

        await s.preview({ expectNoChanges: true });
        const again = await s.up();
        assert.deepStrictEqual(again.changes(), []);
        const cat2 = await sshExec(host, `cat '${file}'`);
        assert.strictEqual(cat2.stdout, "made-by-remote-command\n", "create did not run again");

        await assertKeyNotStored(s, privateKey);

        const down = await s.destroy();
        assertDestroyOrder(down.changes(), (c) => c.type, "command:remote:Command", [
            "pulumi:providers:command",
            "pulumi:pulumi:Stack",
        ]);
        const gone = await sshExec(host, `test -e '${file}'`);
        assert.strictEqual(gone.code, 1, `${file} still exists after destroy`);
    });
});
