/**
 * Real-engine test harness around the Pulumi Automation API.
 *
 * Every stack it makes is a throwaway: its own `file://` backend, its own `PULUMI_HOME` and work
 * directory under the OS temp folder, a fixed test passphrase for secrets, no update checks and no
 * plugin downloads. The engine is the one `test/support/engineSelect.ts` chooses: the Go-built CLI,
 * language host and providers of `test/engine/build.sh` (cached in `$PULUMI_APPARMOR_CACHE`), or a
 * new enough `pulumi` on PATH with the plugins installed for it (its `PULUMI_HOME`'s `plugins`
 * folder, linked into each throwaway home).
 *
 * ```ts
 * const s = await createThrowawayStack({
 *     program: async () => { ... },
 *     config: { "docker:host": hostUrl, "test:privateKey": { value: key, secret: true } },
 * });
 * try {
 *     const up = await s.up();
 *     expect(up.changes()).to.deep.include({ op: "create", type: "docker:index/container:Container", ... });
 *     await s.preview({ expectNoChanges: true });
 * } finally {
 *     await s.dispose(); // destroys what is left, removes the temp folders
 * }
 * ```
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as zlib from "zlib";

import {
    ConfigMap,
    Deployment,
    DestroyResult,
    EngineEvent,
    LocalWorkspace,
    OpType,
    PreviewResult,
    ProjectSettings,
    PulumiCommand,
    PulumiFn,
    RefreshResult,
    Stack,
    UpResult,
} from "@pulumi/pulumi/automation";

import { Engine, resolveEngine } from "./engineSelect";
import { guardSilentRuns, ProgramRuns, watchedProgram } from "./programRuns";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Folder of the stand-in `pulumi-apparmor` package the provider processes resolve by name. */
export const NODE_PATH_PACKAGES = path.join(repoRoot, "test", "support", "node_path");

/** Passphrase of every throwaway stack's secrets provider (test-only, not a secret). */
export const TEST_PASSPHRASE = "pulumi-apparmor-test-passphrase";

let cachedEngine: Engine | undefined;

/**
 * The engine the tests run (see `test/support/engineSelect.ts`): `$PULUMI_APPARMOR_ENGINE_BIN` when
 * set (as `test/run-all.sh` does), the source build with `PULUMI_APPARMOR_ENGINE=build`, else the
 * `pulumi` on PATH when it is new enough, else the source build (`test/engine/build.sh`: instant
 * when its cache is warm, slow when cold). Prints which one, once per process, on stderr.
 */
export function engine(): Engine {
    if (!cachedEngine) {
        cachedEngine = resolveEngine();
        process.stderr.write(`${cachedEngine.line}\n`);
    }
    return cachedEngine;
}

/**
 * The folder holding the engine's `pulumi` (and `pulumi-language-nodejs`,
 * `pulumi-resource-pulumi-nodejs`; with the source build also `pulumi-resource-docker`, …).
 */
export function engineBinDir(): string {
    return engine().binDir;
}

/**
 * The plugin folder of the user's own Pulumi (`$PULUMI_HOME/plugins`, default `~/.pulumi/plugins`):
 * where a Pulumi from PATH finds its providers. Each throwaway stack's `PULUMI_HOME` links to it.
 */
export function userPluginDir(): string {
    return path.join(process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi"), "plugins");
}

/** Version of the npm package `@pulumi/NAME` in package.json (the provider version it asks for). */
function sdkVersionOf(name: string): string | undefined {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
        dependencies?: { [k: string]: string };
    };
    return pkg.dependencies?.[`@pulumi/${name}`];
}

/**
 * Every provider plugin the engine will run, as name → executable: the `pulumi-resource-*` files of
 * the engine folder and, for a Pulumi from PATH, the plugins installed in {@link userPluginDir}
 * (the version package.json asks for, else the newest).
 */
export function providerPlugins(): { [name: string]: string } {
    const bin = engineBinDir();
    const found: { [name: string]: string } = {};
    for (const f of fs.readdirSync(bin)) {
        if (f.startsWith("pulumi-resource-"))
            found[f.slice("pulumi-resource-".length)] = path.join(bin, f);
    }
    if (engine().layout !== "own") return found;
    const dir = userPluginDir();
    const installed = new Map<string, string[]>();
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        const m = /^resource-(.+)-v(\d+\.\d+\.\d+\S*)$/.exec(d);
        if (!m || !fs.existsSync(path.join(dir, d, `pulumi-resource-${m[1]}`))) continue;
        if (fs.existsSync(path.join(dir, `${d}.partial`))) continue;
        installed.set(m[1], [...(installed.get(m[1]) ?? []), m[2]]);
    }
    for (const [name, versions] of installed) {
        if (found[name]) continue;
        const wanted = sdkVersionOf(name);
        const byNewest = versions.sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
        const v = wanted && versions.includes(wanted) ? wanted : byNewest[0];
        found[name] = path.join(dir, `resource-${name}-v${v}`, `pulumi-resource-${name}`);
    }
    return found;
}

/** Whether the engine has the provider plugin `pulumi-resource-<name>` (see {@link providerPlugins}). */
export function hasProviderPlugin(name: string): boolean {
    return providerPlugins()[name] !== undefined;
}

/** How to get each provider plugin the engine build may leave out. */
const PLUGIN_HINTS: { readonly [name: string]: string } = {
    command:
        "test/engine/build-command.sh builds it from a git repository of pulumi/pulumi-command " +
        "(the Go module proxy refuses the module): `git clone --branch v1.2.1 " +
        "https://github.com/pulumi/pulumi-command`, set PULUMI_COMMAND_GIT to the clone, and re-run " +
        "test/engine/build.sh (then unset or update PULUMI_APPARMOR_ENGINE_BIN)",
    docker: "see test/engine/build.sh",
};

/**
 * Throws unless the engine has `pulumi-resource-<name>`, with a message naming the missing plugin
 * and how to provide it (tests that need a provider fail, they do not skip).
 */
export function requireProviderPlugin(name: string): void {
    if (hasProviderPlugin(name)) return;
    if (engine().layout === "own") {
        const version = sdkVersionOf(name);
        throw new Error(
            `provider plugin pulumi-resource-${name} is not installed for the pulumi on PATH ` +
                `(${engineBinDir()}; plugins in ${userPluginDir()}): run \`pulumi plugin install ` +
                `resource ${name}${version ? ` ${version}` : ""}\`, or run the tests with ` +
                "PULUMI_APPARMOR_ENGINE=build to use the engine built from source",
        );
    }
    throw new Error(
        `provider plugin pulumi-resource-${name} is missing from the engine bin folder ` +
            `${engineBinDir()}: ${PLUGIN_HINTS[name] ?? "see test/engine/build.sh"}`,
    );
}

/**
 * The environment the CLI and its plugins run with: the bin folder first on PATH, a `file://`
 * backend, a temp `PULUMI_HOME`, the test passphrase, no update check, no automatic plugin
 * downloads, and `NODE_PATH` with this repo's `node_modules`, so the dynamic-provider launcher
 * (`pulumi-resource-pulumi-nodejs`) resolves `@pulumi/pulumi` from any work directory, and
 * `test/support/node_path`, whose stand-in `pulumi-apparmor` package gives the provider process the
 * implementation module the serialized shims require by package name (this checkout's sources).
 */
export function engineEnv(backendDir: string, pulumiHome: string): { [key: string]: string } {
    return {
        PATH: `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`,
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_HOME: pulumiHome,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NODE_PATH: [NODE_PATH_PACKAGES, path.join(repoRoot, "node_modules")].join(path.delimiter),
    };
}

/** A config value: a plain string, or `{ value, secret: true }` to store it as a secret. */
export type TestConfigValue = string | { value: string; secret?: boolean };

/** Options of {@link createThrowawayStack}. */
export interface ThrowawayStackOptions {
    /** The inline Pulumi program (run in this process). Give this or `programDir`. */
    readonly program?: PulumiFn;
    /**
     * A folder with an on-disk program (`Pulumi.yaml` with `runtime: nodejs`, `index.js`), run by
     * the `pulumi-language-nodejs` language host. It is copied into the stack's temp work directory,
     * next to a `node_modules` link to this repository's, so nothing is written into it.
     * Give this or `program`.
     */
    readonly programDir?: string;
    /** Project name (also the namespace of unqualified config keys). Defaults to `"pa-test"`. */
    readonly projectName?: string;
    /** Stack name. Defaults to `"test"`. */
    readonly stackName?: string;
    /**
     * Stack config. Keys are `namespace:key` (`docker:host`) or bare keys in the project namespace;
     * secrets are encrypted with the test passphrase. Defaults to no config.
     */
    readonly config?: { readonly [key: string]: TestConfigValue };
    /**
     * Provider plugins (by package name) the project pins to the engine bin folder through
     * `plugins.providers`, so the engine neither searches for them nor warns "using … from $PATH".
     * Defaults to every `pulumi-resource-*` in the bin folder except the dynamic-provider launcher
     * with the source build, and to none with a Pulumi from PATH (its own plugin discovery).
     */
    readonly providers?: readonly string[];
    /**
     * The folder `plugins.providers` points at (e.g. wrappers of the bin folder's plugins that keep
     * their stderr). Defaults to the engine bin folder.
     */
    readonly pluginDir?: string;
    /** Extra environment variables for the CLI and its plugins. Defaults to none. */
    readonly envVars?: { readonly [key: string]: string };
    /**
     * With `programDir`: link this repository's `node_modules` into the work directory (a Node.js
     * program needs it; a program in another language must run without one). Defaults to true.
     */
    readonly linkNodeModules?: boolean;
}

/** One resource step the engine reported (from its `resourcePreEvent`s). */
export interface StepRecord {
    /** `create`, `update`, `replace`, `create-replacement`, `delete`, `same`, `read`, `refresh`, … */
    readonly op: OpType;
    readonly urn: string;
    /** Resource type token, e.g. `docker:index/container:Container`. */
    readonly type: string;
    /** The resource's name (last URN segment). */
    readonly name: string;
    /** Top-level input keys that changed. */
    readonly diffs: readonly string[];
    /** Keys that forced a replacement. */
    readonly keys: readonly string[];
    /** Property paths of the detailed diff, with their kind (`add`, `update`, `delete`, `*-replace`). */
    readonly detailedDiff: { readonly [path: string]: string };
}

/** The result of one engine operation plus what the engine said while running it. */
export interface OperationOutcome<R> {
    /** The Automation API result (stdout, summary, outputs, …). */
    readonly result: R;
    /** Every engine event, in order. */
    readonly events: readonly EngineEvent[];
    /** Every resource step, including `same`. */
    readonly steps: readonly StepRecord[];
    /** The steps that change something (all but `same`, `read` and `refresh`). */
    changes(): StepRecord[];
    /** Diagnostics (warnings, errors, info) the engine printed. */
    diagnostics(): { severity: string; message: string; urn?: string }[];
}

function stepsOf(events: readonly EngineEvent[]): StepRecord[] {
    const steps: StepRecord[] = [];
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (!m) {
            continue;
        }
        const detailedDiff: { [path: string]: string } = {};
        for (const [k, v] of Object.entries(m.detailedDiff ?? {})) {
            detailedDiff[k] = v.diffKind;
        }
        steps.push({
            op: m.op,
            urn: m.urn,
            type: m.type,
            name: m.urn.split("::").pop() ?? m.urn,
            diffs: m.diffs ?? [],
            keys: m.keys ?? [],
            detailedDiff,
        });
    }
    return steps;
}

function outcome<R>(result: R, events: EngineEvent[]): OperationOutcome<R> {
    const steps = stepsOf(events);
    return {
        result,
        events,
        steps,
        changes: () => steps.filter((s) => !["same", "read", "refresh"].includes(s.op)),
        diagnostics: () =>
            events
                .filter((e) => e.diagnosticEvent)
                .map((e) => ({
                    severity: e.diagnosticEvent!.severity,
                    message: e.diagnosticEvent!.message,
                    urn: e.diagnosticEvent!.urn,
                })),
    };
}

/**
 * A throwaway stack on the real engine. Operations collect the engine events; `dispose()` destroys
 * whatever is left and removes the temp folders.
 */
export class ThrowawayStack {
    private destroyed = true;

    /** @internal use {@link createThrowawayStack} */
    constructor(
        /** The Automation API stack (for anything the wrappers below don't cover). */
        readonly stack: Stack,
        /** Temp folder holding the backend, PULUMI_HOME and the work directory. */
        readonly tempDir: string,
        /** The environment every CLI run of this stack gets (see {@link engineEnv}). */
        readonly env: { readonly [key: string]: string },
    ) {}

    /** Folder of the `file://` backend (checkpoints, history, backups). */
    get backendDir(): string {
        return path.join(this.tempDir, "backend");
    }

    /**
     * Runs the stack's `pulumi` CLI with `args` (plus `--stack NAME`, unless `opts.stackFlag` is
     * false: for commands without one, e.g. `package add`) in its work directory.
     */
    async cli(
        args: readonly string[],
        opts: { readonly stackFlag?: boolean } = {},
    ): Promise<{ stdout: string; stderr: string }> {
        const { stdout, stderr } = await promisify(execFile)(
            path.join(engineBinDir(), "pulumi"),
            [
                ...args,
                ...(opts.stackFlag === false ? [] : ["--stack", this.stack.name]),
                "--non-interactive",
            ],
            {
                cwd: this.stack.workspace.workDir,
                env: { ...process.env, ...this.env },
                maxBuffer: 256 * 1024 * 1024,
            },
        );
        return { stdout, stderr };
    }

    /** `pulumi up`. */
    async up(
        opts: { readonly expectNoChanges?: boolean } = {},
    ): Promise<OperationOutcome<UpResult>> {
        const events: EngineEvent[] = [];
        this.destroyed = false;
        const result = await this.stack.up({
            ...opts,
            color: "never",
            onEvent: (e) => events.push(e),
        });
        return outcome(result, events);
    }

    /** `pulumi preview`; with `expectNoChanges` the engine itself fails if anything would change. */
    async preview(
        opts: { readonly expectNoChanges?: boolean; readonly refresh?: boolean } = {},
    ): Promise<OperationOutcome<PreviewResult>> {
        const events: EngineEvent[] = [];
        const result = await this.stack.preview({
            ...opts,
            color: "never",
            onEvent: (e) => events.push(e),
        });
        return outcome(result, events);
    }

    /**
     * `pulumi refresh` (reads every resource back through its provider). Its steps all have op
     * `refresh`; what changed shows in `result.summary.resourceChanges` (`update` for drift).
     */
    async refresh(
        opts: { readonly expectNoChanges?: boolean } = {},
    ): Promise<OperationOutcome<RefreshResult>> {
        const events: EngineEvent[] = [];
        const result = await this.stack.refresh({
            ...opts,
            color: "never",
            onEvent: (e) => events.push(e),
        });
        return outcome(result, events);
    }

    /** `pulumi destroy`. */
    async destroy(): Promise<OperationOutcome<DestroyResult>> {
        const events: EngineEvent[] = [];
        const result = await this.stack.destroy({ color: "never", onEvent: (e) => events.push(e) });
        this.destroyed = true;
        return outcome(result, events);
    }

    /**
     * `pulumi stack export` as a user runs it: the checkpoint as the engine stores it, secrets as
     * ciphertext. (The Automation API's own `stack.exportStack()` passes `--show-secrets`.)
     */
    async exportStack(): Promise<Deployment> {
        return JSON.parse(await this.exportStackText());
    }

    /** {@link exportStack}'s JSON text, for "does not contain" assertions. */
    async exportStackText(): Promise<string> {
        return (await this.cli(["stack", "export"])).stdout;
    }

    /**
     * Every file of the `file://` backend concatenated (current checkpoint, update history,
     * backups): what actually sits on disk, for "never stored in plain text" assertions.
     */
    backendText(): string {
        const parts: string[] = [];
        const walk = (dir: string): void => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) {
                    walk(p);
                } else if (e.isFile()) {
                    let data = fs.readFileSync(p);
                    if (p.endsWith(".gz")) {
                        data = zlib.gunzipSync(data);
                    }
                    parts.push(`== ${path.relative(this.backendDir, p)}\n${data.toString("utf8")}`);
                }
            }
        };
        walk(this.backendDir);
        return parts.join("\n");
    }

    /** The stack's outputs (secret values stay marked `secret: true`). */
    async outputs(): Promise<{ [key: string]: { value: unknown; secret: boolean } }> {
        return this.stack.outputs();
    }

    /**
     * Destroys what is left (best effort: an error is reported on stderr, not thrown, so it does
     * not hide the test's own failure) and removes the temp folders.
     */
    async dispose(): Promise<void> {
        try {
            if (!this.destroyed) {
                await this.destroy();
            }
        } catch (err) {
            process.stderr.write(`engine harness: destroy during dispose failed: ${String(err)}\n`);
        } finally {
            fs.rmSync(this.tempDir, { recursive: true, force: true });
        }
    }
}

/**
 * Creates a throwaway stack running `opts.program` inline on the real engine, with its config set
 * (secrets as secrets). Call {@link ThrowawayStack.dispose} when done.
 */
export async function createThrowawayStack(opts: ThrowawayStackOptions): Promise<ThrowawayStack> {
    const binDir = engineBinDir();
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-engine-"));
    const backendDir = path.join(tempDir, "backend");
    const pulumiHome = path.join(tempDir, "home");
    const workDir = path.join(tempDir, "work");
    for (const d of [backendDir, pulumiHome, workDir]) {
        fs.mkdirSync(d);
    }
    try {
        // The source build's providers are pinned to its folder; a Pulumi from PATH finds its own
        // (the user's plugin folder, linked into this stack's PULUMI_HOME).
        const own = engine().layout === "own";
        if (own) {
            fs.mkdirSync(userPluginDir(), { recursive: true });
            fs.symlinkSync(userPluginDir(), path.join(pulumiHome, "plugins"));
        }
        const providers =
            opts.providers ??
            (own
                ? []
                : fs
                      .readdirSync(binDir)
                      .filter(
                          (f) =>
                              f.startsWith("pulumi-resource-") &&
                              f !== "pulumi-resource-pulumi-nodejs",
                      )
                      .map((f) => f.slice("pulumi-resource-".length)));
        const projectName = opts.projectName ?? "pa-test";
        // `plugins` is a real Pulumi.yaml key the SDK's ProjectSettings type does not declare.
        const projectSettings = {
            name: projectName,
            runtime: "nodejs",
            backend: { url: `file://${backendDir}` },
            ...(providers.length > 0
                ? {
                      plugins: {
                          providers: providers.map((name) => ({
                              name,
                              path: opts.pluginDir ?? binDir,
                          })),
                      },
                  }
                : {}),
        } as ProjectSettings;
        const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot() });
        const wsOpts = {
            workDir,
            pulumiHome,
            pulumiCommand,
            envVars: { ...engineEnv(backendDir, pulumiHome), ...(opts.envVars ?? {}) },
        };
        const stackName = opts.stackName ?? "test";
        let stack: Stack;
        const runs = new ProgramRuns();
        if (opts.program && !opts.programDir) {
            stack = await LocalWorkspace.createStack(
                { projectName, stackName, program: watchedProgram(opts.program, runs) },
                { ...wsOpts, projectSettings },
            );
            guardSilentRuns(stack, runs);
        } else if (opts.programDir && !opts.program) {
            fs.cpSync(opts.programDir, workDir, { recursive: true });
            if (opts.linkNodeModules ?? true)
                fs.symlinkSync(
                    path.join(repoRoot, "node_modules"),
                    path.join(workDir, "node_modules"),
                );
            stack = await LocalWorkspace.createStack({ stackName, workDir }, wsOpts);
        } else {
            throw new Error("createThrowawayStack needs exactly one of program and programDir");
        }
        const config: ConfigMap = {};
        for (const [key, v] of Object.entries(opts.config ?? {})) {
            config[key] =
                typeof v === "string" ? { value: v } : { value: v.value, secret: !!v.secret };
        }
        if (Object.keys(config).length > 0) {
            await stack.setAllConfig(config);
        }
        return new ThrowawayStack(stack, tempDir, wsOpts.envVars);
    } catch (err) {
        fs.rmSync(tempDir, { recursive: true, force: true });
        throw err;
    }
}

let cachedRoot: string | undefined;

/**
 * The installation root the Automation API runs `ROOT/bin/pulumi` from: the engine folder's parent
 * when the folder is named `bin` (the source build, `~/.pulumi/bin`, `/usr/local/bin`), else a
 * temp folder whose `bin` links to it (a `pulumi` unpacked elsewhere).
 */
function pulumiRoot(): string {
    const bin = engineBinDir();
    if (path.basename(bin) === "bin") return path.dirname(bin);
    if (!cachedRoot) {
        cachedRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-root-"));
        fs.symlinkSync(bin, path.join(cachedRoot, "bin"));
        const root = cachedRoot;
        process.on("exit", () => fs.rmSync(root, { recursive: true, force: true }));
    }
    return cachedRoot;
}

/** Lines of the base64 body of an OpenSSH private key, long enough to be unique. */
export function keyBodyLines(privateKey: string): string[] {
    return privateKey
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

/**
 * Asserts that no line of `privateKey` is in `pulumi stack export` or in any file of the stack's
 * backend, that no key header is in the export, and that the export holds ciphertext (the secret is
 * stored encrypted).
 */
export async function assertKeyNotStored(s: ThrowawayStack, privateKey: string): Promise<void> {
    const text = await s.exportStackText();
    const stored = s.backendText();
    const body = keyBodyLines(privateKey);
    assert.ok(body.length > 0);
    for (const line of body) {
        assert.ok(!text.includes(line), "no line of the private key is in the stack export");
        assert.ok(!stored.includes(line), "no line of the private key is in the backend's files");
    }
    assert.ok(!text.includes("PRIVATE KEY"), "no PEM/OpenSSH key header in the stack export");
    assert.ok(text.includes("ciphertext"), "the secret is stored encrypted");
}

/**
 * Asserts the deletes of a destroy: `first` before anything else, then exactly `rest` in any order
 * (the stack resource and a default provider have no dependency between them, so the engine deletes
 * them in either order). Each step is compared as [op, pick(step)].
 */
export function assertDestroyOrder(
    steps: readonly StepRecord[],
    pick: (s: StepRecord) => string,
    first: string,
    rest: readonly string[],
): void {
    const deletes = steps.map((c) => [c.op, pick(c)]);
    assert.deepStrictEqual(deletes[0], ["delete", first]);
    assert.deepStrictEqual(deletes.slice(1).sort(), rest.map((r) => ["delete", r]).sort());
}
