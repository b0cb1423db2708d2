/**
 * The `compose` host script's ownership rule on the real test VM (issue #16, "never clobber what the
 * library does not manage"), through src/host's command builders as ComposeDeployment calls them
 * (sudo -n as the unprivileged user; bookworm's docker-compose 1.29, trixie's compose v2 2.26):
 *  - a project started by hand under the same name (one running service, one finished one-shot) is
 *    refused by `up` with `foreign-project`, naming the project, its containers and the fix, and
 *    nothing changes: same containers, same state, same start times, no record kept;
 *  - `down` of a project it has no record of removes nothing;
 *  - with `adopt`, `up` takes it over: the result says so, the service runs under its profile in a
 *    new container, the service not in the file is gone, the record is kept (root only), a later
 *    `up` without `adopt` is ours, and `down` removes everything.
 * And the project directory (`dir=`, ComposeProject's projectDirectory): a relative bind mount
 * `./data:/data:ro` resolves in the folder given (a path with a space), the container reads the marker
 * the test put there; a change of folder recreates the container on the new one; a missing folder is
 * refused with nothing changed; without `dir=` the mount resolves in the library's own folder.
 * And ownership per stack (`owner=`, ComposeProject's ORG/PROJECT/STACK): a record written without
 * owner (an earlier version) is ours and gets the owner recorded; another owner's `up` is refused
 * (`foreign-owner`) with nothing changed and its `down` removes nothing; `adopt` alone is refused
 * the same way (it takes over only a project no stack manages), and so is `from=` naming another
 * stack; `from=` naming the recorded owner takes over (the result names it), after which the first
 * owner's `down` removes nothing; a renamed stack (`was=`) stays the owner.
 * And the library's own records: a project directory that is /var/lib/pulumi-apparmor or inside it,
 * spelt so or reached through a symbolic link, is refused (`bad-directory`) with nothing changed.
 * Everything it creates is named `pa-left-…` and removed at the end (shared VM).
 * A function of the release (issue #18): scripts-compose.test.ts runs it on the shared Debian 12 VM,
 * scripts-compose.trixie.test.ts on the shared Debian 13 one.
 */
import * as assert from "assert";
import { buildHostCommand, hostScripts, sha256Hex, type HostExec } from "../../src/host";
import { composeScripts, parseCompose } from "../../src/host/compose";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import {
    execFor,
    oneServiceCompose,
    installSecureProfile,
    root,
    scriptError,
} from "./scripts-support";

const PROJECT = "pa-left-own";
const PROFILE = "pa-left-cmp";
const RECORD = `/var/lib/pulumi-apparmor/compose/${PROJECT}`;
const HAND_FILE = `/tmp/${PROJECT}.yml`;
const DIR_PROJECT = "pa-left-dir";
const OWN_PROJECT = "pa-left-owner";
const OWN_RECORD = `/var/lib/pulumi-apparmor/compose/${OWN_PROJECT}`;
const OWNER_A = "organization/shop/a";
const OWNER_B = "organization/other-shop/b";
const DIR_RECORD = `/var/lib/pulumi-apparmor/compose/${DIR_PROJECT}`;
/** Two project folders on the VM, each with its own marker in data/. */
const DIR_A = "/tmp/pa-left-dir a";
const DIR_B = "/tmp/pa-left-dir b";
/** A symbolic link to the library's compose records. */
const LINK = "/tmp/pa-left-dir link";
/** A service reading a relative bind mount. */
const RELATIVE = `services:
  reader:
    image: "local/busybox:latest"
    command: ["sleep", "3600"]
    stop_grace_period: "1s"
    volumes: ["./data:/data:ro"]
    security_opt: ["apparmor=${PROFILE}"]
`;
/** The project as someone starts it by hand: a long-running service and a one-shot that exits. */
const HAND = `services:
  one:
    image: local/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
  extra:
    image: local/busybox:latest
    command: ["true"]
`;
/** The same project as ComposeProject sends it: service one under the profile, no `extra`. */
const OURS = oneServiceCompose(PROFILE);

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsComposeSuite(release: Release): void {
    describe(`host scripts: compose refuses a project it did not start, adopt takes it over (VM)${releaseHost(release).suffix}`, function () {
        this.timeout(900_000);
        let info: TestHostInfo;
        let exec: HostExec;

        /** The project's containers (id, status, start time, AppArmor option) and whether a record exists. */
        const snapshot = async () =>
            (
                await root(
                    info,
                    `ids=$(docker ps -aq --no-trunc --filter label=com.docker.compose.project=${PROJECT}); ` +
                        `[ -z "$ids" ] || docker inspect -f '{{.Id}} {{.State.Status}} {{.State.StartedAt}} {{index .Config.Labels "com.docker.compose.service"}} {{.AppArmorProfile}}' $ids | sort; ` +
                        `ls -d ${RECORD} 2>/dev/null; true`,
                )
            ).stdout;
        const startByHand = async () => {
            await root(info, `cat > ${HAND_FILE}`, { stdin: HAND });
            const r = await root(
                info,
                `COMPOSE_HTTP_TIMEOUT=600 docker-compose -p ${PROJECT} -f ${HAND_FILE} up -d 2>&1`,
                { timeoutMs: 600_000 },
            );
            assert.strictEqual(r.code, 0, r.stdout);
        };
        const clearProject = () =>
            root(
                info,
                `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${PROJECT}) >/dev/null 2>&1; ` +
                    `rm -rf ${RECORD} ${HAND_FILE}; true`,
            );
        const clearDirProject = () =>
            root(
                info,
                `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${DIR_PROJECT}) >/dev/null 2>&1; ` +
                    `rm -rf ${DIR_RECORD} '${DIR_A}' '${DIR_B}' '${LINK}'; true`,
            );
        const clearOwnProject = () =>
            root(
                info,
                `docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=${OWN_PROJECT}) >/dev/null 2>&1; ` +
                    `rm -rf ${OWN_RECORD}; true`,
            );
        /** The owner project's containers (id, state, start time) and its record's files. */
        const ownSnapshot = async () =>
            (
                await root(
                    info,
                    `ids=$(docker ps -aq --no-trunc --filter label=com.docker.compose.project=${OWN_PROJECT}); ` +
                        `[ -z "$ids" ] || docker inspect -f '{{.Id}} {{.State.Status}} {{.State.StartedAt}}' $ids | sort; ` +
                        `cd ${OWN_RECORD} 2>/dev/null && for f in *; do printf '%s %s ' "$f" "$(stat -c %a "$f")"; sha256sum < "$f"; done; true`,
                )
            ).stdout;
        /**
         * The script's `up` with these options as given, without src/host's checks (which refuse some of
         * them before any command is built): the script's own rule is under test.
         */
        const rawUp = async (project: string, file: string, ...opts: string[]) =>
            parseCompose(
                await exec(
                    buildHostCommand("compose", ["up", project, sha256Hex(file), ...opts], {
                        sudo: true,
                    }),
                    file,
                ),
            );
        /** The directory project's containers (id, state, start time) and its record's files. */
        const dirSnapshot = async () =>
            (
                await root(
                    info,
                    `ids=$(docker ps -aq --no-trunc --filter label=com.docker.compose.project=${DIR_PROJECT}); ` +
                        `[ -z "$ids" ] || docker inspect -f '{{.Id}} {{.State.Status}} {{.State.StartedAt}}' $ids | sort; ` +
                        `cd ${DIR_RECORD} 2>/dev/null && for f in *; do printf '%s ' "$f"; sha256sum < "$f"; done; ` +
                        `ls -A /var/lib/pulumi-apparmor/compose; true`,
                )
            ).stdout;
        const recordedOwner = async () =>
            (await root(info, `cat ${OWN_RECORD}/owner 2>&1; true`)).stdout.trim();
        /** What the project's one container reads at /data/marker. */
        const marker = async (id: string) =>
            (
                await root(info, `docker exec ${id} cat /data/marker`, { allowFail: true })
            ).stdout.trim();

        before(async function () {
            this.timeout(1_800_000);
            info = await releaseHost(release).host();
            exec = execFor(info, { timeoutMs: 600_000 });
            await clearProject();
            await clearDirProject();
            await clearOwnProject();
            await installSecureProfile(exec, PROFILE);
        });
        after(async function () {
            if (!info) return;
            await clearProject();
            await clearDirProject();
            await clearOwnProject();
            await hostScripts.remove(exec, { name: PROFILE, sudo: true, onInUse: "remove" });
        });

        it("a project started by hand: up refuses (foreign-project) and changes nothing; down removes nothing", async () => {
            await startByHand();
            const before = await snapshot();
            const lines = before.trim().split("\n");
            assert.strictEqual(lines.length, 2, before);
            assert.match(before, / running .* one docker-default\n/);
            assert.match(before, / exited .* extra docker-default\n/);
            assert.doesNotMatch(before, new RegExp(RECORD));

            await assert.rejects(
                composeScripts.up(exec, { project: PROJECT, file: OURS, sudo: true }),
                scriptError(
                    "foreign-project",
                    new RegExp(
                        `compose project ${PROJECT} already runs on this host with 2 container\\(s\\) \\(1 running\\) that pulumi-apparmor did not start \\(no record in ${RECORD}\\); nothing was changed.*set adopt: true on the ComposeProject`,
                    ),
                ),
            );
            assert.strictEqual(await snapshot(), before, "the hand-made project changed");

            const down = await composeScripts.down(exec, { project: PROJECT, sudo: true });
            assert.strictEqual(down.containers.length, 2, JSON.stringify(down));
            assert.strictEqual(await snapshot(), before, "down removed a project that is not ours");
        });

        it("with adopt: up takes it over (confined, the service not in the file removed, record kept); later up and down are ours", async () => {
            const before = await snapshot();
            const handOne = before
                .split("\n")
                .find((l) => / one /.test(l))!
                .split(" ")[0];
            const r = await composeScripts.up(exec, {
                project: PROJECT,
                file: OURS,
                sudo: true,
                adopt: true,
            });
            assert.deepStrictEqual([r.adopted, r.adoptedFrom], [true, ""]);
            assert.deepStrictEqual(
                r.containers.map((c) => [c.service, c.running, c.label]),
                [["one", true, `${PROFILE} (enforce)`]],
            );
            assert.notStrictEqual(r.containers[0].id, handOne, "recreated from our file");
            const after = await root(
                info,
                `docker ps -aq --no-trunc --filter label=com.docker.compose.project=${PROJECT}; ` +
                    `stat -c '%a %U' ${RECORD} ${RECORD}/compose.yaml; sha256sum < ${RECORD}/compose.yaml`,
            );
            assert.deepStrictEqual(after.stdout.trim().split("\n").slice(0, 3), [
                r.containers[0].id,
                "700 root",
                "600 root",
            ]);
            assert.match(after.stdout, new RegExp(sha256Hex(OURS)));

            // Ours now: a later up needs no adopt and takes nothing over.
            const again = await composeScripts.up(exec, {
                project: PROJECT,
                file: OURS,
                sudo: true,
            });
            assert.strictEqual(again.adopted, false);
            assert.deepStrictEqual(
                again.containers.map((c) => c.id),
                [r.containers[0].id],
                "unchanged file: same container",
            );

            const down = await composeScripts.down(exec, { project: PROJECT, sudo: true });
            assert.deepStrictEqual(down.containers, []);
            assert.strictEqual(await snapshot(), "", "containers and record gone");
        });

        it("dir=: a relative bind mount resolves in the project directory; a new folder is an update; a missing one, or the library's records (also through a symbolic link), change nothing", async () => {
            await root(
                info,
                `for d in '${DIR_A}' '${DIR_B}'; do mkdir -p "$d/data"; done; ` +
                    `echo marker-a > '${DIR_A}/data/marker'; echo marker-b > '${DIR_B}/data/marker'`,
            );
            const a = await composeScripts.up(exec, {
                project: DIR_PROJECT,
                file: RELATIVE,
                sudo: true,
                projectDirectory: DIR_A,
            });
            assert.deepStrictEqual(
                a.containers.map((c) => [c.service, c.running, c.label]),
                [["reader", true, `${PROFILE} (enforce)`]],
            );
            assert.strictEqual(await marker(a.containers[0].id), "marker-a");
            const rec = await root(
                info,
                `cat ${DIR_RECORD}/project-directory; stat -c '%a %U' ${DIR_RECORD}/project-directory; ` +
                    `ls ${DIR_RECORD}`,
            );
            assert.deepStrictEqual(rec.stdout.trim().split("\n"), [
                DIR_A,
                "600 root",
                "compose.yaml",
                "project-directory",
            ]);

            // Another folder: compose recreates the service on the new mount.
            const b = await composeScripts.up(exec, {
                project: DIR_PROJECT,
                file: RELATIVE,
                sudo: true,
                projectDirectory: DIR_B,
            });
            assert.strictEqual(b.containers.length, 1);
            assert.notStrictEqual(b.containers[0].id, a.containers[0].id, "recreated");
            assert.strictEqual(await marker(b.containers[0].id), "marker-b");

            // A folder that does not exist: refused before anything changes.
            const refused: [string, string, RegExp][] = [
                [
                    "/tmp/pa-left-dir missing",
                    "no-directory",
                    /\/tmp\/pa-left-dir missing does not exist.*nothing was changed/,
                ],
                // The library's own records, spelt so or reached through a symbolic link (#16).
                [
                    "/var/lib//pulumi-apparmor/./compose",
                    "bad-directory",
                    /is \/var\/lib\/pulumi-apparmor or inside it, the library's own records; nothing was changed/,
                ],
                [
                    LINK,
                    "bad-directory",
                    /is \/var\/lib\/pulumi-apparmor or inside it once symbolic links are resolved \(\/var\/lib\/pulumi-apparmor\/compose\).*nothing was changed/,
                ],
            ];
            await root(info, `ln -sfn /var/lib/pulumi-apparmor/compose '${LINK}'`);
            for (const [dir, code, message] of refused) {
                const before = await dirSnapshot();
                await assert.rejects(
                    rawUp(DIR_PROJECT, RELATIVE, `dir=${dir}`),
                    scriptError(code, message),
                );
                assert.strictEqual(await dirSnapshot(), before, `${dir}: something changed`);
                assert.match(before, new RegExp(`^${b.containers[0].id} running `, "m"));
            }

            // down runs in the recorded folder and removes the project and the record, not the folder.
            const down = await composeScripts.down(exec, { project: DIR_PROJECT, sudo: true });
            assert.deepStrictEqual(down.containers, []);
            const left = await root(
                info,
                `ls -d ${DIR_RECORD} 2>/dev/null; cat '${DIR_B}/data/marker'; true`,
            );
            assert.strictEqual(left.stdout, "marker-b\n");
        });

        it("down after the project directory (and the env_file it holds) is gone: the project's containers, networks and record are removed", async () => {
            const dir = "/tmp/pa-left-dir gone";
            await root(info, `mkdir -p '${dir}' && echo 'GREETING=hi' > '${dir}/app.env'`);
            const file = `services:
  reader:
    image: "local/busybox:latest"
    command: ["sleep", "3600"]
    stop_grace_period: "1s"
    env_file: ["./app.env"]
    security_opt: ["apparmor=${PROFILE}"]
`;
            const up = await composeScripts.up(exec, {
                project: DIR_PROJECT,
                file,
                sudo: true,
                projectDirectory: dir,
            });
            assert.strictEqual(up.containers.length, 1);
            await root(info, `rm -rf '${dir}'`);
            const down = await composeScripts.down(exec, { project: DIR_PROJECT, sudo: true });
            assert.deepStrictEqual(down.containers, []);
            const left = await root(
                info,
                `docker ps -aq --filter label=com.docker.compose.project=${DIR_PROJECT}; ` +
                    `docker network ls -q --filter label=com.docker.compose.project=${DIR_PROJECT}; ` +
                    `ls -d ${DIR_RECORD} 2>/dev/null; true`,
            );
            assert.strictEqual(left.stdout, "", "containers, networks and record gone");
        });

        it("without dir=: the relative bind mount resolves in the library's own folder", async () => {
            const r = await composeScripts.up(exec, {
                project: DIR_PROJECT,
                file: RELATIVE,
                sudo: true,
            });
            assert.strictEqual(r.containers.length, 1);
            assert.strictEqual(await marker(r.containers[0].id), "", "no marker: an empty folder");
            const seen = await root(
                info,
                `docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' ${r.containers[0].id}; ls ${DIR_RECORD}`,
            );
            assert.deepStrictEqual(seen.stdout.trim().split("\n"), [
                `${DIR_RECORD}/data`,
                "compose.yaml",
                "data",
            ]);
            await composeScripts.down(exec, { project: DIR_PROJECT, sudo: true });
            assert.strictEqual(
                (await root(info, `ls -d ${DIR_RECORD} 2>/dev/null; true`)).stdout,
                "",
            );
        });

        it("owner=: an earlier version's record (no owner) is ours and gets the owner recorded", async () => {
            // The previous version's up: no owner option, no owner file.
            const old = await composeScripts.up(exec, {
                project: OWN_PROJECT,
                file: OURS,
                sudo: true,
            });
            assert.strictEqual(old.owner, "");
            assert.match(await recordedOwner(), /No such file/);
            const up = await composeScripts.up(exec, {
                project: OWN_PROJECT,
                file: OURS,
                sudo: true,
                owner: OWNER_A,
            });
            assert.deepStrictEqual([up.adopted, up.owner], [false, OWNER_A]);
            assert.deepStrictEqual(
                up.containers.map((c) => [c.id, c.label]),
                [[old.containers[0].id, `${PROFILE} (enforce)`]],
                "the same container: nothing recreated",
            );
            assert.strictEqual(await recordedOwner(), OWNER_A);
            assert.match(await ownSnapshot(), /^owner 600 /m);
        });

        it("owner=: another stack's up is refused (also with adopt, or from= naming another stack) and its down removes nothing; from= naming the owner takes over, then the first owner's down removes nothing", async () => {
            const before = await ownSnapshot();
            assert.match(before, /^[0-9a-f]{64} running /m);
            const refusal = (asked: string) =>
                new RegExp(
                    `compose project ${OWN_PROJECT} on this host is managed by another Pulumi stack, ${OWNER_A} \\(recorded in ${OWN_RECORD}/owner; ${asked}\\); nothing was changed\\. Choose another projectName, or set adoptFrom: "${OWNER_A}" on the ComposeProject`,
                );
            const refused: [string, { adopt?: boolean; adoptFrom?: string }, string][] = [
                ["plain", {}, `this stack is ${OWNER_B}`],
                [
                    "adopt: true alone",
                    { adopt: true },
                    "adopt: true takes over only a project no stack manages",
                ],
                [
                    "from= another stack",
                    { adopt: true, adoptFrom: "organization/third/c" },
                    "adoptFrom names organization/third/c, not that stack",
                ],
            ];
            for (const [what, opts, asked] of refused) {
                await assert.rejects(
                    composeScripts.up(exec, {
                        project: OWN_PROJECT,
                        file: OURS.replace("3600", "3601"),
                        sudo: true,
                        owner: OWNER_B,
                        ...opts,
                    }),
                    scriptError("foreign-owner", refusal(asked)),
                    what,
                );
                assert.strictEqual(
                    await ownSnapshot(),
                    before,
                    `B's refused up (${what}) changed something`,
                );
            }

            const bDown = await composeScripts.down(exec, {
                project: OWN_PROJECT,
                sudo: true,
                owner: OWNER_B,
            });
            assert.strictEqual(bDown.owner, OWNER_A);
            assert.strictEqual(bDown.containers.length, 1);
            assert.strictEqual(await ownSnapshot(), before, "B's down removed A's project");
            const legacyDown = await composeScripts.down(exec, {
                project: OWN_PROJECT,
                sudo: true,
            });
            assert.strictEqual(legacyDown.owner, OWNER_A);
            assert.strictEqual(
                await ownSnapshot(),
                before,
                "a down without owner removed A's project",
            );

            const taken = await composeScripts.up(exec, {
                project: OWN_PROJECT,
                file: OURS,
                sudo: true,
                owner: OWNER_B,
                adoptFrom: OWNER_A,
            });
            assert.deepStrictEqual(
                [taken.adopted, taken.adoptedFrom, taken.owner],
                [true, OWNER_A, OWNER_B],
            );
            assert.strictEqual(await recordedOwner(), OWNER_B);
            const afterTakeover = await ownSnapshot();

            const aDown = await composeScripts.down(exec, {
                project: OWN_PROJECT,
                sudo: true,
                owner: OWNER_A,
            });
            assert.strictEqual(aDown.owner, OWNER_B);
            assert.strictEqual(await ownSnapshot(), afterTakeover, "A's down removed B's project");

            // B's stack renamed: its former name is accepted as its own, the new name recorded.
            const renamed = "organization/other-shop/b2";
            const r = await composeScripts.up(exec, {
                project: OWN_PROJECT,
                file: OURS,
                sudo: true,
                owner: renamed,
                previousOwner: OWNER_B,
            });
            assert.deepStrictEqual([r.adopted, r.adoptedFrom, r.owner], [false, "", renamed]);

            const down = await composeScripts.down(exec, {
                project: OWN_PROJECT,
                sudo: true,
                owner: renamed,
            });
            assert.deepStrictEqual([down.containers, down.owner], [[], ""]);
            assert.strictEqual(await ownSnapshot(), "", "containers and record gone");
        });
    });
}
