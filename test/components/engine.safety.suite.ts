/**
 * Issue #13 findings 5 and 6 through `Profile` on the real engine and the shared test VM:
 *  1. a profile file and a loaded policy of the same name that pulumi-apparmor did not install make
 *     `up` fail, naming the host and the fix (`adopt: true`), and nothing there changes;
 *  2. with `adopt: true` `up` takes them over, and `destroy` restores both: the file byte for byte and
 *     the very same loaded policy (raw_sha1);
 *  3. `destroy` while a container that is not in the stack runs under a profile fails, naming the
 *     host, the profile and the process count; the container stays confined;
 *  4. with `onDeleteInUse: "remove"` the destroy goes through (the container then runs unconfined).
 */
import { releaseHost, type Release } from "../support/releases";
import { LOADED_POLICIES_SH, POLICY_HASH_RE } from "../host/scripts-support";
import * as assert from "assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { Profile } from "../../src/components";
import { PROFILE_DIR as DIR, secureProfile, vmContext, type VmContext } from "../support/vmStack";
import { engineStack, type EngineStack } from "./engineHarness";

const ADOPT = "pa-eng-adopt";
const INUSE = "pa-eng-inuse";
const CTR = "pa-eng-inuse-c";
const STATE = "/var/lib/pulumi-apparmor";

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function engineSafetySuite(release: Release): void {
    describe(`components: adopt and onDeleteInUse on the real engine + VM (issue #13)${releaseHost(release).suffix}`, function () {
        this.timeout(1_800_000);
        let ctx: VmContext;
        let st: EngineStack;
        let stack: Stack;
        let target = "";
        const spec = {
            withAdopted: true,
            adopt: false,
            onDeleteInUse: "refuse" as "refuse" | "remove",
        };
        const handText = `profile ${ADOPT} flags=(complain) {\n  file,\n  deny /etc/hostname r,\n}\n`;

        const program = async () => {
            if (spec.withAdopted)
                new Profile("adopted", {
                    hosts: [ctx.host()],
                    profile: secureProfile(ADOPT),
                    adopt: spec.adopt,
                    prepareHosts: false,
                });
            const p = new Profile("inuse", {
                hosts: [ctx.host()],
                profile: secureProfile(INUSE),
                onDeleteInUse: spec.onDeleteInUse,
                prepareHosts: false,
            });
            return { securityOpt: p.securityOpt };
        };

        /** File sha256, the loaded policy's hash and mode of `name` on the VM. */
        async function hostState(name: string): Promise<string> {
            const r = await ctx.root(
                `sha256sum < ${DIR}/${name}; ${LOADED_POLICIES_SH} | grep '^${name} '; ` +
                    `ls ${STATE}/profiles/${name} 2>&1; true`,
            );
            return r.stdout;
        }

        async function label(): Promise<string> {
            const r = await ctx.root(
                `pid=$(docker inspect -f '{{.State.Pid}}' ${CTR}) && cat /proc/$pid/attr/current`,
            );
            return r.stdout.trim();
        }

        async function clear(): Promise<void> {
            await ctx.root(
                `docker rm -f ${CTR} >/dev/null 2>&1; for n in ${ADOPT} ${INUSE}; do ` +
                    `printf %s $n > /sys/kernel/security/apparmor/.remove 2>/dev/null; ` +
                    `rm -rf ${DIR}/$n ${STATE}/profiles/$n ${STATE}/adopted/$n; done; true`,
            );
        }

        before(async function () {
            ctx = await vmContext(await releaseHost(release).host());
            target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
            await clear();
            // The profile someone else installed: a file and its loaded policy (complain mode).
            const r = await ctx.root(
                `mkdir -p ${DIR} && printf '%s' '${handText}' > ${DIR}/${ADOPT} && apparmor_parser -r -K ${DIR}/${ADOPT}`,
            );
            assert.strictEqual(r.code, 0, r.stderr);
            st = await engineStack("components-safety", program);
            stack = st.stack;
        });
        after(async function () {
            if (st) {
                spec.onDeleteInUse = "remove";
                await ctx.root(`docker rm -f ${CTR} >/dev/null 2>&1; true`);
                await st.cleanup();
            }
            if (ctx) await clear();
        });

        it("up refuses to replace a profile it did not install, naming the host and the fix; nothing changes", async () => {
            const before = await hostState(ADOPT);
            assert.match(before, new RegExp(`\n${ADOPT} ${POLICY_HASH_RE} complain\n`));
            let message = "";
            await assert.rejects(
                () => stack.up({ color: "never" }),
                (e: Error) => ((message = e.message), true),
            );
            assert.match(
                message,
                new RegExp(`${target.replace(/[.]/g, "\\.")}: load failed`),
                message,
            );
            assert.match(
                message,
                new RegExp(`${DIR}/${ADOPT} and a loaded profile named ${ADOPT}`),
            );
            assert.match(message, /did not install it; nothing was changed/);
            assert.match(message, /set adopt: true/);
            assert.strictEqual(await hostState(ADOPT), before, "the unmanaged profile was touched");
            assert.strictEqual((await ctx.root(`cat ${DIR}/${ADOPT}`)).stdout, handText);
        });

        it("adopt: true takes it over; destroy (refused for the profile in use) restores the original file and policy", async () => {
            const original = await hostState(ADOPT);
            spec.adopt = true;
            const up = await stack.up({ color: "never" });
            assert.strictEqual(up.summary.result, "succeeded");
            const ours = await hostState(ADOPT);
            assert.notStrictEqual(ours, original);
            assert.match(ours, new RegExp(`\n${ADOPT} ${POLICY_HASH_RE} enforce\n`));

            const opt = (await st.outputs()).securityOpt as string;
            const run = await ctx.root(
                `docker run -d --name ${CTR} --security-opt ${opt} local/busybox:latest sleep 100000`,
            );
            assert.strictEqual(run.code, 0, run.stderr);
            assert.strictEqual(await label(), `${INUSE} (enforce)`);

            let message = "";
            await assert.rejects(
                () => stack.destroy({ color: "never" }),
                (e: Error) => ((message = e.message), true),
            );
            // Finding 6: the refusal names the host, the profile and the process count.
            assert.match(
                message,
                new RegExp(
                    `${target.replace(/[.]/g, "\\.")}: remove failed: profile ${INUSE} is still in use ` +
                        `on host ${target.replace(/[.]/g, "\\.")}: 1 process\\(es\\)`,
                ),
                message,
            );
            assert.match(message, /onDeleteInUse: "remove"/);
            assert.strictEqual(
                await label(),
                `${INUSE} (enforce)`,
                "the container lost its profile",
            );
            // Finding 5: the adopted profile's delete restored the original exactly.
            assert.strictEqual(await hostState(ADOPT), original, "not restored");
            assert.strictEqual((await ctx.root(`cat ${DIR}/${ADOPT}`)).stdout, handText);
        });

        it('onDeleteInUse: "remove" lets destroy unload it (the container then runs unconfined)', async () => {
            spec.withAdopted = false;
            spec.onDeleteInUse = "remove";
            const up = await stack.up({ color: "never" });
            assert.strictEqual(up.summary.result, "succeeded");
            await stack.destroy({ color: "never" });
            const loaded = await ctx.root(
                `grep -c '^${INUSE} ' /sys/kernel/security/apparmor/profiles`,
            );
            assert.strictEqual(loaded.stdout.trim(), "0");
            assert.strictEqual(await label(), "unconfined");
            // The restored original is untouched by all of this.
            assert.strictEqual((await ctx.root(`cat ${DIR}/${ADOPT}`)).stdout, handText);
        });
    });
}
