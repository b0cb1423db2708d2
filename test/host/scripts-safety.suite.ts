/**
 * Issue #13, findings 4 (host side), 5 and 6, on the real test VM through src/host's command
 * builders (as the components call them, sudo -n as the unprivileged user):
 *  - a parser step that never ends (an included FIFO) fails with `parse-timeout` in bounded time,
 *    without the lock descriptor in the parser; the lock is free while the compile hangs (another
 *    profile installs meanwhile) and right after;
 *  - parser messages cannot quote a file the client could not read;
 *  - an unmanaged file or loaded profile of the same name is never replaced without `adopt`; with it,
 *    `remove` restores the original file and policy (same raw_sha1); adopted in place (the host's file
 *    byte for byte the text, loaded in that mode) nothing is written, loaded or claimed, the host's
 *    ABI facts are still reported, and remove leaves it;
 *  - a target that is a directory, symlink or FIFO, and a directory that is not root's alone, are
 *    refused before anything is written;
 *  - remove unloads by NAME only (a sibling profile named in the same file stays loaded), refuses
 *    while a container runs under the profile (it stays confined) unless told to remove, and can wait
 *    for the container to stop.
 * Non-destructive for the host: every case cleans up what it made (shared VM).
 */
import * as assert from "assert";
import { DEFAULT_PROFILE_DIR, HostScriptError, hostScripts, type HostExec } from "../../src/host";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import {
    cleanup,
    dockerRun,
    execFor,
    fileSha256,
    kernelMode,
    kernelRawSha1,
    root,
    secureProfile,
    waitForLogLines,
} from "./scripts-support";

const DIR = DEFAULT_PROFILE_DIR;
const MANIFESTS = "/var/lib/pulumi-apparmor/profiles";
const ADOPTED = "/var/lib/pulumi-apparmor/adopted";

/** A HostScriptError with this code (assert.rejects predicate). */
const code = (c: string) => (e: unknown) => {
    assert.ok(e instanceof HostScriptError, String(e));
    assert.strictEqual(e.code, c, e.message);
    return true;
};

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsSafetySuite(release: Release): void {
    describe(`host scripts: safety (issue #13 findings 4-6) on the test VM${releaseHost(release).suffix}`, function () {
        this.timeout(600000);
        let info: TestHostInfo;
        let exec: HostExec;

        before(async function () {
            this.timeout(1800000);
            info = await releaseHost(release).host();
            exec = execFor(info);
        });

        const install = (
            name: string,
            over: Partial<Parameters<typeof hostScripts.install>[1]> = {},
        ) =>
            hostScripts.install(exec, {
                name,
                text: secureProfile(name),
                mode: "enforce",
                sudo: true,
                ...over,
            });
        const remove = (
            name: string,
            over: Partial<Parameters<typeof hostScripts.remove>[1]> = {},
        ) => hostScripts.remove(exec, { name, sudo: true, ...over });
        /** sha256 of the file, the manifest text, the kernel's raw_sha1 and mode: what must not change. */
        const snapshot = async (name: string, dir = DIR) => ({
            file: await fileSha256(info, `${dir}/${name}`),
            manifest: (await root(info, `cat ${MANIFESTS}/${name} 2>/dev/null; true`)).stdout,
            raw: await kernelRawSha1(info, name),
            mode: await kernelMode(info, name),
        });
        const parserPids = async () =>
            (await root(info, "pgrep -x apparmor_parser; true")).stdout.split("\n").filter(Boolean);

        it("finding 4: a FIFO include fails with parse-timeout in bounded time, the parser has no lock descriptor, the lock is free during the compile and right after", async () => {
            const name = "pa-safe-fifo";
            try {
                await install(name);
                const before = await snapshot(name);
                // The finding's FIFO (systemd hosts), and one where the validator allows includes
                // (`<local/…>`): only the host's timeout can end these.
                await root(
                    info,
                    `rm -f /etc/apparmor.d/local/${name}; mkfifo -m 600 /etc/apparmor.d/local/${name}`,
                );
                const texts = [
                    secureProfile(name).replace(
                        /}\n$/,
                        '  include "/run/systemd/inaccessible/fifo"\n}\n',
                    ),
                    secureProfile(name).replace(/}\n$/, `  include <local/${name}>\n}\n`),
                ];
                for (const [i, text] of texts.entries()) {
                    const t0 = Date.now();
                    const pending = install(name, { text, parserTimeoutSeconds: 12 });
                    pending.catch(() => undefined);
                    // While the parser blocks on the FIFO: it must not hold fd 9 (the host lock), and
                    // nobody holds the lock at all (install compiles before taking it).
                    let pids: string[] = [];
                    for (let i = 0; i < 40 && pids.length === 0; i++) {
                        pids = await parserPids();
                        if (pids.length === 0) await new Promise((r) => setTimeout(r, 100));
                    }
                    assert.ok(pids.length > 0, "no apparmor_parser process seen while blocked");
                    const fds = await root(
                        info,
                        `for p in ${pids.join(" ")}; do echo "== $p"; ls -l /proc/$p/fd; done 2>/dev/null; ` +
                            `for f in $(find /proc/[0-9]*/fd -lname '*/pulumi-apparmor/lock' 2>/dev/null); do ` +
                            `p=\${f#/proc/}; p=\${p%%/*}; echo "holder $p $(cat /proc/$p/comm)"; done; true`,
                    );
                    assert.doesNotMatch(fds.stdout, / 9 -> /, fds.stdout);
                    const holders = fds.stdout.split("\n").filter((l) => l.startsWith("holder "));
                    assert.deepStrictEqual(
                        holders,
                        [],
                        `the lock is held while compiling:\n${fds.stdout}`,
                    );
                    // So another profile's install goes through while this compile hangs.
                    let settled = false;
                    pending.then(
                        () => (settled = true),
                        () => (settled = true),
                    );
                    const other = await install(`${name}-o${i}`);
                    assert.strictEqual(other.changed, true);
                    assert.strictEqual(
                        settled,
                        false,
                        "the other install waited for the hung compile",
                    );
                    // (The parser may have started more processes since the first look.)
                    const still = await parserPids();
                    for (const pid of pids)
                        assert.ok(still.includes(pid), `the hung compile ended early: ${still}`);
                    await assert.rejects(pending, (e: unknown) => {
                        code("parse-timeout")(e);
                        assert.match((e as Error).message, /did not finish within 12 s/);
                        assert.match((e as Error).message, /nothing was changed/);
                        return true;
                    });
                    const took = Date.now() - t0;
                    assert.ok(took < 30000, `took ${took} ms`);
                    process.stderr.write(`      [fifo] refused in ${took} ms\n`);
                    assert.deepStrictEqual(await snapshot(name), before, "the host changed");
                    assert.deepStrictEqual(await parserPids(), [], "a parser is still running");
                    // The lock is free: another install right after goes through at once (the same
                    // text: it takes the lock, finds nothing to do).
                    const t1 = Date.now();
                    const again = await install(name);
                    assert.strictEqual(again.changed, false);
                    assert.ok(Date.now() - t1 < 60000);
                }
            } finally {
                await root(info, `rm -f /etc/apparmor.d/local/${name}`);
                await cleanup(info, [name, `${name}-o0`, `${name}-o1`]);
            }
        });

        it("finding 4: parser messages do not quote files the client could not read", async () => {
            const name = "pa-safe-leak";
            const secretA = "/root/pa-safe-secret-a";
            const secretB = "/root/pa-safe-secret-b";
            try {
                await root(
                    info,
                    `umask 077; printf -- '-----BEGIN PA SECRET-----\\nQmFzZTY0U2VjcmV0\\n' > ${secretA}; ` +
                        `printf '/x/@{LEAKYVARIABLE} r,\\n' > ${secretB}`,
                );
                const cases: [string, RegExp[]][] = [
                    // The lexer quotes the first byte of the key-like file.
                    [secretA, [/0x2d/, /'-'/, /BEGIN/, /QmFz/]],
                    // A post-parse message names a variable read from the file.
                    [secretB, [/LEAKYVARIABLE/]],
                ];
                for (const [file, leaks] of cases) {
                    const text = secureProfile(name).replace(/}\n$/, `  include "${file}"\n}\n`);
                    let message = "";
                    await assert.rejects(install(name, { text }), (e: unknown) => {
                        code("parse-failed")(e);
                        message = `${(e as HostScriptError).message}\n${(e as HostScriptError).stderr}`;
                        return true;
                    });
                    for (const re of leaks) assert.doesNotMatch(message, re, message);
                    process.stderr.write(`      [leak] ${message.split("\n")[0]}\n`);
                }
                // A message about the client's own text stays useful.
                const own = secureProfile(name).replace(/}\n$/, "  capability frobnicate,\n}\n");
                await assert.rejects(install(name, { text: own }), (e: unknown) => {
                    code("parse-failed")(e);
                    assert.match((e as Error).message, /line \d+: Invalid capability frobnicate/);
                    return true;
                });
            } finally {
                await root(info, `rm -f ${secretA} ${secretB}`);
            }
        });

        it("finding 5: an unmanaged file or loaded profile of that name is not replaced without adopt", async () => {
            const passwd = "pa-safe-passwd";
            const hand = "pa-safe-hand";
            const kernelOnly = "pa-safe-konly";
            const standIn = "root:x:0:0:root:/root:/bin/bash\n";
            const handText = `profile ${hand} flags=(complain) {\n  file,\n  deny /etc/hostname r,\n}\n`;
            try {
                await root(
                    info,
                    `mkdir -p ${DIR} && printf '%s' '${standIn}' > ${DIR}/${passwd} && ` +
                        `printf '%s' '${handText}' > ${DIR}/${hand} && apparmor_parser -r -K ${DIR}/${hand} && ` +
                        `printf 'profile ${kernelOnly} {\\n  file,\\n}\\n' > /tmp/${kernelOnly} && ` +
                        `apparmor_parser -r -K /tmp/${kernelOnly} && rm /tmp/${kernelOnly}`,
                );
                for (const name of [passwd, hand, kernelOnly]) {
                    const before = await snapshot(name);
                    await assert.rejects(install(name), (e: unknown) => {
                        code("unmanaged")(e);
                        assert.match((e as Error).message, /set adopt: true/);
                        return true;
                    });
                    assert.deepStrictEqual(
                        await snapshot(name),
                        before,
                        `${name}: the host changed`,
                    );
                    assert.strictEqual(before.manifest, "");
                    if (name === passwd) {
                        // A text the parser refuses is `unmanaged` too: ownership is decided before
                        // the compile's verdict, although the compile runs before the host lock.
                        await assert.rejects(
                            install(name, { text: `profile ${name} {\n  no such rule,\n}\n` }),
                            code("unmanaged"),
                        );
                        assert.deepStrictEqual(await snapshot(name), before, `${name}: changed`);
                    }
                    // mode and remove leave it alone too.
                    await assert.rejects(
                        hostScripts.mode(exec, { name, mode: "enforce", sudo: true }),
                        code("not-installed"),
                    );
                    const rm = await remove(name);
                    assert.deepStrictEqual([rm.managed, rm.changed], [false, false]);
                    assert.deepStrictEqual(
                        await snapshot(name),
                        before,
                        `${name}: remove changed it`,
                    );
                }
                assert.strictEqual((await root(info, `cat ${DIR}/${passwd}`)).stdout, standIn);
            } finally {
                await root(
                    info,
                    `rm -f ${DIR}/${passwd} ${DIR}/${hand}; ` +
                        `for n in ${hand} ${kernelOnly}; do printf %s $n > /sys/kernel/security/apparmor/.remove; done 2>/dev/null; true`,
                );
            }
        });

        it("finding 5: adopt takes over, and remove restores the original file and policy (same raw_sha1)", async () => {
            const hand = "pa-safe-adopt";
            const kernelOnly = "pa-safe-adopt-k";
            const handText = `profile ${hand} flags=(complain) {\n  file,\n  deny /etc/hostname r,\n}\n`;
            try {
                await root(
                    info,
                    `mkdir -p ${DIR} && printf '%s' '${handText}' > ${DIR}/${hand} && chmod 640 ${DIR}/${hand} && ` +
                        `touch -d @1600000000 ${DIR}/${hand} && apparmor_parser -r -K ${DIR}/${hand} && ` +
                        `printf 'profile ${kernelOnly} {\\n  file,\\n}\\n' > /tmp/${kernelOnly} && ` +
                        `apparmor_parser -r -K /tmp/${kernelOnly} && rm /tmp/${kernelOnly}`,
                );
                const stat = (name: string) =>
                    root(info, `stat -c '%a %U %G %Y' ${DIR}/${name} 2>/dev/null; true`).then(
                        (r) => r.stdout,
                    );
                for (const name of [hand, kernelOnly]) {
                    const before = await snapshot(name);
                    const beforeStat = await stat(name);
                    assert.strictEqual(before.raw.length, 40);
                    const r = await install(name, { adopt: true });
                    assert.deepStrictEqual(
                        [r.adopted, r.changed, r.kernelMode],
                        [true, true, "enforce"],
                    );
                    const mine = await snapshot(name);
                    assert.notStrictEqual(mine.raw, before.raw);
                    assert.strictEqual(mine.file, r.sha256);
                    const st = await hostScripts.status(exec, { names: [name], sudo: true });
                    assert.strictEqual(st.profiles[0].managed, true);
                    // A second install of the same text changes nothing and keeps the original.
                    const again = await install(name, { adopt: true });
                    assert.deepStrictEqual([again.changed, again.adopted], [false, false]);
                    const rm = await remove(name);
                    assert.deepStrictEqual(
                        [rm.managed, rm.restored, rm.unloaded],
                        [true, true, false],
                        JSON.stringify(rm),
                    );
                    assert.deepStrictEqual(await snapshot(name), before, `${name}: not restored`);
                    assert.strictEqual(
                        await stat(name),
                        beforeStat,
                        "file mode/owner/time not restored",
                    );
                    const left = await root(
                        info,
                        `ls ${ADOPTED}/${name} ${MANIFESTS}/${name} 2>&1; true`,
                    );
                    assert.doesNotMatch(left.stdout, /^(file|policy|info)$/m, left.stdout);
                }
                assert.strictEqual((await root(info, `cat ${DIR}/${hand}`)).stdout, handText);
            } finally {
                await root(
                    info,
                    `rm -f ${DIR}/${hand} ${MANIFESTS}/${hand} ${MANIFESTS}/${kernelOnly}; rm -rf ${ADOPTED}/${hand} ${ADOPTED}/${kernelOnly}; ` +
                        `for n in ${hand} ${kernelOnly}; do printf %s $n > /sys/kernel/security/apparmor/.remove; done 2>/dev/null; true`,
                );
            }
        });

        it("finding 5: adopt in place: a hand-made profile identical to the text is kept as it is (no write, no reload, no claim, ABI facts reported), remove leaves it; a later change keeps the original and remove restores it", async () => {
            const name = "pa-left-inplace";
            // What `pulumi-apparmor import` adopts: the host's own file, loaded, byte for byte the text
            // the program declares (the library's docker-default-secure, in enforce mode).
            const text = secureProfile(name);
            const changed = secureProfile(name, ["/tmp/pa-left-b"]);
            const loads = (l: string) =>
                /apparmor="STATUS" operation="profile_(load|replace)"/.test(l) &&
                l.includes(` name="${name}" `);
            const stat = () =>
                root(info, `stat -c '%i %a %U %G %Y' ${DIR}/${name}`).then((r) => r.stdout.trim());
            try {
                await root(
                    info,
                    `mkdir -p ${DIR} && cat > ${DIR}/${name} && chmod 640 ${DIR}/${name} && ` +
                        `touch -d @1600000000 ${DIR}/${name} && apparmor_parser -r -K ${DIR}/${name}`,
                    { stdin: text },
                );
                const before = await snapshot(name);
                const beforeStat = await stat();
                assert.deepStrictEqual([before.manifest, before.mode], ["", "enforce"]);
                assert.strictEqual(before.raw.length, 40);
                const facts = (await hostScripts.preflight(exec, { checkDocker: false })).hostAbi;
                assert.ok(facts, "preflight reports the host's ABI");
                const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true }))
                    .cursor;

                const r = await install(name, { adopt: true, facts: true });
                assert.deepStrictEqual(
                    [r.inPlace, r.changed, r.wrote, r.reloaded, r.manifestUpdated, r.adopted],
                    [true, false, false, false, false, false],
                    JSON.stringify(r),
                );
                assert.deepStrictEqual(
                    [r.sha256, r.policySha1, r.kernelMode],
                    [before.file, before.raw, "enforce"],
                );
                assert.deepStrictEqual(
                    r.hostAbi,
                    facts,
                    "install in place reports the same ABI facts as preflight",
                );
                assert.deepStrictEqual(await snapshot(name), before, "the host's profile changed");
                assert.strictEqual(
                    await stat(),
                    beforeStat,
                    "the file was rewritten (inode, mode, owner, time)",
                );
                const st = await hostScripts.status(exec, { names: [name], sudo: true });
                assert.strictEqual(st.profiles[0].managed, false, "no claim recorded");
                // Not ours: remove leaves it (file, policy, mode).
                const rm = await remove(name);
                assert.deepStrictEqual([rm.managed, rm.changed], [false, false]);
                assert.deepStrictEqual(
                    await snapshot(name),
                    before,
                    "remove touched the host's profile",
                );
                assert.strictEqual(await stat(), beforeStat);

                // A changed text is a real install: the original is kept and comes back on remove.
                const c = await install(name, { adopt: true, facts: true });
                assert.strictEqual(c.inPlace, true, "same text again: still in place");
                const up = await install(name, { adopt: true, facts: true, text: changed });
                assert.deepStrictEqual(
                    [up.inPlace ?? false, up.adopted, up.wrote, up.reloaded],
                    [false, true, true, true],
                    JSON.stringify(up),
                );
                assert.deepStrictEqual(up.hostAbi, facts);
                // The kernel logged exactly one load of NAME since the cursor: the changed install's
                // (journald keeps the audit records in order, so an in-place reload would come first).
                const log = await waitForLogLines(exec, cursor, loads);
                assert.strictEqual(log.lines.length, 1, log.lines.join("\n"));
                assert.doesNotMatch(log.lines[0], /same as current profile/);
                const rm2 = await remove(name);
                assert.deepStrictEqual(
                    [rm2.managed, rm2.restored, rm2.unloaded],
                    [true, true, false],
                    JSON.stringify(rm2),
                );
                assert.deepStrictEqual(await snapshot(name), before, "the original is not back");
                assert.strictEqual(
                    (await stat()).split(" ").slice(1).join(" "),
                    beforeStat.split(" ").slice(1).join(" "),
                    "file mode/owner/time not restored",
                );
                assert.strictEqual((await root(info, `cat ${DIR}/${name}`)).stdout, text);
                const left = await root(
                    info,
                    `ls ${ADOPTED}/${name} ${MANIFESTS}/${name} 2>&1; true`,
                );
                assert.doesNotMatch(left.stdout, /^(file|policy|info)$/m, left.stdout);
            } finally {
                await root(
                    info,
                    `rm -f ${DIR}/${name} ${MANIFESTS}/${name}; rm -rf ${ADOPTED}/${name}; ` +
                        `printf %s ${name} > /sys/kernel/security/apparmor/.remove 2>/dev/null; true`,
                );
            }
        });

        it("finding 5: a directory, symlink or FIFO named NAME, and a directory not root's alone, are refused before anything is written", async () => {
            const base = "/etc/apparmor.d";
            const targets: [string, string][] = [
                ["pa-safe-isdir", `mkdir ${DIR}/pa-safe-isdir`],
                ["pa-safe-islink", `ln -s /etc/passwd ${DIR}/pa-safe-islink`],
                ["pa-safe-isfifo", `mkfifo ${DIR}/pa-safe-isfifo`],
            ];
            const dirs: [string, string][] = [
                [`${base}/pa-safe-gw`, `mkdir -m 775 ${base}/pa-safe-gw`],
                [
                    `${base}/pa-safe-ww/sub`,
                    `mkdir -p ${base}/pa-safe-ww/sub && chmod 1777 ${base}/pa-safe-ww`,
                ],
                [
                    `${base}/pa-safe-owned`,
                    `mkdir ${base}/pa-safe-owned && chown ${info.user} ${base}/pa-safe-owned`,
                ],
                [
                    `${base}/pa-safe-link`,
                    `mkdir -p /tmp/pa-safe-link-target && ln -s /tmp/pa-safe-link-target ${base}/pa-safe-link`,
                ],
            ];
            try {
                await root(info, `mkdir -p ${DIR}; ${targets.map(([, c]) => c).join("; ")}`);
                for (const [name] of targets) {
                    const before = (
                        await root(
                            info,
                            `ls -lA ${DIR}/${name}/ 2>&1; stat -c '%F %s %Y' ${DIR}/${name}`,
                        )
                    ).stdout;
                    await assert.rejects(install(name), code("bad-target"));
                    await assert.rejects(install(name, { adopt: true }), code("bad-target"));
                    const after = (
                        await root(
                            info,
                            `ls -lA ${DIR}/${name}/ 2>&1; stat -c '%F %s %Y' ${DIR}/${name}`,
                        )
                    ).stdout;
                    assert.strictEqual(after, before, `${name} changed`);
                    assert.strictEqual(await kernelMode(info, name), "");
                }
                assert.match((await root(info, "head -c 5 /etc/passwd")).stdout, /^root:/);
                await root(info, dirs.map(([, c]) => c).join(" && "));
                for (const [dir] of dirs) {
                    const name = "pa-safe-in-dir";
                    await assert.rejects(install(name, { dir }), (e: unknown) => {
                        code("unsafe-dir")(e);
                        assert.match(
                            (e as Error).message,
                            /not owned by root, or writable by group or others/,
                        );
                        return true;
                    });
                    const ls = await root(
                        info,
                        `ls -A ${dir}/ /tmp/pa-safe-link-target/ 2>&1; true`,
                    );
                    assert.doesNotMatch(ls.stdout, /pa-safe-in-dir/, ls.stdout);
                    assert.strictEqual(await kernelMode(info, name), "");
                }
            } finally {
                await root(
                    info,
                    `rm -rf ${targets.map(([n]) => `${DIR}/${n}`).join(" ")} ${base}/pa-safe-gw ${base}/pa-safe-ww ` +
                        `${base}/pa-safe-owned ${base}/pa-safe-link /tmp/pa-safe-link-target; true`,
                );
            }
        });

        it("finding 5: remove unloads by name only: a sibling profile named in the same file stays loaded", async () => {
            const name = "pa-safe-main";
            const sibling = "pa-safe-sibling";
            try {
                await install(name);
                // The file now also names another profile, loaded on its own (by someone else).
                await root(
                    info,
                    `printf 'profile ${sibling} {\\n  file,\\n}\\n' | tee -a ${DIR}/${name} > /tmp/${sibling} && ` +
                        `apparmor_parser -r -K /tmp/${sibling} && rm /tmp/${sibling}`,
                );
                const sib = await kernelRawSha1(info, sibling);
                assert.strictEqual(sib.length, 40);
                const r = await remove(name);
                assert.deepStrictEqual([r.unloaded, r.deleted], [true, true]);
                assert.strictEqual(await kernelMode(info, name), "");
                assert.strictEqual(
                    await kernelRawSha1(info, sibling),
                    sib,
                    "the sibling was unloaded",
                );
            } finally {
                await root(
                    info,
                    `printf %s ${sibling} > /sys/kernel/security/apparmor/.remove 2>/dev/null; true`,
                );
                await cleanup(info, [name]);
            }
        });

        it("finding 5: a profile moved to another directory: removing the old one leaves the new one loaded", async () => {
            const name = "pa-safe-move";
            const other = "/etc/apparmor.d/pa-safe-moved";
            try {
                await install(name);
                const moved = await install(name, { dir: other });
                assert.strictEqual(moved.dir, other);
                const raw = await kernelRawSha1(info, name);
                const r = await remove(name);
                assert.deepStrictEqual([r.managed, r.unloaded, r.deleted], [true, false, true]);
                assert.strictEqual(
                    await kernelRawSha1(info, name),
                    raw,
                    "the moved profile was unloaded",
                );
                assert.strictEqual(await fileSha256(info, `${DIR}/${name}`), "");
                assert.match(
                    (await root(info, `cat ${MANIFESTS}/${name}`)).stdout,
                    new RegExp(`^dir=${other}$`, "m"),
                );
                const r2 = await remove(name, { dir: other });
                assert.deepStrictEqual([r2.unloaded, r2.deleted], [true, true]);
            } finally {
                await remove(name, { dir: other }).catch(() => undefined);
                await cleanup(info, [name]);
                await root(info, `rm -rf ${other}`);
            }
        });

        it("finding 6: remove refuses while a container runs under the profile (it stays confined), can wait for it to stop, and removes when told to", async () => {
            const name = "pa-safe-inuse";
            const ctr = "pa-safe-inuse-c";
            const label = async () =>
                (
                    await root(
                        info,
                        `pid=$(docker inspect -f '{{.State.Pid}}' ${ctr}) && cat /proc/$pid/attr/current`,
                    )
                ).stdout.trim();
            try {
                await install(name);
                const run = await dockerRun(info, "sleep 600", {
                    profile: name,
                    name: ctr,
                    detach: true,
                });
                assert.strictEqual(run.code, 0, run.stderr);
                const before = await snapshot(name);
                await assert.rejects(remove(name), (e: unknown) => {
                    code("in-use")(e);
                    const err = e as HostScriptError;
                    assert.strictEqual(err.result?.processes, 1);
                    assert.match(
                        err.message,
                        new RegExp(`profile ${name} still confines 1 process`),
                    );
                    assert.match(err.message, /nothing was changed/);
                    return true;
                });
                assert.deepStrictEqual(await snapshot(name), before, "the host changed");
                assert.strictEqual(await label(), `${name} (enforce)`);
                const touch = await root(
                    info,
                    `docker exec ${ctr} sh -c 'mkdir -p /tmp/a; touch /tmp/a/x'`,
                    { allowFail: true },
                );
                assert.match(touch.stderr, /Permission denied/, "still enforced");

                // wait=N: the container stops during the wait, then the profile goes.
                const stop = new Promise((r) => setTimeout(r, 2000)).then(() =>
                    root(info, `docker stop -t 1 ${ctr}`),
                );
                const waited = await remove(name, { waitSeconds: 60 });
                await stop;
                assert.deepStrictEqual([waited.unloaded, waited.processes], [true, 0]);

                // onInUse "remove": unloaded anyway; the container then runs unconfined (reported).
                await root(info, `docker rm -f ${ctr} >/dev/null 2>&1; true`);
                await install(name);
                const again = await dockerRun(info, "sleep 600", {
                    profile: name,
                    name: ctr,
                    detach: true,
                });
                assert.strictEqual(again.code, 0, again.stderr);
                const forced = await remove(name, { onInUse: "remove" });
                assert.deepStrictEqual(
                    [forced.unloaded, forced.deleted, forced.processes],
                    [true, true, 1],
                );
                assert.strictEqual(await kernelMode(info, name), "");
                assert.strictEqual(await label(), "unconfined");
            } finally {
                await cleanup(info, [name], [ctr]);
            }
        });
    });
}
