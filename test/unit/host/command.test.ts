/** Command building: quoting, validators (tables) and the typed builders of src/host. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { gunzipSync } from "zlib";
import {
    buildHostCommand,
    DEFAULT_PROFILE_DIR,
    denialsCommand,
    HOST_SCRIPTS,
    hostScriptDir,
    hostScriptProgram,
    hostScriptCopy,
    HOST_SCRIPT_STORE,
    type InstallArgs,
    hostScriptText,
    MAX_PLAIN_SCRIPT,
    installCommand,
    modeCommand,
    preflightCommand,
    removeCommand,
    sha256Hex,
    shellQuote,
    statusCommand,
    validateCursor,
    validateHostDirectory,
    validateMaxBytes,
    validateMode,
    validateProfileName,
} from "../../../src/host";
import { minifyShell } from "../../../src/host/minify";

/** Runs `sh -c CMD` where CMD prints its positional arguments NUL-separated. */
function argsSeenByShell(quoted: string[]): string[] {
    const cmd = `sh -c 'printf "%s\\0" "$@"' argv0 ${quoted.join(" ")}`;
    const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

describe("host command: shellQuote", () => {
    const table: [string, string][] = [
        ["plain", "'plain'"],
        ["", "''"],
        ["it's", "'it'\\''s'"],
        ["'", "''\\'''"],
        ["$(rm -rf /)", "'$(rm -rf /)'"],
        ["a b\tc\nd", "'a b\tc\nd'"],
    ];
    for (const [input, want] of table) {
        it(`quotes ${JSON.stringify(input)}`, () => assert.strictEqual(shellQuote(input), want));
    }
    it("sh receives every hostile string byte for byte", () => {
        const hostile = [
            "plain",
            "",
            "it's",
            "''''",
            "$(touch /tmp/pwned)",
            "`id`",
            '"; id; "',
            "a\\b\\'c",
            "line1\nline2",
            "* ? [a] ~ $HOME ${x:-y}",
            "é ✓ \u0001",
            "-n",
        ];
        assert.deepStrictEqual(argsSeenByShell(hostile.map(shellQuote)), hostile);
    });
    it("refuses NUL", () => assert.throws(() => shellQuote("a\0b"), /NUL/));
});

describe("host command: validators", () => {
    const names: [string, boolean][] = [
        ["docker-default-secure", true],
        ["web.v2", true],
        ["a", true],
        ["A_b+c-1.2", true],
        ["0abc", true],
        ["x".repeat(200), true],
        ["x".repeat(201), false],
        ["", false],
        ["-r", false],
        [".hidden", false],
        ["_x", false],
        ["a b", false],
        ["a/b", false],
        ["a'b", false],
        ['a"b', false],
        ["a;b", false],
        ["a$b", false],
        ["a\nb", false],
        ["a//b", false],
        ["é", false],
        ["unconfined", false],
        ["/usr/bin/foo", false],
    ];
    for (const [name, ok] of names) {
        it(`profile name ${JSON.stringify(name.length > 30 ? name.slice(0, 10) + "…" : name)} → ${ok ? "valid" : "invalid"}`, () => {
            const err = validateProfileName(name);
            assert.strictEqual(err === undefined, ok, err);
        });
    }
    it("name errors name the fix", () => {
        assert.match(validateProfileName("a b")!, /letters, digits and \. _ \+ -/);
        assert.match(validateProfileName("unconfined")!, /choose another name/);
    });
    const dirs: [string, boolean][] = [
        [DEFAULT_PROFILE_DIR, true],
        ["/etc/apparmor.d/my-app/profiles_v1.2", true],
        ["/etc/apparmor.d/a/b.d", true],
        ["/etc/apparmor.d/localx", true],
        // Finding 5: only below /etc/apparmor.d, never AppArmor's own trees.
        ["/etc/apparmor.d", false],
        ["/opt/my-app/profiles_v1.2", false],
        ["/etc", false],
        ["/usr/bin", false],
        ["/tmp", false],
        ["/etc/apparmor.d.x/p", false],
        ["/etc/apparmor.d/../../tmp", false],
        ["/etc/../tmp", false],
        ["//x", false],
        ["//etc/apparmor.d/x", false],
        ["/etc/apparmor.d/x/", false],
        ["/etc/apparmor.d/x//y", false],
        ["/etc/apparmor.d/./x", false],
        ["/etc/apparmor.d/.hidden", false],
        ["/etc/apparmor.d/x/..", false],
        ["/etc/apparmor.d/abstractions", false],
        ["/etc/apparmor.d/abstractions/base.d", false],
        ["/etc/apparmor.d/tunables/home.d", false],
        ["/etc/apparmor.d/local", false],
        ["/etc/apparmor.d/abi", false],
        ["/etc/apparmor.d/disable", false],
        ["/etc/apparmor.d/force-complain", false],
        ["/etc/apparmor.d/cache", false],
        ["/etc/apparmor.d/usr.bin.foo.d", false],
        ["/", false],
        ["", false],
        ["etc/apparmor.d", false],
        ["/etc/apparmor.d/", false],
        ["/etc//apparmor.d", false],
        ["/etc/./apparmor.d", false],
        ["/etc/../root", false],
        ["/etc/..", false],
        ["/tmp/a b", false],
        ["/tmp/$(id)", false],
        ["/tmp/a'b", false],
        ["/tmp/é", false],
        ["/" + "a".repeat(1024), false],
    ];
    for (const [dir, ok] of dirs) {
        it(`directory ${JSON.stringify(dir.slice(0, 40))} → ${ok ? "valid" : "invalid"}`, () => {
            const err = validateHostDirectory(dir);
            assert.strictEqual(err === undefined, ok, err);
        });
    }
    const modes: [string, boolean][] = [
        ["enforce", true],
        ["complain", true],
        ["kill", false],
        ["Enforce", false],
        ["", false],
    ];
    for (const [mode, ok] of modes) {
        it(`mode ${JSON.stringify(mode)} → ${ok ? "valid" : "invalid"}`, () =>
            assert.strictEqual(validateMode(mode) === undefined, ok));
    }
    const cursors: [string, boolean][] = [
        ["start", true],
        ["now", true],
        ["journal:s=0123abcd;i=1f;b=ab12;m=3f;t=5f;x=9a", true],
        ["kernlog:1234:5678", true],
        ["auditlog:1:0", true],
        ["journal:", true],
        ["", false],
        ["s=abc;i=1", false],
        ["journal:a b", false],
        ["journal:a'b", false],
        ["journal:$(id)", false],
        ["dmesg:1", false],
        ["journal:" + "a".repeat(1100), false],
    ];
    for (const [c, ok] of cursors) {
        it(`cursor ${JSON.stringify(c.slice(0, 40))} → ${ok ? "valid" : "invalid"}`, () =>
            assert.strictEqual(validateCursor(c) === undefined, ok));
    }
    const sizes: [number, boolean][] = [
        [1, true],
        [65536, true],
        [16 * 1024 * 1024, true],
        [0, false],
        [-1, false],
        [1.5, false],
        [16 * 1024 * 1024 + 1, false],
        [NaN, false],
    ];
    for (const [n, ok] of sizes) {
        it(`maxBytes ${n} → ${ok ? "valid" : "invalid"}`, () =>
            assert.strictEqual(validateMaxBytes(n) === undefined, ok));
    }
});

describe("host command: builders", () => {
    const prefix = (name: string) =>
        `sh -c ${shellQuote(hostScriptProgram(name as "install"))} pulumi-apparmor-${name}`;
    it("buildHostCommand: sh -c 'SCRIPT' pulumi-apparmor-NAME 'ARG'…, with sudo -n on request", () => {
        assert.strictEqual(buildHostCommand("remove", ["p", "/d"]), `${prefix("remove")} 'p' '/d'`);
        assert.strictEqual(
            buildHostCommand("remove", ["p", "/d"], { sudo: true }),
            `sudo -n ${prefix("remove")} 'p' '/d'`,
        );
    });
    it("the script text is its libraries then the script, without what the shell ignores", () => {
        const dir = hostScriptDir();
        const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
        assert.strictEqual(
            hostScriptText("install"),
            minifyShell(
                [
                    read("lib.sh"),
                    read("lib-abi.sh"),
                    read("lib-store.sh"),
                    read("lib-log.sh"),
                    read("lib-docker.sh"),
                    read("install.sh"),
                ].join("\n"),
            ),
        );
        assert.strictEqual(
            hostScriptText("denials"),
            minifyShell([read("lib.sh"), read("lib-log.sh"), read("denials.sh")].join("\n")),
        );
    });
    it("a script longer than MAX_PLAIN_SCRIPT is sent packed (gzip + base64), the others as they are", () => {
        let packed = 0;
        for (const name of HOST_SCRIPTS) {
            const text = hostScriptText(name);
            const program = hostScriptProgram(name);
            if (text.length <= MAX_PLAIN_SCRIPT) {
                assert.strictEqual(program, text, name);
                continue;
            }
            packed++;
            // packed.sh with its values filled in: the text gzip-compressed and base64-encoded
            const b64 = /^pa_packed=([A-Za-z0-9+/=]+)$/m.exec(program);
            assert.ok(b64, `${name}: no packed text`);
            assert.ok(program.includes('printf %s "$pa_packed" | base64 -d | gzip -dc'), name);
            assert.strictEqual(gunzipSync(Buffer.from(b64[1], "base64")).toString("utf8"), text);
            assert.ok(program.endsWith('eval "$pa_s"\n'), name);
            assert.doesNotMatch(program, /@[A-Z0-9]+@/, `${name}: every value filled in`);
        }
        assert.ok(packed >= 1, "install is longer than MAX_PLAIN_SCRIPT: it is sent packed");
    });
    /** The install program with its state directory moved to `state` (a temp dir of the test). */
    const programIn = (state: string) =>
        hostScriptProgram("install")
            .split(HOST_SCRIPT_STORE.replace(/\/scripts$/, ""))
            .join(state);
    it("the packed program runs its script under dash with its name and arguments", () => {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "pa-store-"));
        try {
            const r = spawnSync(
                "sh",
                ["-c", programIn(state), "pulumi-apparmor-install", "bad name", "x"],
                { encoding: "utf8" },
            );
            assert.strictEqual(r.status, 2, r.stderr);
            assert.match(
                r.stdout,
                /^\{"ok":false,"error":"usage","message":"usage: pulumi-apparmor-install /,
            );
        } finally {
            fs.rmSync(state, { recursive: true, force: true });
        }
        // without gzip it says so and runs nothing
        const broken = programIn("/nonexistent/pa-state").replace("gzip -dc", "no-such-gzip -dc");
        const b = spawnSync("sh", ["-c", broken, "pulumi-apparmor-install"], { encoding: "utf8" });
        assert.strictEqual(b.status, 1);
        assert.match(b.stdout, /^\{"ok":false,"error":"unpack",/);
    });
    it("the packed program stores no copy on a host the library never installed on (no profiles/ in its state directory: nothing changed)", () => {
        // (as root the case that matters; as another user nothing is stored anyway: the same checks hold)
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-store-"));
        const run = (state: string) =>
            spawnSync("sh", ["-c", programIn(state), "pulumi-apparmor-install", "bad name"], {
                encoding: "utf8",
            });
        try {
            // no state directory at all
            assert.strictEqual(run(path.join(tmp, "absent")).status, 2);
            assert.deepStrictEqual(fs.readdirSync(tmp), [], "nothing created");
            // a state directory without profiles/ (e.g. a marker file of the test image)
            const state = path.join(tmp, "state");
            fs.mkdirSync(state, { mode: 0o755 });
            fs.writeFileSync(path.join(state, "marker"), "x");
            assert.strictEqual(run(state).status, 2);
            assert.deepStrictEqual(fs.readdirSync(state), ["marker"], "nothing created");
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
    it("the packed program keeps a copy on the host (as root): stored once, verified, then sourced; another user neither stores nor runs one", () => {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "pa-store-"));
        fs.chmodSync(state, 0o755);
        fs.mkdirSync(path.join(state, "profiles")); // something was installed here before
        const store = path.join(state, "scripts");
        const copy = hostScriptCopy("install");
        assert.match(copy.file, /^\/var\/lib\/pulumi-apparmor\/scripts\/install-[0-9a-f]{16}\.sh$/);
        assert.strictEqual(copy.file.slice(-19, -3), copy.sha256.slice(0, 16));
        const file = path.join(store, path.basename(copy.file));
        const run = () =>
            spawnSync("sh", ["-c", programIn(state), "pulumi-apparmor-install", "bad name"], {
                encoding: "utf8",
            });
        // a copy of the exact size that only prints a marker: proves the copy ran, not the unpack
        const marker = () => {
            const m = "echo COPY-USED; exit 7\n";
            const n = Buffer.byteLength(copy.text);
            fs.writeFileSync(file, m + "#".repeat(n - m.length - 1) + "\n", { mode: 0o600 });
            fs.chmodSync(file, 0o600);
        };
        const unpacked = (why: string) => {
            const r = run();
            assert.strictEqual(r.status, 2, `${why}: ${r.stdout}`);
            assert.match(r.stdout, /"error":"usage"/, why);
            assert.strictEqual(
                fs.readFileSync(file, "utf8"),
                copy.text,
                `${why}: the copy is replaced`,
            );
        };
        try {
            if (process.getuid?.() !== 0) {
                // The copy is root's ([ -O / ]): another user's run unpacks, stores nothing, and
                // never sources a copy, not even one of its own of the exact size.
                let r = run();
                assert.strictEqual(r.status, 2, r.stdout);
                assert.match(r.stdout, /"error":"usage"/);
                assert.ok(!fs.existsSync(store), "no store created by a non-root run");
                fs.mkdirSync(store, { mode: 0o700 });
                marker();
                r = run();
                assert.strictEqual(r.status, 2, "a copy not owned by root is not run");
                assert.match(r.stdout, /"error":"usage"/);
                return;
            }
            unpacked("first run");
            assert.deepStrictEqual(fs.readdirSync(store), [path.basename(file)]);
            assert.strictEqual(fs.statSync(store).mode & 0o777, 0o700);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.strictEqual(fs.statSync(file).uid, 0);
            marker();
            let r = run();
            assert.strictEqual(r.status, 7, r.stderr);
            assert.strictEqual(r.stdout, "COPY-USED\n");
            // wrong size (a partial or edited copy): not run, replaced
            fs.writeFileSync(file, copy.text.slice(0, 1000), { mode: 0o600 });
            unpacked("partial copy");
            // a store or state directory writable by group or others, a copy writable by group, a
            // second link, a symbolic link: not run (and replaced by the unpacking run)
            for (const [why, spoil, undo] of [
                [
                    "group-writable store",
                    () => fs.chmodSync(store, 0o770),
                    () => fs.chmodSync(store, 0o700),
                ],
                [
                    "other-writable state dir",
                    () => fs.chmodSync(state, 0o757),
                    () => fs.chmodSync(state, 0o755),
                ],
                ["group-writable copy", () => fs.chmodSync(file, 0o620), () => undefined],
                [
                    "second link",
                    () => fs.linkSync(file, path.join(state, "x")),
                    () => fs.unlinkSync(path.join(state, "x")),
                ],
            ] as const) {
                marker();
                spoil();
                unpacked(why);
                undo();
            }
            fs.rmSync(file);
            fs.writeFileSync(path.join(state, "elsewhere.sh"), "echo COPY-USED; exit 7\n");
            fs.symlinkSync(path.join(state, "elsewhere.sh"), file);
            r = run();
            assert.strictEqual(r.status, 2, "symlink: not run");
            // pruning when a copy is stored: the newest few kept, temp files of killed runs removed
            fs.rmSync(file);
            for (let i = 0; i < 6; i++) {
                const f = path.join(store, `install-old${i}.sh`);
                fs.writeFileSync(f, "x");
                fs.utimesSync(f, 1000 + i, 1000 + i);
            }
            fs.writeFileSync(path.join(store, ".install-old.sh.123"), "x");
            unpacked("prune");
            assert.deepStrictEqual(
                fs.readdirSync(store).sort(),
                [
                    path.basename(file),
                    "install-old3.sh",
                    "install-old4.sh",
                    "install-old5.sh",
                ].sort(),
            );
        } finally {
            fs.rmSync(state, { recursive: true, force: true });
        }
    });
    it("every command fits in one SSH packet every server accepts (RFC 4253: 35000 bytes)", () => {
        for (const name of HOST_SCRIPTS) {
            // the longest arguments the builders accept: a 200-character name, a 1024-byte directory
            const cmd = buildHostCommand(
                name,
                ["n".repeat(200), `/${"d".repeat(1023)}`, "x".repeat(64)],
                {
                    sudo: true,
                },
            );
            assert.ok(cmd.length < 32_000, `${name}: ${cmd.length} bytes`);
        }
    });
    it("installCommand: text on stdin, its sha256 as the last argument, defaults keep + default dir", () => {
        const text = "profile p {\n}\n";
        const c = installCommand({ name: "p", text, sudo: true });
        assert.strictEqual(c.stdin, text);
        assert.strictEqual(
            c.command,
            `sudo -n ${prefix("install")} 'p' 'keep' '${DEFAULT_PROFILE_DIR}' '${sha256Hex(text)}'`,
        );
        assert.ok(!c.command.includes("profile p {"), "the text must not be in the command");
    });
    it("installCommand: prior and unless become options after the sha256", () => {
        const text = "profile p {\n}\n";
        const sha = "b".repeat(64);
        const c = installCommand({
            name: "p",
            text,
            mode: "complain",
            prior: true,
            unless: { sha256: sha, kernelMode: "enforce" },
        });
        assert.ok(
            c.command.endsWith(`'${sha256Hex(text)}' 'prior' 'unless=${sha}:enforce'`),
            c.command.slice(-200),
        );
        assert.throws(
            () =>
                installCommand({ name: "p", text, unless: { sha256: sha, kernelMode: "enforce" } }),
            /unless needs prior/,
        );
        for (const bad of ["B".repeat(64), "b".repeat(63), `${"b".repeat(63)}'`])
            assert.throws(
                () =>
                    installCommand({
                        name: "p",
                        text,
                        prior: true,
                        unless: { sha256: bad, kernelMode: "enforce" },
                    }),
                /unless.sha256/,
            );
        assert.throws(
            () =>
                installCommand({
                    name: "p",
                    text,
                    prior: true,
                    unless: { sha256: sha, kernelMode: "kill" as "enforce" },
                }),
            /unless.kernelMode/,
        );
    });
    // installCommand's rollout options: the options they become, or the error naming the field.
    const sha = "b".repeat(64);
    const rolloutOptions: [string, Partial<InstallArgs>, string[] | RegExp][] = [
        ["prior", { prior: true }, ["prior"]],
        ["prior + labels", { prior: true, labels: true }, ["prior", "labels"]],
        ["prior + log", { prior: true, logMaxBytes: 4096 }, ["prior", "log=4096"]],
        [
            "all of them",
            {
                prior: true,
                unless: { sha256: sha, kernelMode: "enforce" },
                logMaxBytes: 1,
                labels: true,
            },
            ["prior", `unless=${sha}:enforce`, "log=1", "labels"],
        ],
        ["position (a create's log position)", { position: true }, ["position"]],
        ["position with prior", { prior: true, position: true }, /position and prior/],
        ["labels without prior", { labels: true }, /labels needs prior/],
        ["log without prior", { logMaxBytes: 10 }, /logMaxBytes needs prior/],
        ["log 0", { prior: true, logMaxBytes: 0 }, /invalid logMaxBytes/],
        [
            "log over 16 MiB",
            { prior: true, logMaxBytes: 16 * 1024 * 1024 + 1 },
            /invalid logMaxBytes/,
        ],
        ["log not whole", { prior: true, logMaxBytes: 1.5 }, /invalid logMaxBytes/],
    ];
    for (const [what, over, want] of rolloutOptions)
        it(`installCommand options: ${what}`, () => {
            const text = "profile p {\n}\n";
            const build = () => installCommand({ name: "p", text, ...over });
            if (want instanceof RegExp) return void assert.throws(build, want);
            const tail = [sha256Hex(text), ...want].map((w) => `'${w}'`).join(" ");
            assert.ok(build().command.endsWith(` ${tail}`), build().command.slice(-200));
        });
    it("installCommand ends the text with a newline (the file on the host always does)", () => {
        const c = installCommand({ name: "p", text: "profile p {\n}" });
        assert.strictEqual(c.stdin, "profile p {\n}\n");
        assert.ok(c.command.endsWith(`'${sha256Hex("profile p {\n}\n")}'`));
    });
    it("installCommand hashes UTF-8 bytes", () => {
        const text = "# é\nprofile p {\n}\n";
        const c = installCommand({ name: "p", text, mode: "complain", dir: "/etc/apparmor.d/x" });
        assert.ok(
            c.command.endsWith(
                `'p' 'complain' '/etc/apparmor.d/x' '${sha256Hex(Buffer.from(text, "utf8"))}'`,
            ),
        );
    });
    const bad: [string, () => unknown, RegExp][] = [
        [
            "install: bad name",
            () => installCommand({ name: "a b", text: "x" }),
            /invalid profile name/,
        ],
        [
            "install: bad dir",
            () => installCommand({ name: "a", text: "x", dir: "rel" }),
            /invalid directory/,
        ],
        [
            "install: bad mode",
            () => installCommand({ name: "a", text: "x", mode: "kill" as "enforce" }),
            /invalid mode/,
        ],
        ["install: empty text", () => installCommand({ name: "a", text: "" }), /empty/],
        [
            "mode: keep is not a mode",
            () => modeCommand({ name: "a", mode: "keep" as "enforce" }),
            /invalid mode/,
        ],
        ["status: bad name", () => statusCommand({ names: ["ok", "b;c"] }), /invalid profile name/],
        [
            "remove: bad dir",
            () => removeCommand({ name: "a", dir: "/a/../b" }),
            /invalid directory/,
        ],
        ["denials: bad cursor", () => denialsCommand({ cursor: "x" }), /invalid cursor/],
        ["denials: bad size", () => denialsCommand({ maxBytes: 0 }), /invalid maxBytes/],
        [
            "denials: bad source",
            () => denialsCommand({ source: "dmesg" as "kernlog" }),
            /invalid source/,
        ],
    ];
    for (const [title, fn, re] of bad) {
        it(`${title} throws before building`, () => assert.throws(fn, re));
    }
    it("options (issue #13): adopt and parser timeout for install, in-use/wait for remove, timeout for mode and status", () => {
        const text = "profile p {\n}\n";
        const sha = sha256Hex(text);
        assert.ok(
            installCommand({
                name: "p",
                text,
                adopt: true,
                parserTimeoutSeconds: 30,
            }).command.endsWith(
                `'p' 'keep' '${DEFAULT_PROFILE_DIR}' '${sha}' 'adopt' 'timeout=30'`,
            ),
        );
        assert.ok(installCommand({ name: "p", text, adopt: false }).command.endsWith(`'${sha}'`));
        assert.ok(
            removeCommand({ name: "p", onInUse: "remove", waitSeconds: 10 }).command.endsWith(
                `'p' '${DEFAULT_PROFILE_DIR}' 'in-use=remove' 'wait=10'`,
            ),
        );
        assert.ok(
            removeCommand({ name: "p", onInUse: "refuse" }).command.endsWith("'in-use=refuse'"),
        );
        assert.ok(
            modeCommand({ name: "p", mode: "enforce", parserTimeoutSeconds: 5 }).command.endsWith(
                "'timeout=5'",
            ),
        );
        assert.ok(
            statusCommand({ names: ["a"], parserTimeoutSeconds: 7 }).command.endsWith(
                "'a' 'timeout=7'",
            ),
        );
        const bad: [() => unknown, RegExp][] = [
            [() => installCommand({ name: "p", text, parserTimeoutSeconds: 0 }), /parserTimeout/],
            [() => installCommand({ name: "p", text, parserTimeoutSeconds: 1.5 }), /parserTimeout/],
            [
                () => installCommand({ name: "p", text, parserTimeoutSeconds: 3601 }),
                /parserTimeout/,
            ],
            [() => removeCommand({ name: "p", waitSeconds: -1 }), /waitSeconds/],
            [() => removeCommand({ name: "p", waitSeconds: 601 }), /waitSeconds/],
            [() => removeCommand({ name: "p", onInUse: "force" as "remove" }), /onInUse/],
            [
                () => installCommand({ name: "p", text, dir: "/etc" }),
                /must be below \/etc\/apparmor\.d/,
            ],
        ];
        for (const [fn, re] of bad) assert.throws(fn, re);
    });

    it("argument lists", () => {
        assert.ok(preflightCommand().command.endsWith("pulumi-apparmor-preflight 'check-docker'"));
        assert.ok(preflightCommand({ checkDocker: false }).command.endsWith("'skip-docker'"));
        assert.ok(!preflightCommand().command.startsWith("sudo"), "preflight runs as the SSH user");
        assert.ok(
            modeCommand({ name: "p", mode: "complain" }).command.endsWith(
                `'p' 'complain' '${DEFAULT_PROFILE_DIR}'`,
            ),
        );
        assert.ok(
            statusCommand().command.endsWith(`pulumi-apparmor-status '${DEFAULT_PROFILE_DIR}'`),
        );
        assert.ok(
            statusCommand({ names: ["a", "b"], dir: "/etc/apparmor.d/d" }).command.endsWith(
                "'/etc/apparmor.d/d' 'a' 'b'",
            ),
        );
        assert.ok(removeCommand({ name: "p" }).command.endsWith(`'p' '${DEFAULT_PROFILE_DIR}'`));
        assert.ok(denialsCommand().command.endsWith("'start' '1048576' 'auto'"));
        assert.ok(
            denialsCommand({
                cursor: "kernlog:1:2",
                maxBytes: 10,
                source: "kernlog",
            }).command.endsWith("'kernlog:1:2' '10' 'kernlog'"),
        );
    });
});

describe("host command: script files are found from the compiled dist/ layout", function () {
    this.timeout(30000);
    it("dist/src/host/index.js resolves ../../../src/host", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "pa-host-dist-"));
        try {
            fs.mkdirSync(path.join(root, "dist/src/host"), { recursive: true });
            fs.mkdirSync(path.join(root, "src"), { recursive: true });
            fs.symlinkSync(hostScriptDir(), path.join(root, "src/host"));
            const source = fs.readFileSync(path.join(hostScriptDir(), "index.ts"), "utf8");
            const js = ts.transpileModule(source, {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
            }).outputText;
            const out = path.join(root, "dist/src/host/index.js");
            fs.writeFileSync(out, js);
            // the modules it imports from the package (pure; read.ts, installs.ts and labels.ts
            // import only index.ts and each other)
            fs.mkdirSync(path.join(root, "dist/src/log"), { recursive: true });
            fs.mkdirSync(path.join(root, "dist/src/profile"), { recursive: true });
            for (const [from, to] of [
                ["../log/kernel.ts", "dist/src/log/kernel.js"],
                ["../profile/utf8.ts", "dist/src/profile/utf8.js"],
                ["minify.ts", "dist/src/host/minify.js"],
                ["read.ts", "dist/src/host/read.js"],
                ["installs.ts", "dist/src/host/installs.js"],
                ["labels.ts", "dist/src/host/labels.js"],
            ])
                fs.writeFileSync(
                    path.join(root, to),
                    ts.transpileModule(fs.readFileSync(path.join(hostScriptDir(), from), "utf8"), {
                        compilerOptions: {
                            module: ts.ModuleKind.CommonJS,
                            target: ts.ScriptTarget.ES2022,
                        },
                    }).outputText,
                );
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(out) as typeof import("../../../src/host");
            assert.strictEqual(mod.hostScriptDir(), path.join(root, "src/host"));
            assert.strictEqual(mod.hostScriptText("status"), hostScriptText("status"));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
