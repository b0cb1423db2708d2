/**
 * The registry of rule kinds: one module per kind in this folder, one entry per kind in `KINDS` here.
 * The parser, renderer, validator and `ruleCode` dispatch through it, and the model's `Rule` union is
 * derived from it, so a new kind is its module plus its entry (and import) below.
 */
import { allKind } from "./all";
import { capabilityKind } from "./capability";
import { changeProfileKind } from "./changeProfile";
import { dbusKind } from "./dbus";
import { fileKind } from "./file";
import { ioUringKind } from "./ioUring";
import type { RuleKind } from "./kind";
import { linkKind } from "./link";
import { mountKind, remountKind, umountKind } from "./mount";
import { mqueueKind } from "./mqueue";
import { networkKind } from "./network";
import { pivotRootKind } from "./pivotRoot";
import { ptraceKind } from "./ptrace";
import { rlimitKind } from "./rlimit";
import { signalKind } from "./signal";
import { unixKind } from "./unix";
import { usernsKind } from "./userns";

export type { RuleKind } from "./kind";

/** Every rule kind of the model. */
const KINDS = [
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
    usernsKind,
    mqueueKind,
    ioUringKind,
    allKind,
] as const;

/** The rule type of a kind module. */
type RuleOf<K> = K extends RuleKind<infer R> ? R : never;

/** Access rules (everything that grants, denies or audits something): the rules of {@link RULE_KINDS}. */
export type Rule = RuleOf<(typeof KINDS)[number]>;

/** Every rule kind of the model. */
export const RULE_KINDS: readonly RuleKind<Rule>[] = KINDS;

/** The kind a statement without a rule keyword is read as (`/path rw,`, `rw /path,`). */
export const DEFAULT_KIND: RuleKind<Rule> = fileKind;

const BY_KIND = new Map<string, RuleKind<Rule>>(RULE_KINDS.map((k) => [k.kind, k]));

/** The rule kind of a model `kind` discriminant (undefined for non-rule items and unknown kinds). */
export function ruleKind(kind: unknown): RuleKind<Rule> | undefined {
    return typeof kind === "string" ? BY_KIND.get(kind) : undefined;
}

/** Rule kinds by the keyword that starts them after qualifiers. */
export const QUALIFIED_KEYWORDS: ReadonlyMap<string, RuleKind<Rule>> = new Map(
    RULE_KINDS.filter((k) => !k.bare).flatMap((k) => k.keywords.map((w) => [w, k] as const)),
);

/** Rule kinds read before qualifiers (`set rlimit …`), by keyword. */
export const BARE_KEYWORDS: ReadonlyMap<string, RuleKind<Rule>> = new Map(
    RULE_KINDS.filter((k) => k.bare).flatMap((k) => k.keywords.map((w) => [w, k] as const)),
);
