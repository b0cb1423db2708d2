/**
 * Runs the pack's policies against mock resources the way `@pulumi/policy`'s analyzer server does
 * (its `analyze` and `analyzeStack` handlers, server.js): props wrapped in the package's own
 * `unknownCheckingProxy` (so an unknown value throws its `UnknownValueError`, as during a preview),
 * URNs, parents, providers, dependencies and property dependencies resolved to resource objects, and
 * `getConfig` returning the policy's config. `@pulumi/policy` ships no test helpers of its own; its
 * tests (and Pulumi's docs on testing policies) build these argument bags by hand, as here.
 */
import {
    unknownCheckingProxy,
    UnknownValueError,
    type PolicyResource,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";

const sentinels = proxyModule as unknown as {
    unknownStringValue: string;
    unknownBooleanValue: string;
    unknownArrayValue: string;
};
/** What the engine sends for a string (a boolean, an array) not known during a preview. */
export const UNKNOWN_STRING = sentinels.unknownStringValue;
export const UNKNOWN_BOOL = sentinels.unknownBooleanValue;
export const UNKNOWN_ARRAY = sentinels.unknownArrayValue;

/** A resource of a mock stack. Parents, providers and dependencies are given by resource name. */
export interface MockResource {
    readonly type: string;
    readonly name: string;
    readonly props?: Record<string, unknown>;
    /** Name of the parent resource (a component). Defaults to the stack. */
    readonly parent?: string;
    /** The provider (as the engine describes it: type, name, props). */
    readonly provider?: { readonly name: string; readonly props: Record<string, unknown> };
    readonly dependsOn?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** Where the mock stack lives. */
export interface MockStack {
    readonly stack?: string;
    readonly project?: string;
}

/** A violation as the engine reports it. */
export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

/** `urn:pulumi:STACK::PROJECT::[PARENT_TYPE$]TYPE::NAME`. */
export function urnOf(
    r: MockResource,
    all: readonly MockResource[] = [],
    where: MockStack = {},
): string {
    const chain: string[] = [];
    for (let p = r.parent; p; p = all.find((x) => x.name === p)?.parent) {
        const parent = all.find((x) => x.name === p);
        if (parent) chain.unshift(parent.type);
    }
    const type = [...chain, r.type].join("$");
    return `urn:pulumi:${where.stack ?? "dev"}::${where.project ?? "app"}::${type}::${r.name}`;
}

function notApplicable(reason?: string): never {
    throw new Error(`not applicable: ${reason}`);
}

const providerOf = (r: MockResource) =>
    r.provider && {
        type: "pulumi:providers:docker",
        name: r.provider.name,
        urn: `urn:pulumi:dev::app::pulumi:providers:docker::${r.provider.name}`,
        props: unknownCheckingProxy(r.provider.props),
    };

/**
 * The violations a resource policy reports for `r` (with `config` as the engine would pass it).
 * An `UnknownValueError` propagates, as the server turns it into its advisory "can't run during
 * preview" note.
 */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    r: MockResource,
    config: object = {},
    where: MockStack = {},
    all: readonly MockResource[] = [r],
): Promise<Violation[]> {
    const violations: Violation[] = [];
    const report = (message: string, urn?: string) => violations.push({ message, urn });
    const parent = r.parent ? all.find((x) => x.name === r.parent) : undefined;
    const props = unknownCheckingProxy({ ...(r.props ?? {}) });
    const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn: urnOf(r, all, where),
        name: r.name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            ...(parent ? { parent: urnOf(parent, all, where) } : {}),
        },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable,
        ...(r.provider ? { provider: providerOf(r) } : {}),
    };
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
    for (const v of validations) if (v) await v(args, report);
    return violations;
}

/** The violations a stack policy reports for the mock stack `resources`. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: readonly MockResource[],
    config: object = {},
    where: MockStack = {},
): Promise<Violation[]> {
    const violations: Violation[] = [];
    const report = (message: string, urn?: string) => violations.push({ message, urn });
    const byName = new Map<string, PolicyResource>();
    for (const r of resources)
        byName.set(r.name, {
            type: r.type,
            props: unknownCheckingProxy({ ...(r.props ?? {}) }),
            urn: urnOf(r, resources, where),
            name: r.name,
            opts: {
                protect: false,
                ignoreChanges: [],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
            },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
            ...(r.provider ? { provider: providerOf(r) } : {}),
        });
    const get = (n: string): PolicyResource => {
        const x = byName.get(n);
        if (!x) throw new Error(`mock stack has no resource ${n}`);
        return x;
    };
    for (const r of resources) {
        const pr = get(r.name) as { -readonly [K in keyof PolicyResource]: PolicyResource[K] };
        if (r.parent) pr.parent = get(r.parent);
        const propDeps = Object.fromEntries(
            Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map(get)]),
        );
        pr.propertyDependencies = propDeps;
        pr.dependencies = [
            ...new Set([
                ...(r.dependsOn ?? []),
                ...Object.values(r.propertyDependencies ?? {}).flat(),
            ]),
        ].map(get);
    }
    const args: StackValidationArgs = {
        resources: resources.map((r) => get(r.name)),
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
    await policy.validateStack(args, report);
    return violations;
}

/** Whether `e` is the error `@pulumi/policy` raises for a value unknown during a preview. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof UnknownValueError;
}
