/**
 * Which Pulumi engine the demos and the engine tests run: one decision, made here.
 *
 * 1. `PULUMI_APPARMOR_ENGINE_BIN=DIR`: the folder DIR, a `test/engine/build.sh` output (what
 *    `test/run-all.sh` and CI pass after building or reusing the cache).
 * 2. `PULUMI_APPARMOR_ENGINE=build`: the engine built from source by `test/engine/build.sh`.
 * 3. Otherwise (`PULUMI_APPARMOR_ENGINE` unset or `auto`): the `pulumi` on PATH when
 *    `pulumi version` is at least {@link MIN_PULUMI_VERSION}, with its own plugin discovery (the
 *    plugins installed in its `$PULUMI_HOME/plugins`); else the source build.
 *    `PULUMI_APPARMOR_ENGINE=path` insists on the `pulumi` on PATH (an error instead of a build).
 *
 * {@link chooseEngine} is the pure decision; {@link resolveEngine} runs `pulumi version` and the
 * build. Run as a script (`node -r ts-node/register/transpile-only test/support/engineSelect.ts`),
 * it prints `LAYOUT<TAB>BIN` on stdout (`built` or `own`, and the folder of `pulumi`) and the one
 * `engine: …` line on stderr (not with `--quiet`); the demos and `test/run-all.sh` read it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * The oldest Pulumi CLI used from PATH: the release of the `@pulumi/pulumi` SDK this library is
 * built and tested against (package.json pins 3.248.0). Pulumi ships the CLI and the Node.js SDK
 * from one repository under one version, and the SDK asks the engine which features it supports:
 * an older CLI would run this SDK against an engine that predates it (the Automation API, too,
 * installs "the CLI version matching the SDK version" by default). So an older one is not used
 * (the source build is); newer CLIs run older SDKs.
 */
export const MIN_PULUMI_VERSION = "3.248.0";

/** What the engine folder holds, which decides how plugins are found. */
export type EngineLayout =
    /**
     * A `test/engine/build.sh` folder: `pulumi`, the language host and the providers side by side;
     * the callers point the engine at the providers (Pulumi.yaml `plugins`, or install-plugins.sh).
     */
    | "built"
    /** A user's Pulumi installation: providers come from its own plugin discovery. */
    | "own";

/** The decision of {@link chooseEngine}. */
export type EngineChoice =
    | {
          readonly kind: "bin" | "path";
          readonly layout: EngineLayout;
          /** Folder holding `pulumi`. */
          readonly binDir: string;
          /** The one line saying which engine runs. */
          readonly line: string;
      }
    | {
          readonly kind: "build";
          /** Why the source build runs (for the `engine:` line). */
          readonly why: string;
      };

/** The `pulumi` found on PATH, as {@link findPulumiOnPath} saw it. */
export interface PathPulumi {
    /** Path of the executable. */
    readonly file: string;
    /** Stdout of `pulumi version`, when it ran. */
    readonly versionOutput?: string;
    /** Why `pulumi version` failed, when it did. */
    readonly error?: string;
    /** Whether its folder is a `test/engine/build.sh` output (has `VERSIONS` and `.complete`). */
    readonly builtFolder?: boolean;
}

/** Inputs of {@link chooseEngine}. */
export interface EngineInputs {
    readonly env: {
        readonly PULUMI_APPARMOR_ENGINE?: string;
        readonly PULUMI_APPARMOR_ENGINE_BIN?: string;
    };
    /** The `pulumi` on PATH; undefined when there is none. */
    readonly pathPulumi?: PathPulumi;
}

/** A version as [major, minor, patch, prerelease?] from `pulumi version` output; undefined if none. */
export function parsePulumiVersion(
    output: string,
): { readonly core: readonly [number, number, number]; readonly pre?: string } | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
        output.trim().split("\n")[0].trim(),
    );
    if (!m) return undefined;
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], ...(m[4] ? { pre: m[4] } : {}) };
}

/**
 * Whether `pulumi version` output `output` is at least `min` (`X.Y.Z`). A prerelease of a version
 * (`3.248.0-dev.0`, `3.248.0-alpha.x`) is older than that version, as in semver.
 */
export function versionAtLeast(output: string, min: string): boolean {
    const v = parsePulumiVersion(output);
    const m = parsePulumiVersion(min);
    if (!v || !m) return false;
    for (let i = 0; i < 3; i++) {
        if (v.core[i] !== m.core[i]) return v.core[i] > m.core[i];
    }
    return v.pre === undefined || m.pre !== undefined;
}

/** The pure decision (see the module comment). Throws for a bad setting or an unusable `path`. */
export function chooseEngine(inputs: EngineInputs): EngineChoice {
    const { env, pathPulumi } = inputs;
    const mode = env.PULUMI_APPARMOR_ENGINE ?? "auto";
    if (!["auto", "build", "path", ""].includes(mode)) {
        throw new Error(
            `PULUMI_APPARMOR_ENGINE=${JSON.stringify(mode)}: use "build" (Pulumi built from source ` +
                'by test/engine/build.sh), "path" (the pulumi on PATH) or "auto" (the default: ' +
                `the pulumi on PATH when it is v${MIN_PULUMI_VERSION} or newer, else the build)`,
        );
    }
    if (env.PULUMI_APPARMOR_ENGINE_BIN) {
        const dir = env.PULUMI_APPARMOR_ENGINE_BIN;
        return {
            kind: "bin",
            layout: "built",
            binDir: dir,
            line: `engine: built from source, folder ${dir} (PULUMI_APPARMOR_ENGINE_BIN)`,
        };
    }
    if (mode === "build") return { kind: "build", why: "PULUMI_APPARMOR_ENGINE=build" };
    let why: string;
    if (!pathPulumi) {
        why = "no pulumi on PATH";
    } else if (pathPulumi.versionOutput === undefined) {
        why = `\`${pathPulumi.file} version\` failed: ${pathPulumi.error ?? "no output"}`;
    } else {
        const version = pathPulumi.versionOutput.trim().split("\n")[0].trim();
        if (!parsePulumiVersion(version)) {
            why = `\`${pathPulumi.file} version\` printed ${JSON.stringify(version)}, not a version`;
        } else if (!versionAtLeast(version, MIN_PULUMI_VERSION)) {
            why = `the pulumi on PATH (${pathPulumi.file}) is ${version}, older than v${MIN_PULUMI_VERSION}`;
        } else {
            const v = version.startsWith("v") ? version : `v${version}`;
            return {
                kind: "path",
                layout: pathPulumi.builtFolder ? "built" : "own",
                binDir: path.dirname(pathPulumi.file),
                line: pathPulumi.builtFolder
                    ? `engine: pulumi ${v} from PATH (${pathPulumi.file}, a test/engine/build.sh folder)`
                    : `engine: pulumi ${v} from PATH (${pathPulumi.file})`,
            };
        }
    }
    if (mode === "path") {
        throw new Error(
            `PULUMI_APPARMOR_ENGINE=path, but ${why}: install Pulumi v${MIN_PULUMI_VERSION} or newer ` +
                "(https://www.pulumi.com/docs/install/), or unset PULUMI_APPARMOR_ENGINE to build it " +
                "from source",
        );
    }
    return { kind: "build", why };
}

/** The first executable `pulumi` on `PATH` (undefined when none), as the shell would run it. */
export function findOnPath(name: string, searchPath: string | undefined): string | undefined {
    for (const dir of (searchPath ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const file = path.join(dir, name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            if (fs.statSync(file).isFile()) return file;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** Finds `pulumi` on PATH and runs its `pulumi version` (undefined when there is none). */
export function findPulumiOnPath(env: NodeJS.ProcessEnv = process.env): PathPulumi | undefined {
    const file = findOnPath("pulumi", env.PATH);
    if (!file) return undefined;
    const dir = path.dirname(file);
    const builtFolder =
        fs.existsSync(path.join(dir, "VERSIONS")) && fs.existsSync(path.join(dir, ".complete"));
    try {
        const versionOutput = execFileSync(file, ["version"], {
            encoding: "utf8",
            env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 60_000,
        });
        return { file, versionOutput, builtFolder };
    } catch (e) {
        const err = e as { stderr?: string; message?: string };
        const msg = (err.stderr || err.message || String(e)).trim().split("\n")[0];
        return { file, error: msg, builtFolder };
    }
}

/** The resolved engine: where `pulumi` is, how plugins are found, and the line that says so. */
export interface Engine {
    readonly layout: EngineLayout;
    readonly binDir: string;
    readonly line: string;
}

const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * Runs `test/engine/build.sh` (instant when its cache is warm) and returns its bin folder. The
 * build's own progress goes to stderr, except its "cached: …" lines (the `engine:` line says it).
 */
function buildEngine(): string {
    const script = path.join(repoRoot, "test/engine/build.sh");
    const out = execFileSync(
        "bash",
        [
            "-c",
            'set -o pipefail; { bash "$1" 2>&1 1>&3 3>&- | { grep --line-buffered -v -e "-build: cached: " >&2 || true; }; } 3>&1',
            "engine-select",
            script,
        ],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    const dir = out.trim().split("\n").pop() ?? "";
    if (!fs.existsSync(path.join(dir, "pulumi"))) {
        throw new Error(
            `test/engine/build.sh printed no engine folder (last line ${JSON.stringify(dir)})`,
        );
    }
    return dir;
}

/** Chooses (see {@link chooseEngine}), runs the build when that is the choice, and returns the engine. */
export function resolveEngine(env: NodeJS.ProcessEnv = process.env): Engine {
    // The PATH pulumi is looked at only when the choice can use it.
    const needsPath = !env.PULUMI_APPARMOR_ENGINE_BIN && env.PULUMI_APPARMOR_ENGINE !== "build";
    const choice = chooseEngine({
        env: {
            PULUMI_APPARMOR_ENGINE: env.PULUMI_APPARMOR_ENGINE,
            PULUMI_APPARMOR_ENGINE_BIN: env.PULUMI_APPARMOR_ENGINE_BIN,
        },
        pathPulumi: needsPath ? findPulumiOnPath(env) : undefined,
    });
    if (choice.kind !== "build") {
        if (!fs.existsSync(path.join(choice.binDir, "pulumi"))) {
            throw new Error(`no pulumi binary in engine folder ${JSON.stringify(choice.binDir)}`);
        }
        return { layout: choice.layout, binDir: choice.binDir, line: choice.line };
    }
    const binDir = buildEngine();
    const key = path.basename(path.dirname(binDir));
    const version = (() => {
        const first = fs.readFileSync(path.join(binDir, "VERSIONS"), "utf8").split("\n")[0];
        return first.split(" ")[1] ?? "?";
    })();
    return {
        layout: "built",
        binDir,
        line: `engine: pulumi ${version} built from source (cache ${key}; ${choice.why})`,
    };
}

if (require.main === module) {
    try {
        const e = resolveEngine();
        if (!process.argv.includes("--quiet")) process.stderr.write(`${e.line}\n`);
        process.stdout.write(`${e.layout}\t${e.binDir}\n`);
    } catch (err) {
        process.stderr.write(`engine-select: ${(err as Error).message}\n`);
        process.exit(1);
    }
}
