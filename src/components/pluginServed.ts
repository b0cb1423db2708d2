/**
 * Who serves the components' custom resources (HostProfile, Confinement, HostKey, RolloutWave,
 * ComposeDeployment).
 *
 * - In a Node.js program (the default): dynamic resources (`pulumi-nodejs:dynamic/apparmor:TYPE`),
 *   served by the engine's `pulumi-resource-pulumi-nodejs` process, which loads the implementation
 *   by package name from the program's `node_modules` (`./dynamic`).
 * - Inside the component provider (`provider/`, used from Python, YAML, …): custom resources of this
 *   package (`apparmor:index:TYPE`), served by the same `apparmor` plugin that constructs the
 *   components (`./pluginProvider`). The dynamic path cannot work there: the engine starts
 *   `pulumi-resource-pulumi-nodejs` in the program's folder, where a Python or YAML program has no
 *   `node_modules` (neither `@pulumi/pulumi` nor this package resolves; pulumi/pulumi#5455), and
 *   state would have to hold a path of the machine for it to find the code. Served by the plugin,
 *   state holds only the resources' inputs and outputs (no code, no path): whichever copy of the
 *   plugin a later `pulumi up`, `refresh` or `destroy` runs serves them.
 *
 * The provider calls {@link servePluginResources} once, before it constructs anything.
 */
import * as pulumi from "@pulumi/pulumi";

let served = false;

/** Makes this process register the custom resources as `apparmor:index:TYPE` (the component provider). */
export function servePluginResources(): void {
    served = true;
}

/** Whether this process registers them as resources of the `apparmor` plugin. */
export function pluginServesResources(): boolean {
    return served;
}

/** The type token of custom resource `type` when the plugin serves it. */
export function pluginResourceType(type: string): string {
    return `apparmor:index:${type}`;
}

/** A custom resource of the plugin (`pulumi.CustomResource` is abstract). */
class PluginResource extends pulumi.CustomResource {}

/**
 * Registers `apparmor:index:TYPE` (served by the plugin) when this process is the component provider;
 * undefined otherwise (the caller registers its dynamic resource). The resource has an output for
 * every key of `props`, as a dynamic resource does.
 */
export function pluginResource(
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResource | undefined {
    if (!served) return undefined;
    return new PluginResource(pluginResourceType(type), name, props, opts);
}
