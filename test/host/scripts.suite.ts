/**
 * Host scripts on the real test VM (kernel AppArmor, dockerd, sshd): the proofs. Every call goes
 * over SSH as the unprivileged user through src/host's command builders (sudo -n), exactly as the
 * components call them; the assertions read the truth independently (kernel files, apparmor_parser,
 * docker).
 * A function of the release (issue #18): scripts.test.ts runs it on the shared Debian 12 VM,
 * scripts.trixie.test.ts on the shared Debian 13 one (kernel 6.12, AppArmor 4.1), where the kernel
 * publishes raw_sha256 only (scripts-support.ts reads the loaded policy's sha1 from its raw_data).
 */
import * as assert from "assert";
import {
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    hostScriptCopy,
    hostScripts,
    installCommand,
    profileDrift,
    type HostExec,
    type InstallArgs,
} from "../../src/host";
import { openSsh, sshExec, type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import * as path from "path";
import {
    assertConsistent,
    cleanup,
    compiledSha1,
    dockerExec,
    assertSeedScenario,
    dockerRun,
    execFor,
    fileSha256,
    kernelMode,
    kernelRawSha1,
    root,
    secureProfile,
    waitForLogLines,
} from "./scripts-support";

const SECURE = "docker-default-secure";

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsSuite(release: Release): void {
    describe(`host scripts on the test VM${releaseHost(release).suffix}`, function () {
        this.timeout(600000);
        let info: TestHostInfo;
        let exec: HostExec;

        before(async function () {
            this.timeout(1800000);
            info = await releaseHost(release).host();
            exec = execFor(info);
        });

        /** Install as the sudo user, as the components do: the example's rules in enforce mode unless told. */
        const install = (name: string, over: Partial<Omit<InstallArgs, "name" | "sudo">> = {}) =>
            hostScripts.install(exec, {
                name,
                text: secureProfile(name),
                mode: "enforce",
                sudo: true,
                ...over,
            });
        const statusOf = (name: string) => hostScripts.status(exec, { names: [name], sudo: true });

        it("preflight: ok as the sudo user and as root, in one JSON line", async () => {
            const asUser = await hostScripts.preflight(exec);
            assert.strictEqual(asUser.ok, true, JSON.stringify(asUser.problems));
            assert.strictEqual(asUser.user, "sudo");
            assert.strictEqual(asUser.apparmorEnabled, true);
            assert.strictEqual(asUser.securityfs, true);
            assert.strictEqual(asUser.docker, "apparmor");
            assert.match(asUser.parser ?? "", /apparmor_parser$/);
            assert.deepStrictEqual(asUser.problems, []);
            const asRoot = await hostScripts.preflight(execFor(info, { asRoot: true }), {
                checkDocker: false,
            });
            assert.strictEqual(asRoot.user, "root");
            assert.strictEqual(asRoot.docker, "skipped");
        });

        it("install is idempotent: same text and mode → no write, no reload", async () => {
            const name = "pa-idem";
            try {
                const text = secureProfile(name);
                // with position (a new resource's log position): the log's end before the load
                const first = await install(name, { text, position: true });
                assert.deepStrictEqual(
                    [first.changed, first.wrote, first.reloaded, first.kernelMode],
                    [true, true, true, "enforce"],
                );
                assert.strictEqual(first.position?.source, "journal-audit");
                assert.match(first.position.cursor, /^journal:/);
                // read from it: the kernel's own record of this load (taken before it)
                const loaded = await waitForLogLines(
                    exec,
                    first.position.cursor,
                    (l) => l.includes(`name="${name}"`) && l.includes("profile_load"),
                );
                assert.strictEqual(loaded.lines.length, 1, loaded.lines.join("\n"));
                const mtime1 = (await root(info, `stat -c %Y.%i ${DEFAULT_PROFILE_DIR}/${name}`))
                    .stdout;
                const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true }))
                    .cursor;
                const second = await install(name, { text, position: true });
                assert.deepStrictEqual(
                    [second.changed, second.wrote, second.reloaded, second.manifestUpdated],
                    [false, false, false, false],
                );
                // nothing loaded, a position all the same
                assert.strictEqual(second.position?.source, "journal-audit");
                assert.match(second.position.cursor, /^journal:/);
                assert.strictEqual(second.policySha1, first.policySha1);
                const mtime2 = (await root(info, `stat -c %Y.%i ${DEFAULT_PROFILE_DIR}/${name}`))
                    .stdout;
                assert.strictEqual(mtime2, mtime1, "the file was rewritten");
                await new Promise((res) => setTimeout(res, 3000)); // journald stores audit records async
                const log = await hostScripts.denials(exec, { cursor, sudo: true });
                assert.ok(
                    !log.lines.some(
                        (l) => l.includes(`name="${name}"`) && l.includes("profile_replace"),
                    ),
                    `a reload happened:\n${log.lines.join("\n")}`,
                );
                // Same rules, other mode → a change.
                const third = await install(name, { text, mode: "complain" });
                assert.deepStrictEqual(
                    [third.changed, third.kernelMode, third.mode],
                    [true, "complain", "complain"],
                );
                const complainText = (await root(info, `cat ${DEFAULT_PROFILE_DIR}/${name}`))
                    .stdout;
                assert.match(
                    complainText,
                    /flags=\(attach_disconnected,\s*mediate_deleted,\s*complain\)/,
                );
                await assertConsistent(info, name, [complainText]);
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("install keeps a root-only copy of its program named by its hash: stored once, then run; a wrong copy or a group-writable store is not run", async () => {
            const name = "pa-copy";
            const copy = hostScriptCopy("install");
            const store = path.posix.dirname(copy.file);
            const text = secureProfile(name);
            const cmd = installCommand({ name, text, mode: "enforce", sudo: true }).command;
            const send = () => sshExec(info, cmd, { stdin: text, timeoutMs: 300000 });
            const marker = () => {
                const m = "echo COPY-USED; exit 7\n";
                const n = Buffer.byteLength(copy.text);
                return root(info, `cat > ${copy.file} && chmod 600 ${copy.file}`, {
                    stdin: m + "#".repeat(n - m.length - 1) + "\n",
                });
            };
            /** The install ran unpacked (not the marker) and the copy is the program's text again. */
            const unpacked = async (why: string) => {
                const r = await send();
                assert.strictEqual(r.code, 0, `${why}: ${r.stdout} ${r.stderr}`);
                assert.match(r.stdout, /^\{"ok":true,/, why);
                const sum = (await root(info, `sha256sum < ${copy.file}`)).stdout;
                assert.strictEqual(sum.split(" ")[0], copy.sha256, `${why}: the copy is replaced`);
            };
            try {
                // the manifests' directory exists once anything was installed (the copy is kept only then)
                await root(
                    info,
                    `mkdir -p ${path.posix.dirname(store)}/profiles && rm -rf ${store}`,
                );
                await unpacked("first run");
                assert.strictEqual(
                    (await root(info, `stat -c '%U %a' ${store} ${copy.file}; ls -A ${store}`))
                        .stdout,
                    `root 700\nroot 600\n${path.posix.basename(copy.file)}\n`,
                );
                await marker();
                const used = await send();
                assert.strictEqual(used.code, 7, used.stderr);
                assert.strictEqual(used.stdout, "COPY-USED\n");
                // a partial copy (cut, edited): not run, replaced
                await root(info, `truncate -s 1000 ${copy.file}`);
                await unpacked("partial copy");
                // a store writable by group: not trusted, the copy is not run
                await marker();
                await root(info, `chmod 770 ${store}`);
                await unpacked("group-writable store");
                await root(info, `chmod 700 ${store}`);
                await assertConsistent(info, name, [
                    (await root(info, `cat ${DEFAULT_PROFILE_DIR}/${name}`)).stdout,
                ]);
            } finally {
                await root(info, `chmod 700 ${store}; true`, { allowFail: true });
                await cleanup(info, [name]);
            }
        });

        // On trixie, vm-trixie.test.ts's seed case proves this and more (the install's flags, the loaded
        // policy = the compiled file, the inventory, the parsed denial): not run twice there.
        if (release !== "trixie")
            it("seed scenario: docker-default-secure denies touch /tmp/a/x (logged) and chown; without it both work", async () => {
                const containers: string[] = [];
                try {
                    const text = secureProfile(SECURE);
                    const res = await install(SECURE, { text });
                    assert.strictEqual(res.kernelMode, "enforce");
                    const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true }))
                        .cursor;

                    await assertSeedScenario(info, exec, SECURE, cursor);
                } finally {
                    await cleanup(info, [SECURE], containers);
                }
            });

        it("reload with a changed rule takes effect in the already-running container", async () => {
            const name = "pa-reload";
            const ctr = "pa-reload-ctr";
            try {
                await install(name);
                // The container's first process loops: on /tmp/go it tries to create a file in /tmp/b and
                // records the result, so the action runs in the process tree started before the reload.
                const loop =
                    "mkdir -p /tmp/b; i=0; while :; do if [ -e /tmp/go ]; then rm -f /tmp/go; i=$((i+1)); " +
                    "if touch /tmp/b/f$i 2>/dev/null; then echo ok >> /tmp/res; else echo denied >> /tmp/res; fi; fi; " +
                    "sleep 0.2; done";
                const started = await dockerRun(info, loop, {
                    profile: name,
                    name: ctr,
                    detach: true,
                });
                assert.strictEqual(started.code, 0, started.stderr);
                const attempt = async (): Promise<string> => {
                    await dockerExec(info, ctr, "rm -f /tmp/res; touch /tmp/go");
                    for (let i = 0; i < 100; i++) {
                        const r = await dockerExec(info, ctr, "cat /tmp/res 2>/dev/null");
                        if (r.stdout.trim() !== "") return r.stdout.trim();
                        await new Promise((res) => setTimeout(res, 300));
                    }
                    throw new Error("the container loop did not answer");
                };
                assert.strictEqual(await attempt(), "ok");
                const pid1 = (
                    await sshExec(info, `docker inspect -f '{{.State.Pid}}' ${ctr}`)
                ).stdout.trim();
                const changed = await install(name, { text: secureProfile(name, ["/tmp/b"]) });
                assert.strictEqual(changed.reloaded, true);
                assert.strictEqual(await attempt(), "denied");
                const pid2 = (
                    await sshExec(info, `docker inspect -f '{{.State.Pid}}' ${ctr}`)
                ).stdout.trim();
                assert.strictEqual(pid2, pid1, "the container was restarted");
                const label = await root(info, `cat /proc/${pid1}/attr/current`);
                assert.strictEqual(label.stdout.trim(), `${name} (enforce)`);
            } finally {
                await cleanup(info, [name], [ctr]);
            }
        });

        it("install with labels: after the change, the containers started with the profile and their labels", async () => {
            const name = "pa-snap";
            const ctr = "pa-snap-ctr";
            try {
                await install(name);
                const started = await dockerRun(info, "sleep 600", {
                    profile: name,
                    name: ctr,
                    detach: true,
                });
                assert.strictEqual(started.code, 0, started.stderr);
                const id = started.stdout.trim();
                // A new version in complain mode: the running container is listed under it, as the kernel labels it.
                const staged = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name, ["/tmp/labels"]),
                    mode: "complain",
                    labels: true,
                    sudo: true,
                });
                assert.strictEqual(staged.checkError, undefined);
                assert.strictEqual(staged.labels?.docker, true);
                assert.deepStrictEqual(staged.labels?.containers, [
                    { id, label: `${name} (complain)` },
                ]);
                // Gone: no container of the profile is listed (whether or not others run on the host).
                await sshExec(info, `docker rm -f ${ctr}`, { timeoutMs: 120000 });
                const after = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name),
                    mode: "enforce",
                    labels: true,
                    sudo: true,
                });
                assert.strictEqual(after.labels?.docker, true);
                assert.deepStrictEqual(after.labels?.containers, []);
            } finally {
                await cleanup(info, [name], [ctr]);
            }
        });

        it("install with prior: what the host had, read under the lock, and the log position; unless keeps the host", async () => {
            const name = "pa-prior";
            const file = `${DEFAULT_PROFILE_DIR}/${name}`;
            try {
                // Nothing there yet: no file, not loaded, no position (nothing ran under it).
                const first = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name),
                    mode: "enforce",
                    sudo: true,
                });
                assert.deepStrictEqual(first.prior, {
                    present: false,
                    sha256: "",
                    kernelMode: "",
                    text: "",
                    position: "",
                    source: "",
                });
                assert.strictEqual(first.install?.kernelMode, "enforce");
                const v1 = (await root(info, `cat ${file}`)).stdout;

                // A new version in complain mode: the previous file, its mode and the log's end before it.
                const second = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name, ["/tmp/prior"]),
                    mode: "complain",
                    sudo: true,
                });
                assert.strictEqual(second.prior.present, true);
                assert.strictEqual(second.prior.text, v1);
                assert.strictEqual(second.prior.sha256, first.install?.sha256);
                assert.strictEqual(second.prior.kernelMode, "enforce");
                assert.strictEqual(second.prior.source, "journal-audit");
                assert.match(second.prior.position, /^journal:/);
                assert.strictEqual(second.install?.kernelMode, "complain");
                assert.strictEqual(await kernelMode(info, name), "complain");
                // Read from that position: the kernel's own record of this load comes first.
                const log = await waitForLogLines(
                    exec,
                    second.prior.position,
                    (l) => l.includes(`name="${name}"`) && l.includes("profile_replace"),
                    1,
                    { source: "journal-audit" },
                );
                assert.strictEqual(log.source, "journal-audit");

                // unless matches (this file, this kernel mode): another text changes nothing.
                const sha2 = await fileSha256(info, file);
                const raw2 = await kernelRawSha1(info, name);
                const kept = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name),
                    mode: "enforce",
                    unless: { sha256: sha2, kernelMode: "complain" },
                    sudo: true,
                });
                assert.strictEqual(kept.install, undefined);
                assert.strictEqual(kept.prior.sha256, sha2);
                assert.strictEqual(await fileSha256(info, file), sha2);
                assert.strictEqual(await kernelRawSha1(info, name), raw2);
                assert.strictEqual(await kernelMode(info, name), "complain");

                // unless does not match (another mode): the install runs; with labels and log, the
                // same round trip then lists the containers (none run under it) and reads the log
                // from the position it took.
                const moved = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name),
                    mode: "enforce",
                    unless: { sha256: sha2, kernelMode: "enforce" },
                    labels: true,
                    logMaxBytes: 1024 * 1024,
                    sudo: true,
                });
                assert.strictEqual(moved.install?.kernelMode, "enforce");
                assert.strictEqual(moved.prior.kernelMode, "complain");
                assert.strictEqual(moved.checkError, undefined);
                assert.deepStrictEqual(moved.labels, { docker: true, containers: [] });
                assert.strictEqual(moved.log?.source, "journal-audit");
                assert.match(moved.log?.cursor ?? "", /^journal:/);
                // Every line read is newer than the position: reading from it again gives at least them.
                const again = await hostScripts.denials(exec, {
                    cursor: moved.prior.position,
                    source: "journal-audit",
                    sudo: true,
                });
                assert.deepStrictEqual(
                    again.lines.slice(0, moved.log?.lines.length),
                    moved.log?.lines,
                );
                // kept: nothing after the prior text even with labels and log asked
                const kept2 = await hostScripts.installPrior(exec, {
                    name,
                    text: secureProfile(name),
                    mode: "enforce",
                    unless: { sha256: moved.install!.sha256, kernelMode: "enforce" },
                    labels: true,
                    logMaxBytes: 1024,
                    sudo: true,
                });
                assert.strictEqual(kept2.install, undefined);
                assert.strictEqual(kept2.labels, undefined);
                await assertConsistent(info, name, [v1]);
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("complain mode: the action succeeds and logs ALLOWED; enforce again denies", async () => {
            const name = "pa-complain";
            const action = "mkdir -p /tmp/a; touch /tmp/a/x; echo touch=$?";
            try {
                await install(name);
                const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true }))
                    .cursor;

                const toComplain = await hostScripts.mode(exec, {
                    name,
                    mode: "complain",
                    sudo: true,
                });
                assert.deepStrictEqual(
                    [toComplain.changed, toComplain.kernelMode, toComplain.mode],
                    [true, "complain", "complain"],
                );
                assert.strictEqual(await kernelMode(info, name), "complain");
                const onDisk = (
                    await root(info, `grep '^profile ${name}' ${DEFAULT_PROFILE_DIR}/${name}`)
                ).stdout;
                assert.match(
                    onDisk,
                    /flags=\(attach_disconnected,\s*mediate_deleted,\s*complain\) \{/,
                );
                const r1 = await dockerRun(info, action, { profile: name });
                assert.match(r1.stdout, /touch=0/, r1.stderr);

                const again = await hostScripts.mode(exec, { name, mode: "complain", sudo: true });
                assert.strictEqual(again.changed, false);

                const toEnforce = await hostScripts.mode(exec, {
                    name,
                    mode: "enforce",
                    sudo: true,
                });
                assert.strictEqual(toEnforce.kernelMode, "enforce");
                const r2 = await dockerRun(info, action, { profile: name });
                assert.match(r2.stdout, /touch=1/);
                assert.match(r2.stderr, /Permission denied/);

                // Both the ALLOWED (complain) and the DENIED (enforce again) record must arrive.
                const log = await waitForLogLines(
                    exec,
                    cursor,
                    (l) => l.includes(`profile="${name}"`) && l.includes('name="/tmp/a/x"'),
                    2,
                );
                const mine = log.lines;
                const kinds = mine.map((l) => /apparmor="(\w+)"/.exec(l)?.[1]);
                assert.ok(kinds.includes("ALLOWED"), `no ALLOWED line:\n${mine.join("\n")}`);
                assert.strictEqual(
                    kinds[kinds.length - 1],
                    "DENIED",
                    `last is not DENIED:\n${mine.join("\n")}`,
                );
                // Rules unchanged: enforce again compiles to the first install's policy.
                const st = await statusOf(name);
                assert.strictEqual(st.profiles[0].policyMatchesFile, true);
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("status reports exactly what is loaded; hand edit, unload and mode flip are drift", async () => {
            const name = "pa-drift";
            const file = `${DEFAULT_PROFILE_DIR}/${name}`;
            try {
                const text = secureProfile(name);
                const inst = await install(name, { text });
                const status = async () => (await statusOf(name)).profiles[0];

                const st = await status();
                assert.strictEqual(st.managed, true);
                assert.strictEqual(st.file.present, true);
                assert.strictEqual(st.file.sha256, await fileSha256(info, file));
                assert.strictEqual(st.loaded, true);
                assert.strictEqual(st.kernelMode, await kernelMode(info, name));
                assert.strictEqual(st.policySha1, await kernelRawSha1(info, name));
                assert.strictEqual(st.fileSha1, await compiledSha1(info, file));
                assert.strictEqual(st.policySha1, inst.policySha1);
                assert.strictEqual(st.policyMatchesFile, true);
                assert.deepStrictEqual(profileDrift(st), []);
                const all = await hostScripts.status(exec, { sudo: true });
                assert.ok(
                    all.profiles.some((p) => p.name === name),
                    "status without names lists managed profiles",
                );
                assert.deepStrictEqual(all.apparmor, {
                    enabled: true,
                    securityfs: true,
                    parser: true,
                });

                // 1. Hand edit of the file (a rule added, not reloaded).
                await root(info, `sed -i 's|^}$|  deny /etc/hostname r,\\n}|' ${file}`);
                const edited = await status();
                assert.deepStrictEqual(profileDrift(edited), ["file-edited", "policy-differs"]);
                assert.strictEqual(
                    edited.policySha1,
                    inst.policySha1,
                    "the kernel still has the installed policy",
                );
                await install(name, { text });
                assert.deepStrictEqual(profileDrift(await status()), []);

                // 2. Unloaded by hand.
                await root(info, `apparmor_parser -R ${file}`);
                const unloaded = await status();
                assert.deepStrictEqual(profileDrift(unloaded), ["not-loaded"]);
                assert.deepStrictEqual(
                    [unloaded.loaded, unloaded.kernelMode, unloaded.policySha1],
                    [false, null, null],
                );
                const back = await install(name, { text });
                assert.deepStrictEqual(
                    [back.wrote, back.reloaded],
                    [false, true],
                    "same file, reload only",
                );
                assert.deepStrictEqual(profileDrift(await status()), []);

                // 3. Mode flipped by hand in the kernel only.
                await root(info, `apparmor_parser -r -C ${file}`);
                const flipped = await status();
                assert.strictEqual(flipped.kernelMode, "complain");
                assert.deepStrictEqual(profileDrift(flipped), ["policy-differs", "mode-changed"]);

                // 4. Mode flipped by hand with aa-complain (rewrites the file and reloads).
                await install(name, { text });
                await root(info, `aa-complain ${file}`);
                const aa = await status();
                assert.strictEqual(aa.kernelMode, "complain");
                assert.strictEqual(aa.file.mode, "complain");
                assert.ok(
                    profileDrift(aa).includes("file-edited"),
                    JSON.stringify(profileDrift(aa)),
                );
                assert.ok(
                    profileDrift(aa).includes("mode-changed"),
                    JSON.stringify(profileDrift(aa)),
                );
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("a broken profile leaves the old file and the loaded policy untouched", async () => {
            const name = "pa-broken";
            const file = `${DEFAULT_PROFILE_DIR}/${name}`;
            try {
                await install(name);
                const sha = await fileSha256(info, file);
                const raw = await kernelRawSha1(info, name);
                const broken = secureProfile(name).replace(
                    "deny capability chown,",
                    "deny capability chownz,",
                );
                const wrongName = secureProfile(`${name}-other`);
                const noHeader = `abi <abi/3.0>,\nprofile "${name}" {\n}\n`;
                const cases: [string, string, string][] = [
                    ["unknown capability", broken, "parse-failed"],
                    [
                        "syntax error",
                        secureProfile(name).replace(/}\n$/, "  /tmp/x rw\n}\n"),
                        "parse-failed",
                    ],
                    ["another profile name", wrongName, "no-header"],
                    ["quoted header", noHeader, "no-header"],
                ];
                for (const [title, text, code] of cases) {
                    await assert.rejects(
                        install(name, { text }),
                        (e: unknown) => e instanceof HostScriptError && e.code === code,
                        title,
                    );
                    assert.strictEqual(await fileSha256(info, file), sha, `${title}: file changed`);
                    assert.strictEqual(
                        await kernelRawSha1(info, name),
                        raw,
                        `${title}: policy changed`,
                    );
                }
                // With mode "keep" the header is not required, but the profile name still is.
                await assert.rejects(
                    install(name, { text: wrongName, mode: "keep" }),
                    (e: unknown) => e instanceof HostScriptError && e.code === "wrong-name",
                );
                await assertConsistent(info, name, [secureProfile(name)]);
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("a cut SSH connection during install, then install again, ends consistent", async () => {
            const name = "pa-cut";
            const v1 = secureProfile(name);
            const v2 = secureProfile(name, ["/tmp/c"]);
            try {
                await install(name, { text: v1, mode: "keep" });
                // (a) cut while stdin is half sent: the script sees a short text → refuses, nothing changes.
                {
                    const cmd = installCommand({ name, text: v2, mode: "keep", sudo: true });
                    await sendThenCut(info, cmd.command, v2.slice(0, v2.length >> 1), false, 300);
                    const r = await assertConsistent(info, name, [v1, v2]);
                    assert.strictEqual(r.index, 0, "a truncated text was installed");
                }
                // (b) cut right after the whole text was sent (during compile/load).
                for (const delay of [0, 500, 1500]) {
                    const cmd = installCommand({
                        name,
                        text: delay === 500 ? v1 : v2,
                        mode: "keep",
                        sudo: true,
                    });
                    await sendThenCut(info, cmd.command, cmd.stdin ?? "", true, delay);
                    await assertConsistent(info, name, [v1, v2]);
                }
                // Install again: ends with v2, consistent.
                await install(name, { text: v2, mode: "keep" });
                const end = await assertConsistent(info, name, [v1, v2]);
                assert.strictEqual(end.index, 1);
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("two installs at once: one of them fully applied, never a mix", async () => {
            const name = "pa-race";
            const a = secureProfile(name, ["/tmp/ra"]);
            const b = secureProfile(name, ["/tmp/rb"]);
            const execB = execFor(info, { asRoot: true });
            try {
                for (let round = 0; round < 3; round++) {
                    const results = await Promise.all([
                        install(name, { text: a }),
                        hostScripts.install(execB, { name, text: b, mode: "enforce" }),
                    ]);
                    assert.ok(results.every((r) => r.ok));
                    const { index } = await assertConsistent(info, name, [a, b]);
                    // The one applied last is on disk and loaded.
                    const last = results[index];
                    assert.strictEqual(
                        last.sha256,
                        await fileSha256(info, `${DEFAULT_PROFILE_DIR}/${name}`),
                    );
                    assert.strictEqual(last.policySha1, await kernelRawSha1(info, name));
                }
            } finally {
                await cleanup(info, [name]);
            }
        });

        it("remove: unloads and deletes, reports confined processes, tolerates a second remove", async () => {
            const name = "pa-remove";
            const ctr = "pa-remove-ctr";
            try {
                await install(name);
                const started = await dockerRun(info, "sleep 600", {
                    profile: name,
                    name: ctr,
                    detach: true,
                });
                assert.strictEqual(started.code, 0, started.stderr);
                const st = await statusOf(name);
                assert.strictEqual(st.profiles[0].processes, 1);
                // Still in use: refused unless told to remove anyway (scripts-safety.test.ts).
                await assert.rejects(
                    hostScripts.remove(exec, { name, sudo: true }),
                    (e: unknown) => e instanceof HostScriptError && e.code === "in-use",
                );
                const r = await hostScripts.remove(exec, { name, sudo: true, onInUse: "remove" });
                assert.deepStrictEqual(
                    [r.changed, r.unloaded, r.deleted, r.processes],
                    [true, true, true, 1],
                );
                assert.strictEqual(await kernelMode(info, name), "");
                assert.strictEqual(await fileSha256(info, `${DEFAULT_PROFILE_DIR}/${name}`), "");
                const manifest = await root(
                    info,
                    `test -e /var/lib/pulumi-apparmor/profiles/${name}`,
                    {
                        allowFail: true,
                    },
                );
                assert.notStrictEqual(manifest.code, 0, "manifest left behind");
                const again = await hostScripts.remove(exec, { name, sudo: true });
                assert.deepStrictEqual(
                    [again.changed, again.unloaded, again.deleted],
                    [false, false, false],
                );
                const after = await statusOf(name);
                assert.deepStrictEqual(
                    [
                        after.profiles[0].managed,
                        after.profiles[0].file.present,
                        after.profiles[0].loaded,
                    ],
                    [false, false, false],
                );
            } finally {
                await cleanup(info, [name], [ctr]);
            }
        });

        it("a custom profile directory works end to end", async () => {
            const name = "pa-dir";
            const dir = "/etc/apparmor.d/pa-custom/profiles";
            try {
                const r = await install(name, { mode: "complain", dir });
                assert.strictEqual(r.dir, dir);
                await assertConsistent(
                    info,
                    name,
                    [(await root(info, `cat ${dir}/${name}`)).stdout],
                    dir,
                );
                const st = await hostScripts.status(exec, { sudo: true });
                const p = st.profiles.find((x) => x.name === name);
                assert.strictEqual(p?.dir, dir, "the manifest records the directory");
                const rm = await hostScripts.remove(exec, { name, dir, sudo: true });
                assert.deepStrictEqual([rm.unloaded, rm.deleted], [true, true]);
            } finally {
                await hostScripts.remove(exec, { name, dir, sudo: true });
                await root(info, "rm -rf /etc/apparmor.d/pa-custom");
            }
        });
    });
}

/**
 * Runs `command` on a fresh connection, writes `input` to it (closing stdin when `endInput`), cuts
 * the connection `delayMs` later and waits until no install script runs on the host any more.
 */
async function sendThenCut(
    info: TestHostInfo,
    command: string,
    input: string,
    endInput: boolean,
    delayMs: number,
): Promise<void> {
    const client = await openSsh(info);
    await new Promise<void>((resolve, reject) =>
        client.exec(command, (err, ch) => {
            if (err) return reject(err);
            const cut = () =>
                setTimeout(() => {
                    client.end();
                    resolve();
                }, delayMs);
            if (endInput) ch.end(input, cut);
            else ch.write(input, cut);
        }),
    );
    await waitNoInstall(info);
}

async function waitNoInstall(info: TestHostInfo): Promise<void> {
    for (let i = 0; i < 120; i++) {
        const r = await sshExec(
            info,
            "pgrep -f 'pulumi-apparmor-instal[l]' >/dev/null && echo busy || echo idle",
            {
                asRoot: true,
            },
        );
        if (r.stdout.trim() === "idle") return;
        await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error("install still running after 60 s");
}
