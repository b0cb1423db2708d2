/**
 * The custom resources behind the components, backed by the dynamic providers in `./dynamic` (in
 * the component provider: by the plugin itself, `./pluginServed`).
 * Their connection output is secret (`additionalSecretOutputs`), on top of the engine carrying over
 * the secretness of the input.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostDenials, ProfileMode, VersionRecord } from "../state";
import type { InstalledRecord, RolloutStage } from "./hostProfileProvider";
import type { PlainConnection } from "./connection";
import { confinementShim, hostProfileShim } from "./dynamic";
import { pluginResource } from "./pluginServed";

/** Inputs of {@link HostProfile} (the `Profile` component builds them). */
export interface HostProfileArgs {
    /** The SSH connection, as a secret. Required. */
    readonly connection: pulumi.Input<PlainConnection>;
    /** `user@host:port` for messages. Required. */
    readonly target: pulumi.Input<string>;
    /** Key of the host in the component's outputs. Required. */
    readonly hostName: pulumi.Input<string>;
    /** AppArmor profile name. Required. */
    readonly profileName: pulumi.Input<string>;
    /** Policy text to install. Required. */
    readonly profileText: pulumi.Input<string>;
    /** Version (sha256 of the canonical text). Required. */
    readonly version: pulumi.Input<string>;
    /** Mode. Defaults to "enforce". */
    readonly mode?: pulumi.Input<ProfileMode>;
    /** Directory of the profile file. Defaults to "/etc/apparmor.d/containers". */
    readonly directory?: pulumi.Input<string>;
    /** Take over an unmanaged file or loaded profile of the same name. Defaults to false. */
    readonly adopt?: pulumi.Input<boolean>;
    /** Delete while processes are confined by the profile: refuse or remove. Defaults to "refuse". */
    readonly onDeleteInUse?: pulumi.Input<"refuse" | "remove">;
    /**
     * What this host's rollout wave did (when the profile has a `rollout`): the load times of the
     * staged and promoted version go into `history`. Defaults to none.
     */
    readonly rolloutStage?: pulumi.Input<RolloutStage | undefined>;
}

/** One profile on one host (a dynamic resource; see `hostProfileProvider.ts`). */
export class HostProfile extends pulumi.dynamic.Resource {
    declare public readonly profileName: pulumi.Output<string>;
    declare public readonly target: pulumi.Output<string>;
    declare public readonly version: pulumi.Output<string>;
    declare public readonly mode: pulumi.Output<ProfileMode>;
    declare public readonly installed: pulumi.Output<InstalledRecord>;
    declare public readonly history: pulumi.Output<VersionRecord[]>;
    declare public readonly denials: pulumi.Output<HostDenials>;
    declare public readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: HostProfileArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            connection: pulumi.secret(args.connection),
            target: args.target,
            hostName: args.hostName,
            profileName: args.profileName,
            profileText: args.profileText,
            version: args.version,
            mode: args.mode ?? "enforce",
            directory: args.directory ?? "/etc/apparmor.d/containers",
            // Only when given (the provider applies the defaults): fewer inputs to register.
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
            ...(args.onDeleteInUse !== undefined ? { onDeleteInUse: args.onDeleteInUse } : {}),
            drift: [],
            // Preview runs only: the provider's check then compiles a new version on the host
            // (and drops this flag from the inputs it returns, so state never holds it).
            ...(pulumi.runtime.isDryRun() ? { preview: true } : {}),
            ...(args.rolloutStage !== undefined ? { rolloutStage: args.rolloutStage } : {}),
            installed: undefined,
            history: undefined,
            denials: undefined,
        };
        const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] });
        // Inside the component provider the plugin itself serves it (./pluginServed).
        const served = pluginResource("HostProfile", name, props, options);
        if (served) return served as HostProfile;
        super(hostProfileShim, name, props, options, "apparmor", "HostProfile");
    }
}

/** Inputs of {@link Confinement}. */
export interface ConfinementArgs {
    /** SSH connection to the container's host, as a secret. Required. */
    readonly connection: pulumi.Input<PlainConnection>;
    /** `user@host:port` for messages. Required. */
    readonly target: pulumi.Input<string>;
    /** The docker container ID. Required. */
    readonly containerId: pulumi.Input<string>;
    /** The profile the container must run under. Required. */
    readonly profileName: pulumi.Input<string>;
    /** The mode it must run in. Required. */
    readonly mode: pulumi.Input<ProfileMode>;
}

/** A container's real AppArmor label, checked on create and on refresh. */
export class Confinement extends pulumi.dynamic.Resource {
    /** Label of the container's init process, e.g. `docker-default-secure (enforce)`. */
    declare public readonly label: pulumi.Output<string>;
    declare public readonly drift: pulumi.Output<string[]>;
    declare public readonly restarts: pulumi.Output<number>;

    constructor(name: string, args: ConfinementArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            connection: pulumi.secret(args.connection),
            target: args.target,
            containerId: args.containerId,
            profileName: args.profileName,
            mode: args.mode,
            drift: [],
            label: undefined,
            restarts: undefined,
        };
        const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] });
        // Inside the component provider the plugin itself serves it (./pluginServed).
        const served = pluginResource("Confinement", name, props, options);
        if (served) return served as Confinement;
        super(confinementShim, name, props, options, "apparmor", "Confinement");
    }
}
