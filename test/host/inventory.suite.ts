/**
 * `pulumi-apparmor status` (issue #16 item 3) against the test VM: two hand-made profiles (one
 * enforce, one complain, a container under each) and two this library installed. The inventory lists
 * exactly what `aa-status --json` and the files say; with a stack export that declares neither of
 * ours, both are flagged orphans; `--remove-orphans` removes the one nothing runs under and never the
 * one a container still uses; hand-made profiles are never orphans.
 * A function of the release (issue #18): inventory.vm.test.ts runs it on the shared Debian 12 VM,
 * inventory.trixie.vm.test.ts on the shared Debian 13 one (kernel 6.12 with raw_sha256 only,
 * AppArmor 4.1's aa-status and 100+ policies loaded at boot).
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "../../src/cli/status";
import { hostScripts } from "../../src/host";
import { parseProfile, profileVersion } from "../../src/profile";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { execFor, secureProfile } from "./scripts-support";
import {
    handMadeProfile,
    HANDMADE_DIR,
    placeHandMade,
    removeHandMade,
    vmHostArgs,
    vmRoot,
} from "../support/handmade";
import { runCli } from "../support/cliRun";

interface Row {
    name: string;
    managed: boolean;
    version?: string;
    fileSha256?: string;
    mode?: string;
    loaded: boolean;
    policyMatchesFile?: boolean;
    processes: number;
    containers: { name: string; label: string }[];
    orphan?: boolean;
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function inventorySuite(release: Release): void {
    describe(`pulumi-apparmor status (host inventory) on the VM${releaseHost(release).suffix}`, function () {
        this.timeout(900_000);
        let vm: TestHostInfo;
        let tmp: string;
        const ENF = "pa-inv-enf";
        const CMP = "pa-inv-cmp";
        const ORPHAN = "pa-inv-orphan";
        const USED = "pa-inv-used";
        const containers = ["pa-inv-c1", "pa-inv-c2", "pa-inv-c3"];
        const texts: Record<string, string> = {
            [ENF]: handMadeProfile(ENF, "enforce"),
            [CMP]: handMadeProfile(CMP, "complain"),
        };

        const status = async (...extra: string[]) => runCli(run, [...vmHostArgs(vm), ...extra]);

        before(async function () {
            this.timeout(1_800_000);
            vm = await releaseHost(release).host();
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-inv-"));
            await removeHandMade(vm, [ENF, CMP, ORPHAN, USED], containers);
            await placeHandMade(vm, ENF, texts[ENF], containers[0]);
            await placeHandMade(vm, CMP, texts[CMP], containers[1]);
            // Two profiles this library installs (as a stack would), one with a container under it.
            const exec = execFor(vm);
            for (const n of [ORPHAN, USED])
                await hostScripts.install(exec, {
                    name: n,
                    text: secureProfile(n),
                    mode: "enforce",
                    sudo: true,
                });
            await vmRoot(
                vm,
                `docker run -d --name ${containers[2]} --security-opt apparmor=${USED} local/busybox:latest sleep 1000000 >/dev/null`,
            );
        });

        after(async function () {
            if (vm) {
                await vmRoot(vm, `docker rm -f ${containers.join(" ")} >/dev/null 2>&1; true`);
                const exec = execFor(vm);
                for (const n of [ORPHAN, USED])
                    await hostScripts.remove(exec, { name: n, sudo: true, onInUse: "remove" });
                await removeHandMade(vm, [ENF, CMP], []);
            }
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("--json lists exactly the loaded profiles and modes of aa-status --json, and the files with their versions", async () => {
            const r = await status("--json");
            assert.strictEqual(r.code, 0, r.stderr);
            const out = JSON.parse(r.stdout) as { profiles: Row[]; apparmor: { enabled: boolean } };
            assert.strictEqual(out.apparmor.enabled, true);
            // aa-status 3.0.8's "processes" part is not always valid JSON: take its "profiles" object.
            const aaText = await vmRoot(vm, "aa-status --json");
            const aaProfiles = /"profiles": (\{[^}]*\})/.exec(aaText);
            assert.ok(aaProfiles, aaText);
            const aa = { profiles: JSON.parse(aaProfiles[1]) as Record<string, string> };
            const loaded = Object.fromEntries(
                out.profiles.filter((p) => p.loaded).map((p) => [p.name, p.mode]),
            );
            // Other test files share the VM: compare what both read, restricted to what is not ours to
            // change mid-run (aa-status and status run a moment apart).
            const stable = (o: Record<string, string | undefined>) =>
                Object.fromEntries(
                    Object.entries(o).filter(
                        ([n]) => !n.startsWith("pa-") || n.startsWith("pa-inv-"),
                    ),
                );
            assert.deepStrictEqual(stable(loaded), stable(aa.profiles));
            const files = (
                await vmRoot(
                    vm,
                    `cd ${HANDMADE_DIR} && for f in *; do [ -f "$f" ] && [ ! -L "$f" ] && sha256sum "$f"; done; true`,
                )
            )
                .trim()
                .split("\n")
                .filter((l) => / pa-inv-/.test(l));
            const bySha = Object.fromEntries(
                files.map((l) => [l.split(/\s+/)[1], l.split(/\s+/)[0]]),
            );
            for (const name of [ENF, CMP]) {
                const row = out.profiles.find((p) => p.name === name)!;
                assert.ok(row, name);
                assert.strictEqual(row.managed, false, name);
                assert.strictEqual(row.fileSha256, bySha[name], name);
                assert.strictEqual(
                    row.fileSha256,
                    createHash("sha256").update(texts[name]).digest("hex"),
                );
                assert.strictEqual(row.version, profileVersion(parseProfile(texts[name])), name);
                assert.strictEqual(row.mode, name === ENF ? "enforce" : "complain");
                assert.strictEqual(row.policyMatchesFile, true, name);
                assert.ok(row.processes >= 1, `${name}: ${row.processes}`);
                assert.deepStrictEqual(
                    row.containers.map((c) => [c.name, c.label]),
                    [[name === ENF ? containers[0] : containers[1], `${name} (${row.mode})`]],
                );
            }
            const used = out.profiles.find((p) => p.name === USED)!;
            assert.strictEqual(used.managed, true);
            assert.deepStrictEqual(
                used.containers.map((c) => c.name),
                [containers[2]],
            );
        });

        it("the table names each profile, whether it is managed, its mode and its containers", async () => {
            const r = await status();
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(
                r.stdout,
                /^PROFILE\s+MANAGED\s+VERSION\s+MODE\s+POLICY=FILE\s+PROCS\s+CONTAINERS$/m,
            );
            assert.match(
                r.stdout,
                new RegExp(
                    `^${ENF}\\s+no\\s+[0-9a-f]{12}\\s+enforce\\s+yes\\s+\\d+\\s+${containers[0]}$`,
                    "m",
                ),
            );
            assert.match(
                r.stdout,
                new RegExp(
                    `^${CMP}\\s+no\\s+[0-9a-f]{12}\\s+complain\\s+yes\\s+\\d+\\s+${containers[1]}$`,
                    "m",
                ),
            );
            assert.match(r.stdout, new RegExp(`^${ORPHAN}\\s+yes\\s+`, "m"));
        });

        it("--stack-export flags the managed profiles no stack declares; --remove-orphans removes only the unused one", async () => {
            const exportFile = path.join(tmp, "stack.json");
            // What `pulumi stack export` prints for a stack declaring another profile on this host.
            fs.writeFileSync(
                exportFile,
                JSON.stringify({
                    version: 3,
                    deployment: {
                        manifest: {},
                        resources: [
                            {
                                urn: "urn:pulumi:dev::p::apparmor:index:Profile$pulumi-nodejs:dynamic:Resource::web-vm",
                                type: "pulumi-nodejs:dynamic/apparmor:HostProfile",
                                inputs: { profileName: "pa-inv-declared" },
                                outputs: {
                                    profileName: "pa-inv-declared",
                                    target: `${vm.user}@${vm.host}:${vm.port}`,
                                },
                            },
                        ],
                    },
                }),
            );
            const flagged = await status("--json", "--stack-export", exportFile);
            assert.strictEqual(flagged.code, 0, flagged.stderr);
            const rows = (JSON.parse(flagged.stdout) as { profiles: Row[] }).profiles;
            const orphans = rows.filter((p) => p.orphan).map((p) => p.name);
            assert.ok(orphans.includes(ORPHAN) && orphans.includes(USED), JSON.stringify(orphans));
            assert.ok(
                !orphans.includes(ENF) && !orphans.includes(CMP),
                "hand-made profiles are not ours",
            );

            const before = await vmRoot(
                vm,
                `stat -c '%i %Y' ${HANDMADE_DIR}/${ENF} ${HANDMADE_DIR}/${CMP}`,
            );
            // Only this test's profiles: on a VM shared with other tests, their managed profiles are
            // orphans of this export too, and must not be removed from under them.
            const mine = [ENF, CMP, ORPHAN, USED].flatMap((n) => ["--profile", n]);
            const r = await status("--stack-export", exportFile, "--remove-orphans", ...mine);
            assert.strictEqual(r.code, 1, "an orphan was kept: exit 1");
            assert.match(r.stdout, new RegExp(`^removed orphan ${ORPHAN}$`, "m"));
            assert.match(
                r.stdout,
                new RegExp(`^kept orphan ${USED}: in use: \\d+ process\\(es\\) confined$`, "m"),
            );
            const host = await vmRoot(
                vm,
                `grep -c '^${ORPHAN} ' /sys/kernel/security/apparmor/profiles; grep -c '^${USED} (enforce)' /sys/kernel/security/apparmor/profiles; ` +
                    `ls /var/lib/pulumi-apparmor/profiles ${HANDMADE_DIR}; docker inspect -f '{{.State.Running}}' ${containers[2]}; ` +
                    `cat /proc/$(docker inspect -f '{{.State.Pid}}' ${containers[2]})/attr/current; true`,
            );
            const lines = host.split("\n");
            assert.strictEqual(lines[0], "0", "the orphan is unloaded");
            assert.strictEqual(lines[1], "1", "the used one stays loaded");
            assert.ok(
                !host.includes(`${ORPHAN}\n`),
                `the orphan's file and manifest are gone:\n${host}`,
            );
            assert.match(host, new RegExp(`^${USED}$`, "m"));
            assert.match(
                host,
                new RegExp(`^${USED} \\(enforce\\)$`, "m"),
                "its container is still confined",
            );
            assert.strictEqual(
                await vmRoot(vm, `stat -c '%i %Y' ${HANDMADE_DIR}/${ENF} ${HANDMADE_DIR}/${CMP}`),
                before,
                "hand-made files untouched",
            );
        });

        it("refuses to run without a host key, and never takes the key on the command line", async () => {
            const r = await runCli(run, [
                "--host",
                `${vm.user}@${vm.host}:${vm.port}`,
                "--key",
                vm.privateKeyPath,
            ]);
            assert.strictEqual(r.code, 2);
            assert.match(r.stderr, /the host's key is required: --host-key/);
            const wrong = await status("--host-key", "SHA256:" + "A".repeat(43));
            assert.strictEqual(wrong.code, 1);
            assert.match(wrong.stderr, /host key of .* changed|refusing to connect/);
        });
    });
}
