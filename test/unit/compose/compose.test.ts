/**
 * Compose files (pure): parsing + Compose Specification schema, the confinement rules, the
 * security_opt rewrite, project names, and ComposeProject's argument validator — as tables.
 */
import * as assert from "assert";
import { parse } from "yaml";
import {
    composeProblems,
    parseComposeText,
    relativeComposePaths,
    rewriteCompose,
    serviceDigests,
    startedOnDemand,
    type ComposeFile,
} from "../../../src/compose";
import {
    composeDownCommand,
    composePsCommand,
    composeUpCommand,
    parseCompose,
    validateComposeOwner,
    validateComposeProjectDirectory,
    validateComposeProjectName,
} from "../../../src/host/compose";
import { HostScriptError, sha256Hex } from "../../../src/host";
import {
    defaultComposeProjectName,
    relativePathsWarning,
    validateComposeProjectArgs,
} from "../../../src/components/composeProject";
import { composeDrift, composeProvider } from "../../../src/components/composeProvider";
import { UNKNOWN_MARKER } from "../../../src/components/unknown";

function file(text: string): ComposeFile {
    const r = parseComposeText(text);
    if (!r.ok) throw new Error(r.errors.join("; "));
    return r.file;
}

/** Table test of the provider's check for one optional input: [title, value, expected failure]. */
function providerCheckTable(
    field: "projectDirectory" | "owner",
    cases: readonly [string, unknown, string | undefined][],
): void {
    for (const [what, value, want] of cases)
        it(`provider check: ${what}`, async () => {
            const r = await composeProvider.check(
                {},
                { project: "web", ...(value === undefined ? {} : { [field]: value as string }) },
            );
            const got = (r.failures ?? []).map((x) => `${x.property}: ${x.reason}`);
            assert.deepStrictEqual(got, want === undefined ? [] : [want]);
        });
}

describe("compose: parse and schema", () => {
    const bad: [string, string, RegExp][] = [
        ["empty", "", /empty/],
        ["not YAML", "services: [a\n", /not valid YAML/],
        ["duplicate key", "services:\n  a: {image: x}\n  a: {image: y}\n", /not valid YAML/],
        ["a list", "- a\n", /not a YAML mapping/],
        [
            "unknown service key",
            "services:\n  a:\n    imagex: x\n",
            /services\.a: .*unknown key "imagex"/,
        ],
        ["wrong type", "services:\n  a:\n    image: x\n    ports: 3\n", /services\.a\.ports/],
        ["no services", "volumes: {}\n", /no services/],
        ["bad service name", "services:\n  'a b': {image: x}\n", /services/],
    ];
    for (const [what, text, re] of bad)
        it(`refuses ${what}`, () => {
            const r = parseComposeText(text);
            assert.strictEqual(r.ok, false);
            if (!r.ok) assert.match(r.errors.join("\n"), re);
        });
    it("accepts a spec file with anchors and merge keys", () => {
        const r = parseComposeText(
            "x-base: &b\n  image: local/busybox:latest\nservices:\n  a:\n    <<: *b\n    command: [sleep, '1']\n",
        );
        assert.ok(r.ok);
        if (r.ok) assert.strictEqual(r.file.services.a.image, "local/busybox:latest");
    });
    const names: [string, string | RegExp | undefined][] = [
        ["web", undefined],
        ["my_app-2", undefined],
        ["0x", undefined],
        ["", /empty/],
        ["Web", /lowercase/],
        ["-web", /lowercase/],
        ["a b", /lowercase/],
        ["a'b", /lowercase/],
        ["x".repeat(101), /at most 100/],
    ];
    for (const [n, want] of names)
        it(`project name ${JSON.stringify(n.slice(0, 20))}`, () => {
            const why = validateComposeProjectName(n);
            if (want === undefined) assert.strictEqual(why, undefined);
            else assert.match(why ?? "", want as RegExp);
        });
    const defaults: [string, string][] = [
        ["web", "web"],
        ["My App", "my-app"],
        ["__x", "x"],
        ["!!!", "project"],
    ];
    for (const [n, want] of defaults)
        it(`default project name of ${n}`, () =>
            assert.strictEqual(defaultComposeProjectName(n), want));
});

describe("compose: confinement rules", () => {
    const cases: [string, string, string[], boolean, RegExp | undefined][] = [
        [
            "all mapped",
            "services:\n  a: {image: x}\n  b: {image: x}\n",
            ["a", "b"],
            false,
            undefined,
        ],
        ["default profile", "services:\n  a: {image: x}\n", [], true, undefined],
        [
            "unknown service in map",
            "services:\n  a: {image: x}\n",
            ["a", "c"],
            false,
            /profiles\.c: no service "c"/,
        ],
        [
            "unmapped service",
            "services:\n  a: {image: x}\n  b: {image: x}\n",
            ["a"],
            false,
            /profiles: service "b" has no profile/,
        ],
        [
            "privileged",
            "services:\n  a: {image: x, privileged: true}\n",
            [],
            true,
            /services\.a\.privileged: true: a privileged/,
        ],
        [
            "privileged interpolated",
            "services:\n  a: {image: x, privileged: '${P}'}\n",
            [],
            true,
            /privileged/,
        ],
        [
            "apparmor=unconfined",
            "services:\n  a: {image: x, security_opt: [apparmor=unconfined]}\n",
            [],
            true,
            /security_opt: "apparmor=unconfined" runs the service without AppArmor/,
        ],
        [
            "apparmor:unconfined",
            "services:\n  a: {image: x, security_opt: ['apparmor:unconfined']}\n",
            [],
            true,
            /"apparmor:unconfined"/,
        ],
        [
            "interpolated option",
            "services:\n  a: {image: x, security_opt: ['${OPT}']}\n",
            [],
            true,
            /interpolated on the host/,
        ],
        ["include", "include: [other.yml]\nservices:\n  a: {image: x}\n", [], true, /include/],
        [
            "extends file",
            "services:\n  a: {image: x, extends: {file: b.yml, service: b}}\n",
            [],
            true,
            /extends\.file/,
        ],
        [
            "privileged false",
            "services:\n  a: {image: x, privileged: false}\n",
            [],
            true,
            undefined,
        ],
        [
            "another apparmor profile (replaced)",
            "services:\n  a: {image: x, security_opt: [apparmor=other]}\n",
            [],
            true,
            undefined,
        ],
    ];
    for (const [what, text, mapped, hasDefault, want] of cases)
        it(what, () => {
            const p = composeProblems(file(text), mapped, hasDefault, "composeText");
            const s = p.map((x) => `${x.field}: ${x.message} (fix: ${x.fix})`).join("\n");
            if (want === undefined) assert.deepStrictEqual(p, []);
            else assert.match(s, want);
            for (const x of p) assert.ok(x.fix.length > 0);
        });
});

describe("compose: security_opt rewrite", () => {
    const cases: [string, unknown, string[]][] = [
        ["none", undefined, ["apparmor=p"]],
        [
            "others kept in order",
            ["no-new-privileges:true", "seccomp=unconfined"],
            ["no-new-privileges:true", "seccomp=unconfined", "apparmor=p"],
        ],
        ["apparmor= replaced", ["apparmor=old", "label=disable"], ["label=disable", "apparmor=p"]],
        ["apparmor: replaced", ["apparmor:old"], ["apparmor=p"]],
    ];
    for (const [what, opts, want] of cases)
        it(what, () => {
            const f = file(
                `services:\n  a:\n    image: x\n${opts ? `    security_opt: ${JSON.stringify(opts)}\n` : ""}`,
            );
            const out = parse(rewriteCompose(f, { a: "p" }));
            assert.deepStrictEqual(out.services.a.security_opt, want);
            assert.strictEqual(out.services.a.image, "x");
        });
    it("each service gets its own profile; other keys untouched; output re-parses and is stable", () => {
        const f = file(
            "name: x\nservices:\n  a: {image: x}\n  b: {image: y, command: ['a: b', '#c']}\nvolumes: {v: {}}\n",
        );
        const t = rewriteCompose(f, { a: "pa", b: "pb" });
        const again = file(t);
        assert.deepStrictEqual(again.services.b.command, ["a: b", "#c"]);
        assert.deepStrictEqual(again.services.b.security_opt, ["apparmor=pb"]);
        assert.deepStrictEqual(again.volumes, { v: {} });
        assert.strictEqual(rewriteCompose(f, { a: "pa", b: "pb" }), t);
    });
    it("strings stay strings for YAML 1.1 readers (docker-compose 1.x) and 1.2 readers alike", () => {
        const f = file(
            "services:\n  a:\n    image: x\n    ports: ['80:80']\n    environment: {A: 'yes', B: 'on', C: '0o17', D: '1_000'}\n",
        );
        const t = rewriteCompose(f, { a: "p" });
        for (const version of ["1.1", "1.2"] as const) {
            const back = parse(t, { version });
            assert.deepStrictEqual(back.services.a.ports, ["80:80"], version);
            assert.deepStrictEqual(
                back.services.a.environment,
                { A: "yes", B: "on", C: "0o17", D: "1_000" },
                version,
            );
        }
    });
    it("refuses a service without a profile", () => {
        assert.throws(() => rewriteCompose(file("services:\n  a: {image: x}\n"), {}), /no profile/);
    });
    it("service digests change only for the service whose profile changed", () => {
        const f = file("services:\n  a: {image: x}\n  b: {image: x}\n");
        const d1 = serviceDigests(file(rewriteCompose(f, { a: "p1", b: "q" })));
        const d2 = serviceDigests(file(rewriteCompose(f, { a: "p2", b: "q" })));
        assert.notStrictEqual(d1.a, d2.a);
        assert.strictEqual(d1.b, d2.b);
    });
});

describe("compose: ComposeProject arguments", () => {
    const base: Parameters<typeof validateComposeProjectArgs>[0] = {
        text: "services:\n  a: {image: x}\n",
        fileField: "composeText" as const,
        projectName: "web",
        mapped: ["a"],
        hasDefault: false,
        host: undefined,
        profileHosts: { a: ["vm"] },
    };
    const cases: [string, Partial<typeof base>, RegExp | undefined][] = [
        ["valid", {}, undefined],
        ["bad project name", { projectName: "Web" }, /^projectName: /m],
        ["unknown profile host", { host: "db" }, /^profiles\.a: the profile has no host "db"/m],
        [
            "profile with several hosts and no host",
            { profileHosts: { a: ["vm", "vm2"] } },
            /^host: the profile has 2 hosts/m,
        ],
        ["no profile", { profileHosts: {}, mapped: [] }, /^profiles: no profile given/m],
        ["unparsable file", { text: "services: [" }, /^composeText: not valid YAML/m],
        [
            "unknown service",
            { mapped: ["a", "zz"], profileHosts: { a: ["vm"], zz: ["vm"] } },
            /^profiles\.zz: no service "zz"/m,
        ],
        ["adopt true", { adopt: true }, undefined],
        ["adopt false", { adopt: false }, undefined],
        [
            "adopt as a promise (checked by the provider)",
            { adopt: Promise.resolve(true) },
            undefined,
        ],
        ["adopt a string", { adopt: "yes" }, /^adopt: "yes" is not a boolean/m],
        ["adopt a number", { adopt: 1 }, /^adopt: "1" is not a boolean/m],
        ["projectDirectory absolute", { projectDirectory: "/srv/shop" }, undefined],
        [
            "projectDirectory relative",
            { projectDirectory: "srv/shop" },
            /^projectDirectory: the project directory "srv\/shop" is not an absolute path/m,
        ],
        [
            "projectDirectory with ..",
            { projectDirectory: "/srv/../etc" },
            /^projectDirectory: .*has a "\.\." component/m,
        ],
        [
            "projectDirectory as a promise (checked by the provider)",
            { projectDirectory: Promise.resolve("x") },
            undefined,
        ],
    ];
    for (const [what, over, want] of cases)
        it(what, () => {
            const r = validateComposeProjectArgs({ ...base, ...over });
            const s = r.problems.map((p) => `${p.field}: ${p.message}`).join("\n");
            if (want === undefined) {
                assert.deepStrictEqual(r.problems, []);
                assert.strictEqual(r.host, "vm");
            } else assert.match(s, want);
        });
});

describe("compose: drift of a project's containers", () => {
    const want = { a: { profileName: "pa", mode: "enforce" as const } };
    const id = "a".repeat(64);
    const cases: [
        string,
        { service: string; running: boolean; label: string }[],
        RegExp | undefined,
    ][] = [
        ["confined", [{ service: "a", running: true, label: "pa (enforce)" }], undefined],
        [
            "unconfined",
            [{ service: "a", running: true, label: "unconfined" }],
            /service a: container aaaaaaaaaaaa: container runs unconfined/,
        ],
        [
            "docker-default",
            [{ service: "a", running: true, label: "docker-default (enforce)" }],
            /label "docker-default \(enforce\)"/,
        ],
        ["stopped only", [{ service: "a", running: false, label: "" }], /no running container/],
        [
            "a stopped leftover beside a confined one",
            [
                { service: "a", running: false, label: "" },
                { service: "a", running: true, label: "pa (enforce)" },
            ],
            undefined,
        ],
        ["missing", [], /service a: no running container \(expected label pa \(enforce\)\)/],
    ];
    for (const [what, cs, re] of cases)
        it(what, () => {
            const d = composeDrift(
                { tool: "docker-compose", containers: cs.map((c) => ({ id, ...c })) },
                want,
            );
            if (re === undefined) assert.deepStrictEqual(d, []);
            else assert.match(d.join("\n"), re);
        });
});

describe("compose: services compose starts only on demand", () => {
    const cases: [string, Record<string, unknown>, boolean][] = [
        ["plain", { image: "x" }, false],
        ["compose profiles", { image: "x", profiles: ["debug"] }, true],
        ["empty compose profiles", { image: "x", profiles: [] }, false],
        ["scale 0", { image: "x", scale: 0 }, true],
        ["scale 2", { image: "x", scale: 2 }, false],
        ["deploy.replicas 0", { image: "x", deploy: { replicas: 0 } }, true],
    ];
    for (const [what, svc, want] of cases)
        it(what, () => assert.strictEqual(startedOnDemand(svc), want));
    it("no container of an on-demand service is not drift; an unconfined one is", () => {
        const want = { d: { profileName: "pa", mode: "enforce" as const, optional: true } };
        assert.deepStrictEqual(composeDrift({ tool: "docker-compose", containers: [] }, want), []);
        const c = [{ id: "b".repeat(64), service: "d", running: true, label: "unconfined" }];
        assert.match(
            composeDrift({ tool: "docker-compose", containers: c }, want).join("\n"),
            /runs unconfined/,
        );
    });
});

describe("compose: ownership of the project name (adopt)", () => {
    const file = "services:\n  a: {image: x}\n";
    const commands: [string, boolean | undefined, boolean][] = [
        ["up without adopt", undefined, false],
        ["up with adopt: false", false, false],
        ["up with adopt: true", true, true],
    ];
    for (const [what, adopt, has] of commands)
        it(`${what}: the host command ${has ? "carries" : "does not carry"} the adopt option`, () => {
            const c = composeUpCommand({
                project: "web",
                file,
                ...(adopt === undefined ? {} : { adopt }),
            });
            const words = c.command.split(" ").slice(has ? -4 : -3);
            assert.deepStrictEqual(words, [
                "'up'",
                "'web'",
                `'${sha256Hex(file)}'`,
                ...(has ? ["'adopt'"] : []),
            ]);
            assert.strictEqual(c.stdin, file);
        });
    it("ps and down take no adopt option", () => {
        assert.ok(!composePsCommand({ project: "web" }).command.includes("'adopt'"));
        assert.ok(!composeDownCommand({ project: "web" }).command.includes("'adopt'"));
    });

    const id = "c".repeat(64);
    const results: [string, string, boolean | RegExp][] = [
        [
            "adopted true",
            `{"ok":true,"tool":"docker-compose","adopted":true,"containers":[]}`,
            true,
        ],
        [
            "adopted false",
            `{"ok":true,"tool":"docker-compose","adopted":false,"containers":[]}`,
            false,
        ],
        [
            "no adopted field (an older script)",
            `{"ok":true,"tool":"docker compose","containers":[]}`,
            false,
        ],
        [
            "adopted not a boolean",
            `{"ok":true,"tool":"docker-compose","adopted":"yes","containers":[]}`,
            /unexpected result: adopted/,
        ],
        [
            "with a container",
            `{"ok":true,"tool":"docker-compose","adopted":true,"containers":[{"id":"${id}","service":"a","running":true,"label":"pa (enforce)"}]}`,
            true,
        ],
    ];
    for (const [what, line, want] of results)
        it(`result: ${what}`, () => {
            if (want instanceof RegExp)
                assert.throws(() => parseCompose({ stdout: `${line}\n`, exitCode: 0 }), want);
            else
                assert.strictEqual(
                    parseCompose({ stdout: `${line}\n`, exitCode: 0 }).adopted,
                    want,
                );
        });
    it("the refusal reaches the caller as a HostScriptError with code foreign-project", () => {
        const msg =
            "compose project web already runs on this host with 2 container(s) (1 running) that pulumi-apparmor did not start (no record in /var/lib/pulumi-apparmor/compose/web); nothing was changed. Choose another projectName, or set adopt: true on the ComposeProject to take the project over";
        try {
            parseCompose({
                stdout: `${JSON.stringify({ ok: false, error: "foreign-project", message: msg })}\n`,
                exitCode: 1,
            });
            assert.fail("no error");
        } catch (e) {
            assert.ok(e instanceof HostScriptError, String(e));
            assert.strictEqual(e.code, "foreign-project");
            assert.match(e.message, /set adopt: true on the ComposeProject/);
        }
    });

    const checks: [string, unknown, string | undefined][] = [
        ["adopt true", true, undefined],
        ["adopt absent", undefined, undefined],
        ["adopt unknown at preview", UNKNOWN_MARKER, undefined],
        ["adopt a string", "true", "adopt: must be true or false"],
    ];
    for (const [what, adopt, want] of checks)
        it(`provider check: ${what}`, async () => {
            const r = await composeProvider.check(
                {},
                {
                    project: "web",
                    ...(adopt === undefined ? {} : { adopt: adopt as boolean }),
                },
            );
            const got = (r.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
            assert.deepStrictEqual(got, want === undefined ? [] : [want]);
        });
    it("provider diff: a change of adopt alone is no update (only up reads it)", async () => {
        const base = {
            project: "web",
            target: "u@h:22",
            file,
            services: { a: { profileName: "pa", mode: "enforce" as const } },
            drift: [],
        };
        const d = await composeProvider.diff(
            "id",
            { ...base, adopt: false },
            { ...base, adopt: true },
        );
        assert.deepStrictEqual([d.changes, d.replaces], [false, []]);
    });
});

describe("compose: project directory (projectDirectory)", () => {
    const dirs: [string, unknown, RegExp | undefined][] = [
        ["absolute", "/srv/shop", undefined],
        ["root", "/", undefined],
        ["trailing slash", "/srv/shop/", undefined],
        ["spaces and quotes (travel as one quoted word)", "/srv/my 'shop' $(id)", undefined],
        ["a dotted name is not ..", "/srv/..shop/a..b/.x", undefined],
        ["1024 characters", "/" + "a".repeat(1023), undefined],
        ["1025 characters", "/" + "a".repeat(1024), /1025 characters long; at most 1024/],
        ["empty", "", /is empty/],
        ["not a string", 42, /not a string/],
        ["relative", "srv/shop", /not an absolute path/],
        ["dot-relative", "./shop", /not an absolute path/],
        ["home", "~/shop", /not an absolute path/],
        [".. in the middle", "/srv/../etc", /has a "\.\." component/],
        [".. at the end", "/srv/..", /has a "\.\." component/],
        ["NUL", "/srv/a\0b", /control character/],
        ["newline", "/srv/a\nb", /control character/],
        ["carriage return", "/srv/a\rb", /control character/],
        ["escape", "/srv/\u001b[31m", /control character/],
    ];
    for (const [what, dir, want] of dirs)
        it(`validator: ${what}`, () => {
            const why = validateComposeProjectDirectory(dir);
            if (want === undefined) assert.strictEqual(why, undefined);
            else assert.match(why ?? "(valid)", want);
        });

    const f = "services:\n  a: {image: x}\n";
    it("up carries dir=PATH as one quoted word after the other options", () => {
        const c = composeUpCommand({ project: "web", file: f, projectDirectory: "/srv/my 'shop'" });
        assert.ok(
            c.command.endsWith(
                ` pulumi-apparmor-compose 'up' 'web' '${sha256Hex(f)}' 'dir=/srv/my '\\''shop'\\'''`,
            ),
            c.command.slice(-200),
        );
    });
    it("up without projectDirectory has no dir option", () => {
        const c = composeUpCommand({ project: "web", file: f });
        assert.ok(
            c.command.endsWith(` pulumi-apparmor-compose 'up' 'web' '${sha256Hex(f)}'`),
            c.command.slice(-200),
        );
    });
    it("up refuses an invalid projectDirectory before building a command", () => {
        assert.throws(
            () => composeUpCommand({ project: "web", file: f, projectDirectory: "/a/../b" }),
            /invalid projectDirectory: .*"\.\." component/,
        );
    });

    const checks: [string, unknown, string | undefined][] = [
        ["absent", undefined, undefined],
        ["absolute", "/srv/shop", undefined],
        ["unknown at preview", UNKNOWN_MARKER, undefined],
        [
            "relative",
            "shop",
            'projectDirectory: the project directory "shop" is not an absolute path',
        ],
    ];
    providerCheckTable("projectDirectory", checks);
    const base = {
        project: "web",
        target: "u@h:22",
        file: f,
        services: { a: { profileName: "pa", mode: "enforce" as const } },
        drift: [],
    };
    const diffs: [string, string | undefined, string | undefined, boolean][] = [
        ["unchanged", "/srv/a", "/srv/a", false],
        ["changed", "/srv/a", "/srv/b", true],
        ["set", undefined, "/srv/a", true],
        ["unset", "/srv/a", undefined, true],
    ];
    for (const [what, olds, news, changes] of diffs)
        it(`provider diff: projectDirectory ${what} → ${changes ? "update in place" : "no change"}`, async () => {
            const d = await composeProvider.diff(
                "id",
                { ...base, ...(olds === undefined ? {} : { projectDirectory: olds }) },
                { ...base, ...(news === undefined ? {} : { projectDirectory: news }) },
            );
            assert.deepStrictEqual([d.changes, d.replaces], [changes, []]);
        });

    const rel: [string, string, string[]][] = [
        [
            "none",
            "services:\n  a:\n    image: x\n    volumes: [/srv:/srv, data:/data, ~/x:/x]\n",
            [],
        ],
        [
            "short bind mounts",
            "services:\n  a:\n    image: x\n    volumes: ['./data:/data:ro', '../up:/up', '.:/cwd']\n",
            [
                "service a: bind mount ./data",
                "service a: bind mount ../up",
                "service a: bind mount .",
            ],
        ],
        [
            "long bind mount; a volume and an absolute bind are not relative",
            "services:\n  a:\n    image: x\n    volumes:\n      - {type: bind, source: data, target: /d}\n      - {type: volume, source: v, target: /v}\n      - {type: bind, source: /abs, target: /a}\nvolumes: {v: {}}\n",
            ["service a: bind mount data"],
        ],
        [
            "env_file as a string, a list and objects",
            "services:\n  a: {image: x, env_file: .env}\n  b:\n    image: x\n    env_file: [one.env, /abs.env, {path: ./two.env, required: false}]\n",
            [
                "service a: env_file .env",
                "service b: env_file one.env",
                "service b: env_file ./two.env",
            ],
        ],
        [
            "build contexts: string, object, object without context; URLs are not paths",
            "services:\n  a: {build: ./app}\n  b: {build: {context: web, dockerfile: D}}\n  c: {build: {dockerfile: D}}\n  d: {build: 'https://github.com/x/y.git'}\n  e: {build: {context: 'git@github.com:x/y.git'}}\n  f: {build: /abs}\n",
            [
                "service a: build context ./app",
                "service b: build context web",
                "service c: build context .",
            ],
        ],
        [
            "config and secret files",
            "services:\n  a: {image: x}\nconfigs:\n  c: {file: ./c.conf}\n  e: {external: true}\nsecrets:\n  s: {file: s.txt}\n  t: {file: /run/t}\n",
            ["config c: file ./c.conf", "secret s: file s.txt"],
        ],
    ];
    for (const [what, text, want] of rel)
        it(`relative paths: ${what}`, () => {
            assert.deepStrictEqual(
                relativeComposePaths(file(text)).map((r) => `${r.where} ${r.path}`),
                want,
            );
        });
    it("the preview warning names the paths, the library's folder and the fix", () => {
        const w = relativePathsWarning(
            "shop",
            "shop",
            file(
                "services:\n  a:\n    image: x\n    volumes: ['./data:/data:ro']\n    env_file: .env\n",
            ),
        );
        assert.strictEqual(
            w,
            "ComposeProject shop: the compose file has relative paths (service a: bind mount ./data, service a: env_file .env) that compose resolves in the library's own folder /var/lib/pulumi-apparmor/compose/shop on the host, not where the project's files are. Fix: set projectDirectory to the absolute folder on the host they are relative to.",
        );
    });
    it("no warning without relative paths; more than five are counted", () => {
        assert.strictEqual(relativePathsWarning("s", "s", file(f)), undefined);
        const many = `services:\n  a:\n    image: x\n    volumes: [${Array.from({ length: 7 }, (_, i) => `'./d${i}:/d${i}'`).join(", ")}]\n`;
        assert.match(
            relativePathsWarning("s", "s", file(many)) ?? "",
            /bind mount \.\/d4 and 2 more\)/,
        );
    });
});

describe("compose: ownership per stack (owner)", () => {
    const owners: [string, unknown, RegExp | undefined][] = [
        ["org/project/stack", "organization/shop/dev", undefined],
        ["dots, dashes, underscores", "my-org/shop.api/dev_2", undefined],
        ["300 characters", `o/p/${"s".repeat(296)}`, undefined],
        ["301 characters", `o/p/${"s".repeat(297)}`, /301 characters long; at most 300/],
        ["not a string", 1, /not a string/],
        ["empty", "", /is not ORG\/PROJECT\/STACK/],
        ["two parts", "shop/dev", /is not ORG\/PROJECT\/STACK/],
        ["four parts", "o/p/s/x", /is not ORG\/PROJECT\/STACK/],
        ["empty part", "o//s", /is not ORG\/PROJECT\/STACK/],
        ["space", "o/my shop/s", /is not ORG\/PROJECT\/STACK/],
        ["shell characters", "o/p/$(id)", /is not ORG\/PROJECT\/STACK/],
        ["newline", "o/p/s\nx", /"o\/p\/s\?x" is not ORG/],
    ];
    for (const [what, owner, want] of owners)
        it(`validator: ${what}`, () => {
            const why = validateComposeOwner(owner);
            if (want === undefined) assert.strictEqual(why, undefined);
            else assert.match(why ?? "(valid)", want);
        });

    const f = "services:\n  a: {image: x}\n";
    it("up carries owner= and was=; down carries owner=; ps none", () => {
        const up = composeUpCommand({
            project: "web",
            file: f,
            owner: "o/p/new",
            previousOwner: "o/p/old",
        });
        assert.ok(
            up.command.endsWith(` 'web' '${sha256Hex(f)}' 'owner=o/p/new' 'was=o/p/old'`),
            up.command.slice(-200),
        );
        const down = composeDownCommand({ project: "web", owner: "o/p/s" });
        assert.ok(down.command.endsWith(` 'down' 'web' 'owner=o/p/s'`), down.command.slice(-100));
        assert.ok(composePsCommand({ project: "web" }).command.endsWith(` 'ps' 'web'`));
    });
    it("an invalid owner never reaches a command", () => {
        assert.throws(
            () => composeUpCommand({ project: "web", file: f, owner: "o/p/$(id)" }),
            /invalid owner: /,
        );
        assert.throws(
            () => composeUpCommand({ project: "web", file: f, previousOwner: "x" }),
            /invalid was: /,
        );
        assert.throws(
            () => composeDownCommand({ project: "web", owner: "a b" }),
            /invalid owner: /,
        );
    });

    const results: [string, string, string | RegExp][] = [
        [
            "owner recorded",
            `{"ok":true,"tool":"docker-compose","adopted":false,"owner":"o/p/s","containers":[]}`,
            "o/p/s",
        ],
        [
            "no owner recorded",
            `{"ok":true,"tool":"docker-compose","adopted":false,"owner":"","containers":[]}`,
            "",
        ],
        [
            "no owner field (an older script)",
            `{"ok":true,"tool":"docker-compose","containers":[]}`,
            "",
        ],
        [
            "owner not a string",
            `{"ok":true,"tool":"docker-compose","owner":1,"containers":[]}`,
            /unexpected result: owner/,
        ],
        [
            "owner too long",
            `{"ok":true,"tool":"docker-compose","owner":"${"x".repeat(301)}","containers":[]}`,
            /unexpected result: owner/,
        ],
    ];
    for (const [what, line, want] of results)
        it(`result: ${what}`, () => {
            if (want instanceof RegExp)
                assert.throws(() => parseCompose({ stdout: `${line}\n`, exitCode: 0 }), want);
            else assert.strictEqual(parseCompose({ stdout: `${line}\n`, exitCode: 0 }).owner, want);
        });

    const checks: [string, unknown, string | undefined][] = [
        ["absent", undefined, undefined],
        ["valid", "o/p/s", undefined],
        ["unknown at preview", UNKNOWN_MARKER, undefined],
        [
            "invalid",
            "o/p",
            'owner: the owner "o/p" is not ORG/PROJECT/STACK of letters, digits, ".", "_" and "-"',
        ],
    ];
    providerCheckTable("owner", checks);
    it("provider diff: a change of owner alone (a renamed stack) is no update", async () => {
        const base = {
            project: "web",
            target: "u@h:22",
            file: f,
            services: { a: { profileName: "pa", mode: "enforce" as const } },
            drift: [],
        };
        for (const [olds, news] of [
            [undefined, "o/p/s"],
            ["o/p/old", "o/p/new"],
        ]) {
            const d = await composeProvider.diff(
                "id",
                { ...base, ...(olds === undefined ? {} : { owner: olds }) },
                { ...base, owner: news },
            );
            assert.deepStrictEqual([d.changes, d.replaces], [false, []]);
        }
    });
});
