/**
 * `npm run demo` end to end, exactly as a user runs it (examples/docker-default-secure/demo.sh), on
 * both host releases (issue #18): its own disposable VM, the engine the tests chose, `pulumi up`, a
 * denial in the container, `pulumi refresh`, the outputs, and the teardown (destroy, stack rm, VM
 * stop) — nothing left behind. Both releases in one file, one after the other: the demo's stack
 * config file lives in the example's folder, so two demos must not run at once.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engine } from "../support/engine";
import type { Release } from "../support/releases";

const repo = path.resolve(__dirname, "../..");
const example = path.join(repo, "examples/docker-default-secure");

/** Runs the demo; its exit code and output (stdout and stderr, interleaved as printed). */
function demo(release: Release): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [path.join(example, "demo.sh"), "--release", release], {
            cwd: repo,
            env: { ...process.env, NO_COLOR: "1" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out }));
    });
}

/** The JSON printed after `--- title` (up to the next `---` line or the demo's teardown). */
function section(out: string, title: string): unknown {
    const start = out.indexOf(`--- ${title}\n`);
    assert.ok(start >= 0, `no "--- ${title}" in the demo's output:\n${out}`);
    const rest = out.slice(start + title.length + 5);
    const end = rest.search(/^(---|\S*== )/m);
    return JSON.parse(end >= 0 ? rest.slice(0, end) : rest);
}

/** The demos' work folders (mktemp's /tmp/pulumi-apparmor-demo.*). */
function demoDirs(): string[] {
    return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("pulumi-apparmor-demo."));
}

for (const release of ["bookworm", "trixie"] as const) {
    describe(`npm run demo -- --release ${release} (end to end, its own VM)`, function () {
        this.timeout(1_800_000);
        let run: { code: number | null; out: string };
        let before: string[];

        it("runs to the end and tears everything down", async () => {
            before = demoDirs();
            run = await demo(release);
            assert.strictEqual(run.code, 0, run.out);
            assert.match(run.out, /^demo: done in \d+ s$/m);
            assert.match(run.out, new RegExp(`== 1/6 test VM \\(Debian ${release}\\)`));
            // which engine ran, once, as the tests chose (no "from $PATH" noise)
            const lines = run.out.split("\n").filter((l) => l.startsWith("engine: "));
            assert.deepStrictEqual(lines, [engine().line]);
            assert.doesNotMatch(run.out, /from \$PATH/);
            // teardown: its work folder (VM state, backend, PULUMI_HOME) and stack config are gone
            assert.deepStrictEqual(
                demoDirs().filter((d) => !before.includes(d)),
                [],
                "the demo left its work folder",
            );
            assert.ok(!fs.existsSync(path.join(example, "Pulumi.demo.yaml")));
            assert.match(run.out, /pulumi destroy/);
        });

        it("the container ran confined; the denial was refused and reached the outputs", () => {
            assert.match(
                run.out,
                /container \S+ runs with label: docker-default-secure \(enforce\)/,
            );
            assert.match(run.out, /touch: \/tmp\/a\/x: Permission denied/);
            const versions = section(run.out, "versions") as Record<
                string,
                Record<string, unknown>
            >;
            const hosts = Object.keys(versions);
            assert.strictEqual(hosts.length, 1, JSON.stringify(versions));
            const v = versions[hosts[0]];
            assert.strictEqual(v.mode, "enforce", JSON.stringify(v));
            assert.match(String(v.version), /^[0-9a-f]{64}$/, JSON.stringify(v));
            // the denial is counted under the version that is loaded, with its target
            const denials = section(run.out, "denials") as Record<
                string,
                { byVersion: Record<string, { denied: number; targets: { target: string }[] }> }
            >;
            const mine = denials[hosts[0]]?.byVersion[String(v.version)];
            assert.ok(mine && mine.denied >= 1, JSON.stringify(denials));
            assert.ok(
                mine.targets.some((t) => t.target === "/tmp/a/x"),
                JSON.stringify(mine.targets),
            );
            assert.deepStrictEqual(section(run.out, "drift"), { [hosts[0]]: [] });
        });
    });
}
