/**
 * The harness on the real engine without the test VM: a dynamic-provider resource (run by the
 * `pulumi-resource-pulumi-nodejs` launcher) that owns a file on this machine goes through
 * up → preview (no changes) → update → refresh → export (secret encrypted) → destroy.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/* eslint-disable @typescript-eslint/no-require-imports -- dynamic-provider methods are serialized into
   the provider process, so the modules they use are required inside them. */
import * as pulumi from "@pulumi/pulumi";

import {
    assertDestroyOrder,
    createThrowawayStack,
    engineBinDir,
    ThrowawayStack,
} from "../support/engine";

interface LocalFileInputs {
    path: string;
    content: string;
    token: string;
}

/** A dynamic provider owning one local file; `token` only exists to travel as a secret input. */
const localFileProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: LocalFileInputs) {
        require("fs").writeFileSync(inputs.path, inputs.content);
        return { id: inputs.path, outs: { path: inputs.path, content: inputs.content } };
    },
    async diff(_id: string, olds: LocalFileInputs, news: LocalFileInputs) {
        const replaces = olds.path !== news.path ? ["path"] : [];
        const changes = replaces.length > 0 || olds.content !== news.content;
        return { changes, replaces, deleteBeforeReplace: true };
    },
    async update(_id: string, _olds: LocalFileInputs, news: LocalFileInputs) {
        require("fs").writeFileSync(news.path, news.content);
        return { outs: { path: news.path, content: news.content } };
    },
    async read(id: string, props: LocalFileInputs) {
        const nodeFs = require("fs");
        const content = nodeFs.existsSync(id) ? nodeFs.readFileSync(id, "utf8") : "";
        return { id, props: { ...props, content } };
    },
    async delete(id: string) {
        require("fs").rmSync(id, { force: true });
    },
};

class LocalFile extends pulumi.dynamic.Resource {
    declare readonly content: pulumi.Output<string>;
    constructor(
        name: string,
        args: {
            path: pulumi.Input<string>;
            content: pulumi.Input<string>;
            token: pulumi.Input<string>;
        },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(localFileProvider, name, { ...args, content: args.content }, opts);
    }
}

describe("engine harness (real engine, local only)", function () {
    this.timeout(300_000);
    let dir: string;
    let stack: ThrowawayStack | undefined;
    const token = "local-secret-token-7f1c2e9a";

    before(function () {
        this.timeout(3_600_000); // a cold test/engine/build.sh run
        engineBinDir();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-engine-local-"));
    });

    after(async function () {
        await stack?.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("creates, keeps, updates, refreshes and destroys a dynamic-provider resource", async () => {
        const file = path.join(dir, "owned.txt");
        let content = "one\n";
        stack = await createThrowawayStack({
            program: async () => {
                const cfg = new pulumi.Config();
                const f = new LocalFile("owned", {
                    path: file,
                    content,
                    token: cfg.requireSecret("token"),
                });
                return { content: f.content };
            },
            config: { token: { value: token, secret: true }, plainSetting: "visible" },
        });

        const up1 = await stack.up();
        assert.strictEqual(up1.result.summary.result, "succeeded");
        assert.deepStrictEqual(
            up1.changes().map((s) => [s.op, s.type, s.name]),
            [
                ["create", "pulumi:pulumi:Stack", "pa-test-test"],
                ["create", "pulumi:providers:pulumi-nodejs", "default"],
                ["create", "pulumi-nodejs:dynamic:Resource", "owned"],
            ],
        );
        assert.strictEqual(fs.readFileSync(file, "utf8"), "one\n");
        assert.strictEqual(up1.result.outputs.content.value, "one\n");
        assert.deepStrictEqual(
            up1.diagnostics().filter((d) => /from \$PATH/.test(d.message)),
            [],
            "no ambient-plugin warnings",
        );

        // Nothing changed: the engine itself fails the preview if it would change anything.
        const pre = await stack.preview({ expectNoChanges: true });
        assert.deepStrictEqual(pre.changes(), []);
        const up2 = await stack.up();
        assert.deepStrictEqual(up2.changes(), []);
        assert.deepStrictEqual(up2.result.summary.resourceChanges, { same: 2 });

        content = "two\n";
        const up3 = await stack.up();
        const update = up3.changes().find((s) => s.name === "owned");
        assert.strictEqual(update?.op, "update");
        // Dynamic providers report changes but not which keys (their DiffResult has no `diffs`).
        assert.deepStrictEqual(update?.keys, []);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "two\n");

        // Drift: refresh reads the file back and records what it found.
        fs.writeFileSync(file, "edited by hand\n");
        const refresh = await stack.refresh();
        assert.strictEqual(refresh.steps.find((s) => s.name === "owned")?.op, "refresh");
        assert.deepStrictEqual(refresh.result.summary.resourceChanges, { same: 1, update: 1 });
        const exported = await stack.exportStack();
        const res = exported.deployment.resources.find((r: { urn: string }) =>
            r.urn.endsWith("::owned"),
        );
        assert.strictEqual(res.outputs.content, "edited by hand\n");

        const text = await stack.exportStackText();
        assert.ok(!text.includes(token), "the secret token is not in the export");
        assert.ok(text.includes("ciphertext"), "the secret is stored encrypted");
        assert.ok(!stack.backendText().includes(token), "nor anywhere in the backend's files");

        const down = await stack.destroy();
        // The owned resource goes first; the stack and the default provider have no dependency
        // between them, and the engine deletes them in either order (both seen in CI).
        assertDestroyOrder(down.changes(), (c) => c.name, "owned", ["default", "pa-test-test"]);
        assert.strictEqual(fs.existsSync(file), false);
    });
});

describe("engine harness (real engine, on-disk program)", function () {
    this.timeout(300_000);
    let stack: ThrowawayStack | undefined;

    before(function () {
        this.timeout(3_600_000); // a cold test/engine/build.sh run
        engineBinDir();
    });

    after(async () => {
        await stack?.dispose();
    });

    it("runs a Pulumi.yaml program through pulumi-language-nodejs", async () => {
        stack = await createThrowawayStack({
            programDir: path.join(__dirname, "fixtures/ondisk"),
            config: { note: { value: "on-disk secret note", secret: true } },
        });
        const up = await stack.up();
        assert.strictEqual(up.result.summary.result, "succeeded");
        assert.strictEqual(up.result.outputs.greeting.value, "hello from pa-ondisk/test");
        assert.strictEqual(up.result.outputs.noteLength.value, "on-disk secret note".length);
        assert.strictEqual(up.result.outputs.noteLength.secret, true);
        assert.strictEqual(up.result.outputs.node.value, process.version);
        const text = await stack.exportStackText();
        assert.ok(!text.includes("on-disk secret note"));
        assert.ok(!stack.backendText().includes("on-disk secret note"));
        await stack.destroy();
    });
});
