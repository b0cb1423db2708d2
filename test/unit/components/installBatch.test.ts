/**
 * The per-host install batcher (src/components/installBatch.ts) against a fake host that answers the
 * `installs` script's framing: concurrent installs of one target become one host run, each gets its
 * own result or its own error, a lone install runs the `install` script itself, a failed exec fails
 * every install of its run, targets and sudo modes never share a run.
 */
import * as assert from "assert";
import { InstallBatcher } from "../../../src/components/installBatch";
import { SshError, type SshTarget } from "../../../src/components/ssh";
import { HostScriptError, type HostExec, type InstallArgs } from "../../../src/host";

const T: SshTarget = { host: "10.0.0.5", port: 22, user: "ops", privateKey: "k" };
const T2: SshTarget = { ...T, host: "10.0.0.6" };

const item = (name: string, sudo = true): InstallArgs => ({
    name,
    text: `profile ${name} {\n}\n`,
    mode: "enforce",
    facts: true,
    sudo,
});

const result = (name: string) =>
    JSON.stringify({
        ok: true,
        name,
        dir: "/etc/apparmor.d/containers",
        changed: true,
        wrote: true,
        reloaded: true,
        manifestUpdated: true,
        adopted: false,
        mode: "enforce",
        sha256: "a".repeat(64),
        policySha1: "b".repeat(40),
        kernelMode: "enforce",
        bootLoad: true,
    });

/** What the fake host prints for profile `name`: ours fail when listed in `failing`. */
function answer(name: string, failing: Set<string>): { out: string; exit: number } {
    if (failing.has(name))
        return { out: '{"ok":false,"error":"unmanaged","message":"not ours"}\n', exit: 1 };
    return { out: `${result(name)}\n`, exit: 0 };
}

interface Run {
    target: string;
    script: string;
    names: string[];
    sudo: boolean;
}

/** A fake host: records each run, answers `install` and `installs` as the scripts would. */
function fakeHost(failing = new Set<string>(), sshError?: Error) {
    const runs: Run[] = [];
    const exec =
        (t: SshTarget): HostExec =>
        async (command) => {
            const script = / pulumi-apparmor-([a-z]+) /.exec(command)![1];
            const words = [
                ...command
                    .slice(command.indexOf(` pulumi-apparmor-${script} `))
                    .matchAll(/'([^']*)'/g),
            ].map((m) => m[1]);
            const names: string[] = [];
            if (script === "install") names.push(words[0]);
            else
                for (let i = 0; i < words.length; i += 2 + Number(words[i + 1]))
                    names.push(words[i + 2]);
            runs.push({ target: t.host, script, names, sudo: command.startsWith("sudo -n ") });
            if (sshError) throw sshError;
            if (script === "install") {
                const a = answer(names[0], failing);
                return { stdout: a.out, stderr: "", exitCode: a.exit };
            }
            let out = `{"ok":true,"installs":"v1","items":${names.length}}\n`;
            names.forEach((n, i) => {
                const a = answer(n, failing);
                out += `{"item":${i},"exit":${a.exit},"out":${Buffer.byteLength(a.out)},"err":0}\n${a.out}`;
            });
            return { stdout: out, stderr: "", exitCode: 0 };
        };
    return { runs, exec };
}

describe("InstallBatcher: one host run for an operation's concurrent installs", () => {
    it("concurrent installs of one target: ONE installs run, each its own result", async () => {
        const h = fakeHost();
        const b = new InstallBatcher(h.exec, 20, 200);
        const got = await Promise.all(["a", "b", "c"].map((n) => b.install(T, item(n))));
        assert.deepStrictEqual(
            got.map((r) => r.name),
            ["a", "b", "c"],
        );
        assert.deepStrictEqual(h.runs, [
            { target: T.host, script: "installs", names: ["a", "b", "c"], sudo: true },
        ]);
        assert.strictEqual(b.runs, 1);
    });

    it("a lone install runs the install script itself", async () => {
        const h = fakeHost();
        const b = new InstallBatcher(h.exec, 20, 200);
        assert.strictEqual((await b.install(T, item("a"))).name, "a");
        assert.deepStrictEqual(h.runs, [
            { target: T.host, script: "install", names: ["a"], sudo: true },
        ]);
    });

    it("an item's failure is its own: install's error for it, results for the others", async () => {
        const h = fakeHost(new Set(["b"]));
        const b = new InstallBatcher(h.exec, 20, 200);
        const got = await Promise.allSettled(["a", "b", "c"].map((n) => b.install(T, item(n))));
        assert.deepStrictEqual(
            got.map((g) => g.status),
            ["fulfilled", "rejected", "fulfilled"],
        );
        const e = (got[1] as PromiseRejectedResult).reason;
        assert.ok(e instanceof HostScriptError && e.code === "unmanaged", String(e));
        assert.strictEqual(h.runs.length, 1);
    });

    it("a failed exec fails every install of its run with that error", async () => {
        const err = new SshError("ssh to ops@10.0.0.5:22 timed out", "timeout");
        const h = fakeHost(new Set(), err);
        const b = new InstallBatcher(h.exec, 20, 200);
        const got = await Promise.allSettled(["a", "b"].map((n) => b.install(T, item(n))));
        for (const g of got) assert.strictEqual((g as PromiseRejectedResult).reason, err);
    });

    it("targets and sudo modes never share a run", async () => {
        const h = fakeHost();
        const b = new InstallBatcher(h.exec, 20, 200);
        await Promise.all([
            b.install(T, item("a")),
            b.install(T2, item("b")),
            b.install(T, item("c", false)),
            b.install(T, item("d")),
        ]);
        const seen = h.runs
            .map((r) => `${r.target} ${r.script} ${r.sudo} ${r.names.join(",")}`)
            .sort();
        assert.deepStrictEqual(seen, [
            "10.0.0.5 install false c",
            "10.0.0.5 installs true a,d",
            "10.0.0.6 install true b",
        ]);
    });

    it("an invalid install is refused at once, without a run and without failing the others", async () => {
        const h = fakeHost();
        const b = new InstallBatcher(h.exec, 20, 200);
        const bad = b.install(T, item("a/b"));
        const good = b.install(T, item("a"));
        await assert.rejects(bad, /profile name/);
        assert.strictEqual((await good).name, "a");
        assert.strictEqual(h.runs.length, 1);
    });

    it("installs further apart than the window: runs of their own", async () => {
        const h = fakeHost();
        const b = new InstallBatcher(h.exec, 10, 200);
        const first = b.install(T, item("a"));
        await new Promise((r) => setTimeout(r, 60));
        await Promise.all([first, b.install(T, item("b"))]);
        assert.deepStrictEqual(
            h.runs.map((r) => r.names),
            [["a"], ["b"]],
        );
    });
});
