/**
 * The component provider of pulumi-apparmor (issue #14): `Profile` and `ProfiledContainer` for
 * programs in every Pulumi language (`pulumi package add <this folder>`).
 *
 * Why a folder of its own: Pulumi infers the schema from this folder's TypeScript source (its
 * `tsconfig.json`), names the package after its `package.json` (`apparmor`, so the tokens are
 * `apparmor:index:Profile` as in TypeScript), and runs it by `PulumiPlugin.yaml` (`runtime: nodejs`).
 * The library itself stays an ordinary npm package.
 *
 * These classes are adapters, nothing more: their arguments are the schema-friendly ones of
 * `src/components/schemaArgs.ts` (no unions, so Pulumi can infer them), translated there into the
 * TypeScript components' arguments, and each constructs the TypeScript component as a child under
 * the same name (so errors, child names and host state are exactly those of a TypeScript program).
 * They load the compiled library (`../dist/src`, shipped in the npm package), so starting the
 * provider compiles only this file.
 *
 * The plugin also serves the components' custom resources (HostProfile, Confinement, …) as
 * `apparmor:index:TYPE` (`src/components/pluginServed.ts`): a program in another language has no
 * `node_modules` for the engine's Node.js dynamic-provider process to load them from.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- outputs the schema types as Any */
import * as pulumi from "@pulumi/pulumi";
import { main } from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as core from "../dist/src/components";
import { pluginResourceProvider } from "../dist/src/components/pluginProvider";
import { servePluginResources } from "../dist/src/components/pluginServed";
import { argsError } from "../dist/src/components/profile";
import {
    containerArgsFromSchema,
    profileArgsFromSchema,
    type ProfiledContainerSchemaArgs,
    type ProfileSchemaArgs,
} from "../dist/src/components/schemaArgs";

/** The TypeScript Profiles constructed in this provider process, by the URN of their adapter. */
const profiles = new Map<string, core.Profile>();

/**
 * An AppArmor profile provisioned on hosts over SSH, with its versions, denials and drift in stack
 * state. Give a `docker.Container` `securityOpts: [profile.securityOpt]`, or use `ProfiledContainer`.
 */
export class Profile extends pulumi.ComponentResource {
    /** The profile's name (`profile NAME`), as loaded on every host. */
    public readonly profileName: pulumi.Output<string>;
    /** `apparmor=NAME`, for a container's `securityOpts`; depends on every host's profile. */
    public readonly securityOpt: pulumi.Output<string>;
    /** Per host: installed version (sha256), mode, load time and the last few versions. */
    public readonly versions: pulumi.Output<any>;
    /** Per host: denials per profile version (counts, first/last seen, samples) and the log cursor. */
    public readonly denials: pulumi.Output<any>;
    /** Per host: drift found by the last refresh (empty when in sync). */
    public readonly drift: pulumi.Output<any>;
    /** Per host, per profile version: rules that would allow what that version denied. */
    public readonly suggestions: pulumi.Output<any>;
    /** Per host: its AppArmor parser version, kernel, ABI files and kernel features. */
    public readonly hostAbi: pulumi.Output<any>;

    constructor(name: string, args: ProfileSchemaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("apparmor:index:Profile", name, {}, opts);
        if (!Array.isArray(args.hosts))
            throw argsError("apparmor:index:Profile", name, [
                {
                    field: "hosts",
                    message: "is not a list",
                    fix: "pass a list of hosts (each field may be an output, the list itself not)",
                },
            ]);
        const t = profileArgsFromSchema(args);
        if (t.problems.length > 0) throw argsError("apparmor:index:Profile", name, t.problems);
        // The same name as this adapter: the TypeScript component's errors, children and host state
        // are then those of a TypeScript program (the URNs differ only in the parent type).
        const inner = new core.Profile(name, t.args, { parent: this });
        this.urn.apply((urn) => profiles.set(urn, inner));
        this.profileName = inner.profileName;
        this.securityOpt = inner.securityOpt;
        this.versions = inner.versions;
        this.denials = inner.denials;
        this.drift = inner.drift;
        this.suggestions = inner.suggestions;
        this.hostAbi = inner.hostAbi;
        this.registerOutputs({
            profileName: this.profileName,
            securityOpt: this.securityOpt,
            versions: this.versions,
            denials: this.denials,
            drift: this.drift,
            suggestions: this.suggestions,
            hostAbi: this.hostAbi,
        });
    }
}

/**
 * A docker container running under a `Profile`: loaded after the profile, deleted before it, its
 * real AppArmor label read back from the host.
 */
export class ProfiledContainer extends pulumi.ComponentResource {
    /** The docker container's id. */
    public readonly containerId: pulumi.Output<string>;
    /** The container's label as last verified (e.g. `docker-default-secure (enforce)`). */
    public readonly label: pulumi.Output<string | undefined>;

    constructor(
        name: string,
        args: ProfiledContainerSchemaArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("apparmor:index:ProfiledContainer", name, {}, opts);
        // The profile arrives as its URN (the schema cannot reference this package's own
        // components); its TypeScript component was constructed earlier in this process.
        const inner = pulumi.output(args.profile).apply((urn) => {
            const profile = profiles.get(urn);
            if (!profile)
                throw argsError("apparmor:index:ProfiledContainer", name, [
                    {
                        field: "profile",
                        message: `"${urn}" is not a Profile of this program`,
                        fix: "pass the urn of an apparmor Profile declared in the same program",
                    },
                ]);
            return new core.ProfiledContainer(
                name,
                {
                    profile,
                    container: containerArgsFromSchema(args.container),
                    ...(args.host !== undefined ? { host: args.host } : {}),
                    ...(args.verifyConfinement !== undefined
                        ? { verifyConfinement: args.verifyConfinement }
                        : {}),
                },
                { parent: this },
            );
        });
        this.containerId = inner.apply((c) => c.container.id);
        this.label = inner.apply((c) => c.label);
        this.registerOutputs({ containerId: this.containerId, label: this.label });
    }
}

// What `componentProviderHost` does, plus the CRUD methods of the plugin-served custom resources.
servePluginResources();
const components = new ComponentProvider({
    name: "apparmor",
    components: [Profile, ProfiledContainer],
    dirname: __dirname,
});
void main(
    {
        version: components.version,
        getSchema: () => components.getSchema(),
        construct: (name, type, inputs, options) =>
            components.construct(name, type, inputs, options),
        ...pluginResourceProvider,
    },
    process.argv.slice(2),
);
