/**
 * The test VM itself: a real kernel with AppArmor, a key-only sshd with a pinned host key, a dockerd that
 * confines containers with AppArmor and runs the registry-free local image, and the journal's audit
 * transport. Every other VM test relies on these facts.
 */
import * as assert from "assert";
import * as http from "http";
import { Client } from "ssh2";
import { utils as sshUtils } from "ssh2";
import { connectSsh, sshConfig } from "../../src/testhost";
import { sharedTestHost, sshExec, type TestHostInfo } from "../support/testhost";

function httpGet(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, { timeout: 30000 }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
    });
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

    it("dockerd answers on the forwarded port and has the local busybox image", async function () {
        this.timeout(60000);
        assert.match(host.dockerHost, /^tcp:\/\/127\.0\.0\.1:\d+$/);
        const base = host.dockerHost.replace(/^tcp:/, "http:");
        const ping = await httpGet(`${base}/_ping`);
        assert.deepStrictEqual(ping, { status: 200, body: "OK" });
        const image = await httpGet(`${base}/images/local/busybox:latest/json`);
        assert.strictEqual(image.status, 200, image.body);
        const info = JSON.parse((await httpGet(`${base}/info`)).body) as {
            SecurityOptions: string[];
        };
        assert.ok(info.SecurityOptions.includes("name=apparmor"), info.SecurityOptions.join(","));
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
