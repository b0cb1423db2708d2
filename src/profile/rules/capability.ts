/**
 * `capability [NAMES…],`: the Linux capabilities a profile grants (all of them when no name is given).
 */
import { checkStringArray, join, type Collector, type Obj, type ValueProblem } from "../check";
import type { Qualifiers } from "../model";
import { codePrefix, lit, prefix, sortedUnique, word } from "../quoting";
import { canon, qualifiers, type Prefix, type Scanner } from "../scanner";
import type { RuleKind } from "./kind";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `capability,` (all, when `capabilities` is empty) or `capability chown dac_override,`. */
export interface CapabilityRule extends Qualifiers {
    readonly kind: "capability";
    /** lower-case capability names without `CAP_` (a set); empty = all capabilities. */
    readonly capabilities: readonly string[];
}

/** Every Linux capability name (lower case, without `CAP_`), CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40). */
export const CAPABILITIES: readonly string[] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/** A capability name: lower case, without `CAP_`, one of {@link CAPABILITIES}. */
export function validateCapabilityName(name: string): ValueProblem {
    if (CAPABILITIES.includes(name)) return undefined;
    const lowered = String(name).toLowerCase().replace(/^cap_/, "");
    if (CAPABILITIES.includes(lowered)) {
        return {
            message: `capability ${JSON.stringify(name)} is not written the AppArmor way`,
            fix: `write ${lowered}`,
        };
    }
    return {
        message: `unknown capability ${JSON.stringify(name)}`,
        fix: `use one of the Linux capability names (e.g. chown, net_bind_service, sys_admin, bpf)`,
    };
}

/** `capability NAMES,` with the qualifiers `q`; no names = all capabilities. */
export function buildCapability(q: Qualifiers, names: readonly string[]): CapabilityRule {
    return { kind: "capability", ...q, capabilities: [...names] };
}

export const capabilityKind: RuleKind<CapabilityRule> = {
    kind: "capability",
    keywords: ["capability"],
    parse(s: Scanner, p: Prefix): CapabilityRule {
        s.pos += "capability".length;
        const caps: string[] = [];
        for (;;) {
            s.skipWs();
            if (s.peek() === ",") {
                s.pos++;
                break;
            }
            const w = s.word();
            if (!w) throw s.error("a capability name or ','");
            s.pos += w.length;
            caps.push(w);
        }
        return { kind: "capability", ...qualifiers(p), capabilities: canon(caps) };
    },
    render(r: CapabilityRule): string {
        const caps = sortedUnique(r.capabilities).map((c) => word(c, "capability"));
        return `${prefix(r)}capability${caps.map((c) => " " + c).join("")},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkStringArray(c, join(base, "capabilities"), r.capabilities, validateCapabilityName);
        if (!Array.isArray(r.capabilities))
            c.fail(join(base, "capabilities"), "must be a list", "use [] for all capabilities");
    },
    code(r: CapabilityRule): string {
        return `${codePrefix(r)}capability(${r.capabilities.map(lit).join(", ")})`;
    },
};
