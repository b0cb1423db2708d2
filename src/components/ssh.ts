/**
 * SSH transport for the dynamic providers: one pooled `ssh2` connection per host per process (the
 * engine runs every dynamic resource of a stack in one provider process, so 20 profiles on a host
 * share one TCP/SSH handshake), host key checked before any credential is sent, a time limit on
 * every command, credentials only in memory.
 */
import { createHash } from "crypto";
import { Client, ClientChannel, ConnectConfig, utils as sshUtils } from "ssh2";
import {
    acceptedHostKeys,
    fingerprint,
    HostKeySource,
    hostKeyAlgorithms,
    hostKeyMismatchMessage,
    pinFingerprint,
    pinKeyLine,
} from "./hostKeys";

export { fingerprint, pinFingerprint } from "./hostKeys";

/** A connection as the provider receives it (plain values; the engine keeps it secret in state). */
export interface SshTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly privateKey?: string;
    readonly password?: string;
    /**
     * The key the host must present: `ssh-ed25519 AAAA…` (a known_hosts/`.pub` line, optionally
     * prefixed by host names) or `SHA256:…`. Absent: trust on first use (never with a password).
     */
    readonly hostKey?: string;
    /** Where `hostKey` comes from (for the refusal message). Defaults to "pinned". */
    readonly hostKeySource?: HostKeySource;
    /** Milliseconds each {@link exec} may take. Defaults to {@link DEFAULT_STEP_TIMEOUT_MS}. */
    readonly stepTimeoutMs?: number;
}

export interface ExecResult {
    readonly code: number;
    /** stdout decoded as UTF-8 (invalid bytes become U+FFFD): for JSON and messages. */
    readonly stdout: string;
    /** stdout exactly as the host sent it: for file texts and anything hashed. */
    readonly stdoutBytes: Buffer;
    readonly stderr: string;
}

/** Why a connection could not be used: unreachable host, refused auth, host key mismatch, timeout. */
export class SshError extends Error {
    constructor(
        message: string,
        readonly kind: "unreachable" | "auth" | "hostkey" | "exec" | "timeout",
    ) {
        super(message);
        this.name = "SshError";
    }
}

const OUTPUT_LIMIT = 16 * 1024 * 1024;
/** Time for the TCP connection plus the SSH handshake and authentication. */
export const CONNECT_TIMEOUT_MS = 30_000;
/** Default time one remote command may take (installs may wait for the host lock). */
export const DEFAULT_STEP_TIMEOUT_MS = 600_000;

/** `user@host:port` — the only connection text that ever appears in messages. */
export function targetLabel(t: Pick<SshTarget, "host" | "port" | "user">): string {
    return `${t.user}@${t.host}:${t.port}`;
}

/** ssh2's error when the server has no host key of the types offered. */
const NO_KEY_OF_TYPE = /no matching host key/i;

/**
 * The host key algorithms to offer for a pin: only its own type for a key line (a server with
 * several host keys must present the pinned one); the defaults for a fingerprint.
 */
function algorithmsFor(pin: string | undefined): string[] | undefined {
    const line = pinKeyLine(pin);
    return line ? hostKeyAlgorithms(line.split(" ")[0]) : undefined;
}

/**
 * The raw key a server presents in the SSH handshake. Only the key exchange happens: the handshake
 * is abandoned at the host key check, before authentication, so nothing is sent but the protocol
 * greeting. `algorithms` restricts the host key types offered (see {@link hostKeyAlgorithms}).
 */
export function scanHostKey(
    t: Pick<SshTarget, "host" | "port" | "user">,
    algorithms?: string[],
    timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
        const client = new Client();
        let key: Buffer | undefined;
        let settled = false;
        const finish = (err?: Error) => {
            if (settled) return;
            settled = true;
            client.end();
            const why = err?.message ?? "connection closed";
            if (key) resolve(key);
            else
                reject(
                    new SshError(
                        `cannot reach ${targetLabel(t)}: ${why}`,
                        NO_KEY_OF_TYPE.test(why) ? "hostkey" : "unreachable",
                    ),
                );
        };
        client.on("error", (e: Error) => finish(e));
        client.on("close", () => finish());
        client.on("ready", () => finish()); // never reached: the host key check refuses first
        const cfg: ConnectConfig = {
            host: t.host,
            port: t.port,
            username: t.user,
            readyTimeout: timeoutMs,
            hostVerifier: (blob: Buffer) => {
                key = Buffer.from(blob);
                return false;
            },
            ...(algorithms ? { algorithms: { serverHostKey: algorithms as never } } : {}),
        };
        try {
            client.connect(cfg);
        } catch (e) {
            finish(e as Error);
        }
    });
}

interface Pooled {
    readonly client: Client;
    readonly ready: Promise<Client>;
    /** fingerprint of the key the server presented. */
    seen?: string;
}

const pool = new Map<string, Pooled>();
let opened = 0;

/** Number of SSH connections this process opened (for tests and the benchmark). */
export function connectionsOpened(): number {
    return opened;
}

/**
 * What tells one pooled connection from another: `user@host:port` and a hash of the credentials and
 * the expected host key (never the secrets themselves).
 */
export function poolKey(t: SshTarget): string {
    const secret = createHash("sha256")
        .update(
            `${t.privateKey ?? ""}\0${t.password ?? ""}\0${t.hostKey ?? ""}\0${t.hostKeySource ?? ""}`,
        )
        .digest("hex");
    return `${targetLabel(t)}#${secret}`;
}

/**
 * Why the host's key is refused, when a handshake restricted to the pinned key's type failed: the
 * host may have been re-keyed with another type. Undefined when the host's default key matches.
 */
async function mismatchOfOtherType(t: SshTarget, want: string): Promise<string | undefined> {
    try {
        const fp = fingerprint(await scanHostKey(t));
        return fp === want ? undefined : fp;
    } catch {
        return undefined;
    }
}

function connect(t: SshTarget): Pooled {
    const client = new Client();
    const where = targetLabel(t);
    const source: HostKeySource = t.hostKeySource ?? "pinned";
    const entry: Pooled = { client, ready: undefined as unknown as Promise<Client> };
    const refuse = (err: SshError) => {
        (entry as { ready: Promise<Client> }).ready = Promise.reject(err);
        // The promise may be awaited later; avoid an unhandled rejection in between.
        entry.ready.catch(() => undefined);
        return entry;
    };
    // ssh2 checks the host key before authenticating, so a password goes only to a host whose key
    // was pinned or recorded; with neither, refuse before connecting at all.
    if (t.password && !t.hostKey)
        return refuse(
            new SshError(
                `refusing to send a password to ${where}: its host key is neither pinned nor ` +
                    "recorded; set hostKey to the host's public key line (or SHA256: fingerprint)",
                "hostkey",
            ),
        );
    let want: string | undefined;
    try {
        want = t.hostKey ? pinFingerprint(t.hostKey) : undefined;
    } catch (e) {
        return refuse(new SshError(`${where}: ${(e as Error).message}`, "hostkey"));
    }
    const algorithms = algorithmsFor(t.hostKey);
    let mismatch: string | undefined;
    const cfg: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.user,
        readyTimeout: CONNECT_TIMEOUT_MS,
        keepaliveInterval: 15000,
        keepaliveCountMax: 4,
        hostVerifier: (key: Buffer) => {
            const fp = fingerprint(key);
            entry.seen = fp;
            if (want === undefined || fp === want) return true;
            if (source === "recorded" && acceptedHostKeys().has(fp)) return true;
            mismatch = fp;
            return false;
        },
        ...(algorithms ? { algorithms: { serverHostKey: algorithms as never } } : {}),
    };
    if (t.privateKey) cfg.privateKey = t.privateKey;
    if (t.password) cfg.password = t.password;
    opened++;
    (entry as { ready: Promise<Client> }).ready = new Promise<Client>((resolve, reject) => {
        client.once("ready", () => resolve(client));
        client.once("error", (err: Error & { level?: string }) => {
            const refused = (fp: string) =>
                new SshError(hostKeyMismatchMessage(where, fp, want!, source), "hostkey");
            if (mismatch !== undefined) reject(refused(mismatch));
            else if (err.level === "client-authentication")
                reject(new SshError(`SSH authentication as ${where} failed`, "auth"));
            else if (algorithms && want && NO_KEY_OF_TYPE.test(err.message))
                // The host offers no key of the pinned type: say which key it has instead.
                void mismatchOfOtherType(t, want).then((fp) =>
                    reject(
                        fp
                            ? refused(fp)
                            : new SshError(`cannot reach ${where}: ${err.message}`, "unreachable"),
                    ),
                );
            else reject(new SshError(`cannot reach ${where}: ${err.message}`, "unreachable"));
        });
    });
    client.on("close", () => {
        if (pool.get(poolKey(t)) === entry) pool.delete(poolKey(t));
    });
    // Errors after "ready" (a lost connection) surface as closed channels; never as a crash.
    client.on("error", () => undefined);
    entry.ready.catch(() => undefined);
    try {
        client.connect(cfg);
    } catch (e) {
        // ssh2 throws synchronously for a key it cannot parse; never echo the key itself.
        return refuse(
            new SshError(`cannot use the privateKey for ${where}: ${(e as Error).message}`, "auth"),
        );
    }
    return entry;
}

/** The pooled connection to a target (opened on first use). */
export async function getConnection(t: SshTarget): Promise<{ client: Client; seen?: string }> {
    const key = poolKey(t);
    let entry = pool.get(key);
    if (!entry) {
        const e = connect(t);
        pool.set(key, e);
        // A failed connection is not reused: the next call tries again.
        e.ready.catch(() => pool.get(key) === e && pool.delete(key));
        entry = e;
    }
    const client = await entry.ready;
    return { client, seen: entry.seen };
}

/** Fingerprint the server presented on the pooled connection (after a successful exec). */
export function seenHostKey(t: SshTarget): string | undefined {
    return pool.get(poolKey(t))?.seen;
}

/**
 * Runs one command on the target with optional stdin. `command` is built by the caller from
 * constant script text and validated, quoted arguments; secrets never appear in it. A command that
 * has not finished within the target's `stepTimeoutMs` is sent SIGTERM, its channel is closed, and
 * the promise rejects with an {@link SshError} of kind "timeout".
 */
export async function exec(t: SshTarget, command: string, stdin?: string): Promise<ExecResult> {
    const { client } = await getConnection(t);
    const limit = t.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    return new Promise<ExecResult>((resolve, reject) => {
        let done = false;
        let channel: ClientChannel | undefined;
        const timer = setTimeout(() => {
            if (done) return;
            done = true;
            if (channel) {
                signal(channel, "TERM");
                channel.close();
            }
            reject(
                new SshError(
                    `timed out after ${limit / 1000} s (stepTimeout); the command's channel was closed`,
                    "timeout",
                ),
            );
        }, limit);
        client.exec(command, (err, stream) => {
            if (done) {
                stream?.close();
                return;
            }
            if (err) {
                done = true;
                clearTimeout(timer);
                reject(
                    new SshError(
                        `cannot run a command on ${targetLabel(t)}: ${err.message}`,
                        "exec",
                    ),
                );
                return;
            }
            channel = stream;
            const out: Buffer[] = [];
            const errs: Buffer[] = [];
            let size = 0;
            const take = (arr: Buffer[]) => (d: Buffer) => {
                size += d.length;
                if (size <= OUTPUT_LIMIT) arr.push(d);
            };
            stream.on("data", take(out));
            stream.stderr.on("data", take(errs));
            stream.on("close", (code: number | null, signal?: string) => {
                if (done) return;
                done = true;
                clearTimeout(timer);
                const bytes = Buffer.concat(out);
                resolve({
                    code: code ?? (signal ? 128 : 255),
                    stdout: bytes.toString("utf8"),
                    stdoutBytes: bytes,
                    stderr: Buffer.concat(errs).toString("utf8"),
                });
            });
            stream.end(stdin ?? "");
        });
    });
}

/**
 * Sends a signal to a running command (OpenSSH delivers it to the session's process group; sudo
 * relays it to its command). ssh2's `channel.signal()` sends nothing once stdin was ended, which
 * `exec` always does, so this makes the same protocol call itself. Best effort: a server that
 * ignores signals still gets the channel closed.
 */
function signal(channel: ClientChannel, name: string): void {
    const c = channel as unknown as {
        outgoing?: { id: number; state: string };
        _client?: { _protocol?: { signal(id: number, name: string): void } };
    };
    try {
        if (c.outgoing && c.outgoing.state !== "closed")
            c._client?._protocol?.signal(c.outgoing.id, name);
    } catch {
        // the channel is closed right after anyway
    }
}

/** Closes every pooled connection (tests; the provider process simply exits). */
export function closeAll(): void {
    for (const e of pool.values()) e.client.end();
    pool.clear();
}

/** Why ssh2 cannot use a private key (undefined when it can). Never includes the key. */
export function privateKeyProblem(key: string): string | undefined {
    const parsed = sshUtils.parseKey(key);
    if (parsed instanceof Error) return parsed.message;
    return undefined;
}
