/** The state shapes stay bounded and attribute denials to versions. */
import * as assert from "assert";
import {
    driftReasons,
    mergeDenials,
    normalizeDenials,
    pushHistory,
    recordDenials,
    HISTORY_LIMIT,
    SAMPLE_LIMIT,
    TARGET_LIMIT,
    DENIAL_VERSIONS_LIMIT,
    isoTime,
    stateSeconds,
    type DenialEvent,
    type DenialSummary,
    type HostDenials,
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
        assert.strictEqual(s.firstSeen, "1970-01-01T00:16:40.000Z");
        assert.strictEqual(s.lastSeen, "1970-01-01T00:18:19.000Z");
        const t0 = s.targets.find((t) => t.target === "/tmp/a/0")!;
        assert.strictEqual(t0.count, 4);
        assert.ok(JSON.stringify(s).length < 8000, "one summary stays small");
        const again = mergeDenials(s, [ev("/tmp/a/0", 2000)]);
        assert.strictEqual(again.targets.find((t) => t.target === "/tmp/a/0")!.count, 5);
        assert.strictEqual(again.lastSeen, "1970-01-01T00:33:20.000Z");
        assert.strictEqual(
            again.targets.find((t) => t.target === "/tmp/a/0")!.lastSeen,
            "1970-01-01T00:33:20.000Z",
        );
    });

    it("times are ISO 8601 (UTC, milliseconds) like loadedAt; seconds from earlier state are read", () => {
        const s = mergeDenials(undefined, [ev("/tmp/a/x", 1764756000.25)]);
        assert.strictEqual(s.firstSeen, "2025-12-03T10:00:00.250Z");
        assert.strictEqual(s.targets[0].firstSeen, "2025-12-03T10:00:00.250Z");
        assert.strictEqual(s.targets[0].lastSeen, "2025-12-03T10:00:00.250Z");
        // A summary as 0.1 releases stored it: seconds since the epoch.
        const old = {
            ...s,
            firstSeen: 1764755000,
            lastSeen: 1764755500.5,
            targets: [{ ...s.targets[0], firstSeen: 1764755000, lastSeen: 1764755500.5 }],
        } as unknown as DenialSummary;
        const merged = mergeDenials(old, [ev("/tmp/a/x", 1764756100)]);
        assert.strictEqual(merged.firstSeen, "2025-12-03T09:43:20.000Z");
        assert.strictEqual(merged.lastSeen, "2025-12-03T10:01:40.000Z");
        assert.deepStrictEqual(
            [merged.targets[0].count, merged.targets[0].firstSeen, merged.targets[0].lastSeen],
            [2, "2025-12-03T09:43:20.000Z", "2025-12-03T10:01:40.000Z"],
        );
        const table: [string | number | undefined, number | undefined][] = [
            ["2025-12-03T10:00:00.250Z", 1764756000.25],
            [1764756000.25, 1764756000.25],
            ["not a time", undefined],
            [Number.NaN, undefined],
            [undefined, undefined],
        ];
        for (const [v, want] of table) assert.strictEqual(stateSeconds(v), want, String(v));
        assert.strictEqual(isoTime(0), "1970-01-01T00:00:00.000Z");
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

    it("a host's denials stored as seconds by earlier releases come out ISO, with or without new events", () => {
        const v1 = mergeDenials(undefined, [
            ev("/tmp/a/x", 1764755000),
            ev("/tmp/a/x", 1764755500.5),
        ]);
        const asSeconds = (sum: DenialSummary) =>
            ({
                ...sum,
                firstSeen: stateSeconds(sum.firstSeen),
                lastSeen: stateSeconds(sum.lastSeen),
                targets: sum.targets.map((t) => ({
                    ...t,
                    firstSeen: stateSeconds(t.firstSeen),
                    lastSeen: stateSeconds(t.lastSeen),
                })),
            }) as unknown as DenialSummary;
        const old: HostDenials = {
            cursor: "journal:abc",
            source: "journal-audit",
            lost: 1,
            byVersion: { v1: asSeconds(v1), v2: asSeconds(v1) },
        };
        assert.strictEqual(old.byVersion.v1.targets[0].firstSeen as unknown, 1764755000);
        const history = [
            { version: "v2", mode: "enforce" as const, loadedAt: "2025-12-03T10:00:00.000Z" },
            { version: "v1", mode: "enforce" as const, loadedAt: "2025-12-03T09:00:00.000Z" },
        ];
        // A refresh with a new event of v2 only: v1 (no new events) is written back as ISO too.
        const refreshed = recordDenials(old, history, [ev("/tmp/a/y", 1764756100)], {});
        assert.deepStrictEqual(refreshed.byVersion.v1, v1);
        assert.strictEqual(refreshed.byVersion.v1.firstSeen, "2025-12-03T09:43:20.000Z");
        assert.strictEqual(refreshed.byVersion.v1.targets[0].lastSeen, "2025-12-03T09:51:40.500Z");
        assert.strictEqual(refreshed.byVersion.v2.lastSeen, "2025-12-03T10:01:40.000Z");
        assert.strictEqual(refreshed.byVersion.v2.denied, 3);
        // An update (no read of the log): the same, through normalizeDenials.
        const updated = normalizeDenials(old);
        assert.deepStrictEqual(updated, { ...old, byVersion: { v1, v2: v1 } });
        // Idempotent on today's form.
        assert.deepStrictEqual(normalizeDenials(updated), updated);
        assert.deepStrictEqual(recordDenials(refreshed, history, [], {}), refreshed);
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
