/**
 * lib.sh's loaded_sha1 (the loaded policy's raw_sha1, behind install's verification, status and
 * remove) on a stand-in securityfs: the kernel's raw_sha1 when it publishes one (Debian 12's 6.1), the
 * sha1 of raw_data when it publishes only raw_sha256 (Debian 13's 6.12). No VM.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostScriptDir } from "../../../src/host";

describe("host scripts: loaded_sha1 on kernels with and without raw_sha1", function () {
    let secfs: string;

    before(function () {
        secfs = fs.mkdtempSync(path.join(os.tmpdir(), "pa-secfs-"));
        const put = (dir: string, files: Record<string, string>) => {
            fs.mkdirSync(path.join(secfs, "policy", "profiles", dir), { recursive: true });
            for (const [f, text] of Object.entries(files)) {
                fs.writeFileSync(path.join(secfs, "policy", "profiles", dir, f), text);
            }
        };
        // 6.1: raw_sha1 published (and trusted as is)
        put("old.1", { name: "old\n", raw_data: "blob-old", raw_sha1: "feedface\n" });
        // 6.12: raw_sha256 only
        put("new.2", { name: "new\n", raw_data: "blob-new", raw_sha256: "00\n" });
        put("with_space.3", { name: "with space\n", raw_data: "blob-sp" });
    });

    after(function () {
        fs.rmSync(secfs, { recursive: true, force: true });
    });

    function loadedSha1(name: string): string {
        const lib = path.join(hostScriptDir(), "lib.sh");
        const r = spawnSync(
            "sh",
            [
                "-c",
                `. "$1"; PA_SECFS="$2"; loaded_sha1 "$3"; echo "dir=$pa_ldir"`,
                "sh",
                lib,
                secfs,
                name,
            ],
            { encoding: "utf8" },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout;
    }

    const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

    it("takes the kernel's raw_sha1 when there is one", () => {
        assert.strictEqual(loadedSha1("old"), `feedface\ndir=${secfs}/policy/profiles/old.1\n`);
    });

    it("takes the sha1 of the loaded blob (raw_data) when the kernel has only raw_sha256", () => {
        assert.strictEqual(
            loadedSha1("new"),
            `${sha1("blob-new")}\ndir=${secfs}/policy/profiles/new.2\n`,
        );
        assert.strictEqual(
            loadedSha1("with space"),
            `${sha1("blob-sp")}\ndir=${secfs}/policy/profiles/with_space.3\n`,
        );
    });

    it("prints nothing for a profile that is not loaded", () => {
        assert.strictEqual(loadedSha1("absent"), "dir=\n");
    });
});
