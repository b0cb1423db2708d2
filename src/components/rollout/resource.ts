/**
 * `RolloutWave`: one wave of a staged rollout (a dynamic resource; see `provider.ts`). The `Profile`
 * component creates one per wave when `rollout` is set; each host's `HostProfile` depends on its wave,
 * and each wave on the previous wave's `HostProfile`s, so the engine runs the waves in order.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "../connection";
import { rolloutWaveShim } from "../dynamic";
import { pluginResource } from "../pluginServed";
import type { RolloutSettings } from "./args";
import type { WaveHost, WaveHostState } from "./wave";

/** Inputs of {@link RolloutWave} (the `Profile` component builds them). */
export interface RolloutWaveArgs {
    /** 1-based number of this wave. Required. */
    readonly wave: number;
    /** Number of waves. Required. */
    readonly waves: number;
    /** AppArmor profile name. Required. */
    readonly profileName: pulumi.Input<string>;
    /** Policy text to roll out. Required. */
    readonly profileText: pulumi.Input<string>;
    /** Version (sha256 of the canonical text). Required. */
    readonly version: pulumi.Input<string>;
    /** Directory of the profile file. Required. */
    readonly directory: pulumi.Input<string>;
    /** The wave's hosts, in order. Required. */
    readonly hosts: pulumi.Input<pulumi.Input<WaveHost>[]>;
    /** The hosts' connections by host key, as a secret. Required. */
    readonly connections: pulumi.Input<Record<string, pulumi.Input<PlainConnection>>>;
    /** Gate, promotion and parallelism. Required. */
    readonly settings: RolloutSettings;
    /** Stage over an unmanaged profile of the same name (`Profile.adopt`). Defaults to false. */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * The connections of the next wave's first hosts (as many as it installs on at once), by host
     * key, as a secret: while this wave works, the SSH connections of those with a pinned `hostKey`
     * are opened (the handshake only: nothing runs on those hosts), so that the next wave does not
     * start by waiting for them. Not part of the diff. Defaults to none.
     */
    readonly nextConnections?: pulumi.Input<Record<string, pulumi.Input<PlainConnection>>>;
}

/** One wave of a staged rollout. */
export class RolloutWave extends pulumi.dynamic.Resource {
    /** What the wave did on each host, by host key. */
    declare public readonly hostStates: pulumi.Output<Record<string, WaveHostState>>;

    constructor(name: string, args: RolloutWaveArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            wave: args.wave,
            waves: args.waves,
            profileName: args.profileName,
            profileText: args.profileText,
            version: args.version,
            directory: args.directory,
            hosts: args.hosts,
            connections: pulumi.secret(args.connections),
            settings: args.settings,
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
            ...(args.nextConnections !== undefined
                ? { nextConnections: pulumi.secret(args.nextConnections) }
                : {}),
            hostStates: undefined,
        };
        const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connections"] });
        // Inside the component provider the plugin itself serves it (./pluginServed).
        const served = pluginResource("RolloutWave", name, props, options);
        if (served) return served as RolloutWave;
        super(rolloutWaveShim, name, props, options, "apparmor", "RolloutWave");
    }
}
