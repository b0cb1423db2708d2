/**
 * The dynamic provider of `ComposeDeployment`: one compose project on one host, run by the `compose`
 * host script (src/host/compose.sh) with the rewritten file on stdin, under the host lock.
 *
 * - create/update: `compose up -d --remove-orphans` (compose recreates only the services whose
 *   definition changed, e.g. those whose profile was renamed), then every service's containers must
 *   run under the service's profile (`NAME (mode)` read from `/proc/PID/attr/current`, the same
 *   check as `Confinement`); otherwise the step fails naming service, container and label.
 *   A container started by hand with another definition (e.g. without the apparmor option) differs
 *   from the file, so the `up` of an update recreates it confined: that is the repair of drift. A
 *   container of the file's definition left unconfined (its profile unloaded under it) is restarted
 *   once by an update, after the profile is loaded again.
 *   A project of that name someone else started on the host (containers with its label, no record of
 *   an `up` of ours) is refused (`foreign-project`, nothing changed) unless `adopt`; so is one another
 *   stack owns (`foreign-owner`: the owner recorded on the host is another `ORG/PROJECT/STACK`).
 * - read: the labels now; each service without a running container or with a wrong label is drift.
 * - delete: `compose down --remove-orphans` (nothing when another stack owns the project now); the resource depends on the profiles' host resources,
 *   so the engine runs it before any of them is unloaded.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "./connection";
import { connectionCheckFailures } from "./connection";
import { isUnknown } from "./unknown";
import { labelDrift } from "./confinementProvider";
import { HostStepError, HostStepTimeout } from "./errors";
import { canonicalJson, sshTarget } from "./hostProfileProvider";
import {
    composeScripts,
    type ComposeResult,
    validateComposeOwner,
    validateComposeProjectDirectory,
    validateComposeProjectName,
} from "../host/compose";
import * as ops from "./hostops";
import { hostExec } from "./hostops";
import type { ProfileMode } from "../state";
import { seenHostKey, SshError, type SshTarget } from "./ssh";

/** The profile a service must run under. */
export interface ServiceConfinement {
    profileName: string;
    mode: ProfileMode;
    /**
     * compose does not start it by itself (compose `profiles`, `scale: 0`, `deploy.replicas: 0`):
     * having no container is then not drift, but any container it has must be confined.
     */
    optional?: boolean;
}

export interface ComposeDeploymentInputs {
    connection: PlainConnection;
    target: string;
    project: string;
    /** The rewritten compose file, as sent to the host. */
    file: string;
    services: Record<string, ServiceConfinement>;
    /**
     * Take over a project of that name that this library did not start (only `up` reads it: a
     * change alone is no update). Defaults to false.
     */
    adopt?: boolean;
    /**
     * The host folder compose runs the project in (`--project-directory`); a change is an update in
     * place. Defaults to the library's own folder for the project.
     */
    projectDirectory?: string;
    /**
     * The stack that declares the project, `ORG/PROJECT/STACK`, recorded on the host: another
     * stack's `up` of the same project name there is refused unless it adopts, and its `down`
     * removes nothing of a project this stack owns. Not an update by itself (a renamed stack's next
     * update records its new name). Defaults to none (an earlier version's state).
     */
    owner?: string;
    /** desired: always empty; the refreshed copy holds the reasons found. */
    drift: string[];
}

/** One container of a service as last checked. */
export interface ServiceContainer {
    id: string;
    label: string;
    confined: boolean;
}

export interface ComposeDeploymentOutputs extends ComposeDeploymentInputs {
    /** Per service, its containers. */
    containers: Record<string, ServiceContainer[]>;
    /** `docker compose` or `docker-compose`, as found on the host. */
    tool: string;
    hostKeySeen?: string;
    checkedAt: string;
}

/** Per service, its containers (by compose's service label) with their confinement. */
export function serviceContainers(
    r: ComposeResult,
    services: Record<string, ServiceConfinement>,
): Record<string, ServiceContainer[]> {
    const out: Record<string, ServiceContainer[]> = {};
    for (const [name, want] of Object.entries(services))
        out[name] = r.containers
            .filter((c) => c.service === name)
            .map((c) => ({
                id: c.id,
                label: c.running ? c.label : "not running",
                confined:
                    c.running && labelDrift(c.label, want.profileName, want.mode).length === 0,
            }));
    return out;
}

/**
 * The drift reasons of a project: per service, no running container, or a running one with a wrong
 * label. Stopped containers (a one-shot service that finished, compose's leftovers) run nothing
 * and are not drift.
 */
export function composeDrift(
    r: ComposeResult,
    services: Record<string, ServiceConfinement>,
): string[] {
    const reasons: string[] = [];
    for (const [name, want] of Object.entries(services)) {
        const running = r.containers.filter((c) => c.service === name && c.running);
        if (running.length === 0 && !want.optional)
            reasons.push(
                `service ${name}: no running container (expected label ${want.profileName} (${want.mode}))`,
            );
        for (const c of running)
            for (const p of labelDrift(c.label, want.profileName, want.mode))
                reasons.push(`service ${name}: container ${c.id.slice(0, 12)}: ${p}`);
    }
    return reasons;
}

function wrap(target: string, e: unknown): Error {
    if (e instanceof HostStepError) return e;
    if (e instanceof SshError && e.kind === "timeout")
        return new HostStepTimeout(target, "compose", e.message);
    if (e instanceof SshError) return new HostStepError(target, "connect", e.message);
    const err = e as { message?: string; stderr?: string };
    // compose's own messages, without the script's line that repeats the error itself.
    const stderr = (err.stderr ?? "")
        .split("\n")
        .filter((l) => !l.startsWith("pulumi-apparmor-compose: "))
        .join("\n")
        .trim();
    const detail = stderr ? `\n${stderr.slice(-2000)}` : "";
    return new HostStepError(target, "compose", `${err.message ?? String(e)}${detail}`);
}

function keySeen(t: SshTarget, recorded: string | undefined): { hostKeySeen?: string } {
    const seen = seenHostKey(t) ?? recorded;
    return seen ? { hostKeySeen: seen } : {};
}

/** The running containers whose label is not their service's profile. */
function unconfinedIds(r: ComposeResult, services: Record<string, ServiceConfinement>): string[] {
    return r.containers
        .filter((c) => {
            const want = services[c.service];
            return (
                want !== undefined &&
                c.running &&
                labelDrift(c.label, want.profileName, want.mode).length > 0
            );
        })
        .map((c) => c.id);
}

async function up(
    i: ComposeDeploymentInputs,
    recorded: string | undefined,
    restartIfWrong: boolean,
    previousOwner?: string,
) {
    const t = sshTarget(i.connection, recorded);
    try {
        let r = await composeScripts.up(hostExec(t), {
            project: i.project,
            file: i.file,
            sudo: i.connection.sudo,
            adopt: i.adopt === true,
            ...(i.projectDirectory !== undefined ? { projectDirectory: i.projectDirectory } : {}),
            ...(i.owner !== undefined ? { owner: i.owner } : {}),
            ...(previousOwner !== undefined && previousOwner !== i.owner ? { previousOwner } : {}),
        });
        let problems = composeDrift(r, i.services);
        // A container of the file's definition that runs unconfined (its profile was unloaded
        // under it) is left alone by compose: restart it once, as Confinement does, so the profile
        // applies again; then check again.
        const wrong = problems.length > 0 && restartIfWrong ? unconfinedIds(r, i.services) : [];
        if (wrong.length > 0) {
            for (const id of wrong) await ops.restartContainer(t, i.target, i.connection.sudo, id);
            r = await composeScripts.ps(hostExec(t), {
                project: i.project,
                sudo: i.connection.sudo,
            });
            problems = composeDrift(r, i.services);
        }
        if (problems.length > 0)
            throw new HostStepError(
                i.target,
                "confinement",
                `project ${i.project}: ${problems.join("; ")}`,
            );
        const outs: ComposeDeploymentOutputs = {
            ...i,
            drift: [],
            containers: serviceContainers(r, i.services),
            tool: r.tool,
            ...keySeen(t, recorded),
            checkedAt: new Date().toISOString(),
        };
        return outs;
    } catch (e) {
        throw wrap(i.target, e);
    }
}

export const composeProvider = {
    async check(
        _o: unknown,
        news: Partial<ComposeDeploymentInputs>,
    ): Promise<pulumi.dynamic.CheckResult> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (typeof news.project === "string" && !isUnknown(news.project)) {
            const why = validateComposeProjectName(news.project);
            if (why) failures.push({ property: "project", reason: why });
        }
        if (news.adopt !== undefined && !isUnknown(news.adopt) && typeof news.adopt !== "boolean")
            failures.push({ property: "adopt", reason: "must be true or false" });
        if (news.projectDirectory !== undefined && !isUnknown(news.projectDirectory)) {
            const why = validateComposeProjectDirectory(news.projectDirectory);
            if (why) failures.push({ property: "projectDirectory", reason: why });
        }
        if (news.owner !== undefined && !isUnknown(news.owner)) {
            const why = validateComposeOwner(news.owner);
            if (why) failures.push({ property: "owner", reason: why });
        }
        failures.push(...connectionCheckFailures(news.connection));
        return { inputs: news, failures };
    },

    async diff(
        _id: string,
        olds: Partial<ComposeDeploymentOutputs>,
        news: Partial<ComposeDeploymentInputs>,
    ): Promise<pulumi.dynamic.DiffResult> {
        const replaces: string[] = [];
        if (olds.project !== news.project) replaces.push("project");
        if (olds.connection?.host !== news.connection?.host) replaces.push("connection");
        const changes =
            replaces.length > 0 ||
            olds.file !== news.file ||
            olds.target !== news.target ||
            olds.projectDirectory !== news.projectDirectory ||
            canonicalJson(olds.services) !== canonicalJson(news.services) ||
            canonicalJson(olds.connection) !== canonicalJson(news.connection) ||
            (olds.drift?.length ?? 0) > 0;
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(i: ComposeDeploymentInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await up(i, undefined, false);
        return { id: `${i.target}/${i.project}`, outs };
    },

    async update(
        _id: string,
        olds: ComposeDeploymentOutputs,
        news: ComposeDeploymentInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await up(news, olds.hostKeySeen, true, olds.owner) };
    },

    async read(id: string, props: ComposeDeploymentOutputs): Promise<pulumi.dynamic.ReadResult> {
        const t = sshTarget(props.connection, props.hostKeySeen);
        try {
            const r = await composeScripts.ps(hostExec(t), {
                project: props.project,
                sudo: props.connection.sudo,
            });
            const drift = composeDrift(r, props.services);
            const outs: ComposeDeploymentOutputs = {
                ...props,
                drift,
                containers: serviceContainers(r, props.services),
                tool: r.tool,
                ...keySeen(t, props.hostKeySeen),
                checkedAt: new Date().toISOString(),
            };
            const { connection, target, project, file, services, adopt, projectDirectory, owner } =
                props;
            return {
                id,
                props: outs,
                inputs: {
                    connection,
                    target,
                    project,
                    file,
                    services,
                    ...(adopt !== undefined ? { adopt } : {}),
                    ...(projectDirectory !== undefined ? { projectDirectory } : {}),
                    ...(owner !== undefined ? { owner } : {}),
                    drift,
                },
            };
        } catch (e) {
            throw wrap(props.target, e);
        }
    },

    async delete(_id: string, props: ComposeDeploymentOutputs): Promise<void> {
        const t = sshTarget(props.connection, props.hostKeySeen);
        try {
            // A project another stack took over (its owner recorded on the host) is left to it.
            await composeScripts.down(hostExec(t), {
                project: props.project,
                sudo: props.connection.sudo,
                ...(props.owner !== undefined ? { owner: props.owner } : {}),
            });
        } catch (e) {
            throw wrap(props.target, e);
        }
    },
};
