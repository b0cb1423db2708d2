/**
 * The `read` host script on the real test VM: status of several profiles and denials from several
 * cursors in ONE run under one sudo give exactly what the `status` and `denials` scripts give run
 * alone; a part's failure is its own (a log source the host lacks); nothing is left behind.
 */
import * as assert from "assert";
import {
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    hostScripts,
    parseRead,
    readCommand,
    type DenialsResult,
    type HostExec,
    type ReadPart,
    type StatusResult,
} from "../../src/host";
import { sharedTestHost, type TestHostInfo } from "../support/testhost";
import {
    cleanup,
    dockerRun,
    execFor,
    root,
    secureProfile,
    waitForLogLines,
} from "./scripts-support";

const A = "pa-read-a";
const B = "pa-read-b";

describe("read script on the test VM", function () {
    this.timeout(600000);
    let info: TestHostInfo;
    let exec: HostExec;

    before(async function () {
        this.timeout(900000);
        info = await sharedTestHost();
        exec = execFor(info);
    });

    async function read(parts: ReadPart[]) {
        const c = readCommand(parts, { sudo: true });
        const out = await exec(c.command);
        return parseRead(parts, out);
    }

    it("status of many profiles + denials from distinct cursors in one run = each script run alone", async () => {
        const tmpBefore = (await root(info, "ls -d /tmp/tmp.* 2>/dev/null | wc -l")).stdout.trim();
        try {
            for (const n of [A, B])
                await hostScripts.install(exec, {
                    name: n,
                    text: secureProfile(n),
                    mode: n === A ? "enforce" : "complain",
                    sudo: true,
                });
            const c0 = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
            const run = await dockerRun(info, "mkdir -p /tmp/a; touch /tmp/a/x; echo touch=$?", {
                profile: A,
            });
            assert.match(run.stdout, /touch=1/, run.stderr);
            const seen = await waitForLogLines(
                exec,
                c0,
                (l) => l.includes(`profile="${A}"`) && l.includes('apparmor="DENIED"'),
            );
            assert.ok(seen.lines.length >= 1, "the denial reached the log");
            const c1 = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;

            const names = [A, B, "pa-read-absent", "status"];
            const parts: ReadPart[] = [
                { kind: "status", dir: DEFAULT_PROFILE_DIR, names },
                { kind: "denials", cursor: c0, maxBytes: 1024 * 1024, source: "auto" },
                { kind: "denials", cursor: c1, maxBytes: 1024 * 1024, source: "auto" },
                // this VM has no auditd: that source fails, in its own part
                { kind: "denials", cursor: c1, maxBytes: 1024, source: "auditlog" },
                // every profile this library manages on the host (a refresh's shared read)
                { kind: "status", dir: DEFAULT_PROFILE_DIR, names: [] },
                // from c0 up to c1 (a refresh's later wave aligned on its first read's position)
                { kind: "denials", cursor: c0, maxBytes: 1024 * 1024, source: "auto", until: c1 },
            ];
            const got = await read(parts);
            assert.strictEqual(got.length, 6);

            // status: what the status script alone says, profile by profile
            assert.ok(got[0].ok, String(!got[0].ok && got[0].error));
            const st = got[0].value as StatusResult;
            const alone = await hostScripts.status(exec, { names, sudo: true });
            assert.deepStrictEqual(st, alone);
            assert.deepStrictEqual(
                st.profiles.map((p) => [p.name, p.managed, p.loaded, p.kernelMode]),
                [
                    [A, true, true, "enforce"],
                    [B, true, true, "complain"],
                    ["pa-read-absent", false, false, null],
                    ["status", false, false, null],
                ],
            );
            assert.ok(st.profiles[0].policyMatchesFile && st.profiles[1].policyMatchesFile);

            // the all-profiles part: the managed ones (A and B among them) as status.sh without
            // names reports them, each entry identical to the named part's
            assert.ok(got[4].ok, String(!got[4].ok && got[4].error));
            const all = got[4].value as StatusResult;
            const ours = (r: StatusResult) =>
                r.profiles.filter((p) => p.name === A || p.name === B);
            assert.deepStrictEqual(ours(all), st.profiles.slice(0, 2));
            assert.ok(all.profiles.every((p) => p.managed));
            assert.deepStrictEqual(ours(all), ours(await hostScripts.status(exec, { sudo: true })));

            // denials: each part from its own cursor, as the denials script alone
            assert.ok(got[1].ok && got[2].ok);
            const d0 = got[1].value as DenialsResult;
            const d1 = got[2].value as DenialsResult;
            const mine = (d: DenialsResult) =>
                d.lines.filter((l) => l.includes(`profile="${A}"`) && l.includes("DENIED"));
            assert.ok(mine(d0).length >= 1, "the denial after c0 is read");
            assert.strictEqual(mine(d1).length, 0, "nothing of it after c1 (no double count)");
            const alone0 = await hostScripts.denials(exec, { cursor: c0, sudo: true });
            assert.deepStrictEqual(mine(alone0), mine(d0));
            assert.strictEqual(d0.source, alone0.source);
            assert.strictEqual(d0.cursor, d1.cursor, "both end at the log's end");
            // until c1: the same denial, and the read ends exactly at c1
            assert.ok(got[5].ok, String(!got[5].ok && got[5].error));
            const du = got[5].value as DenialsResult;
            assert.ok(c1.startsWith("journal:"), c1);
            assert.strictEqual(du.cursor, c1);
            assert.deepStrictEqual(mine(du), mine(d0));

            // the part of a source the host lacks fails alone, with the denials script's error
            const noAudit = await root(info, "test -e /var/log/audit/audit.log", {
                allowFail: true,
            });
            assert.notStrictEqual(noAudit.code, 0, "this VM has no auditd log");
            assert.ok(!got[3].ok, "the auditlog part failed");
            assert.ok(got[3].error instanceof HostScriptError, String(got[3].error));
            assert.strictEqual(got[3].error.script, "denials");
            assert.strictEqual(got[3].error.code, "no-source");
        } finally {
            await cleanup(info, [A, B]);
        }
        const tmpAfter = (await root(info, "ls -d /tmp/tmp.* 2>/dev/null | wc -l")).stdout.trim();
        assert.strictEqual(tmpAfter, tmpBefore, "the read left a temp directory");
    });

    it("as a user without sudo rights the read fails as a whole (not-root), naming the fix", async () => {
        const c = readCommand([{ kind: "denials", cursor: "now", maxBytes: 10, source: "auto" }]);
        const out = await exec(c.command); // no sudo -n: the unprivileged user itself
        assert.throws(
            () =>
                parseRead([{ kind: "denials", cursor: "now", maxBytes: 10, source: "auto" }], out),
            (e: unknown) =>
                e instanceof HostScriptError && e.script === "read" && e.code === "not-root",
        );
    });
});
