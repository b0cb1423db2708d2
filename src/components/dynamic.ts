/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The dynamic-provider objects the engine serializes. Pulumi serializes a dynamic provider's code
 * into state (`__provider`) and evaluates it in its `pulumi-resource-pulumi-nodejs` process, so the
 * serialized part must capture no native objects (ssh2 sockets, crypto bindings). These shims capture
 * only the package-relative module name of the implementation and `require` it inside each method;
 * the implementation module (and its SSH pool) then lives once per provider process.
 *
 * The implementation is resolved by package name only, from the program's `node_modules` (or
 * `NODE_PATH`): the installed package's own code, whatever directory it was built in; state holds
 * no path of the machine that ran the program. This repository's tests run the components from
 * TypeScript sources: their engine harness puts `test/support/node_path` on `NODE_PATH`, where a
 * stand-in `pulumi-apparmor` package loads the sources through ts-node.
 */

/** What the provider process requires: the installed package's implementation module. */
const IMPLEMENTATION = "pulumi-apparmor/dist/src/components/providers";

/** The implementation module, loaded on first use inside whichever process runs the provider. */
function impl(): typeof import("./providers") {
    // Everything referenced here is a string constant or `require`: safe to serialize.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(IMPLEMENTATION);
}

/** Provider of `HostProfile` (one profile on one host). */
export const hostProfileShim = {
    check: (o: any, n: any) => impl().hostProfileProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().hostProfileProvider.diff(id, o, n),
    create: (i: any) => impl().hostProfileProvider.create(i),
    read: (id: string, p: any) => impl().hostProfileProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().hostProfileProvider.update(id, o, n),
    delete: (id: string, p: any) => impl().hostProfileProvider.delete(id, p),
};

/** Provider of `Confinement` (a container's real AppArmor label). */
export const confinementShim = {
    check: (o: any, n: any) => impl().confinementProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().confinementProvider.diff(id, o, n),
    create: (i: any) => impl().confinementProvider.create(i),
    read: (id: string, p: any) => impl().confinementProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().confinementProvider.update(id, o, n),
    delete: (id: string, p: any) => impl().confinementProvider.delete(id, p),
};

/** Provider of `HostKey` (a host's verified SSH key, for the host preparation's Command). */
export const hostKeyShim = {
    check: (o: any, n: any) => impl().hostKeyProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().hostKeyProvider.diff(id, o, n),
    create: (i: any) => impl().hostKeyProvider.create(i),
    read: (id: string, p: any) => impl().hostKeyProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().hostKeyProvider.update(id, o, n),
    delete: (id: string, p: any) => impl().hostKeyProvider.delete(id, p),
};

/** Provider of `RolloutWave` (one wave of a staged rollout). */
export const rolloutWaveShim = {
    check: (o: any, n: any) => impl().rolloutWaveProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().rolloutWaveProvider.diff(id, o, n),
    create: (i: any) => impl().rolloutWaveProvider.create(i),
    read: (id: string, p: any) => impl().rolloutWaveProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().rolloutWaveProvider.update(id, o, n),
    delete: () => impl().rolloutWaveProvider.delete(),
};

/** Provider of `ComposeDeployment` (a compose project on one host). */
export const composeShim = {
    check: (o: any, n: any) => impl().composeProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().composeProvider.diff(id, o, n),
    create: (i: any) => impl().composeProvider.create(i),
    read: (id: string, p: any) => impl().composeProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().composeProvider.update(id, o, n),
    delete: (id: string, p: any) => impl().composeProvider.delete(id, p),
};
