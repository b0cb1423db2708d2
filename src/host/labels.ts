/**
 * The `labels` host script (labels.sh): the kernel's AppArmor label of containers' init processes,
 * what the Confinement check of `ProfiledContainer` reads. Run as a part of `read` (one host run for
 * a refresh's whole read, see read.ts) or alone. Pure: command text, the strictly checked result, and
 * which container docker would resolve an ID to.
 */
import {
    badOutputError,
    buildHostCommand,
    HostScriptError,
    parseHostResult,
    type HostCommand,
    type HostCommandOptions,
    type ScriptOutput,
} from "./index";

/** Docker container IDs and ID prefixes this library accepts: 12 to 64 lowercase hex digits. */
export const CONTAINER_ID_RE = /^[0-9a-f]{12,64}$/;

/** Most IDs one `labels` run (or read part) carries (the script's bound). */
export const MAX_LABEL_IDS = 500;

/** Why `id` is not a container ID this library sends to a host, or undefined. */
export function validateContainerId(id: string): string | undefined {
    if (typeof id === "string" && CONTAINER_ID_RE.test(id)) return undefined;
    return `container id "${String(id)
        .slice(0, 80)
        .replace(/[^\x20-\x7e]/g, "?")}" is not 12 to 64 lowercase hex digits`;
}

/** The arguments of a labels run: the IDs, validated (throws naming the first bad one). */
export function labelsArgs(ids: readonly string[]): string[] {
    if (ids.length < 1 || ids.length > MAX_LABEL_IDS)
        throw new Error(`invalid labels part: 1 to ${MAX_LABEL_IDS} ids, got ${ids.length}`);
    for (const id of ids) {
        const why = validateContainerId(id);
        if (why) throw new Error(`invalid ${why}`);
    }
    return [...ids];
}

/** `labels ID…` alone (the providers send it as a part of `read`). */
export function labelsCommand(ids: readonly string[], opts: HostCommandOptions = {}): HostCommand {
    return { script: "labels", command: buildHostCommand("labels", labelsArgs(ids), opts) };
}

/** One container docker found for the IDs asked. */
export interface InspectedContainer {
    /** The full ID. */
    readonly id: string;
    /** Docker's name, with its leading `/`. */
    readonly name: string;
    /** The init process; 0 when the container is not running. */
    readonly pid: number;
    /** First line of /proc/PID/attr/current, "unconfined" when unreadable, "" when not running. */
    readonly label: string;
}

export interface LabelsResult {
    readonly ok: true;
    readonly apparmor: { readonly enabled: boolean };
    readonly containers: readonly InspectedContainer[];
}

/** Longest name or label accepted from a host. */
const MAX_FIELD = 4096;

function bad(message: string, out: ScriptOutput): HostScriptError {
    return badOutputError("labels", message, out);
}

/** The result line of `labels`, every field checked; anything else is a `bad-output` error. */
export function parseLabels(out: ScriptOutput): LabelsResult {
    const r = parseHostResult("labels", out);
    const a = r.apparmor as { enabled?: unknown } | null;
    if (typeof a !== "object" || a === null || typeof a.enabled !== "boolean")
        throw bad("apparmor.enabled is not a boolean", out);
    if (!Array.isArray(r.containers)) throw bad("containers is not a list", out);
    const containers = r.containers.map((c: unknown, i): InspectedContainer => {
        const o = c as Record<string, unknown> | null;
        if (typeof o !== "object" || o === null) throw bad(`containers[${i}]: not an object`, out);
        const { id, name, pid, label } = o;
        if (typeof id !== "string" || !CONTAINER_ID_RE.test(id))
            throw bad(`containers[${i}].id: not a container ID`, out);
        if (typeof name !== "string" || name.length > MAX_FIELD)
            throw bad(`containers[${i}].name: not a string`, out);
        if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid < 0)
            throw bad(`containers[${i}].pid: not a process ID`, out);
        if (typeof label !== "string" || label.length > MAX_FIELD)
            throw bad(`containers[${i}].label: not a string`, out);
        return { id, name, pid, label };
    });
    return { ok: true, apparmor: { enabled: a.enabled }, containers };
}

/** A container as the Confinement check sees it. */
export interface ContainerLabel {
    readonly state: "running" | "stopped" | "missing";
    /** The label of its init process, when running (e.g. `web (enforce)`, `unconfined`). */
    readonly label?: string;
}

/**
 * The container `ref` names among those one `labels` run found, resolved as docker resolves it: the
 * full ID, else the name, else the only ID it is a prefix of (several: docker refuses the ambiguous
 * prefix, so none). Not found: "missing"; pid 0: "stopped"; else running with its label (trimmed).
 */
export function containerLabelOf(r: LabelsResult, ref: string): ContainerLabel {
    const byPrefix = [
        ...new Set(r.containers.filter((c) => c.id.startsWith(ref)).map((c) => c.id)),
    ];
    const c =
        r.containers.find((x) => x.id === ref) ??
        r.containers.find((x) => x.name === `/${ref}`) ??
        (byPrefix.length === 1 ? r.containers.find((x) => x.id === byPrefix[0]) : undefined);
    if (!c) return { state: "missing" };
    if (c.pid === 0) return { state: "stopped" };
    return { state: "running", label: c.label.trim() };
}
