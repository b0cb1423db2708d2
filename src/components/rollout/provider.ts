/**
 * The dynamic provider of `RolloutWave`: runs {@link runWave} over the pooled SSH connections of the
 * wave's hosts. A failed gate is reported as a resource initialisation failure that carries the
 * hosts' real state (what was staged, reverted or promoted), so the engine records it and the next
 * `pulumi up` continues from there (hosts that passed this version are not soaked again).
 *
 * - create/update: run the wave (see `wave.ts`);
 * - diff: the version, text, hosts or settings changed;
 * - read: nothing to ask the hosts (each host's truth is its `HostProfile`): state as recorded;
 * - delete: nothing on the hosts (the `HostProfile`s remove the profile).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "../connection";
import { connectionCheckFailures } from "../connection";
import { isUnknown } from "../unknown";
import { isDenialSource } from "../../host";
import * as ops from "../hostops";
import { canonicalJson, PROFILE_NAME_RE, sshTarget } from "../hostProfileProvider";
import { getConnection, seenHostKey, type SshTarget } from "../ssh";
import type { ProfileMode } from "../../state";
import type { RolloutSettings } from "./args";
import { runWave, type WaveHost, type WaveHostOps, type WaveHostState } from "./wave";

/** Inputs of a `RolloutWave`. */
export interface RolloutWaveInputs {
    wave: number;
    waves: number;
    profileName: string;
    profileText: string;
    version: string;
    directory: string;
    /** The plan: the wave's hosts in order (shown by `pulumi preview`). */
    hosts: WaveHost[];
    /** secret: the connections by host key. */
    connections: Record<string, PlainConnection>;
    settings: RolloutSettings;
    /** `Profile.adopt`: staging may take over an unmanaged profile of the same name. */
    adopt?: boolean;
    /** secret: the next wave's first connections, opened ahead (see {@link openAhead}); not kept. */
    nextConnections?: Record<string, PlainConnection>;
}

export interface RolloutWaveOutputs extends Omit<RolloutWaveInputs, "nextConnections"> {
    /** What the wave did on each host (see `WaveHostState`). */
    hostStates: Record<string, WaveHostState>;
    /** Host keys seen on first use, by host key (trust on first use when no hostKey is pinned). */
    hostKeysSeen: Record<string, string>;
    checkedAt: string;
}

/** `check`: the plan's shape and the connections (values known at preview). */
export function checkWaveInputs(news: Partial<RolloutWaveInputs>): pulumi.dynamic.CheckFailure[] {
    const f: pulumi.dynamic.CheckFailure[] = [];
    if (
        typeof news.profileName === "string" &&
        !isUnknown(news.profileName) &&
        !PROFILE_NAME_RE.test(news.profileName)
    )
        f.push({ property: "profileName", reason: "must be a valid profile name" });
    const conns = news.connections;
    if (conns && typeof conns === "object" && !isUnknown(conns))
        for (const [k, c] of Object.entries(conns))
            f.push(...connectionCheckFailures(c, `connections.${k}.`));
    return f;
}

/** `diff`: anything that changes what the wave would put on its hosts. */
export function diffWave(
    olds: Partial<RolloutWaveOutputs>,
    news: Partial<RolloutWaveInputs>,
): pulumi.dynamic.DiffResult {
    // not nextConnections: the next wave's connections change nothing this wave puts on its hosts
    const keys: (keyof RolloutWaveOutputs & keyof RolloutWaveInputs)[] = [
        "wave",
        "waves",
        "profileName",
        "profileText",
        "version",
        "directory",
        "hosts",
        "connections",
        "settings",
    ];
    const changes = keys.some((k) => canonicalJson(olds[k]) !== canonicalJson(news[k]));
    return { changes, replaces: [], deleteBeforeReplace: false };
}

function installInput(
    i: RolloutWaveInputs,
    text: string,
    mode: ProfileMode | "keep",
): ops.InstallInput {
    return { name: i.profileName, directory: i.directory, text, mode, adopt: i.adopt === true };
}

/** The SSH operations of a wave, for the inputs' connections. */
function sshOps(i: RolloutWaveInputs, seen: Record<string, string>): WaveHostOps {
    const conn = (h: WaveHost) => {
        const c = i.connections[h.hostName];
        if (!c) throw new Error(`no connection for host ${h.hostName}`);
        return { c, t: sshTarget(c, seen[h.hostName]) };
    };
    const remember = (h: WaveHost, t: ReturnType<typeof sshTarget>) => {
        const fp = seenHostKey(t);
        if (fp) seen[h.hostName] = fp;
    };
    return {
        async stage(h, text, mode, keep, readLog) {
            const { c, t } = conn(h);
            const r = await ops.waveStage(t, h.target, c.sudo, {
                ...installInput(i, text, mode),
                ...(keep ? { unless: keep } : {}),
                ...(readLog ? { readLog: true } : {}),
            });
            remember(h, t);
            const p = r.prior;
            return {
                before: {
                    present: p.present,
                    sha256: p.sha256,
                    kernelMode: p.kernelMode,
                    text: p.text,
                },
                position: p.position || undefined,
                ...(p.source ? { source: p.source } : {}),
                ...(r.install
                    ? {
                          installed: {
                              fileSha256: r.install.sha256,
                              kernelMode: r.install.kernelMode,
                          },
                      }
                    : {}),
                ...(r.labels ? { after: r.labels } : {}),
                ...(r.records ? { records: r.records } : {}),
                ...(r.checkError !== undefined ? { checkError: r.checkError } : {}),
            };
        },
        async install(h, text, mode) {
            const { c, t } = conn(h);
            const r = await ops.install(t, h.target, c.sudo, installInput(i, text, mode));
            return { fileSha256: r.fileSha256, kernelMode: r.live.mode ?? "" };
        },
        async recordsSince(h, position, source) {
            const { c, t } = conn(h);
            // `start` when the host had no log position: every line then is newer than the load.
            return (
                await ops.denials(
                    t,
                    h.target,
                    c.sudo,
                    position ?? "start",
                    isDenialSource(source) ? source : undefined,
                )
            ).records;
        },
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        now: () => Date.now(),
    };
}

/**
 * Opens, in the background, the pooled SSH connections of `conns` that have a pinned `hostKey` (the
 * next wave's first hosts): the handshake happens while this wave works, and the next wave's first
 * command finds the connection ready. Nothing runs on those hosts. A connection that fails is
 * forgotten by the pool, so the next wave connects again and reports the failure itself; a host whose
 * key is only recorded is left alone (the next wave checks it against the key it recorded). Returns
 * how many were opened.
 */
export function openAhead(
    conns: Record<string, PlainConnection> | undefined,
    connect: (t: SshTarget) => Promise<unknown> = getConnection,
): number {
    let n = 0;
    for (const c of Object.values(conns ?? {})) {
        if (typeof c !== "object" || c === null || isUnknown(c) || !c.hostKey) continue;
        connect(sshTarget(c)).catch(() => undefined);
        n++;
    }
    return n;
}

async function apply(
    all: RolloutWaveInputs,
    olds: Partial<RolloutWaveOutputs> | undefined,
    id: string,
): Promise<RolloutWaveOutputs> {
    const { nextConnections, ...news } = all;
    openAhead(nextConnections);
    const seen: Record<string, string> = { ...(olds?.hostKeysSeen ?? {}) };
    const r = await runWave(news, olds?.hostStates, sshOps(news, seen));
    const outs: RolloutWaveOutputs = {
        ...news,
        hostStates: r.hostStates,
        hostKeysSeen: seen,
        checkedAt: new Date().toISOString(),
    };
    if (r.failure !== undefined) {
        // An initialisation failure with the real state: the engine records `properties` and fails
        // the update; the next `up` updates this resource again.
        throw Object.assign(new Error(r.failure), { id, properties: outs, reasons: [r.failure] });
    }
    return outs;
}

function waveId(i: RolloutWaveInputs): string {
    return `${i.profileName}/wave-${i.wave}`;
}

export const rolloutWaveProvider = {
    async check(
        _olds: Partial<RolloutWaveInputs>,
        news: Partial<RolloutWaveInputs>,
    ): Promise<pulumi.dynamic.CheckResult> {
        return { inputs: news, failures: checkWaveInputs(news) };
    },

    async diff(
        _id: string,
        olds: Partial<RolloutWaveOutputs>,
        news: Partial<RolloutWaveInputs>,
    ): Promise<pulumi.dynamic.DiffResult> {
        return diffWave(olds, news);
    },

    async create(inputs: RolloutWaveInputs): Promise<pulumi.dynamic.CreateResult> {
        const id = waveId(inputs);
        return { id, outs: await apply(inputs, undefined, id) };
    },

    async update(
        id: string,
        olds: RolloutWaveOutputs,
        news: RolloutWaveInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await apply(news, olds, id) };
    },

    async read(id: string, props: RolloutWaveOutputs): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    },

    async delete(): Promise<void> {
        // The wave owns nothing on the hosts.
    },
};
