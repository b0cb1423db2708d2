/* eslint-disable @typescript-eslint/no-explicit-any -- property bags as the engine sends them */
/**
 * The CRUD side of the component provider (`provider/`): the custom resources the components
 * register there as `apparmor:index:TYPE` (`./pluginServed`) are served by the plugin process
 * itself, with the very implementations a Node.js program's dynamic provider runs (`./providers`):
 * same check, diff, create, read, update and delete, same SSH pool per process.
 *
 * Differences from the dynamic provider, handled here: the calls carry the resource's URN (the type
 * picks the implementation); the plugin accepts secrets (`@pulumi/pulumi/provider` says so to the
 * engine), so secret values arrive wrapped and are unwrapped before the implementation sees them,
 * as the dynamic provider (which does not accept secrets) gets them; and the engine then trusts the
 * plugin to mark its results' secrets, so every property that came in secret goes back out secret
 * ({@link rewrapSecrets}; for a dynamic provider the engine does that itself). Outputs are also
 * marked by the resources' `additionalSecretOutputs`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { pluginResourceType } from "./pluginServed";
import * as impl from "./providers";

/** A dynamic provider's methods, as `./providers` exports them. */
interface Implementation {
    check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult>;
    diff(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult>;
    create(inputs: any): Promise<pulumi.dynamic.CreateResult>;
    read(id: string, props: any): Promise<pulumi.dynamic.ReadResult>;
    update(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult>;
    delete(id: string, props: any): Promise<void>;
}

/** The implementation of each plugin-served type. */
const IMPLEMENTATIONS: ReadonlyMap<string, Implementation> = new Map<string, Implementation>([
    [pluginResourceType("HostProfile"), impl.hostProfileProvider as Implementation],
    [pluginResourceType("Confinement"), impl.confinementProvider as Implementation],
    [pluginResourceType("HostKey"), impl.hostKeyProvider as Implementation],
    [pluginResourceType("RolloutWave"), impl.rolloutWaveProvider as Implementation],
    [pluginResourceType("ComposeDeployment"), impl.composeProvider as Implementation],
]);

/**
 * The resource type in URN `urn` (`urn:pulumi:STACK::PROJECT::[PARENT-TYPE$…$]TYPE::NAME`); throws
 * for a string of another form.
 */
export function urnType(urn: string): string {
    const parts = urn.split("::");
    if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:"))
        throw new Error(`not a resource URN: ${JSON.stringify(urn)}`);
    const types = parts[2].split("$");
    return types[types.length - 1];
}

/**
 * `v` with every secret (`{SIG: SECRET, value}`) replaced by its value, in objects and arrays at
 * any depth; everything else unchanged.
 */
export function unwrapSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig)
        return unwrapSecrets(o.value);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = unwrapSecrets(x);
    return out;
}

/** Whether `v` is or holds a secret at any depth. */
function holdsSecret(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(holdsSecret);
    if (v === null || typeof v !== "object") return false;
    const o = v as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return true;
    return Object.values(o).some(holdsSecret);
}

/**
 * `result` (the implementation's plain inputs or outputs) with every top-level property that is or
 * holds a secret in `sent` (what the engine sent) wrapped as a secret again, whole. A provider that
 * accepts secrets is trusted to return them marked: without this the engine would store the SSH
 * connection of `check`'s inputs in plain text. `undefined` stays `undefined`.
 */
export function rewrapSecrets<T>(result: T, sent: unknown): T {
    if (result === null || typeof result !== "object" || Array.isArray(result)) return result;
    if (sent === null || typeof sent !== "object") return result;
    const from = sent as Record<string, unknown>;
    const out: Record<string, unknown> = { ...(result as Record<string, unknown>) };
    for (const [k, v] of Object.entries(out)) {
        if (v !== undefined && holdsSecret(from[k]) && !holdsSecret(v))
            out[k] = {
                [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
                value: v,
            };
    }
    return out as T;
}

/** The implementation serving `urn`'s type; throws naming the type when it is not one of them. */
function implementationOf(urn: string): Implementation {
    const type = urnType(urn);
    const found = IMPLEMENTATIONS.get(type);
    if (!found)
        throw new Error(
            `the apparmor plugin serves no resource type ${JSON.stringify(type)} (it serves ${[
                ...IMPLEMENTATIONS.keys(),
            ].join(", ")})`,
        );
    return found;
}

/** The CRUD methods of the plugin's provider (the component provider adds `construct`). */
export const pluginResourceProvider: Required<
    Pick<provider.Provider, "check" | "diff" | "create" | "read" | "update" | "delete">
> = {
    check: async (urn, olds, news) => {
        const r = await implementationOf(urn).check(unwrapSecrets(olds), unwrapSecrets(news));
        return { ...r, inputs: rewrapSecrets(r.inputs, news) };
    },
    diff: (id, urn, olds, news) =>
        implementationOf(urn).diff(id, unwrapSecrets(olds), unwrapSecrets(news)),
    create: async (urn, inputs) => {
        const r = await implementationOf(urn).create(unwrapSecrets(inputs));
        return { ...r, outs: rewrapSecrets(r.outs, inputs) };
    },
    read: async (id, urn, props) => {
        const r = await implementationOf(urn).read(id, unwrapSecrets(props));
        return {
            ...r,
            props: rewrapSecrets(r.props, props),
            ...(r.inputs !== undefined ? { inputs: rewrapSecrets(r.inputs, props) } : {}),
        };
    },
    update: async (id, urn, olds, news) => {
        const r = await implementationOf(urn).update(id, unwrapSecrets(olds), unwrapSecrets(news));
        return { ...r, outs: rewrapSecrets(r.outs, news) };
    },
    delete: (id, urn, props) => implementationOf(urn).delete(id, unwrapSecrets(props)),
};
