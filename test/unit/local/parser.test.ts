import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    checkWithParser,
    compileWithParser,
    findApparmorParser,
    parseParserStderr,
} from "../../../src/local";

describe("local/parser: parseParserStderr", () => {
    const cases: [string, boolean, { severity: string; line?: number; message: string }[]][] = [
        ["", false, []],
        [
            "Cache read/write disabled: interface file missing. (Kernel needs AppArmor 2.4 compatibility patch.)\n",
            false,
            [
                {
                    severity: "info",
                    message:
                        "Cache read/write disabled: interface file missing. (Kernel needs AppArmor 2.4 compatibility patch.)",
                },
            ],
        ],
        [
            "AppArmor parser error at line 3: Invalid capability bogus.\n",
            true,
            [{ severity: "error", line: 3, message: "Invalid capability bogus." }],
        ],
        [
            "AppArmor parser error for /tmp/e.aa in profile /tmp/e.aa at line 3: syntax error, unexpected TOK_CLOSE\n",
            true,
            [{ severity: "error", line: 3, message: "syntax error, unexpected TOK_CLOSE" }],
        ],
        [
            "profile foo: has merged rule /tmp/x with conflicting x modifiers\nERROR merging rules for profile foo, failed to load\n",
            true,
            [
                {
                    severity: "error",
                    message: "profile foo: has merged rule /tmp/x with conflicting x modifiers",
                },
                {
                    severity: "error",
                    message: "ERROR merging rules for profile foo, failed to load",
                },
            ],
        ],
        [
            "Warning: something odd\n",
            false,
            [{ severity: "warning", message: "Warning: something odd" }],
        ],
    ];
    for (const [stderr, failed, want] of cases) {
        it(`parses ${JSON.stringify(stderr.slice(0, 50))}`, () => {
            assert.deepStrictEqual(parseParserStderr(stderr, failed), want);
        });
    }
});

describe("local/parser: findApparmorParser", () => {
    it("honours PULUMI_APPARMOR_PARSER and rejects a missing override", () => {
        assert.strictEqual(
            findApparmorParser({ PULUMI_APPARMOR_PARSER: "/nonexistent/apparmor_parser" }),
            undefined,
        );
        assert.strictEqual(findApparmorParser({ PULUMI_APPARMOR_PARSER: "/bin/sh" }), "/bin/sh");
    });
    it("finds the binary in sbin even with an empty PATH", function () {
        if (
            !fs.existsSync("/usr/sbin/apparmor_parser") &&
            !fs.existsSync("/sbin/apparmor_parser")
        ) {
            assert.strictEqual(findApparmorParser({ PATH: "" }), undefined);
            return;
        }
        assert.match(findApparmorParser({ PATH: "" }) ?? "", /\/s?bin\/apparmor_parser$/);
    });
});

describe("local/parser: checkWithParser (real apparmor_parser)", () => {
    const parser = findApparmorParser();
    before(function () {
        // CI installs apparmor (.ci/run); a machine without it has nothing to run these against.
        assert.ok(parser, "apparmor_parser is required for these tests (apt-get install apparmor)");
    });

    it("accepts a valid profile and compiles it", async () => {
        const r = await checkWithParser("profile t {\n  /tmp/x rw,\n}\n", { compile: true });
        assert.strictEqual(r.available, true);
        assert.strictEqual(r.ok, true, r.stderr);
        assert.strictEqual(r.exitCode, 0);
        assert.ok(r.compiled && r.compiled.length > 100);
        assert.deepStrictEqual(
            r.diagnostics.filter((d) => d.severity === "error"),
            [],
        );
    });

    it("reports a syntax error with its line", async () => {
        const r = await checkWithParser("profile t {\n  /tmp/x rw\n}\n");
        assert.strictEqual(r.ok, false);
        assert.strictEqual(r.exitCode, 1);
        const err = r.diagnostics.find((d) => d.severity === "error");
        assert.ok(err);
        assert.strictEqual(err.line, 3);
        assert.match(err.message, /syntax error/);
    });

    it("reports an unknown capability", async () => {
        const r = await checkWithParser("profile t {\n  capability bogus,\n}\n");
        assert.strictEqual(r.ok, false);
        assert.ok(
            r.diagnostics.some((d) => d.line === 2 && /Invalid capability bogus/.test(d.message)),
        );
    });

    it("passes text through stdin only: shell metacharacters are inert", async () => {
        const marker = path.join(os.tmpdir(), `pa-inert-${process.pid}`);
        const r = await checkWithParser(
            `$(touch ${marker}) \`touch ${marker}\`; touch ${marker}\n`,
        );
        assert.strictEqual(r.ok, false);
        assert.strictEqual(fs.existsSync(marker), false);
    });

    it("compiles identical policy for texts that mean the same", async () => {
        const a = await compileWithParser("profile t {\n  /tmp/x rw,\n  capability chown,\n}\n");
        const b = await compileWithParser("profile t {capability chown,/tmp/x wr,}");
        assert.ok(a.equals(b));
        const c = await compileWithParser("profile t {\n  /tmp/x r,\n  capability chown,\n}\n");
        assert.ok(!a.equals(c));
    });

    it("compileWithParser rejects with the parser's message", async () => {
        await assert.rejects(
            compileWithParser("profile t {\n  capability bogus,\n}\n"),
            /line 2: Invalid capability bogus/,
        );
    });

    it("reports a parser binary that cannot run as a failed check, not a crash", async () => {
        const missing = await checkWithParser("x", { parserPath: "/nonexistent/apparmor_parser" });
        assert.strictEqual(missing.ok, false);
        assert.match(missing.stderr, /could not run \/nonexistent\/apparmor_parser/);
    });
});
