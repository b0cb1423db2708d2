/**
 * The host preparation script (`prepareScript`, run by the prepare `remote.Command`) under dash with
 * stand-in tools: each apt-get runs under `timeout`, so a hung download fails the step after the
 * host's stepTimeout, naming what timed out, and nothing after it runs.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { prepareScript } from "../../../src/components/hostops";

describe("components: prepare script timeouts (dash, stand-in apt-get)", function () {
    this.timeout(20_000);
    let bin = "";
    const which = (tool: string) =>
        spawnSync("sh", ["-c", `command -v ${tool}`])
            .stdout.toString()
            .trim();
    const dash = which("dash");
    before(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "pa-prepare-"));
        // A "hung" apt-get, and the tools the script needs; apparmor_parser is absent.
        fs.writeFileSync(path.join(bin, "apt-get"), "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
        for (const tool of ["sleep", "timeout", "mkdir"])
            fs.symlinkSync(which(tool), path.join(bin, tool));
        fs.symlinkSync(dash, path.join(bin, "sh"));
    });
    after(() => fs.rmSync(bin, { recursive: true, force: true }));

    it("a hung apt-get fails after the timeout with a message naming it; mkdir does not run", () => {
        const dir = path.join(bin, "never-created");
        const script = prepareScript("/etc/apparmor.d/containers", false, 1).replace(
            "'/etc/apparmor.d/containers'",
            `'${dir}'`,
        );
        const t0 = Date.now();
        const r = spawnSync(dash, ["-c", script], { env: { PATH: bin }, encoding: "utf8" });
        assert.strictEqual(r.status, 124, r.stderr);
        assert.match(
            r.stderr,
            /^pulumi-apparmor-prepare: apt-get update timed out after 1 s \(stepTimeout\)$/m,
        );
        assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
        assert.ok(!fs.existsSync(dir), "nothing after the timed-out step ran");
    });

    it("refuses a timeout that is not a number of seconds from 1 to 86400", () => {
        for (const t of [0, -1, 1.5, 86401, NaN])
            assert.throws(
                () => prepareScript("/etc/apparmor.d/containers", false, t),
                /invalid timeout/,
            );
    });
});
