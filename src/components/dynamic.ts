/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The dynamic-provider objects the engine serializes. Pulumi serializes a dynamic provider's code
 * into state (`__provider`) and evaluates it in its `pulumi-resource-pulumi-nodejs` process, so the
 * serialized part must capture no native objects (ssh2 sockets, crypto bindings). These shims capture
 * only a module path and `require` the real implementation inside each method; the implementation
 * module (and its SSH pool) then lives once per provider process.
 *
 * Resolution order inside the provider process: the installed package (`pulumi-apparmor`, from the
 * program's node_modules — survives a moved checkout), then the absolute path of this build. When
 * running from TypeScript sources (tests), ts-node is registered first (transpile only).
 */
import * as path from "path";

const ext = path.extname(__filename);
const implAbs = path.join(__dirname, `providers${ext}`);
const pkgImpl = "pulumi-apparmor/dist/src/components/providers";
const tsNode = ext === ".ts" ? safeResolve("ts-node") : undefined;
const tsProject = ext === ".ts" ? path.join(__dirname, "..", "..", "tsconfig.json") : undefined;

function safeResolve(m: string): string | undefined {
    try {
        return require.resolve(m);
    } catch {
        return undefined;
    }
}

/** The implementation module, loaded on first use inside whichever process runs the provider. */
function impl(): typeof import("./providers") {
    // Everything referenced here is a string constant or `require`: safe to serialize.
    if (implAbs.endsWith(".ts")) {
        const g = globalThis as { __pulumiApparmorTsNode?: boolean };
        if (!g.__pulumiApparmorTsNode && tsNode) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require(tsNode).register({ transpileOnly: true, project: tsProject });
            g.__pulumiApparmorTsNode = true;
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(implAbs);
    }
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(implAbs);
    } catch (e) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(pkgImpl);
        } catch {
            throw e;
        }
    }
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

/** Provider of `RolloutWave` (one wave of a staged rollout). */
export const rolloutWaveShim = {
    check: (o: any, n: any) => impl().rolloutWaveProvider.check(o, n),
    diff: (id: string, o: any, n: any) => impl().rolloutWaveProvider.diff(id, o, n),
    create: (i: any) => impl().rolloutWaveProvider.create(i),
    read: (id: string, p: any) => impl().rolloutWaveProvider.read(id, p),
    update: (id: string, o: any, n: any) => impl().rolloutWaveProvider.update(id, o, n),
    delete: () => impl().rolloutWaveProvider.delete(),
};
