/**
 * The `read` host script on the real test VM: status of several profiles and denials from several
 * cursors in ONE run under one sudo give exactly what the `status` and `denials` scripts give run
 * alone; the labels of containers in the same run give what the per-container read used before
 * (#17) gave, ID by ID; a part's failure is its own (a log source the host lacks); nothing is left
 * behind.
 * A function of the release (issue #18): scripts-read.test.ts runs it on the shared Debian 12 VM,
 * scripts-read.trixie.test.ts on the shared Debian 13 one (kernel 6.12, AppArmor 4.1).
 */
import * as assert from "assert";
import {
    containerLabelOf,
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    shellQuote,
    hostScripts,
    parseRead,
    readCommand,
    type DenialsResult,
    type HostExec,
    type LabelsResult,
    type ReadPart,
    type StatusResult,
} from "../../src/host";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
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
const C = "pa-read-c";

/**
 * The per-container label read the Confinement check ran before #17 (one SSH exec per container,
 * then `cat /sys/module/apparmor/parameters/enabled` when the label was wrong), kept here verbatim
 * as the reference the labels part must agree with.
 */
const OLD_LABEL_SCRIPT = [
    'pid=$(docker inspect -f "{{.State.Pid}}" "$1" 2>/dev/null) || { echo "missing"; exit 0; }',
    'if [ -z "$pid" ] || [ "$pid" = 0 ]; then echo "stopped"; exit 0; fi',
    'printf "label=%s\\n" "$(cat "/proc/$pid/attr/current" 2>/dev/null || echo unconfined)"',
].join("\n");
const OLD_APPARMOR_ENABLED = "cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo N";

async function oldLabel(exec: HostExec, id: string) {
    const r = await exec(
        `sudo -n sh -c ${shellQuote(OLD_LABEL_SCRIPT)} pulumi-apparmor-container ${shellQuote(id)}`,
    );
    const out = r.stdout.trim();
    assert.strictEqual(r.exitCode, 0, r.stderr);
    if (out === "missing" || out === "stopped") return { state: out };
    const m = /^label=(.*)$/m.exec(out);
    assert.ok(m, out);
    return { state: "running", label: m[1].trim() };
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsReadSuite(release: Release): void {
    describe(`read script on the test VM${releaseHost(release).suffix}`, function () {
        this.timeout(600000);
        let info: TestHostInfo;
        let exec: HostExec;

        before(async function () {
            this.timeout(1800000);
            info = await releaseHost(release).host();
            exec = execFor(info);
        });

        /** The host's /tmp/tmp.* directories (mktemp's; every script's work directory). */
        async function tmpDirs(): Promise<string[]> {
            const r = await root(info, "ls -d /tmp/tmp.* 2>/dev/null; true");
            return r.stdout.split("\n").filter(Boolean);
        }

        /**
         * Directories that were not there `before` and stay: other test files on a shared VM run scripts
         * meanwhile, whose directories go when their run ends (waited for up to 60 s); one this file's
         * reads left behind never goes.
         */
        async function leftTmpDirs(before: readonly string[]): Promise<string[]> {
            let left: string[] = [];
            for (let i = 0; i < 30; i++) {
                left = (await tmpDirs()).filter((d) => !before.includes(d));
                if (left.length === 0) break;
                await new Promise((res) => setTimeout(res, 2000));
            }
            return left;
        }

        async function read(parts: ReadPart[]) {
            const c = readCommand(parts, { sudo: true });
            const out = await exec(c.command);
            return parseRead(parts, out);
        }

        it("status of many profiles + denials from distinct cursors in one run = each script run alone", async () => {
            const tmpBefore = await tmpDirs();
            try {
                for (const n of [A, B])
                    await hostScripts.install(exec, {
                        name: n,
                        text: secureProfile(n),
                        mode: n === A ? "enforce" : "complain",
                        sudo: true,
                    });
                const c0 = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
                const run = await dockerRun(
                    info,
                    "mkdir -p /tmp/a; touch /tmp/a/x; echo touch=$?",
                    {
                        profile: A,
                    },
                );
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
                    {
                        kind: "denials",
                        cursor: c0,
                        maxBytes: 1024 * 1024,
                        source: "auto",
                        until: c1,
                    },
                    // from c0, ending where the run's first journal read (part 1) ended (read.sh's
                    // UNTIL "=": a refresh's first run leaves all its profiles at one position)
                    {
                        kind: "denials",
                        cursor: c0,
                        maxBytes: 1024 * 1024,
                        source: "auto",
                        align: true,
                    },
                    // already at its UNTIL: nothing read, the cursor kept (not read on past it)
                    {
                        kind: "denials",
                        cursor: c1,
                        maxBytes: 1024 * 1024,
                        source: "auto",
                        until: c1,
                    },
                ];
                const got = await read(parts);
                assert.strictEqual(got.length, 8);

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
                assert.deepStrictEqual(
                    ours(all),
                    ours(await hostScripts.status(exec, { sudo: true })),
                );

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
                // aligned: the same denial, ending at part 1's end
                assert.ok(got[6].ok, String(!got[6].ok && got[6].error));
                const da = got[6].value as DenialsResult;
                assert.strictEqual(da.cursor, d0.cursor);
                assert.deepStrictEqual(mine(da), mine(d0));
                // at its UNTIL already: empty, at c1
                assert.ok(got[7].ok, String(!got[7].ok && got[7].error));
                const de = got[7].value as DenialsResult;
                assert.strictEqual(de.cursor, c1);
                assert.strictEqual(de.lines.length, 0);

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
            assert.deepStrictEqual(
                await leftTmpDirs(tmpBefore),
                [],
                "the read left a temp directory",
            );
        });

        it("labels part beside a status part: each container ID's answer = the old per-container read", async () => {
            // a container named like a 12-digit ID: docker resolves that name before any ID prefix
            const hexName = "c0ffee0a17a0";
            const names = ["pa-read-ctr-run", "pa-read-ctr-plain", "pa-read-ctr-stopped", hexName];
            const tmpBefore = await tmpDirs();
            try {
                await cleanup(info, [], names);
                await hostScripts.install(exec, {
                    name: C,
                    text: secureProfile(C),
                    mode: "enforce",
                    sudo: true,
                });
                const start = async (name: string, script: string, profile?: string) => {
                    const r = await dockerRun(info, script, {
                        name,
                        detach: true,
                        ...(profile ? { profile } : {}),
                    });
                    assert.strictEqual(r.code, 0, r.stderr);
                    return r.stdout.trim();
                };
                const run = await start("pa-read-ctr-run", "sleep 3600", C);
                const plain = await start("pa-read-ctr-plain", "sleep 3600");
                const stopped = await start("pa-read-ctr-stopped", "true");
                await root(info, `docker wait ${stopped}`);
                const named = await start(hexName, "sleep 3600", C);
                const ids = [
                    run,
                    plain,
                    stopped,
                    run.slice(0, 12),
                    "f".repeat(64), // no such container
                    hexName, // the name, not an ID prefix
                    named,
                ];
                const got = await read([
                    { kind: "status", dir: DEFAULT_PROFILE_DIR, names: [C] },
                    { kind: "labels", ids },
                ]);
                assert.ok(got[0].ok, String(!got[0].ok && got[0].error));
                assert.ok(got[1].ok, String(!got[1].ok && got[1].error));
                const labels = got[1].value as LabelsResult;
                const answers = ids.map((id) => containerLabelOf(labels, id));
                for (const [i, id] of ids.entries())
                    assert.deepStrictEqual(answers[i], await oldLabel(exec, id), id);
                // and what that is, so the equality is not between two empty reads
                assert.deepStrictEqual(answers, [
                    { state: "running", label: `${C} (enforce)` },
                    { state: "running", label: "docker-default (enforce)" },
                    { state: "stopped" },
                    { state: "running", label: `${C} (enforce)` },
                    { state: "missing" },
                    { state: "running", label: `${C} (enforce)` },
                    { state: "running", label: `${C} (enforce)` },
                ]);
                const enabled = (await exec(OLD_APPARMOR_ENABLED)).stdout.trim() === "Y";
                assert.strictEqual(labels.apparmor.enabled, enabled);
                assert.strictEqual(enabled, true);
                // the status part beside it: the status script's own answer
                const alone = await hostScripts.status(exec, { names: [C], sudo: true });
                assert.deepStrictEqual(got[0].value, alone);
                assert.deepStrictEqual(
                    await leftTmpDirs(tmpBefore),
                    [],
                    "the read left a temp directory",
                );
            } finally {
                await cleanup(info, [C], names);
            }
        });

        it("as a user without sudo rights the read fails as a whole (not-root), naming the fix", async () => {
            const c = readCommand([
                { kind: "denials", cursor: "now", maxBytes: 10, source: "auto" },
            ]);
            const out = await exec(c.command); // no sudo -n: the unprivileged user itself
            assert.throws(
                () =>
                    parseRead(
                        [{ kind: "denials", cursor: "now", maxBytes: 10, source: "auto" }],
                        out,
                    ),
                (e: unknown) =>
                    e instanceof HostScriptError && e.script === "read" && e.code === "not-root",
            );
        });
    });
}
