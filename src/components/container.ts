/**
 * Linking profiles with docker: {@link dockerProvider} builds the `docker.Provider` for the same host
 * connection as the profile, and {@link ProfiledContainer} runs a `docker.Container` under a
 * {@link Profile} with the ordering guarantees and a verified label.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { connectionLabel, HostConnectionArgs, secretConnection } from "./connection";
import { Confinement } from "./hostProfile";
import { argsError, Profile } from "./profile";

/**
 * A `docker.Provider` for a host connection, so the profile's host and the container's dockerd
 * cannot diverge. Uses `host.dockerHost` when set, else `ssh://USER@HOST:PORT` (docker's SSH helper;
 * the key comes from your ssh agent/config, since docker cannot take key text).
 */
export function dockerProvider(
    name: string,
    host: HostConnectionArgs,
    opts?: pulumi.CustomResourceOptions,
): docker.Provider {
    const url =
        host.dockerHost ??
        pulumi
            .all([host.host, host.port, host.user])
            .apply(([h, p, u]) => `ssh://${u ?? "root"}@${h}:${p ?? 22}`);
    return new docker.Provider(name, { host: url }, opts);
}

/** Arguments of {@link ProfiledContainer}. */
export interface ProfiledContainerArgs {
    /** The profile the container runs under. Required. */
    readonly profile: Profile;
    /**
     * Key of the profile's host that runs the container (see `HostConnectionArgs.name`). Defaults to
     * the profile's only host (an error when it has several).
     */
    readonly host?: string;
    /**
     * The container, as for `docker.Container`. `securityOpts` gets `apparmor=NAME` added (replacing
     * any other `apparmor=` entry). Required.
     */
    readonly container: docker.ContainerArgs;
    /** Docker provider for that host. Defaults to {@link dockerProvider} for the same connection. */
    readonly provider?: docker.Provider;
    /**
     * Check the container's real AppArmor label on its host after create and on every refresh; an
     * unconfined container is drift, and `up` restarts it once to re-apply the profile. Defaults to true.
     */
    readonly verifyConfinement?: boolean;
}

/**
 * `apparmor:index:ProfiledContainer`: a `docker.Container` running under a {@link Profile}.
 *
 * Ordering: the container depends on the host's profile resource, so the profile is loaded before
 * the container is created and removed only after the container is deleted. A content change reloads
 * the profile in place (same container, which gets the new policy at once); a profile rename changes
 * `securityOpts`, which replaces the container after the new profile is loaded.
 */
export class ProfiledContainer extends pulumi.ComponentResource {
    /** The docker container. */
    public readonly container: docker.Container;
    /** The label check, when `verifyConfinement` is on. */
    public readonly confinement?: Confinement;
    /** The container's label as last verified (e.g. `docker-default-secure (enforce)`). */
    public readonly label: pulumi.Output<string | undefined>;

    constructor(name: string, args: ProfiledContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("apparmor:index:ProfiledContainer", name, {}, opts);
        const keys = Object.keys(args.profile.hostProfiles);
        const key = args.host ?? (keys.length === 1 ? keys[0] : undefined);
        if (key === undefined || !args.profile.hostProfiles[key])
            throw argsError("apparmor:index:ProfiledContainer", name, [
                {
                    field: "host",
                    message:
                        key === undefined
                            ? `the profile has ${keys.length} hosts`
                            : `"${key}" is not one of the profile's hosts (${keys.join(", ")})`,
                    fix: "set host to the key of the profile's host that runs the container",
                },
            ]);
        const hostProfile = args.profile.hostProfiles[key];
        const conn = args.profile.hosts[key];
        const provider = args.provider ?? dockerProvider(`${name}-docker`, conn, { parent: this });
        const securityOpts = pulumi
            .all([args.container.securityOpts ?? [], args.profile.securityOpt])
            .apply(([o, s]) => [...o.filter((x) => !/^apparmor[=:]/.test(x)), s]);
        this.container = new docker.Container(
            `${name}-container`,
            { ...args.container, securityOpts },
            {
                parent: this,
                provider,
                dependsOn: [hostProfile],
                // docker names are unique: a fixed name cannot be created before the old one is gone.
                deleteBeforeReplace: args.container.name !== undefined,
            },
        );
        if (args.verifyConfinement ?? true) {
            this.confinement = new Confinement(
                `${name}-confinement`,
                {
                    connection: secretConnection(conn),
                    target: connectionLabel(conn),
                    containerId: this.container.id,
                    profileName: hostProfile.profileName,
                    mode: hostProfile.mode,
                },
                { parent: this, dependsOn: [this.container] },
            );
            this.label = this.confinement.label;
        } else this.label = pulumi.output(undefined);
        this.registerOutputs({ container: this.container, label: this.label });
    }
}
