/**
 * What a profile needs from a host's AppArmor (the ABI per host), and whether a host has it. Pure:
 * the host's facts come from the host scripts (`hostAbi` of `compile`, `preflight`, `install facts`,
 * the `read` script's facts part); the check itself is {@link checkHostAbi} (abiHost.ts).
 *
 * AppArmor 4 rules need both halves of AppArmor to be new enough:
 * - the parser: AppArmor 3.x's `apparmor_parser` refuses `userns`, `mqueue`, `io_uring` and `all`
 *   rules (4.0 added them) and the `priority=` prefix (4.1) as syntax errors;
 * - the kernel: a 4.x parser compiles a rule the kernel does not mediate to nothing, with only a
 *   warning ("userns rules not enforced"), so the profile loads and the rule silently does not
 *   apply. The parser decides by the kernel's feature tree (`/sys/kernel/security/apparmor/features`),
 *   flattened into paths: `namespaces/mask/userns_create` is the word `userns_create` in the file
 *   `namespaces/mask` (apparmor parser_main.c `set_supported_features`: the same paths, intersected
 *   with the policy's feature set: the profile's `abi`, or what /etc/apparmor/parser.conf pins).
 * So a rule is refused for a host unless the host's parser is recent enough and both feature sets
 * have the feature. Fine-grained `unix` rules need no new parser, only `network/af_unix` (the parser
 * downgrades them to `network unix` without it). Debian 12 (apparmor 3.0.8, Linux 6.1) has neither for userns; Linux 6.7 added user
 * namespace and io_uring mediation upstream.
 */
import type { PolicyDocument, Profile, ProfileItem, UnixRule } from "./model";
import { renderRule } from "./render";

/** A feature set `/etc/apparmor/parser.conf` pins the host's `apparmor_parser` to. */
export interface PinnedFeatures {
    /** The features file or directory parser.conf names (`/usr/share/apparmor-features/features`). */
    readonly path: string;
    /** Its feature paths, in the form of {@link HostAbiFacts.features}. */
    readonly features: readonly string[];
}

/**
 * The feature sets `/etc/apparmor/parser.conf` pins (apparmor_parser(8)); each absent when not pinned.
 * Debian 13 pins `policy-features=/usr/share/apparmor-features/features`.
 */
export interface ParserConfPins {
    /**
     * `policy-features` (or `features-file`): what a profile WITHOUT an `abi` rule is compiled against
     * (it does not override an `abi` rule).
     */
    readonly policy?: PinnedFeatures;
    /** `kernel-features` (or `features-file`): what the parser takes for the kernel's features. */
    readonly kernel?: PinnedFeatures;
    /** `override-policy-abi`: what every profile is compiled against, its `abi` rule or not. */
    readonly override?: PinnedFeatures;
}

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
    /** The feature sets the parser's config pins; absent when it pins none. */
    readonly parserConf?: ParserConfPins;
}

/** What a rule kind (or form) needs from a host. */
export interface AbiNeed {
    /** What it is, for messages: "userns rules". */
    readonly what: string;
    /** The kernel feature path the parser looks up for it; none when only the parser matters. */
    readonly feature?: string;
    /** Other feature paths that serve as well (any one, in both feature sets, suffices). */
    readonly alternatives?: readonly string[];
    /** The first `apparmor_parser` version that accepts it; none when every supported one does. */
    readonly minParser?: string;
    /** Which kernels have the feature (for the fix). */
    readonly kernelHint?: string;
    /** What the parser does with the rule without the feature. Defaults to "the rule would not be enforced". */
    readonly without?: string;
}

/**
 * The rule kinds and forms that need more than AppArmor 3.0 or a kernel feature, by key: the rule's `kind`, `mqueue`
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
    // the parser downgrades a unix rule to `network unix` without it (af_unix.cc; checked on Debian 13,
    // whose 6.12 kernel and pinned policy features both lack it)
    unix: {
        what: "fine-grained unix rules",
        feature: "network/af_unix",
        alternatives: ["network_v9/af_unix"],
        kernelHint: "a kernel with AppArmor's af_unix mediation (Ubuntu's kernels)",
        without: "the parser downgrades the rule to a generic `network unix` rule",
    },
    priority: { what: "the `priority=` prefix", minParser: "4.1" },
};

/**
 * Features the ABI files shipped by AppArmor do not declare: a profile pinning `abi <abi/3.0>,`
 * compiles the rules needing them to nothing even on a kernel that has them (the parser intersects
 * the kernel's features with the pinned ABI's).
 */
export const ABI_FILE_LACKS: Readonly<Record<string, readonly string[]>> = {
    "3.0": ["namespaces/mask/userns_create", "ipc/posix_mqueue", "ipc/sysv_mqueue", "io_uring"],
    // AppArmor 4.1's abi/4.0 (Debian 13): the parser warns "io_uring rules not enforced" under it
    "4.0": ["ipc/sysv_mqueue", "io_uring"],
};

/** One thing a profile needs from the hosts it goes to. */
export interface AbiRequirement {
    /** The rule as written in the profile (rendered), or the `abi` line. */
    readonly rule: string;
    /** The need's key in {@link ABI_NEEDS}, or "abi-file" for an `abi <abi/X>,` line. */
    readonly need: string;
    /** The kernel feature path it needs. */
    readonly feature?: string;
    /** Other feature paths that serve as well ({@link AbiNeed.alternatives}). */
    readonly alternatives?: readonly string[];
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
    const m = /^(userns|mqueue|io_uring|all|unix)\b/.exec(rest);
    if (m) {
        if (m[1] === "unix" && /^unix\s*,/.test(rest)) return out; // see isBareUnix
        if (m[1] === "mqueue")
            out.push(/type\s*=\s*sysv/.test(rest) ? "mqueue-sysv" : "mqueue-posix");
        else if (m[1] !== "all" || /^all\s*,/.test(rest)) out.push(m[1]);
    }
    return out;
}

/**
 * A `unix,` rule without access, type, protocol, address, label, attr, opt or peer (any qualifiers):
 * the parser's downgrade without `network/af_unix` is `network unix,`, the very same permission, so
 * it needs nothing from the host. Only a finer unix rule loses what it says.
 */
function isBareUnix(item: ProfileItem): boolean {
    const u = item as UnixRule;
    return (
        u.access.length === 0 &&
        [u.type, u.protocol, u.addr, u.label, u.attr, u.opt, u.peer].every((v) => v === undefined)
    );
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
            } else if (item.kind === "unix" && isBareUnix(item)) {
                // see isBareUnix: no need
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
 * What `source` needs from a host beyond AppArmor 3.0 (or a feature such as fine-grained unix): one
 * entry per rule (in every profile and hat) and need, with the rule's text, the feature and the first
 * parser accepting it, plus each `abi <abi/X>,` line's file. Empty for docker-default and other
 * profiles of AppArmor 3.0 rules without `unix` rules.
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
                    ...(n.alternatives ? { alternatives: n.alternatives } : {}),
                    ...(n.minParser ? { minParser: n.minParser } : {}),
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
