/**
 * `apparmor:index:ComposeProject`: a compose file run on a profile's host, each service confined by
 * a {@link Profile}. The file is parsed and checked at preview (src/compose: YAML, the Compose
 * Specification schema, the confinement rules), rewritten with each service's `apparmor=NAME`, and
 * run by a {@link ComposeDeployment} that depends on every profile's host resource: it starts after
 * the profiles are loaded and is brought down before they are unloaded.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import {
    composeProblems,
    parseComposeText,
    relativeComposePaths,
    rewriteCompose,
    startedOnDemand,
    type ComposeFile,
} from "../compose";
import {
    composeOwner,
    validateComposeOwner,
    validateComposeProjectDirectory,
    validateComposeProjectName,
} from "../host/compose";
import type { HostDenials } from "../state";
import type { ArgProblem } from "./connection";
import { connectionLabel, printable, secretConnection } from "./connection";
import { ComposeDeployment } from "./composeDeployment";
import type { ServiceContainer } from "./composeProvider";
import { argsError, isPlain, Profile } from "./profile";

const TYPE = "apparmor:index:ComposeProject";

/** Arguments of {@link ComposeProject}. */
export interface ComposeProjectArgs {
    /**
     * Path of the compose file, read when the program runs (relative to its working directory).
     * Exactly one of `composeFile` and `composeText`. Defaults to none.
     */
    readonly composeFile?: string;
    /** The compose file's text. Exactly one of `composeFile` and `composeText`. Defaults to none. */
    readonly composeText?: string;
    /** The profile of every service not in `profiles`. Defaults to none (then `profiles` must name every service). */
    readonly profile?: Profile;
    /** Service name → the profile its containers run under. Defaults to `{}`. */
    readonly profiles?: Readonly<Record<string, Profile>>;
    /**
     * Key of the profiles' host that runs the project (see `HostConnectionArgs.name`); every profile
     * must have it. Defaults to the first profile's only host (an error when it has several).
     */
    readonly host?: string;
    /**
     * The compose project name (compose's rule: lowercase letters, digits, `-`, `_`, starting with a
     * letter or digit). Defaults to the resource name, lowercased, other characters turned into `-`.
     */
    readonly projectName?: string;
    /**
     * Take over a compose project of the same name on the host that pulumi-apparmor did not start
     * (containers carrying compose's label for `projectName`, and no record of an `up` of this
     * library under `/var/lib/pulumi-apparmor/compose/PROJECT`). Without it such a host fails the
     * `up` (code `foreign-project`) and nothing there is changed. With it, compose recreates the
     * project's containers from this file under the profiles and removes those of services not in
     * it; deleting this resource then brings the project down (nothing of it is restored).
     * Also takes over a project of that name another stack manages on the host (the owner recorded
     * there, `ORG/PROJECT/STACK`, is another): without it that `up` fails (`foreign-owner`), nothing
     * changed; with it this stack becomes the owner and the other stack's delete removes nothing.
     * Defaults to false.
     */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * The absolute folder on the host that compose runs the project in (`--project-directory`):
     * relative bind mounts (`./data:/data`), `env_file`, build contexts and config/secret files of
     * the compose file resolve there, so set it to where the project's files are on the host. It
     * must exist when `up` runs; no `..` component, no control character, at most 1024 characters.
     * A change is an update in place (compose recreates the services whose mounts moved). The kept
     * copy of the file (the record that the project is this library's) stays in the library's folder.
     * Defaults to the library's own folder for the project, /var/lib/pulumi-apparmor/compose/PROJECT.
     */
    readonly projectDirectory?: pulumi.Input<string>;
}

/** One service in {@link ComposeProject.services}. */
export interface ComposeServiceOutput {
    /** The profile its containers run under. */
    readonly profileName: string;
    /** Its containers as last checked (create, update, refresh). */
    readonly containers: ServiceContainer[];
    /** Whether it has containers and every one runs under the profile. */
    readonly confined: boolean;
    /** The denials of its profile on the project's host (the profile's `denials` for that host). */
    readonly denials: HostDenials | undefined;
}

/** The default project name for a resource name (compose's rule, see `projectName`). */
export function defaultComposeProjectName(resourceName: string): string {
    const s = resourceName
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, "-")
        .replace(/^[^a-z0-9]+/, "")
        .slice(0, 100);
    return s || "project";
}

/** What {@link validateComposeProjectArgs} needs: the file's text and where it came from. */
export interface ComposeProjectInput {
    readonly text: string | undefined;
    readonly fileField: "composeFile" | "composeText";
    readonly projectName: string;
    readonly mapped: readonly string[];
    readonly hasDefault: boolean;
    /** The host key asked for, and per profile (by service, or "profile") its host keys. */
    readonly host: string | undefined;
    readonly profileHosts: Readonly<Record<string, readonly string[]>>;
    /** `adopt` as given (an Output is checked by the provider). */
    readonly adopt?: unknown;
    /** `projectDirectory` as given (an Output is checked by the provider). */
    readonly projectDirectory?: unknown;
}

/** The problems of a project's arguments and file, and the parsed file when it is valid. */
export function validateComposeProjectArgs(a: ComposeProjectInput): {
    problems: ArgProblem[];
    file?: ComposeFile;
    host?: string;
} {
    const problems: ArgProblem[] = [];
    const pn = validateComposeProjectName(a.projectName);
    if (pn)
        problems.push({ field: "projectName", message: pn, fix: 'set projectName, e.g. "web"' });
    if (isPlain(a.adopt) && typeof a.adopt !== "boolean")
        problems.push({
            field: "adopt",
            message: `"${printable(String(a.adopt))}" is not a boolean`,
            fix: "use true (take over a compose project of that name this library did not start) or false",
        });
    if (a.projectDirectory !== undefined && isPlain(a.projectDirectory)) {
        const why = validateComposeProjectDirectory(a.projectDirectory);
        if (why)
            problems.push({
                field: "projectDirectory",
                message: why,
                fix: 'give the absolute path of an existing folder on the host, e.g. "/srv/shop"',
            });
    }
    const entries = Object.entries(a.profileHosts);
    if (entries.length === 0)
        problems.push({
            field: "profiles",
            message: "no profile given",
            fix: "set profile (one for every service) or profiles (service → profile)",
        });
    const first = entries[0]?.[1] ?? [];
    const host = a.host ?? (first.length === 1 ? first[0] : undefined);
    if (entries.length > 0 && host === undefined)
        problems.push({
            field: "host",
            message: `the profile has ${first.length} hosts (${first.join(", ")})`,
            fix: "set host to the key of the profiles' host that runs the project",
        });
    if (host !== undefined)
        for (const [who, keys] of entries)
            if (!keys.includes(host))
                problems.push({
                    field: who === "profile" ? "profile" : `profiles.${who}`,
                    message: `the profile has no host "${host}" (its hosts: ${keys.join(", ")})`,
                    fix: "use profiles provisioned on the project's host, or set host to one they share",
                });
    if (a.text === undefined) return { problems };
    const parsed = parseComposeText(a.text);
    if (!parsed.ok) {
        for (const e of parsed.errors)
            problems.push({
                field: a.fileField,
                message: e,
                fix: "fix the compose file (docker compose config shows what compose reads)",
            });
        return { problems };
    }
    problems.push(...composeProblems(parsed.file, a.mapped, a.hasDefault, a.fileField));
    return { problems, file: parsed.file, ...(host !== undefined ? { host } : {}) };
}

/**
 * The preview warning for a project run in the library's own folder (no `projectDirectory`) whose
 * file has relative paths: they resolve in /var/lib/pulumi-apparmor/compose/PROJECT on the host.
 * Undefined when the file has none.
 */
export function relativePathsWarning(
    name: string,
    projectName: string,
    file: ComposeFile,
): string | undefined {
    const rel = relativeComposePaths(file);
    if (rel.length === 0) return undefined;
    const shown = rel
        .slice(0, 5)
        .map((r) => `${r.where} ${printable(r.path.slice(0, 100))}`)
        .join(", ");
    const more = rel.length > 5 ? ` and ${rel.length - 5} more` : "";
    return (
        `ComposeProject ${printable(name)}: the compose file has relative paths (${shown}${more}) ` +
        `that compose resolves in the library's own folder /var/lib/pulumi-apparmor/compose/${projectName} ` +
        `on the host, not where the project's files are. Fix: set projectDirectory to the absolute ` +
        `folder on the host they are relative to.`
    );
}

/**
 * The owner this program's stack records for its compose projects: `ORG/PROJECT/STACK` from
 * pulumi.getOrganization/getProject/getStack (the organization falls back to `organization`, the
 * name the self-managed backends use, when the engine gives none).
 */
export function stackComposeOwner(name: string): string {
    let org = "organization";
    try {
        org = pulumi.getOrganization() || org;
    } catch {
        // An engine or mock without an organization.
    }
    const owner = composeOwner(org, pulumi.getProject(), pulumi.getStack());
    const why = validateComposeOwner(owner);
    if (why)
        throw argsError(TYPE, name, [
            {
                field: "projectName",
                message: `cannot record this stack as the project's owner: ${why}`,
                fix: "use organization, project and stack names of letters, digits, '.', '_' and '-'",
            },
        ]);
    return owner;
}

function readText(name: string, args: ComposeProjectArgs): { text?: string; problem?: ArgProblem } {
    if ((args.composeFile === undefined) === (args.composeText === undefined))
        return {
            problem: {
                field: "composeFile",
                message:
                    "Only one of [composeFile] and [composeText] can be specified, and one is required",
                fix: "set exactly one of composeFile and composeText",
            },
        };
    if (args.composeText !== undefined) return { text: args.composeText };
    try {
        return { text: fs.readFileSync(args.composeFile as string, "utf8") };
    } catch (e) {
        return {
            problem: {
                field: "composeFile",
                message: `cannot read ${args.composeFile} for ${name}: ${(e as Error).message}`,
                fix: "give the path of an existing compose file",
            },
        };
    }
}

/**
 * A compose project whose services run confined by {@link Profile}s on the profiles' host.
 *
 * Updates in place: a changed file or profile name rewrites the file and runs `compose up` again,
 * which recreates only the services whose definition changed. On delete, `compose down` runs before
 * the profiles are unloaded.
 */
export class ComposeProject extends pulumi.ComponentResource {
    /** The compose project name on the host. */
    public readonly projectName: string;
    /** The project on the host. */
    public readonly deployment: ComposeDeployment;
    /** Per service: profile, containers with their labels, confined, the profile's denials there. */
    public readonly services: pulumi.Output<Record<string, ComposeServiceOutput>>;
    /** What the last refresh found wrong (services unconfined, missing); `[]` in sync. */
    public readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: ComposeProjectArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const mapped = args.profiles ?? {};
        const byWho: Record<string, Profile> = { ...mapped };
        if (args.profile) byWho.profile = args.profile;
        const { text, problem } = readText(name, args);
        const v = validateComposeProjectArgs({
            text,
            fileField: args.composeFile !== undefined ? "composeFile" : "composeText",
            projectName: args.projectName ?? defaultComposeProjectName(name),
            mapped: Object.keys(mapped),
            hasDefault: args.profile !== undefined,
            host: args.host,
            profileHosts: Object.fromEntries(
                Object.entries(byWho).map(([w, p]) => [w, Object.keys(p.hostProfiles)]),
            ),
            adopt: args.adopt,
            projectDirectory: args.projectDirectory,
        });
        const problems = [...(problem ? [problem] : []), ...v.problems];
        if (problems.length > 0 || !v.file || v.host === undefined)
            throw argsError(TYPE, name, problems);
        const file = v.file;
        const host = v.host;
        this.projectName = args.projectName ?? defaultComposeProjectName(name);
        if (args.projectDirectory === undefined) {
            const warning = relativePathsWarning(name, this.projectName, file);
            if (warning) void pulumi.log.warn(warning, this);
        }
        const profileOf = (svc: string): Profile => mapped[svc] ?? (args.profile as Profile);
        const services = Object.keys(file.services);
        const conn = profileOf(services[0]).hosts[host];
        const hostProfiles = [...new Set(services.map((s) => profileOf(s).hostProfiles[host]))];
        const wanted = pulumi
            .all(
                services.map((s) =>
                    pulumi.all([
                        profileOf(s).hostProfiles[host].profileName,
                        profileOf(s).modes[host],
                    ]),
                ),
            )
            .apply((pm) =>
                Object.fromEntries(
                    services.map((s, i) => [
                        s,
                        {
                            profileName: pm[i][0],
                            mode: pm[i][1],
                            ...(startedOnDemand(file.services[s]) ? { optional: true } : {}),
                        },
                    ]),
                ),
            );
        const rewritten = wanted.apply((w) =>
            rewriteCompose(
                file,
                Object.fromEntries(Object.entries(w).map(([s, c]) => [s, c.profileName])),
            ),
        );
        this.deployment = new ComposeDeployment(
            `${name}-deployment`,
            {
                connection: secretConnection(conn),
                target: connectionLabel(conn),
                project: this.projectName,
                file: rewritten,
                services: wanted,
                ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
                ...(args.projectDirectory !== undefined
                    ? { projectDirectory: args.projectDirectory }
                    : {}),
                owner: stackComposeOwner(name),
            },
            { parent: this, dependsOn: hostProfiles },
        );
        const denials = pulumi.all(services.map((s) => profileOf(s).denials));
        this.services = pulumi
            .all([wanted, this.deployment.containers, denials])
            .apply(([w, cs, ds]) =>
                Object.fromEntries(
                    services.map((s, i): [string, ComposeServiceOutput] => {
                        const containers = cs?.[s] ?? [];
                        return [
                            s,
                            {
                                profileName: w[s].profileName,
                                containers,
                                confined:
                                    containers.length > 0 && containers.every((c) => c.confined),
                                denials: ds[i]?.[host],
                            },
                        ];
                    }),
                ),
            );
        this.drift = this.deployment.drift;
        this.registerOutputs({
            projectName: this.projectName,
            services: this.services,
            drift: this.drift,
        });
    }
}
