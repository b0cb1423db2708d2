import * as assert from "assert";
import { checkWithParser, findApparmorParser } from "../../../src/local";
import {
    audit,
    capability,
    deny,
    file,
    owner,
    profileModel,
    raw,
    signal,
} from "../../../src/profile/builders";
import { dockerDefaultModel } from "../../../src/profile/dockerDefault";
import type { PolicyDocument, Profile } from "../../../src/profile/model";
import { renderProfile } from "../../../src/profile/render";
import {
    CAPABILITIES,
    formatProblem,
    validateCapabilityName,
    validateCommentText,
    validateFlag,
    validateIncludePath,
    validateLabel,
    validatePath,
    validatePermissions,
    validateProfile,
    validateProfileName,
    validateRawText,
    validateToken,
    validateVariableName,
    type ValueProblem,
} from "../../../src/profile/validate";

/** Runs a table: `null` = valid, a RegExp = the problem message must match it. */
function table(
    title: string,
    fn: (v: string) => ValueProblem,
    rows: [string, RegExp | null][],
): void {
    describe(title, () => {
        for (const [input, want] of rows) {
            it(`${JSON.stringify(input).slice(0, 70)} → ${want ? want.source : "valid"}`, () => {
                const got = fn(input);
                if (want === null) {
                    assert.strictEqual(got, undefined, got && `${got.message}; fix: ${got.fix}`);
                } else {
                    assert.ok(got, "expected a problem");
                    assert.match(got.message, want);
                    assert.ok(got.fix.length > 3, "every problem names a fix");
                }
            });
        }
    });
}

describe("profile/validate: single-value validators", () => {
    table("validateProfileName", (v) => validateProfileName(v), [
        ["docker-default", null],
        ["docker-default-secure", null],
        ["my.app_v2+x", null],
        ["A1", null],
        ["x".repeat(200), null],
        ["x".repeat(201), /201 bytes long/],
        ["", /empty/],
        ["unconfined", /reserved/],
        ["my app", /whitespace|" "/],
        ["a;b", /";"/],
        ["$(id)", /start with|"\$"/],
        ["a$(id)", /"\$"/],
        ["a`id`", /"`"/],
        ["a'b", /"'"/],
        ['a"b', /"\\""/],
        ["a\nb", /newline/],
        ["a\0b", /NUL/],
        ["a\tb", /tab/],
        ["a}b", /"}"/],
        ["a{b", /"{"/],
        ["a,b", /","/],
        ["a#b", /"#"/],
        ["a\\b", /"\\\\"/],
        ["a/b", /"\/"/],
        ["/usr/bin/foo", /"\/"/],
        ["-rf", /start with/],
        [".hidden", /start with/],
        ["_x", /start with/],
        [":ns:x", /":"/],
        ["a\u202eb", /U\+202E/],
        ["a\u200bb", /U\+200B/],
        ["é", /"é"/],
    ]);
    table("validateProfileName (allowPath)", (v) => validateProfileName(v, { allowPath: true }), [
        ["/usr/bin/foo", null],
        ["/usr/lib/firefox{,-[0-9]*}/firefox{,*[^s][^h]}", null],
        ["@{exec_path}", null],
        ["/usr/bin/a b", /whitespace|" "/],
        ["/usr//bin", /\/\//],
        ["/usr/bin/{a", /without a matching/],
        ["/usr/bin/a}", /without a matching/],
        ["/usr/bin/[a", /without a matching/],
        ["/usr/bin/a,b", /outside/],
        ["/usr/bin/$(x)", /"\$"/],
        ["@{exec path}", /whitespace|" "/],
        ["@{1x}", /malformed variable/],
        ["my-app", null],
    ]);
    table("validateCapabilityName", validateCapabilityName, [
        ...CAPABILITIES.map((c): [string, null] => [c, null]),
        ["CAP_SYS_ADMIN", /not written the AppArmor way/],
        ["SYS_ADMIN", /not written the AppArmor way/],
        ["sys-admin", /unknown capability/],
        ["all", /unknown capability/],
        ["", /unknown capability/],
        ["sys_admin,chown", /unknown capability/],
    ]);
    it("knows all 41 Linux capabilities (incl. perfmon, bpf, checkpoint_restore)", () => {
        assert.strictEqual(CAPABILITIES.length, 41);
        for (const c of ["perfmon", "bpf", "checkpoint_restore", "audit_read"]) {
            assert.ok(CAPABILITIES.includes(c));
        }
    });
    table("validatePermissions (allow rules)", (v) => validatePermissions(v), [
        ["r", null],
        ["rw", null],
        ["rwlk", null],
        ["mr", null],
        ["a", null],
        ["rix", null],
        ["rPx", null],
        ["rpix", null],
        ["PUx", null],
        ["Cix", null],
        ["", null],
        ["rwa", /w and a conflict/],
        ["rx", /needs an exec qualifier/],
        ["ixpx", /conflicting exec modes ix and px/],
        ["rq", /invalid permission "q"/],
        ["r w", /invalid permission/],
        ["Ix", /invalid permission "I"|invalid exec mode/],
        ["ipx", /invalid exec mode "ipx"/],
        ["rp", /not followed by x/],
        ["r;", /invalid permission ";"/],
        ["r\n", /invalid permission a newline/],
    ]);
    table("validatePermissions (deny rules)", (v) => validatePermissions(v, { deny: true }), [
        ["rwlx", null],
        ["rwklx", null],
        ["x", null],
        ["ix", /deny rules take a bare x/],
        ["rwPx", /deny rules take a bare x/],
    ]);
    table("validatePath", (v) => validatePath(v), [
        ["/tmp/a/**", null],
        ["/", null],
        ["@{HOME}/.cache/**", null],
        ["@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", null],
        // apparmor_parser reads no path that starts with "{" (lexer error); /{a,b}/** is the way
        ["{/a,/b}/**", /starts with an alternation/],
        ["/{a,b}/**", null],
        ["/tmp/a b", null],
        ["/tmp/a\\,b", null],
        ['/tmp/a\\"b', null],
        ["/tmp/ünïcode", null],
        ["", /empty/],
        ["tmp/a", /relative/],
        ["./a", /relative/],
        ["*", /relative/],
        ["/tmp/a,b", /outside a \{ \} alternation/],
        ["/tmp/a}", /without a matching "{"/],
        ["/tmp/{a", /without a matching "}"/],
        ["/tmp/[a", /without a matching "]"/],
        ['/tmp/a"b', /double quote/],
        ["/tmp/a\\", /lone backslash/],
        ["/tmp/a\nb", /newline/],
        ["/tmp/a\0", /NUL/],
        ["/tmp/\u202e", /U\+202E/],
        ["/tmp/\x7f", /control character U\+007F/],
        ["/" + "a".repeat(4096), /bytes long/],
        ["@{HOME", /malformed variable|without a matching/],
        ["@{H-OME}/x", /malformed variable/],
    ]);
    table("validateLabel", (v) => validateLabel(v), [
        ["unconfined", null],
        ["runc", null],
        ["docker-default", null],
        ["/usr/sbin/cupsd", null],
        ["foo//bar", null],
        ["snap.*", null],
        ["@{profile_name}", null],
        ["/usr/bin/man//&man_groff", null],
        ["", /empty/],
        ["a b", /whitespace|" "/],
        ["a;b", /";"/],
        ["a)", /"\)"/],
        ["a,b", /outside/],
        ['"x"', /"\\""/],
    ]);
    table("validateToken", (v) => validateToken(v), [
        ["ext4", null],
        ["mode=755", null],
        ["org.freedesktop.DBus", null],
        ["@/tmp/.X11-unix/X0", null],
        ["{CheckPermissions,DeviceAdded}", null],
        ["a b", /whitespace|" "/],
        ["a,b", /","/],
        ["a)", /"\)"/],
        ["a(", /"\("/],
        ["", /empty/],
    ]);
    table("validateFlag", validateFlag, [
        ["complain", null],
        ["attach_disconnected", null],
        ["mediate_deleted", null],
        ["attach_disconnected.path", /invalid profile flag/],
        ["error=EACCES", null],
        ["Complain", /invalid profile flag/],
        ["complain,audit", /invalid profile flag/],
        ["complain)", /invalid profile flag/],
        ["", /invalid profile flag/],
    ]);
    table("validateVariableName", validateVariableName, [
        ["HOME", null],
        ["exec_path", null],
        // apparmor_parser's VARIABLE_NAME starts with a letter (and the renderer refuses "_x1")
        ["_x1", /invalid variable name/],
        ["1x", /invalid variable name/],
        ["a-b", /invalid variable name/],
        ["@{HOME}", /invalid variable name/],
        ["", /invalid variable name/],
    ]);
    table("validateCommentText", validateCommentText, [
        [" plain comment", null],
        [' } { ; $(x) `y` # \\ "', null],
        ["\ttabbed", null],
        [" a\nb", /newline/],
        [" a\rb", /carriage return/],
        [" a\0", /NUL/],
        [" \u2028", /U\+2028/],
    ]);
    table("validateRawText", validateRawText, [
        ["userns,", null],
        ["capability,\n  network,", null],
        ["capability, # } trailing comment", null],
        ['"/tmp/}" r,', null],
        ["if ${FOO} {\n  /x r,\n}", null],
        ["#include <abstractions/base>", null],
        ["# only a comment", null],
        ["include if exists <local/x>", null],
        ["#include <x> } profile evil {", /close the enclosing profile/],
        ["#include x", /malformed include/],
        ["", /empty/],
        ["capability", /does not end/],
        ["} profile evil { capability,", /close the enclosing profile/],
        ["capability,\n}\nprofile evil {\n  capability,", /close the enclosing profile/],
        ["x {", /unclosed "\{"/],
        ['"/tmp/x r,', /unterminated quote/],
        ["signal (send,", /unclosed "\("/],
        ["signal send),", /unmatched "\)"/],
        ["capability,\0", /NUL/],
        ["capability,\r", /carriage return/],
    ]);
    table("validateIncludePath (angle)", (v) => validateIncludePath(v, "angle"), [
        ["abstractions/base", null],
        ["tunables/global", null],
        ["", /empty/],
        ["abstractions/base>\nprofile", /newline|<, >/],
        ["a b", /whitespace/],
        ['local/"x', /<, > or "/],
    ]);
    table("validateIncludePath (quoted)", (v) => validateIncludePath(v, "quoted"), [
        ["/etc/apparmor.d/local/my app", null],
        ['/etc/"x', /<, > or "/],
    ]);
});

describe("profile/validate: validateProfile", () => {
    const ok = (rules: Profile["rules"]): Profile => profileModel("t", { rules });

    it("accepts valid profiles, documents and moby's docker-default", () => {
        assert.deepStrictEqual(validateProfile(ok([file("/tmp/x", "r")])), []);
        assert.deepStrictEqual(validateProfile(dockerDefaultModel({ name: "docker-default" })), []);
        assert.deepStrictEqual(
            validateProfile(
                ok([
                    deny.file("/tmp/a/**", "rwlx"),
                    deny.capability("fsetid"),
                    audit.deny.file("/etc/shadow", "r"),
                    owner.file("@{HOME}/**", "rw"),
                    file("/usr/bin/foo", "rPx", "foo"),
                    capability("bpf", "perfmon", "checkpoint_restore"),
                    signal({ access: ["send"], signals: ["term", "rtmin+3"], peer: "x" }),
                    raw("userns,"),
                ]),
            ),
            [],
        );
    });

    const bad: [string, Profile | PolicyDocument, { path: string; message: RegExp }[]][] = [
        ["empty profile", ok([]), [{ path: "rules", message: /has no rules/ }]],
        [
            "only comments",
            ok([{ kind: "comment", text: " x" }]),
            [{ path: "rules", message: /has no rules/ }],
        ],
        [
            "bad name",
            profileModel("a b", { rules: [file("/x", "r")] }),
            [{ path: "name", message: /whitespace|" "/ }],
        ],
        [
            "unknown capability",
            ok([capability("chown", "sys_admn")]),
            [{ path: "rules[0].capabilities[1]", message: /unknown capability "sys_admn"/ }],
        ],
        [
            "invalid permission letters",
            ok([{ kind: "file", path: "/x", access: ["r", "q"] as never }]),
            [{ path: "rules[0].access", message: /invalid permission "q"/ }],
        ],
        [
            "w and a",
            ok([{ kind: "file", path: "/x", access: ["w", "a"] }]),
            [{ path: "rules[0].access", message: /w and a conflict/ }],
        ],
        [
            "bare x in an allow rule",
            ok([{ kind: "file", path: "/x", access: [], exec: "x" }]),
            [{ path: "rules[0].exec", message: /needs an exec qualifier/ }],
        ],
        [
            "exec mode in a deny rule",
            ok([{ kind: "file", deny: true, path: "/x", access: [], exec: "ix" }]),
            [{ path: "rules[0].exec", message: /bare x/ }],
        ],
        [
            "safe/unsafe without exec permission",
            ok([{ kind: "file", path: "/x", access: ["r"], execMode: "unsafe" }]),
            [{ path: "rules[0].execMode", message: /unsafe applies to exec permissions/ }],
        ],
        [
            "unsafe deny rule",
            ok([
                { kind: "file", deny: true, path: "/x", access: [], exec: "x", execMode: "unsafe" },
            ]),
            [{ path: "rules[0].execMode", message: /deny rule cannot be unsafe/ }],
        ],
        [
            "unknown exec safety",
            ok([{ kind: "file", path: "/x", access: [], exec: "px", execMode: "risky" as never }]),
            [{ path: "rules[0].execMode", message: /unknown exec safety "risky"/ }],
        ],
        [
            "unknown exec mode",
            ok([{ kind: "file", path: "/x", access: [], exec: "zx" as never }]),
            [{ path: "rules[0].exec", message: /invalid exec mode "zx"/ }],
        ],
        [
            "target without p/c mode",
            ok([{ kind: "file", path: "/x", access: [], exec: "ix", target: "y" }]),
            [{ path: "rules[0].target", message: /needs a p or c exec mode/ }],
        ],
        [
            "conflicting exec modes for one path (even with owner/audit)",
            ok([
                file("/usr/bin/x", "rix"),
                file("/usr/bin/x", "r"),
                owner.file("/usr/bin/x", "px"),
                audit.file("/usr/bin/y", "Px", "a"),
                file("/usr/bin/y", "Px", "b"),
                file("/usr/bin/z", "ix"),
                file("/usr/bin/z", "mix"),
                deny.file("/usr/bin/z", "x"),
            ]),
            [
                {
                    path: "rules[2].exec",
                    message: /conflicting exec modes for \/usr\/bin\/x: ix \(rules\[0\]\) and px/,
                },
                { path: "rules[4].exec", message: /Px -> a \(rules\[3\]\) and Px -> b/ },
            ],
        ],
        [
            "relative path",
            ok([file("tmp/x", "r")]),
            [{ path: "rules[0].path", message: /relative/ }],
        ],
        [
            "file rule without permissions",
            ok([file("/x", "")]),
            [{ path: "rules[0].access", message: /grants no permissions/ }],
        ],
        [
            "allow and deny",
            ok([{ kind: "capability", allow: true, deny: true, capabilities: [] }]),
            [{ path: "rules[0].deny", message: /both allow and deny/ }],
        ],
        [
            "several problems at once, nested",
            {
                kind: "document",
                items: [
                    { kind: "abi", path: "abi/3.0", form: "angle" },
                    {
                        kind: "profile",
                        name: "p",
                        flags: ["complain", "kill"],
                        rules: [
                            file("/ok", "r"),
                            { kind: "network", domain: "inet", type: "stream", protocol: "tcp" },
                            { kind: "signal", access: ["send"], signals: ["SIGTERM"], peer: "a b" },
                            { kind: "profile", name: "h", hat: true, rules: [capability("nope")] },
                            { kind: "rlimit", resource: "nofiles", value: "lots" },
                            { kind: "bogus" } as never,
                        ],
                    },
                ],
            },
            [
                { path: "items[1].flags", message: /conflicting profile modes complain and kill/ },
                { path: "items[1].rules[1].protocol", message: /type or a protocol/ },
                { path: "items[1].rules[2].signals[0]", message: /unknown signal "SIGTERM"/ },
                { path: "items[1].rules[2].peer", message: /whitespace|" "/ },
                {
                    path: "items[1].rules[3].rules[0].capabilities[0]",
                    message: /unknown capability/,
                },
                { path: "items[1].rules[4].resource", message: /unknown rlimit resource/ },
                { path: "items[1].rules[4].value", message: /invalid rlimit value/ },
                { path: "items[1].rules[5].kind", message: /unknown rule kind "bogus"/ },
            ],
        ],
        [
            "document without a profile",
            { kind: "document", items: [{ kind: "abi", path: "abi/3.0", form: "angle" }] },
            [{ path: "items", message: /holds no profile/ }],
        ],
        [
            "duplicate profiles",
            {
                kind: "document",
                items: [ok([file("/x", "r")]), ok([file("/y", "r")])],
            },
            [{ path: "items[1].name", message: /defined twice/ }],
        ],
        [
            "top-level hat",
            { kind: "profile", name: "h", hat: true, rules: [file("/x", "r")] },
            [{ path: "hat", message: /must be nested/ }],
        ],
        [
            "bad preamble items",
            {
                kind: "document",
                items: [
                    { kind: "variable", name: "1X", op: "=", values: [] },
                    { kind: "alias", from: "usr/", to: "/mnt/usr/" },
                    { kind: "comment", text: " a\nb" },
                    ok([file("/x", "r")]),
                ],
            },
            [
                { path: "items[0].name", message: /invalid variable name/ },
                { path: "items[0].values", message: /has no values/ },
                { path: "items[1].from", message: /relative/ },
                { path: "items[2].text", message: /newline/ },
            ],
        ],
        [
            "mount, unix and dbus fields",
            ok([
                {
                    kind: "mount",
                    conditions: [{ name: "options", op: "=", values: ["ro,rw"] }],
                    target: "mnt",
                },
                { kind: "unix", access: ["connect", "fly"], addr: "@a b" },
                { kind: "dbus", access: ["send"], member: "Foo;Bar" },
            ]),
            [
                { path: "rules[0].conditions[0].values[0]", message: /","/ },
                { path: "rules[0].target", message: /relative/ },
                { path: "rules[1].access[1]", message: /unknown unix access "fly"/ },
                { path: "rules[1].addr", message: /whitespace|" "/ },
                { path: "rules[2].member", message: /";"/ },
            ],
        ],
        ["not an object", null as never, [{ path: "", message: /not an object/ }]],
    ];
    for (const [label, model, want] of bad) {
        it(`reports: ${label}`, () => {
            const got = validateProfile(model);
            assert.deepStrictEqual(
                got.map((p) => p.path),
                want.map((w) => w.path),
                JSON.stringify(got, null, 1),
            );
            got.forEach((p, i) => {
                assert.match(p.message, want[i].message);
                assert.ok(p.fix.length > 3);
            });
        });
    }

    it("formatProblem gives 'resource X: field Y: problem; fix: Z'", () => {
        const [p] = validateProfile(ok([capability("sys_admn")]));
        assert.strictEqual(
            formatProblem("web-profile", p, "profile."),
            'resource web-profile: field profile.rules[0].capabilities[0]: unknown capability "sys_admn"; fix: use one of the Linux capability names (e.g. chown, net_bind_service, sys_admin, bpf)',
        );
    });

    it("is pure: does not modify its input", () => {
        const m = dockerDefaultModel({ name: "x" });
        const before = JSON.stringify(m);
        validateProfile(m);
        assert.strictEqual(JSON.stringify(m), before);
    });
});

describe("profile/validate: agrees with apparmor_parser on policy errors", function () {
    this.timeout(60_000);
    // each model: validateProfile reports a problem AND the real parser refuses the rendered text
    const refused: [string, Profile][] = [
        ["unknown capability", profileModel("t", { rules: [capability("sys_admn")] })],
        [
            "w and a",
            profileModel("t", { rules: [{ kind: "file", path: "/x", access: ["w", "a"] }] }),
        ],
        [
            "bare x in allow",
            profileModel("t", { rules: [{ kind: "file", path: "/x", access: [], exec: "x" }] }),
        ],
        [
            "ix in deny",
            profileModel("t", {
                rules: [{ kind: "file", deny: true, path: "/x", access: [], exec: "ix" }],
            }),
        ],
        [
            "conflicting exec modes",
            profileModel("t", { rules: [file("/x", "ix"), file("/x", "px")] }),
        ],
        ["unknown signal", profileModel("t", { rules: [signal({ signals: ["lost"] })] })],
        [
            "network type and protocol",
            profileModel("t", {
                rules: [{ kind: "network", domain: "inet", type: "stream", protocol: "tcp" }],
            }),
        ],
        [
            "unknown network domain",
            profileModel("t", { rules: [{ kind: "network", domain: "local" }] }),
        ],
        ["relative path", profileModel("t", { rules: [file("tmp/x", "r")] })],
        [
            "unsafe without exec",
            profileModel("t", {
                rules: [{ kind: "file", path: "/x", access: ["r"], execMode: "unsafe" }],
            }),
        ],
        [
            "unsafe deny",
            profileModel("t", {
                rules: [
                    {
                        kind: "file",
                        deny: true,
                        path: "/x",
                        access: [],
                        exec: "x",
                        execMode: "unsafe",
                    },
                ],
            }),
        ],
        ["unbalanced glob", profileModel("t", { rules: [file("/tmp/{a", "r")] })],
        [
            "unknown rlimit",
            profileModel("t", { rules: [{ kind: "rlimit", resource: "files", value: "10" }] }),
        ],
        ["path starting with {", profileModel("t", { rules: [file("{/a,/b}/**", "r")] })],
        [
            "variable name starting with _",
            {
                kind: "document",
                items: [
                    { kind: "variable", name: "_x1", op: "=", values: ["/a"] },
                    profileModel("t", { rules: [file("/x", "r")] }),
                ],
            } as never,
        ],
    ];
    for (const [label, model] of refused) {
        it(`${label}: both refuse`, async () => {
            assert.ok(findApparmorParser(), "apparmor_parser is required");
            assert.ok(validateProfile(model).length > 0, "validateProfile accepted it");
            let text: string;
            try {
                text = renderProfile(model);
            } catch {
                return; // the renderer refuses too: nothing can reach a host
            }
            const r = await checkWithParser(text);
            assert.strictEqual(r.ok, false, `apparmor_parser accepted:\n${text}`);
        });
    }
});

describe("profile/validate: safe/unsafe exec rules the parser accepts are accepted", function () {
    this.timeout(60_000);
    const accepted: [string, Profile][] = [
        [
            "unsafe px",
            profileModel("t", {
                rules: [
                    {
                        kind: "file",
                        path: "/usr/bin/x",
                        access: [],
                        exec: "px",
                        execMode: "unsafe",
                    },
                ],
            }),
        ],
        [
            "safe deny x",
            profileModel("t", {
                rules: [
                    {
                        kind: "file",
                        deny: true,
                        path: "/usr/bin/x",
                        access: [],
                        exec: "x",
                        execMode: "safe",
                    },
                ],
            }),
        ],
    ];
    for (const [label, model] of accepted) {
        it(`${label}: both accept`, async () => {
            assert.deepStrictEqual(validateProfile(model), []);
            const r = await checkWithParser(renderProfile(model));
            assert.strictEqual(r.ok, true, JSON.stringify(r));
        });
    }
});
