/**
 * The per-host read batcher (src/components/hostRead.ts) against a fake host that answers the `read`
 * script's framing: concurrent requests of one target become one host run, each request gets its own
 * answer, errors reach every waiter with the host named, later requests get their own run.
 */
import * as assert from "assert";
import { HostReadBatcher } from "../../../src/components/hostRead";
import { SshError, type ExecResult, type SshTarget } from "../../../src/components/ssh";
import { DEFAULT_PROFILE_DIR } from "../../../src/host";

const T: SshTarget = { host: "10.0.0.5", port: 22, user: "ops", privateKey: "k" };
const T2: SshTarget = { ...T, host: "10.0.0.6" };

/** The quoted words after `pulumi-apparmor-read` (our arguments never hold a quote). */
function readArgs(command: string): string[] {
    const tail = command.slice(command.indexOf(" pulumi-apparmor-read ") + 22);
    return [...tail.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

function statusJson(dir: string, names: string[], failNames: Set<string>): string[] {
    if (names.some((n) => failNames.has(n)))
        return ['{"ok":false,"error":"io","message":"cannot read"}'];
    const profiles = names.map((name) => ({
        name,
        managed: true,
        dir,
        file: { present: true, sha256: `sha-${dir}-${name}`, mode: "enforce" },
        installed: null,
        loaded: true,
        kernelMode: "enforce",
        policySha1: "p",
        fileSha1: "p",
        policyMatchesFile: true,
        compileError: null,
        processes: 0,
    }));
    return [
        JSON.stringify({
            ok: true,
            apparmor: { enabled: true, securityfs: true, parser: true },
            profiles,
        }),
    ];
}

/** A kernel record for `profile` in journal-json form. */
function journalLine(profile: string, serial: number): string {
    const m = `AVC apparmor="DENIED" operation="open" profile="${profile}" name="/tmp/a/x" pid=1 comm="touch" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`;
    return JSON.stringify({ m, t: "1400", i: String(serial), s: "1796401366808000" });
}

interface FakeHost {
    runs: { target: string; args: string[] }[];
    exec: (t: SshTarget, command: string) => Promise<ExecResult>;
    /** Called inside a run, before it answers. */
    during?: () => void;
}

/**
 * A host whose log holds, after cursor C, one denial of profile `p-C` (so each answer shows which
 * cursor it was read from); the new cursor is `journal:end`.
 */
/**
 * The labels part of the fake host: an ID starting with `dead` is unknown to docker (no entry), one
 * starting with `5707` is a stopped container, any other runs under `p-<first 4 digits> (enforce)`;
 * `failLabels`: the part fails as a hung dockerd makes it fail.
 */
function labelsJson(ids: string[], failLabels: boolean): string[] {
    if (failLabels)
        return ['{"ok":false,"error":"docker-timeout","message":"docker inspect did not answer"}'];
    const containers = ids
        .filter((id) => !id.startsWith("dead"))
        .map((id) => ({
            id: id.padEnd(64, "0"),
            name: `/n-${id.slice(0, 4)}`,
            pid: id.startsWith("5707") ? 0 : 100,
            label: id.startsWith("5707") ? "" : `p-${id.slice(0, 4)} (enforce)`,
        }));
    return [JSON.stringify({ ok: true, apparmor: { enabled: true }, containers })];
}

function fakeHost(
    opts: { failNames?: string[]; delayMs?: number; failLabels?: boolean } = {},
): FakeHost {
    const failNames = new Set(opts.failNames ?? []);
    const h: FakeHost = {
        runs: [],
        exec: async (t, command) => {
            const args = readArgs(command);
            h.runs.push({ target: t.host, args });
            h.during?.();
            await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
            const out: string[] = [];
            let parts = 0;
            for (let i = 0; i < args.length; ) {
                let body: string[];
                if (args[i] === "status") {
                    const n = Number(args[i + 2]);
                    body = statusJson(args[i + 1], args.slice(i + 3, i + 3 + n), failNames);
                    i += 3 + n;
                } else if (args[i] === "labels") {
                    const n = Number(args[i + 1]);
                    body = labelsJson(args.slice(i + 2, i + 2 + n), opts.failLabels === true);
                    i += 2 + n;
                } else {
                    const cursor = args[i + 1];
                    const line = journalLine(`p-${cursor.replace(/[^a-z0-9]/gi, "")}`, parts + 2);
                    body = [
                        JSON.stringify({
                            ok: true,
                            source: "journal-audit",
                            format: "journal-json",
                            cursor: "journal:end",
                            lines: 1,
                            bytes: line.length + 1,
                            suppressed: 0,
                            truncated: false,
                            cursorReset: false,
                        }),
                        line,
                    ];
                    i += 4;
                }
                out.push(JSON.stringify({ part: parts, exit: 0, lines: body.length }), ...body);
                parts++;
            }
            const stdout = [JSON.stringify({ ok: true, read: "v1", parts }), ...out, ""].join("\n");
            return { code: 0, stdout, stderr: "" };
        },
    };
    return h;
}

describe("host read batcher", () => {
    it("N concurrent status + denials requests for one host: ONE host run, each its own answer", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 10);
        const names = Array.from({ length: 20 }, (_, i) => `web-${i}`);
        const [statuses, denials] = await Promise.all([
            Promise.all(names.map((n) => b.status(T, true, n, DEFAULT_PROFILE_DIR))),
            Promise.all(names.map(() => b.denials(T, true, "journal:c1", 1024))),
        ]);
        assert.strictEqual(h.runs.length, 1);
        assert.strictEqual(b.runs, 1);
        // one status part with every name once, one denials part for the shared cursor
        assert.deepStrictEqual(h.runs[0].args, [
            "status",
            DEFAULT_PROFILE_DIR,
            "20",
            ...names,
            "denials",
            "journal:c1",
            "1024",
            "auto",
        ]);
        statuses.forEach((s, i) => {
            assert.strictEqual(s.profile?.name, names[i]);
            assert.strictEqual(s.profile?.file.sha256, `sha-${DEFAULT_PROFILE_DIR}-${names[i]}`);
            assert.strictEqual(s.apparmor.enabled, true);
        });
        for (const d of denials) {
            assert.strictEqual(d.cursor, "journal:end");
            assert.strictEqual(d.lines.length, 1);
            assert.match(d.lines[0], /profile="p-journalc1"/);
        }
    });

    it("distinct cursors are distinct parts of the same run; each gets the lines after its own", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 10);
        const cursors = ["journal:a", "journal:b", "journal:a", "now"];
        const got = await Promise.all(cursors.map((c) => b.denials(T, true, c, 4096)));
        assert.strictEqual(h.runs.length, 1);
        const denialParts = h.runs[0].args.filter((a) => a === "denials").length;
        assert.strictEqual(denialParts, 3, "identical cursors share one part");
        const expect = ["p-journala", "p-journalb", "p-journala", "p-now"];
        got.forEach((d, i) => assert.match(d.lines[0], new RegExp(`profile="${expect[i]}"`)));
        // a differing maxBytes or source is its own part
        await Promise.all([
            b.denials(T, true, "journal:a", 4096, "auto"),
            b.denials(T, true, "journal:a", 4096, "kernlog"),
            b.denials(T, true, "journal:a", 100),
        ]);
        assert.strictEqual(h.runs[1].args.filter((a) => a === "denials").length, 3);
    });

    it("distinct directories are distinct status parts of the same run", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 10);
        const [a, c, a2] = await Promise.all([
            b.status(T, true, "x", "/etc/apparmor.d/containers"),
            b.status(T, true, "x", "/etc/apparmor.d/other"),
            b.status(T, true, "y", "/etc/apparmor.d/containers"),
        ]);
        assert.strictEqual(h.runs.length, 1);
        assert.deepStrictEqual(h.runs[0].args, [
            "status",
            "/etc/apparmor.d/containers",
            "2",
            "x",
            "y",
            "status",
            "/etc/apparmor.d/other",
            "1",
            "x",
        ]);
        assert.strictEqual(a.profile?.file.sha256, "sha-/etc/apparmor.d/containers-x");
        assert.strictEqual(c.profile?.file.sha256, "sha-/etc/apparmor.d/other-x");
        assert.strictEqual(a2.profile?.file.sha256, "sha-/etc/apparmor.d/containers-y");
    });

    it("hosts (and sudo or root) are batched apart: one run each", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 10);
        await Promise.all([
            b.status(T, true, "a", DEFAULT_PROFILE_DIR),
            b.status(T2, true, "a", DEFAULT_PROFILE_DIR),
            b.status(T, false, "a", DEFAULT_PROFILE_DIR),
            b.status(T, true, "b", DEFAULT_PROFILE_DIR),
            b.status(T2, true, "b", DEFAULT_PROFILE_DIR),
        ]);
        assert.strictEqual(h.runs.length, 3);
        assert.deepStrictEqual(h.runs.map((r) => r.target).sort(), [
            "10.0.0.5",
            "10.0.0.5",
            "10.0.0.6",
        ]);
    });

    it("a request arriving while a run is under way gets the next run (not a partial answer)", async () => {
        const h = fakeHost({ delayMs: 30 });
        const b = new HostReadBatcher(h.exec, 5);
        let late: Promise<unknown> | undefined;
        h.during = () => {
            h.during = undefined;
            late = Promise.all([
                b.status(T, true, "late", DEFAULT_PROFILE_DIR),
                b.status(T, true, "late2", DEFAULT_PROFILE_DIR),
            ]);
        };
        const first = await Promise.all([
            b.status(T, true, "a", DEFAULT_PROFILE_DIR),
            b.status(T, true, "b", DEFAULT_PROFILE_DIR),
        ]);
        assert.deepStrictEqual(
            first.map((s) => s.profile?.name),
            ["a", "b"],
        );
        const [l1, l2] = (await late) as { profile?: { name: string } }[];
        assert.strictEqual(l1.profile?.name, "late");
        assert.strictEqual(l2.profile?.name, "late2");
        assert.strictEqual(h.runs.length, 2, "the late requests share the second run");
        assert.deepStrictEqual(h.runs[1].args.slice(2), ["2", "late", "late2"]);
        // and a request after everything has finished gets a run of its own
        await b.status(T, true, "after", DEFAULT_PROFILE_DIR);
        assert.strictEqual(h.runs.length, 3);
    });

    it("a failed run rejects every waiter, with the host named (an SSH error keeps its kind)", async () => {
        let which: Error = new Error("connection reset");
        const b = new HostReadBatcher(async () => {
            throw which;
        }, 5);
        const all = [
            b.status(T, true, "a", DEFAULT_PROFILE_DIR),
            b.status(T, true, "b", DEFAULT_PROFILE_DIR),
            b.denials(T, true, "now", 1024),
        ];
        const settled = await Promise.allSettled(all);
        assert.strictEqual(b.runs, 1);
        for (const s of settled) {
            assert.strictEqual(s.status, "rejected");
            assert.match(
                ((s as PromiseRejectedResult).reason as Error).message,
                /read of ops@10\.0\.0\.5:22 failed: connection reset/,
            );
        }
        which = new SshError("cannot reach ops@10.0.0.5:22: ECONNREFUSED", "unreachable");
        const s2 = await Promise.allSettled([
            b.status(T, true, "a", DEFAULT_PROFILE_DIR),
            b.denials(T, true, "now", 1024),
        ]);
        for (const s of s2) {
            const e = (s as PromiseRejectedResult).reason as SshError;
            assert.ok(e instanceof SshError && e.kind === "unreachable");
            assert.match(e.message, /ops@10\.0\.0\.5:22/);
        }
    });

    it("a part's own failure is only its waiters' error; the other parts are answered", async () => {
        const h = fakeHost({ failNames: ["bad"] });
        const b = new HostReadBatcher(h.exec, 5);
        const [bad, good, d] = await Promise.allSettled([
            b.status(T, true, "bad", "/etc/apparmor.d/other"),
            b.status(T, true, "good", DEFAULT_PROFILE_DIR),
            b.denials(T, true, "now", 1024),
        ]);
        assert.strictEqual(h.runs.length, 1);
        assert.strictEqual(bad.status, "rejected");
        assert.match(String((bad as PromiseRejectedResult).reason), /status: cannot read/);
        assert.strictEqual(good.status, "fulfilled");
        assert.strictEqual(d.status, "fulfilled");
    });

    it("an invalid argument is refused at once, before any run, and does not spoil the batch", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const bad = b.status(T, true, "bad name'; reboot", DEFAULT_PROFILE_DIR);
        const badDir = b.status(T, true, "a", "/tmp");
        const badCursor = b.denials(T, true, "journal:x'y", 1024);
        const ok = b.status(T, true, "a", DEFAULT_PROFILE_DIR);
        await assert.rejects(bad, /invalid profile name/);
        await assert.rejects(badDir, /invalid directory/);
        await assert.rejects(badCursor, /invalid cursor/);
        assert.strictEqual((await ok).profile?.name, "a");
        assert.strictEqual(h.runs.length, 1);
        assert.deepStrictEqual(h.runs[0].args, ["status", DEFAULT_PROFILE_DIR, "1", "a"]);
    });

    it("more names than fit in one command: several runs, every name answered once", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const names = Array.from({ length: 120 }, (_, i) => `${"n".repeat(190)}-${i}`);
        const got = await Promise.all(names.map((n) => b.status(T, true, n, DEFAULT_PROFILE_DIR)));
        assert.ok(h.runs.length >= 2, `${h.runs.length} runs`);
        got.forEach((s, i) => assert.strictEqual(s.profile?.name, names[i]));
        const sent = h.runs.flatMap((r) => r.args.filter((a) => a.startsWith("nnn")));
        assert.deepStrictEqual(sent.sort(), [...names].sort());
    });

    it("more than 500 names of one directory in one batch: split into parts of at most 500, all answered", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const names = Array.from({ length: 700 }, (_, i) => `s${i}`);
        const got = await Promise.all(names.map((n) => b.status(T, true, n, DEFAULT_PROFILE_DIR)));
        got.forEach((s, i) => assert.strictEqual(s.profile?.name, names[i]));
        const counts = h.runs.flatMap((r) =>
            r.args.flatMap((a, i) => (a === "status" ? [Number(r.args[i + 2])] : [])),
        );
        assert.ok(
            counts.every((n) => n <= 500),
            JSON.stringify(counts),
        );
        assert.strictEqual(
            counts.reduce((x, y) => x + y, 0),
            700,
        );
    });

    it("requests spread out but each within the window of the last: one run; past the maximum wait: the next", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 40, 10_000);
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const spread: Promise<unknown>[] = [];
        for (let i = 0; i < 6; i++) {
            spread.push(b.status(T, true, `s${i}`, DEFAULT_PROFILE_DIR));
            await sleep(10); // 60 ms in all, more than one window
        }
        await Promise.all(spread);
        assert.strictEqual(h.runs.length, 1);
        const capped = new HostReadBatcher(h.exec, 40, 30);
        const more: Promise<unknown>[] = [];
        for (let i = 0; i < 12; i++) {
            more.push(capped.status(T, true, `c${i}`, DEFAULT_PROFILE_DIR));
            await sleep(10);
        }
        await Promise.all(more);
        assert.ok(capped.runs >= 2, `${capped.runs} runs: the maximum wait sends a batch`);
    });
    const C1 = `c1c1${"0".repeat(60)}`;
    const C2 = `c2c2${"0".repeat(60)}`;
    const STOPPED = `5707${"0".repeat(60)}`;
    const GONE = `dead${"0".repeat(60)}`;

    it("container label requests join the same run as status and denials: ONE run, each its own answer", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 10);
        const [statuses, labels, d] = await Promise.all([
            Promise.all(["a", "b", "c", "d"].map((n) => b.status(T, true, n, DEFAULT_PROFILE_DIR))),
            Promise.all([C1, C2, STOPPED, GONE, C1].map((id) => b.label(T, true, id))),
            b.denials(T, true, "journal:c1", 1024),
        ]);
        assert.strictEqual(h.runs.length, 1);
        // one labels part, each ID once, in the order asked
        assert.deepStrictEqual(h.runs[0].args, [
            "status",
            DEFAULT_PROFILE_DIR,
            "4",
            "a",
            "b",
            "c",
            "d",
            "labels",
            "4",
            C1,
            C2,
            STOPPED,
            GONE,
            "denials",
            "journal:c1",
            "1024",
            "auto",
        ]);
        assert.deepStrictEqual(
            statuses.map((x) => x.profile?.name),
            ["a", "b", "c", "d"],
        );
        assert.deepStrictEqual(labels, [
            { state: "running", label: "p-c1c1 (enforce)", apparmorEnabled: true },
            { state: "running", label: "p-c2c2 (enforce)", apparmorEnabled: true },
            { state: "stopped", apparmorEnabled: true },
            { state: "missing", apparmorEnabled: true },
            { state: "running", label: "p-c1c1 (enforce)", apparmorEnabled: true },
        ]);
        assert.strictEqual(d.cursor, "journal:end");
    });

    it("a short ID is resolved as docker resolves it (a unique prefix of the full ID found)", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const [short, full] = await Promise.all([
            b.label(T, true, "c1c100000000"),
            b.label(T, true, C2),
        ]);
        assert.deepStrictEqual(short, {
            state: "running",
            label: "p-c1c1 (enforce)",
            apparmorEnabled: true,
        });
        assert.strictEqual(full.label, "p-c2c2 (enforce)");
        assert.strictEqual(h.runs.length, 1);
    });

    it("a failed labels part rejects only the label waiters; status and denials are answered", async () => {
        const h = fakeHost({ failLabels: true });
        const b = new HostReadBatcher(h.exec, 5);
        const [l1, l2, st, d] = await Promise.allSettled([
            b.label(T, true, C1),
            b.label(T, true, C2),
            b.status(T, true, "a", DEFAULT_PROFILE_DIR),
            b.denials(T, true, "now", 1024),
        ]);
        assert.strictEqual(h.runs.length, 1);
        for (const l of [l1, l2]) {
            assert.strictEqual(l.status, "rejected");
            assert.match(
                String((l as PromiseRejectedResult).reason),
                /labels: docker inspect did not answer/,
            );
        }
        assert.strictEqual(st.status, "fulfilled");
        assert.strictEqual(d.status, "fulfilled");
    });

    it("an invalid container ID is refused at once, before any run, and does not spoil the batch", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const bad = [
            b.label(T, true, "c1c100000000'; reboot #"),
            b.label(T, true, "web"),
            b.label(T, true, C1.toUpperCase()),
            b.label(T, true, "c1c1"),
        ];
        const ok = b.label(T, true, C1);
        for (const p of bad) await assert.rejects(p, /invalid container id/);
        assert.strictEqual((await ok).label, "p-c1c1 (enforce)");
        assert.strictEqual(h.runs.length, 1);
        assert.deepStrictEqual(h.runs[0].args, ["labels", "1", C1]);
    });

    it("more IDs than fit in one command: several runs, each ID answered from the run part that carried it", async () => {
        const h = fakeHost();
        const b = new HostReadBatcher(h.exec, 5);
        const ids = Array.from({ length: 600 }, (_, i) =>
            `c${String(i).padStart(3, "0")}`.padEnd(64, "e"),
        );
        const got = await Promise.all(ids.map((id) => b.label(T, true, id)));
        assert.ok(h.runs.length >= 2, `${h.runs.length} runs`);
        got.forEach((x, i) =>
            assert.deepStrictEqual(x, {
                state: "running",
                label: `p-${ids[i].slice(0, 4)} (enforce)`,
                apparmorEnabled: true,
            }),
        );
        const sent = h.runs.flatMap((r) => r.args.filter((a) => a.length === 64));
        assert.deepStrictEqual(sent.sort(), [...ids].sort());
    });
});
