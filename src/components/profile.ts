/**
 * `apparmor:index:Profile`: one AppArmor profile provisioned on one or more hosts over SSH.
 *
 * Children, per host: a `command.remote.Command` that prepares the host (installs apparmor +
 * apparmor-utils when `apparmor_parser` is missing, creates the directory) and a `HostProfile`
 * dynamic resource that installs, refreshes (status, denials, drift) and removes the profile.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as core from "../profile";
import { AUDIT_DENIES, auditDenies, quietDenies, type AuditDenies } from "../profile/auditDenies";
import { toModel, type ProfileSource } from "../profile/builders";
import { validateProfile } from "../profile/validate";
import type { HostDenials, HostVersions, ProfileMode } from "../state";
import {
    ArgProblem,
    connectionLabel,
    DEFAULT_STEP_TIMEOUT,
    HostConnectionArgs,
    hostKeyOf,
    printable,
    secretConnection,
    validateConnection,
} from "./connection";
import { HostProfile } from "./hostProfile";
import { hostIdentity, hostKeyFor } from "./hostKey";
import { planWaves, rolloutSettings, validateRollout, type RolloutArgs } from "./rollout/args";
import { RolloutWave } from "./rollout/resource";
import { PROFILE_NAME_RE } from "./hostProfileProvider";
import { validateHostDirectory } from "../host";
import { prepareScript } from "./hostops";
import { installHeaderProblem } from "../host/header";

/** Arguments of {@link Profile}. Exactly one of `profile`, `profileText` and `profileFile`. */
export interface ProfileArgs {
    /**
     * Hosts to provision, each an SSH connection (credentials as secrets). The profile is installed
     * on all of them in parallel. Required, at least one.
     */
    readonly hosts: HostConnectionArgs[];
    /**
     * The profile as a typed model, e.g. `dockerDefault({ name }).with(deny.file("/tmp/a/**", "rwlx"))`.
     * Defaults to none (then `profileText` or `profileFile` is required).
     */
    readonly profile?: ProfileSource;
    /** The profile as AppArmor policy text (one top-level `profile NAME … { … }`). Defaults to none. */
    readonly profileText?: pulumi.Input<string>;
    /** Path of a local file holding the profile text, read when the program runs. Defaults to none. */
    readonly profileFile?: string;
    /** `enforce` denies and logs; `complain` allows and logs `ALLOWED`. Defaults to "enforce". */
    readonly mode?: pulumi.Input<ProfileMode>;
    /**
     * Directory of the profile file on each host: below `/etc/apparmor.d`, not one of AppArmor's own
     * trees (abstractions, tunables, local, abi, disable, force-complain, cache, `*.d`); every
     * existing component must be a root-owned directory not writable by group or others (checked on
     * the host before anything is written). Defaults to "/etc/apparmor.d/containers".
     */
    readonly directory?: pulumi.Input<string>;
    /**
     * Take over a profile file (`directory/NAME`) or a loaded profile of the same name that
     * pulumi-apparmor did not install. Without it such a host fails the install (code `unmanaged`)
     * and nothing there is changed. With it, the original file and loaded policy are kept on the
     * host (under `/var/lib/pulumi-apparmor/adopted`) and deleting this resource restores both (the
     * file, and the very same compiled policy reloaded) instead of removing the profile.
     * Defaults to false.
     */
    readonly adopt?: pulumi.Input<boolean>;
    /**
     * What deleting the profile does when processes on a host still run confined by it (unloading
     * a profile leaves them running unconfined, silently). Containers of this stack are deleted
     * before their profile, so these are someone else's. "refuse": after waiting up to 10 s for
     * them to go, the delete fails naming the host, the profile and the process count, and nothing
     * is changed; "remove": unload anyway. Defaults to "refuse".
     */
    readonly onDeleteInUse?: pulumi.Input<"refuse" | "remove">;
    /**
     * Which deny rules of a `profile` model are rendered `audit deny`, so that what they refuse is
     * logged and reaches the `denials` output (AppArmor never logs what a plain `deny` refuses).
     * `audit` changes logging only: the permissions stay the same. "user": the deny rules you add are
     * audited, while the docker-default template's own denies stay quiet as in moby's profile (a busy
     * host hits them constantly); "all": every deny rule; "none": the rules as written. Policy text
     * (`profileText`, `profileFile`) is installed as written: write `audit deny` in it. A preview
     * warning names the deny rules that stay quiet. Defaults to "user".
     */
    readonly auditDenies?: AuditDenies;
    /**
     * Prepare each host with a `remote.Command` first (install `apparmor`/`apparmor-utils` with
     * apt-get when `apparmor_parser` is missing, create `directory`). Defaults to true.
     */
    readonly prepareHosts?: boolean;
    /**
     * Roll a new version out in waves over `hosts` (in its order), each gated on the denials the new
     * version causes during a soak, optionally loading it in complain mode first (see
     * {@link RolloutArgs}). Defaults to none: every host gets a new version at once, straight in its mode.
     */
    readonly rollout?: RolloutArgs;
    /**
     * Load the profile as `NAME-<first 8 hex digits of its version>`: a content change loads a new
     * profile beside the old one, containers linked with {@link ProfiledContainer} (or
     * `securityOpt`) move onto it (they are replaced), and the old profile is removed once nothing
     * runs under it. The text is re-rendered canonically with the new name (self-references such as
     * `ptrace peer=NAME` follow). Defaults to false (the profile keeps its name and is reloaded in place).
     */
    readonly versionedName?: boolean;
}

export const DEFAULT_DIRECTORY = "/etc/apparmor.d/containers";

/** The profile text, its name and version, computed from the args (pure). */
export interface ResolvedProfile {
    readonly name: string;
    readonly text: string;
    readonly version: string;
    /** Deny rules that stay quiet (not logged), for the preview warning. */
    readonly quietDenies?: readonly string[];
}

/** The one top-level profile of a model. */
function mainProfile(model: core.Profile | core.PolicyDocument): core.Profile[] {
    if (model.kind === "profile") return [model];
    return model.items.filter((i): i is core.Profile => i.kind === "profile");
}

/** Validation problems of a model, with the field they come from. */
function modelProblems(model: core.Profile | core.PolicyDocument, field: string): ArgProblem[] {
    const out: ArgProblem[] = [];
    const profiles = mainProfile(model);
    if (profiles.length !== 1)
        out.push({
            field,
            message: `has ${profiles.length} top-level profiles`,
            fix: "keep exactly one `profile NAME { … }` per Profile resource",
        });
    for (const p of validateProfile(model, { container: true }))
        out.push({
            field: p.path ? `${field}: ${p.path}` : field,
            message: p.message,
            fix: p.fix,
        });
    const name = profiles[0]?.name;
    if (name !== undefined && !PROFILE_NAME_RE.test(name))
        out.push({
            field: `${field}: name`,
            message: `profile name "${printable(name)}" cannot be used as a file name`,
            fix: "use 1–200 characters among A-Z a-z 0-9 . _ + -",
        });
    return out;
}

/**
 * Resolves a model: its deny rules audited as `audit` says (see {@link ProfileArgs.auditDenies}),
 * validated as a container profile, rendered and hashed. Returns the problems as a list.
 */
export function resolveModel(
    source: ProfileSource,
    field = "profile",
    audit: AuditDenies = "user",
): { resolved?: ResolvedProfile; problems: ArgProblem[] } {
    let model: core.Profile | core.PolicyDocument;
    try {
        model = auditDenies(toModel(source), audit);
    } catch (e) {
        return { problems: [{ field, message: (e as Error).message, fix: "pass one profile" }] };
    }
    const problems = modelProblems(model, field);
    if (problems.length > 0) return { problems };
    const name = mainProfile(model)[0].name;
    const text = core.renderProfile(model);
    // The version is `core.profileVersion(model)`, the sha256 of this same rendered text: hashed
    // here so the model is rendered once.
    const version = createHash("sha256").update(text, "utf8").digest("hex");
    return { resolved: { name, text, version, quietDenies: quietDenies(model, audit) }, problems };
}

/** Resolves policy text (installed verbatim; the version is that of its parsed canonical form). */
export function resolveText(
    text: string,
    field: string,
): { resolved?: ResolvedProfile; problems: ArgProblem[] } {
    let doc: core.PolicyDocument;
    try {
        doc = core.parseProfile(text);
    } catch (e) {
        return {
            problems: [{ field, message: (e as Error).message, fix: "correct the policy text" }],
        };
    }
    const problems = modelProblems(doc, field);
    if (problems.length > 0) return { problems };
    const name = mainProfile(doc)[0].name;
    const header = installHeaderProblem(text, name);
    if (header) return { problems: [{ field, ...header }] };
    return {
        resolved: {
            name,
            text: text.endsWith("\n") ? text : `${text}\n`,
            version: core.profileVersion(doc),
            quietDenies: quietDenies(doc, "none"),
        },
        problems,
    };
}

/** Length of the version suffix of a versioned name (`NAME-1a2b3c4d`). */
export const VERSION_SUFFIX_HEX = 8;

/**
 * The resolved profile under its versioned name `NAME-<8 hex of version>` (see
 * {@link ProfileArgs.versionedName}): parsed, renamed and rendered canonically; the version stays the
 * content version of the original text.
 */
export function versionedProfile(
    r: ResolvedProfile,
    field: string,
): {
    resolved?: ResolvedProfile;
    problems: ArgProblem[];
} {
    const name = `${r.name}-${r.version.slice(0, VERSION_SUFFIX_HEX)}`;
    if (!PROFILE_NAME_RE.test(name))
        return {
            problems: [
                {
                    field: `${field}: name`,
                    message: `the versioned name "${printable(name)}" is too long`,
                    fix: `use a profile name of at most ${200 - VERSION_SUFFIX_HEX - 1} characters`,
                },
            ],
        };
    const doc = core.renameProfile(core.parseProfile(r.text), r.name, name);
    return {
        resolved: {
            name,
            text: core.renderProfile(doc),
            version: r.version,
            quietDenies: r.quietDenies,
        },
        problems: [],
    };
}

/**
 * Validates the plain parts of {@link ProfileArgs} (pure). Values that are still Outputs are
 * validated later, with the same rules, when they are known (still at preview when possible).
 */
export function validateProfileArgs(args: Partial<ProfileArgs>): ArgProblem[] {
    return checkProfileArgs(args).problems;
}

/**
 * {@link validateProfileArgs}, plus the resolved profile when it is known now (a model, a file, or
 * plain text), so the component validates, renders and hashes it once.
 */
function checkProfileArgs(args: Partial<ProfileArgs>): {
    problems: ArgProblem[];
    resolved?: ResolvedProfile;
} {
    const out: ArgProblem[] = [];
    const given = [args.profile, args.profileText, args.profileFile].filter((v) => v !== undefined);
    if (given.length > 1)
        throw new Error("Only one of [profile], [profileText] and [profileFile] can be specified");
    if (given.length === 0)
        out.push({
            field: "profile",
            message: "no profile given",
            fix: "set one of profile, profileText or profileFile",
        });
    if (!Array.isArray(args.hosts) || args.hosts.length === 0)
        out.push({
            field: "hosts",
            message: "no hosts given",
            fix: "list at least one SSH connection",
        });
    else {
        const keys = new Map<string, number>();
        args.hosts.forEach((h, i) => {
            out.push(...validateConnection(h, `hosts[${i}]`));
            const k = hostKeyOf(h, i);
            if (keys.has(k))
                out.push({
                    field: `hosts[${i}]`,
                    message: `same host key "${k}" as hosts[${keys.get(k)}]`,
                    fix: "list each host once, or give them distinct `name`s",
                });
            keys.set(k, i);
        });
    }
    if (typeof args.mode === "string" && args.mode !== "enforce" && args.mode !== "complain")
        out.push({
            field: "mode",
            message: `"${printable(args.mode)}" is not a mode`,
            fix: 'use "enforce" or "complain"',
        });
    if (args.auditDenies !== undefined && !AUDIT_DENIES.includes(args.auditDenies))
        out.push({
            field: "auditDenies",
            message: `"${printable(String(args.auditDenies))}" is not a choice`,
            fix: 'use "user", "all" or "none"',
        });
    else if (
        args.auditDenies !== undefined &&
        args.auditDenies !== "none" &&
        args.profile === undefined &&
        given.length > 0
    )
        out.push({
            field: "auditDenies",
            message:
                "rewrites the deny rules of a `profile` model; policy text is installed as written",
            fix: "write `audit deny` in the text (or pass profile: parseProfile(text)), or drop auditDenies",
        });
    if (typeof args.directory === "string") {
        const why = validateHostDirectory(args.directory);
        if (why)
            out.push({ field: "directory", message: why, fix: `use e.g. ${DEFAULT_DIRECTORY}` });
    }
    // adopt and onDeleteInUse given as Outputs are checked by the provider's `check`.
    if (isPlain(args.adopt) && typeof args.adopt !== "boolean")
        out.push({
            field: "adopt",
            message: `"${printable(String(args.adopt))}" is not a boolean`,
            fix: "use true (take over an unmanaged profile of the same name) or false",
        });
    if (
        isPlain(args.onDeleteInUse) &&
        args.onDeleteInUse !== "refuse" &&
        args.onDeleteInUse !== "remove"
    )
        out.push({
            field: "onDeleteInUse",
            message: `"${printable(String(args.onDeleteInUse))}" is not a choice`,
            fix: 'use "refuse" (keep a profile still in use) or "remove" (unload it anyway)',
        });
    let profile: { resolved?: ResolvedProfile; problems: ArgProblem[] } | undefined;
    if (args.profile !== undefined)
        profile = resolveModel(
            args.profile,
            "profile",
            AUDIT_DENIES.includes(args.auditDenies as AuditDenies)
                ? (args.auditDenies as AuditDenies)
                : "user",
        );
    if (typeof args.profileText === "string")
        profile = resolveText(args.profileText, "profileText");
    if (args.profileFile !== undefined) {
        let text: string | undefined;
        try {
            // Bytes first: a file that is not UTF-8 would decode with replacement characters, and
            // the host would then get (and hash) other bytes than the file holds.
            const decoded = core.decodeUtf8Exact(fs.readFileSync(args.profileFile));
            if ("text" in decoded) text = decoded.text;
            else
                out.push({
                    field: "profileFile",
                    message: `${args.profileFile} is not valid UTF-8: ${core.describeUtf8Problem(decoded.problem)}`,
                    fix:
                        `in a path write the byte as ${core.octalEscapeWords(decoded.problem.byte)} ` +
                        "(the same byte for apparmor_parser); in a comment convert the file to UTF-8 " +
                        "(iconv -f latin1 -t utf-8)",
                });
        } catch (e) {
            out.push({
                field: "profileFile",
                message: `cannot read ${args.profileFile}: ${(e as NodeJS.ErrnoException).code ?? e}`,
                fix: "give the path of a readable profile file (relative to the program's directory)",
            });
        }
        if (text !== undefined) profile = resolveText(text, "profileFile");
    }
    if (Array.isArray(args.hosts)) out.push(...validateRollout(args.rollout, args.hosts.length));
    if (args.versionedName !== undefined && typeof args.versionedName !== "boolean")
        out.push({
            field: "versionedName",
            message: `${JSON.stringify(args.versionedName)} is not a boolean`,
            fix: "use true or false",
        });
    if (args.versionedName === true && args.rollout !== undefined)
        out.push({
            field: "rollout",
            message: "cannot be combined with versionedName",
            fix:
                "use one of them: a versioned name moves the containers onto a new profile (they are " +
                "replaced), so a wave has nothing to soak before the containers move",
        });
    if (profile) out.push(...profile.problems);
    if (args.versionedName === true && profile?.resolved && out.length === 0)
        profile = versionedProfile(
            profile.resolved,
            args.profile !== undefined
                ? "profile"
                : args.profileText !== undefined
                  ? "profileText"
                  : "profileFile",
        );
    if (profile && args.versionedName === true) out.push(...profile.problems);
    return { problems: out, resolved: out.length === 0 ? profile?.resolved : undefined };
}

/** A value given as is (not an Output or a Promise, not undefined), so it can be validated now. */
export function isPlain(v: unknown): boolean {
    return (
        v !== undefined &&
        !pulumi.Output.isInstance(v) &&
        typeof (v as { then?: unknown } | null)?.then !== "function"
    );
}

/** The error a component throws for bad arguments: resource, fields and fixes. */
export function argsError(type: string, name: string, problems: readonly ArgProblem[]): Error {
    const lines = problems.map((p) => `  - ${p.field}: ${p.message} (fix: ${p.fix})`);
    return new Error(`${type} "${name}": invalid arguments:\n${lines.join("\n")}`);
}

/** One host's entry of {@link Profile.versions}. */
export type VersionsOutput = Record<string, HostVersions>;

/**
 * {@link Profile.hostAbi}: per host key, the host's AppArmor as the last install or refresh read it:
 * `parserVersion` (`apparmor_parser --version`, e.g. "3.0.8"; null when not installed), `kernel`
 * (`uname -r`), `abi` (the ABI files in /etc/apparmor.d/abi/ that `abi <abi/X>,` may name, e.g.
 * ["3.0"]) and `features` (the kernel's feature paths from /sys/kernel/security/apparmor/features,
 * e.g. "namespaces/mask/userns_create" when it mediates user namespaces), and `parserConf` when
 * /etc/apparmor/parser.conf pins the parser's feature sets (`policy`, `kernel`, `override`: each
 * `{path, features}`; Debian 13 pins `policy` to /usr/share/apparmor-features/features).
 */
export type HostAbiOutput = Record<string, core.HostAbiFacts>;

/**
 * An AppArmor profile provisioned on hosts over SSH, with its versions, denials and drift in stack
 * state. Use {@link Profile.securityOpt} in a `docker.Container`'s `securityOpts` (the dependency
 * makes the profile load before the container is created and unload after it is deleted), or
 * {@link ProfiledContainer}, which also verifies the container's real label.
 */
export class Profile extends pulumi.ComponentResource {
    /** The profile's name (`profile NAME`), as loaded on every host. */
    public readonly profileName: pulumi.Output<string>;
    /** `apparmor=NAME`, for `docker.Container.securityOpts`; depends on every host's profile. */
    public readonly securityOpt: pulumi.Output<string>;
    /** Per host: installed version (sha256), mode, load time and the last few versions. */
    public readonly versions: pulumi.Output<VersionsOutput>;
    /** Per host: denials per profile version (counts, first/last seen, samples) and the log cursor. */
    public readonly denials: pulumi.Output<Record<string, HostDenials>>;
    /** Per host: drift found by the last refresh (empty when in sync). */
    public readonly drift: pulumi.Output<Record<string, string[]>>;
    /**
     * Per host: its AppArmor parser version, kernel, ABI files, kernel features and parser.conf pins,
     * as the last install or refresh read them ({@link HostAbiOutput}). A preview refuses rules a host
     * cannot enforce (AppArmor 4's `userns`, `mqueue`, `io_uring`, `all`, `priority=`, fine-grained
     * `unix` on an AppArmor 3 host, a kernel without the feature or a parser pinned to a feature set
     * without it), naming the host, the rule and the missing feature.
     */
    public readonly hostAbi: pulumi.Output<HostAbiOutput>;
    /**
     * Per host, per profile version: rules (profile text, one per line) that would allow what that
     * version denied (or, in complain mode, logged as ALLOWED) — proposals to review, not policy.
     */
    public readonly suggestions: pulumi.Output<Record<string, Record<string, string>>>;
    /** The per-host resources, by host key. */
    public readonly hostProfiles: Record<string, HostProfile>;
    /** Effective mode per host key (the host's override or the profile's mode). */
    public readonly modes: Record<string, pulumi.Output<ProfileMode>>;
    /** The connections, by host key (for {@link ProfiledContainer} and {@link dockerProvider}). */
    public readonly hosts: Record<string, HostConnectionArgs>;
    /** With `rollout`: the host keys of each wave, in order (empty without `rollout`). */
    public readonly rolloutPlan: string[][];
    /** With `rollout`: the wave resources, in order (empty without `rollout`). */
    public readonly waves: RolloutWave[];

    constructor(name: string, args: ProfileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("apparmor:index:Profile", name, {}, opts);
        const checked = checkProfileArgs(args);
        if (checked.problems.length > 0)
            throw argsError("apparmor:index:Profile", name, checked.problems);

        // Values known now are passed to the children as plain values (the common case: a model or
        // file, plain hosts, mode and directory), Outputs only where the program gave Outputs. Both
        // register the same inputs; plain ones spare an Output chain per host.
        const resolved =
            checked.resolved ??
            resolveProfileText(name, args.profileText!, args.versionedName === true, (r) =>
                warnQuietDenies(this, r, args),
            );
        if (checked.resolved) warnQuietDenies(this, checked.resolved, args);
        const field = (k: "name" | "text" | "version"): pulumi.Input<string> =>
            pulumi.Output.isInstance(resolved) ? resolved.apply((r) => r[k]) : resolved[k];
        const profileName = field("name");
        const profileText = field("text");
        const version = field("version");
        // A plain directory was validated by checkProfileArgs; an Output is validated when known.
        const directory: pulumi.Input<string> =
            args.directory === undefined || typeof args.directory === "string"
                ? (args.directory ?? DEFAULT_DIRECTORY)
                : pulumi.output(args.directory).apply((d) => {
                      const why = validateHostDirectory(d);
                      if (why)
                          throw argsError("apparmor:index:Profile", name, [
                              {
                                  field: "directory",
                                  message: why,
                                  fix: `use e.g. ${DEFAULT_DIRECTORY}`,
                              },
                          ]);
                      return d;
                  });
        const mode: pulumi.Input<ProfileMode> = args.mode ?? "enforce";

        this.hostProfiles = {};
        this.modes = {};
        this.hosts = {};
        // A plain loop (not forEach): Pulumi records the full call stack of every resource
        // registration, and each frame costs a source-map lookup.
        const hosts = args.hosts;
        const hostKeys: string[] = [];
        const prepares: pulumi.Resource[][] = [];
        for (let i = 0; i < hosts.length; i++) {
            const h = hosts[i];
            const key = hostKeyOf(h, i);
            hostKeys.push(key);
            this.hosts[key] = h;
            prepares.push(
                (args.prepareHosts ?? true)
                    ? [this.prepare(name, key, h, args.directory, directory)]
                    : [],
            );
            this.modes[key] = pulumi.output(h.mode ?? mode);
        }
        const hostProfile = (i: number, deps: pulumi.Resource[], wave?: RolloutWave) => {
            const h = hosts[i];
            const key = hostKeys[i];
            this.hostProfiles[key] = new HostProfile(
                `${name}-${key}`,
                {
                    connection: secretConnection(h),
                    target: connectionLabel(h),
                    hostName: key,
                    profileName,
                    profileText,
                    version,
                    mode: h.mode ?? mode,
                    directory,
                    ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
                    ...(args.onDeleteInUse !== undefined
                        ? { onDeleteInUse: args.onDeleteInUse }
                        : {}),
                    ...(wave ? { rolloutStage: wave.hostStates.apply((s) => s?.[key]) } : {}),
                },
                { parent: this, dependsOn: deps },
            );
            return this.hostProfiles[key];
        };
        this.rolloutPlan = [];
        this.waves = [];
        if (args.rollout === undefined) {
            for (let i = 0; i < hosts.length; i++) hostProfile(i, prepares[i]);
        } else {
            // Wave k+1 (and its hosts' HostProfiles) waits for every HostProfile of wave k, which
            // waits for wave k's gate: the engine runs the waves in order.
            const plan = planWaves(args.rollout.waves, hosts.length);
            // The next wave's first hosts (as many as it installs on at once): their connections
            // open while the wave before it works (RolloutWave.nextConnections).
            const nextWaveConnections = (idx: number[]) =>
                Object.fromEntries(
                    idx
                        .slice(0, rolloutSettings(args.rollout!, idx.length).maxParallel)
                        .map((i) => [hostKeys[i], secretConnection(hosts[i])]),
                );
            let previous: pulumi.Resource[] = [];
            for (let k = 0; k < plan.length; k++) {
                const idx = plan[k];
                this.rolloutPlan.push(idx.map((i) => hostKeys[i]));
                const wave = new RolloutWave(
                    `${name}-wave-${k + 1}`,
                    {
                        wave: k + 1,
                        waves: plan.length,
                        profileName,
                        profileText,
                        version,
                        directory,
                        hosts: idx.map((i) =>
                            pulumi.output({
                                hostName: hostKeys[i],
                                target: connectionLabel(hosts[i]),
                                mode: hosts[i].mode ?? mode,
                            }),
                        ),
                        connections: Object.fromEntries(
                            idx.map((i) => [hostKeys[i], secretConnection(hosts[i])]),
                        ),
                        settings: rolloutSettings(args.rollout, idx.length),
                        ...(args.adopt !== undefined ? { adopt: args.adopt } : {}),
                        ...(k + 1 < plan.length
                            ? { nextConnections: nextWaveConnections(plan[k + 1]) }
                            : {}),
                    },
                    { parent: this, dependsOn: [...idx.flatMap((i) => prepares[i]), ...previous] },
                );
                this.waves.push(wave);
                previous = idx.map((i) => hostProfile(i, [...prepares[i], wave], wave));
            }
            if (pulumi.runtime.isDryRun())
                pulumi.log.info(
                    `rollout plan: ${this.rolloutPlan
                        .map(
                            (w, k) =>
                                `wave ${k + 1}: ${w.slice(0, 5).join(", ")}` +
                                (w.length > 5 ? ` and ${w.length - 5} more` : ""),
                        )
                        .join("; ")}`,
                    this,
                );
        }

        const keys = Object.keys(this.hostProfiles);
        const hps = Object.values(this.hostProfiles);
        this.profileName = pulumi.output(profileName);
        this.securityOpt = pulumi
            .all(hps.map((hp) => hp.profileName))
            .apply((names) => `apparmor=${names[0]}`);
        // One `all` per aggregate over the hosts (not one per host and aggregate).
        this.versions = pulumi
            .all([
                pulumi.all(hps.map((hp) => hp.installed)),
                pulumi.all(hps.map((hp) => hp.history)),
            ])
            .apply(([installed, histories]) => {
                const out: VersionsOutput = {};
                keys.forEach((k, i) => {
                    const inst = installed[i];
                    if (inst)
                        out[k] = {
                            version: inst.version,
                            mode: inst.mode,
                            loadedAt: inst.loadedAt,
                            history: histories[i] ?? [],
                        };
                });
                return out;
            });
        this.denials = pulumi
            .all(hps.map((hp) => hp.denials))
            .apply((ds) =>
                Object.fromEntries(
                    keys.flatMap((k, i) => (ds[i] !== undefined ? [[k, ds[i]]] : [])),
                ),
            );
        this.suggestions = this.denials.apply((byHost) =>
            Object.fromEntries(
                Object.entries(byHost).map(([k, d]) => [
                    k,
                    Object.fromEntries(
                        Object.entries(d.byVersion ?? {})
                            .filter(([, sum]) => (sum.suggested ?? []).length > 0)
                            .map(([v, sum]) => [v, `${(sum.suggested ?? []).join("\n")}\n`]),
                    ),
                ]),
            ),
        );
        this.drift = pulumi
            .all(hps.map((hp) => hp.drift))
            .apply((ds) => Object.fromEntries(keys.map((k, i) => [k, ds[i] ?? []])));
        this.hostAbi = pulumi.all(hps.map((hp) => hp.installed)).apply((inst) =>
            Object.fromEntries(
                keys.flatMap((k, i) => {
                    const abi = inst[i]?.hostAbi;
                    return abi ? [[k, abi]] : [];
                }),
            ),
        );

        this.registerOutputs({
            profileName: this.profileName,
            securityOpt: this.securityOpt,
            versions: this.versions,
            denials: this.denials,
            drift: this.drift,
            suggestions: this.suggestions,
            hostAbi: this.hostAbi,
        });
    }

    /**
     * The `remote.Command` preparing host `key` (install apparmor + apparmor-utils when
     * `apparmor_parser` is missing, create the directory), shared with the other Profiles of this
     * program on the same host, user and directory. A directory given as an Output gets its own.
     */
    private prepare(
        name: string,
        key: string,
        h: HostConnectionArgs,
        dirArg: pulumi.Input<string> | undefined,
        directory: pulumi.Input<string>,
    ): command.remote.Command {
        const plainDir =
            dirArg === undefined
                ? DEFAULT_DIRECTORY
                : typeof dirArg === "string"
                  ? dirArg
                  : undefined;
        const user =
            typeof h.user === "string" ? h.user : h.user === undefined ? "root" : undefined;
        // A host given as an Output without a `name` cannot be told apart from another one.
        const shareable =
            plainDir !== undefined && user !== undefined && hostIdentity(h) !== undefined;
        const id = `${key}|${user}|${plainDir}`;
        const registry = preparedIn();
        const existing = shareable ? registry.get(id) : undefined;
        if (existing) return existing;
        let cname = shareable ? `apparmor-prepare-${key}` : `${name}-${key}-prepare`;
        if (shareable && user !== "root") cname += `-${user}`;
        if (shareable && plainDir !== DEFAULT_DIRECTORY)
            cname += `-${createHash("sha256").update(plainDir!).digest("hex").slice(0, 8)}`;
        // pulumi-command checks the host key only when given a full key line (it accepts any key
        // otherwise): the host's HostKey resource verifies the key (pin or first use) and records it.
        const hostKey = hostKeyFor(this, name, key, h);
        const cmd = new command.remote.Command(
            cname,
            {
                connection: pulumi.secret({
                    host: h.host,
                    port: h.port ?? 22,
                    user: h.user ?? "root",
                    ...(h.privateKey !== undefined ? { privateKey: h.privateKey } : {}),
                    ...(h.password !== undefined ? { password: h.password } : {}),
                    hostKey: hostKey.key,
                }),
                create: pulumi
                    .all([directory, h.user, h.sudo, h.stepTimeout])
                    .apply(([d, u, sudo, timeout]) =>
                        prepareScript(
                            d,
                            sudo ?? (u ?? "root") !== "root",
                            timeout ?? DEFAULT_STEP_TIMEOUT,
                        ),
                    ),
                triggers: [directory],
            },
            { parent: this },
        );
        if (shareable) registry.set(id, cmd);
        return cmd;
    }
}

/**
 * Host-preparation Commands already declared in this program run, per stack (one per host, user and
 * directory, shared by every Profile on that host: preparing a host is the same work for each).
 */
const prepared = new WeakMap<object, Map<string, command.remote.Command>>();
const noStack = {};

function preparedIn(): Map<string, command.remote.Command> {
    const stack: object = pulumi.runtime.getStackResource() ?? noStack;
    let m = prepared.get(stack);
    if (!m) {
        m = new Map();
        prepared.set(stack, m);
    }
    return m;
}

/** The profile given as an Output of text: resolved and validated when the text is known. */
function resolveProfileText(
    name: string,
    text: pulumi.Input<string>,
    versioned: boolean,
    known: (r: ResolvedProfile) => void,
): pulumi.Output<ResolvedProfile> {
    return pulumi.output(text).apply((t) => {
        let r = resolveText(t, "profileText");
        if (r.resolved && versioned) r = versionedProfile(r.resolved, "profileText");
        if (!r.resolved) throw argsError("apparmor:index:Profile", name, r.problems);
        known(r.resolved);
        return r.resolved;
    });
}

/**
 * Warns (on the component, at preview and up) when deny rules will not be logged: their denials
 * happen but never reach the `denials` output.
 */
function warnQuietDenies(
    resource: pulumi.Resource,
    r: ResolvedProfile,
    args: Pick<ProfileArgs, "profile" | "auditDenies">,
): void {
    const quiet = r.quietDenies ?? [];
    if (quiet.length === 0) return;
    const shown =
        quiet.slice(0, 5).join("; ") + (quiet.length > 5 ? `; … (${quiet.length} in all)` : "");
    const fix =
        args.profile === undefined
            ? "write `audit deny` in the policy text"
            : 'drop auditDenies: "none" (the default "user" audits the deny rules you add), or use audit.deny…';
    pulumi.log.warn(
        `profile ${r.name}: ${quiet.length} deny rule(s) will not be logged, so what they refuse never shows up in \`denials\` (AppArmor does not log a plain deny): ${shown}. Fix: ${fix}.`,
        resource,
    );
}
