/**
 * Debian 13 trixie (kernel 6.12, AppArmor 4.1, docker.io 26) as a test host beside bookworm (#18 item 1,
 * first step), on the trixie VM the trixie tests of the mocha process share (`sharedTrixieHost()`). On
 * it, through the library's host scripts exactly as the components call them (over SSH as the
 * unprivileged user, sudo -n): preflight, an install verified against the kernel, the seed
 * scenario, and a user-namespace denial (`unshare -U` in a container) read back by the `denials`
 * script and parsed by src/log.
 *
 * PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR uses the trixie VM already running in DIR (started with
 * `pulumi-apparmor testhost start --release trixie --state-dir DIR`) instead of booting one.
 */
import * as assert from "assert";
import { inventoryRows } from "../../src/cli/inventoryView";
import { DEFAULT_PROFILE_DIR, hostScripts, type HostExec } from "../../src/host";
import { readInventory } from "../../src/host/inventory";
import { parseAuditLog } from "../../src/log";
import { audit, dockerDefault, renderProfile, userns } from "../../src/profile";
import { sharedTrixieHost, sshExec, systemdHealth, type TestHostInfo } from "../support/testhost";
import {
    assertConsistent,
    cleanup,
    assertSeedScenario,
    execFor,
    IMAGE,
    root,
    secureProfile,
    waitForLogLines,
} from "./scripts-support";

const SECURE = "docker-default-secure";
const NO_USERNS = "pa-trixie-no-userns";
const USERNS = "pa-trixie-userns";

/** docker-default on AppArmor 4's ABI (which mediates user namespaces) with `extra` rules. */
function abi4Profile(name: string, ...extra: Parameters<ReturnType<typeof dockerDefault>["with"]>) {
    return renderProfile(
        dockerDefault({ name, abi: "abi/4.0" })
            .with(...extra)
            .toModel(),
    );
}

/** `unshare -U` in a busybox container without docker's seccomp filter (which refuses unshare on its
 * own), so that AppArmor alone decides; prints the label and the result. */
async function unshareIn(info: TestHostInfo, profile: string) {
    const script = "cat /proc/self/attr/current; unshare -U true; echo unshare=$?";
    const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
    return sshExec(
        info,
        `docker run --rm --security-opt seccomp=unconfined --security-opt apparmor=${profile} ` +
            `${IMAGE} sh -c ${quoted}`,
        { timeoutMs: 180000 },
    );
}

describe("trixie test host (Debian 13: kernel 6.12, AppArmor 4.1)", function () {
    this.timeout(600000);
    let info: TestHostInfo | undefined;
    let exec: HostExec;
    const host = (): TestHostInfo => {
        assert.ok(info, "the trixie VM did not boot");
        return info;
    };

    before(async function () {
        this.timeout(1_800_000);
        info = await sharedTrixieHost();
        exec = execFor(info);
    });

    it("runs Debian 13 with kernel 6.12, AppArmor on and the kernel's user namespace mediation", async () => {
        const i = host();
        assert.strictEqual(i.release, "trixie");
        assert.strictEqual(i.apparmor, true);
        const r = await root(
            i,
            "cut -d. -f1 /etc/debian_version; uname -r; " +
                "cat /sys/kernel/security/apparmor/features/namespaces/mask 2>&1; " +
                "cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>&1 || true; " +
                "cat /proc/sys/kernel/unprivileged_userns_clone 2>&1 || true; " +
                "docker version -f '{{.Server.Version}}'",
        );
        const [debian, kernel, nsMask, restrict, clone, docker] = r.stdout.trim().split("\n");
        process.stderr.write(
            `    [trixie] debian ${debian}, kernel ${kernel}, features/namespaces/mask: ${nsMask}, ` +
                `apparmor_restrict_unprivileged_userns: ${restrict}, ` +
                `unprivileged_userns_clone: ${clone}, docker ${docker}\n`,
        );
        assert.strictEqual(debian, "13");
        assert.match(kernel ?? "", /^6\.12\./);
        // The kernel mediates user namespace creation for policy compiled against an ABI that has it.
        assert.match(nsMask ?? "", /\buserns_create\b/);
    });

    it("boots with no failed unit, and systemd runs only the fstab generator (the image masks the rest)", async function () {
        this.timeout(120000);
        const { failedUnits, liveGenerators } = await systemdHealth(host());
        assert.strictEqual(failedUnits, "", `failed units:\n${failedUnits}`);
        assert.strictEqual(liveGenerators, "systemd-fstab-generator");
    });

    it("preflight: ok as the sudo user, with AppArmor 4.1's apparmor_parser", async () => {
        const p = await hostScripts.preflight(exec);
        assert.strictEqual(p.ok, true, JSON.stringify(p.problems));
        assert.strictEqual(p.user, "sudo");
        assert.strictEqual(p.apparmorEnabled, true);
        assert.strictEqual(p.securityfs, true);
        assert.strictEqual(p.docker, "apparmor");
        assert.match(p.parser ?? "", /apparmor_parser$/);
        assert.match(p.parserVersion ?? "", /^4\.1\./);
        assert.match(p.kernel, /^6\.12\./);
        assert.deepStrictEqual(p.problems, []);
    });

    it("seed scenario: install verifies docker-default-secure in enforce mode; touch /tmp/a/x denied and logged, chown denied; docker-default allows both", async () => {
        const i = host();
        try {
            const text = secureProfile(SECURE);
            const res = await hostScripts.install(exec, {
                name: SECURE,
                text,
                mode: "enforce",
                sudo: true,
            });
            assert.deepStrictEqual(
                [res.changed, res.wrote, res.reloaded, res.kernelMode],
                [true, true, true, "enforce"],
            );
            // The kernel's loaded policy is the compiled file, and the manifest records both.
            await assertConsistent(i, SECURE, [text]);
            const st = await hostScripts.status(exec, { names: [SECURE], sudo: true });
            assert.strictEqual(st.profiles[0]?.kernelMode, "enforce");
            // `pulumi-apparmor status`/`import`: this kernel has raw_sha256 only, and the inventory
            // still gives the loaded policy's sha1 (of raw_data) and finds it equal to the file's.
            const inv = await readInventory(exec, { dir: DEFAULT_PROFILE_DIR, sudo: true });
            const row = inventoryRows(inv).find((r) => r.name === SECURE);
            assert.deepStrictEqual(
                [row?.managed, row?.policySha1, row?.policyMatchesFile],
                [true, st.profiles[0]?.policySha1, true],
            );
            const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;

            const denial = await assertSeedScenario(i, exec, SECURE, cursor);
            const [rec] = parseAuditLog(denial).events;
            assert.deepStrictEqual(
                [rec?.type, rec?.profile, rec?.name],
                ["DENIED", SECURE, "/tmp/a/x"],
            );
            assert.match(rec?.deniedMask ?? "", /[wc]/);
        } finally {
            await cleanup(i, [SECURE]);
        }
    });

    it("userns: `audit deny userns,` (abi/4.0) refuses unshare -U in the container, logged and parsed from the denials script; `userns,` allows it", async () => {
        const i = host();
        try {
            for (const [name, text] of [
                [NO_USERNS, abi4Profile(NO_USERNS, audit.deny.userns())],
                [USERNS, abi4Profile(USERNS, userns())],
            ] as const) {
                assert.match(text, /^abi <abi\/4\.0>,$/m);
                const res = await hostScripts.install(exec, {
                    name,
                    text,
                    mode: "enforce",
                    sudo: true,
                });
                assert.strictEqual(res.kernelMode, "enforce", name);
                await assertConsistent(i, name, [text]);
            }
            const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;

            const refused = await unshareIn(i, NO_USERNS);
            assert.match(refused.stdout, new RegExp(`^${NO_USERNS} \\(enforce\\)`), refused.stderr);
            assert.match(refused.stdout, /unshare=1/);
            assert.match(refused.stderr, /unshare: unshare\(0x10000000\): Permission denied/);

            // The same container with `userns,`: AppArmor alone made the difference.
            const allowed = await unshareIn(i, USERNS);
            assert.match(allowed.stdout, new RegExp(`^${USERNS} \\(enforce\\)`), allowed.stderr);
            assert.match(allowed.stdout, /unshare=0/, allowed.stderr);

            const log = await waitForLogLines(
                exec,
                cursor,
                (l) => l.includes(`profile="${NO_USERNS}"`) && l.includes("userns_create"),
            );
            assert.strictEqual(log.source, "journal-audit");
            assert.ok(log.lines[0], "no userns_create denial in the log");
            const records = parseAuditLog(log.lines.join("\n")).events;
            const rec = records.find((r) => r.operation === "userns_create");
            assert.ok(rec, `not parsed: ${log.lines.join("\n")}`);
            assert.strictEqual(rec.type, "DENIED");
            assert.strictEqual(rec.profile, NO_USERNS);
            assert.strictEqual(rec.comm, "unshare");
            assert.match(rec.deniedMask ?? "", /userns_create/);
            // Nothing logged for the profile that allows it.
            const again = await hostScripts.denials(exec, { cursor, sudo: true });
            assert.ok(
                !again.lines.some((l) => l.includes(`profile="${USERNS}"`) && l.includes("DENIED")),
                again.lines.join("\n"),
            );
        } finally {
            await cleanup(i, [NO_USERNS, USERNS]);
        }
    });

    it("the profiles of this file are gone from the host afterwards", async () => {
        const r = await root(host(), `ls -A ${DEFAULT_PROFILE_DIR}`);
        for (const name of [SECURE, NO_USERNS, USERNS]) {
            assert.ok(!r.stdout.split("\n").includes(name), `${name} left behind`);
        }
    });
});
