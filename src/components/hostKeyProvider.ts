/**
 * The dynamic provider of `HostKey`: the verified SSH host key of one host, for the host
 * preparation's `remote.Command` (pulumi-command checks a host key only when given a full
 * `TYPE BASE64` line, and accepts any key otherwise).
 *
 * It only runs the SSH key exchange (no authentication: it holds no credentials) and compares the
 * key the host presents with the pin (a key line or a `SHA256:` fingerprint) or, without a pin, with
 * the key recorded in its state on first use; it records the full key line, which feeds the
 * Command's `hostKey`.
 *
 * - create: record the key (checked against the pin when there is one).
 * - update (pin or label changed): check against the new pin, else the recorded key.
 * - read (refresh): check against the pin, else the recorded key; a changed key fails, naming the
 *   host and both fingerprints.
 * - delete: nothing on the host belongs to it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { HostStepError } from "./errors";
import {
    acceptedHostKeys,
    fingerprint,
    HostKeySource,
    hostKeyAlgorithms,
    hostKeyMismatchMessage,
    keyLine,
    pinFingerprint,
    pinKeyLine,
} from "./hostKeys";
import { scanHostKey, SshError } from "./ssh";
import { isUnknown } from "./unknown";

/** Inputs of a `HostKey`. */
export interface HostKeyInputs {
    host: string;
    port: number;
    /** `user@host:port`, for messages (the user is not used: nothing authenticates). */
    target: string;
    /** The program's `hostKey` pin; absent: trust on first use. */
    pin?: string;
}

/** What state records for it. */
export interface HostKeyOutputs extends HostKeyInputs {
    /** The verified key, `TYPE BASE64` (what pulumi-command's `hostKey` takes). */
    key: string;
    /** Its `SHA256:…` fingerprint. */
    fingerprint: string;
}

/** Key types tried, in order, to find the key a fingerprint pin names on a host with several. */
const KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

function userOf(target: string): string {
    const at = target.lastIndexOf("@");
    return at > 0 ? target.slice(0, at) : "root";
}

async function scan(i: HostKeyInputs, algorithms?: string[]) {
    const blob = await scanHostKey(
        { host: i.host, port: i.port, user: userOf(i.target) },
        algorithms,
    );
    return { key: keyLine(blob), fingerprint: fingerprint(blob) };
}

/**
 * The host's key, checked against the pin, else against `recorded` (a key line); with neither, the
 * key presented now (trust on first use). Throws a {@link HostStepError} naming the host and both
 * fingerprints when the host presents another key.
 */
export async function verifyHostKey(
    i: HostKeyInputs,
    recorded: string | undefined,
): Promise<{ key: string; fingerprint: string }> {
    const expected = i.pin ?? recorded;
    if (!expected) return scan(i);
    const source: HostKeySource = i.pin ? "pinned" : "recorded";
    const want = pinFingerprint(expected);
    const line = pinKeyLine(expected);
    let first: { key: string; fingerprint: string } | undefined;
    // A key line names its type: ask for that one. A fingerprint does not: try the host's default
    // key, then each other type the host may also have.
    const attempts: (string[] | undefined)[] = line
        ? [hostKeyAlgorithms(line.split(" ")[0]), undefined]
        : [undefined, ...KEY_TYPES.map(hostKeyAlgorithms)];
    for (const algorithms of attempts) {
        let got: { key: string; fingerprint: string };
        try {
            got = await scan(i, algorithms);
        } catch (e) {
            // The host has no key of that type: try the next. Unreachable: stop at once.
            if (e instanceof SshError && e.kind === "hostkey") continue;
            throw e;
        }
        if (got.fingerprint === want) return got;
        first ??= got;
        if (line) break;
    }
    if (!first) throw new HostStepError(i.target, "connect", "no host key could be negotiated");
    if (source === "recorded" && acceptedHostKeys().has(first.fingerprint)) return first;
    throw new HostStepError(
        i.target,
        "connect",
        hostKeyMismatchMessage(i.target, first.fingerprint, want, source),
    );
}

/** `check` failures of a HostKey's inputs (known values only). */
export function checkHostKeyInputs(news: Partial<HostKeyInputs>): pulumi.dynamic.CheckFailure[] {
    const f: pulumi.dynamic.CheckFailure[] = [];
    if (
        typeof news.host === "string" &&
        !isUnknown(news.host) &&
        !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(news.host)
    )
        f.push({ property: "host", reason: "must be a host name or IP address" });
    if (
        typeof news.port === "number" &&
        !(Number.isInteger(news.port) && news.port >= 1 && news.port <= 65535)
    )
        f.push({ property: "port", reason: "must be a TCP port (1–65535)" });
    if (typeof news.pin === "string" && !isUnknown(news.pin)) {
        try {
            pinFingerprint(news.pin);
        } catch (e) {
            f.push({ property: "pin", reason: (e as Error).message });
        }
    }
    return f;
}

function wrap(target: string, e: unknown): Error {
    if (e instanceof HostStepError) return e;
    if (e instanceof SshError) return new HostStepError(target, "connect", e.message);
    return e instanceof Error ? e : new Error(String(e));
}

function inputsOf(v: HostKeyInputs): HostKeyInputs {
    return {
        host: v.host,
        port: v.port,
        target: v.target,
        ...(v.pin !== undefined ? { pin: v.pin } : {}),
    };
}

/** The provider object (also tested directly, without the engine). */
export const hostKeyProvider = {
    async check(
        _olds: Partial<HostKeyInputs>,
        news: Partial<HostKeyInputs>,
    ): Promise<pulumi.dynamic.CheckResult> {
        return { inputs: news, failures: checkHostKeyInputs(news) };
    },

    async diff(
        _id: string,
        olds: Partial<HostKeyOutputs>,
        news: Partial<HostKeyInputs>,
    ): Promise<pulumi.dynamic.DiffResult> {
        const replaces: string[] = [];
        if (olds.host !== news.host) replaces.push("host");
        if (olds.port !== news.port) replaces.push("port");
        const changes =
            replaces.length > 0 ||
            isUnknown(news.pin) ||
            (olds.pin ?? "") !== (news.pin ?? "") ||
            olds.target !== news.target;
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(i: HostKeyInputs): Promise<pulumi.dynamic.CreateResult> {
        try {
            const v = await verifyHostKey(i, undefined);
            const outs: HostKeyOutputs = { ...inputsOf(i), ...v };
            return { id: `${i.host}:${i.port}`, outs };
        } catch (e) {
            throw wrap(i.target, e);
        }
    },

    async update(
        _id: string,
        olds: HostKeyOutputs,
        news: HostKeyInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        try {
            const v = await verifyHostKey(news, olds.key);
            return { outs: { ...inputsOf(news), ...v } };
        } catch (e) {
            throw wrap(news.target, e);
        }
    },

    async read(id: string, props: HostKeyOutputs): Promise<pulumi.dynamic.ReadResult> {
        try {
            const v = await verifyHostKey(props, props.key);
            const outs: HostKeyOutputs = { ...inputsOf(props), ...v };
            return { id, props: outs, inputs: inputsOf(props) };
        } catch (e) {
            throw wrap(props.target, e);
        }
    },

    async delete(_id: string, _props: unknown): Promise<void> {
        // Nothing on the host belongs to this resource.
    },
};
