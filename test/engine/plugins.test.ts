/**
 * The demos' engine setup (test/engine/install-plugins.sh): the providers built by test/engine/build.sh
 * become installed plugins of PULUMI_HOME, and with PULUMI_IGNORE_AMBIENT_PLUGINS the engine uses
 * them without printing "using pulumi-resource-… from $PATH" on every run. Real CLI, on-disk program.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineBinDir, requireProviderPlugin } from "../support/engine";

const repo = path.resolve(__dirname, "../..");

describe("engine: provider plugins installed in PULUMI_HOME (the demos' setup)", function () {
    this.timeout(600000);
    let work: string;

    before(() => {
        requireProviderPlugin("command");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pa-plugins-"));
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    /** `pulumi up` of a one-Command program in a fresh project, home and backend. */
    function up(name: string, installed: boolean): { code: number | null; out: string } {
        const dir = path.join(work, name);
        const home = path.join(dir, "home");
        fs.mkdirSync(path.join(dir, "state"), { recursive: true });
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
        // The language host reports both providers the package depends on to the engine.
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify({
                name,
                dependencies: { "@pulumi/command": "1.2.1", "@pulumi/docker": "5.0.0" },
            }),
        );
        fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(
            path.join(dir, "index.js"),
            'const command = require("@pulumi/command");\n' +
                'new command.local.Command("noop", { create: "true" });\n',
        );
        const bin = engineBinDir();
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "test-only",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
        delete env.PULUMI_IGNORE_AMBIENT_PLUGINS;
        if (installed) {
            env.PULUMI_IGNORE_AMBIENT_PLUGINS = "true";
            const r = spawnSync("bash", [path.join(repo, "test/engine/install-plugins.sh"), bin], {
                env,
                encoding: "utf8",
            });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^pulumi-resource-command 1\.2\.1$/m);
            assert.ok(
                fs.existsSync(
                    path.join(home, "plugins/resource-command-v1.2.1/pulumi-resource-command"),
                ),
            );
        }
        const run = (args: string[]) =>
            spawnSync(path.join(bin, "pulumi"), args, { cwd: dir, env, encoding: "utf8" });
        const init = run(["stack", "init", "t", "--non-interactive"]);
        assert.strictEqual(init.status, 0, init.stderr);
        const r = run(["up", "--yes", "--skip-preview", "--non-interactive"]);
        return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
    }

    it("installed: the up runs the Command with no 'from $PATH' warning", () => {
        const r = up("installed", true);
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /command:local:Command\s+noop\s+created/);
        assert.doesNotMatch(r.out, /from \$PATH/);
    });

    it("control: the same program with the providers only on PATH warns", () => {
        const r = up("ambient", false);
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /using pulumi-resource-command from \$PATH/);
    });
});
