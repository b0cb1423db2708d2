/**
 * What docker makes of a container's AppArmor options, and which machine a docker endpoint or an
 * SSH target names: the pure facts the container policies are built on (no Pulumi, no I/O).
 */

/** How docker will confine a container, decided as dockerd decides it. */
export type AppArmorChoice =
    /** `apparmor=NAME`: the profile NAME. */
    | { readonly kind: "profile"; readonly name: string; readonly option: string }
    /** No `apparmor=` option (or an empty value): docker's own `docker-default`. */
    | { readonly kind: "docker-default"; readonly option?: string }
    /** `apparmor=unconfined`. */
    | { readonly kind: "unconfined"; readonly option: string }
    /** `privileged: true`: dockerd runs it unconfined whatever `securityOpts` says. */
    | { readonly kind: "privileged"; readonly option?: string };

/** Docker's built-in profile name. */
export const DOCKER_DEFAULT = "docker-default";

/**
 * The AppArmor profile dockerd applies to a container (moby `daemon/container_linux.go`
 * `saveAppArmorConfig` and `parseSecurityOpt`): each security option is split at its first `=` (or,
 * in the deprecated form, its first `:`); the last `apparmor` entry wins; a privileged container is
 * unconfined regardless; no entry (or an empty value) means `docker-default`.
 */
export function effectiveAppArmor(
    securityOpts: readonly unknown[] | undefined,
    privileged: boolean | undefined,
): AppArmorChoice {
    let chosen: { value: string; option: string } | undefined;
    for (const o of securityOpts ?? []) {
        if (typeof o !== "string") continue;
        const sep = o.includes("=") ? "=" : o.includes(":") ? ":" : undefined;
        if (sep === undefined) continue;
        const at = o.indexOf(sep);
        if (o.slice(0, at) === "apparmor") chosen = { value: o.slice(at + 1), option: o };
    }
    if (privileged === true) return { kind: "privileged", option: chosen?.option };
    if (chosen === undefined) return { kind: "docker-default" };
    if (chosen.value === "") return { kind: "docker-default", option: chosen.option };
    if (chosen.value === "unconfined") return { kind: "unconfined", option: chosen.option };
    return { kind: "profile", name: chosen.value, option: chosen.option };
}

/** A machine as the policies compare them: lower-case host name or IP (no brackets) and SSH port. */
export interface Endpoint {
    readonly host: string;
    readonly port: number;
}

/** `host:port` of an endpoint (IPv6 in brackets), for messages and map keys. */
export function endpointKey(e: Endpoint): string {
    return `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}

function normHost(h: string): string {
    return h.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/**
 * A `host[:port]` (or `[v6]:port`, or a bare IPv6 address) as an {@link Endpoint}; the port
 * defaults to 22. Undefined when it is not one.
 */
export function parseEndpoint(text: string): Endpoint | undefined {
    const t = text.trim();
    if (t === "") return undefined;
    const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
    if (v6) return { host: normHost(v6[1]), port: v6[2] ? Number(v6[2]) : 22 };
    const colons = t.split(":").length - 1;
    if (colons > 1) return { host: normHost(t), port: 22 }; // a bare IPv6 address
    const [h, p] = t.split(":");
    if (p !== undefined && !/^\d{1,5}$/.test(p)) return undefined;
    if (!/^[A-Za-z0-9._-]+$/.test(h)) return undefined;
    return { host: normHost(h), port: p !== undefined ? Number(p) : 22 };
}

/**
 * The machine of a `HostProfile`'s `target` (`user@host:port`, as the `Profile` component writes
 * it; the port is the part after the last `:`).
 */
export function targetEndpoint(target: string): Endpoint | undefined {
    const at = target.lastIndexOf("@");
    const hostPort = at >= 0 ? target.slice(at + 1) : target;
    const colon = hostPort.lastIndexOf(":");
    if (colon < 0) return parseEndpoint(hostPort);
    const port = hostPort.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port)) return undefined;
    const host = normHost(hostPort.slice(0, colon));
    return host === "" ? undefined : { host, port: Number(port) };
}

/** The docker endpoint a provider without `host` uses (docker's default local socket). */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/**
 * The machine of an `ssh://[user@]host[:port][/…]` docker host (the port defaults to 22);
 * undefined for any other scheme (`tcp://`, `unix://`, `npipe://`, …), whose machine the URL alone
 * does not tell.
 */
export function sshDockerEndpoint(url: string): Endpoint | undefined {
    if (!/^ssh:\/\//i.test(url)) return undefined;
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        return undefined;
    }
    if (u.hostname === "") return undefined;
    return { host: normHost(u.hostname), port: u.port === "" ? 22 : Number(u.port) };
}

/** Whether two endpoints name the same machine (same host text and port; no DNS lookups). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
    return a.host === b.host && a.port === b.port;
}
