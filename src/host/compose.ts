/**
 * The `compose` host script's commands and their strictly checked result (see compose.sh): `up` with
 * the compose file on stdin (its sha256 as an argument, so a cut connection changes nothing), `ps`,
 * `down`. The project name is validated here by the same rule as the script's; the file is bytes on
 * stdin, never part of the command.
 */
import {
    buildHostCommand,
    HostScriptError,
    parseHostResult,
    sha256Hex,
    type HostCommand,
    type HostCommandOptions,
    type HostExec,
    type ScriptOutput,
} from "./index";

/** Largest compose file `up` accepts (the script's limit). */
export const MAX_COMPOSE_BYTES = 1024 * 1024;

const PROJECT_RE = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Compose project names: compose's own rule (lowercase letters, digits, `-` and `_`, starting with a
 * letter or digit), at most 100 characters (the name is also a folder on the host).
 */
export function validateComposeProjectName(name: string): string | undefined {
    if (typeof name !== "string" || name.length === 0) return "project name is empty";
    if (name.length > 100) return `project name is ${name.length} characters long; at most 100`;
    if (!PROJECT_RE.test(name))
        return `project name "${name.slice(0, 60)}" must consist only of lowercase letters, digits, "-" and "_", starting with a letter or digit (compose's rule)`;
    return undefined;
}

/** Longest project directory accepted (the script's limit). */
export const MAX_PROJECT_DIRECTORY = 1024;

/**
 * A compose project directory on the host (`--project-directory`, where the file's relative paths
 * resolve): an absolute path, no `..` component, no control character (NUL, newline, tab, …), at
 * most {@link MAX_PROJECT_DIRECTORY} characters. Returns the problem, or undefined when valid.
 */
export function validateComposeProjectDirectory(dir: unknown): string | undefined {
    if (typeof dir !== "string") return "the project directory is not a string";
    if (dir.length === 0) return "the project directory is empty";
    if (/[\u0000-\u001f\u007f]/.test(dir))
        return "the project directory holds a control character (NUL, newline, tab, …)";
    if (dir.length > MAX_PROJECT_DIRECTORY)
        return `the project directory is ${dir.length} characters long; at most ${MAX_PROJECT_DIRECTORY}`;
    if (!dir.startsWith("/"))
        return `the project directory "${dir.slice(0, 60)}" is not an absolute path`;
    if (dir.split("/").includes(".."))
        return `the project directory "${dir.slice(0, 60)}" has a ".." component`;
    return undefined;
}

/** Longest owner accepted (the script's limit). */
export const MAX_COMPOSE_OWNER = 300;

const OWNER_PART_RE = /^[A-Za-z0-9._-]+$/;

/**
 * The owner of a compose project on a host: the Pulumi stack that declares it, `ORG/PROJECT/STACK`
 * (each part letters, digits, `.`, `_`, `-`), at most {@link MAX_COMPOSE_OWNER} characters — the
 * script's rule. Returns the problem, or undefined when valid.
 */
export function validateComposeOwner(owner: unknown): string | undefined {
    if (typeof owner !== "string") return "the owner is not a string";
    if (owner.length > MAX_COMPOSE_OWNER)
        return `the owner is ${owner.length} characters long; at most ${MAX_COMPOSE_OWNER}`;
    const parts = owner.split("/");
    if (parts.length !== 3 || !parts.every((p) => OWNER_PART_RE.test(p)))
        return `the owner "${owner.replace(/[^\x20-\x7e]/g, "?").slice(0, 80)}" is not ORG/PROJECT/STACK of letters, digits, ".", "_" and "-"`;
    return undefined;
}

/** `ORG/PROJECT/STACK`: the owner a stack records for its compose projects. */
export function composeOwner(org: string, project: string, stack: string): string {
    return `${org}/${project}/${stack}`;
}

function ownerOpt(key: string, owner: string | undefined): string[] {
    if (owner === undefined) return [];
    const why = validateComposeOwner(owner);
    if (why) throw new Error(`invalid ${key}: ${why}`);
    return [`${key}=${owner}`];
}

export interface ComposeArgs extends HostCommandOptions {
    readonly project: string;
    /** Seconds each compose run may take. Defaults to 300 (applied by the script). */
    readonly timeoutSeconds?: number;
}

function args(a: ComposeArgs): string[] {
    const why = validateComposeProjectName(a.project);
    if (why) throw new Error(`invalid project: ${why}`);
    const opts: string[] = [];
    if (a.timeoutSeconds !== undefined) {
        if (!Number.isInteger(a.timeoutSeconds) || a.timeoutSeconds < 1 || a.timeoutSeconds > 3600)
            throw new Error("invalid timeoutSeconds: a whole number from 1 to 3600");
        opts.push(`timeout=${a.timeoutSeconds}`);
    }
    return opts;
}

/** What `up` takes besides the project: the file, and whether to take over a project not ours. */
export interface ComposeUpArgs extends ComposeArgs {
    readonly file: string;
    /**
     * Take over a project of that name that pulumi-apparmor did not start (its containers carry the
     * project's label, and the host has no record of an `up` of ours). Defaults to false: refused
     * with `foreign-project`, nothing changed.
     */
    readonly adopt?: boolean;
    /**
     * The host folder compose runs the project in (`--project-directory`: relative bind mounts,
     * `env_file`, build contexts resolve there); it must exist. Defaults to the library's own folder
     * for the project, /var/lib/pulumi-apparmor/compose/PROJECT.
     */
    readonly projectDirectory?: string;
    /**
     * The stack that declares the project (`ORG/PROJECT/STACK`), recorded on the host beside the kept
     * file: an `up` whose owner differs from the recorded one is refused (`foreign-owner`, nothing
     * changed) unless `adopt`. Defaults to none (then only a record without owner is ours).
     */
    readonly owner?: string;
    /** A former owner of the caller's own stack (renamed), accepted as ours. Defaults to none. */
    readonly previousOwner?: string;
}

/** What `down` takes besides the project. */
export interface ComposeDownArgs extends ComposeArgs {
    /**
     * The stack that declares the project: a project whose recorded owner is another is left alone.
     * Defaults to none (then only a record without owner is removed).
     */
    readonly owner?: string;
}

export function composeUpCommand(a: ComposeUpArgs): HostCommand {
    const bytes = Buffer.byteLength(a.file, "utf8");
    if (bytes > MAX_COMPOSE_BYTES)
        throw new Error(`the compose file is ${bytes} bytes; at most ${MAX_COMPOSE_BYTES}`);
    if (a.projectDirectory !== undefined) {
        const why = validateComposeProjectDirectory(a.projectDirectory);
        if (why) throw new Error(`invalid projectDirectory: ${why}`);
    }
    const opts = [
        ...args(a),
        ...(a.adopt ? ["adopt"] : []),
        ...(a.projectDirectory !== undefined ? [`dir=${a.projectDirectory}`] : []),
        ...ownerOpt("owner", a.owner),
        ...ownerOpt("was", a.previousOwner),
    ];
    return {
        script: "compose",
        command: buildHostCommand("compose", ["up", a.project, sha256Hex(a.file), ...opts], a),
        stdin: a.file,
    };
}

export function composePsCommand(a: ComposeArgs): HostCommand {
    const opts = args(a);
    return {
        script: "compose",
        command: buildHostCommand("compose", ["ps", a.project, ...opts], a),
    };
}

export function composeDownCommand(a: ComposeDownArgs): HostCommand {
    const opts = [...args(a), ...ownerOpt("owner", a.owner)];
    return {
        script: "compose",
        command: buildHostCommand("compose", ["down", a.project, ...opts], a),
    };
}

/** One container of the project as the host reports it. */
export interface ComposeContainer {
    readonly id: string;
    /** The compose service it runs (host text: compare, do not print unescaped). */
    readonly service: string;
    readonly running: boolean;
    /** Kernel label of its init process (`NAME (enforce)`, `unconfined`); "" when not running. */
    readonly label: string;
}

export interface ComposeResult {
    /** `docker compose` or `docker-compose`. */
    readonly tool: string;
    /** `up` took over a project of that name it had no record of (`adopt`); false otherwise. */
    readonly adopted?: boolean;
    /**
     * The owner recorded on the host after the action ("" when none): after a `down` that removed
     * nothing because another stack owns the project, that stack.
     */
    readonly owner?: string;
    readonly containers: readonly ComposeContainer[];
}

function bad(out: ScriptOutput, why: string): HostScriptError {
    return new HostScriptError(
        "compose",
        "bad-result",
        `unexpected result: ${why}`,
        out.exitCode ?? null,
        out.stderr ?? "",
    );
}

export function parseCompose(out: ScriptOutput): ComposeResult {
    const r = parseHostResult("compose", out);
    const tool = r.tool;
    if (tool !== "docker compose" && tool !== "docker-compose") throw bad(out, "tool");
    if (r.adopted !== undefined && typeof r.adopted !== "boolean") throw bad(out, "adopted");
    if (
        r.owner !== undefined &&
        (typeof r.owner !== "string" || r.owner.length > MAX_COMPOSE_OWNER)
    )
        throw bad(out, "owner");
    if (!Array.isArray(r.containers) || r.containers.length > 10_000) throw bad(out, "containers");
    const containers = r.containers.map((c: unknown): ComposeContainer => {
        const o = c as Record<string, unknown>;
        if (
            typeof o !== "object" ||
            o === null ||
            typeof o.id !== "string" ||
            !/^[0-9a-f]{12,64}$/.test(o.id) ||
            typeof o.service !== "string" ||
            o.service.length > 256 ||
            typeof o.running !== "boolean" ||
            typeof o.label !== "string" ||
            o.label.length > 1024
        )
            throw bad(out, "container entry");
        return { id: o.id, service: o.service, running: o.running, label: o.label };
    });
    return { tool, adopted: r.adopted === true, owner: r.owner ?? "", containers };
}

export const composeScripts = {
    up: async (exec: HostExec, a: ComposeUpArgs) => {
        const c = composeUpCommand(a);
        return parseCompose(await exec(c.command, c.stdin));
    },
    ps: async (exec: HostExec, a: ComposeArgs) =>
        parseCompose(await exec(composePsCommand(a).command)),
    down: async (exec: HostExec, a: ComposeDownArgs) =>
        parseCompose(await exec(composeDownCommand(a).command)),
};
