/**
 * Escape hatches in AppArmor policy text: rules that let a confined process leave its confinement
 * or reach the kernel's control files, and docker-default-derived profiles that dropped moby's own
 * `/proc` and `/sys` write denies. Works on the model from the library's own parser. Pure.
 */
import {
    compileGlob,
    documentVariables,
    type CompiledGlob,
    type GlobVariables,
} from "../profile/glob";
import { dockerDefaultModel } from "../profile/dockerDefault";
import type { ExecMode, FileRule, PolicyDocument, Profile, Rule } from "../profile/model";
import { ruleKey } from "../profile/model";
import { renderRule } from "../profile/render";
import { flattenProfiles, type FlatProfile } from "./profileRules";

/** The kinds of escape hatch (the `check` of a finding and of an allow-list entry). */
export const HATCH_CHECKS = [
    "unconfined-profile",
    "unconfined-exec",
    "change-profile-unconfined",
    "capability",
    "mount",
    "kernel-write",
    "moby-deny",
    "unchecked-raw",
] as const;
export type HatchCheck = (typeof HATCH_CHECKS)[number];

/** One escape hatch. */
export interface HatchFinding {
    readonly check: HatchCheck;
    /** Full name of the profile holding it (`parent//child` for children and hats). */
    readonly profile: string;
    /** The rule as policy text (or the flag), for messages. */
    readonly rule: string;
    /**
     * What an allow-list entry's `match` is compared with: the exec path (`unconfined-exec`), the
     * change_profile target or `*` (`change-profile-unconfined`), the capability name, the rule text
     * (`mount`, `unconfined-profile`, `unchecked-raw`), the rule's path or the kernel file it reaches
     * (`kernel-write`), moby's deny path (`moby-deny`).
     */
    readonly subject: string;
    /** What is wrong. */
    readonly message: string;
    /** How to fix it. */
    readonly fix: string;
}

/** Options of {@link findEscapeHatches}. */
export interface HatchOptions {
    /** Capabilities that must not be granted. Defaults to {@link DEFAULT_DANGEROUS_CAPABILITIES}. */
    readonly dangerousCapabilities?: readonly string[];
    /**
     * Count a bare `capability,` (all capabilities; docker-default has it and leaves the limit to
     * docker's capability set) as granting the dangerous ones. Defaults to false.
     */
    readonly bareCapabilityGrantsAll?: boolean;
}

/**
 * `sys_admin`, `sys_module`, `sys_ptrace` (mount and namespace tricks, kernel modules, tracing other
 * processes) and `mac_admin`, `mac_override` (changing or bypassing AppArmor policy itself).
 */
export const DEFAULT_DANGEROUS_CAPABILITIES: readonly string[] = [
    "sys_admin",
    "sys_module",
    "sys_ptrace",
    "mac_admin",
    "mac_override",
];

/** Exec modes that run the target without confinement (directly or as a fallback). */
export const UNCONFINED_EXEC_MODES: readonly ExecMode[] = ["ux", "Ux", "pux", "PUx", "cux", "CUx"];

/** Path starts a rule may not grant writes under, written out explicitly. */
export const KERNEL_WRITE_AREAS: readonly string[] = ["/proc/sysrq-trigger", "/proc/sys/", "/sys/"];

/**
 * Kernel control files a broad write grant (`file,`, `/** w,`, `@{PROC}/** w,` …) must leave
 * denied. Chosen among what moby's docker-default denies (it deliberately leaves
 * `/proc/sys/kernel/shm*` and `/sys/fs/cgroup/**` writable: namespaced, or mounted read-only).
 */
export const KERNEL_WRITE_PROBES: readonly string[] = [
    "/proc/sysrq-trigger",
    "/proc/sys/kernel/core_pattern",
    "/proc/sys/kernel/modprobe",
    "/proc/sys/kernel/panic",
    "/proc/sys/vm/drop_caches",
    "/proc/sys/fs/binfmt_misc/register",
    "/proc/sys/net/ipv4/ip_forward",
    "/sys/kernel/uevent_helper",
    "/sys/kernel/security/apparmor/.replace",
    "/sys/module/apparmor/parameters/enabled",
    "/sys/power/state",
    "/sys/firmware/efi/efivars/x",
    "/sys/fs/fuse/connections/1/abort",
    "/sys/devices/system/cpu/cpu1/online",
    "/sys/class/net/eth0/mtu",
    "/sys/bus/pci/rescan",
];

const MOBY = (() => {
    const doc = dockerDefaultModel({ name: "docker-default", comments: false });
    const p = doc.items.find((i): i is Profile => i.kind === "profile")!;
    const denies = p.rules.filter((r): r is Rule => "deny" in r && r.deny === true);
    return {
        denyKeys: new Set(denies.map((r) => ruleKey({ ...r, audit: false } as Rule))),
        writeDenies: denies.filter(
            (r): r is FileRule =>
                r.kind === "file" &&
                (r.path?.startsWith("@{PROC}/") || r.path?.startsWith("/sys/") || false) &&
                r.access.includes("w"),
        ),
    };
})();

/** moby's docker-default `/proc` and `/sys` write-deny rules (what `moby-deny` requires kept). */
export const MOBY_WRITE_DENIES: readonly FileRule[] = MOBY.writeDenies;

/** Whether a rule is one of moby's docker-default deny rules (its `audit` prefix ignored). */
export function isDockerDefaultDeny(rule: Rule): boolean {
    return (
        "deny" in rule &&
        rule.deny === true &&
        MOBY.denyKeys.has(ruleKey({ ...rule, audit: false } as Rule))
    );
}

/**
 * Whether a document is docker-default-derived: it says so in a comment (as the library's template
 * does), lets runc signal it (`signal (receive) peer=runc,`, moby's rule), or keeps at least two of
 * moby's deny rules.
 */
export function isDockerDefaultDerived(doc: PolicyDocument): boolean {
    if (doc.items.some((i) => i.kind === "comment" && i.text.includes("docker-default")))
        return true;
    for (const fp of flattenProfiles(doc)) {
        if (!fp.topLevel) continue;
        if (fp.profile.rules.some((i) => i.kind === "comment" && i.text.includes("docker-default")))
            return true;
        if (fp.rules.some((r) => r.kind === "signal" && !r.deny && r.peer === "runc")) return true;
        if (fp.rules.filter(isDockerDefaultDeny).length >= 2) return true;
    }
    return false;
}

const line = (r: Rule): string => renderRule(r).trim();
const hasWrite = (r: FileRule): boolean =>
    r.access.includes("w") ||
    r.access.includes("a") ||
    (r.path === undefined && r.access.length === 0 && !r.exec);

/** Every escape hatch of a parsed policy document. */
export function findEscapeHatches(doc: PolicyDocument, opts: HatchOptions = {}): HatchFinding[] {
    const vars = documentVariables(doc);
    const derived = isDockerDefaultDerived(doc);
    const out: HatchFinding[] = [];
    for (const fp of flattenProfiles(doc)) {
        out.push(...unconfinedProfile(fp));
        out.push(...execAndChangeProfile(fp, vars));
        out.push(...capabilities(fp, opts));
        out.push(...mounts(fp));
        out.push(...kernelWrites(fp, vars));
        if (derived && fp.topLevel) out.push(...mobyDenies(fp, vars));
        for (const u of fp.unreadable)
            out.push({
                check: "unchecked-raw",
                profile: fp.name,
                rule: u.text.replace(/\n/g, " "),
                subject: u.text.replace(/\n/g, " "),
                message: `a block the policy cannot read (${u.error}), so its rules were not checked`,
                fix: 'write the block\'s rules as plain rules, or allow-list it with check "unchecked-raw"',
            });
    }
    return out;
}

function unconfinedProfile(fp: FlatProfile): HatchFinding[] {
    const out: HatchFinding[] = [];
    if (fp.profile.flags?.includes("unconfined"))
        out.push({
            check: "unconfined-profile",
            profile: fp.name,
            rule: "flags=(unconfined)",
            subject: "flags=(unconfined)",
            message: "the `unconfined` flag makes the profile allow everything",
            fix: "remove `unconfined` from the profile's flags",
        });
    // `[audit] [allow] all,` (AppArmor 4); `deny all,` takes everything away instead.
    for (const r of fp.rules) {
        if (r.kind !== "all" || r.deny) continue;
        const text = line(r);
        out.push({
            check: "unconfined-profile",
            profile: fp.name,
            rule: text,
            subject: text,
            message: "the `all` rule (AppArmor 4) allows every access",
            fix: "replace `all,` with the rules the program needs",
        });
    }
    // … and in raw text the parser keeps (e.g. with a `priority=` prefix AppArmor rejects there)
    for (const raw of fp.rawRules) {
        const words = raw.split(/[\s,]+/).filter((w) => w !== "" && !w.startsWith("priority"));
        const kind = words.find((w) => w !== "audit" && w !== "allow" && w !== "deny");
        if (kind === "all" && !words.slice(0, words.indexOf("all")).includes("deny"))
            out.push({
                check: "unconfined-profile",
                profile: fp.name,
                rule: raw,
                subject: raw,
                message: "the `all` rule (AppArmor 4) allows every access",
                fix: "replace `all,` with the rules the program needs",
            });
    }
    return out;
}

function execAndChangeProfile(fp: FlatProfile, vars: GlobVariables): HatchFinding[] {
    const out: HatchFinding[] = [];
    for (const r of fp.rules) {
        if (r.kind === "file" && !r.deny && r.exec && UNCONFINED_EXEC_MODES.includes(r.exec)) {
            const fallback = r.exec.length === 3;
            out.push({
                check: "unconfined-exec",
                profile: fp.name,
                rule: line(r),
                subject: r.path ?? "*",
                message: fallback
                    ? `\`${line(r)}\` runs ${r.path} unconfined when its profile is not loaded (exec mode ${r.exec})`
                    : `\`${line(r)}\` runs ${r.path} unconfined (exec mode ${r.exec}): whatever it does is outside the profile`,
                fix: `use ix (inherit this profile), or px/cx to a confined profile without the unconfined fallback`,
            });
        }
        if (r.kind === "change_profile" && !r.deny) {
            const toAny = r.target === undefined;
            if (toAny || compileGlob(r.target!, vars).matches("unconfined"))
                out.push({
                    check: "change-profile-unconfined",
                    profile: fp.name,
                    rule: line(r),
                    subject: r.target ?? "*",
                    message: toAny
                        ? `\`${line(r)}\` lets the process change to any profile, including unconfined`
                        : `\`${line(r)}\` lets the process change to unconfined (target ${r.target})`,
                    fix: "name the confined profiles it may change to (`change_profile -> NAME,`)",
                });
        }
    }
    return out;
}

function capabilities(fp: FlatProfile, opts: HatchOptions): HatchFinding[] {
    const dangerous = opts.dangerousCapabilities ?? DEFAULT_DANGEROUS_CAPABILITIES;
    const denied = new Set<string>();
    let allDenied = false;
    for (const r of fp.rules)
        if (r.kind === "capability" && r.deny) {
            if (r.capabilities.length === 0) allDenied = true;
            r.capabilities.forEach((c) => denied.add(c));
        }
    const out: HatchFinding[] = [];
    if (allDenied) return out;
    for (const r of fp.rules) {
        if (r.kind !== "capability" || r.deny) continue;
        const bare = r.capabilities.length === 0;
        if (bare && !opts.bareCapabilityGrantsAll) continue;
        const granted = (bare ? dangerous : r.capabilities).filter(
            (c) => dangerous.includes(c) && !denied.has(c),
        );
        for (const c of granted)
            out.push({
                check: "capability",
                profile: fp.name,
                rule: line(r),
                subject: c,
                message: `\`${line(r)}\` grants capability ${c}${bare ? " (a bare `capability,` grants all)" : ""}`,
                fix: `remove ${c} from the rule, or add \`deny capability ${c},\``,
            });
    }
    return out;
}

function mounts(fp: FlatProfile): HatchFinding[] {
    return fp.rules
        .filter(
            (r) =>
                (r.kind === "mount" || r.kind === "remount" || r.kind === "pivot_root") && !r.deny,
        )
        .map((r) => ({
            check: "mount" as const,
            profile: fp.name,
            rule: line(r),
            subject: line(r),
            message: `\`${line(r)}\` allows ${r.kind === "pivot_root" ? "pivot_root" : "mounting"}: a process can remount or shadow paths the profile protects`,
            fix: "remove the rule (docker-default has `deny mount,`); mount what the container needs with docker volumes",
        }));
}

/** A file rule's path pattern (the bare `file,` rule covers every path). */
function pathGlob(r: FileRule, vars: GlobVariables): CompiledGlob {
    return compileGlob(r.path ?? "/**", vars);
}

function kernelWrites(fp: FlatProfile, vars: GlobVariables): HatchFinding[] {
    const files = fp.rules.filter((r): r is FileRule => r.kind === "file");
    // A deny that covers writes for every owner (an `owner` deny leaves other owners' files open).
    const denies = files
        .filter(
            (r) =>
                r.deny &&
                !r.owner &&
                (r.access.includes("w") || (r.path === undefined && r.access.length === 0)),
        )
        .map((r) => pathGlob(r, vars));
    const out: HatchFinding[] = [];
    for (const r of files) {
        if (r.deny || !hasWrite(r)) continue;
        const g = pathGlob(r, vars);
        const explicit =
            r.path !== undefined &&
            g.literalPrefixes().some((p) => KERNEL_WRITE_AREAS.some((a) => p.startsWith(a)));
        if (explicit) {
            out.push({
                check: "kernel-write",
                profile: fp.name,
                rule: line(r),
                subject: r.path!,
                message: `\`${line(r)}\` grants writes to kernel control files (${r.path})`,
                fix: "remove the rule: writes under /proc/sys, /sys and to /proc/sysrq-trigger change the host's kernel",
            });
            continue;
        }
        const open = KERNEL_WRITE_PROBES.filter(
            (p) => g.matches(p) && !denies.some((d) => d.matches(p)),
        );
        if (open.length > 0)
            out.push({
                check: "kernel-write",
                profile: fp.name,
                rule: line(r),
                subject: open[0],
                message:
                    `\`${line(r)}\` allows writing ${open.slice(0, 3).join(", ")}` +
                    `${open.length > 3 ? ` and ${open.length - 3} more kernel files` : ""}, and no deny rule covers ${open.length > 1 ? "them" : "it"}`,
                fix: "keep moby's /proc and /sys write denies (dockerDefault() has them), or narrow the rule's path",
            });
    }
    return out;
}

function mobyDenies(fp: FlatProfile, vars: GlobVariables): HatchFinding[] {
    const denies = fp.rules.filter((r): r is FileRule => r.kind === "file" && !!r.deny && !r.owner);
    const out: HatchFinding[] = [];
    for (const m of MOBY_WRITE_DENIES) {
        const mPath = compileGlob(m.path!, vars).expansions[0];
        const kept = denies.some((d) => {
            const all = d.path === undefined && d.access.length === 0;
            if (
                !all &&
                (!m.access.every((a) => d.access.includes(a)) || (m.exec === "x" && d.exec !== "x"))
            )
                return false;
            if (all) return true;
            const dPaths = compileGlob(d.path!, vars).expansions;
            // the same pattern, or `P**` for a P that moby's path starts with (covers all of it)
            return dPaths.some(
                (p) =>
                    p === mPath ||
                    (p.endsWith("**") &&
                        !/[*?[{\\]/.test(p.slice(0, -2)) &&
                        mPath.startsWith(p.slice(0, -2))),
            );
        });
        if (!kept)
            out.push({
                check: "moby-deny",
                profile: fp.name,
                rule: line(m),
                subject: m.path!,
                message: `this docker-default-derived profile dropped moby's \`${line(m)}\``,
                fix: `keep \`${line(m)}\` (build the profile with dockerDefault() and add rules with .with(…))`,
            });
    }
    return out;
}

/** A `deny` rule without `audit`: what it refuses is never logged. */
export interface QuietDeny {
    /** Full name of the profile holding it. */
    readonly profile: string;
    /** The rule as policy text. */
    readonly rule: string;
}

/**
 * The deny rules of a document that are not `audit deny` (AppArmor never logs what they refuse);
 * with `ignoreDockerDefaultDenies`, moby's own template denies are left out (a busy host hits them
 * constantly; `Profile`'s `auditDenies: "user"` keeps them quiet too).
 */
export function findQuietDenies(
    doc: PolicyDocument,
    opts: { readonly ignoreDockerDefaultDenies?: boolean } = {},
): QuietDeny[] {
    const out: QuietDeny[] = [];
    for (const fp of flattenProfiles(doc))
        for (const r of fp.rules) {
            if (!("deny" in r) || !r.deny || r.audit) continue;
            if (opts.ignoreDockerDefaultDenies && isDockerDefaultDeny(r)) continue;
            out.push({ profile: fp.name, rule: line(r) });
        }
    return out;
}
