/**
 * Policies on compose projects (`ComposeProject`, issue #16): every service of the file a
 * `ComposeDeployment` sends to its host runs under its own Profile (`apparmor-compose-confined`, per
 * resource, before the project is started or changed), and that Profile is loaded on the project's
 * host by the same stack (checked by `apparmor-container-profile-managed` with
 * {@link composeProfileViolations}).
 *
 * The file is checked as sent (after ComposeProject's rewrite) and read as dockerd reads each
 * service's options ({@link effectiveAppArmor}): the rewrite and `ComposeProject`'s own checks make
 * this hold by construction, so a violation means a `ComposeDeployment` declared by hand, or a file
 * changed between the program and the engine.
 */
import type { PolicyConfigSchema, PolicyResource, ResourceValidationPolicy } from "@pulumi/policy";
import { parseComposeText } from "../compose/parse";
import { anyMatch, configOf, known, message, quote, schema, TYPES, UNKNOWN } from "./common";
import { effectiveAppArmor, endpointKey, sameEndpoint, targetEndpoint } from "./docker";

/** Configuration of {@link composeConfined}. */
export interface ComposeConfinedConfig {
    /** Compose project names (patterns) the policy skips. */
    readonly exemptProjects: readonly string[];
}

const composeSchema: PolicyConfigSchema = {
    properties: {
        exemptProjects: schema.stringList(
            "Compose project names this policy skips (`*` and `?` patterns). Defaults to none.",
        ),
    },
};

/** The profile a service must run under, as the ComposeDeployment records it. */
interface ServiceWant {
    readonly profileName?: unknown;
}

/** Whether a compose `privileged` value makes the container privileged (anything but false). */
function isPrivileged(v: unknown): boolean {
    return v !== undefined && v !== false && v !== "false";
}

/**
 * What is wrong with the services of compose `file` run with `services` (service → profile), one
 * line per problem: a service without a profile, privileged, unconfined, under docker's implicit
 * profile or another one than its own, or options only the host would resolve (`${…}`).
 */
export function composeServiceProblems(
    file: string,
    services: Readonly<Record<string, ServiceWant | undefined>>,
): string[] {
    const parsed = parseComposeText(file);
    if (!parsed.ok) return [`its compose file cannot be read: ${parsed.errors.join("; ")}`];
    const out: string[] = [];
    for (const [name, svc] of Object.entries(parsed.file.services)) {
        const s = svc ?? {};
        const at = `service ${quote(name)}`;
        const want = services[name]?.profileName;
        const opts = Array.isArray(s.security_opt) ? s.security_opt : [];
        if (typeof want !== "string" || want === "") {
            out.push(`${at} has no Profile (it is not in the deployment's services)`);
            continue;
        }
        const interpolated = [s.privileged, ...opts].filter(
            (o) => typeof o === "string" && o.includes("$"),
        );
        if (interpolated.length > 0) {
            out.push(
                `${at} has ${interpolated.map((o) => quote(String(o))).join(", ")}, resolved only on the host`,
            );
            continue;
        }
        const choice = effectiveAppArmor(opts, isPrivileged(s.privileged));
        switch (choice.kind) {
            case "privileged":
                out.push(
                    `${at} is privileged (${quote(String(s.privileged))}), so dockerd runs it unconfined whatever its security_opt says`,
                );
                break;
            case "unconfined":
                out.push(`${at} runs without AppArmor: security_opt has ${quote(choice.option)}`);
                break;
            case "docker-default":
                out.push(
                    `${at} has no \`apparmor=\` option, so docker confines it with its implicit docker-default profile, not its Profile ${quote(want)}`,
                );
                break;
            case "profile":
                if (choice.name !== want)
                    out.push(
                        `${at} runs under AppArmor profile ${quote(choice.name)} (${quote(choice.option)}), not its Profile ${quote(want)}`,
                    );
                break;
        }
    }
    return out;
}

/**
 * `apparmor-compose-confined` (mandatory): every service of a compose project runs under its own
 * Profile's AppArmor profile: not privileged, not unconfined, not under docker's implicit
 * docker-default, no `${…}` the host would resolve, and no service without a Profile.
 */
export const composeConfined: ResourceValidationPolicy = {
    name: "apparmor-compose-confined",
    description:
        "Every service of a ComposeProject runs under its own Profile: `apparmor=NAME` last in " +
        "security_opt, not unconfined, not privileged.",
    enforcementLevel: "mandatory",
    configSchema: composeSchema,
    validateResource: (args, report) => {
        if (args.type !== TYPES.composeDeployment) return;
        const cfg = configOf<ComposeConfinedConfig>(composeSchema, args.getConfig());
        const project = args.props.project as unknown;
        if (typeof project === "string" && anyMatch(cfg.exemptProjects, project)) return;
        const file = args.props.file as unknown;
        const services = (args.props.services ?? {}) as Record<string, ServiceWant | undefined>;
        if (typeof file !== "string") return;
        const problems = composeServiceProblems(file, services);
        if (problems.length === 0) return;
        const owner = args.opts.parent ? args.opts.parent.split("::").pop() : args.name;
        report(
            message(
                `ComposeProject ${quote(owner ?? args.name)} (compose project ${quote(String(project))}): ` +
                    problems.join("; "),
                "declare the project with ComposeProject and a Profile for every service (it sets " +
                    "each service's apparmor option), and drop privileged, apparmor=unconfined and " +
                    "${…} in privileged/security_opt from the compose file",
            ),
        );
    },
};

/**
 * `apparmor-container-profile-managed`'s part for compose projects: each service's profile is
 * loaded by a HostProfile of the stack on the deployment's own host (same HOST and PORT of the
 * `user@host:port` targets). `profiles` are the stack's HostProfiles (name, target); a deployment
 * whose values are unknown (preview) is skipped.
 */
export function composeProfileViolations(
    resources: readonly PolicyResource[],
    profiles: readonly { profileName: string; target: string; component: string }[],
    someUnknown: boolean,
): { message: string; urn: string }[] {
    const out: { message: string; urn: string }[] = [];
    for (const d of resources) {
        if (d.type !== TYPES.composeDeployment) continue;
        const target = known(() => d.props.target as unknown);
        const services = known(() => d.props.services as unknown);
        const project = known(() => d.props.project as unknown);
        if (target === UNKNOWN || services === UNKNOWN || project === UNKNOWN) continue;
        if (typeof target !== "string" || typeof services !== "object" || services === null)
            continue;
        const where = targetEndpoint(target);
        const label = `ComposeProject ${quote(d.parent?.name ?? d.name)} (compose project ${quote(String(project))} on ${target})`;
        const byProfile = new Map<string, string[]>();
        for (const [svc, want] of Object.entries(services as Record<string, ServiceWant>)) {
            const p = want?.profileName;
            if (typeof p === "string") byProfile.set(p, [...(byProfile.get(p) ?? []), svc]);
        }
        for (const [p, svcs] of byProfile) {
            const managing = profiles.filter((m) => m.profileName === p);
            const names = `service${svcs.length > 1 ? "s" : ""} ${svcs.map(quote).join(", ")}`;
            if (managing.length === 0) {
                if (!someUnknown)
                    out.push({
                        urn: d.urn,
                        message: message(
                            `${label}: ${names} run${svcs.length > 1 ? "" : "s"} under AppArmor profile ${quote(p)}, which no Profile of this stack manages`,
                            "give each service a Profile of this stack (ComposeProject's profile or profiles)",
                        ),
                    });
                continue;
            }
            const ep = where;
            if (
                ep &&
                managing.some((m) => {
                    const e = targetEndpoint(m.target);
                    return e !== undefined && sameEndpoint(e, ep);
                })
            )
                continue;
            out.push({
                urn: d.urn,
                message: message(
                    `${label}: ${names} run${svcs.length > 1 ? "" : "s"} under AppArmor profile ${quote(p)} on ${ep ? endpointKey(ep) : target}, but it is managed only by ` +
                        managing
                            .map((m) => `Profile ${quote(m.component)} on ${m.target}`)
                            .join(", "),
                    "add the project's host to the Profile's hosts, or run the project on a host the Profile manages",
                ),
            });
        }
    }
    return out;
}
