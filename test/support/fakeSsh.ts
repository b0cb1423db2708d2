/**
 * A stand-in SSH server on loopback (ssh2's `Server`) for the host-key and timeout tests: it logs
 * every TCP connection, authentication attempt (with the password when one is sent), command, signal
 * and early channel close, answers commands through a handler (or never, to hang), and can be
 * re-keyed on the same port (what a replaced machine or a man in the middle looks like).
 *
 * ```ts
 * const srv = await startFakeSsh({ exec: (cmd) => ({ stdout: "label=p (enforce)\n" }) });
 * // … connect to 127.0.0.1:srv.port …
 * await srv.rekey();             // same port, new ed25519 host key
 * await srv.close();
 * ```
 */
import * as net from "net";
import { Server, utils } from "ssh2";
import { pinFingerprint } from "../../src/components/hostKeys";
import { ed25519KeyPair } from "../../src/testhost";

/** What a command gets back; "hang" never answers (and never closes the channel). */
export type FakeReply = { stdout?: string; stderr?: string; code?: number } | "hang";

export interface FakeSshOptions {
    /** Answers each command. Defaults to exit 0 with no output. */
    readonly exec?: (command: string) => FakeReply;
    /** Key types of the host keys. Defaults to ["ed25519"]. */
    readonly keyTypes?: readonly ("ed25519" | "ecdsa")[];
}

/** One host key of the server: its public key line (`TYPE BASE64 comment`) and fingerprint. */
export interface FakeHostKey {
    readonly line: string;
    readonly fingerprint: string;
}

export interface FakeSsh {
    readonly port: number;
    /** The host keys it presents now (the first is the default one). */
    keys: FakeHostKey[];
    /** TCP connections accepted. */
    connections: number;
    /** Authentication attempts, in order (`password` only for the password method). */
    readonly auths: { method: string; user: string; password?: string }[];
    /** Commands run. */
    readonly execs: string[];
    /** Signals the client sent to running commands (as received on the wire). */
    readonly signals: string[];
    /** Channels the client closed while their command was still running. */
    closedEarly: number;
    /** Restarts the server on the same port with new host keys (of the same types). */
    rekey(): Promise<void>;
    close(): Promise<void>;
}

function newKeys(types: readonly ("ed25519" | "ecdsa")[]): { priv: string[]; pub: FakeHostKey[] } {
    const priv: string[] = [];
    const pub: FakeHostKey[] = [];
    for (const t of types) {
        const k =
            t === "ecdsa" ? utils.generateKeyPairSync("ecdsa", { bits: 256 }) : ed25519KeyPair(""); // never ssh2's 31-byte keys (see ed25519KeyPair)
        priv.push(k.private);
        pub.push({ line: k.public.trim(), fingerprint: pinFingerprint(k.public) });
    }
    return { priv, pub };
}

/** A client key pair (OpenSSH private key text) for connecting to the fake server. */
export function clientKey(): string {
    return ed25519KeyPair("").private;
}

export async function startFakeSsh(opts: FakeSshOptions = {}): Promise<FakeSsh> {
    const types = opts.keyTypes ?? ["ed25519"];
    const handler: (command: string) => FakeReply = opts.exec ?? (() => ({}));
    let server: Server | undefined;
    const sockets = new Set<net.Socket>();
    const state: FakeSsh = {
        port: 0,
        keys: [],
        connections: 0,
        auths: [],
        execs: [],
        signals: [],
        closedEarly: 0,
        rekey: async () => {
            await stop();
            await listen(state.port);
        },
        close: () => stop(),
    };

    function make(priv: string[]): Server {
        // ssh2's server hands a signal request to no handler once the command runs: read it off
        // the protocol's debug trace (what arrived on the wire).
        const debug = (line: string) => {
            const m = /Inbound: CHANNEL_REQUEST \(r:\d+, signal: (\w+)\)/.exec(line);
            if (m) state.signals.push(m[1]);
        };
        const s = new Server({ hostKeys: priv, debug }, (client) => {
            client.on("error", () => undefined);
            client.on("authentication", (ctx) => {
                state.auths.push({
                    method: ctx.method,
                    user: ctx.username,
                    ...(ctx.method === "password" ? { password: ctx.password } : {}),
                });
                if (ctx.method === "none") ctx.reject(["publickey", "password"]);
                else ctx.accept();
            });
            client.on("ready", () => {
                client.on("session", (acceptSession) => {
                    const session = acceptSession();
                    session.on("exec", (accept, _reject, info) => {
                        const stream = accept();
                        state.execs.push(info.command);
                        const reply = handler(info.command);
                        let finished = false;
                        stream.on("close", () => {
                            if (!finished) state.closedEarly++;
                        });
                        stream.on("data", () => undefined); // drain stdin
                        if (reply === "hang") return;
                        finished = true;
                        if (reply.stdout) stream.write(reply.stdout);
                        if (reply.stderr) stream.stderr.write(reply.stderr);
                        stream.exit(reply.code ?? 0);
                        stream.end();
                    });
                });
            });
        });
        s.on("connection", () => undefined);
        return s;
    }

    async function listen(port: number): Promise<void> {
        const { priv, pub } = newKeys(types);
        state.keys = pub;
        server = make(priv);
        const srv = server;
        // ssh2's Server wraps a net.Server: count and track its sockets.
        const inner = (srv as unknown as { _srv: net.Server })._srv;
        inner.on("connection", (sock: net.Socket) => {
            state.connections++;
            sockets.add(sock);
            sock.on("close", () => sockets.delete(sock));
        });
        await new Promise<void>((resolve, reject) => {
            srv.once("error", reject);
            srv.listen(port, "127.0.0.1", () => resolve());
        });
        (state as { port: number }).port = (srv.address() as net.AddressInfo).port;
    }

    async function stop(): Promise<void> {
        const srv = server;
        server = undefined;
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    }

    await listen(0);
    return state;
}
