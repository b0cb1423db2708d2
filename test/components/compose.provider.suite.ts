/**
 * ComposeDeployment's provider called directly (no engine) against the real test VM, for the
 * ownership record per stack (#12, #16): create records this stack as the project's owner; a record
 * without owner (an earlier version's) is reported by read and makes the diff an update, which records
 * the owner; a renamed stack's diff is an update that passes the former name (`was=`) and records
 * the new one, the containers untouched; another stack taking the project over is reported by read
 * (`recordedOwner`, drift naming the stack and the fix), and the update then refuses
 * (`foreign-owner`, also with `adopt`) unless `adoptFrom` names that stack, which the output
 * `takeover` then records; delete brings the project down. The same code runs inside the engine in
 * `engine.compose.vm.test.ts`.
 *
 * A function of the release (issue #18): compose.provider.vm.test.ts runs it on the shared Debian 12
 * VM, providers.trixie.vm.test.ts on the shared Debian 13 VM, with the same assertions.
 */
import * as assert from "assert";
import { hostScripts, type HostExec } from "../../src/host";
import { composeScripts } from "../../src/host/compose";
import {
    composeProvider,
    type ComposeDeploymentInputs,
    type ComposeDeploymentOutputs,
} from "../../src/components/composeProvider";
import type { PlainConnection } from "../../src/components/connection";
import { closeAll } from "../../src/components/ssh";
import type { TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { plainConnection } from "../support/vmStack";
import { execFor, installSecureProfile, oneServiceCompose, root } from "../host/scripts-support";

const PROJECT = "pa-cprov-own";
const PROFILE = "pa-cprov";
const RECORD = `/var/lib/pulumi-apparmor/compose/${PROJECT}`;
const OWNER_A = "organization/shop/a";
const OWNER_A2 = "organization/shop/a-renamed";
const OWNER_B = "organization/other-shop/b";
const FILE = oneServiceCompose(PROFILE);

/** The compose provider's ownership cases on the shared VM of `release` (trixie's titles name it). */
export function composeProviderSuite(release: Release): void {
    const { host, suffix } = releaseHost(release);

    describe(`components: compose provider ownership against the test VM${suffix}`, function () {
        this.timeout(900_000);
        let vm: TestHostInfo;
        let exec: HostExec;
        let conn: PlainConnection;
        /** The state after the last step, as the engine would keep it. */
        let state: ComposeDeploymentOutputs;
        let container = "";

        const inputs = (
            owner: string,
            more: Partial<ComposeDeploymentInputs> = {},
        ): ComposeDeploymentInputs => ({
            connection: conn,
            target: `${conn.user}@${conn.host}:${conn.port}`,
            project: PROJECT,
            file: FILE,
            services: { one: { profileName: PROFILE, mode: "enforce" } },
            owner,
            drift: [],
            ...more,
        });
        const hostOwner = async () =>
            (await root(vm, `cat ${RECORD}/owner 2>&1; true`)).stdout.trim();
        const containerIds = (o: ComposeDeploymentOutputs) => o.containers.one.map((c) => c.id);
        const clear = () =>
            root(
                vm,
                `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${PROJECT}) >/dev/null 2>&1; ` +
                    `rm -rf ${RECORD}; true`,
            );
        /** read, as a refresh calls it; the state becomes what it returns. */
        const refresh = async () => {
            const r = await composeProvider.read(`${state.target}/${PROJECT}`, state);
            state = r.props as ComposeDeploymentOutputs;
            return state;
        };
        /** diff then update against the state, as `up` runs them; the state becomes the update's outputs. */
        const up = async (news: ComposeDeploymentInputs) => {
            const d = await composeProvider.diff("id", state, news);
            assert.deepStrictEqual([d.changes, d.replaces], [true, []], "the diff is an update");
            const r = await composeProvider.update("id", state, news);
            state = r.outs as ComposeDeploymentOutputs;
            return state;
        };

        before(async function () {
            this.timeout(1_800_000);
            vm = await host();
            exec = execFor(vm, { timeoutMs: 600_000 });
            conn = plainConnection(vm);
            await clear();
            await installSecureProfile(exec, PROFILE);
        });
        after(async function () {
            if (vm) {
                await clear();
                await hostScripts.remove(exec, { name: PROFILE, sudo: true, onInUse: "remove" });
            }
            closeAll();
        });

        it("create: records this stack as the project's owner (recordedOwner, the host's record)", async () => {
            const r = await composeProvider.create(inputs(OWNER_A));
            state = r.outs as ComposeDeploymentOutputs;
            assert.strictEqual(state.recordedOwner, OWNER_A);
            assert.strictEqual(state.takeover, undefined);
            assert.deepStrictEqual(
                state.containers.one.map((c) => [c.label, c.confined]),
                [[`${PROFILE} (enforce)`, true]],
            );
            container = state.containers.one[0].id;
            assert.strictEqual(await hostOwner(), OWNER_A);
            const same = await composeProvider.diff("id", state, inputs(OWNER_A));
            assert.strictEqual(same.changes, false, "in sync: no update");
        });

        it("a record without owner (an earlier version's): read reports it, the diff is an update, which records the owner", async () => {
            await root(vm, `rm ${RECORD}/owner`);
            const seen = await refresh();
            assert.deepStrictEqual([seen.recordedOwner, seen.drift], ["", []]);
            const after = await up(inputs(OWNER_A));
            assert.strictEqual(after.recordedOwner, OWNER_A);
            assert.strictEqual(await hostOwner(), OWNER_A);
            assert.deepStrictEqual(containerIds(after), [container], "nothing recreated");
        });

        it("a renamed stack: the diff is an update, which passes the former name (was=) and records the new one", async () => {
            const after = await up(inputs(OWNER_A2));
            assert.deepStrictEqual([after.owner, after.recordedOwner], [OWNER_A2, OWNER_A2]);
            assert.strictEqual(after.takeover, undefined, "its own project: no takeover");
            assert.strictEqual(await hostOwner(), OWNER_A2);
            assert.deepStrictEqual(containerIds(after), [container], "nothing recreated");
            const same = await composeProvider.diff("id", state, inputs(OWNER_A2));
            assert.strictEqual(same.changes, false, "in sync again");
        });

        it("another stack took it over: read reports the owner and drift; the update refuses (also with adopt) unless adoptFrom names that stack", async () => {
            const b = await composeScripts.up(exec, {
                project: PROJECT,
                file: FILE,
                sudo: true,
                owner: OWNER_B,
                adoptFrom: OWNER_A2,
            });
            assert.deepStrictEqual([b.adopted, b.adoptedFrom], [true, OWNER_A2]);
            const seen = await refresh();
            assert.strictEqual(seen.recordedOwner, OWNER_B);
            assert.deepStrictEqual(seen.drift, [
                `the host records another Pulumi stack, ${OWNER_B}, as the project's owner (it took the project over): the next up refuses (foreign-owner) unless adoptFrom is "${OWNER_B}"`,
            ]);
            const refused = state;
            for (const more of [{}, { adopt: true }, { adoptFrom: "organization/third/c" }]) {
                await assert.rejects(up(inputs(OWNER_A2, more)), (e: unknown) => {
                    assert.match(
                        String((e as Error).message),
                        new RegExp(
                            `^${state.target}: compose failed: pulumi-apparmor compose: compose project ${PROJECT} on this host is managed by another Pulumi stack, ${OWNER_B} .*nothing was changed.*set adoptFrom: "${OWNER_B}" on the ComposeProject.* \\(error foreign-owner\\)`,
                        ),
                        `${JSON.stringify(more)}: ${String((e as Error).message)}`,
                    );
                    return true;
                });
                state = refused;
                assert.strictEqual(
                    await hostOwner(),
                    OWNER_B,
                    "a refused update changed the record",
                );
            }
            const taken = await up(inputs(OWNER_A2, { adoptFrom: OWNER_B }));
            assert.strictEqual(taken.recordedOwner, OWNER_A2);
            assert.strictEqual(taken.takeover?.from, OWNER_B);
            assert.ok(Date.parse(taken.takeover.at) > 0, taken.takeover.at);
            assert.deepStrictEqual(taken.drift, []);
            assert.strictEqual(await hostOwner(), OWNER_A2);
        });

        it("delete: the project and its record are gone", async () => {
            await composeProvider.delete("id", state);
            const left = await root(
                vm,
                `docker ps -aq --filter label=com.docker.compose.project=${PROJECT}; ls -d ${RECORD} 2>/dev/null; true`,
            );
            assert.strictEqual(left.stdout, "");
        });
    });
}
