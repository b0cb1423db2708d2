/**
 * How a component reaches a host: the SSH connection arguments users write, their validation, and
 * the plain form the dynamic providers receive (always wrapped in a Pulumi secret).
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import type { ProfileMode } from "../state";
import { pinFingerprint } from "./hostKeys";
import { isUnknown } from "./unknown";

/** Default of {@link HostConnectionArgs.stepTimeout}, in seconds. */
export const DEFAULT_STEP_TIMEOUT = 600;

/** An SSH connection to a host that runs AppArmor (and usually dockerd). */
export interface HostConnectionArgs {
    /** Host name or IP address of the SSH server. */
    readonly host: pulumi.Input<string>;
    /** SSH port. Defaults to 22. */
    readonly port?: pulumi.Input<number>;
    /** Login user; a non-root user needs passwordless sudo. Defaults to "root". */
    readonly user?: pulumi.Input<string>;
    /**
     * Private key (OpenSSH or PEM text). Pass a secret, e.g. `config.requireSecret("sshKey")`; it
     * is kept secret in state and never put in a command line. Defaults to no key.
     */
    readonly privateKey?: pulumi.Input<string>;
    /**
     * Password for password authentication, as a secret. Requires `hostKey`: a password is never
     * sent to a host whose key was not pinned. Defaults to no password.
     */
    readonly password?: pulumi.Input<string>;
    /**
     * The host's public key pin: an OpenSSH public key line (`ssh-ed25519 AAAA…`, as in
     * `/etc/ssh/ssh_host_ed25519_key.pub` or a known_hosts line) or a `SHA256:…` fingerprint. Every
     * connection (the host preparation included) checks it before sending any credential, and a
     * host presenting another key is refused with both fingerprints named. Required with
     * `password`. Defaults to trust on first use (private-key authentication only): the key seen on
     * the first connection is recorded in the stack's state and required from then on.
     */
    readonly hostKey?: pulumi.Input<string>;
    /**
     * Seconds one remote step (one host script, the host preparation's apt-get, a container check)
     * may take; a step still running then fails naming the host and the step, and its SSH channel
     * is closed. Defaults to 600 (installs may wait for other installs holding the host lock).
     */
    readonly stepTimeout?: pulumi.Input<number>;
    /** Run the host scripts through `sudo -n`. Defaults to true when `user` is not "root". */
    readonly sudo?: pulumi.Input<boolean>;
    /** Mode on this host, overriding the profile's `mode`. Defaults to the profile's mode. */
    readonly mode?: pulumi.Input<ProfileMode>;
    /**
     * How the docker provider built by {@link dockerProvider} reaches this host's dockerd, e.g. a
     * forwarded socket `unix:///run/user/1000/host1-docker.sock` (never an unauthenticated
     * `tcp://` listener, which hands root to anyone who reaches it). Defaults to `ssh://USER@HOST:PORT` (the docker CLI's SSH helper, which
     * uses your ssh agent/config for the key).
     */
    readonly dockerHost?: pulumi.Input<string>;
    /**
     * Key of this host in the outputs (`versions`, `denials`, `drift`) and suffix of child resource
     * names. Defaults to `HOST` (plus `:PORT` when the port is not 22) when both are plain values,
     * otherwise the host's index in `hosts`.
     */
    readonly name?: string;
}

/** The plain connection the providers receive (inside a secret). */
export interface PlainConnection {
    host: string;
    port: number;
    user: string;
    privateKey?: string;
    password?: string;
    hostKey?: string;
    /** seconds; absent: {@link DEFAULT_STEP_TIMEOUT}. */
    stepTimeout?: number;
    sudo: boolean;
}

/** Valid host-key names in the outputs and child names: `[A-Za-z0-9._:@-]`, 1–100 characters. */
const HOST_KEY_RE = /^[A-Za-z0-9._:@-]{1,100}$/;

/** The key of a host in outputs and child names (see {@link HostConnectionArgs.name}). */
export function hostKeyOf(h: HostConnectionArgs, index: number): string {
    if (h.name !== undefined) return h.name;
    if (typeof h.host === "string" && (h.port === undefined || typeof h.port === "number")) {
        const port = h.port ?? 22;
        const key = port === 22 ? h.host : `${h.host}:${port}`;
        if (HOST_KEY_RE.test(key)) return key;
    }
    return String(index);
}

/** A problem in the arguments: which field, what is wrong, how to fix it. */
export interface ArgProblem {
    readonly field: string;
    readonly message: string;
    readonly fix: string;
}

/** DNS names and IPv4 addresses (no shell or ssh option syntax). */
const DNS_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** A host name: a DNS name, an IPv4 address, or an IPv6 address (optionally in brackets). */
function validHost(h: string): boolean {
    return DNS_RE.test(h) || net.isIPv6(h.replace(/^\[(.*)\]$/, "$1"));
}
/** POSIX portable user names. */
const USER_RE = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;

/**
 * Validates the plain parts of one host connection (values that are still Outputs are checked by
 * the provider's `check`, with the same rules). Pure; returns every problem.
 */
export function validateConnection(h: Partial<HostConnectionArgs>, path: string): ArgProblem[] {
    const out: ArgProblem[] = [];
    if (h.host === undefined || h.host === "")
        out.push({
            field: `${path}.host`,
            message: "is required",
            fix: "set it to the host name or IP",
        });
    else if (typeof h.host === "string" && !validHost(h.host))
        out.push({
            field: `${path}.host`,
            message: `"${printable(h.host)}" is not a host name or IP address`,
            fix: "use a DNS name or an IP address, without user@ or :port",
        });
    if (typeof h.port === "number" && !(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535))
        out.push({
            field: `${path}.port`,
            message: `${h.port} is not a TCP port`,
            fix: "use 1–65535",
        });
    if (typeof h.user === "string" && !USER_RE.test(h.user))
        out.push({
            field: `${path}.user`,
            message: `"${printable(h.user)}" is not a valid user name`,
            fix: "use a POSIX user name such as deploy",
        });
    if (typeof h.mode === "string" && h.mode !== "enforce" && h.mode !== "complain")
        out.push({
            field: `${path}.mode`,
            message: `"${printable(h.mode)}" is not a mode`,
            fix: 'use "enforce" or "complain"',
        });
    if (typeof h.hostKey === "string") {
        try {
            pinFingerprint(h.hostKey);
        } catch (e) {
            out.push({
                field: `${path}.hostKey`,
                message: (e as Error).message.replace(/^hostKey /, ""),
                fix: "copy the line of /etc/ssh/ssh_host_ed25519_key.pub from the host (checked out of band)",
            });
        }
    }
    if (h.password !== undefined && (h.hostKey === undefined || h.hostKey === ""))
        out.push({
            field: `${path}.hostKey`,
            message:
                "is required with password authentication (a password is never sent to a host whose key is not pinned)",
            fix: "set hostKey to the host's public key line (/etc/ssh/ssh_host_ed25519_key.pub) or its SHA256: fingerprint, or use privateKey",
        });
    if (
        typeof h.stepTimeout === "number" &&
        !(Number.isInteger(h.stepTimeout) && h.stepTimeout >= 1 && h.stepTimeout <= 86400)
    )
        out.push({
            field: `${path}.stepTimeout`,
            message: `${h.stepTimeout} is not a number of seconds from 1 to 86400`,
            fix: `use e.g. ${DEFAULT_STEP_TIMEOUT}`,
        });
    if (h.name !== undefined && !HOST_KEY_RE.test(h.name))
        out.push({
            field: `${path}.name`,
            message: `"${printable(h.name)}" is not a valid host key`,
            fix: "use 1–100 characters among A-Z a-z 0-9 . _ : @ -",
        });
    return out;
}

/**
 * A dynamic provider `check`'s failures for one plain connection, each property prefixed by `prefix`
 * (e.g. `connections.web-1.`): none while the connection or any of its values is still unknown, and
 * none when it is absent (the components always pass one; their own checks name a missing host).
 */
export function connectionCheckFailures(
    c: unknown,
    prefix = "",
): { property: string; reason: string }[] {
    if (!c || typeof c !== "object" || Object.values(c).some(isUnknown)) return [];
    return validatePlainConnection(c as Partial<PlainConnection>).map((p) => ({
        property: `${prefix}${p.field}`,
        reason: `${p.message}; fix: ${p.fix}`,
    }));
}

/** Validates a plain connection as the provider receives it (all values known). */
export function validatePlainConnection(c: Partial<PlainConnection> | undefined): ArgProblem[] {
    if (!c || typeof c !== "object")
        return [{ field: "connection", message: "is missing", fix: "set hosts[i].host" }];
    const out = validateConnection(c as Partial<HostConnectionArgs>, "connection");
    if (!c.privateKey && !c.password)
        out.push({
            field: "connection.privateKey",
            message: "neither privateKey nor password is set",
            fix: "pass the SSH private key as a secret (config.requireSecret)",
        });
    return out;
}

/** Control characters shown escaped so a message cannot forge lines. */
export function printable(s: string): string {
    return JSON.stringify(s)
        .slice(1, -1)
        .replace(
            /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
        )
        .slice(0, 200);
}

/**
 * The secret plain connection for the providers. Secret as a whole: host, user and port are not
 * secrets, but keeping the object in one piece means a key can never leak through a partially
 * revealed structure; the non-secret label `user@host:port` is passed separately for display.
 *
 * One Output per connection object and program run: every Profile on the same host (the same
 * `hosts` entry) shares it, instead of building the same secret once per profile and host. Reused
 * only while the object's fields are still the very values it was built from.
 */
export function secretConnection(h: HostConnectionArgs): pulumi.Output<PlainConnection> {
    const fields: readonly unknown[] = [
        h.host,
        h.port,
        h.user,
        h.privateKey,
        h.password,
        h.hostKey,
        h.stepTimeout,
        h.sudo,
    ];
    const stack: object = pulumi.runtime.getStackResource() ?? noStack;
    let cache = secretConnections.get(stack);
    if (!cache) {
        cache = new WeakMap();
        secretConnections.set(stack, cache);
    }
    const hit = cache.get(h);
    if (hit && hit.fields.every((v, i) => v === fields[i])) return hit.connection;
    const connection = pulumi.secret(
        pulumi
            .all([
                h.host,
                h.port,
                h.user,
                h.privateKey,
                h.password,
                h.hostKey,
                h.stepTimeout,
                h.sudo,
            ])
            .apply(([host, port, user, privateKey, password, hostKey, stepTimeout, sudo]) => {
                const u = user ?? "root";
                const c: PlainConnection = {
                    host,
                    port: port ?? 22,
                    user: u,
                    sudo: sudo ?? u !== "root",
                };
                if (privateKey) c.privateKey = privateKey;
                if (password) c.password = password;
                if (hostKey) c.hostKey = hostKey;
                if (stepTimeout !== undefined) c.stepTimeout = stepTimeout;
                return c;
            }),
    );
    cache.set(h, { fields, connection });
    return connection;
}

/** Per stack (program run): per connection object, its fields and secret connection. */
const secretConnections = new WeakMap<
    object,
    WeakMap<
        HostConnectionArgs,
        { fields: readonly unknown[]; connection: pulumi.Output<PlainConnection> }
    >
>();
const noStack = {};

/** `user@host:port` of a connection (never secret): plain when host, port and user are plain. */
export function connectionLabel(h: HostConnectionArgs): pulumi.Input<string> {
    const label = (host: string, port: number | undefined, user: string | undefined) =>
        `${user ?? "root"}@${host}:${port ?? 22}`;
    if (
        typeof h.host === "string" &&
        (h.port === undefined || typeof h.port === "number") &&
        (h.user === undefined || typeof h.user === "string")
    )
        return label(h.host, h.port, h.user);
    return pulumi
        .all([h.host, h.port, h.user])
        .apply(([host, port, user]) => label(host, port, user));
}
