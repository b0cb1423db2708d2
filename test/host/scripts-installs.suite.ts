/**
 * The `installs` host script on the real test VM: several installs in ONE run under one sudo give
 * each item exactly what the `install` script gives alone: new profiles loaded in their modes with
 * the file the result names, one log position (taken before every load) and the ABI facts for all,
 * a text the parser refuses and an unmanaged name failing on their own with install's own errors
 * (nothing written for them), the unchanged path on a second run; a cut input changes nothing; no
 * work directory stays.
 * A function of the release (issue #18): scripts-installs.test.ts runs it on the shared Debian 12
 * VM, scripts-installs.trixie.test.ts on the shared Debian 13 one (kernel 6.12, AppArmor 4.1).
 */
import * as assert from "assert";
import {
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    hostScripts,
    installsCommand,
    parseInstall,
    parseInstalls,
    runInstalls,
    type HostExec,
    type InstallArgs,
    type InstallsOutcome,
} from "../../src/host";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { cleanup, execFor, fileSha256, kernelMode, root, secureProfile } from "./scripts-support";

const A = "pa-inst-a";
const B = "pa-inst-b";
const BROKEN = "pa-inst-broken";
const FOREIGN = "pa-inst-foreign";
const CUT = "pa-inst-cut";

/** An item's error, as code and message (what a caller reports). */
function errorOf(o: InstallsOutcome): { code: string; message: string } {
    assert.ok(!o.ok, "the item failed");
    assert.ok(o.error instanceof HostScriptError, String(o.error));
    return { code: o.error.code, message: o.error.message };
}

async function aloneError(
    exec: HostExec,
    a: InstallArgs,
): Promise<{ code: string; message: string }> {
    try {
        await hostScripts.install(exec, a);
    } catch (e) {
        assert.ok(e instanceof HostScriptError, String(e));
        return { code: e.code, message: e.message };
    }
    throw new Error(`${a.name}: the install alone succeeded`);
}

/** The suite on the shared VM of `release`. */
export function scriptsInstallsSuite(release: Release): void {
    describe(`installs script on the test VM${releaseHost(release).suffix}`, function () {
        this.timeout(600000);
        let info: TestHostInfo;
        let exec: HostExec;

        before(async function () {
            this.timeout(1800000);
            info = await releaseHost(release).host();
            exec = execFor(info);
        });

        after(async () => {
            await cleanup(info, [A, B, BROKEN, CUT, `${CUT}2`]);
            await root(info, `rm -f ${DEFAULT_PROFILE_DIR}/${FOREIGN}`);
        });

        it("several installs in one run: each item gets what install alone gives", async () => {
            const tmpBefore = (await root(info, "ls -d /tmp/tmp.* 2>/dev/null; true")).stdout;
            // a file this library did not install, under a name an item asks for
            const foreign = `${secureProfile(FOREIGN)}# not ours\n`;
            await root(
                info,
                `mkdir -p ${DEFAULT_PROFILE_DIR} && cat > ${DEFAULT_PROFILE_DIR}/${FOREIGN}`,
                {
                    stdin: foreign,
                },
            );
            const items: InstallArgs[] = [
                {
                    name: A,
                    text: secureProfile(A),
                    mode: "enforce",
                    position: true,
                    facts: true,
                    sudo: true,
                },
                // not ASCII: the texts are split by byte counts
                {
                    name: B,
                    text: `# café ✓ — ${B}\n${secureProfile(B)}`,
                    mode: "complain",
                    position: true,
                    facts: true,
                    sudo: true,
                },
                {
                    name: BROKEN,
                    text: `profile ${BROKEN} {\n  /tmp/x rw\n  no such rule,\n}\n`,
                    mode: "enforce",
                    position: true,
                    facts: true,
                    sudo: true,
                },
                {
                    name: FOREIGN,
                    text: secureProfile(FOREIGN),
                    mode: "enforce",
                    facts: true,
                    sudo: true,
                },
            ];
            const got = await runInstalls(exec, items, { sudo: true });
            assert.strictEqual(got.length, 4);

            // A and B: created, loaded in their modes, the files as the results name them
            for (const [i, name, mode] of [
                [0, A, "enforce"],
                [1, B, "complain"],
            ] as const) {
                const o = got[i];
                assert.ok(o.ok, String(!o.ok && o.error));
                const r = o.result;
                assert.strictEqual(r.name, name);
                assert.strictEqual(r.changed, true);
                assert.strictEqual(r.kernelMode, mode);
                assert.strictEqual(await kernelMode(info, name), mode);
                assert.strictEqual(
                    await fileSha256(info, `${DEFAULT_PROFILE_DIR}/${name}`),
                    r.sha256,
                );
                assert.ok(r.hostAbi, "facts asked: the host's ABI reported");
                assert.ok(r.position?.cursor, "position asked: the log's end reported");
            }
            // one position and one facts read for the run: the same for both
            assert.ok(got[0].ok && got[1].ok);
            assert.deepStrictEqual(got[0].result.position, got[1].result.position);
            assert.deepStrictEqual(got[0].result.hostAbi, got[1].result.hostAbi);
            // taken before the loads: the denials script from it sees both loads' own records
            const since = await hostScripts.denials(exec, {
                cursor: got[0].result.position!.cursor,
                sudo: true,
            });
            for (const name of [A, B])
                assert.ok(
                    since.lines.some(
                        (l) =>
                            l.includes(`name="${name}"`) &&
                            /operation="profile_(load|replace)"/.test(l),
                    ),
                    `${name}'s load follows the position`,
                );

            // the refused text and the unmanaged name: install's own errors, as alone; nothing written
            const broken = errorOf(got[2]);
            assert.strictEqual(broken.code, "parse-failed");
            const foreignErr = errorOf(got[3]);
            assert.strictEqual(foreignErr.code, "unmanaged");
            assert.deepStrictEqual(broken, await aloneError(exec, items[2]));
            assert.deepStrictEqual(foreignErr, await aloneError(exec, items[3]));
            assert.strictEqual(await fileSha256(info, `${DEFAULT_PROFILE_DIR}/${BROKEN}`), "");
            assert.strictEqual(await kernelMode(info, BROKEN), "");
            assert.strictEqual(
                (await root(info, `cat ${DEFAULT_PROFILE_DIR}/${FOREIGN}`)).stdout,
                foreign,
            );

            // again: the unchanged path for both, as install alone reports it
            const again = await runInstalls(exec, items.slice(0, 2), { sudo: true });
            for (const [i, o] of again.entries()) {
                assert.ok(o.ok, String(!o.ok && o.error));
                assert.strictEqual(o.result.changed, false);
                const alone = await hostScripts.install(exec, items[i]);
                const { position: p1, ...r1 } = o.result;
                const { position: p2, ...r2 } = alone;
                assert.deepStrictEqual(r1, r2);
                assert.ok(p1?.cursor && p2?.cursor);
            }

            // no work directory of these runs stays
            const tmpAfter = (await root(info, "ls -d /tmp/tmp.* 2>/dev/null; true")).stdout;
            const left = tmpAfter
                .split("\n")
                .filter((d) => d && !tmpBefore.split("\n").includes(d));
            for (const d of left) {
                // another test file's script may be running on the shared VM: only ours must go
                const r = await root(info, `ls ${d} 2>/dev/null; true`);
                assert.doesNotMatch(r.stdout, /^i\d+$/m, `an installs work directory stayed: ${d}`);
            }
        });

        it("a cut input changes nothing: every item reports it", async () => {
            const items: InstallArgs[] = [
                { name: CUT, text: secureProfile(CUT), mode: "enforce", sudo: true },
                { name: `${CUT}2`, text: secureProfile(`${CUT}2`), mode: "enforce", sudo: true },
            ];
            const c = installsCommand(items, { sudo: true });
            const out = await exec(c.command, c.stdin!.slice(0, c.stdin!.length - 100));
            assert.notStrictEqual(out.exitCode, 0);
            for (const o of parseInstalls(out, 2))
                assert.throws(
                    () => parseInstall(o),
                    (e: unknown) =>
                        e instanceof HostScriptError &&
                        e.code === "incomplete-input" &&
                        /nothing was changed/.test(e.message),
                );
            for (const n of [CUT, `${CUT}2`]) {
                assert.strictEqual(await fileSha256(info, `${DEFAULT_PROFILE_DIR}/${n}`), "");
                assert.strictEqual(await kernelMode(info, n), "");
            }
        });
    });
}
