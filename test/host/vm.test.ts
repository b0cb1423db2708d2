/**
 * The test VM itself: a real kernel with AppArmor, a key-only sshd with a pinned host key, a dockerd that
 * confines containers with AppArmor and runs the registry-free local image, and the journal's audit
 * transport. Every other VM test relies on these facts. And the VM does not undermine what it tests:
 * dockerd has no TCP listener (a container reaching its API could start a privileged container), the
 * guest reaches nothing outside itself, and the keys in the cache and state dirs are private.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { Client } from "ssh2";
import { utils as sshUtils } from "ssh2";
import { connectSsh, sshConfig } from "../../src/testhost";
import { sharedTestHost, sshExec, systemdHealth, type TestHostInfo } from "../support/testhost";

/** GET `urlPath` from the docker API on the unix socket `socketPath`. */
function dockerGet(socketPath: string, urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get({ socketPath, path: urlPath, timeout: 30000 }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
    });
}

/** The permission bits of `file` (e.g. 0o700). */
function modeOf(file: string): number {
    return fs.statSync(file).mode & 0o7777;
}

/** Authentication methods the server offers after a "none" attempt, and whether a password login worked. */
function tryPassword(
    info: TestHostInfo,
    password: string,
): Promise<{ offered: string[]; error?: Error }> {
    return new Promise((resolve) => {
        const client = new Client();
        let offered: string[] = [];
        let step = 0;
        client.on("ready", () => {
            client.end();
            resolve({ offered });
        });
        client.on("error", (error: Error) => resolve({ offered, error }));
        client.connect({
            ...sshConfig(info),
            privateKey: undefined,
            authHandler: (methodsLeft, _partial, next) => {
                step += 1;
                if (step === 1) return next({ type: "none", username: info.user });
                offered = methodsLeft ?? [];
                if (step === 2) return next({ type: "password", username: info.user, password });
                return next(false as unknown as "none");
            },
        });
    });
}

describe("test host VM", function () {
    let host: TestHostInfo;

    before(async function () {
        this.timeout(1_800_000);
        host = await sharedTestHost();
    });

    it("boots with no failed unit, and systemd runs only the fstab generator (the image masks the rest)", async function () {
        this.timeout(120000);
        const { failedUnits, liveGenerators } = await systemdHealth(host);
        assert.strictEqual(failedUnits, "", `failed units:\n${failedUnits}`);
        assert.strictEqual(liveGenerators, "systemd-fstab-generator");
    });

    it("boots a kernel with AppArmor enabled and securityfs mounted", async function () {
        this.timeout(60000);
        const r = await sshExec(
            host,
            "cat /sys/module/apparmor/parameters/enabled; uname -r; test -r /sys/kernel/security/apparmor/profiles && echo securityfs",
            { asRoot: true },
        );
        assert.strictEqual(r.code, 0, r.stderr);
        const [enabled, kernel, fs] = r.stdout.trim().split("\n");
        assert.strictEqual(enabled, "Y");
        assert.match(kernel, /^6\.1\./);
        assert.strictEqual(fs, "securityfs");
        assert.strictEqual(host.apparmor, true);
    });

    it("logs in as the unprivileged user, who has passwordless sudo", async function () {
        this.timeout(60000);
        const r = await sshExec(host, "id -un; sudo -n id -u");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.stdout.trim().split("\n"), [host.user, "0"]);
    });

    it("sshd offers only public-key authentication and refuses the user's real password", async function () {
        this.timeout(60000);
        const r = await tryPassword(host, "tester");
        assert.deepStrictEqual(r.offered, ["publickey"]);
        assert.ok(r.error, "a password login must fail");
        assert.match(r.error.message, /authentication methods failed/i);
        const t = await sshExec(
            host,
            "sshd -T | grep -E '^(passwordauthentication|permitrootlogin) '",
            {
                asRoot: true,
            },
        );
        assert.match(t.stdout, /^passwordauthentication no$/m);
        assert.match(t.stdout, /^permitrootlogin without-password$/m);
    });

    it("refuses a server whose host key differs from the pinned one", async function () {
        this.timeout(60000);
        const other = sshUtils.generateKeyPairSync("ed25519").public;
        await assert.rejects(
            connectSsh({ ...host, hostKey: other }),
            /host.*verif|verification failed/i,
        );
        const good = await connectSsh(host);
        good.end();
    });

    it("dockerd answers on the SSH-forwarded unix socket (0600) and has the local busybox image", async function () {
        this.timeout(60000);
        const socket = path.join(host.stateDir, "docker.sock");
        assert.strictEqual(host.dockerHost, `unix://${socket}`);
        assert.strictEqual(host.dockerSocket, socket);
        assert.ok(fs.statSync(socket).isSocket());
        assert.strictEqual(modeOf(socket), 0o600, "only the owner may use the socket");
        const ping = await dockerGet(socket, "/_ping");
        assert.deepStrictEqual(ping, { status: 200, body: "OK" });
        const image = await dockerGet(socket, "/images/local/busybox:latest/json");
        assert.strictEqual(image.status, 200, image.body);
        const info = JSON.parse((await dockerGet(socket, "/info")).body) as {
            SecurityOptions: string[];
        };
        assert.ok(info.SecurityOptions.includes("name=apparmor"), info.SecurityOptions.join(","));
    });

    it("dockerd has no TCP listener, and no container (bridge or host network) reaches its API", async function () {
        this.timeout(300000);
        const ss = await sshExec(host, "ss -ltnpH", { asRoot: true });
        assert.strictEqual(ss.code, 0, ss.stderr);
        assert.doesNotMatch(ss.stdout, /:2375\b/, ss.stdout);
        assert.doesNotMatch(ss.stdout, /dockerd/, ss.stdout);
        // The default bridge's gateway, the VM's own address, QEMU's gateway (the host machine) and,
        // with the host network, the VM's loopback: the places a TCP API used to be.
        // (busybox-static's wget crashes on name resolution in the image; nc does not resolve.)
        const probe = (addrs: string) =>
            `for a in ${addrs}; do printf "GET /_ping HTTP/1.0\\r\\n\\r\\n" | nc -w 5 $a 2375 | ` +
            `grep -q "^OK" && echo "REACHED $a"; done; echo probed`;
        const bridge = await sshExec(
            host,
            `docker run --rm local/busybox:latest sh -c '${probe("172.17.0.1 10.0.2.15 10.0.2.2")}'`,
        );
        assert.strictEqual(bridge.code, 0, bridge.stderr);
        assert.strictEqual(bridge.stdout.trim(), "probed", bridge.stdout);
        const hostNet = await sshExec(
            host,
            `docker run --rm --network host local/busybox:latest sh -c '${probe("127.0.0.1 10.0.2.15")}'`,
        );
        assert.strictEqual(hostNet.code, 0, hostNet.stderr);
        assert.strictEqual(hostNet.stdout.trim(), "probed", hostNet.stdout);
    });

    it("the VM reaches nothing on the host machine: not its forwarded sshd, not a loopback service", async function () {
        this.timeout(120000);
        let connections = 0;
        const server = net.createServer((sock) => {
            connections += 1;
            sock.end("HELLO-FROM-HOST\n");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            // Without restrict=on, QEMU's gateway 10.0.2.2 is this machine's loopback.
            const read = (p: number) =>
                `timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.2.2/${p} && head -c 32 <&3' 2>/dev/null; echo " rc=$?"`;
            const r = await sshExec(host, `${read(host.port)}; ${read(port)}`, { asRoot: true });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /SSH-2\.0|HELLO-FROM-HOST/, r.stdout);
            const codes = r.stdout
                .trim()
                .split("\n")
                .map((l) => /rc=(\d+)$/.exec(l.trim())?.[1]);
            assert.strictEqual(codes.length, 2, r.stdout);
            assert.ok(
                codes.every((c) => c !== undefined && c !== "0"),
                `both connections fail: ${r.stdout}`,
            );
            assert.strictEqual(connections, 0, "the loopback service saw a connection from the VM");
        } finally {
            server.close();
        }
    });

    it("keeps the cache, the image and the state dir private (0700) and the key material 0600", function () {
        const imageDir = host.image;
        const testhostDir = path.dirname(imageDir);
        const cache = path.dirname(testhostDir);
        for (const dir of [cache, testhostDir, imageDir, host.stateDir]) {
            assert.strictEqual(modeOf(dir).toString(8), "700", dir);
        }
        // disk.raw and the overlay hold the VM's private host key; id_ed25519 is the run's key.
        for (const file of [
            path.join(imageDir, "disk.raw"),
            path.join(host.stateDir, "overlay.qcow2"),
            host.privateKeyPath,
        ]) {
            assert.strictEqual(modeOf(file).toString(8), "600", file);
        }
    });

    it("confines a container with --security-opt apparmor=docker-default (label in /proc/PID/attr/current)", async function () {
        this.timeout(180000);
        const name = `vmtest-${process.pid}`;
        const run = await sshExec(
            host,
            `docker run -d --rm --name ${name} --security-opt apparmor=docker-default local/busybox:latest sleep 300`,
        );
        assert.strictEqual(run.code, 0, run.stderr);
        try {
            const r = await sshExec(
                host,
                `pid=$(docker inspect -f '{{.State.Pid}}' ${name}) && cat /proc/$pid/attr/current`,
                { asRoot: true },
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout.trim(), "docker-default (enforce)");
        } finally {
            await sshExec(host, `docker rm -f ${name} >/dev/null 2>&1 || true`);
        }
    });

    it("records AppArmor denials in the journal's audit transport", async function () {
        this.timeout(180000);
        const profile = `vmtest-audit-${process.pid}`;
        const text = `abi <abi/3.0>,\ninclude <tunables/global>\nprofile ${profile} {\n  include <abstractions/base>\n  /bin/** rix,\n  /usr/bin/** rix,\n  /tmp/ r,\n  audit deny /tmp/${profile}/** w,\n}\n`;
        const load = await sshExec(host, "apparmor_parser -r -K", { asRoot: true, stdin: text });
        assert.strictEqual(load.code, 0, load.stderr);
        try {
            // systemd 252: with a match, --after-cursor needs a cursor taken with the same match (a cursor
            // of the unfiltered journal yields nothing).
            const cursor = (
                await sshExec(
                    host,
                    "journalctl _TRANSPORT=audit -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'",
                    {
                        asRoot: true,
                    },
                )
            ).stdout.trim();
            const denied = await sshExec(
                host,
                `mkdir -p /tmp/${profile} && aa-exec -p ${profile} -- sh -c 'echo x > /tmp/${profile}/f'`,
                { asRoot: true },
            );
            assert.notStrictEqual(denied.code, 0, "the write must be denied");
            assert.match(denied.stderr, /Permission denied/);
            let lines = "";
            for (let i = 0; i < 20 && !lines.includes(`profile="${profile}"`); i++) {
                const j = await sshExec(
                    host,
                    `journalctl _TRANSPORT=audit --after-cursor '${cursor}' -o cat --no-pager`,
                    { asRoot: true },
                );
                assert.strictEqual(j.code, 0, j.stderr);
                lines = j.stdout;
                if (!lines.includes(`profile="${profile}"`))
                    await new Promise((r) => setTimeout(r, 500));
            }
            const line = lines.split("\n").find((l) => l.includes(`profile="${profile}"`)) ?? "";
            assert.match(line, /apparmor="DENIED"/);
            assert.match(line, new RegExp(`name="/tmp/${profile}/f"`));
        } finally {
            await sshExec(host, `apparmor_parser -R -K; rm -rf /tmp/${profile}`, {
                asRoot: true,
                stdin: text,
            });
        }
    });
});
