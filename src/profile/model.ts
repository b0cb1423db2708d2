/**
 * Typed model of the AppArmor 3.x and 4.1 policy language.
 *
 * Everything here is plain data: readonly, JSON-serialisable (no classes, functions, `undefined`-only
 * semantics, Maps or Sets), so a model can be stored in Pulumi state and compared after a round trip
 * through JSON. Optional fields are simply left out when absent; a `false` boolean means the same as a
 * missing one.
 *
 * Every node has a `kind` discriminant. The shapes follow the grammar of `apparmor_parser` 3.0 and 4.1
 * (parser_yacc.y / apparmor.d(5)); anything the model does not type yet can be carried verbatim with a
 * {@link RawRule} (escape hatch; the parser uses it for conditionals and the forms the kinds do not type).
 *
 * String values (paths, globs, names, labels, …) are stored without surrounding quotes, with AppArmor's
 * own backslash escapes kept as written (a backslash-space stays two characters); the renderer adds quotes when a
 * value needs them. Variables such as `@{HOME}` and globs stay in the text as written.
 *
 * Each rule kind's type lives with its parser, renderer, validator and builder in `rules/<kind>.ts`;
 * this module re-exports them and holds the document structure and the shared pieces.
 */

import type { Rule } from "./rules";

export type { FileRule } from "./rules/file";
export type { LinkRule } from "./rules/link";
export type { CapabilityRule } from "./rules/capability";
export type { NetworkRule } from "./rules/network";
export type { MountCondition, MountRule, RemountRule, UmountRule } from "./rules/mount";
export type { PivotRootRule } from "./rules/pivotRoot";
export type { SignalRule } from "./rules/signal";
export type { PtraceRule } from "./rules/ptrace";
export type { UnixPeer, UnixRule } from "./rules/unix";
export type { DbusPeer, DbusRule } from "./rules/dbus";
export type { ChangeProfileRule } from "./rules/changeProfile";
export type { RlimitRule } from "./rules/rlimit";
export type { UsernsRule } from "./rules/userns";
export type { MqueueRule } from "./rules/mqueue";
export type { IoUringRule } from "./rules/ioUring";
export type { AllRule } from "./rules/all";

// ---------------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------------

/**
 * Rule qualifiers shared by every access rule: `audit`, and the rule mode `allow` / `deny`.
 * `allow` is the default; it is only recorded so that an explicit `allow` keyword survives a round
 * trip. Setting both `deny` and `allow` is invalid (the validator reports it).
 */
export interface Qualifiers {
    /**
     * `priority=N` prefix (AppArmor 4.1): among conflicting rules the highest priority wins; an integer
     * from {@link MIN_PRIORITY} to {@link MAX_PRIORITY}, absent = 0 (written only when set). Not
     * allowed on `network` and `all` rules.
     */
    readonly priority?: number;
    /** `audit` prefix: log accesses matched by this rule (for `deny`: log the denial). */
    readonly audit?: boolean;
    /** `deny` prefix: this rule removes permissions, and denials it causes are not logged. */
    readonly deny?: boolean;
    /** explicit `allow` prefix (the default mode). */
    readonly allow?: boolean;
}

/** Lowest rule priority AppArmor 4.1 accepts (`priority=-1000`). */
export const MIN_PRIORITY = -1000;
/** Highest rule priority AppArmor 4.1 accepts (`priority=1000`). */
export const MAX_PRIORITY = 1000;

/** A comment line. `text` is everything after the `#` (leading space kept, newline excluded). */
export interface Comment {
    readonly kind: "comment";
    readonly text: string;
}

/**
 * Escape hatch: policy text rendered verbatim (one or more lines, without the final newline), for
 * constructs the model does not type (e.g. `if` conditionals, boolean variables, the `prompt` mode).
 * Inside a profile it is indented like the other rules; it must carry its own trailing `,` if needed.
 */
export interface RawRule {
    readonly kind: "raw";
    readonly text: string;
}

// ---------------------------------------------------------------------------------------------------
// Preamble (also valid inside profiles where noted)
// ---------------------------------------------------------------------------------------------------

/** `abi <abi/3.0>,` or `abi "path",`. */
export interface Abi {
    readonly kind: "abi";
    readonly path: string;
    /** `angle` = `<path>` (search the include dirs, the usual form), `quoted` = `"path"`. */
    readonly form: "angle" | "quoted";
}

/**
 * `include <abstractions/base>`, `#include "/etc/x"`, `include if exists <local/foo>`.
 * Valid in the preamble and inside profiles.
 */
export interface Include {
    readonly kind: "include";
    readonly path: string;
    /** `angle` = `<path>` (relative to the include dirs), `quoted` = `"path"` (relative to the base dir or absolute). */
    readonly form: "angle" | "quoted";
    /** `include if exists …`: no error when the file is missing. */
    readonly ifExists?: boolean;
    /** written with the old `#include` spelling (same meaning; kept for round trips). */
    readonly hash?: boolean;
}

/**
 * Variable assignment `@{NAME} = v1 v2`, or append `@{NAME} += v3`.
 * `name` is without the `@{` `}` decoration.
 */
export interface VariableAssignment {
    readonly kind: "variable";
    readonly name: string;
    readonly op: "=" | "+=";
    /** values in order (each one may itself contain variables or `{a,b}` alternations). */
    readonly values: readonly string[];
}

/** `alias /usr/ -> /mnt/usr/,` */
export interface Alias {
    readonly kind: "alias";
    readonly from: string;
    readonly to: string;
}

/** Items allowed at the top level of a policy file before/between profiles. */
export type PreambleItem = Abi | Include | VariableAssignment | Alias | Comment | RawRule;

// ---------------------------------------------------------------------------------------------------
// Rules inside a profile
// ---------------------------------------------------------------------------------------------------

/** Plain file permissions: read, write, append, link, lock, mmap with PROT_EXEC. */
export type FileAccess = "r" | "w" | "a" | "l" | "k" | "m";

/**
 * Exec transition modes. `x` alone is only valid in `deny` rules. Upper-case letters = scrub the
 * environment; `i` inherit, `p` discrete profile, `c` child profile, `u` unconfined; `pix`/`cix` fall
 * back to inherit, `pux`/`cux` fall back to unconfined.
 */
export type ExecMode =
    | "x"
    | "ix"
    | "px"
    | "Px"
    | "cx"
    | "Cx"
    | "ux"
    | "Ux"
    | "pix"
    | "Pix"
    | "cix"
    | "Cix"
    | "pux"
    | "PUx"
    | "cux"
    | "CUx";

/** All exec modes, in rendering/validation order. */
export const EXEC_MODES: readonly ExecMode[] = [
    "x",
    "ix",
    "px",
    "Px",
    "cx",
    "Cx",
    "ux",
    "Ux",
    "pix",
    "Pix",
    "cix",
    "Cix",
    "pux",
    "PUx",
    "cux",
    "CUx",
];

/** Plain file access letters in canonical rendering order (as AppArmor's tools write them). */
export const FILE_ACCESS_ORDER: readonly FileAccess[] = ["m", "r", "w", "a", "l", "k"];

// The rule types (FileRule, NetworkRule, …) are declared in rules/<kind>.ts and re-exported above.

/** Access rules (everything that grants, denies or audits something): one per kind in `rules/`. */
export type { Rule } from "./rules";

/** Everything that can appear in a profile body (rules, includes, comments, raw text, hats/child profiles). */
export type ProfileItem = Rule | Include | Comment | RawRule | Profile;

// ---------------------------------------------------------------------------------------------------
// Profiles and files
// ---------------------------------------------------------------------------------------------------

/**
 * A profile: `profile NAME [ATTACHMENT] [xattrs=(…)] [flags=(…)] { … }`, the keyword-less form
 * `/usr/bin/foo { … }` (name = the path), or — nested — a hat `^NAME { … }` / child profile.
 */
export interface Profile {
    readonly kind: "profile";
    /** profile name (unquoted). A path name without attachment also attaches to that path. */
    readonly name: string;
    /** attachment path glob, when different from the name. */
    readonly attachment?: string;
    /** profile flags (open list): complain, audit, enforce, kill, unconfined, attach_disconnected, mediate_deleted, chroot_relative, … */
    readonly flags?: readonly string[];
    /** extended attribute conditions `xattrs=(key=value …)`. */
    readonly xattrs?: readonly { readonly key: string; readonly value?: string }[];
    /** a hat (`^name` / `hat name`): only meaningful as a child of another profile. */
    readonly hat?: boolean;
    /** body items in order; hats and child profiles are nested `Profile`s. */
    readonly rules: readonly ProfileItem[];
}

/** Items at the top level of a policy file. */
export type PolicyItem = PreambleItem | Profile;

/**
 * A whole policy file: preamble statements, comments and profiles in source order. This is what
 * `parseProfile` returns; `renderProfile` accepts a document or a single {@link Profile}.
 */
export interface PolicyDocument {
    readonly kind: "document";
    readonly items: readonly PolicyItem[];
}

/** Any node kind the renderer accepts at rule level. */
export type AnyItem = PolicyItem | ProfileItem;

// ---------------------------------------------------------------------------------------------------
// Structural equality
// ---------------------------------------------------------------------------------------------------

/**
 * Field names whose values are sets (order and duplicates irrelevant). Everywhere else arrays are
 * ordered (e.g. variable values, mount conditions, rules).
 */
const SET_FIELDS: ReadonlySet<string> = new Set(["access", "capabilities", "signals", "flags"]);

/** Whether an array field is compared as a set. Variable values and mount option values are ordered. */
function isSetField(_kind: unknown, field: string): boolean {
    return SET_FIELDS.has(field);
}

function normalize(value: unknown, kind: unknown, field: string): unknown {
    if (Array.isArray(value)) {
        const items = value.map((v) => normalize(v, undefined, ""));
        if (isSetField(kind, field)) {
            const keyed = new Map<string, unknown>();
            for (const it of items) keyed.set(JSON.stringify(it), it);
            return [...keyed.keys()].sort().map((k) => keyed.get(k));
        }
        return items;
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(obj).sort()) {
            const v = obj[key];
            // absent ≡ undefined ≡ false for optional flags
            if (v === undefined || v === false) continue;
            out[key] = normalize(v, obj.kind, key);
        }
        return out;
    }
    return value;
}

/**
 * Canonical JSON key of a node: equal keys ⇔ structurally equal nodes (set-valued fields compared as
 * sets, missing ≡ `false` ≡ `undefined`). Useful for de-duplicating rules.
 */
export function ruleKey(node: AnyItem | PolicyDocument): string {
    return JSON.stringify(normalize(node, undefined, ""));
}

/**
 * Structural equality of two rules (or any two model nodes): same kind, same fields, set-valued
 * fields (permissions, access sets, capabilities, signals, flags) compared as sets, and an absent optional field equal to `false`/`undefined`.
 */
export function rulesEqual(a: AnyItem | PolicyDocument, b: AnyItem | PolicyDocument): boolean {
    return ruleKey(a) === ruleKey(b);
}
