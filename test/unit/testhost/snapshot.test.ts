/**
 * The parts of snapshot-restored boots that need no VM (src/testhost/snapshot.ts): which boots may
 * restore, what names a snapshot, when a folder counts as one, the folder lock, and the QMP exchange
 * (against a local server that speaks QEMU's QMP lines). The VM side: test/host/vm-snapshot.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    markSnapshotReady,
    qmpSaveAndQuit,
    readSnapshot,
    SNAPSHOT_ENV,
    snapshotName,
    snapshotUsable,
    withSnapshotLock,
} from "../../../src/testhost/snapshot";

describe("testhost: snapshot-restored boots", () => {
    let tmp: string;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-snap-"));
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("which boots may restore", () => {
        const table: [string, Parameters<typeof snapshotUsable>[0], string | undefined, boolean][] =
            [
                ["a plain boot", {}, undefined, true],
                ["no kernel arguments", { kernelArgs: [] }, undefined, true],
                ["snapshot: true", { snapshot: true }, undefined, true],
                ["env 1", {}, "1", true],
                [
                    "kernel arguments (saved in the kernel's command line)",
                    { kernelArgs: ["apparmor=0"] },
                    undefined,
                    false,
                ],
                ["a reboot of a kept disk", { reuseDisk: true }, undefined, false],
                ["snapshot: false", { snapshot: false }, undefined, false],
                [`${SNAPSHOT_ENV}=0`, {}, "0", false],
                ["snapshot: true but the env says 0", { snapshot: true }, "0", false],
            ];
        for (const [title, opts, env, want] of table) {
            it(`${title} → ${want ? "restore" : "cold"}`, () => {
                assert.strictEqual(snapshotUsable(opts, { [SNAPSHOT_ENV]: env }), want);
            });
        }
    });

    describe("the snapshot's name", () => {
        const args = ["-m", "2048", "-smp", "1", "-append", "root=/dev/vda key=KEY"];
        it("is the same for the same QEMU and arguments", () => {
            assert.strictEqual(snapshotName("QEMU 7.2", args), snapshotName("QEMU 7.2", [...args]));
            assert.match(snapshotName("QEMU 7.2", args), /^snapshot-[0-9a-f]{16}$/);
        });
        const changed: [string, string, string[]][] = [
            ["another QEMU version", "QEMU 8.2", args],
            ["other memory", "QEMU 7.2", ["-m", "4096", ...args.slice(2)]],
            ["other CPUs", "QEMU 7.2", [...args.slice(0, 3), "2", ...args.slice(4)]],
            [
                "another device or kernel line",
                "QEMU 7.2",
                [...args.slice(0, 5), "root=/dev/vdb key=KEY"],
            ],
            ["the same words split otherwise", "QEMU 7.2", ["-m 2048", ...args.slice(2)]],
        ];
        for (const [title, qemu, other] of changed) {
            it(`differs with ${title}`, () => {
                assert.notStrictEqual(snapshotName(qemu, other), snapshotName("QEMU 7.2", args));
            });
        }
    });

    it("a folder is a snapshot only once complete (marked ready last)", () => {
        assert.strictEqual(readSnapshot(tmp), undefined);
        for (const f of ["overlay.qcow2", "id_ed25519", "id_ed25519.pub"]) {
            fs.writeFileSync(path.join(tmp, f), "x");
        }
        assert.strictEqual(readSnapshot(tmp), undefined, "not marked ready");
        markSnapshotReady(tmp);
        assert.deepStrictEqual(readSnapshot(tmp), {
            dir: tmp,
            overlay: path.join(tmp, "overlay.qcow2"),
            privateKey: path.join(tmp, "id_ed25519"),
            publicKey: path.join(tmp, "id_ed25519.pub"),
        });
        fs.rmSync(path.join(tmp, "id_ed25519"));
        assert.strictEqual(readSnapshot(tmp), undefined, "a key missing");
    });

    describe("the folder lock", () => {
        it("runs one holder at a time and frees the lock after a failure", async () => {
            const dir = path.join(tmp, "snap");
            const events: string[] = [];
            const hold = (who: string, fail = false) =>
                withSnapshotLock(dir, async () => {
                    events.push(`${who} in`);
                    await new Promise((r) => setTimeout(r, 300));
                    events.push(`${who} out`);
                    if (fail) throw new Error(`${who} failed`);
                    return who;
                });
            const results = await Promise.allSettled([hold("a", true), hold("b")]);
            assert.deepStrictEqual(events, ["a in", "a out", "b in", "b out"]);
            assert.strictEqual(results[0].status, "rejected");
            assert.deepStrictEqual(results[1], { status: "fulfilled", value: "b" });
            assert.strictEqual(fs.existsSync(`${dir}.lock`), false);
        });

        it("takes over a lock whose holder died", async function () {
            this.timeout(10000);
            const dir = path.join(tmp, "snap");
            fs.mkdirSync(`${dir}.lock`);
            // A pid that is not running: the largest pid the kernel hands out, plus one.
            const max = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8"));
            fs.writeFileSync(path.join(`${dir}.lock`, "pid"), String(max + 1));
            assert.strictEqual(await withSnapshotLock(dir, async () => "taken"), "taken");
        });

        it("waits for a live holder", async function () {
            this.timeout(10000);
            const dir = path.join(tmp, "snap");
            fs.mkdirSync(`${dir}.lock`);
            fs.writeFileSync(path.join(`${dir}.lock`, "pid"), String(process.pid));
            const t0 = Date.now();
            setTimeout(() => fs.rmSync(`${dir}.lock`, { recursive: true, force: true }), 1500);
            await withSnapshotLock(dir, async () => undefined);
            assert.ok(Date.now() - t0 >= 1400, "entered while the lock was held");
        });
    });

    describe("QMP: savevm, then quit", () => {
        /** A QMP server: greets, answers each command with `answer(command)`, closes after quit. */
        async function qmpServer(
            answer: (cmd: { execute: string; arguments?: Record<string, string> }) => string[],
        ): Promise<{ socket: string; seen: string[]; close: () => void }> {
            const socket = path.join(tmp, "qmp.sock");
            const seen: string[] = [];
            const server = net.createServer((c) => {
                c.write('{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}\r\n');
                let buf = "";
                c.on("data", (d: Buffer) => {
                    buf += d.toString();
                    let nl: number;
                    while ((nl = buf.indexOf("\n")) >= 0) {
                        const cmd = JSON.parse(buf.slice(0, nl)) as {
                            execute: string;
                            arguments?: Record<string, string>;
                        };
                        buf = buf.slice(nl + 1);
                        seen.push(
                            cmd.arguments
                                ? `${cmd.execute} ${cmd.arguments["command-line"]}`
                                : cmd.execute,
                        );
                        for (const line of answer(cmd)) c.write(`${line}\r\n`);
                        if (cmd.execute === "quit") c.end();
                    }
                });
            });
            await new Promise<void>((r) => server.listen(socket, r));
            return { socket, seen, close: () => server.close() };
        }

        it("sends capabilities, savevm TAG and quit, skipping events", async () => {
            const srv = await qmpServer((cmd) =>
                cmd.execute === "human-monitor-command"
                    ? [
                          '{"event": "STOP", "timestamp": {}}',
                          '{"event": "RESUME", "timestamp": {}}',
                          '{"return": ""}',
                      ]
                    : ['{"return": {}}'],
            );
            try {
                await qmpSaveAndQuit(srv.socket, "ready", 5000);
                assert.deepStrictEqual(srv.seen, [
                    "qmp_capabilities",
                    "human-monitor-command savevm ready",
                    "quit",
                ]);
            } finally {
                srv.close();
            }
        });

        it("fails with QEMU's words when savevm reports an error, and does not quit", async () => {
            const srv = await qmpServer((cmd) =>
                cmd.execute === "human-monitor-command"
                    ? [
                          '{"return": "Error: Device \'virtio0\' is writable but does not support snapshots\\r\\n"}',
                      ]
                    : ['{"return": {}}'],
            );
            try {
                await assert.rejects(
                    qmpSaveAndQuit(srv.socket, "ready", 5000),
                    /savevm failed: Error: Device 'virtio0' is writable but does not support snapshots/,
                );
                assert.ok(!srv.seen.includes("quit"));
            } finally {
                srv.close();
            }
        });

        it("fails on a QMP error answer and when QEMU goes away early", async () => {
            const srv = await qmpServer(() => [
                '{"error": {"class": "GenericError", "desc": "no"}}',
            ]);
            try {
                await assert.rejects(qmpSaveAndQuit(srv.socket, "ready", 5000), /QMP: no/);
            } finally {
                srv.close();
            }
            await assert.rejects(
                qmpSaveAndQuit(path.join(tmp, "none.sock"), "ready", 5000),
                /QMP: connect ENOENT/,
            );
        });
    });
});
