/**
 * The dynamic provider of `Confinement`: proves that a container really runs under its profile by
 * reading the label of its init process on the host (`/proc/<pid>/attr/current`, via `docker
 * inspect`; the `labels` part of the host's shared read, so the checks of one engine operation join
 * its profiles' reads in one host run). docker silently runs `--security-opt apparmor=X` containers
 * unconfined when AppArmor is off, and unloading a profile silently unconfines its running
 * containers; both show up here.
 *
 * - create/update: check the label; a wrong label fails the step (update first restarts the
 *   container once, which re-applies the profile: the repair for a container left unconfined;
 *   not when AppArmor is disabled on the host, which no restart can repair).
 * - read: the live label; a mismatch is drift, repaired by the next `up`. When AppArmor is off on
 *   the host, the reason says so and names the host.
 *
 * Every connection checks the host key: the pinned `hostKey`, else the one recorded in this
 * resource's state on first use (`hostKeySeen`); a host presenting another key is refused before
 * any credential is sent, so no label is ever read from it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "./connection";
import { connectionCheckFailures } from "./connection";
import { isUnknown } from "./unknown";
import { HostStepError, HostStepTimeout } from "./errors";
import * as ops from "./hostops";
import { canonicalJson, sshTarget } from "./hostProfileProvider";
import type { ProfileMode } from "../state";
import { CONTAINER_ID_RE } from "../host/labels";
import { seenHostKey, SshError, SshTarget } from "./ssh";

export interface ConfinementInputs {
    connection: PlainConnection;
    target: string;
    containerId: string;
    profileName: string;
    mode: ProfileMode;
    /** desired: always empty; the refreshed copy holds the reasons found. */
    drift: string[];
}

export interface ConfinementOutputs extends ConfinementInputs {
    /** label of the container's init process, e.g. `docker-default-secure (enforce)`. */
    label: string;
    /** container restarts this resource made to repair confinement. */
    restarts: number;
    /** fingerprint the host presented (trust on first use when no hostKey is pinned). */
    hostKeySeen?: string;
    checkedAt: string;
}

export function expectedLabel(profileName: string, mode: ProfileMode): string {
    return `${profileName} (${mode})`;
}

/**
 * Drift reasons for a container label. `apparmorOffOn` names the host when AppArmor is disabled
 * there: its running containers are unconfined whatever label another LSM reports (e.g. `kernel`).
 */
export function labelDrift(
    label: string | undefined,
    profileName: string,
    mode: ProfileMode,
    apparmorOffOn?: string,
): string[] {
    const want = expectedLabel(profileName, mode);
    if (label === undefined) return [`container is not running (expected label ${want})`];
    if (apparmorOffOn !== undefined)
        return [
            `container runs unconfined: AppArmor is disabled on host ${apparmorOffOn} ` +
                `(label ${JSON.stringify(label)}, expected ${want})`,
        ];
    if (label === want) return [];
    if (label === "unconfined") return [`container runs unconfined (expected ${want})`];
    return [`container runs with label "${label}" (expected ${want})`];
}

/** What the host's shared read says of the container (see hostops.containerLabel). */
type LabelRead = Awaited<ReturnType<typeof ops.containerLabel>>;

async function label(t: SshTarget, i: ConfinementInputs): Promise<LabelRead> {
    return ops.containerLabel(t, i.target, i.connection.sudo, i.containerId);
}

/**
 * The drift of a container's label. A wrong label on a host where AppArmor is disabled (the read
 * says so beside the label) is named as such, and not "repaired" by a restart that cannot help.
 */
function drift(i: ConfinementInputs, r: LabelRead): { problems: string[]; apparmorOff: boolean } {
    const problems = labelDrift(r.label, i.profileName, i.mode);
    if (problems.length === 0 || r.label === undefined || r.apparmorEnabled)
        return { problems, apparmorOff: false };
    return { problems: labelDrift(r.label, i.profileName, i.mode, i.target), apparmorOff: true };
}

function wrap(target: string, e: unknown): Error {
    if (e instanceof HostStepError) return e;
    if (e instanceof SshError && e.kind === "timeout")
        return new HostStepTimeout(target, "confinement", e.message);
    if (e instanceof SshError) return new HostStepError(target, "connect", e.message);
    return e instanceof Error ? e : new Error(String(e));
}

/** The key to record: the one the host presented now, else the one recorded before. */
function hostKeySeen(t: SshTarget, recorded: string | undefined): { hostKeySeen?: string } {
    const seen = seenHostKey(t) ?? recorded;
    return seen ? { hostKeySeen: seen } : {};
}

async function verify(
    i: ConfinementInputs,
    restartIfWrong: boolean,
    restarts: number,
    recorded: string | undefined,
) {
    const t = sshTarget(i.connection, recorded);
    try {
        let l = await label(t, i);
        let { problems, apparmorOff } = drift(i, l);
        // With AppArmor off on the host a restart cannot confine the container: fail at once.
        if (problems.length > 0 && restartIfWrong && !apparmorOff) {
            await ops.restartContainer(t, i.target, i.connection.sudo, i.containerId);
            restarts++;
            l = await label(t, i);
            ({ problems, apparmorOff } = drift(i, l));
        }
        if (problems.length > 0)
            throw new HostStepError(
                i.target,
                "confinement",
                `container ${i.containerId.slice(0, 12)}: ${problems.join("; ")}`,
            );
        return { label: l.label as string, restarts, ...hostKeySeen(t, recorded) };
    } catch (e) {
        throw wrap(i.target, e);
    }
}

export const confinementProvider = {
    async check(
        _o: unknown,
        news: Partial<ConfinementInputs>,
    ): Promise<pulumi.dynamic.CheckResult> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const id = news.containerId;
        if (typeof id === "string" && !isUnknown(id) && !CONTAINER_ID_RE.test(id))
            failures.push({
                property: "containerId",
                reason: "must be a docker container ID (hex)",
            });
        failures.push(...connectionCheckFailures(news.connection));
        return { inputs: news, failures };
    },

    async diff(
        _id: string,
        olds: Partial<ConfinementOutputs>,
        news: Partial<ConfinementInputs>,
    ): Promise<pulumi.dynamic.DiffResult> {
        const replaces = olds.containerId !== news.containerId ? ["containerId"] : [];
        const changes =
            replaces.length > 0 ||
            olds.profileName !== news.profileName ||
            olds.mode !== news.mode ||
            olds.target !== news.target ||
            canonicalJson(olds.connection) !== canonicalJson(news.connection) ||
            (olds.drift?.length ?? 0) > 0;
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(i: ConfinementInputs): Promise<pulumi.dynamic.CreateResult> {
        const r = await verify(i, false, 0, undefined);
        const outs: ConfinementOutputs = {
            ...i,
            drift: [],
            ...r,
            checkedAt: new Date().toISOString(),
        };
        return { id: i.containerId, outs };
    },

    async update(
        _id: string,
        olds: ConfinementOutputs,
        news: ConfinementInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        const r = await verify(news, true, olds.restarts ?? 0, olds.hostKeySeen);
        return { outs: { ...news, drift: [], ...r, checkedAt: new Date().toISOString() } };
    },

    async read(id: string, props: ConfinementOutputs): Promise<pulumi.dynamic.ReadResult> {
        const t = sshTarget(props.connection, props.hostKeySeen);
        try {
            const l = await label(t, props);
            const { problems } = drift(props, l);
            const outs: ConfinementOutputs = {
                ...props,
                label: l.label ?? "not running",
                drift: problems,
                ...hostKeySeen(t, props.hostKeySeen),
                checkedAt: new Date().toISOString(),
            };
            const { connection, target, containerId, profileName, mode } = props;
            return {
                id,
                props: outs,
                inputs: { connection, target, containerId, profileName, mode, drift: problems },
            };
        } catch (e) {
            throw wrap(props.target, e);
        }
    },

    async delete(_id: string, _props: unknown): Promise<void> {
        // Nothing on the host belongs to this resource: the container is deleted by docker.
    },
};
