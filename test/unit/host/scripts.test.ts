/**
 * Host scripts, locally (no VM): shellcheck, argument checks done by the scripts themselves (defence in
 * depth behind the TypeScript validators), the header/flags rewriter and the JSON string escaper.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    buildHostCommand,
    HOST_SCRIPT_STORE,
    HOST_SCRIPTS,
    hostScriptDir,
    hostScriptText,
    parseInstalls,
} from "../../../src/host";

/** A store for the packed scripts' copies of this process (the tests run as root: never the real one). */
const store = path.join(os.tmpdir(), `pa-unit-store-${process.pid}`);
after(() => fs.rmSync(store, { recursive: true, force: true }));

function sh(command: string, stdin?: string) {
    const local = command.split(`pa_c=${HOST_SCRIPT_STORE};`).join(`pa_c=${store};`);
    const r = spawnSync("sh", ["-c", local], { input: stdin ?? "", encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("host scripts: shellcheck", function () {
    this.timeout(60000);
    it("shellcheck is installed (CI installs it)", () => {
        const r = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, "shellcheck missing: apt-get install shellcheck");
    });
    it("every .sh file is clean under shellcheck -s sh", () => {
        const dir = hostScriptDir();
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sh"));
        assert.deepStrictEqual(
            files.sort(),
            [
                "lib.sh",
                "lib-abi.sh",
                "lib-store.sh",
                "lib-log.sh",
                "lib-docker.sh",
                "packed.sh", // the program of a packed script (hostScriptProgram)
                ...HOST_SCRIPTS.map((s) => `${s}.sh`),
            ].sort(),
        );
        const r = spawnSync("shellcheck", ["-s", "sh", ...files.map((f) => path.join(dir, f))], {
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });
    for (const name of HOST_SCRIPTS) {
        it(`the text sent for ${name} (lib.sh + ${name}.sh) is clean`, () => {
            const r = spawnSync("shellcheck", ["-s", "sh", "-"], {
                input: hostScriptText(name),
                encoding: "utf8",
            });
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        });
    }
    it("each script parses under dash (sh -n)", () => {
        for (const name of HOST_SCRIPTS) {
            const r = spawnSync("sh", ["-n", "-c", hostScriptText(name)], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, `${name}: ${r.stderr}`);
        }
    });
});

describe("host scripts: the scripts re-check their arguments", () => {
    // buildHostCommand quotes but does not validate: these reach the script as-is and must be refused
    // before anything runs (exit 2, JSON error line), and the hostile text must not execute.
    const marker = path.join(os.tmpdir(), `pa-host-marker-${process.pid}`);
    const hostile = `x';touch ${marker};'`;
    /** install arguments: a valid name, mode, dir and no sha256, then `opts`. */
    const inst = (...opts: string[]) => ["p", "enforce", "/etc/apparmor.d/d", "-", ...opts];
    const A64 = "a".repeat(64);
    const cases: [string, (typeof HOST_SCRIPTS)[number], string[], string][] = [
        [
            "install: name with quote",
            "install",
            [hostile, "enforce", "/etc/apparmor.d/d", "-"],
            "bad-name",
        ],
        [
            "install: name with slash",
            "install",
            ["a/b", "enforce", "/etc/apparmor.d/d", "-"],
            "bad-name",
        ],
        [
            "install: name starting with dash",
            "install",
            ["-r", "enforce", "/etc/apparmor.d/d", "-"],
            "bad-name",
        ],
        [
            "install: unconfined",
            "install",
            ["unconfined", "enforce", "/etc/apparmor.d/d", "-"],
            "bad-name",
        ],
        ["install: bad mode", "install", ["p", "kill", "/etc/apparmor.d/d", "-"], "bad-mode"],
        ["install: relative dir", "install", ["p", "enforce", "tmp/d", "-"], "bad-dir"],
        ["install: dir with ..", "install", ["p", "enforce", "/tmp/../etc", "-"], "bad-dir"],
        ["install: dir with space", "install", ["p", "enforce", "/tmp/a b", "-"], "bad-dir"],
        // Finding 5: only below /etc/apparmor.d, normalised, never AppArmor's own trees.
        ["install: dir /etc", "install", ["p", "enforce", "/etc", "-"], "bad-dir"],
        ["install: dir /usr/bin", "install", ["p", "enforce", "/usr/bin", "-"], "bad-dir"],
        [
            "install: dir /etc/apparmor.d",
            "install",
            ["p", "enforce", "/etc/apparmor.d", "-"],
            "bad-dir",
        ],
        ["install: dir /etc/../tmp", "install", ["p", "enforce", "/etc/../tmp", "-"], "bad-dir"],
        [
            "install: dir escaping with ..",
            "install",
            ["p", "enforce", "/etc/apparmor.d/../../tmp", "-"],
            "bad-dir",
        ],
        ["install: dir //x", "install", ["p", "enforce", "//x", "-"], "bad-dir"],
        [
            "install: dir with trailing /",
            "install",
            ["p", "enforce", "/etc/apparmor.d/x/", "-"],
            "bad-dir",
        ],
        ["install: hidden dir", "install", ["p", "enforce", "/etc/apparmor.d/.x", "-"], "bad-dir"],
        [
            "install: dir local/",
            "install",
            ["p", "enforce", "/etc/apparmor.d/local", "-"],
            "bad-dir",
        ],
        [
            "install: dir abstractions/base.d",
            "install",
            ["p", "enforce", "/etc/apparmor.d/abstractions/base.d", "-"],
            "bad-dir",
        ],
        [
            "install: include dir *.d",
            "install",
            ["p", "enforce", "/etc/apparmor.d/x.d", "-"],
            "bad-dir",
        ],
        [
            "install: unknown option",
            "install",
            ["p", "enforce", "/etc/apparmor.d/d", "-", "force"],
            "bad-option",
        ],
        [
            "install: timeout 0",
            "install",
            ["p", "enforce", "/etc/apparmor.d/d", "-", "timeout=0"],
            "bad-option",
        ],
        [
            "install: timeout not a number",
            "install",
            ["p", "enforce", "/etc/apparmor.d/d", "-", "timeout=1;id"],
            "bad-option",
        ],
        [
            "install: timeout too large",
            "install",
            ["p", "enforce", "/etc/apparmor.d/d", "-", "timeout=99999"],
            "bad-option",
        ],
        ["install: unless without prior", "install", inst(`unless=${A64}:enforce`), "bad-option"],
        [
            "install: unless with a short sha256",
            "install",
            inst("prior", "unless=abc:enforce"),
            "bad-option",
        ],
        [
            "install: unless without a mode",
            "install",
            inst("prior", `unless=${A64}:`),
            "bad-option",
        ],
        [
            "install: unless with a hostile mode",
            "install",
            inst("prior", `unless=${A64}:${hostile}`),
            "bad-option",
        ],
        [
            "install: unless with upper-case hex",
            "install",
            inst("prior", `unless=${A64.toUpperCase()}:enforce`),
            "bad-option",
        ],
        ["install: log without prior", "install", inst("log=100"), "bad-option"],
        ["install: log=0", "install", inst("prior", "log=0"), "bad-option"],
        ["install: log with a leading 0", "install", inst("prior", "log=0100"), "bad-option"],
        ["install: log not a number", "install", inst("prior", "log=1;id"), "bad-option"],
        ["install: log too large", "install", inst("prior", "log=16777217"), "bad-option"],
        ["install: log far too large", "install", inst("prior", "log=999999999999"), "bad-option"],
        ["install: labels without prior", "install", inst("labels"), "bad-option"],
        ["remove: dir /etc", "remove", ["p", "/etc"], "bad-dir"],
        ["remove: bad in-use", "remove", ["p", "/etc/apparmor.d/d", "in-use=maybe"], "bad-option"],
        ["remove: bad wait", "remove", ["p", "/etc/apparmor.d/d", "wait=-1"], "bad-option"],
        ["remove: wait too long", "remove", ["p", "/etc/apparmor.d/d", "wait=601"], "bad-option"],
        ["mode: bad option", "mode", ["p", "enforce", "/etc/apparmor.d/d", "adopt"], "bad-option"],
        ["status: dir /usr/bin", "status", ["/usr/bin"], "bad-dir"],
        ["status: bad timeout", "status", ["/etc/apparmor.d/d", "timeout=x"], "bad-option"],
        ["install: bad sha", "install", ["p", "enforce", "/etc/apparmor.d/d", "ABC"], "bad-sha256"],
        ["install: missing args", "install", ["p"], "usage"],
        ["mode: bad mode", "mode", ["p", "keep", "/etc/apparmor.d/d"], "bad-mode"],
        ["status: bad name", "status", ["/etc/apparmor.d/d", "ok", hostile], "bad-name"],
        ["remove: bad dir", "remove", ["p", "/"], "bad-dir"],
        ["denials: hostile cursor", "denials", [`journal:${hostile}`, "10"], "bad-cursor"],
        ["denials: unknown cursor kind", "denials", ["foo:1", "10"], "bad-cursor"],
        ["denials: zero max", "denials", ["start", "0"], "bad-max"],
        ["denials: huge max", "denials", ["start", "99999999"], "bad-max"],
        ["denials: bad source", "denials", ["start", "10", "dmesg"], "bad-source"],
        ["preflight: bad flag", "preflight", ["--x"], "usage"],
        ["compile: hostile timeout", "compile", [hostile, "-"], "bad-timeout"],
        ["compile: zero timeout", "compile", ["0", "-"], "bad-timeout"],
        ["compile: timeout above 600", "compile", ["601", "-"], "bad-timeout"],
        ["compile: bad sha", "compile", ["10", "ABC"], "bad-sha256"],
        ["compile: missing args", "compile", ["10"], "usage"],
        ["compose: hostile project", "compose", ["ps", hostile], "bad-project"],
        ["compose: upper-case project", "compose", ["ps", "Web"], "bad-project"],
        ["compose: project starting with dash", "compose", ["down", "-p"], "bad-project"],
        ["compose: project with slash", "compose", ["down", "a/../b"], "bad-project"],
        ["compose: long project", "compose", ["ps", "a".repeat(101)], "bad-project"],
        ["compose: unknown action", "compose", ["exec", "web"], "usage"],
        ["compose: up without sha", "compose", ["up", "web"], "usage"],
        ["compose: up with bad sha", "compose", ["up", "web", hostile], "bad-sha256"],
        ["compose: up with short sha", "compose", ["up", "web", "abc"], "bad-sha256"],
        ["compose: bad timeout", "compose", ["ps", "web", "timeout=1;id"], "bad-option"],
        ["compose: timeout too long", "compose", ["ps", "web", "timeout=3601"], "bad-option"],
        ["compose: unknown option", "compose", ["ps", "web", hostile], "bad-option"],
        ["compose: adopt on ps", "compose", ["ps", "web", "adopt"], "bad-option"],
        ["compose: adopt on down", "compose", ["down", "web", "adopt"], "bad-option"],
        ["compose: adopt=yes on up", "compose", ["up", "web", A64, "adopt=yes"], "bad-option"],
        ["compose: dir on ps", "compose", ["ps", "web", "dir=/srv"], "bad-option"],
        ["compose: dir on down", "compose", ["down", "web", "dir=/srv"], "bad-option"],
        ["compose: relative dir", "compose", ["up", "web", A64, "dir=srv/x"], "bad-directory"],
        ["compose: empty dir", "compose", ["up", "web", A64, "dir="], "bad-directory"],
        ["compose: dir with ..", "compose", ["up", "web", A64, "dir=/srv/../etc"], "bad-directory"],
        [
            "compose: dir ending in ..",
            "compose",
            ["up", "web", A64, "dir=/srv/.."],
            "bad-directory",
        ],
        [
            "compose: dir with newline",
            "compose",
            ["up", "web", A64, "dir=/srv/a\nb"],
            "bad-directory",
        ],
        [
            "compose: dir with escape",
            "compose",
            ["up", "web", A64, "dir=/srv/\u001b"],
            "bad-directory",
        ],
        [
            "compose: long dir",
            "compose",
            ["up", "web", A64, `dir=/${"a".repeat(1024)}`],
            "bad-directory",
        ],
        ["compose: owner on ps", "compose", ["ps", "web", "owner=o/p/s"], "bad-option"],
        ["compose: was on down", "compose", ["down", "web", "was=o/p/s"], "bad-option"],
        ["compose: owner of two parts", "compose", ["down", "web", "owner=p/s"], "bad-owner"],
        [
            "compose: owner of four parts",
            "compose",
            ["up", "web", A64, "owner=o/p/s/x"],
            "bad-owner",
        ],
        [
            "compose: owner with an empty part",
            "compose",
            ["up", "web", A64, "owner=o//s"],
            "bad-owner",
        ],
        ["compose: empty owner", "compose", ["up", "web", A64, "owner="], "bad-owner"],
        ["compose: hostile owner", "compose", ["up", "web", A64, "owner=o/p/$(id)"], "bad-owner"],
        [
            "compose: owner with a newline",
            "compose",
            ["down", "web", "owner=o/p/s\nx"],
            "bad-owner",
        ],
        [
            "compose: long owner",
            "compose",
            ["down", "web", `owner=o/p/${"s".repeat(297)}`],
            "bad-owner",
        ],
        ["compose: hostile was", "compose", ["up", "web", A64, "was=o/p/;id"], "bad-owner"],
        ["labels: hostile id", "labels", ["a".repeat(12), hostile], "bad-id"],
        ["labels: upper-case id", "labels", ["ABCDEF0123456"], "bad-id"],
        ["labels: id of 11 digits", "labels", ["a".repeat(11)], "bad-id"],
        ["labels: id of 65 digits", "labels", ["a".repeat(65)], "bad-id"],
        ["labels: id starting with dash", "labels", ["-f{{.Config}}"], "bad-id"],
        ["labels: no id", "labels", [], "usage"],
        ["labels: 501 ids", "labels", Array.from({ length: 501 }, () => A64), "usage"],
        ["installs: no item", "installs", [], "usage"],
        ["installs: BYTES not a number", "installs", ["1x", "4", ...inst()], "usage"],
        ["installs: BYTES with a leading 0", "installs", ["01", "4", ...inst()], "usage"],
        ["installs: BYTES above 4 MiB + 1", "installs", ["4194306", "4", ...inst()], "usage"],
        ["installs: COUNT 3", "installs", ["0", "3", ...inst()], "usage"],
        ["installs: COUNT 17", "installs", ["0", "17", ...inst()], "usage"],
        ["installs: fewer words than COUNT", "installs", ["0", "6", ...inst("adopt")], "usage"],
        ["installs: hostile COUNT", "installs", ["0", hostile, ...inst()], "usage"],
        [
            "installs: prior (a rollout's, sent alone)",
            "installs",
            ["0", "5", ...inst("prior")],
            "usage",
        ],
        [
            "installs: more than 16 MiB of texts in all",
            "installs",
            Array.from({ length: 5 }, () => ["4194304", "4", ...inst()]).flat(),
            "usage",
        ],
        [
            "installs: 65 items",
            "installs",
            Array.from({ length: 65 }, () => ["0", "4", ...inst()]).flat(),
            "usage",
        ],
    ];
    for (const [title, script, args, code] of cases) {
        it(title, () => {
            const r = sh(buildHostCommand(script, args));
            assert.strictEqual(r.code, 2, r.stdout + r.stderr);
            const first = JSON.parse(r.stdout.split("\n")[0]);
            assert.strictEqual(first.ok, false);
            assert.strictEqual(first.error, code);
            assert.match(r.stderr, new RegExp(`^pulumi-apparmor-${script}: `));
            assert.ok(!fs.existsSync(marker), "hostile argument was executed");
        });
    }
});

describe("host scripts: installs splits its input and frames each item's own output", () => {
    const marker = path.join(os.tmpdir(), `pa-installs-marker-${process.pid}`);
    const item = (name: string, text: string) => [
        String(Buffer.byteLength(text)),
        "4",
        name,
        "enforce",
        "/etc/apparmor.d/d",
        "-",
    ];
    it("each item checks its own arguments: a hostile name and a bad one are each their own item's bad-name", () => {
        const texts = ["profile a { }\n", "é\n"];
        const r = sh(
            buildHostCommand("installs", [
                ...item(`x';touch ${marker};'`, texts[0]),
                ...item("b/c", texts[1]),
            ]),
            texts.join(""),
        );
        assert.strictEqual(r.code, 0, r.stderr);
        const outs = parseInstalls({ stdout: r.stdout, stderr: r.stderr, exitCode: r.code }, 2);
        assert.deepStrictEqual(
            outs.map((o) => [o.exitCode, JSON.parse(o.stdout.split("\n")[0]).error]),
            [
                [2, "bad-name"],
                [2, "bad-name"],
            ],
        );
        assert.match(outs[1].stderr ?? "", /^pulumi-apparmor-install: /);
        assert.ok(!fs.existsSync(marker), "hostile argument was executed");
    });
    it("stdin shorter or longer than the items announce: incomplete-input, no item runs", () => {
        for (const stdin of ["profile a { }", "profile a { }\nx\n"]) {
            const r = sh(buildHostCommand("installs", item("a", "profile a { }\n")), stdin);
            assert.strictEqual(r.code, 1, r.stdout + r.stderr);
            assert.strictEqual(JSON.parse(r.stdout.split("\n")[0]).error, "incomplete-input");
            assert.strictEqual(r.stdout.split("\n").length, 2, "one line: nothing ran");
        }
    });
});

describe("host scripts: header flags rewriter (lib.sh set_mode / file_mode)", () => {
    const lib = path.join(hostScriptDir(), "lib.sh");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-host-flags-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    function setMode(name: string, mode: string, text: string) {
        const input = path.join(tmp, "in");
        const out = path.join(tmp, "out");
        fs.writeFileSync(input, text);
        fs.rmSync(out, { force: true });
        const r = sh(`. '${lib}'; trap - EXIT; set_mode '${name}' '${mode}' '${input}' '${out}'`);
        return {
            code: r.code,
            text: r.code === 0 ? fs.readFileSync(out, "utf8") : "",
            stderr: r.stderr,
        };
    }
    function fileMode(name: string, text: string) {
        const input = path.join(tmp, "in");
        fs.writeFileSync(input, text);
        return sh(`. '${lib}'; trap - EXIT; file_mode '${name}' '${input}'`).stdout.trim();
    }
    const table: [string, string, string, string | null, string][] = [
        // [title, input header, mode, expected header (null = no header found), file mode of input]
        [
            "adds complain to existing flags",
            "profile p flags=(attach_disconnected,mediate_deleted) {",
            "complain",
            "profile p flags=(attach_disconnected,mediate_deleted,complain) {",
            "enforce",
        ],
        [
            "removes complain for enforce",
            "profile p flags=(attach_disconnected, complain) {",
            "enforce",
            "profile p flags=(attach_disconnected) {",
            "complain",
        ],
        [
            "drops the flags group when empty",
            "profile p flags=(complain) {",
            "enforce",
            "profile p {",
            "complain",
        ],
        [
            "adds a flags group",
            "profile p {",
            "complain",
            "profile p flags=(complain) {",
            "enforce",
        ],
        [
            "no space before brace",
            "profile p{",
            "complain",
            "profile p flags=(complain) {",
            "enforce",
        ],
        [
            "bare parenthesised flags",
            "  profile p (complain,attach_disconnected) {",
            "enforce",
            "  profile p flags=(attach_disconnected) {",
            "complain",
        ],
        [
            "already in the mode: line kept byte for byte",
            "  profile  p (complain,attach_disconnected)   {",
            "complain",
            "  profile  p (complain,attach_disconnected)   {",
            "complain",
        ],
        [
            "already enforce: spaced flags kept",
            "profile p flags=(attach_disconnected, mediate_deleted) {",
            "enforce",
            "profile p flags=(attach_disconnected, mediate_deleted) {",
            "enforce",
        ],
        [
            'the ", " separator style is kept',
            "profile p flags=(attach_disconnected, mediate_deleted) {",
            "complain",
            "profile p flags=(attach_disconnected, mediate_deleted, complain) {",
            "enforce",
        ],
        [
            "replaces explicit enforce",
            "profile p flags=(enforce) {",
            "complain",
            "profile p flags=(complain) {",
            "enforce",
        ],
        ["replaces kill", "profile p flags=(kill) {", "enforce", "profile p {", "kill"],
        [
            "keeps a comment after the brace",
            "profile p { # x",
            "complain",
            "profile p flags=(complain) { # x",
            "enforce",
        ],
        ["other profile name", "profile px {", "complain", null, ""],
        ["prefix of the name", "profile p-x {", "complain", null, ""],
        ["commented header", "# profile p {", "complain", null, ""],
        ["attachment path is not supported", "profile p /usr/bin/p {", "complain", null, ""],
    ];
    for (const [title, header, mode, want, fmode] of table) {
        it(title, () => {
            const text = `#include <tunables/global>\n${header}\n  file,\n}\n`;
            const r = setMode("p", mode, text);
            if (want === null) {
                assert.strictEqual(r.code, 3, r.stderr);
            } else {
                assert.strictEqual(r.code, 0, r.stderr);
                assert.strictEqual(r.text, `#include <tunables/global>\n${want}\n  file,\n}\n`);
            }
            assert.strictEqual(fileMode("p", text), fmode);
        });
    }
    it("enforce → complain → enforce restores the exact text", () => {
        const text =
            "abi <abi/3.0>,\nprofile p flags=(attach_disconnected, mediate_deleted) {\n  file,\n}\n";
        const c = setMode("p", "complain", text);
        assert.strictEqual(c.code, 0);
        assert.strictEqual(setMode("p", "enforce", c.text).text, text);
    });
    it("rewrites only the first matching header (a child profile of the same name stays)", () => {
        const r = setMode("p", "complain", "profile p {\n  profile p {\n  }\n}\n");
        assert.strictEqual(r.text, "profile p flags=(complain) {\n  profile p {\n  }\n}\n");
    });
});

describe("host scripts: json_str escaping (lib.sh)", () => {
    const lib = path.join(hostScriptDir(), "lib.sh");
    const table: [string, string][] = [
        ["plain", "plain"],
        ['a "quoted" word', 'a "quoted" word'],
        ["back\\slash", "back\\slash"],
        ["two\nlines", "two\nlines"],
        ["tab\there", "tab here"],
        ["ctrl\u0001\u001fchars", "ctrlchars"],
        ["utf-8 é ✓", "utf-8 é ✓"],
    ];
    for (const [input, want] of table) {
        it(JSON.stringify(input), () => {
            const r = sh(`. '${lib}'; trap - EXIT; json_str`, input);
            assert.strictEqual(JSON.parse(r.stdout), want);
        });
    }
});

describe("host scripts: parser_message keeps only what cannot quote an included file (lib.sh)", () => {
    const lib = path.join(hostScriptDir(), "lib.sh");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-host-msg-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const src = path.join(tmp, "new");
    fs.writeFileSync(src, "profile p {\n  capability chownz,\n  /x/@{MYVAR} r,\n}\n");
    function message(lines: string[]): string {
        const err = path.join(tmp, "err");
        fs.writeFileSync(err, lines.map((l) => `${l}\n`).join(""));
        const r = sh(`. '${lib}'; trap - EXIT; parser_message '${err}' '${src}'`);
        assert.strictEqual(r.code, 0, r.stderr);
        return r.stdout;
    }
    const pe = `AppArmor parser error for ${src}`;
    const table: [string, string, string][] = [
        [
            "a message about the sent text is kept",
            `${pe} in profile ${src} at line 2: Invalid capability chownz.`,
            "line 2: Invalid capability chownz.\n",
        ],
        [
            "the lexer's quote of an included key is withheld",
            `${pe} in profile /etc/ssh/ssh_host_ed25519_key at line 1: Lexer found unexpected character: '-' (0x2d) in state: INITIAL`,
            "line 1 of included file /etc/ssh/ssh_host_ed25519_key: (message withheld: it may quote that file)\n",
        ],
        [
            "a warning about an included file is withheld",
            `Warning from ${src} (/root/secret line 3): root:$y$j9T$secret`,
            "warning, line 3 of included file /root/secret: (message withheld: it may quote that file)\n",
        ],
        [
            "a variable of the sent text is named",
            "Found reference to variable MYVAR, but is never declared",
            "Found reference to variable MYVAR, but is never declared\n",
        ],
        [
            "a variable read from elsewhere is masked",
            "Found reference to variable S3cretToken, but is never declared",
            "Found reference to variable … but is never declared\n",
        ],
        [
            "control characters are dropped",
            `${pe} in profile ${src} at line 2: bad \u001b[2Jthing`,
            "line 2: bad [2Jthing\n",
        ],
    ];
    for (const [title, line, want] of table)
        it(title, () => assert.strictEqual(message([line]), want));
    it("at most 20 lines of at most 300 bytes", () => {
        const out = message(
            Array.from({ length: 30 }, () => `${pe} at line 1: ${"x".repeat(400)}`),
        ).split("\n");
        assert.strictEqual(out.length, 22); // 20 lines, the count, the final newline
        assert.strictEqual(out[20], "(10 more lines)");
        assert.ok(out.slice(0, 20).every((l) => Buffer.byteLength(l) <= 300));
    });
});
