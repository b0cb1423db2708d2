/**
 * Helpers for the host-script tests on the real VM: run the scripts over SSH through src/host's typed
 * API, and read the truth independently of the scripts (kernel files, apparmor_parser, docker).
 */
import * as assert from "assert";
import {
    HostScriptError,
    hostScripts,
    type HostExec,
    type ProfileStatus,
    DEFAULT_PROFILE_DIR,
} from "../../src/host";
import { audit, deny, dockerDefault, renderProfile } from "../../src/profile";
import { sshExec, type TestHostInfo } from "../support/testhost";

export const IMAGE = "local/busybox:latest";

/** HostExec over the fixture's pooled SSH connection; as the unprivileged user (scripts use sudo). */
export function execFor(
    info: TestHostInfo,
    opts: { asRoot?: boolean; timeoutMs?: number } = {},
): HostExec {
    return async (command, stdin) => {
        const r = await sshExec(info, command, {
            stdin,
            asRoot: opts.asRoot,
            timeoutMs: opts.timeoutMs ?? 180000,
        });
        return { stdout: r.stdout, stdoutBytes: r.stdoutBytes, stderr: r.stderr, exitCode: r.code };
    };
}

/** Installs and loads {@link secureProfile} `name` in enforce mode through sudo. */
export function installSecureProfile(exec: HostExec, name: string) {
    return hostScripts.install(exec, {
        name,
        text: secureProfile(name),
        mode: "enforce",
        sudo: true,
    });
}

/**
 * A compose file of one service `one` (busybox sleeping) under the profile `profile`, as
 * ComposeProject sends it.
 */
export function oneServiceCompose(profile: string): string {
    return `services:
  one:
    image: "${IMAGE}"
    command: ["sleep", "3600"]
    stop_grace_period: "1s"
    security_opt: ["apparmor=${profile}"]
`;
}

/**
 * An `assert.rejects` predicate: a HostScriptError with this code whose message matches `message`.
 */
export function scriptError(code: string, message?: RegExp) {
    return (e: unknown): true => {
        assert.ok(e instanceof HostScriptError, String(e));
        assert.strictEqual(e.code, code, e.message);
        if (message) assert.match(e.message, message);
        return true;
    };
}

/**
 * Shell (bash or dash) printing `NAME HASH MODE` for each loaded policy, with builtins only (Debian 13
 * loads 100+ policies): HASH is the kernel's raw_sha1, or raw_sha256 on a kernel that has only that
 * (Debian 13's 6.12).
 */
export const LOADED_POLICIES_SH =
    'for d in /sys/kernel/security/apparmor/policy/profiles/*/; do read -r n <"$d/name"; ' +
    'if [ -e "$d/raw_sha1" ]; then read -r h <"$d/raw_sha1"; else read -r h <"$d/raw_sha256"; fi; ' +
    'read -r m <"$d/mode"; echo "$n $h $m"; done';

/** A policy hash as {@link LOADED_POLICIES_SH} prints it (sha1 or sha256, hex). */
export const POLICY_HASH_RE = "[0-9a-f]{40}(?:[0-9a-f]{24})?";

/** Root shell command on the VM; throws on a non-zero exit unless `allowFail`. */
export async function root(
    info: TestHostInfo,
    command: string,
    opts: { allowFail?: boolean; stdin?: string; timeoutMs?: number } = {},
) {
    const r = await sshExec(info, command, {
        asRoot: true,
        stdin: opts.stdin,
        timeoutMs: opts.timeoutMs ?? 180000,
    });
    if (!opts.allowFail && r.code !== 0) {
        throw new Error(`VM command failed (${r.code}): ${command}\n${r.stdout}\n${r.stderr}`);
    }
    return r;
}

/** The seed's profile: docker-default + `audit deny /tmp/a/** rwlx,` + `deny capability chown,` (+ extras). */
export function secureProfile(name: string, extraDenyDirs: string[] = []): string {
    const rules = [audit.deny.file("/tmp/a/**", "rwlx"), deny.capability("chown")];
    for (const d of extraDenyDirs) rules.push(audit.deny.file(`${d}/**`, "rwlx"));
    return renderProfile(
        dockerDefault({ name })
            .with(...rules)
            .toModel(),
    );
}

/**
 * raw_sha1 of the loaded policy named `name`, read from the kernel (empty when not loaded); on kernels
 * that publish only raw_sha256 (Debian 13's 6.12), the sha1 of the loaded blob (raw_data).
 */
export async function kernelRawSha1(info: TestHostInfo, name: string): Promise<string> {
    const r = await root(
        info,
        `for d in /sys/kernel/security/apparmor/policy/profiles/*/; do ` +
            `[ "$(cat "$d/name")" = '${name}' ] || continue; ` +
            `if [ -e "$d/raw_sha1" ]; then cat "$d/raw_sha1"; ` +
            `else sha1sum < "$d/raw_data" | cut -d' ' -f1; fi; done; true`,
    );
    return r.stdout.trim();
}

/** sha1 of `apparmor_parser -Q -K -S FILE` computed on the VM. */
export async function compiledSha1(info: TestHostInfo, file: string): Promise<string> {
    const r = await root(info, `apparmor_parser -Q -K -S '${file}' | sha1sum | cut -d' ' -f1`);
    return r.stdout.trim();
}

/** The kernel's mode for `name` from /sys/kernel/security/apparmor/profiles ("" when not loaded). */
export async function kernelMode(info: TestHostInfo, name: string): Promise<string> {
    const r = await root(
        info,
        `sed -n 's/^${name} (\\(.*\\))$/\\1/p' /sys/kernel/security/apparmor/profiles`,
    );
    return r.stdout.trim();
}

export async function fileSha256(info: TestHostInfo, file: string): Promise<string> {
    const r = await root(
        info,
        `if [ -f '${file}' ]; then sha256sum < '${file}' | cut -d' ' -f1; fi`,
    );
    return r.stdout.trim();
}

/**
 * Runs a busybox container (as the docker-group user) and returns its exit code and output. It has
 * no network (`--network none`): no check here uses one (AppArmor confines the container the same
 * way), and a start without the bridge network's setup is shorter under emulation: measured
 * 2026-12-05 on a 1-vCPU test VM beside another busy one, 4 pairs of `docker run --rm busybox
 * true`: 8.1-11.1 s with the default bridge, 6.6-8.3 s with none.
 */
export async function dockerRun(
    info: TestHostInfo,
    script: string,
    opts: { profile?: string; name?: string; detach?: boolean } = {},
) {
    const sec = opts.profile ? `--security-opt apparmor=${opts.profile} ` : "";
    const nm = opts.name ? `--name ${opts.name} ` : "";
    const mode = opts.detach ? "-d" : "--rm";
    const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
    return sshExec(info, `docker run ${mode} --network none ${nm}${sec}${IMAGE} sh -c ${quoted}`, {
        timeoutMs: 180000,
    });
}

export async function dockerExec(info: TestHostInfo, container: string, script: string) {
    const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
    return sshExec(info, `docker exec ${container} sh -c ${quoted}`, { timeoutMs: 120000 });
}

/** Removes profiles and containers a test made (tolerates absence). */
export async function cleanup(info: TestHostInfo, profiles: string[], containers: string[] = []) {
    if (containers.length > 0) {
        await sshExec(info, `docker rm -f ${containers.join(" ")} >/dev/null 2>&1; true`, {
            timeoutMs: 120000,
        });
    }
    const exec = execFor(info);
    for (const p of profiles) await hostScripts.remove(exec, { name: p, sudo: true });
}

/** Asserts the host state for `name` is exactly one consistent install of `text` (or of one of `texts`). */
export async function assertConsistent(
    info: TestHostInfo,
    name: string,
    texts: string[],
    dir = DEFAULT_PROFILE_DIR,
): Promise<{ status: ProfileStatus; index: number }> {
    const file = `${dir}/${name}`;
    const onDisk = (await root(info, `cat '${file}'`)).stdout;
    const index = texts.findIndex((t) => t === onDisk);
    assert.ok(index >= 0, `file ${file} is none of the expected texts:\n${onDisk.slice(0, 400)}`);
    const raw = await kernelRawSha1(info, name);
    const compiled = await compiledSha1(info, file);
    assert.ok(raw.length === 40, `profile ${name} is not loaded`);
    assert.strictEqual(raw, compiled, "the loaded policy is not the compiled file (a mix)");
    const st = await hostScripts.status(execFor(info), { names: [name], sudo: true, dir });
    const p = st.profiles[0];
    assert.strictEqual(p.policyMatchesFile, true);
    assert.strictEqual(
        p.installed?.sha256,
        p.file.sha256,
        "manifest does not record the file on disk",
    );
    assert.strictEqual(p.installed?.policySha1, raw, "manifest does not record the loaded policy");
    const leftovers = await root(info, `ls -A '${dir}' | grep '^\\.${name}\\.' || true`);
    assert.strictEqual(leftovers.stdout.trim(), "", "temp files left behind");
    return { status: p, index };
}

/** Wall-clock of an async step, for the per-test timing report. */
export async function timed<T>(
    label: string,
    times: Record<string, number>,
    fn: () => Promise<T>,
): Promise<T> {
    const t0 = Date.now();
    try {
        return await fn();
    } finally {
        times[label] = Date.now() - t0;
    }
}

/**
 * Log lines after `cursor` (the audit transport unless `source`) that satisfy `keep`, polled until at
 * least `atLeast` of them arrived: journald stores audit records asynchronously.
 */
export async function waitForLogLines(
    exec: HostExec,
    cursor: string,
    keep: (line: string) => boolean,
    atLeast = 1,
    opts: {
        source?: "journal-audit" | "journal-kernel";
        timeoutMs?: number;
        /**
         * For the rate-limited kernel log: makes the host print a kernel audit line (e.g. a profile
         * reload's STATUS record). The kernel reports lines it dropped ("callbacks suppressed") only
         * when it prints the next one after the rate-limit interval, so while nothing matched this
         * runs every `NUDGE_MS`, and the wait ends early once the read reports dropped lines: what
         * was dropped will not come. Defaults to none (wait for the lines or the timeout).
         */
        nudge?: () => Promise<unknown>;
    } = {},
): Promise<{ lines: string[]; source: string; suppressed: number }> {
    const start = Date.now();
    const deadline = start + (opts.timeoutMs ?? 60000);
    let nudged = start;
    for (;;) {
        const r = await hostScripts.denials(exec, { cursor, source: opts.source, sudo: true });
        const lines = r.lines.filter(keep);
        const dropped = opts.nudge !== undefined && r.suppressed > 0 && nudged > start;
        if (lines.length >= atLeast || dropped || Date.now() > deadline) {
            return { lines, source: r.source, suppressed: r.suppressed };
        }
        if (opts.nudge && Date.now() - nudged >= NUDGE_MS) {
            await opts.nudge();
            nudged = Date.now();
        }
        await new Promise((res) => setTimeout(res, 1000));
    }
}

/** The kernel's printk rate-limit interval (5 s) and a margin: see `waitForLogLines`' `nudge`. */
const NUDGE_MS = 6000;

/**
 * The seed scenario on a host where `name` (secureProfile) is loaded in enforce mode: a container
 * under it cannot `touch /tmp/a/x` (denied and logged) nor `chown` (no fsetid/chown), one under
 * docker-default can do both. Returns the kernel's denial line for /tmp/a/x, logged after `cursor`.
 */
export async function assertSeedScenario(
    info: TestHostInfo,
    exec: HostExec,
    name: string,
    cursor: string,
): Promise<string> {
    const action =
        "cat /proc/self/attr/current; mkdir -p /tmp/a; touch /tmp/a/x; echo touch=$?; " +
        "touch /tmp/f; chown 1:1 /tmp/f; echo chown=$?";
    const confined = await dockerRun(info, action, { profile: name });
    assert.match(confined.stdout, new RegExp(`^${name} \\(enforce\\)`), confined.stderr);
    assert.match(confined.stdout, /touch=1/);
    assert.match(confined.stderr, /touch: \/tmp\/a\/x: Permission denied/);
    assert.match(confined.stdout, /chown=1/);
    assert.match(confined.stderr, /chown: \/tmp\/f: Operation not permitted/);

    const plain = await dockerRun(info, action);
    assert.match(plain.stdout, /^docker-default \(enforce\)/);
    assert.match(plain.stdout, /touch=0/);
    assert.match(plain.stdout, /chown=0/);

    const log = await waitForLogLines(
        exec,
        cursor,
        (l) =>
            l.includes('apparmor="DENIED"') &&
            l.includes(`profile="${name}"`) &&
            l.includes('name="/tmp/a/x"'),
    );
    assert.strictEqual(log.source, "journal-audit");
    const denial = log.lines[0];
    assert.ok(denial, `no denial for /tmp/a/x in:\n${log.lines.join("\n")}`);
    assert.match(
        denial,
        /^audit: type=1400 audit\(\d+\.\d{3}:\d+\): apparmor="DENIED" operation="/,
    );
    return denial;
}
