/**
 * Drift reasons of a profile and of a container on a named host, when AppArmor itself is off there
 * (pure).
 */
import * as assert from "assert";
import { labelDrift } from "../../../src/components/confinementProvider";
import { hostDriftReasons } from "../../../src/components/hostProfileProvider";
import { parseStatus } from "../../../src/host";
import { driftReasons } from "../../../src/state";

const TARGET = "deploy@10.0.0.5:22";
const WANT = { fileSha256: "aa", mode: "enforce" as const };
const IN_SYNC = {
    enabled: true,
    filePresent: true,
    fileSha256: "aa",
    loaded: true,
    mode: "enforce",
    policyMatchesFile: true,
};

describe("components: drift reasons on a named host", () => {
    it("AppArmor off on the host: one reason that names the host, the consequence and the fix", () => {
        // What status reports after a boot with apparmor=0: no securityfs, nothing loaded.
        const r = hostDriftReasons(TARGET, WANT, {
            enabled: false,
            filePresent: true,
            fileSha256: "aa",
            loaded: false,
        });
        assert.strictEqual(r.length, 1);
        assert.match(r[0], /^AppArmor is disabled on host deploy@10\.0\.0\.5:22 /);
        assert.match(r[0], /containers started with it run unconfined/);
        assert.match(r[0], /apparmor=1 security=apparmor/);
        assert.match(r[0], /`pulumi up`/);
    });

    it("AppArmor on: the same reasons as driftReasons (none when in sync)", () => {
        assert.deepStrictEqual(hostDriftReasons(TARGET, WANT, IN_SYNC), []);
        for (const live of [
            { ...IN_SYNC, loaded: false },
            { ...IN_SYNC, mode: "complain" },
            { ...IN_SYNC, fileSha256: "bb", policyMatchesFile: false },
        ])
            assert.deepStrictEqual(hostDriftReasons(TARGET, WANT, live), driftReasons(WANT, live));
    });

    it("status output of a host booted with apparmor=0 parses to AppArmor off", () => {
        // status.sh on the test VM booted with apparmor=0 (no /sys/kernel/security/apparmor).
        const s = parseStatus({
            stdout:
                '{"ok":true,"apparmor":{"enabled":false,"securityfs":false,"parser":true},"profiles":[' +
                '{"name":"p","managed":true,"dir":"/etc/apparmor.d/containers","file":{"present":true,' +
                '"sha256":"aa","mode":"enforce"},"installed":{"sha256":"aa","mode":"enforce","policySha1":null},' +
                '"loaded":false,"kernelMode":null,"policySha1":null,"fileSha1":null,"policyMatchesFile":false,' +
                '"compileError":null,"processes":0}]}\n',
        });
        assert.strictEqual(s.apparmor.enabled, false);
        assert.strictEqual(s.profiles[0].loaded, false);
    });
});

describe("components: container label drift when AppArmor is off on the host", () => {
    it("a running container is reported unconfined, naming the host, whatever label another LSM shows", () => {
        // Seen on the test VM booted with apparmor=0: /proc/<pid>/attr/current reads "kernel".
        assert.deepStrictEqual(labelDrift("kernel", "p", "enforce", TARGET), [
            'container runs unconfined: AppArmor is disabled on host deploy@10.0.0.5:22 (label "kernel", expected p (enforce))',
        ]);
        assert.match(
            labelDrift("unconfined", "p", "complain", TARGET)[0],
            /^container runs unconfined: AppArmor is disabled on host deploy@10\.0\.0\.5:22 .*expected p \(complain\)/,
        );
    });

    it("a stopped container is still reported as not running; AppArmor on: unchanged reasons", () => {
        assert.match(labelDrift(undefined, "p", "enforce", TARGET)[0], /not running/);
        assert.deepStrictEqual(labelDrift("p (enforce)", "p", "enforce"), []);
        assert.match(labelDrift("unconfined", "p", "enforce")[0], /^container runs unconfined \(/);
    });
});
