/**
 * The test host keeps its keys private: the image cache (whose disk holds the VM's host key) and the
 * state dirs are 0700, key files 0600, existing caches are fixed on use; and the docker socket
 * forward's ssh pins the host key and reads no other ssh configuration. No VM needed.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerForwardArgs, privateDir } from "../../../src/testhost";

const SCRIPT = path.resolve(__dirname, "../../../src/testhost/build-image.sh");

function modeOf(file: string): string {
    return (fs.statSync(file).mode & 0o7777).toString(8);
}

function buildImage(cache: string, cmd: string) {
    return spawnSync("sh", [SCRIPT, cmd], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_APPARMOR_CACHE: cache },
    });
}

describe("testhost: private cache and state", function () {
    let tmp: string;

    beforeEach(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-testhost-private-"));
    });

    afterEach(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** A cached image as an older recipe left it: everything readable by all. */
    function worldReadableCache(cache: string): { image: string; old: string } {
        const hash = buildImage(cache, "hash").stdout.trim();
        const image = path.join(cache, "testhost", hash);
        const old = path.join(cache, "testhost", "0".repeat(64));
        for (const dir of [image, old]) {
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "disk.raw"), "disk with a private host key");
            fs.writeFileSync(path.join(dir, "image.json"), "{}\n");
            fs.chmodSync(path.join(dir, "disk.raw"), 0o644);
            fs.chmodSync(dir, 0o755);
        }
        fs.chmodSync(path.join(cache, "testhost"), 0o755);
        return { image, old };
    }

    it("build-image.sh ensure makes an existing cache private: root, testhost/, images 0700, disks 0600", function () {
        const cache = path.join(tmp, "cache");
        fs.mkdirSync(cache, { mode: 0o755 });
        fs.chmodSync(cache, 0o755);
        const { image, old } = worldReadableCache(cache);
        const r = buildImage(cache, "ensure");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), image);
        for (const dir of [cache, path.join(cache, "testhost"), image, old]) {
            assert.strictEqual(modeOf(dir), "700", dir);
        }
        for (const disk of [path.join(image, "disk.raw"), path.join(old, "disk.raw")]) {
            assert.strictEqual(modeOf(disk), "600", disk);
        }
    });

    it("build-image.sh ensure leaves a shared sticky cache root (like /tmp) as it is; testhost/ is private", function () {
        const cache = path.join(tmp, "shared");
        fs.mkdirSync(cache);
        fs.chmodSync(cache, 0o1777);
        const { image } = worldReadableCache(cache);
        const r = buildImage(cache, "ensure");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(modeOf(cache), "1777");
        assert.strictEqual(modeOf(path.join(cache, "testhost")), "700");
        assert.strictEqual(modeOf(path.join(image, "disk.raw")), "600");
    });

    it("privateDir creates missing directories 0700 and makes an existing one 0700", function () {
        const fresh = path.join(tmp, "a", "b", "state");
        privateDir(fresh);
        assert.strictEqual(modeOf(fresh), "700");
        assert.strictEqual(modeOf(path.join(tmp, "a", "b")), "700");
        const loose = path.join(tmp, "loose");
        fs.mkdirSync(loose);
        fs.chmodSync(loose, 0o755);
        privateDir(loose);
        assert.strictEqual(modeOf(loose), "700");
    });

    it("privateDir refuses a directory others can write (anyone could have planted files there)", function () {
        for (const mode of [0o1777, 0o777, 0o703]) {
            const dir = path.join(tmp, `open-${mode.toString(8)}`);
            fs.mkdirSync(dir);
            fs.chmodSync(dir, mode);
            assert.throws(
                () => privateDir(dir),
                /is writable by others; use a directory of its own/,
            );
            assert.strictEqual(modeOf(dir), mode.toString(8), "left as it was");
        }
    });

    it("the docker socket forward pins the host key and uses only the run's key and no ssh config", function () {
        const args = dockerForwardArgs({
            host: "127.0.0.1",
            port: 40022,
            user: "tester",
            privateKeyPath: "/state/id_ed25519",
            knownHostsPath: "/state/known_hosts",
            stateDir: "/state",
        });
        const options = args.filter((_, i) => args[i - 1] === "-o");
        for (const o of [
            "StrictHostKeyChecking=yes",
            "UserKnownHostsFile=/state/known_hosts",
            "GlobalKnownHostsFile=/dev/null",
            "UpdateHostKeys=no",
            "IdentitiesOnly=yes",
            "IdentityAgent=none",
            "BatchMode=yes",
            "ExitOnForwardFailure=yes",
            "StreamLocalBindMask=0177",
        ]) {
            assert.ok(options.includes(o), o);
        }
        assert.deepStrictEqual(args.slice(0, 2), ["-F", "none"], "no user or system ssh config");
        assert.strictEqual(args[args.indexOf("-i") + 1], "/state/id_ed25519");
        assert.strictEqual(args[args.indexOf("-p") + 1], "40022");
        assert.strictEqual(
            args[args.indexOf("-L") + 1],
            "/state/docker.sock:/var/run/docker.sock",
            "a local unix socket to the VM's docker socket, no TCP port",
        );
        assert.strictEqual(args[args.length - 1], "tester@127.0.0.1");
    });
});
