/**
 * The registry of rule kinds: one module per kind in this folder, one line per kind here. The parser,
 * renderer, validator and `ruleCode` dispatch through it.
 */
import type { Rule } from "../model";
import { capabilityKind } from "./capability";
import { changeProfileKind } from "./changeProfile";
import { dbusKind } from "./dbus";
import { fileKind } from "./file";
import type { RuleKind } from "./kind";
import { linkKind } from "./link";
import { mountKind, remountKind, umountKind } from "./mount";
import { networkKind } from "./network";
import { pivotRootKind } from "./pivotRoot";
import { ptraceKind } from "./ptrace";
import { rlimitKind } from "./rlimit";
import { signalKind } from "./signal";
import { unixKind } from "./unix";

export type { RuleKind } from "./kind";

/** Every rule kind of the model. */
export const RULE_KINDS: readonly RuleKind[] = [
    fileKind,
    linkKind,
    capabilityKind,
    networkKind,
    mountKind,
    remountKind,
    umountKind,
    pivotRootKind,
    signalKind,
    ptraceKind,
    unixKind,
    dbusKind,
    changeProfileKind,
    rlimitKind,
];

/** The kind a statement without a rule keyword is read as (`/path rw,`, `rw /path,`). */
export const DEFAULT_KIND: RuleKind = fileKind;

const BY_KIND = new Map<string, RuleKind>(RULE_KINDS.map((k) => [k.kind, k]));

/** The rule kind of a model `kind` discriminant (undefined for non-rule items and unknown kinds). */
export function ruleKind(kind: unknown): RuleKind | undefined {
    return typeof kind === "string" ? BY_KIND.get(kind) : undefined;
}

/** Rule kinds by the keyword that starts them after qualifiers. */
export const QUALIFIED_KEYWORDS: ReadonlyMap<string, RuleKind> = new Map(
    RULE_KINDS.filter((k) => !k.bare).flatMap((k) => k.keywords.map((w) => [w, k] as const)),
);

/** Rule kinds read before qualifiers (`set rlimit …`), by keyword. */
export const BARE_KEYWORDS: ReadonlyMap<string, RuleKind> = new Map(
    RULE_KINDS.filter((k) => k.bare).flatMap((k) => k.keywords.map((w) => [w, k] as const)),
);

/** Renders a typed rule through its kind (undefined for a kind the registry does not know). */
export function renderTypedRule(rule: Rule): string | undefined {
    return ruleKind(rule.kind)?.render(rule);
}
