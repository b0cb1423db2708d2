/**
 * The host connection options shared by `status` and `import`: `--host USER@HOST[:PORT]`, `--key FILE`
 * (the private key is read from the file, never taken on the command line), the host key to require
 * (`--host-key LINE|SHA256:…` or `--known-hosts FILE`: there is no trust on first use on the command
 * line), `--sudo`/`--no-sudo`, `--dir DIR`. The connection itself is `src/components/ssh.ts`'s.
 */
import { createHmac } from "crypto";
import { promises as fs } from "fs";
import { validateConnection } from "../components/connection";
import { pinFingerprint, pinKeyLine } from "../components/hostKeys";
import { exec, targetLabel, type SshTarget } from "../components/ssh";
import { DEFAULT_PROFILE_DIR, validateHostDirectory, type HostExec } from "../host";

export class UsageError extends Error {}

/** What the connection options say, before any file is read. */
export interface HostOptions {
    host?: string;
    port: number;
    user: string;
    keyFile?: string;
    hostKey?: string;
    knownHosts?: string;
    sudo?: boolean;
    dir: string;
}

export function newHostOptions(): HostOptions {
    return { port: 22, user: "root", dir: DEFAULT_PROFILE_DIR };
}

/** Parses `USER@HOST[:PORT]` (an IPv6 address in brackets when a port follows). */
export function parseHostSpec(spec: string): { user: string; host: string; port: number } {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+|[0-9a-fA-F:]+)(?::(\d{1,5}))?$/.exec(spec);
    if (!m)
        throw new UsageError(`--host: cannot read "${spec.slice(0, 100)}" (use USER@HOST[:PORT])`);
    const user = m[1] ?? "root";
    const host = m[2].replace(/^\[(.*)\]$/, "$1");
    const port = m[3] !== undefined ? Number(m[3]) : 22;
    const problems = validateConnection({ host, port, user }, "--host");
    if (problems.length > 0)
        throw new UsageError(problems.map((p) => `${p.field}: ${p.message}; ${p.fix}`).join("; "));
    return { user, host, port };
}

/**
 * Takes the connection option at `argv[i]` into `o`; returns the index of its last word, or -1 when
 * `argv[i]` is not one of them.
 */
export function takeHostOption(argv: readonly string[], i: number, o: HostOptions): number {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = eq > 0 && arg.startsWith("--") ? arg.slice(0, eq) : arg;
    const withValue = ["--host", "--key", "--host-key", "--known-hosts", "--dir"];
    if (withValue.includes(flag)) {
        let v: string | undefined;
        let last = i;
        if (eq > 0 && arg.startsWith("--")) v = arg.slice(eq + 1);
        else v = argv[(last = i + 1)];
        if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
        if (flag === "--host") Object.assign(o, parseHostSpec(v));
        else if (flag === "--key") o.keyFile = v;
        else if (flag === "--host-key") {
            try {
                pinFingerprint(v);
            } catch (e) {
                throw new UsageError(`--host-key: ${(e as Error).message}`);
            }
            o.hostKey = v;
        } else if (flag === "--known-hosts") o.knownHosts = v;
        else {
            const why = validateHostDirectory(v);
            if (why) throw new UsageError(`--dir: ${why}`);
            o.dir = v;
        }
        return last;
    }
    if (arg === "--sudo" || arg === "--no-sudo") {
        o.sudo = arg === "--sudo";
        return i;
    }
    return -1;
}

/** The options every host command needs, or the usage error naming what is missing. */
export function checkHostOptions(o: HostOptions): void {
    if (!o.host) throw new UsageError("--host USER@HOST[:PORT] is required");
    if (!o.keyFile) throw new UsageError("--key FILE (the SSH private key) is required");
    if (!o.hostKey && !o.knownHosts)
        throw new UsageError(
            "the host's key is required: --host-key 'ssh-ed25519 AAAA…' (or SHA256:…), or --known-hosts FILE",
        );
    if (o.hostKey && o.knownHosts)
        throw new UsageError("give only one of --host-key and --known-hosts");
}

/** The key line of a known_hosts host field entry matching `host`/`port` (plain or hashed). */
function matchesHost(field: string, host: string, port: number): boolean {
    const name = port === 22 ? host : `[${host}]:${port}`;
    for (const pattern of field.split(",")) {
        if (pattern.startsWith("|1|")) {
            const [salt, hash] = pattern.slice(3).split("|");
            if (!salt || !hash) continue;
            const mac = createHmac("sha1", Buffer.from(salt, "base64"))
                .update(name)
                .digest("base64");
            if (mac === hash) return true;
        } else if (pattern === name) return true;
    }
    return false;
}

/**
 * The host key pins for `host`/`port` in a known_hosts text: plain and hashed host names, `[host]:port`
 * for other ports; wildcard patterns are not used and `@cert-authority` lines are skipped. A
 * `@revoked` key for the host is an error. An ed25519 key is preferred when there are several.
 */
export function knownHostsPin(text: string, host: string, port: number): string | undefined {
    const found: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const words = line.split(/\s+/);
        let marker: string | undefined;
        if (words[0].startsWith("@")) marker = words.shift();
        if (words.length < 3 || !matchesHost(words[0], host, port)) continue;
        const key = pinKeyLine(words.slice(1).join(" "));
        if (!key) continue;
        if (marker === "@revoked")
            throw new UsageError(`the known_hosts file revokes the key of ${host}`);
        if (marker === undefined) found.push(key);
    }
    return found.find((k) => k.startsWith("ssh-ed25519 ")) ?? found[0];
}

/** A connected host: the transport target, its label, and a HostExec over the pooled connection. */
export interface CliHost {
    readonly target: SshTarget;
    readonly label: string;
    readonly sudo: boolean;
    readonly dir: string;
    readonly exec: HostExec;
}

/** Reads the key and known_hosts files and builds the target (no connection yet). */
export async function openHost(o: HostOptions): Promise<CliHost> {
    checkHostOptions(o);
    let privateKey: string;
    try {
        privateKey = await fs.readFile(o.keyFile!, "utf8");
    } catch (e) {
        throw new UsageError(
            `--key: cannot read the key file (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        );
    }
    let hostKey = o.hostKey;
    if (!hostKey) {
        let text: string;
        try {
            text = await fs.readFile(o.knownHosts!, "utf8");
        } catch (e) {
            throw new UsageError(
                `--known-hosts: cannot read the file (${(e as NodeJS.ErrnoException).code ?? "error"})`,
            );
        }
        hostKey = knownHostsPin(text, o.host!, o.port);
        if (!hostKey)
            throw new UsageError(
                `--known-hosts: no key for ${o.port === 22 ? o.host : `[${o.host}]:${o.port}`} in the file`,
            );
    }
    const target: SshTarget = {
        host: o.host!,
        port: o.port,
        user: o.user,
        privateKey,
        hostKey,
        hostKeySource: "pinned",
    };
    return {
        target,
        label: targetLabel(target),
        sudo: o.sudo ?? o.user !== "root",
        dir: o.dir,
        exec: async (command, stdin) => {
            const r = await exec(target, command, stdin);
            return {
                stdout: r.stdout,
                stdoutBytes: r.stdoutBytes,
                stderr: r.stderr,
                exitCode: r.code,
            };
        },
    };
}
