/** Parsers of the host scripts' output and the drift classification (pure). */
import * as assert from "assert";
import {
    HostScriptError,
    parseDenials,
    parseHostResult,
    parseInstall,
    parsePreflight,
    parseRemove,
    parseStatus,
    preflightErrorMessage,
    profileDrift,
    type ProfileStatus,
} from "../../../src/host";

const SHA = "a".repeat(64);
const SHA1 = "b".repeat(40);

describe("host parsers: results and errors", () => {
    it("parses the first line as the result", () => {
        const r = parseInstall({
            stdout: `{"ok":true,"name":"p","dir":"/d","changed":true,"wrote":true,"reloaded":true,"manifestUpdated":true,"mode":"enforce","sha256":"${SHA}","policySha1":"${SHA1}","kernelMode":"enforce"}\n`,
        });
        assert.strictEqual(r.changed, true);
        assert.strictEqual(r.policySha1, SHA1);
    });
    it("ok:false becomes HostScriptError with the script's code and message", () => {
        const out = {
            stdout: '{"ok":false,"error":"parse-failed","message":"apparmor_parser rejected the profile: \\"x\\""}\n',
            stderr: "pulumi-apparmor-install: apparmor_parser rejected …\n",
            exitCode: 1,
        };
        assert.throws(
            () => parseInstall(out),
            (e: unknown) =>
                e instanceof HostScriptError &&
                e.code === "parse-failed" &&
                e.script === "install" &&
                e.exitCode === 1 &&
                /rejected the profile: "x"/.test(e.message),
        );
    });
    const garbage: [string, string, string][] = [
        ["empty stdout", "", "boom"],
        ["not JSON", "sudo: a password is required\n", ""],
        ["JSON without ok", '{"x":1}\n', ""],
    ];
    for (const [title, stdout, stderr] of garbage) {
        it(`${title} → HostScriptError no-result`, () =>
            assert.throws(
                () => parseHostResult("status", { stdout, stderr, exitCode: 1 }),
                (e: unknown) => e instanceof HostScriptError && e.code === "no-result",
            ));
    }
    it("remove result", () => {
        const r = parseRemove({
            stdout: '{"ok":true,"name":"p","changed":true,"unloaded":true,"deleted":true,"processes":2}\n',
        });
        assert.deepStrictEqual(r, {
            ok: true,
            name: "p",
            changed: true,
            unloaded: true,
            deleted: true,
            processes: 2,
        });
    });
});

describe("host parsers: preflight", () => {
    const failed = {
        stdout: '{"ok":false,"user":"sudo","apparmorEnabled":false,"securityfs":false,"parser":"/usr/sbin/apparmor_parser","parserVersion":"3.0.8","docker":"no-apparmor","kernel":"6.1.0-28-amd64","problems":[{"code":"apparmor-disabled","message":"AppArmor is not enabled in the kernel","fix":"boot with apparmor=1 security=apparmor"},{"code":"docker-no-apparmor","message":"dockerd does not list apparmor","fix":"systemctl restart docker"}]}\n',
        exitCode: 3,
    };
    it("a failed preflight is a result, not an exception", () => {
        const r = parsePreflight(failed);
        assert.strictEqual(r.ok, false);
        assert.deepStrictEqual(
            r.problems.map((p) => p.code),
            ["apparmor-disabled", "docker-no-apparmor"],
        );
    });
    it("one human error naming host, each problem and its fix", () => {
        const msg = preflightErrorMessage(parsePreflight(failed), "10.0.0.5");
        assert.strictEqual(
            msg,
            "host 10.0.0.5 cannot run pulumi-apparmor:\n" +
                "  - AppArmor is not enabled in the kernel. Fix: boot with apparmor=1 security=apparmor.\n" +
                "  - dockerd does not list apparmor. Fix: systemctl restart docker.",
        );
    });
    it("a usage error of preflight still throws", () =>
        assert.throws(
            () =>
                parsePreflight({
                    stdout: '{"ok":false,"error":"usage","message":"usage: x"}\n',
                    exitCode: 2,
                }),
            HostScriptError,
        ));
});

describe("host parsers: denials", () => {
    const header = (lines: number) =>
        `{"ok":true,"source":"journal-audit","cursor":"journal:s=1;i=2","lines":${lines},"bytes":10,"suppressed":0,"truncated":false,"cursorReset":false}`;
    it("header + raw lines", () => {
        const l1 =
            'audit: type=1400 audit(1700000000.123:456): apparmor="DENIED" operation="open" profile="p" name="/tmp/a/x"';
        const l2 =
            'audit: type=1400 audit(1700000000.200:457): apparmor="ALLOWED" operation="open" profile="p"';
        const r = parseDenials({ stdout: `${header(2)}\n${l1}\n${l2}\n` });
        assert.deepStrictEqual(r.lines, [l1, l2]);
        assert.strictEqual(r.cursor, "journal:s=1;i=2");
        assert.strictEqual(r.source, "journal-audit");
    });
    it("no lines", () =>
        assert.deepStrictEqual(parseDenials({ stdout: `${header(0)}\n` }).lines, []));
    it("a line count that differs from the header is an error (cut output)", () =>
        assert.throws(
            () => parseDenials({ stdout: `${header(3)}\nx\n` }),
            /announced 3 lines, got 1/,
        ));
});

function status(over: Partial<ProfileStatus>): ProfileStatus {
    return {
        name: "p",
        managed: true,
        dir: "/etc/apparmor.d/containers",
        file: { present: true, sha256: SHA, mode: "enforce" },
        installed: { sha256: SHA, mode: "enforce", policySha1: SHA1 },
        loaded: true,
        kernelMode: "enforce",
        policySha1: SHA1,
        fileSha1: SHA1,
        policyMatchesFile: true,
        compileError: null,
        processes: 0,
        ...over,
    };
}

describe("host parsers: status and drift", () => {
    it("parses a status document", () => {
        const doc = {
            ok: true,
            apparmor: { enabled: true, securityfs: true, parser: true },
            profiles: [status({})],
        };
        const r = parseStatus({ stdout: JSON.stringify(doc) + "\n" });
        assert.deepStrictEqual(r, doc);
    });
    const table: [string, Partial<ProfileStatus>, string | undefined, string[]][] = [
        ["in sync", {}, undefined, []],
        ["in sync with the expected text", {}, SHA, []],
        ["expected text changed since install", {}, "c".repeat(64), ["file-edited"]],
        [
            "file edited by hand (not reloaded)",
            {
                file: { present: true, sha256: "d".repeat(64), mode: "enforce" },
                fileSha1: "e".repeat(40),
                policyMatchesFile: false,
            },
            undefined,
            ["file-edited", "policy-differs"],
        ],
        [
            "file edited by hand into a broken profile",
            {
                file: { present: true, sha256: "d".repeat(64), mode: "enforce" },
                fileSha1: null,
                policyMatchesFile: false,
                compileError: "syntax error",
            },
            undefined,
            ["file-edited", "file-unparsable", "policy-differs"],
        ],
        [
            "unloaded by hand",
            { loaded: false, kernelMode: null, policySha1: null, policyMatchesFile: false },
            undefined,
            ["not-loaded"],
        ],
        [
            "mode flipped in the kernel only (apparmor_parser -C)",
            { kernelMode: "complain", policySha1: "f".repeat(40), policyMatchesFile: false },
            undefined,
            ["policy-differs", "mode-changed"],
        ],
        [
            "mode flipped with aa-complain (file rewritten and reloaded)",
            {
                file: { present: true, sha256: "d".repeat(64), mode: "complain" },
                kernelMode: "complain",
                policySha1: "f".repeat(40),
                fileSha1: "f".repeat(40),
            },
            undefined,
            ["file-edited", "mode-changed"],
        ],
        [
            "file deleted, policy still loaded",
            {
                file: { present: false, sha256: null, mode: null },
                fileSha1: null,
                policyMatchesFile: false,
            },
            undefined,
            ["file-missing"],
        ],
        ["not ours", { managed: false, installed: null }, undefined, ["unmanaged"]],
    ];
    for (const [title, over, expected, want] of table) {
        it(title, () => assert.deepStrictEqual(profileDrift(status(over), expected), want));
    }
});
