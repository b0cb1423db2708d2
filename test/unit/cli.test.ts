import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { main } from "../../src/cli/main";
import { findApparmorParser } from "../../src/local";
import { deny } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { renderProfile } from "../../src/profile/render";

const root = path.resolve(__dirname, "../..");
const bin = path.join(root, "bin/pulumi-apparmor.js");

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the CLI in-process through main() with in-memory streams. */
async function inProcess(args: string[], stdin = ""): Promise<Run> {
    const input = new PassThrough();
    input.end(stdin);
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
    out.on("data", (b: Buffer) => chunks.out.push(b));
    err.on("data", (b: Buffer) => chunks.err.push(b));
    const code = await main(args, { stdin: input, stdout: out, stderr: err });
    return {
        code,
        stdout: Buffer.concat(chunks.out).toString(),
        stderr: Buffer.concat(chunks.err).toString(),
    };
}

/** Runs the built CLI as a real process: `node bin/pulumi-apparmor.js …`. */
async function subprocess(args: string[], stdin = ""): Promise<Run> {
    const r = spawnSync(process.execPath, [bin, ...args], { input: stdin, encoding: "utf8" });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Newest mtime of the TypeScript files the CLI is built from. */
function newestSource(dir: string): number {
    let newest = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
        else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
    return newest;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-cli-"));
const write = (name: string, text: string): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
};
const messy = write(
    "messy.aa",
    "profile t {\n  /tmp/x  wr,\n capability chown, deny /tmp/y w,\n}\n",
);
const canonical = "profile t {\n  /tmp/x rw,\n  capability chown,\n  deny /tmp/y w,\n}\n";
const syntaxError = "profile t {\n  /tmp/x rw\n}\n";
const invalid = write("invalid.aa", "profile t {\n  capability sys_admn,\n  /tmp/x rwa,\n}\n");
const secure = write(
    "secure.aa",
    renderProfile(
        dockerDefault({ name: "docker-default-secure" })
            .with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"))
            .toModel(),
    ),
);
const missingInclude = write(
    "missing-include.aa",
    "include <abstractions/does-not-exist>\nprofile t {\n  /tmp/x r,\n}\n",
);

for (const [mode, runCli] of [
    ["in-process main()", inProcess],
    ["node bin/pulumi-apparmor.js", subprocess],
] as const) {
    describe(`cli (${mode})`, function () {
        this.timeout(300_000);

        if (runCli === subprocess) {
            before(function () {
                // `npm ci` builds dist/ (prepare); rebuild here when the sources are newer.
                const built = path.join(root, "dist/src/cli/main.js");
                const stale =
                    !fs.existsSync(built) ||
                    fs.statSync(built).mtimeMs < newestSource(path.join(root, "src"));
                if (stale) {
                    try {
                        execFileSync("npm", ["run", "build"], { cwd: root, stdio: "pipe" });
                    } catch (e) {
                        // tsc still emits when unrelated files have type errors (the type check is
                        // run-all.sh's job); what matters here is a fresh build of the CLI itself.
                        const fresh = ["fmt", "check", "main"].every(
                            (m) =>
                                fs.existsSync(path.join(root, `dist/src/cli/${m}.js`)) &&
                                fs.statSync(path.join(root, `dist/src/cli/${m}.js`)).mtimeMs >=
                                    fs.statSync(path.join(root, `src/cli/${m}.ts`)).mtimeMs,
                        );
                        if (!fresh) throw e;
                    }
                }
            });
        }

        describe("fmt", () => {
            it("prints the canonical text of a file", async () => {
                const r = await runCli(["fmt", messy]);
                assert.strictEqual(r.code, 0, r.stderr);
                assert.strictEqual(r.stdout, canonical);
                assert.strictEqual(r.stderr, "");
            });

            it("reads stdin with -", async () => {
                const r = await runCli(["fmt", "-"], fs.readFileSync(messy, "utf8"));
                assert.strictEqual(r.code, 0, r.stderr);
                assert.strictEqual(r.stdout, canonical);
            });

            it("is idempotent", async () => {
                const once = await runCli(["fmt", secure]);
                const twice = await runCli(["fmt", "-"], once.stdout);
                assert.strictEqual(twice.code, 0);
                assert.strictEqual(twice.stdout, once.stdout);
            });

            it("exits 1 with FILE:LINE:COL on a syntax error", async () => {
                const r = await runCli(["fmt", "-"], syntaxError);
                assert.strictEqual(r.code, 1);
                assert.strictEqual(r.stdout, "");
                assert.match(r.stderr, /^<stdin>:3:1: expected .+, found .+\n$/);
                const f = write("syntax.aa", syntaxError);
                const r2 = await runCli(["fmt", f]);
                assert.strictEqual(r2.code, 1);
                assert.ok(r2.stderr.startsWith(`${f}:3:1: expected`), r2.stderr);
            });

            it("exits 2 on a file that is not UTF-8, naming the byte (never rewrites it lossily)", async () => {
                const f = path.join(tmp, "latin1.aa");
                fs.writeFileSync(
                    f,
                    Buffer.from('profile t {\n  "/srv/caf\xe9/**" r,\n}\n', "latin1"),
                );
                const r = await runCli(["fmt", f]);
                assert.strictEqual(r.code, 2);
                assert.strictEqual(r.stdout, "");
                assert.match(
                    r.stderr,
                    /latin1\.aa is not valid UTF-8: byte 0xE9 at offset 23 \(line 2, column 12\)/,
                );
            });

            it("exits 2 on a missing file or bad usage", async () => {
                const r = await runCli(["fmt", path.join(tmp, "nope.aa")]);
                assert.strictEqual(r.code, 2);
                assert.match(r.stderr, /nope\.aa: no such file/);
                assert.strictEqual((await runCli(["fmt"])).code, 2);
                assert.strictEqual((await runCli(["fmt", "a", "b"])).code, 2);
                assert.strictEqual((await runCli(["fmt", "--bogus"])).code, 2);
                const help = await runCli(["fmt", "--help"]);
                assert.strictEqual(help.code, 0);
                assert.match(help.stdout, /usage: pulumi-apparmor fmt FILE\|-/);
            });
        });

        describe("check", () => {
            before(function () {
                assert.ok(
                    findApparmorParser(),
                    "apparmor_parser is required (apt-get install apparmor)",
                );
            });

            it("exits 0 for a valid profile (validation + apparmor_parser)", async () => {
                const r = await runCli(["check", secure]);
                assert.strictEqual(r.code, 0, r.stderr);
                assert.strictEqual(r.stdout, `${secure}: ok\n`);
            });

            it("exits 0 for valid text on stdin", async () => {
                const r = await runCli(["check", "-"], canonical);
                assert.strictEqual(r.code, 0, r.stderr);
                assert.strictEqual(r.stdout, "<stdin>: ok\n");
            });

            it("exits 1 and lists validation and compiler problems", async () => {
                const r = await runCli(["check", invalid]);
                assert.strictEqual(r.code, 1);
                assert.strictEqual(r.stdout, "");
                const lines = r.stderr.trim().split("\n");
                assert.deepStrictEqual(lines.slice(0, 2), [
                    `${invalid}: items[0].rules[0].capabilities[0]: unknown capability "sys_admn" (fix: use one of the Linux capability names (e.g. chown, net_bind_service, sys_admin, bpf))`,
                    `${invalid}: items[0].rules[1].access: permissions w and a conflict (w already includes append) (fix: keep either w or a)`,
                ]);
                assert.ok(
                    lines.includes(
                        `${invalid}:2: apparmor_parser error: Invalid capability sys_admn.`,
                    ),
                    r.stderr,
                );
            });

            it("exits 1 on a syntax error, with FILE:LINE:COL", async () => {
                const r = await runCli(["check", "-"], syntaxError);
                assert.strictEqual(r.code, 1);
                assert.match(r.stderr, /^<stdin>:3:1: expected /);
                assert.match(r.stderr, /<stdin>:3: apparmor_parser error: syntax error/);
            });

            it("exits 1 when only apparmor_parser refuses (missing include), 0 with --no-parser", async () => {
                const r = await runCli(["check", missingInclude]);
                assert.strictEqual(r.code, 1);
                assert.match(
                    r.stderr,
                    /:1: apparmor_parser error: Could not open 'abstractions\/does-not-exist'/,
                );
                const skip = await runCli(["check", "--no-parser", missingInclude]);
                assert.strictEqual(skip.code, 0, skip.stderr);
            });

            it("exits 1 for an empty profile and for text without any profile", async () => {
                const empty = await runCli(["check", "--no-parser", "-"], "profile t {\n}\n");
                assert.strictEqual(empty.code, 1);
                assert.match(empty.stderr, /has no rules/);
                const none = await runCli(["check", "--no-parser", "-"], "abi <abi/3.0>,\n");
                assert.strictEqual(none.code, 1);
                assert.match(none.stderr, /holds no profile/);
            });

            it("exits 2 on bad usage", async () => {
                assert.strictEqual((await runCli(["check"])).code, 2);
                assert.strictEqual((await runCli(["check", "--bogus", secure])).code, 2);
                assert.strictEqual((await runCli(["check", "-I"])).code, 2);
                assert.strictEqual((await runCli(["check", path.join(tmp, "nope")])).code, 2);
            });
        });
    });
}
