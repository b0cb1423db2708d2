/** The state shapes stay bounded and attribute denials to versions. */
import * as assert from "assert";
import {
    driftReasons,
    mergeDenials,
    pushHistory,
    recordDenials,
    HISTORY_LIMIT,
    SAMPLE_LIMIT,
    TARGET_LIMIT,
    DENIAL_VERSIONS_LIMIT,
    type DenialEvent,
} from "../../src/state";

const ev = (target: string, time: number, kind: "DENIED" | "ALLOWED" = "DENIED"): DenialEvent => ({
    kind,
    operation: "mknod",
    target,
    mask: "c",
    time,
    line: `apparmor="${kind}" name="${target}" ${"x".repeat(1000)}`,
});

describe("state: versions, denials, drift", () => {
    it("history is newest first, bounded, and a repair of the same version does not add an entry", () => {
        let h = pushHistory(undefined, { version: "a", mode: "enforce", loadedAt: "t1" });
        for (let i = 0; i < 10; i++)
            h = pushHistory(h, { version: `v${i}`, mode: "enforce", loadedAt: `t${i}` });
        assert.strictEqual(h.length, HISTORY_LIMIT);
        assert.strictEqual(h[0].version, "v9");
        const again = pushHistory(h, { version: "v9", mode: "enforce", loadedAt: "later" });
        assert.strictEqual(again.length, HISTORY_LIMIT);
        assert.deepStrictEqual(again[0], { version: "v9", mode: "enforce", loadedAt: "later" });
        assert.strictEqual(again[1].version, "v8");
    });

    it("summaries count every event but keep targets, samples and line length bounded", () => {
        const events: DenialEvent[] = [];
        for (let i = 0; i < 100; i++)
            events.push(ev(`/tmp/a/${i % 30}`, 1000 + i, i % 10 === 0 ? "ALLOWED" : "DENIED"));
        const s = mergeDenials(undefined, events);
        assert.strictEqual(s.denied + s.allowed, 100);
        assert.strictEqual(s.allowed, 10);
        assert.strictEqual(s.byOperation.mknod, 100);
        assert.strictEqual(s.targets.length, TARGET_LIMIT);
        assert.strictEqual(s.droppedTargets, 10);
        assert.strictEqual(s.samples.length, SAMPLE_LIMIT);
        assert.ok(s.samples.every((x) => x.length <= 400));
        assert.strictEqual(s.firstSeen, 1000);
        assert.strictEqual(s.lastSeen, 1099);
        const t0 = s.targets.find((t) => t.target === "/tmp/a/0")!;
        assert.strictEqual(t0.count, 4);
        assert.ok(JSON.stringify(s).length < 8000, "one summary stays small");
        const again = mergeDenials(s, [ev("/tmp/a/0", 2000)]);
        assert.strictEqual(again.targets.find((t) => t.target === "/tmp/a/0")!.count, 5);
        assert.strictEqual(again.lastSeen, 2000);
    });

    it("attributes events to the version loaded at the time and keeps the cursor", () => {
        const history = [
            {
                version: "v2",
                mode: "enforce" as const,
                loadedAt: new Date(2000 * 1000).toISOString(),
            },
            {
                version: "v1",
                mode: "enforce" as const,
                loadedAt: new Date(1000 * 1000).toISOString(),
            },
        ];
        const d = recordDenials(
            undefined,
            history,
            [ev("/a", 1500), ev("/b", 2500), ev("/c", 900)],
            {
                cursor: "journal:abc",
                source: "journal-audit",
                lost: 2,
            },
        );
        assert.strictEqual(d.cursor, "journal:abc");
        assert.strictEqual(d.lost, 2);
        assert.deepStrictEqual(d.byVersion.v1.targets.map((t) => t.target).sort(), ["/a", "/c"]);
        assert.deepStrictEqual(
            d.byVersion.v2.targets.map((t) => t.target),
            ["/b"],
        );
        const d2 = recordDenials(d, history, [], { lost: 1 });
        assert.strictEqual(d2.cursor, "journal:abc", "no new cursor keeps the old one");
        assert.strictEqual(d2.lost, 3);
    });

    it("keeps denials of at most a few versions", () => {
        let d = recordDenials(undefined, [], [], {});
        const history = [];
        for (let i = 0; i < 8; i++) {
            history.unshift({
                version: `v${i}`,
                mode: "enforce" as const,
                loadedAt: new Date((1000 + i * 100) * 1000).toISOString(),
            });
            d = recordDenials(d, history.slice(0, 5), [ev("/x", 1000 + i * 100 + 5)], {});
        }
        assert.ok(Object.keys(d.byVersion).length <= DENIAL_VERSIONS_LIMIT);
        assert.ok("v7" in d.byVersion);
    });

    it("drift reasons name each kind of change", () => {
        const ok = {
            enabled: true,
            filePresent: true,
            fileSha256: "aa",
            loaded: true,
            mode: "enforce",
            policyMatchesFile: true,
        };
        const want = { fileSha256: "aa", mode: "enforce" as const };
        assert.deepStrictEqual(driftReasons(want, ok), []);
        assert.deepStrictEqual(driftReasons(want, { ...ok, enabled: false }), [
            "AppArmor is disabled in the host's kernel",
        ]);
        assert.match(
            driftReasons(want, { ...ok, fileSha256: "bb", policyMatchesFile: false }).join(";"),
            /edited on the host.*loaded policy differs/,
        );
        assert.match(driftReasons(want, { ...ok, loaded: false }).join(";"), /not loaded/);
        assert.match(
            driftReasons(want, { ...ok, mode: "complain" }).join(";"),
            /mode is complain in the kernel, expected enforce/,
        );
        assert.match(
            driftReasons(want, { ...ok, filePresent: false, fileSha256: undefined }).join(";"),
            /file was removed/,
        );
    });
});
