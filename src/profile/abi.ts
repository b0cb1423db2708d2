/**
 * What a profile needs from a host's AppArmor (the ABI per host), and whether a host has it. Pure:
 * the host's facts come from the host scripts (`hostAbi` of `compile`, `preflight`, `install facts`).
 *
 * AppArmor 4 rules need both halves of AppArmor to be new enough:
 * - the parser: AppArmor 3.x's `apparmor_parser` refuses `userns`, `mqueue`, `io_uring` and `all`
 *   rules (4.0 added them) and the `priority=` prefix (4.1) as syntax errors;
 * - the kernel: a 4.x parser compiles a rule the kernel does not mediate to nothing, with only a
 *   warning ("userns rules not enforced"), so the profile loads and the rule silently does not
 *   apply. The parser decides by the kernel's feature tree (`/sys/kernel/security/apparmor/features`),
 *   flattened into paths: `namespaces/mask/userns_create` is the word `userns_create` in the file
 *   `namespaces/mask` (apparmor parser_main.c `set_supported_features`: the same paths, intersected
 *   with the policy's pinned `abi`).
 * So a rule is refused for a host unless the host's parser is recent enough and its kernel exports the
 * feature. Debian 12 (apparmor 3.0.8, Linux 6.1) has neither for userns; Linux 6.7 added user
 * namespace and io_uring mediation upstream.
 */
import type { PolicyDocument, Profile, ProfileItem } from "./model";
import { renderRule } from "./render";

/** A host's AppArmor facts that decide which rules it can enforce. */
export interface HostAbiFacts {
    /** The host's `apparmor_parser` version (`3.0.8`), null when it is not installed. */
    readonly parserVersion: string | null;
    /** The kernel release (`uname -r`), "" when unknown. */
    readonly kernel: string;
    /** The ABI files in `/etc/apparmor.d/abi/` (`3.0`, `4.0`, …): what `abi <abi/X>,` may name. */
    readonly abi: readonly string[];
    /**
     * The kernel's feature paths: every directory and file of
     * `/sys/kernel/security/apparmor/features` to depth 3 and the words of short files
     * (`namespaces/mask/userns_create`). Empty when the host has no AppArmor securityfs (then the
     * kernel's side is not checked).
     */
    readonly features: readonly string[];
}

/** What a rule kind (or form) needs from a host. */
export interface AbiNeed {
    /** What it is, for messages: "userns rules". */
    readonly what: string;
    /** The kernel feature path the parser looks up for it; none when only the parser matters. */
    readonly feature?: string;
    /** The first `apparmor_parser` version that accepts it. */
    readonly minParser: string;
    /** Which kernels have the feature (for the fix). */
    readonly kernelHint?: string;
}

/**
 * The rule kinds and forms that need more than AppArmor 3.0 has, by key: the rule's `kind`, `mqueue`
 * split by queue type, and `priority` for the `priority=N` prefix of any rule. Feature paths as
 * apparmor_parser (4.1, parser_main.c) tests them against the kernel's features.
 */
export const ABI_NEEDS: Readonly<Record<string, AbiNeed>> = {
    userns: {
        what: "userns rules",
        feature: "namespaces/mask/userns_create",
        minParser: "4.0",
        kernelHint: "Linux 6.7 or later mediates user namespace creation",
    },
    "mqueue-posix": {
        what: "POSIX mqueue rules",
        feature: "ipc/posix_mqueue",
        minParser: "4.0",
        kernelHint: "a kernel with AppArmor's message queue mediation (Ubuntu 24.04's kernels)",
    },
    "mqueue-sysv": {
        what: "System V mqueue rules",
        feature: "ipc/sysv_mqueue",
        minParser: "4.0",
        kernelHint: "a kernel with AppArmor's message queue mediation",
    },
    io_uring: {
        what: "io_uring rules",
        feature: "io_uring",
        minParser: "4.0",
        kernelHint: "Linux 6.7 or later mediates io_uring",
    },
    all: { what: "the `all` rule", minParser: "4.0" },
    priority: { what: "the `priority=` prefix", minParser: "4.1" },
};

/**
 * Features the ABI files shipped by AppArmor do not declare: a profile pinning `abi <abi/3.0>,`
 * compiles the rules needing them to nothing even on a kernel that has them (the parser intersects
 * the kernel's features with the pinned ABI's).
 */
export const ABI_FILE_LACKS: Readonly<Record<string, readonly string[]>> = {
    "3.0": ["namespaces/mask/userns_create", "ipc/posix_mqueue", "ipc/sysv_mqueue", "io_uring"],
};

/** One thing a profile needs from the hosts it goes to. */
export interface AbiRequirement {
    /** The rule as written in the profile (rendered), or the `abi` line. */
    readonly rule: string;
    /** The need's key in {@link ABI_NEEDS}, or "abi-file" for an `abi <abi/X>,` line. */
    readonly need: string;
    /** The kernel feature path it needs. */
    readonly feature?: string;
    /** The first `apparmor_parser` that accepts it. */
    readonly minParser?: string;
    /** The ABI file (`4.0` of `abi <abi/4.0>,`) that must exist in `/etc/apparmor.d/abi/`. */
    readonly abiFile?: string;
}

const QUALIFIER_RE = /^\s*(?:(?:priority\s*=\s*-?\d+|audit|deny|allow|owner|quiet|kill)\s+)*/;

/** The need key of a raw rule's text (a form the model does not type), if it has one. */
function rawNeeds(text: string): string[] {
    const out: string[] = [];
    if (/^\s*(?:(?:audit|deny|allow|owner)\s+)*priority\s*=/.test(text)) out.push("priority");
    const rest = text.replace(QUALIFIER_RE, "");
    const m = /^(userns|mqueue|io_uring|all)\b/.exec(rest);
    if (m) {
        if (m[1] === "mqueue")
            out.push(/type\s*=\s*sysv/.test(rest) ? "mqueue-sysv" : "mqueue-posix");
        else if (m[1] !== "all" || /^all\s*,/.test(rest)) out.push(m[1]);
    }
    return out;
}

/** The need keys of one item. */
function itemNeeds(item: ProfileItem): string[] {
    switch (item.kind) {
        case "raw":
            return item.text.split("\n").flatMap(rawNeeds);
        case "include":
        case "comment":
        case "profile":
            return [];
        default: {
            const out: string[] = [];
            if ((item as { priority?: number }).priority !== undefined) out.push("priority");
            if (item.kind === "mqueue") {
                const sysv =
                    item.type === "sysv" ||
                    (item.type === undefined && /^\d+$/.test(item.name ?? ""));
                out.push(sysv ? "mqueue-sysv" : "mqueue-posix");
            } else if (item.kind in ABI_NEEDS) out.push(item.kind);
            return out;
        }
    }
}

function ruleText(item: ProfileItem): string {
    if (item.kind === "raw") return item.text.trim();
    try {
        return renderRule(item).trim();
    } catch {
        return item.kind;
    }
}

/**
 * What `source` needs from a host beyond AppArmor 3.0: one entry per rule (in every profile and hat)
 * and need, with the rule's text, the kernel feature and the first parser accepting it, plus each
 * `abi <abi/X>,` line's file. Empty for an AppArmor 3.0 profile (docker-default, …).
 */
export function abiRequirements(source: PolicyDocument | Profile): AbiRequirement[] {
    const out: AbiRequirement[] = [];
    const seen = new Set<string>();
    const add = (r: AbiRequirement) => {
        const key = `${r.need}\u0000${r.rule}`;
        if (seen.has(key)) return;
        seen.add(key);
        out.push(r);
    };
    const walk = (items: readonly ProfileItem[]) => {
        for (const item of items) {
            if (item.kind === "profile") {
                walk(item.rules);
                continue;
            }
            for (const need of itemNeeds(item)) {
                const n = ABI_NEEDS[need];
                add({
                    rule: ruleText(item),
                    need,
                    ...(n.feature ? { feature: n.feature } : {}),
                    minParser: n.minParser,
                });
            }
        }
    };
    const items = source.kind === "document" ? source.items : [source];
    for (const item of items) {
        if (item.kind === "abi") {
            const m = item.form === "angle" ? /^abi\/([^/]+)$/.exec(item.path) : null;
            if (m) add({ rule: `abi <${item.path}>,`, need: "abi-file", abiFile: m[1] });
        } else if (item.kind === "profile") walk([item]);
    }
    return out;
}

/** The ABI file a document pins (`3.0` of `abi <abi/3.0>,`), if any. */
export function pinnedAbi(source: PolicyDocument | Profile): string | undefined {
    if (source.kind !== "document") return undefined;
    for (const item of source.items)
        if (item.kind === "abi" && item.form === "angle") {
            const m = /^abi\/([^/]+)$/.exec(item.path);
            if (m) return m[1];
        }
    return undefined;
}

/**
 * Compares dotted versions numerically (`3.0.8` < `4.0` < `4.1.0~beta1` ≈ `4.1`): negative, 0 or
 * positive. Missing components count as 0; anything after the numbers is ignored.
 */
export function compareVersions(a: string, b: string): number {
    const nums = (v: string) => (/^[0-9.]*/.exec(v)?.[0] ?? "").split(".").filter((x) => x !== "");
    const x = nums(a);
    const y = nums(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const d = Number(x[i] ?? 0) - Number(y[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/** The longest prefix of `feature` the host has ("" when not even its first component). */
function presentPrefix(feature: string, have: ReadonlySet<string>): string {
    const parts = feature.split("/");
    for (let i = parts.length - 1; i > 0; i--) {
        const p = parts.slice(0, i).join("/");
        if (have.has(p)) return p;
    }
    return "";
}

/**
 * The errors of sending a profile with `requirements` to a host with `facts`, one per rule that the
 * host cannot enforce, each naming the host (`where`), the rule, what is missing (the parser version,
 * the kernel feature, the ABI file) and the fix. `pinned`: the profile's own `abi <abi/X>,` file
 * (its rules needing a feature that ABI lacks are not enforced on any host). Empty when the host can
 * enforce every rule. A host whose parser is not installed yet (the preparation step installs it) is
 * checked on its kernel only; a host without AppArmor features (no securityfs) on its parser only.
 */
export function checkHostAbi(
    facts: HostAbiFacts,
    requirements: readonly AbiRequirement[],
    where: string,
    pinned?: string,
): string[] {
    const have = new Set(facts.features);
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
        if (pv !== null && r.minParser && compareVersions(pv, r.minParser) < 0)
            missing.push(
                `its apparmor_parser ${pv} is older than ${r.minParser}, the first to accept ${need.what}`,
            );
        if (r.feature && have.size > 0 && !have.has(r.feature)) {
            const p = presentPrefix(r.feature, have);
            const next = r.feature
                .split("/")
                .slice(0, p ? p.split("/").length + 1 : 1)
                .join("/");
            missing.push(
                `its kernel lacks the AppArmor feature ${r.feature} (no ${next} in ` +
                    "/sys/kernel/security/apparmor/features), so the rule would not be enforced",
            );
        }
        if (r.feature && pinned !== undefined && ABI_FILE_LACKS[pinned]?.includes(r.feature))
            missing.push(
                `the profile pins abi <abi/${pinned}>, which lacks ${r.feature} (under that ABI the parser drops the rule on any kernel)`,
            );
        if (missing.length === 0) continue;
        const fixes = ["drop the rule"];
        if (r.minParser) {
            let target = `target hosts with AppArmor ≥ ${r.minParser}`;
            if (r.feature)
                target += ` and a kernel exporting ${r.feature}${need.kernelHint ? ` (${need.kernelHint})` : ""}`;
            fixes.push(target);
        }
        if (pinned !== undefined && r.feature && ABI_FILE_LACKS[pinned]?.includes(r.feature))
            fixes.push("pin abi <abi/4.0>,");
        errors.push(
            `host ${where} cannot enforce \`${r.rule}\`: ${missing.join("; ")} (it runs ${runs}); ` +
                `fix: ${fixes.join(", or ")}`,
        );
    }
    return errors;
}
