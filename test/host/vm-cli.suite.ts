/**
 * `pulumi-apparmor testhost status|stop` against the shared VM, and argument errors.
 *
 * A function of the release (issue #18): vm-cli.test.ts runs it on the shared Debian 12 VM,
 * providers.trixie.vm.test.ts on the shared Debian 13 VM. On trixie every command carries
 * `--release trixie` and only what leaves that VM running runs: `status` of it, and the argument
 * errors (unknown commands and options, smuggling kernel arguments), all refused before anything
 * starts. `status`/`stop` of a state dir without a VM stays bookworm-only: it reads no VM and takes
 * no release, so it is the same run on both.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "../../src/cli/testhost";
import { runCli } from "../support/cliRun";
import type { TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";

const cli = (args: string[]) => runCli(run, args);

/** The testhost CLI's cases on the shared VM of `release` (trixie's titles name it). */
export function vmCliSuite(release: Release): void {
    const { host: shared, suffix } = releaseHost(release);
    /** `verb ...rest` with `--release RELEASE` after the verb on trixie; bookworm's as before. */
    const withRelease = (args: string[]): string[] =>
        release === "bookworm"
            ? args
            : [...args.slice(0, 1), "--release", release, ...args.slice(1)];

    describe(`pulumi-apparmor testhost (CLI)${suffix}`, function () {
        let host: TestHostInfo;
        let empty: string;

        before(async function () {
            this.timeout(1_800_000);
            host = await shared();
            empty = fs.mkdtempSync(path.join(os.tmpdir(), "testhost-cli-"));
        });

        after(function () {
            fs.rmSync(empty, { recursive: true, force: true });
        });

        it("status of a running VM prints one JSON object with how to reach it (exit 0)", async function () {
            const r = await cli(withRelease(["status", "--state-dir", host.stateDir]));
            assert.strictEqual(r.code, 0, r.stderr);
            const lines = r.stdout.trim().split("\n");
            assert.strictEqual(lines.length, 1);
            const s = JSON.parse(lines[0]) as Record<string, unknown>;
            assert.strictEqual(s.running, true);
            for (const k of [
                "host",
                "port",
                "user",
                "rootUser",
                "privateKeyPath",
                "hostKey",
                "dockerHost",
            ]) {
                assert.deepStrictEqual(s[k], (host as unknown as Record<string, unknown>)[k], k);
            }
            assert.match(String(s.hostKey), /^ssh-ed25519 [A-Za-z0-9+/=]+/);
            assert.strictEqual(
                fs.statSync(String(s.privateKeyPath)).mode & 0o077,
                0,
                "key is private",
            );
        });

        if (release === "bookworm") {
            it("status and stop of a state dir without a VM: not running (exit 1), stop is a no-op", async function () {
                const s = await cli(["status", "--state-dir", empty]);
                assert.strictEqual(s.code, 1);
                assert.deepStrictEqual(JSON.parse(s.stdout), { running: false, stateDir: empty });
                const t = await cli(["stop", "--state-dir", empty]);
                assert.strictEqual(t.code, 0, t.stderr);
            });
        }

        it("rejects unknown commands and options with usage (exit 2)", async function () {
            for (const args of [
                [],
                ["reboot"],
                ["start", "--bogus"],
                ["start", "--memory", "lots"],
            ].map(withRelease)) {
                const r = await cli(args);
                assert.strictEqual(r.code, 2, args.join(" "));
                assert.match(r.stderr, /usage: pulumi-apparmor testhost start/);
                assert.strictEqual(r.stdout, "");
            }
        });

        it("refuses kernel arguments that could smuggle a key or shell text", async function () {
            this.timeout(60000);
            for (const arg of ["pulumi_apparmor.authorized_key=AAAA", "a b", "x;reboot"]) {
                const r = await cli(
                    withRelease(["start", "--state-dir", empty, "--kernel-arg", arg]),
                );
                assert.strictEqual(r.code, 1, arg);
                assert.match(r.stderr, /is not allowed/);
            }
        });
    });
}
