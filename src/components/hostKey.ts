/**
 * `HostKey`: the verified SSH host key of one host, the `hostKey` of the host preparation's
 * `remote.Command` (see `hostKeyProvider.ts`), and the registry that declares one per host and
 * program run, shared by every Profile on that host (like the preparation Command).
 */
import * as pulumi from "@pulumi/pulumi";
import { connectionLabel, HostConnectionArgs } from "./connection";
import { hostKeyShim } from "./dynamic";
import { pluginResource } from "./pluginServed";
import { pinFingerprint } from "./hostKeys";

/** Inputs of {@link HostKey}. */
export interface HostKeyArgs {
    /** Host name or IP address. Required. */
    readonly host: pulumi.Input<string>;
    /** SSH port. Defaults to 22. */
    readonly port?: pulumi.Input<number>;
    /** `user@host:port` for messages. Required. */
    readonly target: pulumi.Input<string>;
    /**
     * The pin: an OpenSSH public key line or a `SHA256:…` fingerprint. Defaults to trust on first
     * use (the key seen at create is recorded and required from then on).
     */
    readonly pin?: pulumi.Input<string>;
}

/**
 * The host's SSH key, verified against the pin or the key recorded on first use; refresh and
 * update refuse a changed key. It never authenticates (it holds no credentials).
 */
export class HostKey extends pulumi.dynamic.Resource {
    /** The verified key as an OpenSSH `TYPE BASE64` line (pulumi-command's `hostKey`). */
    declare public readonly key: pulumi.Output<string>;
    /** Its `SHA256:…` fingerprint. */
    declare public readonly fingerprint: pulumi.Output<string>;

    constructor(name: string, args: HostKeyArgs, opts?: pulumi.CustomResourceOptions) {
        const props: pulumi.Inputs = {
            host: args.host,
            port: args.port ?? 22,
            target: args.target,
            pin: args.pin,
            key: undefined,
            fingerprint: undefined,
        };
        const options = opts;
        // Inside the component provider the plugin itself serves it (./pluginServed).
        const served = pluginResource("HostKey", name, props, options);
        if (served) return served as HostKey;
        super(hostKeyShim, name, props, options, "apparmor", "HostKey");
    }
}

/**
 * The `HostKey` of host `key` (its key in a Profile's outputs), declared once per program run and
 * host and shared by every Profile there; a host given as an Output without a `name` cannot be told
 * apart from another one, so it gets its own, named after the Profile.
 */
export function hostKeyFor(
    parent: pulumi.Resource,
    profileName: string,
    key: string,
    h: HostConnectionArgs,
): HostKey {
    const id = hostIdentity(h);
    const registry = declaredIn();
    const existing = id !== undefined ? registry.get(id) : undefined;
    if (existing) {
        if (typeof h.hostKey === "string" && typeof existing.pin === "string")
            if (samePin(h.hostKey, existing.pin) === false)
                throw new Error(
                    `apparmor:index:Profile "${profileName}": invalid arguments:\n  - hosts (${key}).hostKey: ` +
                        "differs from the hostKey another Profile of this program gives for the same host " +
                        "(fix: pin each host to one key)",
                );
        return existing.resource;
    }
    const name = id !== undefined ? `apparmor-hostkey-${key}` : `${profileName}-${key}-hostkey`;
    const hk = new HostKey(
        name,
        { host: h.host, port: h.port, target: connectionLabel(h), pin: h.hostKey },
        { parent },
    );
    if (id !== undefined) registry.set(id, { resource: hk, pin: h.hostKey });
    return hk;
}

/**
 * What identifies a host across the Profiles of a program: its explicit `name`, else its plain
 * host and port; undefined when neither is known now.
 */
export function hostIdentity(h: HostConnectionArgs): string | undefined {
    if (h.name !== undefined) return `name:${h.name}`;
    if (typeof h.host === "string" && (h.port === undefined || typeof h.port === "number"))
        return `${h.host}:${h.port ?? 22}`;
    return undefined;
}

/** Whether two plain pins name the same key (undefined when one cannot be parsed). */
function samePin(a: string, b: string): boolean | undefined {
    try {
        return pinFingerprint(a) === pinFingerprint(b);
    } catch {
        return undefined;
    }
}

interface Declared {
    readonly resource: HostKey;
    readonly pin: pulumi.Input<string> | undefined;
}

const declared = new WeakMap<object, Map<string, Declared>>();
const noStack = {};

function declaredIn(): Map<string, Declared> {
    const stack: object = pulumi.runtime.getStackResource() ?? noStack;
    let m = declared.get(stack);
    if (!m) {
        m = new Map();
        declared.set(stack, m);
    }
    return m;
}
