/**
 * An orphan left by a real `pulumi stack rm --force` (issue #16 item 3; `test/host/inventory.vm.test.ts`
 * plants one by hand). On the real engine, stack "keep" and stack "gone" each declare one `Profile` on
 * the test VM. `pulumi stack rm --force` removes stack "gone" with its state while its profile stays
 * loaded on the host; `pulumi-apparmor status --stack-export` of stack "keep"'s real `pulumi stack
 * export` then flags exactly that profile as an orphan (not "keep"'s own), and `--remove-orphans`
 * removes it (unloaded, file and manifest gone) and nothing else. `--profile` limits the listing and
 * the removal to these two names: the VM is shared with other tests.
 *
 * A function of the release (issue #18): engine.orphans.vm.test.ts runs it on the shared Debian 12
 * VM, engine.more.trixie.vm.test.ts on the shared Debian 13 VM, with the same assertions (the
 * loaded policy's hash read as raw_sha1 or, on trixie's kernel, raw_sha256: LOADED_POLICIES_SH).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run as status } from "../../src/cli/status";
import { Profile } from "../../src/components";
import { hostScripts } from "../../src/host";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { vmHostArgs } from "../support/handmade";
import { runCli } from "../support/cliRun";
import { PROFILE_DIR, secureProfile, vmContext, type VmContext } from "../support/vmStack";
import { execFor, LOADED_POLICIES_SH, POLICY_HASH_RE } from "../host/scripts-support";
import { releaseHost, type Release } from "../support/releases";
import { engineStack, type EngineStack } from "./engineHarness";

const KEEP = "pa-left-keep";
const GONE = "pa-left-gone";
const MANIFESTS = "/var/lib/pulumi-apparmor/profiles";
/** Stack "keep"'s profile on the host: file and manifest inode and mtime, its loaded policy's hash. */
const KEEP_MARKERS =
    `stat -c '%i %Y' ${PROFILE_DIR}/${KEEP} ${MANIFESTS}/${KEEP}; ` +
    `${LOADED_POLICIES_SH} | grep '^${KEEP} '; true`;

interface Row {
    name: string;
    managed: boolean;
    loaded: boolean;
    mode?: string;
    orphan?: boolean;
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function engineOrphansSuite(release: Release): void {
    describe(`components: an orphan left by \`pulumi stack rm --force\`, found and removed by status (real engine + VM)${releaseHost(release).suffix}`, function () {
        this.timeout(1_200_000);
        let ctx: VmContext;
        let keep: EngineStack;
        let gone: ThrowawayStack | undefined;
        let tmp: string;

        /** One Profile on the VM (the VM is prepared already: no remote.Command step). */
        const program = (name: string) => async () => {
            new Profile("p", {
                hosts: [ctx.host()],
                profile: secureProfile(name),
                mode: "enforce",
                prepareHosts: false,
            });
        };
        /** Per name: loaded mode, file present, manifest present — what the host has. */
        const onHost = async (name: string) =>
            (
                await ctx.root(
                    `sed -n 's/^${name} (\\(.*\\))$/\\1/p' /sys/kernel/security/apparmor/profiles; ` +
                        `ls ${PROFILE_DIR}/${name} ${MANIFESTS}/${name} 2>/dev/null; true`,
                )
            ).stdout;
        const clear = async () => {
            const exec = execFor(ctx.vm);
            for (const n of [KEEP, GONE])
                await hostScripts.remove(exec, { name: n, sudo: true, onInUse: "remove" });
            await ctx.clearProfiles([KEEP, GONE]);
        };
        const cli = (...extra: string[]) =>
            runCli(status, [...vmHostArgs(ctx.vm), "--profile", KEEP, "--profile", GONE, ...extra]);

        before(async function () {
            this.timeout(1_800_000);
            ctx = await vmContext(await releaseHost(release).host());
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-orphans-"));
            await clear();
            keep = await engineStack("components-orphans-keep", program(KEEP));
            gone = await createThrowawayStack({
                program: program(GONE),
                projectName: "components-orphans-gone",
                stackName: "gone",
            });
        });
        after(async function () {
            if (keep) await keep.cleanup();
            // Stack "gone" no longer exists (its destroy would fail): only its temp folders go.
            if (gone) fs.rmSync(gone.tempDir, { recursive: true, force: true });
            if (ctx) await clear();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("`pulumi stack rm --force` removes the stack's state and leaves its profile on the host", async () => {
            assert.strictEqual(
                (await keep.stack.up({ color: "never" })).summary.result,
                "succeeded",
            );
            assert.strictEqual((await gone!.up()).result.summary.result, "succeeded");
            for (const n of [KEEP, GONE])
                assert.strictEqual(
                    await onHost(n),
                    `enforce\n${PROFILE_DIR}/${n}\n${MANIFESTS}/${n}\n`,
                    `${n} installed`,
                );
            await gone!.cli(["stack", "rm", "--force", "--yes"]);
            assert.deepStrictEqual(await gone!.stack.workspace.listStacks(), [], "stack gone");
            assert.strictEqual(
                await onHost(GONE),
                `enforce\n${PROFILE_DIR}/${GONE}\n${MANIFESTS}/${GONE}\n`,
                "its profile stays loaded, with file and manifest",
            );
        });

        it("status --stack-export of the remaining stack flags it as an orphan; --remove-orphans removes it and nothing else", async () => {
            const exportFile = path.join(tmp, "keep.json");
            fs.writeFileSync(exportFile, await keep.exportStackText());

            const flagged = await cli("--json", "--stack-export", exportFile);
            assert.strictEqual(flagged.code, 0, flagged.stderr);
            const rows = (JSON.parse(flagged.stdout) as { profiles: Row[] }).profiles;
            assert.deepStrictEqual(
                rows.map((r) => [r.name, r.managed, r.loaded, r.mode, r.orphan]),
                [
                    [GONE, true, true, "enforce", true],
                    [KEEP, true, true, "enforce", false],
                ],
            );
            const table = await cli("--stack-export", exportFile);
            assert.match(
                table.stdout,
                new RegExp(`^${GONE}\\s+yes\\s.*\\sORPHAN$`, "m"),
                table.stdout,
            );

            const keepBefore = await ctx.root(KEEP_MARKERS);
            // the markers hold the loaded policy's hash (not an empty read on either kernel)
            assert.match(keepBefore.stdout, new RegExp(`\n${KEEP} ${POLICY_HASH_RE} enforce\n$`));
            const r = await cli("--stack-export", exportFile, "--remove-orphans");
            assert.strictEqual(r.code, 0, r.stdout + r.stderr);
            assert.match(r.stdout, new RegExp(`^removed orphan ${GONE}$`, "m"));
            assert.doesNotMatch(r.stdout, new RegExp(`orphan ${KEEP}`));
            assert.strictEqual(await onHost(GONE), "", "unloaded; file and manifest gone");
            assert.strictEqual(
                await onHost(KEEP),
                `enforce\n${PROFILE_DIR}/${KEEP}\n${MANIFESTS}/${KEEP}\n`,
            );
            assert.strictEqual(
                (await ctx.root(KEEP_MARKERS)).stdout,
                keepBefore.stdout,
                "the remaining stack's profile untouched",
            );
            const after = await cli("--json", "--stack-export", exportFile);
            assert.deepStrictEqual(
                (JSON.parse(after.stdout) as { profiles: Row[] }).profiles.map((p) => [
                    p.name,
                    p.orphan,
                ]),
                [[KEEP, false]],
            );
            // The remaining stack still sees its profile in sync.
            await keep.stack.preview({ expectNoChanges: true, refresh: true, color: "never" });
        });
    });
}
