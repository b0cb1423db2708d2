/**
 * The engine choice of the demos and engine tests (test/support/engineSelect.ts), as a pure
 * function: version parsing and comparison, the PULUMI_APPARMOR_ENGINE(_BIN) settings, a missing or
 * broken `pulumi` on PATH.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    chooseEngine,
    EngineInputs,
    findOnPath,
    MIN_PULUMI_VERSION,
    parsePulumiVersion,
    versionAtLeast,
} from "../support/engineSelect";

describe("engine choice: pulumi versions", () => {
    const parsed: [string, ReturnType<typeof parsePulumiVersion>][] = [
        ["v3.259.0\n", { core: [3, 259, 0] }],
        ["3.248.0", { core: [3, 248, 0] }],
        ["  v3.250.1  \n", { core: [3, 250, 1] }],
        ["v3.260.0-dev.0", { core: [3, 260, 0], pre: "dev.0" }],
        [
            "v3.187.1-0.20250806165243-bee5e4fa4815",
            { core: [3, 187, 1], pre: "0.20250806165243-bee5e4fa4815" },
        ],
        ["v3.248.0+dirty", { core: [3, 248, 0] }],
        ["v3.248", undefined],
        ["pulumi version v3.248.0", undefined],
        ["", undefined],
        ["warning: A new version of Pulumi is available\nv3.259.0", undefined],
    ];
    for (const [out, want] of parsed) {
        it(`parses ${JSON.stringify(out)}`, () => {
            assert.deepStrictEqual(parsePulumiVersion(out), want);
        });
    }

    const compared: [string, string, boolean][] = [
        ["v3.248.0", "3.248.0", true],
        ["v3.259.0", "3.248.0", true],
        ["v3.248.1", "3.248.0", true],
        ["v4.0.0", "3.248.0", true],
        ["v3.247.9", "3.248.0", false],
        ["v3.99.0", "3.248.0", false], // numeric, not string, comparison
        ["v2.999.999", "3.248.0", false],
        ["v3.248.0-alpha.1", "3.248.0", false], // a prerelease comes before its release
        ["v3.249.0-dev.0", "3.248.0", true],
        ["v3.248.0+dirty", "3.248.0", true],
        ["garbage", "3.248.0", false],
    ];
    for (const [v, min, want] of compared) {
        it(`${v} ${want ? ">=" : "<"} ${min}`, () => {
            assert.strictEqual(versionAtLeast(v, min), want);
        });
    }

    it("the minimum is the @pulumi/pulumi SDK version package.json pins", () => {
        const pkg = JSON.parse(
            fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"),
        ) as { dependencies: { [k: string]: string } };
        assert.strictEqual(MIN_PULUMI_VERSION, pkg.dependencies["@pulumi/pulumi"]);
    });
});

describe("engine choice: chooseEngine", () => {
    const pulumi = (versionOutput: string, builtFolder = false) => ({
        file: "/opt/pulumi/bin/pulumi",
        versionOutput,
        builtFolder,
    });
    const cases: [string, EngineInputs, ReturnType<typeof chooseEngine> | RegExp][] = [
        [
            "a new enough pulumi on PATH, nothing set",
            { env: {}, pathPulumi: pulumi("v3.259.0\n") },
            {
                kind: "path",
                layout: "own",
                binDir: "/opt/pulumi/bin",
                line: "engine: pulumi v3.259.0 from PATH (/opt/pulumi/bin/pulumi)",
            },
        ],
        [
            "exactly the minimum, without the v",
            { env: { PULUMI_APPARMOR_ENGINE: "auto" }, pathPulumi: pulumi("3.248.0") },
            {
                kind: "path",
                layout: "own",
                binDir: "/opt/pulumi/bin",
                line: "engine: pulumi v3.248.0 from PATH (/opt/pulumi/bin/pulumi)",
            },
        ],
        [
            "a test/engine/build.sh folder on PATH keeps the built layout",
            { env: {}, pathPulumi: pulumi("v3.259.0", true) },
            {
                kind: "path",
                layout: "built",
                binDir: "/opt/pulumi/bin",
                line:
                    "engine: pulumi v3.259.0 from PATH (/opt/pulumi/bin/pulumi, a test/engine/build.sh " +
                    "folder)",
            },
        ],
        [
            "too old: build",
            { env: {}, pathPulumi: pulumi("v3.100.0") },
            {
                kind: "build",
                why: "the pulumi on PATH (/opt/pulumi/bin/pulumi) is v3.100.0, older than v3.248.0",
            },
        ],
        [
            "a prerelease of the minimum: build",
            { env: {}, pathPulumi: pulumi("v3.248.0-alpha.1") },
            {
                kind: "build",
                why: "the pulumi on PATH (/opt/pulumi/bin/pulumi) is v3.248.0-alpha.1, older than v3.248.0",
            },
        ],
        ["no pulumi on PATH: build", { env: {} }, { kind: "build", why: "no pulumi on PATH" }],
        [
            "pulumi version failed: build",
            { env: {}, pathPulumi: { file: "/usr/bin/pulumi", error: "exec format error" } },
            { kind: "build", why: "`/usr/bin/pulumi version` failed: exec format error" },
        ],
        [
            "pulumi version printed no version: build",
            { env: {}, pathPulumi: { file: "/usr/bin/pulumi", versionOutput: "unknown\n" } },
            { kind: "build", why: '`/usr/bin/pulumi version` printed "unknown", not a version' },
        ],
        [
            "PULUMI_APPARMOR_ENGINE=build wins over a new enough pulumi",
            { env: { PULUMI_APPARMOR_ENGINE: "build" }, pathPulumi: pulumi("v3.300.0") },
            { kind: "build", why: "PULUMI_APPARMOR_ENGINE=build" },
        ],
        [
            "PULUMI_APPARMOR_ENGINE_BIN (CI) wins over everything",
            {
                env: {
                    PULUMI_APPARMOR_ENGINE_BIN: "/cache/engine/k/bin",
                    PULUMI_APPARMOR_ENGINE: "build",
                },
                pathPulumi: pulumi("v3.300.0"),
            },
            {
                kind: "bin",
                layout: "built",
                binDir: "/cache/engine/k/bin",
                line: "engine: built from source, folder /cache/engine/k/bin (PULUMI_APPARMOR_ENGINE_BIN)",
            },
        ],
        [
            "PULUMI_APPARMOR_ENGINE=path with a new enough pulumi",
            { env: { PULUMI_APPARMOR_ENGINE: "path" }, pathPulumi: pulumi("v3.250.0") },
            {
                kind: "path",
                layout: "own",
                binDir: "/opt/pulumi/bin",
                line: "engine: pulumi v3.250.0 from PATH (/opt/pulumi/bin/pulumi)",
            },
        ],
        [
            "PULUMI_APPARMOR_ENGINE=path without a pulumi: an error, no build",
            { env: { PULUMI_APPARMOR_ENGINE: "path" } },
            /^PULUMI_APPARMOR_ENGINE=path, but no pulumi on PATH: install Pulumi v3\.248\.0 or newer/,
        ],
        [
            "PULUMI_APPARMOR_ENGINE=path with an old pulumi: an error naming the version",
            { env: { PULUMI_APPARMOR_ENGINE: "path" }, pathPulumi: pulumi("v3.1.0") },
            /is v3\.1\.0, older than v3\.248\.0: install Pulumi/,
        ],
        [
            "an unknown setting: an error naming the choices",
            { env: { PULUMI_APPARMOR_ENGINE: "source" }, pathPulumi: pulumi("v3.259.0") },
            /^PULUMI_APPARMOR_ENGINE="source": use "build" .*"path" .*"auto"/,
        ],
    ];
    for (const [name, inputs, want] of cases) {
        it(name, () => {
            if (want instanceof RegExp) {
                assert.throws(() => chooseEngine(inputs), { message: want });
            } else {
                assert.deepStrictEqual(chooseEngine(inputs), want);
            }
        });
    }
});

describe("engine choice: findOnPath", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-engine-select-"));
        for (const d of ["a", "b", "c"]) fs.mkdirSync(path.join(dir, d));
        fs.writeFileSync(path.join(dir, "a/pulumi"), "not executable\n", { mode: 0o644 });
        fs.mkdirSync(path.join(dir, "b/pulumi")); // a directory, not a program
        fs.writeFileSync(path.join(dir, "c/pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes the first executable file, as the shell does", () => {
        const p = ["a", "", "b", "c"].map((d) => (d ? path.join(dir, d) : d)).join(path.delimiter);
        assert.strictEqual(findOnPath("pulumi", p), path.join(dir, "c/pulumi"));
    });
    it("none: undefined", () => {
        assert.strictEqual(findOnPath("pulumi", path.join(dir, "a")), undefined);
        assert.strictEqual(findOnPath("pulumi", undefined), undefined);
    });
});
