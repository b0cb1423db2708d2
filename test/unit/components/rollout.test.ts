/**
 * Rollout: argument validation (tables), the wave plan, and the wave algorithm against fake hosts
 * (ordering, parallelism, gate budget, promote, revert/halt, resume without re-soak, label checks,
 * host failures). Real hosts: test/components/engine.rollout.vm.test.ts.
 */
import * as assert from "assert";
import type { AuditRecord } from "../../../src/log";
import {
    planWaves,
    rolloutSettings,
    validateRollout,
    waveBound,
    type RolloutArgs,
} from "../../../src/components/rollout/args";
import {
    countedRecords,
    runWave,
    type WaveHost,
    type WaveHostOps,
    type WaveHostState,
    type WaveSpec,
} from "../../../src/components/rollout/wave";
import {
    eventsFor,
    historyAfterLoad,
    ROLLOUT_VERIFIED_MS,
    rolloutVerifiedSha,
} from "../../../src/components/hostProfileProvider";
import { mergeDenials, SUGGESTION_LIMIT, type ProfileMode } from "../../../src/state";
import { diffWave, openAhead } from "../../../src/components/rollout/provider";
import type { SshTarget } from "../../../src/components/ssh";

describe("rollout: validateRollout (table)", () => {
    const ok: [string, RolloutArgs, number][] = [
        ["canary then all", { waves: [1, "100%"] }, 2],
        ["three waves", { waves: [1, "25%", "100%"] }, 8],
        ["counts", { waves: [1, 3, 10] }, 10],
        ["percent with decimals", { waves: ["12.5%", "100%"] }, 8],
        [
            "all settings",
            {
                waves: ["100%"],
                maxParallel: 3,
                gate: { soakSeconds: 0, maxNewDenials: 5 },
                onGateFailure: "revert",
                promote: { from: "complain" },
            },
            1,
        ],
        ["no waves (one wave)", { gate: { soakSeconds: 10 } }, 4],
        ["100 of 1 host", { waves: ["100%"] }, 1],
    ];
    for (const [what, r, n] of ok)
        it(`accepts ${what}`, () => assert.deepStrictEqual(validateRollout(r, n), []));

    const bad: [string, unknown, number, string, RegExp][] = [
        ["not an object", "fast", 2, "rollout", /waves/],
        ["empty waves", { waves: [] }, 2, "rollout.waves", /cumulative/],
        ["zero hosts", { waves: [0, "100%"] }, 2, "rollout.waves[0]", /whole number/],
        ["negative", { waves: [-1, "100%"] }, 2, "rollout.waves[0]", /whole number/],
        ["fraction", { waves: [1.5, "100%"] }, 2, "rollout.waves[0]", /whole number/],
        ["percent > 100", { waves: ["150%"] }, 2, "rollout.waves[0]", /percentage/],
        ["0 percent", { waves: ["0%", "100%"] }, 2, "rollout.waves[0]", /percentage/],
        ["no percent sign", { waves: ["50", "100%"] }, 2, "rollout.waves[0]", /percentage/],
        ["more hosts than listed", { waves: [3] }, 2, "rollout.waves[0]", /at most 2/],
        ["not ascending", { waves: [2, 1, "100%"] }, 4, "rollout.waves[1]", /ascending/],
        ["same bound twice", { waves: ["50%", 1, "100%"] }, 2, "rollout.waves[1]", /ascending/],
        ["last wave short", { waves: [1, 2] }, 4, "rollout.waves", /100%/],
        ["maxParallel 0", { maxParallel: 0 }, 2, "rollout.maxParallel", /1 to 1000/],
        ["maxParallel text", { maxParallel: "2" }, 2, "rollout.maxParallel", /1 to 1000/],
        ["gate not object", { gate: 5 }, 2, "rollout.gate", /soakSeconds/],
        ["negative soak", { gate: { soakSeconds: -1 } }, 2, "rollout.gate.soakSeconds", /from 0/],
        ["soak too long", { gate: { soakSeconds: 1e9 } }, 2, "rollout.gate.soakSeconds", /from 0/],
        ["soak NaN", { gate: { soakSeconds: NaN } }, 2, "rollout.gate.soakSeconds", /from 0/],
        [
            "budget fraction",
            { gate: { maxNewDenials: 0.5 } },
            2,
            "rollout.gate.maxNewDenials",
            /whole/,
        ],
        [
            "budget negative",
            { gate: { maxNewDenials: -2 } },
            2,
            "rollout.gate.maxNewDenials",
            /whole/,
        ],
        ["bad failure mode", { onGateFailure: "rollback" }, 2, "rollout.onGateFailure", /revert/],
        ["bad promote", { promote: { from: "enforce" } }, 2, "rollout.promote", /complain/],
        ["null promote", { promote: null }, 2, "rollout.promote", /complain/],
    ];
    for (const [what, r, n, field, fix] of bad)
        it(`rejects ${what} naming ${field} and a fix`, () => {
            const p = validateRollout(r as RolloutArgs, n);
            assert.ok(p.length > 0, "no problem reported");
            const hit = p.find((x) => x.field === field);
            assert.ok(hit, `no problem for ${field}: ${JSON.stringify(p)}`);
            assert.match(`${hit.message} ${hit.fix}`, fix);
        });
});

describe("rollout: wave plan", () => {
    it("waveBound: counts, percentages rounded up, at least one host", () => {
        assert.strictEqual(waveBound(1, 200), 1);
        assert.strictEqual(waveBound("10%", 200), 20);
        assert.strictEqual(waveBound("10%", 3), 1);
        assert.strictEqual(waveBound("25%", 10), 3);
        assert.strictEqual(waveBound("100%", 7), 7);
        assert.strictEqual(waveBound("x", 7), undefined);
    });
    it("planWaves: every host once, in list order", () => {
        assert.deepStrictEqual(planWaves([1, "100%"], 2), [[0], [1]]);
        assert.deepStrictEqual(planWaves(undefined, 3), [[0, 1, 2]]);
        const p = planWaves([1, "10%", "100%"], 200);
        assert.deepStrictEqual(
            p.map((w) => w.length),
            [1, 19, 180],
        );
        assert.deepStrictEqual(
            p.flat(),
            Array.from({ length: 200 }, (_, i) => i),
        );
        // A percentage that covers no more hosts than the wave before adds no empty wave.
        assert.deepStrictEqual(planWaves(["10%", "20%", "100%"], 3), [[0], [1, 2]]);
    });
    it("rolloutSettings: defaults", () => {
        assert.deepStrictEqual(rolloutSettings({}, 4), {
            soakSeconds: 60,
            maxNewDenials: 0,
            maxParallel: 4,
            onGateFailure: "halt",
            promoteFrom: "",
        });
    });
});

/** What the fake reads of a host's profile. */
interface FakeSnapshot {
    readonly present: boolean;
    readonly sha256: string;
    readonly kernelMode: string;
    readonly docker: boolean;
    readonly containers: readonly { readonly id: string; readonly label: string }[];
    readonly text: string;
}

/** A fake fleet: per host, the file text, kernel mode, containers and log. */
class FakeHosts implements WaveHostOps {
    files = new Map<string, { text: string; mode: string }>();
    containers = new Map<string, string[]>(); // host → container ids running under the profile
    logs = new Map<string, AuditRecord[]>();
    events: string[] = [];
    unreachable = new Set<string>();
    /** Called after an install: the fake "workload" logs what it would. */
    onInstall: (host: string, mode: string) => void = () => undefined;
    active = 0;
    maxActive = 0;
    clock = Date.parse("2026-12-02T10:00:00Z");

    constructor(readonly profileName: string) {}

    private reach(h: WaveHost) {
        if (this.unreachable.has(h.hostName)) throw new Error(`cannot reach ${h.target}`);
    }
    /** The profile on a host; with `containers`, also the containers started with it. */
    async snapshot(h: WaveHost, containers: boolean): Promise<FakeSnapshot> {
        this.reach(h);
        this.events.push(`snapshot ${h.hostName}${containers ? "" : " files"}`);
        const f = this.files.get(h.hostName);
        return {
            present: f !== undefined,
            sha256: f ? `sha-${f.text}-${f.mode}` : "",
            kernelMode: f?.mode ?? "",
            docker: containers,
            containers: (containers ? (this.containers.get(h.hostName) ?? []) : []).map((id) => ({
                id,
                label: f ? `${this.profileName} (${f.mode})` : "unconfined",
            })),
            text: f?.text ?? "",
        };
    }
    /**
     * Like install.sh with `prior`, `labels` and `log`: the look, the log position when loaded, the
     * install, then the containers' labels and (with `readLog` and a position) the new log lines.
     */
    async stage(
        h: WaveHost,
        text: string,
        mode: ProfileMode,
        keep?: { sha256: string; kernelMode: ProfileMode },
        readLog?: boolean,
    ): ReturnType<WaveHostOps["stage"]> {
        const s = await this.snapshot(h, false);
        const before = {
            present: s.present,
            sha256: s.sha256,
            kernelMode: s.kernelMode,
            text: s.text,
        };
        const position = before.kernelMode ? await this.logPosition(h) : undefined;
        if (
            keep &&
            before.present &&
            before.sha256 === keep.sha256 &&
            before.kernelMode === keep.kernelMode
        )
            return { before, position };
        const installed = await this.install(h, text, mode);
        const a = await this.snapshot(h, true);
        const after = { docker: a.docker, containers: a.containers };
        if (!readLog || position === undefined) return { before, position, installed, after };
        return {
            before,
            position,
            installed,
            after,
            records: await this.recordsSince(h, position),
        };
    }
    async logPosition(h: WaveHost) {
        this.reach(h);
        return String(this.logs.get(h.hostName)?.length ?? 0);
    }
    async install(h: WaveHost, text: string, mode: string) {
        this.reach(h);
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        await new Promise((r) => setImmediate(r));
        this.active--;
        const m = mode === "keep" ? (this.files.get(h.hostName)?.mode ?? "enforce") : mode;
        this.files.set(h.hostName, { text, mode: m });
        this.events.push(`install ${h.hostName} ${text} ${m}`);
        this.onInstall(h.hostName, m);
        return { fileSha256: `sha-${text}-${m}`, kernelMode: m };
    }
    async recordsSince(h: WaveHost, pos: string | undefined) {
        this.reach(h);
        this.events.push(`read ${h.hostName}`);
        return (this.logs.get(h.hostName) ?? []).slice(Number(pos ?? 0));
    }
    async sleep(ms: number) {
        this.events.push(`sleep ${ms}`);
        this.clock += ms;
    }
    now() {
        return this.clock;
    }
    log(host: string, r: Partial<AuditRecord>) {
        const l = this.logs.get(host) ?? [];
        l.push({
            type: "DENIED",
            profile: this.profileName,
            operation: "open",
            ...r,
        } as AuditRecord);
        this.logs.set(host, l);
    }
}

function spec(hosts: string[], over: Partial<WaveSpec["settings"]> = {}, text = "v2"): WaveSpec {
    return {
        wave: 1,
        waves: 2,
        profileName: "web",
        profileText: text,
        version: `ver-${text}`,
        hosts: hosts.map((h) => ({ hostName: h, target: `root@${h}:22`, mode: "enforce" })),
        settings: {
            soakSeconds: 5,
            maxNewDenials: 0,
            maxParallel: hosts.length,
            onGateFailure: "halt",
            promoteFrom: "",
            ...over,
        },
    };
}

describe("rollout: runWave against fake hosts", () => {
    it("stages, soaks once, reads, passes; a host that had no profile is not soaked", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        const r = await runWave(spec(["a", "b"]), undefined, f);
        assert.strictEqual(r.failure, undefined);
        assert.strictEqual(r.hostStates.a.phase, "passed");
        assert.strictEqual(r.hostStates.a.soaked, true);
        assert.strictEqual(r.hostStates.b.soaked, false);
        assert.deepStrictEqual(
            f.events.filter((e) => e.startsWith("sleep") || e.startsWith("read")),
            ["sleep 5000", "read a"],
        );
        assert.strictEqual(f.files.get("b")?.text, "v2");
        // The first look is the file and mode only; the containers are listed after the install.
        assert.deepStrictEqual(
            f.events.filter((e) => e.startsWith("snapshot a") || e.startsWith("install a")),
            ["snapshot a files", "install a v2 enforce", "snapshot a"],
        );
        // Passed hosts carry the time the wave verified them (a HostProfile then skips its install).
        const now = new Date(f.now()).toISOString();
        assert.strictEqual(r.hostStates.a.verifiedAt, now);
        assert.strictEqual(r.hostStates.b.verifiedAt, now);
    });

    it("over budget: one error naming the host, the count, the top denials and suggestions; halt keeps v2", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.onInstall = (h, mode) => {
            if (mode === "enforce") {
                f.log(h, {
                    operation: "mknod",
                    name: "/tmp/a/x",
                    deniedMask: "c",
                    requestedMask: "c",
                });
                f.log(h, {
                    operation: "mknod",
                    name: "/tmp/a/x",
                    deniedMask: "c",
                    requestedMask: "c",
                });
                f.log(h, { operation: "capable", capname: "fsetid", capability: 4 });
            }
        };
        const r = await runWave(spec(["a"]), undefined, f);
        assert.ok(r.failure);
        assert.match(
            r.failure,
            /wave 1 of 2: the gate failed on 1 of 1 host\(s\); the later waves keep the previous version/,
        );
        assert.match(
            r.failure,
            /root@a:22 \(a\): 3 new event\(s\) of the new version \(DENIED 3, ALLOWED 0; budget 0\)/,
        );
        assert.match(r.failure, /mknod \/tmp\/a\/x \(c\) ×2/);
        assert.match(r.failure, /suggested rules \(profile text\): .*\/tmp\/a\/x/);
        assert.match(r.failure, /capability fsetid,/);
        assert.match(r.failure, /suggested rules \(code\): .*capability\("fsetid"\)/);
        assert.match(r.failure, /the new version stays on: a/);
        assert.strictEqual(f.files.get("a")?.text, "v2");
        assert.strictEqual(r.hostStates.a.phase, "failed");
        assert.strictEqual(r.hostStates.a.denied, 3);
    });

    it("revert: every soaked host of the failed wave gets its previous text and mode back", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "complain" });
        f.files.set("b", { text: "v1", mode: "enforce" });
        f.onInstall = (h, mode) => {
            if (h === "a" && mode === "enforce" && f.files.get("a")?.text === "v2") f.log(h, {});
        };
        const r = await runWave(spec(["a", "b"], { onGateFailure: "revert" }), undefined, f);
        assert.ok(r.failure);
        assert.match(r.failure, /reverted to the previous version on: a, b/);
        assert.deepStrictEqual(f.files.get("a"), { text: "v1", mode: "complain" });
        assert.deepStrictEqual(f.files.get("b"), { text: "v1", mode: "enforce" });
        assert.strictEqual(r.hostStates.a.phase, "reverted");
    });

    it('revert never writes a previous file it has no exact text of (not UTF-8: the prior\'s text is ""): that host keeps the new version, the report says why', async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "", mode: "enforce" });
        f.onInstall = (h) => {
            if (f.files.get(h)?.text === "v2") f.log(h, {});
        };
        const r = await runWave(spec(["a"], { onGateFailure: "revert" }), undefined, f);
        assert.match(
            r.failure ?? "",
            /revert failed: its previous file \(sha256 .*\) has no exact text \(not valid UTF-8, or empty\): not written back/,
        );
        assert.doesNotMatch(r.failure ?? "", /reverted to the previous version/);
        assert.deepStrictEqual(f.files.get("a"), { text: "v2", mode: "enforce" });
        assert.notStrictEqual(r.hostStates.a.phase, "reverted");
    });

    it("revert after a halted run restores what the host had before the rollout, not the staged text", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.onInstall = (h) => {
            if (f.files.get(h)?.text === "v2") f.log(h, {});
        };
        const halted = await runWave(spec(["a"]), undefined, f);
        assert.strictEqual(halted.hostStates.a.phase, "failed");
        assert.deepStrictEqual(f.files.get("a"), { text: "v2", mode: "enforce" });
        const r = await runWave(spec(["a"], { onGateFailure: "revert" }), halted.hostStates, f);
        assert.match(r.failure ?? "", /reverted to the previous version on: a/);
        assert.deepStrictEqual(f.files.get("a"), { text: "v1", mode: "enforce" });
        assert.strictEqual(r.hostStates.a.previous, undefined);
    });

    it("promote: stages in complain, ALLOWED counts, switches to the declared mode under budget", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.onInstall = (h, mode) => {
            if (mode === "complain") f.log(h, { type: "ALLOWED" });
        };
        const s = spec(["a"], { promoteFrom: "complain", maxNewDenials: 1 });
        const r = await runWave(s, undefined, f);
        assert.strictEqual(r.failure, undefined);
        assert.deepStrictEqual(
            f.events.filter((e) => e.startsWith("install")),
            ["install a v2 complain", "install a v2 enforce"],
        );
        assert.strictEqual(r.hostStates.a.allowed, 1);
        assert.strictEqual(r.hostStates.a.stagedMode, "complain");
        assert.ok(r.hostStates.a.promotedAt);
        // Over budget: it stays in complain mode.
        const f2 = new FakeHosts("web");
        f2.files.set("a", { text: "v1", mode: "enforce" });
        f2.onInstall = (h, mode) => {
            if (mode === "complain") {
                f2.log(h, { type: "ALLOWED" });
                f2.log(h, { type: "ALLOWED" });
            }
        };
        const r2 = await runWave(s, undefined, f2);
        assert.match(r2.failure ?? "", /ALLOWED 2; budget 1/);
        assert.match(r2.failure ?? "", /stays on: a \(in complain mode\)/);
        assert.deepStrictEqual(f2.files.get("a"), { text: "v2", mode: "complain" });
    });

    it("resume: a host that passed this version and still carries it is neither staged nor soaked", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v2", mode: "enforce" });
        f.files.set("b", { text: "v1", mode: "enforce" });
        const olds: Record<string, WaveHostState> = {
            a: {
                version: "ver-v2",
                phase: "passed",
                kernelMode: "enforce",
                fileSha256: "sha-v2-enforce",
                soaked: true,
                denied: 0,
                allowed: 0,
            },
        };
        const r = await runWave(spec(["a", "b"]), olds, f);
        assert.strictEqual(r.failure, undefined);
        assert.ok(!f.events.includes("install a v2 enforce"));
        assert.ok(!f.events.includes("read a"));
        assert.ok(f.events.includes("read b"));
        assert.strictEqual(r.hostStates.a.soaked, false);
        // Its snapshot (before the wave's soak) verified file and mode: that is its verification time.
        assert.strictEqual(r.hostStates.a.verifiedAt, "2026-12-02T10:00:00.000Z");
        // Edited on the host since: staged and soaked again.
        f.files.set("a", { text: "hand-edit", mode: "enforce" });
        f.events = [];
        await runWave(spec(["a", "b"]), olds, f);
        assert.ok(f.events.includes("install a v2 enforce"));
    });

    it("soak 0: the log is read in the install's round trip, no second read; the gate still counts", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.files.set("c", { text: "v1", mode: "enforce" });
        f.onInstall = (h) => {
            if (h === "c") f.log(h, { operation: "mknod", name: "/tmp/a/x", deniedMask: "c" });
        };
        const r = await runWave(spec(["a", "b", "c"], { soakSeconds: 0 }), undefined, f);
        // a and c had the profile (soaked, read right after their install); b had none (not read)
        const reads = f.events.filter((e) => e.startsWith("read"));
        assert.deepStrictEqual(reads.sort(), ["read a", "read c"]);
        assert.ok(!f.events.some((e) => e.startsWith("sleep")));
        for (const h of ["a", "c"]) {
            const i = f.events.indexOf(`install ${h} v2 enforce`);
            const mine = f.events
                .slice(i)
                .filter((e) => e.endsWith(` ${h}`) || e.includes(` ${h} `));
            assert.deepStrictEqual(mine.slice(0, 3), [
                `install ${h} v2 enforce`,
                `snapshot ${h}`,
                `read ${h}`,
            ]);
        }
        assert.match(r.failure ?? "", /root@c:22 \(c\): 1 new event\(s\)/);
        assert.strictEqual(r.hostStates.a.phase, "staged");
        assert.strictEqual(r.hostStates.c.denied, 1);
        assert.strictEqual(r.hostStates.a.soaked, true);
        assert.strictEqual(r.hostStates.b.soaked, false);
    });

    it("maxParallel bounds the installs in flight", async () => {
        const f = new FakeHosts("web");
        const hosts = ["a", "b", "c", "d", "e", "f"];
        await runWave(spec(hosts, { maxParallel: 2, soakSeconds: 0 }), undefined, f);
        assert.strictEqual(f.maxActive, 2);
        const f2 = new FakeHosts("web");
        await runWave(spec(hosts, { soakSeconds: 0 }), undefined, f2);
        assert.strictEqual(f2.maxActive, 6);
    });

    it("an unreachable host fails the wave naming it; the other hosts' real state is recorded", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.unreachable.add("b");
        const r = await runWave(spec(["a", "b"]), undefined, f);
        assert.match(r.failure ?? "", /root@b:22 \(b\): cannot reach root@b:22/);
        assert.strictEqual(r.hostStates.a.version, "ver-v2");
        assert.strictEqual(r.hostStates.a.fileSha256, "sha-v2-enforce");
        assert.strictEqual(r.hostStates.b, undefined);
    });

    it("a container left on another label fails the gate", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.containers.set("a", ["0123456789abcdef"]);
        const orig = f.snapshot.bind(f);
        f.snapshot = async (h, containers) => {
            const s = await orig(h, containers);
            return { ...s, containers: s.containers.map((c) => ({ ...c, label: "unconfined" })) };
        };
        const r = await runWave(spec(["a"]), undefined, f);
        assert.match(
            r.failure ?? "",
            /container 0123456789ab runs with label "unconfined", expected web \(enforce\)/,
        );
    });

    it("a read that fails after the install fails the gate, and the installed version is recorded", async () => {
        for (const [what, over] of [
            ["a failed log read", { checkError: "reading the log after the install failed: x" }],
            ["no labels reported", { after: undefined }],
        ] as const) {
            const f = new FakeHosts("web");
            f.files.set("a", { text: "v1", mode: "enforce" });
            const orig = f.stage.bind(f);
            f.stage = async (...a: Parameters<FakeHosts["stage"]>) => ({
                ...(await orig(...a)),
                ...over,
            });
            const r = await runWave(spec(["a"]), undefined, f);
            const want =
                what === "no labels reported"
                    ? /root@a:22 \(a\): the host did not report the containers' labels/
                    : /root@a:22 \(a\): reading the log after the install failed: x/;
            assert.match(r.failure ?? "", want, what);
            // the host really has the new version: its record says so (halt keeps it)
            assert.strictEqual(r.hostStates.a.fileSha256, "sha-v2-enforce", what);
            assert.strictEqual(r.hostStates.a.phase, "failed", what);
            assert.ok(!f.events.includes("sleep 5000"), what);
        }
    });

    it("a dangerous suggestion is shown commented out in the failure, in text and code", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.onInstall = (h) => {
            f.log(h, { operation: "capable", capname: "sys_admin", capability: 21 });
            f.log(h, { operation: "capable", capname: "fsetid", capability: 4 });
        };
        const r = await runWave(spec(["a"]), undefined, f);
        assert.ok(r.failure);
        assert.match(
            r.failure,
            /suggested rules \(profile text\): capability fsetid, # DANGEROUS \(capability sys_admin [^)]*\): capability sys_admin,$/m,
        );
        assert.match(
            r.failure,
            /suggested rules \(code\): capability\("fsetid"\), \/\* DANGEROUS \(capability sys_admin [^)]*\): capability\("sys_admin"\) \*\/$/m,
        );
    });

    it("log text in the failure is escaped (no control characters reach the terminal)", async () => {
        const f = new FakeHosts("web");
        f.files.set("a", { text: "v1", mode: "enforce" });
        f.onInstall = (h) =>
            f.log(h, {
                operation: "open",
                name: "/tmp/\u001b[2Jx\ncapability sys_admin,",
                deniedMask: "r",
            });
        const r = await runWave(spec(["a"]), undefined, f);
        assert.ok(r.failure);
        assert.doesNotMatch(r.failure, /[\u0000-\u0009\u000b-\u001f\u007f]/);
        for (const line of r.failure.split("\n"))
            assert.doesNotMatch(line, /^\s*capability sys_admin,/);
    });
});

describe("rollout: countedRecords", () => {
    const rec = (r: Partial<AuditRecord>) =>
        ({ type: "DENIED", profile: "web", ...r }) as AuditRecord;
    it("counts only what the kernel logged after its load of the new version", () => {
        const records = [
            rec({ type: "ALLOWED", name: "/old" }),
            rec({
                type: "STATUS",
                operation: "profile_replace",
                name: "web",
                profile: "unconfined",
            }),
            rec({ name: "/new" }),
            rec({ type: "ALLOWED", name: "/new2" }),
            rec({ profile: "other", name: "/x" }),
            rec({ profile: "web//child", name: "/c" }),
            rec({ type: "AUDIT", name: "/a" }),
        ];
        assert.deepStrictEqual(
            countedRecords(records, "web", true).map((r) => r.name),
            ["/new", "/new2", "/c"],
        );
        assert.deepStrictEqual(
            countedRecords(records, "web", false).map((r) => r.name),
            ["/new", "/c"],
        );
    });
    it("a 'same as current' STATUS is not a load; another profile's load is not ours", () => {
        const records = [
            rec({ name: "/1" }),
            rec({
                type: "STATUS",
                operation: "profile_replace",
                name: "web",
                info: "same as current profile, skipping",
            }),
            rec({ type: "STATUS", operation: "profile_load", name: "web2" }),
            rec({ name: "/2" }),
        ];
        assert.deepStrictEqual(
            countedRecords(records, "web", false).map((r) => r.name),
            ["/1", "/2"],
        );
    });
});

describe("rollout: history after a staged load", () => {
    it("a promoted version records the complain load at its staging time, then the declared mode", () => {
        const r = historyAfterLoad(
            [{ version: "v1", mode: "enforce", loadedAt: "2026-12-01T00:00:00.000Z" }],
            "v2",
            "enforce",
            "2026-12-02T00:10:00.000Z",
            {
                version: "v2",
                stagedAt: "2026-12-02T00:00:00.000Z",
                stagedMode: "complain",
                promotedAt: "2026-12-02T00:05:00.000Z",
            },
        );
        assert.deepStrictEqual(r.history, [
            { version: "v2", mode: "enforce", loadedAt: "2026-12-02T00:05:00.000Z" },
            { version: "v2", mode: "complain", loadedAt: "2026-12-02T00:00:00.000Z" },
            { version: "v1", mode: "enforce", loadedAt: "2026-12-01T00:00:00.000Z" },
        ]);
    });
    it("without a stage for this version the load happens now", () => {
        const r = historyAfterLoad(undefined, "v2", "enforce", "T", {
            version: "v1",
            stagedAt: "S",
        });
        assert.deepStrictEqual(r.rec, { version: "v2", mode: "enforce", loadedAt: "T" });
    });
});

describe("rollout: a HostProfile after a passed wave takes the wave's verification", () => {
    const now = Date.parse("2026-12-03T10:00:00.000Z");
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const stage = {
        version: "v2",
        phase: "passed",
        fileSha256: "f".repeat(64),
        kernelMode: "enforce",
        verifiedAt: at(2000),
    };
    const news = { version: "v2", mode: "enforce" as const };
    const table: [string, object | undefined, typeof news, string | undefined, boolean][] = [
        ["passed, verified after the last check", stage, news, at(60000), true],
        ["passed, resource never checked (create)", stage, news, undefined, true],
        ["no stage (no rollout)", undefined, news, at(60000), false],
        ["staged, not passed", { ...stage, phase: "staged" }, news, at(60000), false],
        ["failed", { ...stage, phase: "failed" }, news, at(60000), false],
        ["another version", { ...stage, version: "v1" }, news, at(60000), false],
        [
            "another mode in the kernel",
            { ...stage, kernelMode: "complain" },
            news,
            at(60000),
            false,
        ],
        [
            "declared mode differs",
            stage,
            { version: "v2", mode: "complain" as never },
            at(60000),
            false,
        ],
        ["no file sha", { ...stage, fileSha256: undefined }, news, at(60000), false],
        ["no verification time", { ...stage, verifiedAt: undefined }, news, at(60000), false],
        ["unparsable verification time", { ...stage, verifiedAt: "soon" }, news, at(60000), false],
        ["refreshed after the wave (drift repair)", stage, news, at(1000), false],
        ["checked at the same instant", stage, news, at(2000), false],
        [
            "verification too old",
            { ...stage, verifiedAt: at(ROLLOUT_VERIFIED_MS + 1) },
            news,
            undefined,
            false,
        ],
        ["verification in the future", { ...stage, verifiedAt: at(-5000) }, news, undefined, false],
        ["unparsable last check", stage, news, "never", false],
    ];
    for (const [what, st, n, checked, skip] of table)
        it(`${what}: ${skip ? "no install" : "installs"}`, () => {
            const r = rolloutVerifiedSha(st as never, n, checked, now);
            assert.strictEqual(r, skip ? stage.fileSha256 : undefined);
        });
});

/** The kernel's form of a record line (eventsFor counts only records read from one). */
const K = "audit: type=1400 audit(1700000000.100:1): ";

describe("denial store: suggested rules per version", () => {
    it("eventsFor attaches the rule that would allow each record; mergeDenials keeps them bounded", () => {
        const records = [
            {
                type: "DENIED",
                profile: "web",
                operation: "mknod",
                name: "/tmp/a/x",
                requestedMask: "c",
                deniedMask: "c",
                timestamp: 1,
                line: `${K}apparmor="DENIED" operation="mknod" profile="web" name="/tmp/a/x" requested_mask="c" denied_mask="c"`,
            },
            {
                type: "DENIED",
                profile: "web",
                operation: "capable",
                capname: "fsetid",
                capability: 4,
                timestamp: 2,
                line: `${K}apparmor="DENIED" operation="capable" profile="web" capability=4  capname="fsetid"`,
            },
            {
                type: "DENIED",
                profile: "web",
                operation: "open",
                name: "/x\ncapability sys_admin,",
                requestedMask: "r",
                deniedMask: "r",
                timestamp: 3,
                line: `${K}apparmor="DENIED" operation="open" profile="web" name=${Buffer.from("/x\ncapability sys_admin,").toString("hex").toUpperCase()} requested_mask="r" denied_mask="r"`,
            },
        ] as (AuditRecord & { line: string })[];
        const events = eventsFor(records, "web");
        const s = mergeDenials(undefined, events);
        assert.ok(s.suggested?.includes("capability fsetid,"), JSON.stringify(s.suggested));
        assert.ok(
            s.suggested?.some((r) => r.includes("/tmp/a/x")),
            JSON.stringify(s.suggested),
        );
        for (const r of s.suggested ?? []) assert.doesNotMatch(r, /\n/);
        const many = Array.from({ length: 40 }, (_, i) => ({
            kind: "DENIED" as const,
            operation: "open",
            target: `/f${i}`,
            time: i,
            rules: [`/f${i} r,`],
        }));
        assert.strictEqual(mergeDenials(s, many).suggested?.length, SUGGESTION_LIMIT);
    });

    it("a rule that would open the confinement is offered only commented out, with the reason", () => {
        const rec = (capname: string) =>
            ({
                type: "DENIED",
                profile: "web",
                operation: "capable",
                capname,
                timestamp: 1,
                line: `${K}apparmor="DENIED" operation="capable" profile="web" capname="${capname}"`,
            }) as AuditRecord & { line: string };
        const s = mergeDenials(undefined, eventsFor([rec("sys_admin"), rec("chown")], "web"));
        assert.deepStrictEqual(s.suggested, [
            "# DANGEROUS (capability sys_admin lets the process escape its confinement or take the host): capability sys_admin,",
            "capability chown,",
        ]);
    });
});

describe("rollout: the next wave's connections opened ahead", () => {
    const conn = (host: string, hostKey?: string) => ({
        host,
        port: 22,
        user: "root",
        sudo: false,
        privateKey: "KEY",
        ...(hostKey ? { hostKey } : {}),
    });
    it("opens only connections with a pinned host key, with that key; failures are left to the next wave", async () => {
        const asked: SshTarget[] = [];
        const n = openAhead(
            {
                a: conn("10.0.0.1", "ssh-ed25519 AAAAPINNED"),
                b: conn("10.0.0.2"),
                c: conn("10.0.0.3", "SHA256:abc"),
            },
            async (t) => {
                asked.push(t);
                throw new Error("cannot reach"); // must not surface (no unhandled rejection)
            },
        );
        await new Promise((r) => setImmediate(r));
        assert.strictEqual(n, 2);
        assert.deepStrictEqual(
            asked.map((t) => [t.host, t.hostKey, t.hostKeySource]),
            [
                ["10.0.0.1", "ssh-ed25519 AAAAPINNED", "pinned"],
                ["10.0.0.3", "SHA256:abc", "pinned"],
            ],
        );
        assert.strictEqual(
            openAhead(undefined, async () => assert.fail("nothing to open")),
            0,
        );
    });
    it("the next wave's connections are no part of the diff", () => {
        const base = {
            wave: 1,
            waves: 2,
            profileName: "web",
            profileText: "profile web {}",
            version: "v",
            directory: "/etc/apparmor.d/containers",
            hosts: [],
            connections: { a: conn("10.0.0.1", "SHA256:abc") },
            settings: rolloutSettings({}, 1),
        };
        const d = diffWave(base, { ...base, nextConnections: { b: conn("10.0.0.2", "SHA256:x") } });
        assert.strictEqual(d.changes, false);
    });
});
