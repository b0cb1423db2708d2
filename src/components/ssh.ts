/**
 * SSH transport for the dynamic providers: one pooled `ssh2` connection per host per process (the
 * engine runs every dynamic resource of a stack in one provider process, so 20 profiles on a host
 * share one TCP/SSH handshake), host key pinned, credentials only in memory.
 */
import { createHash } from "crypto";
import { Client, ConnectConfig, utils as sshUtils } from "ssh2";

/** A connection as the provider receives it (plain values; the engine keeps it secret in state). */
export interface SshTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly privateKey?: string;
    readonly password?: string;
    /** `ssh-ed25519 AAAA…` (a known_hosts/`.pub` line, optionally prefixed by host names) or `SHA256:…`. */
    readonly hostKey?: string;
}

export interface ExecResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Why a connection could not be used: unreachable host, refused auth, host key mismatch. */
export class SshError extends Error {
    constructor(
        message: string,
        readonly kind: "unreachable" | "auth" | "hostkey" | "exec",
    ) {
        super(message);
        this.name = "SshError";
    }
}

const OUTPUT_LIMIT = 16 * 1024 * 1024;

/** `user@host:port` — the only connection text that ever appears in messages. */
export function targetLabel(t: Pick<SshTarget, "host" | "port" | "user">): string {
    return `${t.user}@${t.host}:${t.port}`;
}

/** SHA256 fingerprint of a raw host key blob, in OpenSSH's `SHA256:…` form (no padding). */
export function fingerprint(blob: Buffer): string {
    return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/**
 * Parses a host key pin into the fingerprint it requires. Accepts `SHA256:…`, `TYPE BASE64 [comment]`
 * and known_hosts lines (`HOST TYPE BASE64`). Throws on anything else.
 */
export function pinFingerprint(pin: string): string {
    const p = pin.trim();
    if (/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(p)) return p.replace(/=$/, "");
    const words = p.split(/\s+/);
    for (let i = 0; i + 1 < words.length; i++) {
        if (
            /^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+$/.test(words[i]) &&
            /^[A-Za-z0-9+/]+=*$/.test(words[i + 1])
        )
            return fingerprint(Buffer.from(words[i + 1], "base64"));
    }
    throw new Error(
        "hostKey must be an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a `SHA256:…` fingerprint",
    );
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

function poolKey(t: SshTarget): string {
    const secret = createHash("sha256")
        .update(`${t.privateKey ?? ""}\0${t.password ?? ""}\0${t.hostKey ?? ""}`)
        .digest("hex");
    return `${targetLabel(t)}#${secret}`;
}

function connect(t: SshTarget): Pooled {
    const client = new Client();
    const want = t.hostKey ? pinFingerprint(t.hostKey) : undefined;
    const entry: Pooled = { client, ready: undefined as unknown as Promise<Client> };
    let mismatch: string | undefined;
    const cfg: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.user,
        readyTimeout: 30000,
        keepaliveInterval: 15000,
        keepaliveCountMax: 4,
        hostVerifier: (key: Buffer) => {
            const fp = fingerprint(key);
            entry.seen = fp;
            if (want !== undefined && fp !== want) {
                mismatch = fp;
                return false;
            }
            return true;
        },
    };
    if (t.privateKey) cfg.privateKey = t.privateKey;
    if (t.password) cfg.password = t.password;
    opened++;
    (entry as { ready: Promise<Client> }).ready = new Promise<Client>((resolve, reject) => {
        client.once("ready", () => resolve(client));
        client.once("error", (err: Error & { level?: string }) => {
            pool.delete(poolKey(t));
            const where = targetLabel(t);
            if (mismatch !== undefined)
                reject(
                    new SshError(
                        `host key of ${where} is ${mismatch}, but the pinned hostKey is ${want}: refusing to connect`,
                        "hostkey",
                    ),
                );
            else if (err.level === "client-authentication")
                reject(new SshError(`SSH authentication as ${where} failed`, "auth"));
            else reject(new SshError(`cannot reach ${where}: ${err.message}`, "unreachable"));
        });
    });
    client.on("close", () => {
        if (pool.get(poolKey(t)) === entry) pool.delete(poolKey(t));
    });
    // The promise may be awaited later; avoid an unhandled rejection in between.
    entry.ready.catch(() => undefined);
    try {
        client.connect(cfg);
    } catch (e) {
        // ssh2 throws synchronously for a key it cannot parse; never echo the key itself.
        pool.delete(poolKey(t));
        const err = new SshError(
            `cannot use the privateKey for ${targetLabel(t)}: ${(e as Error).message}`,
            "auth",
        );
        (entry as { ready: Promise<Client> }).ready = Promise.reject(err);
        entry.ready.catch(() => undefined);
    }
    return entry;
}

/** The pooled connection to a target (opened on first use). */
export async function getConnection(t: SshTarget): Promise<{ client: Client; seen?: string }> {
    const key = poolKey(t);
    let entry = pool.get(key);
    if (!entry) {
        entry = connect(t);
        pool.set(key, entry);
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
 * constant script text and validated, quoted arguments; secrets never appear in it.
 */
export async function exec(t: SshTarget, command: string, stdin?: string): Promise<ExecResult> {
    const { client } = await getConnection(t);
    return new Promise<ExecResult>((resolve, reject) => {
        client.exec(command, (err, stream) => {
            if (err) {
                reject(
                    new SshError(
                        `cannot run a command on ${targetLabel(t)}: ${err.message}`,
                        "exec",
                    ),
                );
                return;
            }
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
                resolve({
                    code: code ?? (signal ? 128 : 255),
                    stdout: Buffer.concat(out).toString("utf8"),
                    stderr: Buffer.concat(errs).toString("utf8"),
                });
            });
            stream.end(stdin ?? "");
        });
    });
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
