/**
 * Whole-document parsing and rendering: preamble, profile headers, hats and child profiles,
 * comments, parse-error positions, rulesEqual and profileVersion.
 */

import * as assert from "assert";
import {
    parseProfile,
    parseRules,
    PolicyDocument,
    Profile,
    ProfileParseError,
    ProfileRenderError,
    profileVersion,
    renderProfile,
    renderRule,
    rulesEqual,
    ruleKey,
} from "../../../src/profile";
import { compile, haveApparmorParser } from "../../corpus/corpus";

const SAMPLE = `# Last Modified: example
abi <abi/3.0>,
#include <tunables/global>
@{MYDIRS} = /srv/a "/srv/with space"
@{MYDIRS} += /srv/b
alias /usr/ -> /mnt/usr/,

/usr/bin/foo flags=(complain,attach_disconnected) {
  include <abstractions/base>
  capability net_bind_service,   # trailing comment
  @{MYDIRS}/** r,
  /usr/bin/helper Cx -> helper,

  ^hat1 {
    /tmp/hat1 rw,
  }
  profile helper /usr/bin/helper {
    /usr/bin/helper mr,
  }
}
profile "with space" /opt/x/** xattrs=(user.x=1) (complain) {
}
`;

const CANONICAL = `# Last Modified: example
abi <abi/3.0>,
#include <tunables/global>
@{MYDIRS} = /srv/a "/srv/with space"
@{MYDIRS} += /srv/b
alias /usr/ -> /mnt/usr/,

profile /usr/bin/foo flags=(attach_disconnected, complain) {
  include <abstractions/base>
  capability net_bind_service,
  # trailing comment
  @{MYDIRS}/** r,
  /usr/bin/helper Cx -> helper,

  ^hat1 {
    /tmp/hat1 rw,
  }

  profile helper /usr/bin/helper {
    /usr/bin/helper mr,
  }
}

profile "with space" /opt/x/** xattrs=(user.x=1) flags=(complain) {
}
`;

describe("profile documents", function () {
    it("parses preamble, headers, hats, child profiles and comments into the model", function () {
        const doc = parseProfile(SAMPLE);
        const expected: PolicyDocument = {
            kind: "document",
            items: [
                { kind: "comment", text: " Last Modified: example" },
                { kind: "abi", path: "abi/3.0", form: "angle" },
                { kind: "include", path: "tunables/global", form: "angle", hash: true },
                {
                    kind: "variable",
                    name: "MYDIRS",
                    op: "=",
                    values: ["/srv/a", "/srv/with space"],
                },
                { kind: "variable", name: "MYDIRS", op: "+=", values: ["/srv/b"] },
                { kind: "alias", from: "/usr/", to: "/mnt/usr/" },
                {
                    kind: "profile",
                    name: "/usr/bin/foo",
                    flags: ["attach_disconnected", "complain"],
                    rules: [
                        { kind: "include", path: "abstractions/base", form: "angle" },
                        { kind: "capability", capabilities: ["net_bind_service"] },
                        { kind: "comment", text: " trailing comment" },
                        { kind: "file", path: "@{MYDIRS}/**", access: ["r"] },
                        {
                            kind: "file",
                            path: "/usr/bin/helper",
                            access: [],
                            exec: "Cx",
                            target: "helper",
                        },
                        {
                            kind: "profile",
                            name: "hat1",
                            hat: true,
                            rules: [{ kind: "file", path: "/tmp/hat1", access: ["r", "w"] }],
                        },
                        {
                            kind: "profile",
                            name: "helper",
                            attachment: "/usr/bin/helper",
                            rules: [{ kind: "file", path: "/usr/bin/helper", access: ["m", "r"] }],
                        },
                    ],
                },
                {
                    kind: "profile",
                    name: "with space",
                    attachment: "/opt/x/**",
                    xattrs: [{ key: "user.x", value: "1" }],
                    flags: ["complain"],
                    rules: [],
                },
            ],
        };
        assert.deepStrictEqual(doc, expected);
    });

    it("renders canonical text: two-space indent, one rule per line, sorted sets", function () {
        assert.strictEqual(renderProfile(parseProfile(SAMPLE)), CANONICAL);
        assert.strictEqual(renderProfile(parseProfile(CANONICAL)), CANONICAL);
    });

    it("original and canonical text compile to the same policy", async function () {
        this.timeout(60000);
        assert.ok(haveApparmorParser(), "apparmor_parser not found: apt-get install -y apparmor");
        // xattrs need kernel support the compile-only default features may lack: compare without them
        const strip = (t: string): string => t.replace(/ xattrs=\([^)]*\)/, "");
        const a = await compile(strip(SAMPLE));
        const b = await compile(strip(CANONICAL));
        assert.ok(a.ok, a.stderr);
        assert.ok(b.ok, b.stderr);
        assert.ok(a.binary.equals(b.binary), "compiled policy differs");
    });

    it("renders a bare Profile (no document) and keeps JSON round trips identical", function () {
        const p: Profile = {
            kind: "profile",
            name: "app",
            flags: ["complain"],
            rules: [
                { kind: "include", path: "abstractions/base", form: "angle" },
                { kind: "file", deny: true, path: "/tmp/a/**", access: ["r", "w", "l"], exec: "x" },
                { kind: "capability", deny: true, capabilities: ["fsetid"] },
            ],
        };
        const text = renderProfile(p);
        assert.strictEqual(
            text,
            "profile app flags=(complain) {\n  include <abstractions/base>\n" +
                "  deny /tmp/a/** rwlx,\n  deny capability fsetid,\n}\n",
        );
        assert.strictEqual(renderProfile(JSON.parse(JSON.stringify(p)) as Profile), text);
        assert.deepStrictEqual(parseProfile(text).items[0], p);
    });

    it("keeps comments directly above a profile attached to it", function () {
        const text =
            "profile a {\n  /x r,\n  # about the hat\n  ^h {\n  }\n}\n# top comment\nprofile b {\n}\n";
        assert.strictEqual(
            renderProfile(parseProfile(text)),
            "profile a {\n  /x r,\n\n  # about the hat\n  ^h {\n  }\n}\n\n# top comment\nprofile b {\n}\n",
        );
    });

    it("accepts CRLF line endings, tabs and rules spanning lines", function () {
        const doc = parseProfile(
            "profile x {\r\n\tdbus send\r\n\t\tbus=system\r\n\t\tpath=/a,\r\n\t/b r,\r\n}\r\n",
        );
        assert.strictEqual(
            renderProfile(doc),
            "profile x {\n  dbus send bus=system path=/a,\n  /b r,\n}\n",
        );
    });
});

/** [text, line, column, expected-substring] */
const ERRORS: readonly [string, number, number, string][] = [
    ["profile foo {\n  /etc/passwd r\n}\n", 3, 1, "',' ending the rule"],
    ["profile foo {\n  /etc/passwd,\n}\n", 2, 14, "file permissions"],
    ["profile foo {\n  /etc/passwd rz,\n}\n", 2, 15, "file permissions"],
    ["profile foo {\n  /x ixpx,\n}\n", 2, 8, "at most one exec mode"],
    ["profile foo {\n  capability chown\n", 3, 1, "a capability name or ','"],
    // The text ends inside a file rule: once looped forever (a past-the-end "" counted as a mode char).
    ["profile foo {\n  /x r", 2, 7, "',' ending the rule"],
    ["profile foo {\n  deny /x", 2, 10, "file permissions"],
    ["profile foo {\n  /x", 2, 5, "file permissions"],
    ["profile foo {\n  capability 12,\n}\n", 2, 14, "a capability name"],
    ["foo {\n}\n", 1, 1, "a profile"],
    ["}\n", 1, 1, "a profile"],
    ["profile {\n}\n", 1, 9, "a profile name"],
    ["profile foo flags=(complain {\n}\n", 3, 1, "')' closing profile flags"],
    ["profile foo {\n  signal (send peer=x,\n}\n", 4, 1, "')' closing the access list"],
    ["@{VAR} = \n", 1, 10, "at least one value"],
    ["@{VAR}\n", 1, 7, "'=' or '+='"],
    ["@{VAR} = a,\n", 1, 11, "no trailing comma"],
    ["include <abstractions/base\n", 1, 27, "'>' closing the include path"],
    ["abi <abi/3.0>\n profile x {}", 2, 2, "',' ending the rule"],
    ["profile foo {\n  /x r,\n  bogus,\n}\n", 3, 3, "a rule"],
    ["profile foo {\n  set rlimit nofile 10,\n}\n", 2, 21, "'<='"],
    ['profile foo {\n  "/unterminated r,\n}\n', 2, 3, "closing '\"'"],
    ["profile foo {\n  /x rw -> ,\n}\n", 2, 12, "a target after '->'"],
    ["profile foo {\n  link /a /b,\n}\n", 2, 11, "'->' in link rule"],
    ["profile foo {\n  /x r,\n", 3, 1, "'}' closing the profile"],
    ["profile foo {\n  mount fstype=,\n}\n", 2, 16, "a value after fstype="],
    ["profile foo {\n  unix (send,\n}\n", 4, 1, "')' closing the access list"],
    ["profile foo {\n  dbus peer=(name=a,\n}\n", 4, 1, "a condition name or ')'"],
    ["profile foo {\n  deny {\n", 3, 1, "'}' closing the block"],
];

describe("profile parse errors", function () {
    for (const [text, line, column, expected] of ERRORS) {
        it(`${JSON.stringify(text).slice(0, 60)} → ${line}:${column} expected ${expected}`, function () {
            let err: unknown;
            try {
                parseProfile(text);
            } catch (e) {
                err = e;
            }
            assert.ok(err instanceof ProfileParseError, `no ProfileParseError: ${String(err)}`);
            assert.strictEqual(err.line, line, err.message);
            assert.strictEqual(err.column, column, err.message);
            assert.ok(err.expected.includes(expected), err.message);
            assert.ok(err.message.startsWith(`line ${line}, column ${column}: expected `));
        });
    }
});

describe("rule lists that end without their comma", function () {
    // parseRules once looped forever on a file rule at the very end of the text.
    const cases: [string, string][] = [
        ["deny /x r", "',' ending the rule"],
        ["/x r", "',' ending the rule"],
        ["deny /x", "file permissions"],
        ["capability chown,\n/x rw", "',' ending the rule"],
    ];
    for (const [text, expected] of cases) {
        it(`${JSON.stringify(text)} → expected ${expected}`, function () {
            assert.throws(
                () => parseRules(text),
                (e: unknown) => e instanceof ProfileParseError && e.expected.includes(expected),
            );
        });
    }
});

describe("rulesEqual / ruleKey", function () {
    const T: readonly [string, unknown, unknown, boolean][] = [
        [
            "permission order is irrelevant",
            { kind: "file", path: "/a", access: ["w", "r"] },
            { kind: "file", path: "/a", access: ["r", "w"] },
            true,
        ],
        [
            "absent flag equals false",
            { kind: "capability", capabilities: ["chown"] },
            { kind: "capability", deny: false, capabilities: ["chown"] },
            true,
        ],
        [
            "capability sets",
            { kind: "capability", capabilities: ["b", "a", "a"] },
            { kind: "capability", capabilities: ["a", "b"] },
            true,
        ],
        [
            "deny differs",
            { kind: "capability", deny: true, capabilities: ["chown"] },
            { kind: "capability", capabilities: ["chown"] },
            false,
        ],
        [
            "paths differ",
            { kind: "file", path: "/a", access: ["r"] },
            { kind: "file", path: "/b", access: ["r"] },
            false,
        ],
        [
            "exec mode differs",
            { kind: "file", path: "/a", access: [], exec: "px" },
            { kind: "file", path: "/a", access: [], exec: "Px" },
            false,
        ],
        [
            "variable values are ordered",
            { kind: "variable", name: "V", op: "=", values: ["a", "b"] },
            { kind: "variable", name: "V", op: "=", values: ["b", "a"] },
            false,
        ],
        [
            "mount option values are ordered",
            { kind: "mount", conditions: [{ name: "options", op: "=", values: ["rw", "bind"] }] },
            { kind: "mount", conditions: [{ name: "options", op: "=", values: ["bind", "rw"] }] },
            false,
        ],
        [
            "signal sets",
            { kind: "signal", access: ["send", "receive"], signals: ["kill", "term"] },
            { kind: "signal", access: ["receive", "send"], signals: ["term", "kill"] },
            true,
        ],
        [
            "kinds differ",
            { kind: "umount", conditions: [] },
            { kind: "remount", conditions: [] },
            false,
        ],
    ];
    for (const [name, a, b, eq] of T) {
        it(name, function () {
            type Item = Parameters<typeof rulesEqual>[0];
            assert.strictEqual(rulesEqual(a as Item, b as Item), eq);
            assert.strictEqual(ruleKey(a as Item) === ruleKey(b as Item), eq);
        });
    }
});

describe("profileVersion", function () {
    const base = parseProfile("profile v {\n  /a r,\n  capability chown setuid,\n}\n");
    it("is the sha256 hex of the canonical text", function () {
        const v = profileVersion(base);
        assert.match(v, /^[0-9a-f]{64}$/);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { createHash } = require("crypto") as typeof import("crypto");
        assert.strictEqual(v, createHash("sha256").update(renderProfile(base)).digest("hex"));
    });
    it("ignores layout, quoting and set order; changes with any rule", function () {
        const same = parseProfile(
            "profile   v   {\n\n/a   r,\ncapability setuid   chown,\n# \n}".replace("# \n", ""),
        );
        assert.strictEqual(profileVersion(same), profileVersion(base));
        const quoted = parseProfile('profile "v" {\n  "/a" r,\n  capability chown setuid,\n}\n');
        assert.strictEqual(profileVersion(quoted), profileVersion(base));
        const changed = parseProfile("profile v {\n  /a rw,\n  capability chown setuid,\n}\n");
        assert.notStrictEqual(profileVersion(changed), profileVersion(base));
        const renamed = parseProfile("profile w {\n  /a r,\n  capability chown setuid,\n}\n");
        assert.notStrictEqual(profileVersion(renamed), profileVersion(base));
    });
});

describe("renderer refuses values it cannot write faithfully", function () {
    const bad: readonly [string, Parameters<typeof renderRule>[0]][] = [
        ["newline in path", { kind: "file", path: "/a\n/b", access: ["r"] }],
        ["unescaped quote", { kind: "file", path: '/a"b', access: ["r"] }],
        ["NUL", { kind: "file", path: "/a\0", access: ["r"] }],
        ["lone trailing backslash", { kind: "file", path: "/a\\", access: ["r"] }],
        ["newline in comment", { kind: "comment", text: "x\n/etc/shadow r," }],
        ["comment read as #include", { kind: "comment", text: "include </etc/shadow>" }],
        ["bad exec mode", { kind: "file", path: "/a", access: [], exec: "zx" as "x" }],
        ["bad permission", { kind: "file", path: "/a", access: ["q" as "r"] }],
        ["capability with space", { kind: "capability", capabilities: ["chown, setuid"] }],
        ["variable name", { kind: "variable", name: "A}B", op: "=", values: ["x"] }],
        [
            "assignment operator",
            { kind: "variable", name: "A", op: "= x\n/y r," as "=", values: ["x"] },
        ],
        ["unknown kind", { kind: "bogus" } as unknown as Parameters<typeof renderRule>[0]],
        ["exec mode keyword", { kind: "change_profile", execMode: "safe /x" as "safe" }],
        ["network word", { kind: "network", domain: "inet,\n/x" }],
        ["rlimit value", { kind: "rlimit", resource: "nofile", value: "1, /x r" }],
    ];
    for (const [name, item] of bad) {
        it(name, function () {
            assert.throws(() => renderRule(item), ProfileRenderError);
        });
    }
    it("quotes values with spaces, commas before spaces and '#' in variable values", function () {
        assert.strictEqual(
            renderRule({ kind: "file", path: "/a b,", access: ["r"] }),
            '"/a b," r,',
        );
        assert.strictEqual(
            renderRule({ kind: "variable", name: "V", op: "=", values: ["#x", "y"] }),
            '@{V} = "#x" y',
        );
        assert.strictEqual(
            renderRule({ kind: "signal", access: [], signals: [], peer: "(x)" }),
            'signal peer="(x)",',
        );
    });
});
