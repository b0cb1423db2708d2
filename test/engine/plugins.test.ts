/**
 * The demos' engine setup (test/engine/engine-env.sh's `use_engine`, which runs the choice of
 * test/support/engineSelect.ts): the up of a small on-disk program prints which engine runs, once,
 * and no "using pulumi-resource-… from $PATH" warning. With the source build that is because its
 * providers are installed as plugins of PULUMI_HOME (test/engine/install-plugins.sh) and the engine
 * ignores PATH for plugins; a control run with the same providers only on PATH warns. Real CLI.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engine, providerPlugins, requireProviderPlugin, userPluginDir } from "../support/engine";

const repo = path.resolve(__dirname, "../..");

describe("engine: provider plugins installed in PULUMI_HOME (the demos' setup)", function () {
    this.timeout(600000);
    let work: string;

    before(() => {
        requireProviderPlugin("command");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pa-plugins-"));
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    /** A fresh project (one local Command) with its backend folder; returns its folder. */
    function project(name: string): string {
        const dir = path.join(work, name);
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
        return dir;
    }

    /** Environment of both runs: this process's, with a file backend and no update check. */
    function baseEnv(dir: string): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "test-only",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
        delete env.PULUMI_IGNORE_AMBIENT_PLUGINS;
        return env;
    }

    /** `stack init` and `up` in `dir`, through bash with `setup` run first; stdout and stderr. */
    function up(
        dir: string,
        env: NodeJS.ProcessEnv,
        setup: string,
    ): { code: number | null; out: string } {
        const r = spawnSync(
            "bash",
            [
                "-c",
                `set -euo pipefail\n${setup}\ncd "$1"\n` +
                    "pulumi stack init t --non-interactive >/dev/null\n" +
                    "pulumi up --yes --skip-preview --non-interactive",
                "plugins-test",
                dir,
            ],
            { cwd: repo, env, encoding: "utf8" },
        );
        return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
    }

    it("the demos' setup: one engine line, the Command created, no 'from $PATH' warning", () => {
        const dir = project("demo-setup");
        const r = up(
            dir,
            baseEnv(dir),
            `. test/engine/engine-env.sh\nuse_engine "$PWD" '${path.join(dir, "home")}'`,
        );
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /command:local:Command\s+noop\s+created/);
        assert.doesNotMatch(r.out, /from \$PATH/);
        const lines = r.out.split("\n").filter((l) => l.startsWith("engine: "));
        assert.deepStrictEqual(lines, [engine().line], "the engine line, once, as the tests chose");
        if (engine().layout === "built") {
            assert.ok(
                fs.existsSync(
                    path.join(dir, "home/plugins/resource-command-v1.2.1/pulumi-resource-command"),
                ),
                "the built provider is an installed plugin of PULUMI_HOME",
            );
        } else {
            assert.strictEqual(
                fs.realpathSync(path.join(dir, "home/plugins")),
                fs.realpathSync(userPluginDir()),
            );
        }
    });

    it("control: the same program with the providers only on PATH warns", () => {
        const dir = project("ambient");
        const onPath = path.join(dir, "path");
        fs.mkdirSync(onPath);
        for (const [name, file] of Object.entries(providerPlugins())) {
            fs.symlinkSync(file, path.join(onPath, `pulumi-resource-${name}`));
        }
        const env = baseEnv(dir);
        env.PULUMI_HOME = path.join(dir, "home");
        env.PATH = [engine().binDir, onPath, process.env.PATH ?? ""].join(path.delimiter);
        const r = up(dir, env, "");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /using pulumi-resource-command from \$PATH/);
    });
});
