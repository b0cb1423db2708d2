/**
 * The arguments of `Profile` and `ProfiledContainer` as other languages see them (issue #14), and
 * their translation into the TypeScript components' own arguments.
 *
 * Pulumi's component provider (`provider/`, `componentProviderHost`) infers its schema from these
 * interfaces, and that inference refuses unions, intersections and functions. So the choices the
 * TypeScript API types as string-literal unions are enums here (same values), the typed profile
 * model becomes a `dockerDefault` block (extra rules as policy text or simple typed lists), and a
 * `ProfiledContainer` names its profile by URN. Everything else (validation, rendering, hashing,
 * the host work) is the TypeScript components' own: the translation below only reshapes values, and
 * the TypeScript components validate what the adapters in `provider/` pass them.
 *
 * The fields are written out again rather than taken from `HostConnectionArgs` / `ProfileArgs` with
 * `Omit`/`Pick`: @pulumi/pulumi 3.248's inference turns every field of such a mapped type into `Any`
 * without a description (tried). `test/engine/schema.test.ts` keeps the result under review.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { parseProfile } from "../profile/parser";
import { dockerDefault } from "../profile/dockerDefault";
import { deny } from "../profile/builders";
import type { ProfileItem } from "../profile/model";
import type { ArgProblem, HostConnectionArgs } from "./connection";
import type { ProfileArgs } from "./profile";

/** Mode of a profile on a host. */
export enum ProfileMode {
    /** Denies and logs what the profile does not allow. */
    Enforce = "enforce",
    /** Allows everything and logs `ALLOWED` for what the profile would deny. */
    Complain = "complain",
}

/** Which deny rules of a `dockerDefault` profile are rendered `audit deny` (logged). */
export enum AuditDenies {
    /** The deny rules you add; the docker-default template's own denies stay quiet. */
    User = "user",
    /** Every deny rule. */
    All = "all",
    /** The rules as written. */
    None = "none",
}

/** What deleting a profile does while processes on a host still run confined by it. */
export enum OnDeleteInUse {
    /** Fail the delete naming the host, the profile and the process count; change nothing. */
    Refuse = "refuse",
    /** Unload the profile anyway (those processes then run unconfined). */
    Remove = "remove",
}

/** An SSH connection to a host that runs AppArmor (and usually dockerd). */
export interface HostArgs {
    /** Host name or IP address of the SSH server. Required. */
    readonly host: pulumi.Input<string>;
    /** SSH port. Defaults to 22. */
    readonly port?: pulumi.Input<number>;
    /** Login user; a non-root user needs passwordless sudo. Defaults to "root". */
    readonly user?: pulumi.Input<string>;
    /** Private key (OpenSSH or PEM text), as a secret. Defaults to no key. */
    readonly privateKey?: pulumi.Input<string>;
    /** Password, as a secret; requires `hostKey`. Defaults to no password. */
    readonly password?: pulumi.Input<string>;
    /**
     * The host's public key pin: an OpenSSH public key line or a `SHA256:…` fingerprint, checked
     * before any credential is sent. Defaults to trust on first use (key authentication only).
     */
    readonly hostKey?: pulumi.Input<string>;
    /** Seconds one remote step may take. Defaults to 600. */
    readonly stepTimeout?: pulumi.Input<number>;
    /** Run the host scripts through `sudo -n`. Defaults to true when `user` is not "root". */
    readonly sudo?: pulumi.Input<boolean>;
    /** Mode on this host, overriding the profile's `mode`. Defaults to the profile's mode. */
    readonly mode?: pulumi.Input<ProfileMode>;
    /**
     * How a container's docker provider reaches this host's dockerd (e.g. a forwarded unix socket).
     * Defaults to `ssh://USER@HOST:PORT`.
     */
    readonly dockerHost?: pulumi.Input<string>;
    /**
     * Key of this host in the outputs and suffix of child resource names. Defaults to `HOST` (plus
     * `:PORT` when the port is not 22) when both are plain values, otherwise the host's index.
     */
    readonly name?: string;
}

/** A file rule: a path (AppArmor glob) and its permissions. */
export interface FileAccess {
    /** The path or glob, e.g. `/tmp/a/**`. Required. */
    readonly path: string;
    /** AppArmor permission letters, e.g. `rwlx`. Required. */
    readonly permissions: string;
}

/** moby's docker-default profile under your name, with extra rules appended. */
export interface DockerDefaultArgs {
    /** The profile name (`docker run --security-opt apparmor=NAME`). Required. */
    readonly name: string;
    /** Files to deny, each rendered `deny PATH PERMISSIONS,` (audited per `auditDenies`). Defaults to none. */
    readonly denyFiles?: FileAccess[];
    /** Capabilities to deny (names without `CAP_`, e.g. `fsetid`). Defaults to none. */
    readonly denyCapabilities?: string[];
    /**
     * Further rules as AppArmor policy text, as written inside a profile body (e.g.
     * `deny /etc/shadow r,\ncapability net_bind_service,`), appended after the typed lists.
     * Defaults to none.
     */
    readonly rules?: string;
}

/** Arguments of `Profile` from other languages. Exactly one of `dockerDefault`, `profileText` and `profileFile`. */
export interface ProfileSchemaArgs {
    /** Hosts to provision, each an SSH connection (credentials as secrets). Required, at least one. */
    readonly hosts: HostArgs[];
    /** The profile as moby's docker-default plus extra rules. Defaults to none. */
    readonly dockerDefault?: DockerDefaultArgs;
    /** The profile as AppArmor policy text (one top-level `profile NAME … { … }`). Defaults to none. */
    readonly profileText?: pulumi.Input<string>;
    /** Path of a local file holding the profile text, read when the program runs. Defaults to none. */
    readonly profileFile?: string;
    /** `enforce` denies and logs; `complain` allows and logs `ALLOWED`. Defaults to "enforce". */
    readonly mode?: pulumi.Input<ProfileMode>;
    /** Directory of the profile file on each host, below `/etc/apparmor.d`. Defaults to "/etc/apparmor.d/containers". */
    readonly directory?: pulumi.Input<string>;
    /** Take over a profile file or loaded profile of the same name that this library did not install. Defaults to false. */
    readonly adopt?: pulumi.Input<boolean>;
    /** What deleting the profile does while processes still run confined by it. Defaults to "refuse". */
    readonly onDeleteInUse?: pulumi.Input<OnDeleteInUse>;
    /** Which deny rules of `dockerDefault` are rendered `audit deny` (logged). Defaults to "user". */
    readonly auditDenies?: AuditDenies;
    /** Prepare each host first (install apparmor when missing, create `directory`). Defaults to true. */
    readonly prepareHosts?: boolean;
    /** Load the profile as `NAME-<8 hex of its version>`, so containers move onto a new version. Defaults to false. */
    readonly versionedName?: boolean;
}

/** A TCP/UDP port published by a container. */
export interface ContainerPort {
    /** Port inside the container. Required. */
    readonly internal: pulumi.Input<number>;
    /** Port on the host. Defaults to one docker picks. */
    readonly external?: pulumi.Input<number>;
    /** Host address to bind. Defaults to "0.0.0.0". */
    readonly ip?: pulumi.Input<string>;
    /** `tcp` or `udp`. Defaults to "tcp". */
    readonly protocol?: pulumi.Input<string>;
}

/** The container a `ProfiledContainer` runs (a subset of `docker.Container`'s arguments). */
export interface ContainerSpec {
    /** Image to run, e.g. `nginx`. Required. */
    readonly image: pulumi.Input<string>;
    /** Container name. Defaults to one Pulumi generates. */
    readonly name?: pulumi.Input<string>;
    /** Command to run. Defaults to the image's. */
    readonly command?: pulumi.Input<string>[];
    /** Environment, as `KEY=VALUE` entries. Defaults to none. */
    readonly envs?: pulumi.Input<string>[];
    /** Published ports. Defaults to none. */
    readonly ports?: ContainerPort[];
    /** Restart policy (`no`, `on-failure`, `always`, `unless-stopped`). Defaults to "no". */
    readonly restart?: pulumi.Input<string>;
    /** Other security options; an `apparmor=` entry is replaced by the profile's. Defaults to none. */
    readonly securityOpts?: pulumi.Input<string>[];
}

/** Arguments of `ProfiledContainer` from other languages. */
export interface ProfiledContainerSchemaArgs {
    /** The `urn` of the `Profile` (of this program) the container runs under. Required. */
    readonly profile: pulumi.Input<string>;
    /** Key of the profile's host that runs the container. Defaults to the profile's only host. */
    readonly host?: string;
    /** The container. Required. */
    readonly container: ContainerSpec;
    /** Check the container's real AppArmor label on its host after create and on refresh. Defaults to true. */
    readonly verifyConfinement?: boolean;
}

/** The typed rules of a `dockerDefault` block, or the problems found in them (pure). */
export function dockerDefaultRules(
    d: DockerDefaultArgs,
    field = "dockerDefault",
): { rules: ProfileItem[]; problems: ArgProblem[] } {
    const rules: ProfileItem[] = [];
    const problems: ArgProblem[] = [];
    (d.denyFiles ?? []).forEach((f, i) => {
        try {
            rules.push(deny.file(f.path, f.permissions));
        } catch (e) {
            problems.push({
                field: `${field}.denyFiles[${i}]`,
                message: (e as Error).message,
                fix: "use AppArmor permission letters such as r, w, l, x, k, m",
            });
        }
    });
    if ((d.denyCapabilities ?? []).length > 0)
        rules.push(deny.capability(...(d.denyCapabilities ?? [])));
    if (d.rules !== undefined) {
        const fix = "write rules as inside a profile body, each ending in a comma";
        // Parsed as the body of a profile (not with `parseRules`, which never returns for a last
        // rule without its comma, e.g. "deny /x r"); the text starts on line 2 of that profile.
        try {
            const doc = parseProfile(`profile rules {\n${d.rules}\n}\n`);
            const body = doc.items[0];
            if (doc.items.length !== 1 || body.kind !== "profile")
                problems.push({
                    field: `${field}.rules`,
                    message: "closes the profile body (an unbalanced `}`)",
                    fix,
                });
            else rules.push(...body.rules);
        } catch (e) {
            problems.push({ field: `${field}.rules`, message: (e as Error).message, fix });
        }
    }
    return { rules, problems };
}

/**
 * {@link ProfileSchemaArgs} as the TypeScript `Profile`'s arguments (pure). Problems of the
 * `dockerDefault` block are returned; everything else is validated by `validateProfileArgs`.
 */
export function profileArgsFromSchema(a: ProfileSchemaArgs): {
    args: ProfileArgs;
    problems: ArgProblem[];
} {
    let problems: ArgProblem[] = [];
    let profile: ProfileArgs["profile"];
    if (a.dockerDefault !== undefined && a.dockerDefault !== null) {
        const d = a.dockerDefault;
        if (typeof d.name !== "string" || d.name === "")
            problems.push({
                field: "dockerDefault.name",
                message: "is required",
                fix: "set it to the profile name containers refer to",
            });
        const r = dockerDefaultRules(d);
        problems = [...problems, ...r.problems];
        if (problems.length === 0) profile = dockerDefault({ name: d.name }).with(...r.rules);
    }
    const hosts = (a.hosts ?? []).map(
        (h): HostConnectionArgs => ({
            ...h,
            mode: h.mode as HostConnectionArgs["mode"],
        }),
    );
    const args: ProfileArgs = {
        hosts,
        ...(profile !== undefined ? { profile } : {}),
        ...(a.profileText !== undefined ? { profileText: a.profileText } : {}),
        ...(a.profileFile !== undefined ? { profileFile: a.profileFile } : {}),
        ...(a.mode !== undefined ? { mode: a.mode as ProfileArgs["mode"] } : {}),
        ...(a.directory !== undefined ? { directory: a.directory } : {}),
        ...(a.adopt !== undefined ? { adopt: a.adopt } : {}),
        ...(a.onDeleteInUse !== undefined
            ? { onDeleteInUse: a.onDeleteInUse as ProfileArgs["onDeleteInUse"] }
            : {}),
        ...(a.auditDenies !== undefined
            ? { auditDenies: a.auditDenies as ProfileArgs["auditDenies"] }
            : {}),
        ...(a.prepareHosts !== undefined ? { prepareHosts: a.prepareHosts } : {}),
        ...(a.versionedName !== undefined ? { versionedName: a.versionedName } : {}),
    };
    return { args, problems };
}

/** A {@link ContainerSpec} as `docker.ContainerArgs` (pure). */
export function containerArgsFromSchema(c: ContainerSpec): docker.ContainerArgs {
    return {
        image: c.image,
        ...(c.name !== undefined ? { name: c.name } : {}),
        ...(c.command !== undefined ? { command: c.command } : {}),
        ...(c.envs !== undefined ? { envs: c.envs } : {}),
        ...(c.ports !== undefined ? { ports: c.ports } : {}),
        ...(c.restart !== undefined ? { restart: c.restart } : {}),
        ...(c.securityOpts !== undefined ? { securityOpts: c.securityOpts } : {}),
    };
}
