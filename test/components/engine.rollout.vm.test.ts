/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs and exports are untyped JSON */
/**
 * Fleet rollouts on the real engine against a mixed fleet of two real VMs, as users run them (issue
 * #18): the shared Debian 12 bookworm test VM (AppArmor 3.0, kernel 6.1) as "vm1" and one extra Debian
 * 13 trixie VM (AppArmor 4.1, kernel 6.12) as "vm2", asserting on the hosts' kernels and on the
 * engine's events:
 * - waves [1, "100%"]: host 1's install and gate finish before host 2's install starts;
 * - a gate over budget fails the update naming host 1, the count and a suggestion, host 2 untouched
 *   (file sha256 and loaded policy hash); with "revert" host 1 is back on the previous compiled policy;
 * - complain → enforce: the kernel shows `NAME (complain)` during the soak and ALLOWED is counted;
 *   when quiet the same `up` ends in enforce;
 * - one VM stopped: the `up` fails naming it, the other host is updated and recorded; with the VM
 *   back the next `up` converges without touching (or soaking) the host that already passed.
 * Containers run under the profile on both VMs (`docker run` over SSH), writing /tmp/b/x once a
 * second: allowed by the base versions, denied by the "noisy" one.
 * The loaded policy's hash is the kernel's raw_sha1 on bookworm and raw_sha256 on trixie (6.12 has no
 * raw_sha1), and the two parsers compile the same text to different blobs: a host's hash is only ever
 * compared with the same host's.
 */
import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile, type HostConnectionArgs } from "../../src/components";
import type { RolloutArgs } from "../../src/components/rollout/args";
import { startTestHost, stopTestHost } from "../../src/testhost";
import { createThrowawayStack, hasProviderPlugin, type ThrowawayStack } from "../support/engine";
import {
    sharedTestHost,
    sshExec,
    startExtraTestHost,
    stopExtraTestHost,
    type TestHostInfo,
} from "../support/testhost";
import { PROFILE_DIR as DIR, secureProfile } from "../support/vmStack";
import { LOADED_POLICIES_SH } from "../host/scripts-support";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { traceReader } from "../support/trace";

const NAME = "pa-roll";
const SOAK = 4;

describe("components: fleet rollout on the real engine + two VMs (Debian 12 + Debian 13 hosts)", function () {
    this.timeout(1_800_000);
    let vm1: TestHostInfo;
    let vm2: TestHostInfo;
    let st: ThrowawayStack;
    /** What the program declares (tests change it between `up`s). */
    const spec: { extra: string[]; rollout: RolloutArgs } = { extra: [], rollout: {} };
    /** Host script runs recorded by the provider since the last call, by script name. */
    const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-rollout-trace-")), "trace");
    const runs = traceReader(trace);

    const host = (vm: TestHostInfo, name: string): HostConnectionArgs => ({
        host: vm.host,
        port: vm.port,
        user: vm.user,
        privateKey: pulumi.secret(fs.readFileSync(vm.privateKeyPath, "utf8")),
        hostKey: vm.hostKey,
        name,
    });
    const program = async () => {
        const p = new Profile("roll", {
            hosts: [host(vm1, "vm1"), host(vm2, "vm2")],
            profile: secureProfile(NAME, spec.extra),
            rollout: spec.rollout,
            prepareHosts: hasProviderPlugin("command"),
        });
        return { versions: p.versions, plan: p.rolloutPlan };
    };
    const root = (vm: TestHostInfo, cmd: string) => sshExec(vm, cmd, { asRoot: true });

    /**
     * sha256 of the profile file and the loaded policy's hash (raw_sha1, or raw_sha256 on a kernel
     * with only that: trixie's 6.12) on a VM, and the mode the kernel lists it in.
     */
    async function hostState(
        vm: TestHostInfo,
    ): Promise<{ sha256: string; policyHash: string; mode: string }> {
        const r = await root(
            vm,
            `sha256sum < ${DIR}/${NAME} | cut -d' ' -f1; ` +
                `(${LOADED_POLICIES_SH}) | sed -n 's/^${NAME} \\([0-9a-f]*\\) .*/\\1/p'; ` +
                `grep "^${NAME} (" /sys/kernel/security/apparmor/profiles | sed 's/.*(//; s/)//'`,
        );
        const [sha256, policyHash, mode] = r.stdout.trim().split("\n");
        return { sha256, policyHash, mode };
    }

    /** Audit times (seconds) of the kernel's STATUS records loading NAME since `since` (epoch s). */
    async function loadTimes(vm: TestHostInfo, since: number): Promise<number[]> {
        const r = await root(
            vm,
            `journalctl -q _TRANSPORT=audit --no-pager -o cat --since=@${Math.floor(since)} | ` +
                `grep 'apparmor="STATUS"' | grep 'name="${NAME}"' | grep -v 'same as current' | ` +
                `sed -n 's/.*audit(\\([0-9.]*\\):.*/\\1/p'`,
        );
        // journald's audit transport keeps the record without its audit(...) prefix: use the
        // entry's realtime instead.
        if (r.stdout.trim()) return r.stdout.trim().split("\n").map(Number);
        const t = await root(
            vm,
            `journalctl -q _TRANSPORT=audit --no-pager -o short-unix --since=@${Math.floor(since)} | ` +
                `grep 'apparmor="STATUS"' | grep 'name="${NAME}"' | grep -v 'same as current' | cut -d' ' -f1`,
        );
        return t.stdout.trim() ? t.stdout.trim().split("\n").map(Number) : [];
    }

    async function up(): Promise<{ ok: boolean; error?: string; events: EngineEvent[] }> {
        const events: EngineEvent[] = [];
        try {
            await st.stack.up({ color: "never", onEvent: (e) => events.push(e) });
            return { ok: true, events };
        } catch (e) {
            return { ok: false, error: String((e as Error).message), events };
        }
    }

    /** Index in `events` of the first event of `kind` for the resource named `name`. */
    function at(events: EngineEvent[], kind: "pre" | "out", name: string): number {
        return events.findIndex((e) => {
            const m = kind === "pre" ? e.resourcePreEvent?.metadata : e.resOutputsEvent?.metadata;
            return m !== undefined && m.urn.endsWith(`::${name}`);
        });
    }

    async function startContainer(vm: TestHostInfo): Promise<void> {
        const r = await root(
            vm,
            `docker rm -f pa-roll-c >/dev/null 2>&1; docker run -d --name pa-roll-c ` +
                `--security-opt apparmor=${NAME} local/busybox:latest ` +
                `sh -c 'mkdir -p /tmp/b; while :; do echo x > /tmp/b/x 2>/dev/null; sleep 1; done'`,
        );
        assert.strictEqual(r.code, 0, r.stderr);
    }

    before(async function () {
        [vm1, vm2] = await Promise.all([
            sharedTestHost(),
            startExtraTestHost({ release: "trixie" }),
        ]);
        for (const vm of [vm1, vm2])
            await root(
                vm,
                `apparmor_parser -R ${DIR}/${NAME} 2>/dev/null; rm -f ${DIR}/${NAME}; true`,
            );
        st = await createThrowawayStack({
            program,
            projectName: "rollout",
            envVars: { PULUMI_APPARMOR_TRACE_FILE: trace },
        });
    });
    after(async function () {
        for (const vm of [vm1, vm2].filter(Boolean))
            await root(vm, "docker rm -f pa-roll-c >/dev/null 2>&1; true").catch(() => undefined);
        if (st) {
            await st.stack.destroy({ color: "never" }).catch((e) => {
                process.stderr.write(`rollout test: destroy failed: ${String(e)}\n`);
            });
            await st.dispose();
        }
        if (vm2) await stopExtraTestHost(vm2);
    });

    it("first up: the profile on both hosts (nothing to soak on hosts that had none); containers confined", async () => {
        spec.extra = ["/srv/h1/**"];
        spec.rollout = { waves: [1, "100%"], gate: { soakSeconds: SOAK, maxNewDenials: 0 } };
        const r = await up();
        assert.ok(r.ok, r.error);
        const o = await st.stack.outputs();
        assert.deepStrictEqual(o.plan.value, [["vm1"], ["vm2"]]);
        for (const vm of [vm1, vm2]) {
            assert.strictEqual((await hostState(vm)).mode, "enforce");
            await startContainer(vm);
            const pid = (
                await root(vm, "docker inspect -f '{{.State.Pid}}' pa-roll-c")
            ).stdout.trim();
            assert.strictEqual(
                (await root(vm, `cat /proc/${pid}/attr/current`)).stdout.trim(),
                `${NAME} (enforce)`,
            );
        }
    });

    /** vm1's loaded policy hash of the version the waves test rolls out (what "revert" goes back to). */
    let goodHash1 = "";
    it("waves [1, '100%']: host 1's install and gate finish before host 2's install starts", async () => {
        const since = Date.now() / 1000 - 1;
        spec.extra = ["/srv/h2/**"];
        runs();
        const r = await up();
        assert.ok(r.ok, r.error);
        // Per host one install (which also took the first look and the log position under the host
        // lock, and listed the containers' labels after it) and one log read after the soak, and
        // nothing else: each HostProfile took what its wave had just verified there.
        const n = runs();
        assert.deepStrictEqual(
            Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v.count])),
            { install: 2, read: 2 },
            JSON.stringify(n),
        );
        // Engine order: wave 1 done → vm1's HostProfile done → wave 2 starts.
        const w1Out = at(r.events, "out", "roll-wave-1");
        const hp1Out = at(r.events, "out", "roll-vm1");
        const w2Pre = at(r.events, "pre", "roll-wave-2");
        assert.ok(
            w1Out >= 0 && hp1Out > w1Out && w2Pre > hp1Out,
            `order ${w1Out} ${hp1Out} ${w2Pre}`,
        );
        // Kernel order: vm2 loaded the new version at least the soak after vm1 did.
        const [t1, t2] = await Promise.all([loadTimes(vm1, since), loadTimes(vm2, since)]);
        assert.ok(t1.length > 0 && t2.length > 0, `STATUS records: ${t1} / ${t2}`);
        assert.ok(Math.min(...t2) - Math.max(...t1) >= SOAK - 0.5, `vm1 ${t1}, vm2 ${t2}`);
        goodHash1 = (await hostState(vm1)).policyHash;
        assert.ok(goodHash1, "vm1 lists the policy's hash");
    });

    it("gate over budget (halt): the up fails naming host 1, the count and a suggestion; host 2 untouched", async () => {
        const before2 = await hostState(vm2);
        spec.extra = ["/srv/h2/**", "/tmp/b/**"];
        const r = await up();
        assert.ok(!r.ok, "the up must fail");
        const msg = r.error!;
        assert.match(
            msg,
            /wave 1 of 2: the gate failed on 1 of 1 host\(s\); the later waves keep the previous version/,
        );
        assert.match(
            msg,
            /\(vm1\): \d+ new event\(s\) of the new version \(DENIED \d+, ALLOWED 0; budget 0\)/,
        );
        assert.match(msg, /suggested rules \(profile text\): .*\/tmp\/b\/x/);
        assert.match(msg, /the new version stays on: vm1/);
        assert.deepStrictEqual(
            await hostState(vm2),
            before2,
            "host 2's file and loaded policy unchanged",
        );
    });

    it("gate over budget (revert): host 1 is back on the previous compiled policy", async () => {
        // The previous version (before the halted one) is what the rollout found before it began.
        spec.rollout = { ...spec.rollout, onGateFailure: "revert" };
        // The good policy's hash is vm1's own from the waves test (vm2 runs another parser, whose
        // blob of the same text differs).
        spec.extra = ["/srv/h2/**", "/tmp/b/**"];
        const r = await up();
        assert.ok(!r.ok, "the up must fail");
        assert.match(r.error!, /reverted to the previous version on: vm1/);
        const s1 = await hostState(vm1);
        assert.strictEqual(s1.policyHash, goodHash1, "vm1 runs the previous compiled policy again");
        assert.strictEqual(s1.mode, "enforce");
    });

    it("complain → enforce: complain during the soak, ALLOWED counted; when quiet the same up ends in enforce", async () => {
        spec.rollout = {
            waves: [1, "100%"],
            gate: { soakSeconds: SOAK, maxNewDenials: 0 },
            promote: { from: "complain" },
        };
        // Noisy version: the container's touches are ALLOWED in complain mode and counted.
        spec.extra = ["/srv/h3/**", "/tmp/b/**"];
        const seen = new Set<string>();
        let polling = true;
        const poll = (async () => {
            while (polling) {
                const m = (await hostState(vm1).catch(() => undefined))?.mode;
                if (m) seen.add(m);
                await new Promise((res) => setTimeout(res, 300));
            }
        })();
        const noisy = await up();
        assert.ok(!noisy.ok);
        assert.match(
            noisy.error!,
            /\(vm1\): \d+ new event\(s\) of the new version \(DENIED 0, ALLOWED [1-9]\d*; budget 0\)/,
        );
        assert.match(noisy.error!, /stays on: vm1 \(in complain mode\)/);
        assert.strictEqual((await hostState(vm1)).mode, "complain");
        assert.ok(seen.has("complain"));
        // Quiet version: complain during the soak, enforce at the end of the same up.
        seen.clear();
        spec.extra = ["/srv/h4/**"];
        const quiet = await up();
        polling = false;
        await poll;
        assert.ok(quiet.ok, quiet.error);
        assert.ok(seen.has("complain"), `modes seen on vm1 during the up: ${[...seen]}`);
        for (const vm of [vm1, vm2]) assert.strictEqual((await hostState(vm)).mode, "enforce");
        const o = (await st.stack.outputs()).versions.value as any;
        const h = o.vm1.history as { mode: string; version: string }[];
        assert.strictEqual(h[0].mode, "enforce");
        assert.strictEqual(h[1].mode, "complain");
        assert.strictEqual(h[0].version, h[1].version);
    });

    it("one VM stopped: the up fails naming it, host 1 is updated and recorded; VM back → converges without re-soaking host 1", async () => {
        spec.rollout = { waves: [1, "100%"], gate: { soakSeconds: SOAK, maxNewDenials: 0 } };
        await root(vm2, "sync");
        await stopTestHost(vm2.stateDir, { keepDisk: true });
        spec.extra = ["/srv/h5/**"];
        const r = await up();
        assert.ok(!r.ok);
        assert.match(r.error!, new RegExp(`${vm2.user}@${vm2.host}:${vm2.port}`));
        // Host 1 has the new version and the stack recorded it.
        const exported = JSON.parse(await st.exportStackText());
        const hp1 = exported.deployment.resources.find((x: any) => x.urn.endsWith("::roll-vm1"));
        const want = hp1.outputs.version as string;
        assert.strictEqual(hp1.outputs.installed.version, want);
        const s1 = await hostState(vm1);
        assert.strictEqual(s1.sha256, hp1.outputs.installed.fileSha256);
        // VM back on the same disk: the next up converges; host 1 is neither reloaded nor soaked.
        vm2 = await startTestHost({ stateDir: vm2.stateDir, reuseDisk: true });
        const since = Date.now() / 1000 - 1;
        const again = await up();
        assert.ok(again.ok, again.error);
        const steps = again.events
            .map((e) => e.resourcePreEvent?.metadata)
            .filter((m) => m && m.op !== "same")
            .map((m) => m!.urn.split("::").pop());
        assert.ok(!steps.includes("roll-wave-1"), `wave 1 re-ran: ${steps}`);
        assert.ok(!steps.includes("roll-vm1"), `vm1 re-ran: ${steps}`);
        assert.deepStrictEqual(await loadTimes(vm1, since), []);
        assert.strictEqual((await hostState(vm2)).sha256, s1.sha256);
        await st.stack.preview({ expectNoChanges: true, color: "never" });
    });
});
