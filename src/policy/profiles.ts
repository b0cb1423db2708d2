/**
 * Policies on the profile text each HostProfile installs (parsed with the library's own parser):
 * no escape hatches unless allow-listed (`apparmor-profile-no-escape-hatches`), and deny rules that
 * are logged (`apparmor-profile-audit-denies`, advisory).
 */
import type {
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
} from "@pulumi/policy";
import type { PolicyDocument } from "../profile/model";
import { parseProfile } from "../profile/parser";
import {
    anyMatch,
    configOf,
    message,
    nameOfUrn,
    quote,
    schema,
    TYPES,
    wildcardMatch,
} from "./common";
import {
    DEFAULT_DANGEROUS_CAPABILITIES,
    findEscapeHatches,
    findQuietDenies,
    HATCH_CHECKS,
    type HatchCheck,
    type HatchFinding,
} from "./hatches";

/** An allow-list entry of {@link noEscapeHatches}. */
export interface HatchAllowance {
    /** The kind of escape hatch allowed. */
    readonly check: HatchCheck;
    /** Pattern (`*`, `?`) the finding's subject must match (see `HatchFinding.subject`). Defaults to "*". */
    readonly match?: string;
    /** Pattern the AppArmor profile's name must match (`parent//child` for children). Defaults to "*". */
    readonly profile?: string;
}

/** Configuration of {@link noEscapeHatches}. */
export interface NoEscapeHatchesConfig {
    readonly allow: readonly HatchAllowance[];
    readonly dangerousCapabilities: readonly string[];
    readonly bareCapabilityGrantsAll: boolean;
}

const hatchesSchema: PolicyConfigSchema = {
    properties: {
        allow: {
            type: "array",
            default: [],
            description:
                "Escape hatches allowed anyway: {check, match, profile}. check is one of " +
                `${HATCH_CHECKS.join(", ")}; match (default "*") is compared with the exec path, ` +
                "capability, change_profile target, rule text, written path or moby deny path; " +
                'profile (default "*") with the AppArmor profile name. Patterns use * and ?. Defaults to none.',
            items: {
                type: "object",
                properties: {
                    check: { type: "string", enum: [...HATCH_CHECKS] },
                    match: { type: "string" },
                    profile: { type: "string" },
                },
                required: ["check"],
                additionalProperties: false,
            },
        },
        dangerousCapabilities: schema.stringList(
            "Capabilities a profile must not grant. Defaults to " +
                `${JSON.stringify(DEFAULT_DANGEROUS_CAPABILITIES)}.`,
            DEFAULT_DANGEROUS_CAPABILITIES,
        ),
        bareCapabilityGrantsAll: schema.bool(
            "Count a bare `capability,` (docker-default has it; docker's own capability set is then " +
                "the limit) as granting the dangerous capabilities. Defaults to false.",
            false,
        ),
    },
};

/** `Profile "secure" (AppArmor profile "web", host "vm")`, from a HostProfile's inputs. */
function owner(args: ResourceValidationArgs): string {
    const component = args.opts.parent ? nameOfUrn(args.opts.parent) : args.name;
    return (
        `Profile ${quote(component)} (AppArmor profile ${quote(String(args.props.profileName))}, ` +
        `host ${quote(String(args.props.hostName))})`
    );
}

/** The HostProfile's text, parsed; reports and returns undefined when it cannot be parsed. */
function parsed(
    args: ResourceValidationArgs,
    report: (m: string) => void,
): PolicyDocument | undefined {
    const text = args.props.profileText;
    if (typeof text !== "string") return undefined;
    try {
        return parseProfile(text);
    } catch (e) {
        report(
            message(
                `${owner(args)}: its profile text cannot be parsed (${(e as Error).message}), so it was not checked`,
                "correct the policy text",
            ),
        );
        return undefined;
    }
}

const allowed = (f: HatchFinding, allow: readonly HatchAllowance[]): boolean =>
    allow.some(
        (a) =>
            a.check === f.check &&
            wildcardMatch(a.profile ?? "*", f.profile) &&
            wildcardMatch(a.match ?? "*", f.subject),
    );

/**
 * `apparmor-profile-no-escape-hatches` (mandatory): no profile grants a way out of confinement or
 * into the kernel's control files unless allow-listed: the `unconfined` flag or AppArmor 4's `all`;
 * unconfined exec transitions (`ux`, `Ux`, `pux`, `PUx`, `cux`, `CUx`); `change_profile` that can
 * reach unconfined; dangerous capabilities; `mount`/`remount`/`pivot_root`; writes to
 * `/proc/sysrq-trigger`, `/proc/sys/**`, `/sys/**`; a docker-default-derived profile without moby's
 * `/proc` and `/sys` write denies; blocks the parser cannot read.
 */
export const noEscapeHatches: ResourceValidationPolicy = {
    name: "apparmor-profile-no-escape-hatches",
    description:
        "No AppArmor profile has an escape hatch (unconfined exec or change_profile, sys_admin/" +
        "sys_module/sys_ptrace, mount, kernel file writes, dropped moby denies) unless allow-listed.",
    enforcementLevel: "mandatory",
    configSchema: hatchesSchema,
    validateResource: (args, report) => {
        if (args.type !== TYPES.hostProfile) return;
        const cfg = configOf<NoEscapeHatchesConfig>(hatchesSchema, args.getConfig());
        const doc = parsed(args, report);
        if (!doc) return;
        const findings = findEscapeHatches(doc, {
            dangerousCapabilities: cfg.dangerousCapabilities,
            bareCapabilityGrantsAll: cfg.bareCapabilityGrantsAll,
        });
        for (const f of findings) {
            if (allowed(f, cfg.allow)) continue;
            const entry = JSON.stringify({ check: f.check, match: f.subject, profile: f.profile });
            report(
                message(
                    `${owner(args)}, profile ${quote(f.profile)}: ${f.message} [${f.check}]`,
                    `${f.fix}; or allow-list it in this policy's config: "allow": [${entry}]`,
                ),
            );
        }
    },
};

/** Configuration of {@link auditDenies}. */
export interface AuditDeniesConfig {
    readonly ignoreDockerDefaultDenies: boolean;
    readonly ignore: readonly string[];
    readonly exemptProfiles: readonly string[];
}

const auditSchema: PolicyConfigSchema = {
    properties: {
        ignoreDockerDefaultDenies: schema.bool(
            "Leave moby's own docker-default deny rules quiet, as moby does (a busy host hits them " +
                'constantly; Profile\'s auditDenies "user" keeps them quiet too). Defaults to true.',
            true,
        ),
        ignore: schema.stringList(
            "Deny rules allowed to stay quiet: patterns (`*`, `?`) of the rule text as rendered, " +
                'e.g. "deny capability fsetid,". Defaults to none.',
        ),
        exemptProfiles: schema.stringList(
            "AppArmor profile names (patterns) this policy skips. Defaults to none.",
        ),
    },
};

/** At most this many quiet rules are quoted in one violation. */
const MAX_QUOTED = 8;

/**
 * `apparmor-profile-audit-denies` (advisory): every `deny` rule is `audit deny`, because AppArmor
 * never logs what a plain `deny` refuses, so those denials never reach the `denials` output.
 */
export const auditDenies: ResourceValidationPolicy = {
    name: "apparmor-profile-audit-denies",
    description:
        "Every deny rule of an AppArmor profile is `audit deny`: what a plain deny refuses is never logged.",
    enforcementLevel: "advisory",
    configSchema: auditSchema,
    validateResource: (args, report) => {
        if (args.type !== TYPES.hostProfile) return;
        const cfg = configOf<AuditDeniesConfig>(auditSchema, args.getConfig());
        const doc = parsed(args, report);
        if (!doc) return;
        const quiet = findQuietDenies(doc, {
            ignoreDockerDefaultDenies: cfg.ignoreDockerDefaultDenies,
        }).filter((q) => !anyMatch(cfg.ignore, q.rule) && !anyMatch(cfg.exemptProfiles, q.profile));
        if (quiet.length === 0) return;
        const shown = quiet.slice(0, MAX_QUOTED).map((q) => `\`${q.rule}\``);
        if (quiet.length > MAX_QUOTED) shown.push(`and ${quiet.length - MAX_QUOTED} more`);
        report(
            message(
                `${owner(args)} has ${quiet.length} deny rule${quiet.length > 1 ? "s" : ""} without ` +
                    `audit: ${shown.join(", ")}; AppArmor never logs what ${quiet.length > 1 ? "they refuse" : "it refuses"}, ` +
                    "so those denials never reach the denials output",
                "write `audit deny …` (in a profile model: audit.deny.file(…), audit.deny.capability(…)), " +
                    `or list the rule in this policy's config ("ignore": [${JSON.stringify(quiet[0].rule)}])`,
            ),
        );
    },
};
