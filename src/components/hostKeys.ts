/**
 * Host keys: pins, fingerprints, OpenSSH key lines and the refusal message every SSH path shares.
 * No I/O (node's crypto only); the transport that checks them is `./ssh.ts`.
 *
 * A pin (`HostConnectionArgs.hostKey`) is an OpenSSH public key line (`ssh-ed25519 AAAA…`, as in
 * `/etc/ssh/ssh_host_ed25519_key.pub`, optionally prefixed by known_hosts host names) or a
 * `SHA256:…` fingerprint. Without a pin, the key a host presents on the first connection is recorded
 * in the stack's state and required from then on (trust on first use).
 */
import { createHash } from "crypto";

/** Where the key a host must present comes from: the program's `hostKey`, or the stack's state. */
export type HostKeySource = "pinned" | "recorded";

/**
 * Environment variable listing `SHA256:…` fingerprints (comma or space separated) to accept in
 * place of a key recorded on first use (never in place of a pin: change `hostKey` instead).
 */
export const ACCEPT_HOST_KEY_ENV = "PULUMI_APPARMOR_ACCEPT_HOST_KEY";

const KEY_TYPE_RE = /^(ssh-|ecdsa-sha2-|sk-)[a-z0-9@.-]+$/;
const BASE64_RE = /^[A-Za-z0-9+/]+=*$/;
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

/** SHA256 fingerprint of a raw host key blob, in OpenSSH's `SHA256:…` form (no padding). */
export function fingerprint(blob: Buffer): string {
    return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/**
 * The `TYPE BASE64` part of a pin that is a key line (host names and comment dropped), which is
 * what pulumi-command's `hostKey` takes; undefined for a fingerprint or anything else.
 */
export function pinKeyLine(pin: string | undefined): string | undefined {
    const words = (pin ?? "").trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i++)
        if (KEY_TYPE_RE.test(words[i]) && BASE64_RE.test(words[i + 1]))
            return `${words[i]} ${words[i + 1]}`;
    return undefined;
}

/**
 * Parses a host key pin into the fingerprint it requires. Accepts `SHA256:…`, `TYPE BASE64 [comment]`
 * and known_hosts lines (`HOST TYPE BASE64`). Throws on anything else.
 */
export function pinFingerprint(pin: string): string {
    const p = pin.trim();
    if (FINGERPRINT_RE.test(p)) return p.replace(/=$/, "");
    const line = pinKeyLine(p);
    if (line) return fingerprint(Buffer.from(line.split(" ")[1], "base64"));
    throw new Error(
        "hostKey must be an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a `SHA256:…` fingerprint",
    );
}

/** The key type named inside a raw key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …). */
export function blobKeyType(blob: Buffer): string {
    if (blob.length < 4) throw new Error("host key blob too short");
    const n = blob.readUInt32BE(0);
    if (n <= 0 || n > 64 || 4 + n > blob.length) throw new Error("malformed host key blob");
    return blob.subarray(4, 4 + n).toString("latin1");
}

/** The OpenSSH key line `TYPE BASE64` of a raw host key blob. */
export function keyLine(blob: Buffer): string {
    return `${blobKeyType(blob)} ${blob.toString("base64")}`;
}

/** The SSH host key algorithms that make a server present its key of type `keyType`. */
export function hostKeyAlgorithms(keyType: string): string[] {
    if (keyType === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
    return [keyType];
}

/** The fingerprints listed in {@link ACCEPT_HOST_KEY_ENV}. */
export function acceptedHostKeys(env: NodeJS.ProcessEnv = process.env): Set<string> {
    const out = new Set<string>();
    for (const w of (env[ACCEPT_HOST_KEY_ENV] ?? "").split(/[\s,]+/))
        if (FINGERPRINT_RE.test(w)) out.add(w.replace(/=$/, ""));
    return out;
}

/**
 * The refusal for a host that presents another key than the expected one: names the host, both
 * fingerprints, and what to do when the change is expected.
 */
export function hostKeyMismatchMessage(
    where: string,
    presented: string,
    expected: string,
    source: HostKeySource,
): string {
    const repin =
        "pin the new key: set hostKey to the host's public key line (e.g. " +
        "/etc/ssh/ssh_host_ed25519_key.pub on the host, checked out of band) or to " +
        `${presented}, then run \`pulumi up\``;
    const what =
        source === "pinned"
            ? `the pinned hostKey is ${expected}`
            : `the key recorded in the stack's state on first use is ${expected}`;
    const fix =
        source === "pinned"
            ? `If the host was re-keyed on purpose, ${repin} (a refresh checks the pin the last ` +
              "update stored)."
            : `If the host was re-keyed on purpose, ${repin}; or accept it in place of the recorded ` +
              `key by running once with ${ACCEPT_HOST_KEY_ENV}=${presented}.`;
    return (
        `host key of ${where} changed: the host's key is ${presented}, but ${what}: refusing to ` +
        `connect (no credentials were sent). ${fix} Otherwise another machine may be answering at ` +
        "that address."
    );
}
