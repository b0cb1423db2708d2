/**
 * The `compile` host script (what `Profile` runs on every host at preview for a new version), run on
 * this machine with its own apparmor_parser: it reports the parser's verdict with the parser's lines,
 * loads and writes nothing, and a parser that never finishes (an include of a FIFO) is killed after
 * the timeout instead of hanging the step.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { compileCommand, HostScriptError, parseCompile } from "../../../src/host";
import { findApparmorParser, parseParserStderr } from "../../../src/local";

function run(text: string, timeoutSeconds?: number) {
    const cmd = compileCommand({ text, timeoutSeconds });
    const t0 = Date.now();
    const r = spawnSync("sh", ["-c", cmd.command], { input: cmd.stdin, encoding: "utf8" });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status, ms: Date.now() - t0 };
}

describe("host scripts: compile (apparmor_parser -Q -K on the host's own include files)", function () {
    this.timeout(60_000);
    before(function () {
        assert.ok(findApparmorParser(), "apparmor_parser is required (apt-get install apparmor)");
    });

    it("accepts a valid text and names the parser version", () => {
        const r = parseCompile(
            run(
                "include <tunables/global>\nprofile pa-c {\n  include <abstractions/base>\n  /tmp/x r,\n}\n",
            ),
        );
        assert.strictEqual(r.ok, true);
        assert.match(r.parser, /^\d+\.\d+/);
    });

    it("refuses what the parser refuses, with the parser's line and message", () => {
        const out = run("profile pa-c {\n  /tmp/x r,\n  include <abstractions/pa-s4-missing>\n}\n");
        assert.strictEqual(out.exitCode, 1);
        let err: HostScriptError | undefined;
        try {
            parseCompile(out);
        } catch (e) {
            err = e as HostScriptError;
        }
        assert.ok(err instanceof HostScriptError);
        assert.strictEqual(err.code, "compile-failed");
        const d = parseParserStderr(err.message.replace(/^pulumi-apparmor compile: /, ""), true);
        assert.deepStrictEqual(
            d.map((x) => [x.line, x.message]),
            [[3, "Could not open 'abstractions/pa-s4-missing'"]],
        );
    });

    it("a parser that never finishes (include of a FIFO) is killed after the timeout", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-fifo-"));
        const fifo = path.join(dir, "fifo");
        // readable by anyone: as root the script compiles as nobody
        fs.chmodSync(dir, 0o755);
        assert.strictEqual(spawnSync("mkfifo", ["-m", "0666", fifo]).status, 0);
        try {
            const out = run(`profile pa-c {\n  include "${fifo}"\n}\n`, 2);
            assert.ok(out.ms < 15_000, `took ${out.ms} ms`);
            assert.throws(() => parseCompile(out), /did not finish within 2 s/);
            assert.match(out.stdout, /"error":"compile-timeout"/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("never runs through sudo, and as root compiles as nobody: a root-only include is not read", () => {
        assert.match(compileCommand({ text: "x" }).command, /^sh -c /);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-secret-"));
        fs.chmodSync(dir, 0o755);
        const secret = path.join(dir, "secret");
        fs.writeFileSync(secret, "SECRET-CONTENT capability,\n", { mode: 0o600 });
        try {
            const out = run(`profile pa-c {\n  include "${secret}"\n}\n`);
            if (process.getuid?.() === 0) {
                assert.match(out.stdout, /"error":"compile-failed".*Could not open/);
                assert.ok(!(out.stdout + out.stderr).includes("SECRET"), out.stdout);
            } else {
                // an unprivileged user reads only what it may read anyway
                assert.strictEqual(out.exitCode, 0, out.stdout + out.stderr);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses a truncated text (sha256 of stdin checked)", () => {
        const cmd = compileCommand({ text: "profile pa-c {\n  /tmp/x r,\n}\n" });
        const r = spawnSync("sh", ["-c", cmd.command], {
            input: "profile pa-c {\n",
            encoding: "utf8",
        });
        assert.match(r.stdout, /"error":"incomplete-input"/);
    });
});
