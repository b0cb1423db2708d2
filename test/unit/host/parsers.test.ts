/** Parsers of the host scripts' output and the drift classification (pure). */
import * as assert from "assert";
import { createHash } from "crypto";
import {
    HostScriptError,
    journalLineToKernelForm,
    parseDenials,
    parseHostResult,
    parseInstall,
    parseInstallPrior,
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
    const RESULT = `{"ok":true,"name":"p","dir":"/d","changed":true,"wrote":true,"reloaded":true,"manifestUpdated":true,"mode":"enforce","sha256":"${SHA}","policySha1":"${SHA1}","kernelMode":"enforce"}`;
    const positions: [string, string, { cursor: string; source: string } | RegExp][] = [
        [
            "a journal cursor",
            '{"position":"journal:s=ab;i=1f","source":"journal-audit"}',
            { cursor: "journal:s=ab;i=1f", source: "journal-audit" },
        ],
        [
            "an empty journal",
            '{"position":"start","source":"journal-kernel"}',
            { cursor: "start", source: "journal-kernel" },
        ],
        [
            "a log file",
            '{"position":"auditlog:12:3456","source":"auditlog"}',
            { cursor: "auditlog:12:3456", source: "auditlog" },
        ],
        ["no log on the host", '{"position":"","source":""}', { cursor: "", source: "" }],
        ["no position line", "", /no position line/],
        ["not JSON", "position", /not JSON/],
        ["no source", '{"position":"start"}', /no position and source/],
        [
            "a cursor with a quote",
            '{"position":"journal:a\\"b","source":"journal-audit"}',
            /not a cursor/,
        ],
        ["an unknown source", '{"position":"start","source":"syslog"}', /not a log source/],
    ];
    for (const [what, line, want] of positions)
        it(`install with position: ${what}`, () => {
            const out = { stdout: `${RESULT}\n${line}${line ? "\n" : ""}`, exitCode: 0 };
            if (want instanceof RegExp)
                return void assert.throws(
                    () => parseInstall(out, "install", { position: true }),
                    (e: unknown) =>
                        e instanceof HostScriptError &&
                        e.code === "bad-output" &&
                        want.test(e.message),
                );
            const r = parseInstall(out, "install", { position: true });
            assert.deepStrictEqual(r.position, want);
            assert.strictEqual(r.policySha1, SHA1);
            // not asked: the line is not read
            assert.strictEqual(parseInstall(out).position, undefined);
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

describe("host parsers: install with prior", () => {
    const result = `{"ok":true,"name":"p","dir":"/d","changed":true,"wrote":true,"reloaded":true,"manifestUpdated":true,"adopted":false,"mode":"enforce","sha256":"${SHA}","policySha1":"${SHA1}","kernelMode":"enforce","bootLoad":true}`;
    const text = "# é\nprofile p {\n}\n";
    const textSha = createHash("sha256").update(text, "utf8").digest("hex");
    const prior = (sha = textSha) =>
        `{"prior":{"present":true,"sha256":"${sha}","kernelMode":"complain","bytes":${Buffer.byteLength(text)}},"position":"journal:s=1;i=2","source":"journal-audit"}`;
    it("the install's line, the prior line and the previous text (its sha256 checked)", () => {
        const r = parseInstallPrior({ stdout: `${result}\n${prior()}\n${text}` });
        assert.strictEqual(r.install?.sha256, SHA);
        assert.deepStrictEqual(r.prior, {
            present: true,
            sha256: textSha,
            kernelMode: "complain",
            text,
            position: "journal:s=1;i=2",
            source: "journal-audit",
        });
    });
    it("kept: no install result", () => {
        const r = parseInstallPrior({
            stdout: `{"ok":true,"name":"p","dir":"/d","kept":true}\n${prior()}\n${text}`,
        });
        assert.strictEqual(r.install, undefined);
        assert.strictEqual(r.prior.text, text);
    });
    it("absent file: no text, no position", () => {
        const r = parseInstallPrior({
            stdout: `${result}\n{"prior":{"present":false,"sha256":"","kernelMode":"","bytes":0},"position":"","source":""}\n`,
        });
        assert.deepStrictEqual(r.prior, {
            present: false,
            sha256: "",
            kernelMode: "",
            text: "",
            position: "",
            source: "",
        });
    });
    it("a previous file that is not UTF-8 (Latin-1 é): its bytes hashed as sent, no text, the byte named", () => {
        const latin1 = Buffer.from("# caf\xe9\nprofile p {\n  /srv/caf\xe9/** r,\n}\n", "latin1");
        const sha = createHash("sha256").update(latin1).digest("hex");
        const head = `${result}\n{"prior":{"present":true,"sha256":"${sha}","kernelMode":"enforce","bytes":${latin1.length}},"position":"","source":""}\n`;
        const bytes = Buffer.concat([Buffer.from(head), latin1]);
        const r = parseInstallPrior({ stdout: bytes.toString("utf8"), stdoutBytes: bytes });
        assert.deepStrictEqual(r.prior, {
            present: true,
            sha256: sha,
            kernelMode: "enforce",
            text: "",
            notUtf8: { offset: 5, byte: 0xe9, line: 1, column: 6 },
            position: "",
            source: "",
        });
        // The same output decoded to a string and encoded again: the hash no longer matches (the
        // bug this guards against), so a transport without the bytes is refused, not trusted.
        assert.throws(
            () => parseInstallPrior({ stdout: bytes.toString("utf8") }),
            /does not match its sha256/,
        );
    });
    const bad: [string, string][] = [
        ["no prior line", `${result}\n`],
        ["prior line not JSON", `${result}\nsudo: oops\n`],
        ["text cut short", `${result}\n${prior()}\n${text.slice(0, -3)}`],
        ["text with more after it", `${result}\n${prior()}\n${text}x`],
        ["another sha256", `${result}\n${prior("d".repeat(64))}\n${text}`],
        [
            "text after an absent file",
            `${result}\n{"prior":{"present":false,"sha256":"","kernelMode":"","bytes":0},"position":"","source":""}\nx`,
        ],
        [
            "a position that is not a cursor",
            `${result}\n${prior().replace("journal:s=1;i=2", "$(reboot)")}\n${text}`,
        ],
        [
            "a source that is not a log source",
            `${result}\n${prior().replace("journal-audit", "syslog")}\n${text}`,
        ],
        [
            "no position and source",
            `${result}\n${prior().replace(/,"position".*}$/, "}")}\n${text}`,
        ],
    ];
    for (const [what, stdout] of bad)
        it(`bad output: ${what}`, () =>
            assert.throws(
                () => parseInstallPrior({ stdout }),
                (e: unknown) => e instanceof HostScriptError && e.code === "bad-output",
            ));
    it("bad output: anything after a kept install, even when labels and log were asked", () =>
        assert.throws(
            () =>
                parseInstallPrior(
                    {
                        stdout: `{"ok":true,"name":"p","dir":"/d","kept":true}\n${prior()}\n${text}{"labels":{"docker":true,"containers":[]}}\n`,
                    },
                    { labels: true, log: true },
                ),
            (e: unknown) => e instanceof HostScriptError && e.code === "bad-output",
        ));
    const labels = '{"labels":{"docker":true,"containers":[{"id":"ab12","label":"p (complain)"}]}}';
    const line =
        'audit: type=1400 audit(1700000000.123:45): apparmor="DENIED" operation="open" profile="p" name="/etc/x" pid=1 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0';
    const log = `{"ok":true,"source":"kernlog","format":"text","cursor":"kernlog:1:99","lines":1,"bytes":${line.length + 1},"suppressed":0,"truncated":false,"cursorReset":false}\n${line}\n`;
    it("labels and log after the change: the containers and the log read", () => {
        const r = parseInstallPrior(
            { stdout: `${result}\n${prior()}\n${text}${labels}\n${log}` },
            { labels: true, log: true },
        );
        assert.strictEqual(r.install?.sha256, SHA);
        assert.strictEqual(r.prior.text, text);
        assert.deepStrictEqual(r.labels, {
            docker: true,
            containers: [{ id: "ab12", label: "p (complain)" }],
        });
        assert.deepStrictEqual(r.log?.lines, [line]);
        assert.strictEqual(r.log?.cursor, "kernlog:1:99");
        assert.strictEqual(r.checkError, undefined);
    });
    // After the install, a failed or cut read is `checkError`: the install's result is kept.
    const checks: [string, string, { labels?: boolean; log?: boolean }, RegExp][] = [
        ["labels missing", "", { labels: true }, /no container labels/],
        ["labels line cut", '{"labels":{"docker":tr', { labels: true }, /no container labels/],
        [
            "labels of the wrong shape",
            '{"labels":{"docker":true,"containers":[{"id":1}]}}\n',
            { labels: true },
            /no container labels/,
        ],
        [
            "the log read failed",
            `${labels}\n{"ok":false,"error":"journal-failed","message":"journalctl failed"}\n`,
            { labels: true, log: true },
            /reading the log after the install failed: .*journalctl failed/,
        ],
        [
            "the log read cut",
            `${labels}\n${log.slice(0, log.indexOf("\n") + 10)}`,
            { labels: true, log: true },
            /reading the log after the install failed: .*the last line is cut/,
        ],
    ];
    for (const [what, after, asked, want] of checks)
        it(`after the install: ${what}`, () => {
            const r = parseInstallPrior(
                { stdout: `${result}\n${prior()}\n${text}${after}` },
                asked,
            );
            assert.strictEqual(r.install?.sha256, SHA);
            assert.match(r.checkError ?? "", want);
        });
    it("log asked, no position (the profile was not loaded): nothing read, nothing missing", () => {
        const r = parseInstallPrior(
            {
                stdout: `${result}\n{"prior":{"present":false,"sha256":"","kernelMode":"","bytes":0},"position":"","source":""}\n${labels}\n`,
            },
            { labels: true, log: true },
        );
        assert.strictEqual(r.log, undefined);
        assert.strictEqual(r.checkError, undefined);
        assert.strictEqual(r.labels?.containers.length, 1);
    });
    it("a failed install is its error, whatever follows", () =>
        assert.throws(
            () =>
                parseInstallPrior({
                    stdout: '{"ok":false,"error":"parse-failed","message":"rejected"}\n',
                    exitCode: 1,
                }),
            (e: unknown) => e instanceof HostScriptError && e.code === "parse-failed",
        ));
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
    it("a last line without its newline is an error (output cut inside it)", () =>
        assert.throws(
            () =>
                parseDenials({
                    stdout: `${header(1)}\naudit: type=1400 audit(1700000000.123:456): apparmor="DEN`,
                }),
            /the last line is cut/,
        ));
});

describe("host parsers: denials in the journal-json format (hostile input)", () => {
    const BODY =
        'apparmor="DENIED" operation="open" profile="p" name="/etc/shadow" pid=9 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0';
    const audit = (o: Record<string, unknown>) =>
        JSON.stringify({ m: `AVC ${BODY}`, t: "1400", i: "457", s: "1700000000123456", ...o });
    const kernel = (m: unknown) => JSON.stringify({ m });
    const KLINE = `audit: type=1400 audit(1700000000.123:457): ${BODY}`;

    it("puts an audit-transport entry back in the kernel's form", () => {
        assert.strictEqual(journalLineToKernelForm(audit({}), "journal-audit"), KLINE);
        assert.strictEqual(
            journalLineToKernelForm(
                audit({ t: "1503", m: `APPARMOR_DENIED ${BODY}` }),
                "journal-audit",
            ),
            KLINE.replace("1400", "1503"),
        );
    });
    it("takes a kernel-transport message as it is", () => {
        assert.strictEqual(journalLineToKernelForm(kernel(KLINE), "journal-kernel"), KLINE);
    });

    const refused: [string, string, "journal-audit" | "journal-kernel"][] = [
        ["USER_AVC type", audit({ t: "1107", m: `USER_AVC pid=1 msg='${BODY}'` }), "journal-audit"],
        ["user type 2100", audit({ t: "2100" }), "journal-audit"],
        ["type as a number", audit({ t: 1400 }), "journal-audit"],
        ["type array", audit({ t: ["1107", "1400"] }), "journal-audit"],
        [
            "no type",
            JSON.stringify({ m: `AVC ${BODY}`, i: "1", s: "1700000000123456" }),
            "journal-audit",
        ],
        ["serial not digits", audit({ i: "1): x" }), "journal-audit"],
        ["time not digits", audit({ s: "17e9" }), "journal-audit"],
        ["extra key", audit({ x: "1" }), "journal-audit"],
        ["newline in the message", audit({ m: `AVC ${BODY}\n${KLINE}` }), "journal-audit"],
        ["CR", audit({ m: `AVC ${BODY}\r` }), "journal-audit"],
        ["ESC", audit({ m: `AVC ${BODY} \u001b[2J` }), "journal-audit"],
        ["NUL", audit({ m: `AVC ${BODY}\u0000` }), "journal-audit"],
        ["bidi override", audit({ m: `AVC ${BODY} \u202e` }), "journal-audit"],
        ["message as bytes", audit({ m: [65, 86, 67] }), "journal-audit"],
        ["not JSON", `AVC ${BODY}`, "journal-audit"],
        ["JSON array", "[1]", "journal-audit"],
        ["JSON null", "null", "journal-audit"],
        ["truncated JSON", audit({}).slice(0, -2), "journal-audit"],
        [
            "kernel USER_AVC",
            kernel(`audit: type=1107 audit(1.2:3): pid=1 msg='${BODY}'`),
            "journal-kernel",
        ],
        [
            "kernel text with newline",
            kernel(`audit: type=1107 audit(1.2:3): msg='x\n${KLINE}'`),
            "journal-kernel",
        ],
        ["kernel: a kernel line later in the message", kernel(`x ${KLINE}`), "journal-kernel"],
        [
            "kernel entry with audit fields",
            JSON.stringify({ m: KLINE, t: "1400" }),
            "journal-kernel",
        ],
        ["audit entry read as kernel", audit({}), "journal-kernel"],
        ["unknown source", audit({}), "auditlog" as "journal-audit"],
    ];
    for (const [title, line, source] of refused) {
        it(`refuses ${title}`, () =>
            assert.strictEqual(journalLineToKernelForm(line, source), undefined));
    }

    it("parseDenials decodes, drops and counts the lines that are not kernel records, and counts bytes", () => {
        const lines = [
            audit({}),
            audit({ t: "1107" }),
            audit({ m: `AVC ${BODY}\nx` }),
            audit({ i: "458" }),
        ];
        const header = `{"ok":true,"source":"journal-audit","format":"journal-json","cursor":"journal:s=1","lines":4,"bytes":999,"suppressed":0,"truncated":false,"cursorReset":false}`;
        const r = parseDenials({ stdout: `${header}\n${lines.join("\n")}\n` });
        assert.deepStrictEqual(r.lines, [KLINE, KLINE.replace(":457)", ":458)")]);
        assert.strictEqual(r.rejected, 2);
        assert.strictEqual(
            r.bytes,
            r.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
        );
        assert.ok(!("format" in r));
    });
    it("parseDenials re-checks text lines: user audit messages are dropped", () => {
        const lines = [
            `type=AVC msg=audit(1.2:3): ${BODY}`,
            `type=USER_AVC msg=audit(1.2:4): pid=1 msg='${BODY}'`,
            `Nov 25 10:00:00 h kernel: [ 5.0] audit: type=1107 audit(1.2:5): msg='${BODY}'`,
        ];
        const header = `{"ok":true,"source":"auditlog","format":"text","cursor":"auditlog:1:2","lines":3,"bytes":1,"suppressed":0,"truncated":false,"cursorReset":false}`;
        const r = parseDenials({ stdout: `${header}\n${lines.join("\n")}\n` });
        assert.deepStrictEqual([r.lines, r.rejected], [[lines[0]], 2]);
    });
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
