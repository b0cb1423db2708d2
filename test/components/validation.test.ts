/** Argument validation tables: every bad input fails with the resource, the field and the fix. */
import * as assert from "assert";
import { validateProfileArgs, argsError } from "../../src/components/profile";
import { connectionCheckFailures, validateConnection } from "../../src/components/connection";
import * as pulumi from "@pulumi/pulumi";
import {
    checkInputs,
    diffHostProfile,
    DIRECTORY_RE,
    usesNewerAbi,
} from "../../src/components/hostProfileProvider";
import { validateHostDirectory } from "../../src/host";
import { labelDrift } from "../../src/components/confinementProvider";
import { pinFingerprint, fingerprint } from "../../src/components/ssh";
import { prepareScript } from "../../src/components/hostops";

const GOOD = "profile ok flags=(attach_disconnected) {\n  file,\n}\n";
const host = { host: "10.0.0.5", privateKey: "k" };

describe("components: argument validation", () => {
    it('rejects more than one profile source with "Only one of … can be specified"', () => {
        const cases = [
            { profileText: GOOD, profileFile: "/x" },
            { profileText: GOOD, profile: { kind: "profile", name: "a", rules: [] } },
            { profileFile: "/x", profile: { kind: "profile", name: "a", rules: [] } },
        ];
        for (const c of cases)
            assert.throws(
                () => validateProfileArgs({ hosts: [host], ...(c as object) }),
                /^Error: Only one of \[profile\], \[profileText\] and \[profileFile\] can be specified$/,
            );
    });

    const table: Array<[string, Record<string, unknown>, RegExp]> = [
        ["no profile", { hosts: [host] }, /^profile: no profile given/],
        ["no hosts", { profileText: GOOD, hosts: [] }, /^hosts: no hosts given/],
        ["missing host", { profileText: GOOD, hosts: [{}] }, /^hosts\[0\]\.host: is required/],
        [
            "host with user@",
            { profileText: GOOD, hosts: [{ host: "root@h" }] },
            /^hosts\[0\]\.host: .* not a host name/,
        ],
        [
            "host with option",
            { profileText: GOOD, hosts: [{ host: "-oProxyCommand=x" }] },
            /^hosts\[0\]\.host:/,
        ],
        [
            "host with ;",
            { profileText: GOOD, hosts: [{ host: "h;rm -rf /" }] },
            /^hosts\[0\]\.host:/,
        ],
        [
            "port 0",
            { profileText: GOOD, hosts: [{ host: "h", port: 0 }] },
            /^hosts\[0\]\.port: 0 is not a TCP port \(fix: use 1–65535\)/,
        ],
        [
            "port 70000",
            { profileText: GOOD, hosts: [{ host: "h", port: 70000 }] },
            /^hosts\[0\]\.port:/,
        ],
        [
            "port 22.5",
            { profileText: GOOD, hosts: [{ host: "h", port: 22.5 }] },
            /^hosts\[0\]\.port:/,
        ],
        [
            "user with $()",
            { profileText: GOOD, hosts: [{ host: "h", user: "$(id)" }] },
            /^hosts\[0\]\.user:/,
        ],
        [
            "user with space",
            { profileText: GOOD, hosts: [{ host: "h", user: "a b" }] },
            /^hosts\[0\]\.user:/,
        ],
        [
            "host mode",
            { profileText: GOOD, hosts: [{ host: "h", mode: "kill" }] },
            /^hosts\[0\]\.mode: "kill" is not a mode/,
        ],
        [
            "duplicate hosts",
            { profileText: GOOD, hosts: [{ host: "h" }, { host: "h" }] },
            /^hosts\[1\]: same host key "h" as hosts\[0\]/,
        ],
        [
            "bad host name key",
            { profileText: GOOD, hosts: [{ host: "h", name: "a/b" }] },
            /^hosts\[0\]\.name:/,
        ],
        [
            "mode",
            { profileText: GOOD, hosts: [host], mode: "audit" },
            /^mode: "audit" is not a mode \(fix: use "enforce" or "complain"\)/,
        ],
        [
            "relative directory",
            { profileText: GOOD, hosts: [host], directory: "etc/x" },
            /^directory: .*not an absolute path/,
        ],
        [
            "directory with space",
            { profileText: GOOD, hosts: [host], directory: "/etc/a b" },
            /^directory:/,
        ],
        [
            "directory with $",
            { profileText: GOOD, hosts: [host], directory: "/etc/$(x)" },
            /^directory:/,
        ],
        [
            "unparsable text",
            { profileText: "profile x {\n  bogus stuff here\n", hosts: [host] },
            /^profileText: /,
        ],
        [
            "two profiles",
            { profileText: "profile a { file, }\nprofile b { file, }\n", hosts: [host] },
            /^profileText: has 2 top-level profiles/,
        ],
        [
            "no profile",
            { profileText: "abi <abi/3.0>,\n", hosts: [host] },
            /^profileText: has 0 top-level profiles/,
        ],
        [
            "name with ;",
            { profileText: 'profile "a;b" { file, }\n', hosts: [host] },
            /^profileText/,
        ],
        [
            "name with $(…)",
            { profileText: 'profile "$(reboot)" { file, }\n', hosts: [host] },
            /^profileText/,
        ],
        [
            "name with space",
            { profileText: 'profile "a b" { file, }\n', hosts: [host] },
            /^profileText/,
        ],
        [
            "keywordless header",
            { profileText: "/usr/bin/foo { file, }\n", hosts: [host] },
            /^profileText/,
        ],
        [
            "bad capability",
            { profileText: "profile a { capability frobnicate, }\n", hosts: [host] },
            /^profileText/,
        ],
        [
            "bad permission",
            { profileText: "profile a { /x rwz, }\n", hosts: [host] },
            /^profileText/,
        ],
        [
            "missing file",
            { profileFile: "/nonexistent/profile", hosts: [host] },
            /^profileFile: cannot read \/nonexistent\/profile: ENOENT/,
        ],
        // Issue #13 finding 5: profile files only below /etc/apparmor.d, never its own trees.
        ...(
            [
                ["/etc", /must be below \/etc\/apparmor\.d/],
                ["/usr/bin", /must be below \/etc\/apparmor\.d/],
                ["/etc/apparmor.d", /must be below \/etc\/apparmor\.d/],
                ["/etc/../tmp", /must be normalised/],
                ["/etc/apparmor.d/../../tmp", /must be normalised/],
                ["//x", /must be normalised/],
                ["/etc/apparmor.d/x/", /must not end with "\/"/],
                ["/etc/apparmor.d/./x", /must be normalised/],
                ["/etc/apparmor.d/.x", /must be normalised/],
                ["/etc/apparmor.d/local", /AppArmor includes into other profiles/],
                ["/etc/apparmor.d/abstractions/base.d", /AppArmor includes/],
                ["/etc/apparmor.d/tunables", /AppArmor includes/],
                ["/etc/apparmor.d/disable", /AppArmor includes/],
                ["/etc/apparmor.d/my.d", /AppArmor includes/],
            ] as const
        ).map(([directory, re]): [string, Record<string, unknown>, RegExp] => [
            `directory ${directory}`,
            { profileText: GOOD, hosts: [host], directory },
            new RegExp(
                `^directory: .*${re.source}.*\\(fix: use e\\.g\\. /etc/apparmor\\.d/containers\\)`,
            ),
        ]),
        // Issue #13 findings 5 and 6: adopt and onDeleteInUse.
        [
            "adopt not a boolean",
            { profileText: GOOD, hosts: [host], adopt: "yes" },
            /^adopt: "yes" is not a boolean \(fix: use true .* or false\)/,
        ],
        [
            "adopt a number",
            { profileText: GOOD, hosts: [host], adopt: 1 },
            /^adopt: "1" is not a boolean/,
        ],
        [
            "onDeleteInUse unknown",
            { profileText: GOOD, hosts: [host], onDeleteInUse: "delete" },
            /^onDeleteInUse: "delete" is not a choice \(fix: use "refuse" .* or "remove" .*\)/,
        ],
        [
            "onDeleteInUse wrong case",
            { profileText: GOOD, hosts: [host], onDeleteInUse: "Remove" },
            /^onDeleteInUse: "Remove" is not a choice/,
        ],
        [
            "onDeleteInUse a boolean",
            { profileText: GOOD, hosts: [host], onDeleteInUse: true },
            /^onDeleteInUse: "true" is not a choice/,
        ],
    ];
    for (const [what, args, re] of table) {
        it(`reports ${what}`, () => {
            const problems = validateProfileArgs(args as never);
            assert.ok(problems.length > 0, `expected a problem for ${what}`);
            const lines = problems.map((p) => `${p.field}: ${p.message} (fix: ${p.fix})`);
            assert.ok(
                lines.some((l) => re.test(l)),
                `no line matches ${re}:\n${lines.join("\n")}`,
            );
            for (const p of problems) assert.ok(p.fix.length > 0, "every problem names a fix");
        });
    }

    it("accepts a good profile and good hosts", () => {
        assert.deepStrictEqual(
            validateProfileArgs({
                profileText: GOOD,
                hosts: [host, { host: "fe80::1", port: 2222, user: "deploy", mode: "complain" }],
                mode: "enforce",
                directory: "/etc/apparmor.d/containers",
            }),
            [],
        );
    });

    it("accepts adopt and onDeleteInUse, plain or as Outputs (those are checked by the provider)", () => {
        for (const extra of [
            { adopt: true, onDeleteInUse: "refuse" },
            { adopt: false, onDeleteInUse: "remove" },
            { adopt: pulumi.output("x") as never, onDeleteInUse: pulumi.output("y") as never },
        ])
            assert.deepStrictEqual(
                validateProfileArgs({ profileText: GOOD, hosts: [host], ...extra } as never),
                [],
            );
    });

    it("provider check validates adopt, onDeleteInUse and the directory rule", () => {
        const f = checkInputs({
            adopt: "yes" as never,
            onDeleteInUse: "delete" as never,
            directory: "/usr/bin",
        });
        assert.deepStrictEqual(
            f.map((x) => x.property),
            ["directory", "adopt", "onDeleteInUse"],
        );
        assert.match(f[0].reason, /must be below \/etc\/apparmor\.d/);
        assert.deepStrictEqual(
            checkInputs({ adopt: true, onDeleteInUse: "remove", directory: "/etc/apparmor.d/x" }),
            [],
        );
    });

    it("DIRECTORY_RE accepts exactly what validateHostDirectory accepts", () => {
        const dirs = [
            "/etc/apparmor.d/containers",
            "/etc/apparmor.d/a/b.d",
            "/etc/apparmor.d/localx",
            "/etc/apparmor.d/x-1/y_2/z+3",
            "/etc/apparmor.d",
            "/etc/apparmor.d/",
            "/etc/apparmor.d/local",
            "/etc/apparmor.d/local/x",
            "/etc/apparmor.d/x.d",
            "/etc/apparmor.d/.x",
            "/etc/apparmor.d/x/..",
            "/etc/apparmor.d//x",
            "/etc/../tmp",
            "//x",
            "/usr/bin",
            "/etc/apparmor.d/a b",
        ];
        for (const d of dirs)
            assert.strictEqual(DIRECTORY_RE.test(d), validateHostDirectory(d) === undefined, d);
    });

    it("formats errors with the resource type, name, field and fix", () => {
        const e = argsError("apparmor:index:Profile", "secure", [
            { field: "hosts[0].port", message: "0 is not a TCP port", fix: "use 1–65535" },
        ]);
        assert.strictEqual(
            e.message,
            'apparmor:index:Profile "secure": invalid arguments:\n  - hosts[0].port: 0 is not a TCP port (fix: use 1–65535)',
        );
    });

    it("validateConnection escapes control characters in messages", () => {
        const p = validateConnection({ host: "a\nb" }, "hosts[0]");
        assert.ok(p[0].message.includes("a\\nb"));
    });

    it("provider check validates values that were Outputs at construction", () => {
        const f = checkInputs({
            connection: { host: "h;x", port: 22, user: "root", sudo: false },
            profileName: "a b",
            directory: "rel",
            mode: "kill" as never,
        });
        const props = f.map((x) => x.property).sort();
        assert.deepStrictEqual(props, [
            "connection.host",
            "connection.privateKey",
            "directory",
            "mode",
            "profileName",
        ]);
        assert.deepStrictEqual(
            checkInputs({
                connection: {
                    host: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                    port: 22,
                    user: "root",
                    sudo: false,
                },
            }),
            [],
            "unknown values are not validated",
        );
    });

    it("usesNewerAbi: which texts the install checks against the host's ABI first (table)", () => {
        const p = (body: string) => `profile x {\n${body}\n}\n`;
        const rows: [string, string, boolean][] = [
            ["AppArmor 3 rules", p("  file,\n  deny /tmp/a/** w,\n  network inet,"), false],
            ["an abi pin alone", `abi <abi/3.0>,\n${p("  file,")}`, false],
            ["userns under an abi pin", `abi <abi/4.0>,\n${p("  userns,")}`, true],
            ["userns", p("  userns,"), true],
            ["mqueue", p("  mqueue,"), true],
            ["io_uring", p("  io_uring,"), true],
            ["all", p("  all,"), true],
            ["a text that does not parse (the validator reports it)", "profile x {", false],
        ];
        for (const [what, text, want] of rows) assert.strictEqual(usesNewerAbi(text), want, what);
    });

    it("connectionCheckFailures: the providers' shared connection check (table)", () => {
        const U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const ok = { host: "h", port: 22, user: "root", sudo: false, privateKey: "k" };
        const rows: [string, unknown, string, string[]][] = [
            ["valid", ok, "", []],
            ["absent", undefined, "", []],
            ["the whole connection unknown", U, "", []],
            ["one value unknown", { ...ok, host: U, port: -1 }, "", []],
            ["bad host", { ...ok, host: "h;x" }, "", ["connection.host"]],
            ["no credential", { ...ok, privateKey: undefined }, "", ["connection.privateKey"]],
            [
                "prefixed (rollout)",
                { ...ok, host: "h;x", privateKey: undefined },
                "connections.web-1.",
                ["connections.web-1.connection.host", "connections.web-1.connection.privateKey"],
            ],
        ];
        for (const [what, c, prefix, want] of rows) {
            const f = connectionCheckFailures(c, prefix);
            assert.deepStrictEqual(f.map((x) => x.property).sort(), want, what);
            for (const x of f) assert.match(x.reason, /; fix: /, what);
        }
    });

    it("provider check refuses a private key ssh2 cannot read, without echoing it", () => {
        const f = checkInputs({
            connection: {
                host: "h",
                port: 22,
                user: "root",
                sudo: false,
                privateKey: "not-a-key-SECRET",
            },
        });
        assert.deepStrictEqual(
            f.map((x) => x.property),
            ["connection.privateKey"],
        );
        assert.match(f[0].reason, /cannot be read as an SSH private key/);
        assert.ok(!f[0].reason.includes("SECRET"));
    });

    it("diff: content/mode change updates in place, rename/host/directory replace, drift updates", () => {
        const c = { host: "h", port: 22, user: "root", sudo: false, privateKey: "k" };
        const base = {
            connection: c,
            target: "root@h:22",
            hostName: "h",
            profileName: "p",
            profileText: "t",
            version: "v1",
            mode: "enforce" as const,
            directory: "/d",
            drift: [],
        };
        assert.deepStrictEqual(diffHostProfile(base, base), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
        assert.deepStrictEqual(
            diffHostProfile(base, { ...base, version: "v2", profileText: "t2" }).replaces,
            [],
        );
        assert.strictEqual(diffHostProfile(base, { ...base, version: "v2" }).changes, true);
        assert.strictEqual(diffHostProfile(base, { ...base, mode: "complain" }).changes, true);
        assert.deepStrictEqual(diffHostProfile(base, { ...base, mode: "complain" }).replaces, []);
        assert.deepStrictEqual(diffHostProfile(base, { ...base, profileName: "q" }).replaces, [
            "profileName",
        ]);
        assert.deepStrictEqual(diffHostProfile(base, { ...base, directory: "/e" }).replaces, [
            "directory",
        ]);
        assert.deepStrictEqual(
            diffHostProfile(base, { ...base, connection: { ...c, port: 2222 } }).replaces,
            ["connection"],
        );
        const rotated = diffHostProfile(base, { ...base, connection: { ...c, privateKey: "k2" } });
        assert.deepStrictEqual([rotated.changes, rotated.replaces], [true, []]);
        // adopt / onDeleteInUse: recorded by an update (the install is a no-op), never a replace.
        for (const change of [{ adopt: true }, { onDeleteInUse: "remove" as const }]) {
            const d = diffHostProfile(base, { ...base, ...change });
            assert.deepStrictEqual([d.changes, d.replaces], [true, []]);
        }
        assert.strictEqual(
            diffHostProfile(base, { ...base, adopt: false, onDeleteInUse: "refuse" }).changes,
            false,
            "the defaults are no change for a state written before these inputs existed",
        );
        const drifted = diffHostProfile(
            { ...base, drift: ["profile is not loaded in the kernel"] },
            base,
        );
        assert.deepStrictEqual([drifted.changes, drifted.replaces], [true, []]);
    });

    it("labelDrift names unconfined, wrong and missing labels", () => {
        assert.deepStrictEqual(labelDrift("p (enforce)", "p", "enforce"), []);
        assert.match(labelDrift("unconfined", "p", "enforce")[0], /runs unconfined/);
        assert.match(labelDrift("p (complain)", "p", "enforce")[0], /label "p \(complain\)"/);
        assert.match(labelDrift(undefined, "p", "enforce")[0], /not running/);
    });

    it("host key pins: key lines, known_hosts lines and SHA256 fingerprints", () => {
        const blob = Buffer.from(
            "AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Ynl0ZXN0a2V5Ynl0ZXN0a2V5Ynl0ZXN0",
            "base64",
        );
        const b64 = blob.toString("base64");
        const fp = fingerprint(blob);
        assert.strictEqual(pinFingerprint(`ssh-ed25519 ${b64} root@vm`), fp);
        assert.strictEqual(pinFingerprint(`[127.0.0.1]:2222 ssh-ed25519 ${b64}`), fp);
        assert.strictEqual(pinFingerprint(fp), fp);
        assert.throws(() => pinFingerprint("yes"), /hostKey must be/);
    });

    it("prepare script quotes the directory and refuses hostile ones", () => {
        assert.match(
            prepareScript("/etc/apparmor.d/containers", false),
            /^sh -c '.*' pulumi-apparmor-prepare '\/etc\/apparmor\.d\/containers'$/s,
        );
        assert.throws(() => prepareScript("/etc/x;reboot", true), /invalid directory/);
        assert.throws(() => prepareScript("/etc/$(reboot)", true), /invalid directory/);
    });
});
