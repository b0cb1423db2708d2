/**
 * Mock stacks shaped like what the components register (types, parents, providers, dependencies,
 * the HostProfile/Confinement inputs), for the policy tests.
 */
import type { MockResource } from "./harness";

export const T = {
    container: "docker:index/container:Container",
    provider: "pulumi:providers:docker",
    profile: "apparmor:index:Profile",
    profiledContainer: "apparmor:index:ProfiledContainer",
    hostProfile: "pulumi-nodejs:dynamic/apparmor:HostProfile",
    confinement: "pulumi-nodejs:dynamic/apparmor:Confinement",
} as const;

/** A `Profile` component and its HostProfiles (one per host key → `user@host:port` target). */
export function profile(
    component: string,
    profileName: string,
    hosts: Readonly<Record<string, string>>,
    opts: { mode?: string; text?: string; modes?: Readonly<Record<string, string>> } = {},
): MockResource[] {
    return [
        { type: T.profile, name: component },
        ...Object.entries(hosts).map(([key, target]) => ({
            type: T.hostProfile,
            name: `${component}-${key}`,
            parent: component,
            props: {
                profileName,
                target,
                hostName: key,
                mode: opts.modes?.[key] ?? opts.mode ?? "enforce",
                profileText: opts.text ?? `profile ${profileName} {\n}\n`,
                version: "0".repeat(64),
                directory: "/etc/apparmor.d/containers",
            },
        })),
    ];
}

/** The HostProfile resource names of a `profile(...)`. */
export const hostProfilesOf = (component: string, hosts: Readonly<Record<string, string>>) =>
    Object.keys(hosts).map((k) => `${component}-${k}`);

/**
 * A `ProfiledContainer` as the component registers it: its docker provider (unless `provider` names
 * one of the stack's), the container (apparmor=NAME, dependsOn the host's HostProfile), and a
 * Confinement (target = the profile host's) unless `verifyConfinement: false`.
 */
export function profiledContainer(
    name: string,
    o: {
        profileName: string;
        hostProfile: string;
        allHostProfiles?: readonly string[];
        target: string;
        dockerHost: string;
        verifyConfinement?: boolean;
        securityOpts?: unknown;
        provider?: { name: string; props: Record<string, unknown> };
    },
): MockResource[] {
    const provider = o.provider ?? { name: `${name}-docker`, props: { host: o.dockerHost } };
    const out: MockResource[] = [{ type: T.profiledContainer, name }];
    if (!o.provider)
        out.push({ type: T.provider, name: provider.name, parent: name, props: provider.props });
    out.push({
        type: T.container,
        name: `${name}-container`,
        parent: name,
        provider,
        props: { image: "busybox", securityOpts: o.securityOpts ?? [`apparmor=${o.profileName}`] },
        dependsOn: [o.hostProfile],
        propertyDependencies: { securityOpts: o.allHostProfiles ?? [o.hostProfile] },
    });
    if (o.verifyConfinement ?? true)
        out.push({
            type: T.confinement,
            name: `${name}-confinement`,
            parent: name,
            props: { target: o.target, profileName: o.profileName, mode: "enforce" },
            dependsOn: [`${name}-container`, o.hostProfile],
            propertyDependencies: {
                containerId: [`${name}-container`],
                profileName: [o.hostProfile],
            },
        });
    return out;
}

/** A plain `docker.Container`. */
export function container(
    name: string,
    props: Record<string, unknown>,
    provider?: { name: string; props: Record<string, unknown> },
    propertyDependencies?: Readonly<Record<string, readonly string[]>>,
): MockResource {
    return {
        type: T.container,
        name,
        props: { image: "busybox", ...props },
        ...(provider ? { provider } : {}),
        ...(propertyDependencies ? { propertyDependencies } : {}),
    };
}
