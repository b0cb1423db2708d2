/**
 * Whether a host can enforce what a profile needs ({@link abiRequirements}), judged as its
 * `apparmor_parser` will compile it. Pure. The parser enforces a feature only when it is in BOTH
 * feature sets (parser_main.c `set_supported_features`, `features_intersect`):
 * - the kernel's: `/sys/kernel/security/apparmor/features`, or the set `kernel-features` (or
 *   `features-file`) in `/etc/apparmor/parser.conf` names;
 * - the policy's: the set `override-policy-abi` in parser.conf names, else the profile's own
 *   `abi <abi/X>,` file, else the set `policy-features` (or `features-file`) names (Debian 13 pins
 *   `/usr/share/apparmor-features/features`), else the kernel's.
 * A rule needing a feature missing from either is compiled to nothing (or, for unix rules,
 * downgraded) with only a warning, so it loads and silently does not apply.
 */
import {
    ABI_FILE_LACKS,
    ABI_NEEDS,
    compareVersions,
    type AbiNeed,
    type AbiRequirement,
    type HostAbiFacts,
} from "./abi";

const SECFS_FEATURES = "/sys/kernel/security/apparmor/features";
const PARSER_CONF = "/etc/apparmor/parser.conf";

/** The longest prefix of `feature` the host has ("" when not even its first component). */
function presentPrefix(feature: string, have: ReadonlySet<string>): string {
    const parts = feature.split("/");
    for (let i = parts.length - 1; i > 0; i--) {
        const p = parts.slice(0, i).join("/");
        if (have.has(p)) return p;
    }
    return "";
}

/** The first component of `feature` the host lacks ("io_uring", "namespaces/mask"). */
function firstMissing(feature: string, have: ReadonlySet<string>): string {
    const p = presentPrefix(feature, have);
    return feature
        .split("/")
        .slice(0, p ? p.split("/").length + 1 : 1)
        .join("/");
}

/** A requirement's feature paths: the feature and the ones that serve as well. */
function pathsOf(r: AbiRequirement): string[] {
    return r.feature ? [r.feature, ...(r.alternatives ?? [])] : [];
}

/** The feature for messages: "network/af_unix (or network_v9/af_unix)". */
function featureName(r: AbiRequirement): string {
    const alt = r.alternatives ?? [];
    return `${r.feature}${alt.length ? ` (or ${alt.join(" or ")})` : ""}`;
}

/** What the kernel side lacks, for messages; undefined when it has the feature or is unknown. */
function kernelLacks(facts: HostAbiFacts, r: AbiRequirement, need: AbiNeed): string | undefined {
    const pin = facts.parserConf?.kernel;
    const have = new Set(pin ? pin.features : facts.features);
    const paths = pathsOf(r);
    if (paths.length === 0 || have.size === 0 || paths.some((p) => have.has(p))) return undefined;
    const next = firstMissing(r.feature!, have);
    const without = need.without ?? "the rule would not be enforced";
    return pin
        ? `the kernel feature set ${pin.path} (kernel-features in ${PARSER_CONF}) lacks ${featureName(r)} (no ${next} in it), so ${without}`
        : `its kernel lacks the AppArmor feature ${featureName(r)} (no ${next} in ${SECFS_FEATURES}), so ${without}`;
}

/**
 * What the policy side lacks ({@link kernelLacks}'s counterpart) and its fix; undefined when the set
 * the profile is compiled against has the feature or is unknown.
 */
function policyLacks(
    facts: HostAbiFacts,
    r: AbiRequirement,
    pinned: string | undefined,
): { why: string; fix: string } | undefined {
    const paths = pathsOf(r);
    if (paths.length === 0) return undefined;
    const f = featureName(r);
    const conf = facts.parserConf;
    const lacks = (features: readonly string[]) =>
        features.length > 0 && !paths.some((p) => features.includes(p));
    if (conf?.override) {
        if (!lacks(conf.override.features)) return undefined;
        return {
            why: `its parser compiles every profile against ${conf.override.path} (override-policy-abi in ${PARSER_CONF}), which lacks ${f}`,
            fix: `drop override-policy-abi from ${PARSER_CONF} on the host`,
        };
    }
    const abi4 = !ABI_FILE_LACKS["4.0"].some((x) => paths.includes(x)) && facts.abi.includes("4.0");
    if (pinned !== undefined) {
        const known = ABI_FILE_LACKS[pinned];
        if (!known || !paths.every((p) => known.includes(p))) return undefined;
        return {
            why: `the profile pins abi <abi/${pinned}>, which lacks ${f} (under that ABI the parser drops the rule on any kernel)`,
            fix: abi4 || pinned === "3.0" ? "pin abi <abi/4.0>," : "remove the `abi` rule",
        };
    }
    if (!conf?.policy || !lacks(conf.policy.features)) return undefined;
    return {
        why:
            `its parser compiles a profile without an \`abi\` rule against ${conf.policy.path} ` +
            `(policy-features in ${PARSER_CONF}), which lacks ${f}, whatever the kernel has`,
        fix: abi4
            ? "pin abi <abi/4.0>, in the profile (policy-features does not override an `abi` rule)"
            : `change policy-features in ${PARSER_CONF} on the host`,
    };
}

/**
 * The errors of sending a profile with `requirements` to a host with `facts`, one per rule that the
 * host cannot enforce, each naming the host (`where`), the rule, what is missing (the parser version,
 * the feature and the feature set that lacks it, the ABI file) and the fix. `pinned`: the profile's own
 * `abi <abi/X>,` file. Empty when the host can enforce every rule. A host whose parser is not
 * installed yet (the preparation step installs it) is checked on its feature sets only; a host without
 * AppArmor features (no securityfs) on its parser and parser.conf only.
 */
export function checkHostAbi(
    facts: HostAbiFacts,
    requirements: readonly AbiRequirement[],
    where: string,
    pinned?: string,
): string[] {
    const abis = new Set(facts.abi);
    const pv = facts.parserVersion;
    const runs = `apparmor_parser ${pv ?? "(not installed)"} on kernel ${facts.kernel || "(unknown)"}`;
    const errors: string[] = [];
    for (const r of requirements) {
        if (r.need === "abi-file") {
            if (pv !== null && r.abiFile !== undefined && !abis.has(r.abiFile))
                errors.push(
                    `host ${where} cannot compile \`${r.rule}\`: it has no ABI file abi/${r.abiFile} ` +
                        `(it has ${facts.abi.length ? facts.abi.map((a) => `abi/${a}`).join(", ") : "none"} ` +
                        `in /etc/apparmor.d/abi; it runs ${runs}); fix: pin an ABI the host has ` +
                        `(abi <abi/3.0>, on AppArmor 3), or target hosts with AppArmor ≥ ${r.abiFile}`,
                );
            continue;
        }
        const need = ABI_NEEDS[r.need];
        const missing: string[] = [];
        const fixes = ["drop the rule"];
        const oldParser = pv !== null && r.minParser && compareVersions(pv, r.minParser) < 0;
        if (oldParser)
            missing.push(
                `its apparmor_parser ${pv} is older than ${r.minParser}, the first to accept ${need.what}`,
            );
        const kernel = kernelLacks(facts, r, need);
        if (kernel) missing.push(kernel);
        const policy = policyLacks(facts, r, pinned);
        if (policy) missing.push(policy.why);
        if (missing.length === 0) continue;
        if (oldParser || kernel) {
            const wants = [
                ...(r.minParser ? [`AppArmor ≥ ${r.minParser}`] : []),
                ...(r.feature
                    ? [
                          `a kernel exporting ${r.feature}${need.kernelHint ? ` (${need.kernelHint})` : ""}`,
                      ]
                    : []),
            ];
            // both sets lacking: the policy's fix alone would not do
            const there = kernel && policy ? ` (and there, ${policy.fix})` : "";
            fixes.push(`target hosts with ${wants.join(" and ")}${there}`);
        }
        if (policy && !kernel) fixes.push(policy.fix);
        errors.push(
            `host ${where} cannot enforce \`${r.rule}\`: ${missing.join("; ")} (it runs ${runs}); ` +
                `fix: ${fixes.join(", or ")}`,
        );
    }
    return errors;
}
