/**
 * Snapshot-restored test hosts (src/testhost/snapshot.ts) on real QEMU: two VMs restored from the one
 * snapshot of the image are two hosts, not one. Each has its own disk, its clock is this machine's
 * (not the save's), its kernel reseeded its RNG (no two restored guests draw the same bytes), AppArmor
 * and dockerd work, and the keys it shares with the snapshot stay private. The shared VM and the
 * other VM suites run on restored VMs too (unless PULUMI_APPARMOR_TESTHOST_SNAPSHOT=0). Both releases.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { dockerPing } from "../../src/testhost";
import { SNAPSHOT_ENV } from "../../src/testhost/snapshot";
import {
    sshExec,
    startExtraTestHost,
    stopExtraTestHost,
    type TestHostInfo,
} from "../support/testhost";

for (const release of ["bookworm", "trixie"] as const)
    describe(`test host: two VMs restored from one snapshot are two hosts — ${release}`, function () {
        this.timeout(1800000);
        const vms: TestHostInfo[] = [];

        before(async function () {
            // This file proves the restore itself: it restores even in a run that switched
            // snapshots off for the other files (the switch is read when a VM starts).
            const off = process.env[SNAPSHOT_ENV];
            delete process.env[SNAPSHOT_ENV];
            try {
                // One after the other: the first may have to make the snapshot.
                vms.push(await startExtraTestHost({ release }));
                vms.push(await startExtraTestHost({ release }));
            } finally {
                if (off !== undefined) process.env[SNAPSHOT_ENV] = off;
            }
        });
        after(async () => {
            for (const vm of vms) await stopExtraTestHost(vm);
            vms.length = 0;
        });

        it("both restored from the same snapshot, which is private; each state dir has its own copy", () => {
            const [a, b] = vms;
            assert.ok(a.snapshot, "the first VM was booted cold");
            assert.strictEqual(b.snapshot, a.snapshot);
            assert.strictEqual(fs.statSync(a.snapshot).mode & 0o777, 0o700);
            for (const f of ["overlay.qcow2", "id_ed25519"]) {
                assert.strictEqual(fs.statSync(path.join(a.snapshot, f)).mode & 0o777, 0o600, f);
                for (const vm of vms) {
                    assert.strictEqual(
                        fs.statSync(path.join(vm.stateDir, f)).mode & 0o777,
                        0o600,
                        `${vm.stateDir}/${f}`,
                    );
                }
            }
            assert.notStrictEqual(a.port, b.port);
        });

        it("the guests' clocks are this machine's, not the save's", async () => {
            for (const vm of vms) {
                const before = Date.now() / 1000;
                const guest = Number((await sshExec(vm, "date +%s.%N")).stdout.trim());
                const after = Date.now() / 1000;
                assert.ok(
                    guest >= before - 5 && guest <= after + 5,
                    `guest ${guest}, here ${before}..${after}`,
                );
            }
        });

        it("each guest's kernel reseeded its RNG: the two draw different bytes", async () => {
            const draws: string[] = [];
            for (const vm of vms) {
                const r = await sshExec(
                    vm,
                    "dmesg | grep -c 'crng reseeded due to virtual machine fork'; od -An -tx1 -N32 /dev/urandom | tr -d ' \\n'",
                    { asRoot: true },
                );
                const [forks, bytes] = r.stdout.trim().split("\n");
                assert.ok(Number(forks) >= 1, `no reseed in the kernel log of ${vm.stateDir}`);
                draws.push(bytes);
            }
            assert.match(draws[0], /^[0-9a-f]{64}$/);
            assert.notStrictEqual(draws[0], draws[1]);
        });

        it("each has its own disk: a file written on one is not on the other", async () => {
            const [a, b] = vms;
            const mark = `/root/snapshot-mark-${process.pid}`;
            await sshExec(a, `echo a > ${mark} && sync`, { asRoot: true });
            assert.strictEqual((await sshExec(a, `cat ${mark}`, { asRoot: true })).stdout, "a\n");
            assert.strictEqual(
                (await sshExec(b, `test -e ${mark}; echo $?`, { asRoot: true })).stdout,
                "1\n",
            );
        });

        it("AppArmor is on and dockerd answers on each VM's own socket", async () => {
            for (const vm of vms) {
                assert.strictEqual(vm.apparmor, true);
                assert.ok(await dockerPing(vm.dockerSocket), vm.dockerSocket);
                const r = await sshExec(
                    vm,
                    "cat /sys/module/apparmor/parameters/enabled; docker image ls -q local/busybox:latest | wc -l",
                );
                assert.strictEqual(r.stdout, "Y\n1\n");
            }
        });
    });
