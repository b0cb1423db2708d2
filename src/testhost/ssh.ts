/**
 * SSH to the test host with the `ssh2` package: key authentication with the run's key, and the host key
 * pinned (a server presenting any other key is refused before authentication).
 */
import * as fs from "fs";
import { Client, type ConnectConfig } from "ssh2";

/** What an SSH client needs to reach a test host (a subset of `TestHostInfo`). */
export interface SshTarget {
    readonly host: string;
    readonly port: number;
    /** Unprivileged user with passwordless sudo. */
    readonly user: string;
    /** The root user (same key). */
    readonly rootUser: string;
    readonly privateKeyPath: string;
    /** The pinned host public key, one OpenSSH line: `ssh-ed25519 AAAA… [comment]`. */
    readonly hostKey: string;
}

export interface ExecResult {
    /** Exit code; -1 when the command was killed by a signal. */
    readonly code: number;
    readonly stdout: string;
    /** stdout exactly as sent (a file's bytes need not be valid UTF-8). */
    readonly stdoutBytes: Buffer;
    readonly stderr: string;
    /** Set when the remote command died from a signal. */
    readonly signal?: string;
}

export interface ExecOptions {
    /** Bytes written to the command's stdin (then closed). Defaults to none (stdin closed at once). */
    readonly stdin?: string | Buffer;
    /** Milliseconds before giving up (the channel is closed and the promise rejects). Defaults to 120000. */
    readonly timeoutMs?: number;
}

/** The raw key blob of an OpenSSH public key line (`type base64 [comment]`). */
export function publicKeyBlob(line: string): Buffer {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2) {
        throw new Error(`not an OpenSSH public key line: "${line}"`);
    }
    return Buffer.from(fields[1], "base64");
}

/** ssh2 connection settings for `target`, pinning its host key. */
export function sshConfig(
    target: SshTarget,
    opts: { asRoot?: boolean; readyTimeoutMs?: number } = {},
): ConnectConfig {
    const pinned = publicKeyBlob(target.hostKey);
    const keyType = target.hostKey.trim().split(/\s+/)[0];
    return {
        host: target.host,
        port: target.port,
        username: opts.asRoot ? target.rootUser : target.user,
        privateKey: fs.readFileSync(target.privateKeyPath),
        readyTimeout: opts.readyTimeoutMs ?? 20000,
        // Only the pinned key's algorithm, so the server cannot offer another key type instead.
        algorithms: { serverHostKey: [keyType as "ssh-ed25519"] },
        hostVerifier: (key: Buffer) => Buffer.isBuffer(key) && key.equals(pinned),
        keepaliveInterval: 15000,
        keepaliveCountMax: 8,
    };
}

/** Opens one SSH connection (caller ends it with `client.end()`). Rejects on any handshake/auth error. */
export function connectSsh(
    target: SshTarget,
    opts: { asRoot?: boolean; readyTimeoutMs?: number } = {},
): Promise<Client> {
    const config = sshConfig(target, opts);
    return new Promise((resolve, reject) => {
        const client = new Client();
        let settled = false;
        client.on("error", (err: Error) => {
            // ssh2 can emit several errors for one failure, and later ones after "ready" (connection
            // dropped): those surface as exec failures, so only the first one before "ready" counts.
            if (!settled) {
                settled = true;
                client.end();
                reject(err);
            }
        });
        client.once("ready", () => {
            if (!settled) {
                settled = true;
                resolve(client);
            }
        });
        client.on("close", () => {
            if (!settled) {
                settled = true;
                reject(new Error("ssh connection closed before authentication"));
            }
        });
        client.connect(config);
    });
}

/** Runs `command` (a shell command line, run by the remote user's shell) on an open connection. */
export function execOn(
    client: Client,
    command: string,
    opts: ExecOptions = {},
): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 120000;
    return new Promise((resolve, reject) => {
        client.exec(command, (err, channel) => {
            if (err) {
                reject(err);
                return;
            }
            const out: Buffer[] = [];
            const errOut: Buffer[] = [];
            let code: number | null = null;
            let signal: string | undefined;
            const timer = setTimeout(() => {
                channel.close();
                reject(new Error(`ssh command timed out after ${timeoutMs} ms: ${command}`));
            }, timeoutMs);
            channel.on("data", (d: Buffer) => out.push(d));
            channel.stderr.on("data", (d: Buffer) => errOut.push(d));
            channel.on("exit", (c: number | null, sig?: string) => {
                code = c;
                signal = sig ?? undefined;
            });
            channel.on("close", () => {
                clearTimeout(timer);
                const bytes = Buffer.concat(out);
                resolve({
                    code: code ?? -1,
                    stdout: bytes.toString("utf8"),
                    stdoutBytes: bytes,
                    stderr: Buffer.concat(errOut).toString("utf8"),
                    ...(signal ? { signal } : {}),
                });
            });
            if (opts.stdin !== undefined) {
                channel.end(opts.stdin);
            } else {
                channel.end();
            }
        });
    });
}
