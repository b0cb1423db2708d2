/** The `ComposeDeployment` dynamic resource: one compose project on one host (see composeProvider). */
import * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "./connection";
import type { ServiceConfinement, ServiceContainer } from "./composeProvider";
import { composeShim } from "./dynamic";
import { pluginResource } from "./pluginServed";

/** Inputs of {@link ComposeDeployment}. */
export interface ComposeDeploymentArgs {
    /** SSH connection to the host, as a secret. Required. */
    readonly connection: pulumi.Input<PlainConnection>;
    /** `user@host:port` for messages. Required. */
    readonly target: pulumi.Input<string>;
    /** The compose project name. Required. */
    readonly project: pulumi.Input<string>;
    /** The rewritten compose file sent to the host. Required. */
    readonly file: pulumi.Input<string>;
    /** Per service, the profile and mode its containers must run under. Required. */
    readonly services: pulumi.Input<Record<string, pulumi.Input<ServiceConfinement>>>;
    /** Take over a project of that name this library did not start. Defaults to false. */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * The host folder compose runs the project in. Defaults to the library's own folder for the
     * project, /var/lib/pulumi-apparmor/compose/PROJECT.
     */
    readonly projectDirectory?: pulumi.Input<string>;
    /** The stack that declares the project, `ORG/PROJECT/STACK` (see composeOwner). Defaults to none. */
    readonly owner?: pulumi.Input<string>;
}

/** A compose project run on a host, each service's containers checked against its profile. */
export class ComposeDeployment extends pulumi.dynamic.Resource {
    /** Per service, its containers with label and confinement as last checked. */
    declare public readonly containers: pulumi.Output<Record<string, ServiceContainer[]>>;
    declare public readonly drift: pulumi.Output<string[]>;
    declare public readonly tool: pulumi.Output<string>;

    constructor(name: string, args: ComposeDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            connection: pulumi.secret(args.connection),
            target: args.target,
            project: args.project,
            file: args.file,
            services: args.services,
            ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
            ...(args.projectDirectory !== undefined
                ? { projectDirectory: args.projectDirectory }
                : {}),
            ...(args.owner !== undefined ? { owner: args.owner } : {}),
            drift: [],
            containers: undefined,
            tool: undefined,
        };
        const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] });
        // Inside the component provider the plugin itself serves it (./pluginServed).
        const served = pluginResource("ComposeDeployment", name, props, options);
        if (served) return served as ComposeDeployment;
        super(composeShim, name, props, options, "apparmor", "ComposeDeployment");
    }
}
