/**
 * The test host's releases without a VM: build-image.sh keys each release's image on its own, refuses
 * an unknown release, the CLI checks `--release`, and the cache scaffolding shared with
 * scripts/trixie-parser.sh (src/testhost/cache-lib.sh) prunes only old recipe directories it is told to.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "../../../src/cli/testhost";
import { checkRelease, imageDir, TESTHOST_RELEASES } from "../../../src/testhost";

const ROOT = path.resolve(__dirname, "../../..");
const SCRIPT = path.join(ROOT, "src/testhost/build-image.sh");
const LIB = path.join(ROOT, "src/testhost/cache-lib.sh");

function buildImage(cache: string, ...args: string[]) {
    return spawnSync("sh", [SCRIPT, ...args], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_APPARMOR_CACHE: cache },
    });
}

function captureIo() {
    let stdout = "";
    let stderr = "";
    return {
        io: {
            stdout: { write: (s: string) => ((stdout += s), true) },
            stderr: { write: (s: string) => ((stderr += s), true) },
        },
        out: () => ({ stdout, stderr }),
    };
}

describe("testhost: releases", function () {
    this.timeout(30000);
    let tmp: string;

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-testhost-release-"));
    });

    afterEach(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("build-image.sh: one recipe hash per release, bookworm by default, side by side in the cache", () => {
        const byDefault = buildImage(tmp, "hash");
        const bookworm = buildImage(tmp, "hash", "bookworm");
        const trixie = buildImage(tmp, "hash", "trixie");
        for (const r of [byDefault, bookworm, trixie]) {
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
        }
        assert.strictEqual(byDefault.stdout, bookworm.stdout);
        assert.notStrictEqual(bookworm.stdout, trixie.stdout);
        const paths = TESTHOST_RELEASES.map((r) => buildImage(tmp, "path", r).stdout.trim());
        assert.deepStrictEqual(paths, [
            path.join(tmp, "testhost", bookworm.stdout.trim()),
            path.join(tmp, "testhost", trixie.stdout.trim()),
        ]);
    });

    it("imageDir(release) is the script's path for that release", () => {
        const prev = process.env.PULUMI_APPARMOR_CACHE;
        process.env.PULUMI_APPARMOR_CACHE = tmp;
        try {
            assert.strictEqual(imageDir("trixie"), buildImage(tmp, "path", "trixie").stdout.trim());
            assert.strictEqual(imageDir(), buildImage(tmp, "path", "bookworm").stdout.trim());
        } finally {
            if (prev === undefined) delete process.env.PULUMI_APPARMOR_CACHE;
            else process.env.PULUMI_APPARMOR_CACHE = prev;
        }
    });

    it("build-image.sh refuses an unknown release before touching the cache", () => {
        for (const cmd of ["hash", "path", "ensure"]) {
            const r = buildImage(tmp, cmd, "sid");
            assert.strictEqual(r.status, 1, `${cmd}: ${r.stdout}`);
            assert.match(r.stderr, /unknown release 'sid' \(expected bookworm or trixie\)/);
            assert.strictEqual(r.stdout, "");
        }
        assert.deepStrictEqual(fs.readdirSync(tmp), []);
    });

    it("checkRelease accepts bookworm and trixie only", () => {
        assert.strictEqual(checkRelease("bookworm"), "bookworm");
        assert.strictEqual(checkRelease("trixie"), "trixie");
        assert.throws(
            () => checkRelease("Trixie"),
            /unknown release "Trixie" \(expected bookworm or trixie\)/,
        );
    });

    it("CLI: --release is checked before anything starts, and is in the usage", async () => {
        for (const args of [
            ["start", "--release", "sid"],
            ["build", "--release", "bullseye"],
            ["start", "--release"],
        ]) {
            const c = captureIo();
            assert.strictEqual(await run(args, c.io as never), 2, args.join(" "));
            assert.match(c.out().stderr, /--release/);
            assert.match(
                c.out().stderr,
                /usage: pulumi-apparmor testhost start \[--release bookworm\|trixie\]/,
            );
        }
    });

    describe("cache-lib.sh", () => {
        function sh(script: string) {
            return spawnSync("sh", ["-c", `. '${LIB}'; ${script}`], { encoding: "utf8" });
        }

        it("cache_prune removes only old sha256-named directories other than the kept one, as the predicate says", () => {
            const keep = "a".repeat(64);
            const oldSame = "b".repeat(64);
            const oldOther = "c".repeat(64);
            const fresh = "d".repeat(64);
            for (const d of [keep, oldSame, oldOther, fresh, "debs", "debs-trixie", "0abc"]) {
                fs.mkdirSync(path.join(tmp, d));
            }
            fs.writeFileSync(path.join(tmp, oldOther, "other"), "");
            const dayAgo = new Date(Date.now() - 2 * 86400 * 1000);
            for (const d of [keep, oldSame, oldOther, "debs", "debs-trixie", "0abc"]) {
                fs.utimesSync(path.join(tmp, d), dayAgo, dayAgo);
            }
            const r = sh(
                `mine() { [ ! -e "$1/other" ]; }; cache_prune '${tmp}' '${keep}' mine && echo ok`,
            );
            assert.strictEqual(r.stdout.trim(), "ok", r.stderr);
            assert.deepStrictEqual(
                fs.readdirSync(tmp).sort(),
                ["0abc", keep, oldOther, fresh, "debs", "debs-trixie"].sort(),
            );
            // Without a predicate every old recipe directory goes.
            assert.strictEqual(sh(`cache_prune '${tmp}' '${keep}' && echo ok`).stdout.trim(), "ok");
            assert.deepStrictEqual(
                fs.readdirSync(tmp).sort(),
                ["0abc", keep, fresh, "debs", "debs-trixie"].sort(),
            );
        });

        it("cache_begin/cache_commit: a build directory is renamed into place, or removed when the builder exits early", () => {
            const done = sh(
                `cache_begin '${tmp}' k; echo x > "$cache_tmp/f"; cache_commit '${tmp}/k' 0700; echo ok`,
            );
            assert.strictEqual(done.stdout.trim(), "ok", done.stderr);
            assert.strictEqual(fs.readFileSync(path.join(tmp, "k", "f"), "utf8"), "x\n");
            assert.strictEqual(fs.statSync(path.join(tmp, "k")).mode & 0o777, 0o700);
            const failed = sh(`cache_begin '${tmp}' j; echo x > "$cache_tmp/f"; cache_die boom`);
            assert.strictEqual(failed.status, 1);
            assert.match(failed.stderr, /^cache: error: boom$/m);
            assert.deepStrictEqual(fs.readdirSync(tmp).sort(), ["k"]);
        });

        it("cache_find_mirror: the override wins", () => {
            const r = spawnSync("sh", ["-c", `. '${LIB}'; cache_find_mirror trixie`], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PULUMI_APPARMOR_DEBIAN_MIRROR: "http://mirror.example/debian",
                },
            });
            assert.strictEqual(r.stdout.trim(), "http://mirror.example/debian");
        });
    });
});
