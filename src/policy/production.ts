/**
 * Policies for production stacks (names matching `productionStacks`): profiles load in enforce mode
 * (`apparmor-production-enforce`, per HostProfile, before it is installed), and ProfiledContainer
 * keeps checking the container's real label (`apparmor-production-verify-confinement`, over the
 * stack's resource graph: the `Confinement` resource exists only when `verifyConfinement` is on).
 */
import type {
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    configOf,
    message,
    nameOfUrn,
    quote,
    schema,
    stackMatches,
    stackOfUrn,
    TYPES,
} from "./common";

/** Configuration of the production policies. */
export interface ProductionConfig {
    /** Stack name patterns (`*`, `?`; `PROJECT/STACK` to name the project too). */
    readonly productionStacks: readonly string[];
}

const productionSchema: PolicyConfigSchema = {
    properties: {
        productionStacks: schema.stringList(
            "Stacks this policy applies to: stack name patterns with `*` and `?` (e.g. `prod*`), or " +
                '`PROJECT/STACK` patterns. Defaults to ["prod*"].',
            ["prod*"],
        ),
    },
};

/**
 * `apparmor-production-enforce` (mandatory): in a production stack every HostProfile is in
 * `enforce` mode (a host's `mode` override included).
 */
export const productionEnforce: ResourceValidationPolicy = {
    name: "apparmor-production-enforce",
    description:
        "In production stacks (productionStacks) every AppArmor profile is in enforce mode.",
    enforcementLevel: "mandatory",
    configSchema: productionSchema,
    validateResource: (args, report) => {
        if (args.type !== TYPES.hostProfile) return;
        const cfg = configOf<ProductionConfig>(productionSchema, args.getConfig());
        if (!stackMatches(cfg.productionStacks, args.urn)) return;
        const mode = args.props.mode;
        if (mode === "enforce") return;
        const owner = args.opts.parent ? nameOfUrn(args.opts.parent) : args.name;
        report(
            message(
                `Profile ${quote(owner)} loads AppArmor profile ${quote(String(args.props.profileName))} ` +
                    `in ${quote(String(mode))} mode on ${args.props.target} (host ` +
                    `${quote(String(args.props.hostName))}) in production stack ` +
                    `${quote(stackOfUrn(args.urn))}: complain mode only logs what the profile would deny`,
                'set mode: "enforce" on the Profile (and remove the host\'s mode override); to try a ' +
                    'change in complain mode first, use rollout with promote: { from: "complain" }',
            ),
        );
    },
};

/**
 * `apparmor-production-verify-confinement` (mandatory): in a production stack no ProfiledContainer
 * turns `verifyConfinement` off (seen as a ProfiledContainer without a `Confinement` child).
 */
export const productionVerifyConfinement: StackValidationPolicy = {
    name: "apparmor-production-verify-confinement",
    description:
        "In production stacks (productionStacks) every ProfiledContainer keeps verifyConfinement on.",
    enforcementLevel: "mandatory",
    configSchema: productionSchema,
    validateStack: (args, report) => {
        const cfg = configOf<ProductionConfig>(productionSchema, args.getConfig());
        for (const pc of args.resources) {
            if (pc.type !== TYPES.profiledContainer || !stackMatches(cfg.productionStacks, pc.urn))
                continue;
            const children = args.resources.filter((r) => r.parent?.urn === pc.urn);
            if (children.some((r) => r.type === TYPES.confinement)) continue;
            report(
                message(
                    `ProfiledContainer ${quote(pc.name)} in production stack ` +
                        `${quote(stackOfUrn(pc.urn))} has verifyConfinement turned off (it has no ` +
                        "Confinement): nothing checks that its container really runs under the profile, " +
                        "so an unloaded profile or a container restarted unconfined goes unnoticed",
                    "remove verifyConfinement: false (it defaults to true)",
                ),
                pc.urn,
            );
        }
    },
};
