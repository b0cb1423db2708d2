import * as assert from "assert";
import {
    AuditRecord,
    AuditSummary,
    KnownLoad,
    attributeVersions,
    decodeCursor,
    emptySummary,
    encodeCursor,
    fileCursorAfter,
    mergeEvents,
    parseAuditLog,
    resumeOffset,
    summarize,
    unionMask,
} from "../../../src/log";

const K = (t: number, serial: number) => `audit: type=1400 audit(${t.toFixed(3)}:${serial}): `;
const deny = (t: number, s: number, name: string, extra = "") =>
    `${K(t, s)}apparmor="DENIED" operation="open" profile="web" name="${name}" pid=${100 + s} comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0${extra}`;
const status = (t: number, s: number, op: string, info = "") =>
    `${K(t, s)}apparmor="STATUS" operation="${op}"${info} profile="unconfined" name="web" pid=9 comm="apparmor_parser"`;

function events(lines: string[]): AuditRecord[] {
    return parseAuditLog(lines.join("\n")).events;
}

function versionsOf(s: AuditSummary, profile = "web"): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [v, vs] of Object.entries(s.profiles[profile]?.versions ?? {})) out[v] = vs.count;
    return out;
}

describe("summarize", () => {
    it("counts per profile → version → operation → entry, with first/last seen and samples", () => {
        const s = summarize(
            events([
                deny(100, 1, "/etc/shadow"),
                deny(101, 2, "/etc/shadow"),
                deny(102, 3, "/proc/1234/mem"),
                deny(103, 4, "/proc/99/mem"),
                `${K(104, 5)}apparmor="DENIED" operation="capable" profile="web" pid=7 comm="chmod" capability=4  capname="fsetid"`,
                `${K(105, 6)}apparmor="ALLOWED" operation="open" profile="web" name="/etc/shadow" pid=8 comm="cat" requested_mask="w" denied_mask="w"`,
            ]),
        );
        assert.strictEqual(s.events, 6);
        assert.strictEqual(s.firstSeen, 100);
        assert.strictEqual(s.lastSeen, 105);
        const v = s.profiles.web.versions.unknown;
        assert.strictEqual(v.count, 6);
        assert.deepStrictEqual(v.types, { DENIED: 5, ALLOWED: 1 });
        const shadow = v.operations.open.entries["/etc/shadow"];
        assert.strictEqual(shadow.count, 3);
        assert.deepStrictEqual(shadow.types, { DENIED: 2, ALLOWED: 1 });
        assert.strictEqual(shadow.firstSeen, 100);
        assert.strictEqual(shadow.lastSeen, 105);
        assert.strictEqual(shadow.deniedMask, "rw");
        assert.deepStrictEqual(
            shadow.samples.map((x) => x.pid),
            [101, 102, 8],
        );
        // pids in /proc are generalised, so the two /proc/N/mem denials are one entry
        assert.strictEqual(v.operations.open.entries["/proc/@{pid}/mem"].count, 2);
        assert.strictEqual(v.operations.capable.entries.fsetid.count, 1);
    });

    it("is bounded: caps every level and counts what did not fit", () => {
        const lines: string[] = [];
        for (let i = 0; i < 200; i++) lines.push(deny(100 + i, i, `/data/file${i}`));
        const s = summarize(events(lines), { limits: { maxEntries: 10, maxSamples: 2 } });
        const op = s.profiles.web.versions.unknown.operations.open;
        assert.strictEqual(Object.keys(op.entries).length, 10);
        assert.strictEqual(op.otherEntries, 190);
        assert.strictEqual(op.count, 200);
        assert.ok(JSON.stringify(s).length < 10000);
        const many: string[] = [];
        for (let i = 0; i < 30; i++)
            many.push(deny(1, i, "/x").replace('profile="web"', `profile="p${i}"`));
        const s2 = summarize(events(many), { limits: { maxProfiles: 5 } });
        assert.strictEqual(Object.keys(s2.profiles).length, 5);
        assert.strictEqual(s2.otherProfiles, 25);
        assert.strictEqual(s2.events, 30);
    });

    it("survives a JSON round trip (what stack state does)", () => {
        const s = summarize(events([deny(100, 1, "/a"), status(99, 0, "profile_load")]));
        assert.deepStrictEqual(JSON.parse(JSON.stringify(s)), s);
    });
});

describe("version attribution", () => {
    const loads: KnownLoad[] = [
        { profile: "web", version: "v1", at: 100 },
        { profile: "web", version: "v2", at: 200 },
    ];

    it("assigns each denial to the version loaded when it happened (STATUS events refine the times)", () => {
        const s = summarize(
            events([
                status(100.4, 1, "profile_load"),
                deny(150, 2, "/a"),
                status(201, 3, "profile_replace"), // our v2 load, logged 1 s after our clock said
                deny(200.5, 4, "/a"), // before the kernel's replace: still v1
                deny(250, 5, "/a"),
            ]),
            { loads },
        );
        assert.deepStrictEqual(versionsOf(s), { v1: 2, v2: 1 });
        assert.deepStrictEqual(
            s.profiles.web.loads.map((l) => [l.operation, l.at, l.version]),
            [
                ["profile_load", 100.4, "v1"],
                ["profile_replace", 201, "v2"],
            ],
        );
    });

    it("attributes events after a load nobody claims to the unknown version", () => {
        const s = summarize(
            events([
                status(100, 1, "profile_load"),
                deny(120, 2, "/a"),
                status(150, 3, "profile_replace"), // someone ran aa-complain
                deny(160, 4, "/a"),
                status(200, 5, "profile_replace"),
                deny(210, 6, "/a"),
            ]),
            { loads },
        );
        assert.deepStrictEqual(versionsOf(s), { v1: 1, unknown: 1, v2: 1 });
    });

    it("ignores replaces of identical policy ('same as current profile, skipping')", () => {
        const s = summarize(
            events([
                status(100, 1, "profile_load"),
                status(150, 2, "profile_replace", ' info="same as current profile, skipping"'),
                deny(160, 3, "/a"),
            ]),
            { loads: [loads[0]] },
        );
        assert.deepStrictEqual(versionsOf(s), { v1: 1 });
    });

    it("uses the known load time when its STATUS line is outside the log read", () => {
        const s = summarize(events([deny(50, 1, "/a"), deny(150, 2, "/a"), deny(250, 3, "/a")]), {
            loads,
        });
        assert.deepStrictEqual(versionsOf(s), { unknown: 1, v1: 1, v2: 1 });
    });

    it("after profile_remove, events are unknown", () => {
        const s = summarize(
            events([
                status(100, 1, "profile_load"),
                status(150, 2, "profile_remove"),
                deny(160, 3, "/a"),
            ]),
            {
                loads: [loads[0]],
            },
        );
        assert.deepStrictEqual(versionsOf(s), { unknown: 1 });
    });

    it("attributeVersions gives the same answer per event", () => {
        const recs = events([
            status(100.4, 1, "profile_load"),
            deny(150, 2, "/a"),
            deny(250, 3, "/a"),
        ]);
        assert.deepStrictEqual(attributeVersions(recs, { loads }), ["unknown", "v1", "v2"]);
    });
});

describe("incremental merge", () => {
    const loads: KnownLoad[] = [
        { profile: "web", version: "v1", at: 100 },
        { profile: "web", version: "v2", at: 300 },
    ];
    const lines = [
        status(100, 1, "profile_load"),
        deny(110, 2, "/a"),
        deny(120, 3, "/b"),
        `${K(130, 4)}apparmor="DENIED" operation="capable" profile="web" pid=7 comm="chmod" capability=4  capname="fsetid"`,
        status(200, 5, "profile_replace"), // unknown load
        deny(210, 6, "/a"),
        status(300, 7, "profile_replace"),
        deny(310, 8, "/a"),
        deny(320, 9, "/c"),
    ];

    it("merging the log in pieces equals summarising it at once, at every split point", () => {
        const all = events(lines);
        const whole = summarize(all, { loads, cursor: "v1:j:end", malformed: 0 });
        for (let cut = 0; cut <= all.length; cut++) {
            const a = mergeEvents(emptySummary(), all.slice(0, cut), { loads, cursor: "v1:j:mid" });
            const b = mergeEvents(a, all.slice(cut), { loads, cursor: "v1:j:end" });
            assert.deepStrictEqual(b, whole, `split at ${cut}`);
        }
    });

    it("does not modify the previous summary and keeps the cursor when none is given", () => {
        const a = summarize(events(lines.slice(0, 3)), { cursor: "v1:j:x" });
        const before = JSON.stringify(a);
        const b = mergeEvents(a, events(lines.slice(3)));
        assert.strictEqual(JSON.stringify(a), before);
        assert.strictEqual(b.cursor, "v1:j:x");
        assert.strictEqual(b.events, 6);
    });
});

describe("cursors", () => {
    it("round-trips journal and file positions", () => {
        for (const p of [
            { kind: "journal" as const, cursor: "s=5f1e;i=100;b=abc;m=1;t=5f1;x=1" },
            { kind: "file" as const, path: "/var/log/audit/audit.log", inode: 131, offset: 4096 },
            { kind: "file" as const, path: "/weird:path with spaces", inode: 1, offset: 0 },
        ]) {
            assert.deepStrictEqual(decodeCursor(encodeCursor(p)), p);
        }
        for (const bad of [undefined, "", "v1:j:", "v2:j:x", "v1:f:x:1:/p", "garbage"]) {
            assert.strictEqual(decodeCursor(bad), undefined, String(bad));
        }
    });

    it("resumes at the stored offset, and at 0 after rotation or truncation", () => {
        const file = { path: "/var/log/audit/audit.log", inode: 131 };
        const c = fileCursorAfter(file, 0, "line one\nline tw");
        assert.strictEqual(resumeOffset(c, { ...file, size: 100 }), 9); // the partial line is read again
        assert.strictEqual(resumeOffset(c, { ...file, inode: 132, size: 100 }), 0);
        assert.strictEqual(resumeOffset(c, { ...file, size: 5 }), 0);
        assert.strictEqual(resumeOffset(undefined, { ...file, size: 5 }), 0);
        assert.strictEqual(resumeOffset("v1:j:abc", { ...file, size: 5 }), 0);
        // offsets are bytes
        assert.strictEqual(
            resumeOffset(fileCursorAfter(file, 10, "é\n"), { ...file, size: 100 }),
            13,
        );
    });
});

describe("unionMask", () => {
    it("unions letters and words, order-independently", () => {
        assert.strictEqual(unionMask("r", "w"), "rw");
        assert.strictEqual(unionMask("wc", "rc"), "crw");
        assert.strictEqual(unionMask("send", "receive"), "receive send");
        assert.strictEqual(unionMask("send connect", "receive"), "connect receive send");
        assert.strictEqual(unionMask(undefined, "x"), "x");
    });
});
