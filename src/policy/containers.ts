/**
 * Policies on docker containers: each runs under an AppArmor profile (`apparmor-container-confined`,
 * per resource, before it is created), and that profile is one a `Profile` of the same stack manages
 * on the container's own host (`apparmor-container-profile-managed`, over the stack's resource graph;
 * the services of compose projects too, see compose.ts).
 */
import type {
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    anyMatch,
    configOf,
    known,
    message,
    nameOfUrn,
    quote,
    schema,
    TYPES,
    UNKNOWN,
} from "./common";
import {
    DEFAULT_DOCKER_HOST,
    DOCKER_DEFAULT,
    effectiveAppArmor,
    endpointKey,
    parseEndpoint,
    sameEndpoint,
    sshDockerEndpoint,
    targetEndpoint,
    type Endpoint,
} from "./docker";
import { composeProfileViolations } from "./compose";

const exemptContainers = schema.stringList(
    "Resource names of docker.Containers this policy skips (`*` and `?` patterns). Defaults to none.",
);

/** Configuration of {@link containerConfined}. */
export interface ContainerConfinedConfig {
    /** Accept docker's own `docker-default` (no `apparmor=` option, or `apparmor=docker-default`). */
    readonly allowDockerDefault: boolean;
    /** Container resource names (patterns) the policy skips. */
    readonly exemptContainers: readonly string[];
}

const confinedSchema: PolicyConfigSchema = {
    properties: {
        allowDockerDefault: schema.bool(
            "Accept containers under docker's own docker-default profile (no `apparmor=` option, an " +
                "empty one, or `apparmor=docker-default`), which no Profile manages. Defaults to false.",
            false,
        ),
        exemptContainers,
    },
};

const container = (name: string) => `docker.Container ${quote(name)}`;

/**
 * `apparmor-container-confined` (mandatory): every `docker.Container` carries `apparmor=NAME` in
 * `securityOpts`, NAME is not `unconfined`, and the container is not `privileged` (dockerd runs a
 * privileged container unconfined whatever its options say). Docker's implicit `docker-default` is
 * refused unless `allowDockerDefault`.
 */
export const containerConfined: ResourceValidationPolicy = {
    name: "apparmor-container-confined",
    description:
        "Every docker.Container runs under an AppArmor profile: `apparmor=NAME` in securityOpts, " +
        "not unconfined, not privileged.",
    enforcementLevel: "mandatory",
    configSchema: confinedSchema,
    validateResource: (args, report) => {
        if (args.type !== TYPES.container) return;
        const cfg = configOf<ContainerConfinedConfig>(confinedSchema, args.getConfig());
        if (anyMatch(cfg.exemptContainers, args.name)) return;
        const choice = effectiveAppArmor(args.props.securityOpts, args.props.privileged);
        const c = container(args.name);
        const useProfile =
            "run it with ProfiledContainer, or add a Profile's `securityOpt` (`apparmor=NAME`) to securityOpts";
        switch (choice.kind) {
            case "privileged":
                report(
                    message(
                        `${c} sets privileged: true, so dockerd runs it unconfined (AppArmor profile ` +
                            `"unconfined") whatever securityOpts says` +
                            (choice.option ? ` (its ${quote(choice.option)} is ignored)` : ""),
                        "remove privileged: true and grant only what it needs (capabilities.adds, devices)",
                    ),
                );
                return;
            case "unconfined":
                report(
                    message(
                        `${c} runs without AppArmor: securityOpts has ${quote(choice.option)}`,
                        useProfile,
                    ),
                );
                return;
            case "docker-default":
                if (!cfg.allowDockerDefault)
                    report(
                        message(
                            `${c} has ${choice.option ? `an empty ${quote(choice.option)}` : "no `apparmor=` option"} ` +
                                "in securityOpts, so docker confines it with its implicit docker-default " +
                                "profile, which no Profile of this stack manages (no versions, denials or drift)",
                            `${useProfile} (or set allowDockerDefault in this policy's config)`,
                        ),
                    );
                return;
            case "profile":
                if (choice.name === DOCKER_DEFAULT && !cfg.allowDockerDefault)
                    report(
                        message(
                            `${c} asks for docker's own profile (${quote(choice.option)}), which no ` +
                                "Profile of this stack manages (no versions, denials or drift)",
                            `${useProfile} (or set allowDockerDefault in this policy's config)`,
                        ),
                    );
                return;
        }
    },
};

/** Configuration of {@link containerProfileManaged}. */
export interface ContainerProfileManagedConfig {
    /** Docker host URL (as in the provider's `host`) → the SSH address `HOST[:PORT]` of that machine. */
    readonly dockerHosts: Readonly<Record<string, string>>;
    /** What to do when the container's host cannot be told: `deny`, or `anyHost`. */
    readonly unresolvedHost: "deny" | "anyHost";
    /** Container resource names (patterns) the policy skips. */
    readonly exemptContainers: readonly string[];
}

const managedSchema: PolicyConfigSchema = {
    properties: {
        dockerHosts: {
            type: "object",
            additionalProperties: { type: "string" },
            default: {},
            description:
                "Which machine each docker endpoint is: docker host URL exactly as in the provider's " +
                "`host` (`unix:///var/run/docker.sock` for a provider without one) → the SSH address " +
                "`HOST[:PORT]` of the Profile host it is (PORT defaults to 22). Defaults to none.",
        },
        unresolvedHost: {
            type: "string",
            enum: ["deny", "anyHost"],
            default: "deny",
            description:
                "When the container's host cannot be told (a tcp:// or unix:// docker host without a " +
                "dockerHosts entry or a Confinement check): `deny` reports it, `anyHost` accepts a " +
                'profile managed on any host of the stack. Defaults to "deny".',
        },
        exemptContainers,
    },
};

/** A `HostProfile` of the stack as the policy sees it. */
interface ManagedProfile {
    readonly profileName: string;
    readonly target: string;
    readonly endpoint?: Endpoint;
    /** The `Profile` component it belongs to. */
    readonly component: string;
}

/** Where a container runs, and how the policy knows. */
interface ContainerHost {
    readonly endpoint?: Endpoint;
    readonly dockerHost: string;
    readonly provider: string;
    readonly how: string;
}

function managedProfiles(resources: readonly PolicyResource[]): {
    profiles: ManagedProfile[];
    someUnknown: boolean;
} {
    const profiles: ManagedProfile[] = [];
    let someUnknown = false;
    for (const r of resources) {
        if (r.type !== TYPES.hostProfile) continue;
        const name = known(() => r.props.profileName as unknown);
        const target = known(() => r.props.target as unknown);
        if (name === UNKNOWN || target === UNKNOWN) {
            someUnknown = true;
            continue;
        }
        if (typeof name !== "string" || typeof target !== "string") continue;
        profiles.push({
            profileName: name,
            target,
            endpoint: targetEndpoint(target),
            component: r.parent ? r.parent.name : nameOfUrn(r.urn),
        });
    }
    return { profiles, someUnknown };
}

/**
 * The container's machine: from the `dockerHosts` map, else an `ssh://` docker host, else the
 * target of the `Confinement` that ProfiledContainer attached to it (it checks the container's real
 * label on that host at every `up` and refresh).
 */
function containerHost(
    c: PolicyResource,
    resources: readonly PolicyResource[],
    cfg: ContainerProfileManagedConfig,
): ContainerHost | typeof UNKNOWN {
    const host = c.provider ? known(() => c.provider!.props.host as unknown) : undefined;
    if (host === UNKNOWN) return UNKNOWN;
    const dockerHost = typeof host === "string" && host !== "" ? host : DEFAULT_DOCKER_HOST;
    const provider = c.provider?.name ?? "default";
    const mapped = cfg.dockerHosts[dockerHost];
    if (mapped !== undefined) {
        const endpoint = parseEndpoint(mapped);
        const how = endpoint
            ? `dockerHosts maps it to ${mapped}`
            : `its dockerHosts entry ${quote(mapped)} is not HOST[:PORT]`;
        return { endpoint, dockerHost, provider, how };
    }
    const ssh = sshDockerEndpoint(dockerHost);
    if (ssh) return { endpoint: ssh, dockerHost, provider, how: "its ssh:// address" };
    for (const r of resources) {
        if (r.type !== TYPES.confinement) continue;
        if (!(r.propertyDependencies.containerId ?? []).some((d) => d.urn === c.urn)) continue;
        const target = known(() => r.props.target as unknown);
        if (typeof target !== "string") continue;
        return {
            endpoint: targetEndpoint(target),
            dockerHost,
            provider,
            how: `Confinement ${quote(r.name)} checks its label on ${target}`,
        };
    }
    return { dockerHost, provider, how: "" };
}

/**
 * `apparmor-container-profile-managed` (mandatory): the profile each container asks for
 * (`apparmor=NAME`) is loaded by a `Profile` of this stack on the container's own host; so is each
 * compose service's (a `ComposeDeployment`'s services, on its `target` host).
 *
 * "Same host": the container's machine is told, in this order, by the `dockerHosts` map of the
 * config, by an `ssh://[user@]HOST[:PORT]` docker host, or by the `Confinement` ProfiledContainer
 * attaches (which checks the container's real label over SSH on its profile host); it is the same
 * machine as a HostProfile's `target` (`user@HOST:PORT`) when HOST (case-insensitive, no DNS
 * lookups, no ssh_config aliases) and PORT are equal. The SSH user does not matter.
 */
export const containerProfileManaged: StackValidationPolicy = {
    name: "apparmor-container-profile-managed",
    description:
        "The AppArmor profile of every docker.Container and compose service is managed by a " +
        "Profile of the same stack on the container's own host.",
    enforcementLevel: "mandatory",
    configSchema: managedSchema,
    validateStack: (args, report) => {
        const cfg = configOf<ContainerProfileManagedConfig>(managedSchema, args.getConfig());
        const { profiles, someUnknown } = managedProfiles(args.resources);
        for (const c of args.resources) {
            if (c.type !== TYPES.container || anyMatch(cfg.exemptContainers, c.name)) continue;
            const opts = known(() => c.props.securityOpts as unknown);
            const privileged = known(() => c.props.privileged as unknown);
            if (opts === UNKNOWN || privileged === UNKNOWN) continue;
            const choice = effectiveAppArmor(
                Array.isArray(opts) ? opts : undefined,
                privileged === true,
            );
            // Missing, unconfined and privileged are apparmor-container-confined's to report.
            if (choice.kind !== "profile") continue;
            const managing = profiles.filter((p) => p.profileName === choice.name);
            if (managing.length === 0 && choice.name === DOCKER_DEFAULT) continue;
            const label = `${container(c.name)} (${quote(choice.option)})`;
            if (managing.length === 0) {
                if (!someUnknown)
                    report(
                        message(
                            `${label} runs under AppArmor profile ${quote(choice.name)}, which no ` +
                                "Profile of this stack manages: nothing loads it, keeps it in sync or " +
                                "reports its denials, and docker fails (or runs whatever was loaded by hand)",
                            "load it with a Profile on the container's host and use the Profile's " +
                                "securityOpt, or run the container with ProfiledContainer",
                        ),
                        c.urn,
                    );
                continue;
            }
            const host = containerHost(c, args.resources, cfg);
            if (host === UNKNOWN) continue;
            const where = managing
                .map((p) => `Profile ${quote(p.component)} on ${p.target}`)
                .join(", ");
            if (host.endpoint === undefined) {
                if (cfg.unresolvedHost === "anyHost") continue;
                report(
                    message(
                        `cannot tell which host ${label} runs on: its docker provider ` +
                            `${quote(host.provider)} reaches ${quote(host.dockerHost)}, ` +
                            (host.how ||
                                "which is not an ssh:// address, and no Confinement checks the container") +
                            `; profile ${quote(choice.name)} is managed by ${where}`,
                        `map the docker host to its machine's SSH address in this policy's config ` +
                            `(dockerHosts: {${JSON.stringify(host.dockerHost)}: "HOST:PORT"}), run the ` +
                            'container with ProfiledContainer, or set unresolvedHost: "anyHost"',
                    ),
                    c.urn,
                );
                continue;
            }
            if (managing.some((p) => p.endpoint && sameEndpoint(p.endpoint, host.endpoint!)))
                continue;
            report(
                message(
                    `${label} runs on ${endpointKey(host.endpoint)} (docker provider ` +
                        `${quote(host.provider)}: ${host.how}), but profile ${quote(choice.name)} is ` +
                        `managed only by ${where}`,
                    "add the container's host to the Profile's hosts, or run the container on a " +
                        "host the Profile manages",
                ),
                c.urn,
            );
        }
        for (const v of composeProfileViolations(args.resources, profiles, someUnknown))
            report(v.message, v.urn);
    },
};
