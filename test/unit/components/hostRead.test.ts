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

/** The fake host's ABI facts (what the facts part answers). */
const FACTS = {
    parserVersion: "4.1.0",
    kernel: "6.12.0",
    abi: ["3.0", "4.0"],
    features: ["file", "namespaces/mask/userns_create"],
    parserConf: { policy: { path: "/usr/share/apparmor-features/features", features: ["file"] } },
};

interface FakeHost {
    runs: { target: string; args: string[] }[];
    /** The `until` of every denials part read (see denials.sh); not read.sh's "=". */
    untils: string[];
    /** How many denials parts asked to end where their run's first journal read did (UNTIL "="). */
    aligned: number;
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
    opts: {
        failNames?: string[];
        delayMs?: number;
        managed?: string[];
        failLabels?: boolean;
        /**
         * The log grows during a run: its k-th read to the log's end (k from 0) ends at
         * `journal:end` + k (`journal:end` for the first), as on a busy host.
         */
        growing?: boolean;
    } = {},
): FakeHost {
    const failNames = new Set(opts.failNames ?? []);
    const h: FakeHost = {
        runs: [],
        untils: [],
        aligned: 0,
        exec: async (t, command) => {
            const args = readArgs(command);
            h.runs.push({ target: t.host, args });
            h.during?.();
            await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
            const out: string[] = [];
            let parts = 0;
            // this run's reads to the log's end, and where its first one ended (read.sh's UNTIL "=")
            let toEnd = 0;
            let firstEnd: string | undefined;
            for (let i = 0; i < args.length; ) {
                let body: string[];
                if (args[i] === "status") {
                    const n = Number(args[i + 2]);
                    // COUNT 0: every managed profile
                    const names = n === 0 ? (opts.managed ?? []) : args.slice(i + 3, i + 3 + n);
                    body = statusJson(args[i + 1], names, failNames);
                    i += 3 + n;
                } else if (args[i] === "facts") {
                    body = [JSON.stringify({ ok: true, hostAbi: FACTS })];
                    i += 1;
                } else if (args[i] === "labels") {
                    const n = Number(args[i + 1]);
                    body = labelsJson(args.slice(i + 2, i + 2 + n), opts.failLabels === true);
                    i += 2 + n;
                } else {
                    const cursor = args[i + 1];
                    const line = journalLine(`p-${cursor.replace(/[^a-z0-9]/gi, "")}`, parts + 2);
                    let until = args[i + 4];
                    if (until === "=") {
                        h.aligned++;
                        until = firstEnd ?? "-";
                    } else if (until !== "-") h.untils.push(until);
                    // a read with UNTIL ends there (the fake's log has passed it)
                    const end =
                        until !== "-"
                            ? until
                            : `journal:end${opts.growing && toEnd > 0 ? toEnd : ""}`;
                    if (until === "-") toEnd++;
                    firstEnd ??= end;
                    body = [
                        JSON.stringify({
                            ok: true,
                            source: "journal-audit",
                            format: "journal-json",
                            cursor: end,
                            lines: 1,
                            bytes: line.length + 1,
                            suppressed: 0,
                            truncated: false,
                            cursorReset: false,
                        }),
                        line,
                    ];
                    i += 5;
                }
                out.push(JSON.stringify({ part: parts, exit: 0, lines: body.length }), ...body);
                parts++;
            }
            const stdout = [JSON.stringify({ ok: true, read: "v1", parts }), ...out, ""].join("\n");
            return { code: 0, stdout, stdoutBytes: Buffer.from(stdout), stderr: "" };
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
            "-",
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
            "-",
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

    it("a label check is never answered from a refresh's shared run: it gets a run (or joins one)", async () => {
        const h = fakeHost({ managed: ["a"] });
        const b = new HostReadBatcher(h.exec, 5);
        await b.status(T, true, "a", DEFAULT_PROFILE_DIR, true);
        assert.strictEqual(h.runs.length, 1);
        // shared answers serve the same operation's later status reads without a run…
        await b.status(T, true, "a", DEFAULT_PROFILE_DIR, true);
        assert.strictEqual(h.runs.length, 1);
        // …but a label is read from the host every time
        const l = await b.label(T, true, C1);
        assert.strictEqual(l.label, "p-c1c1 (enforce)");
        assert.strictEqual(h.runs.length, 2);
        assert.deepStrictEqual(h.runs[1].args, ["labels", "1", C1]);
    });

    describe("a refresh's shared reads (share: true)", () => {
        const names = Array.from({ length: 20 }, (_, i) => `web-${i}`);
        /** One engine wave: status + denials of `ns`, shared, all answered. */
        const wave = (b: HostReadBatcher, ns: string[], t = T) =>
            Promise.all(
                ns.map((n) =>
                    Promise.all([
                        b.status(t, true, n, DEFAULT_PROFILE_DIR, true),
                        b.denials(t, true, "journal:c1", 1024, "auto", true),
                    ]),
                ),
            );

        it("20 profiles read in the engine's waves of 8 (--parallel): ONE host run, each its own answer", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            const answers = [
                ...(await wave(b, names.slice(0, 8))),
                ...(await wave(b, names.slice(8, 16))),
                ...(await wave(b, names.slice(16))),
            ];
            assert.strictEqual(h.runs.length, 1);
            // the run asked for the first wave's names and for every managed profile (COUNT 0)
            const args = h.runs[0].args;
            assert.deepStrictEqual(args.slice(0, 3), ["status", DEFAULT_PROFILE_DIR, "8"]);
            assert.deepStrictEqual(args.slice(-3), ["status", DEFAULT_PROFILE_DIR, "0"]);
            answers.forEach(([st, d], i) => {
                assert.strictEqual(st.profile?.name, names[i]);
                assert.strictEqual(
                    st.profile?.file.sha256,
                    `sha-${DEFAULT_PROFILE_DIR}-${names[i]}`,
                );
                assert.strictEqual(d.cursor, "journal:end");
                assert.strictEqual(d.lines.length, 1);
            });
        });

        it("the host's ABI facts: one facts part in the first run, later waves answered from it", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            const waveFacts = (ns: string[]) =>
                Promise.all([...ns.map(() => b.facts(T, true, true)), wave(b, ns)]);
            const got = [
                ...(await waveFacts(names.slice(0, 8))),
                ...(await waveFacts(names.slice(8))),
            ];
            assert.strictEqual(h.runs.length, 1);
            assert.strictEqual(h.runs[0].args.filter((a) => a === "facts").length, 1);
            const facts = got.filter((x) => !Array.isArray(x));
            assert.strictEqual(facts.length, 20);
            for (const f of facts) assert.deepStrictEqual(f, FACTS);
            // not shared: a run of its own, with a facts part
            assert.deepStrictEqual(await b.facts(T, true), FACTS);
            assert.deepStrictEqual(h.runs[1].args, ["facts"]);
        });

        it("a name the host does not manage, another cursor, or a request that is not shared: a run of its own", async () => {
            const h = fakeHost({ managed: names.slice(0, 2) });
            const b = new HostReadBatcher(h.exec, 10);
            await wave(b, names.slice(0, 1));
            assert.strictEqual(h.runs.length, 1);
            await wave(b, names.slice(1, 2)); // managed, same cursor: from the shared run
            assert.strictEqual(h.runs.length, 1);
            const other = await b.status(T, true, "hand-made", DEFAULT_PROFILE_DIR, true);
            assert.strictEqual(h.runs.length, 2);
            assert.strictEqual(other.profile?.name, "hand-made");
            const d = await b.denials(T, true, "journal:c2", 1024, "auto", true);
            assert.strictEqual(h.runs.length, 3);
            assert.match(d.lines[0], /p-journalc2/);
            // a rollout gate's read (not shared) always reads the host
            await b.denials(T, true, "journal:c1", 1024);
            await b.status(T, true, names[0], DEFAULT_PROFILE_DIR);
            assert.strictEqual(h.runs.length, 5);
        });

        it("a resource last checked after the shared run started is read again (a process serving several operations)", async () => {
            const h = fakeHost({ managed: names });
            let now = 1_000_000;
            const b = new HostReadBatcher(h.exec, 10, 1000, 30_000, () => now);
            await b.status(T, true, names[0], DEFAULT_PROFILE_DIR, true, now - 60_000);
            assert.strictEqual(h.runs.length, 1);
            now += 5;
            // another profile, last checked before that run: answered by it
            await b.status(T, true, names[1], DEFAULT_PROFILE_DIR, true, now - 60_000);
            await b.denials(T, true, "journal:c1", 1024, "auto", true, now - 60_000);
            assert.strictEqual(
                h.runs.length,
                2,
                "the denials cursor was not read by the first run",
            );
            // the first profile again, its state from that run (checked after it started): a new run,
            // which is the first of a new round (it reads every profile again, no until)
            const again = await b.denials(T, true, "journal:end", 1024, "auto", true, now);
            assert.strictEqual(h.runs.length, 3);
            assert.deepStrictEqual(h.untils, [], "no run here had a first read's end to align on");
            assert.deepStrictEqual(h.runs[2].args.slice(-3), ["status", DEFAULT_PROFILE_DIR, "0"]);
            assert.strictEqual(again.cursor, "journal:end");
        });

        it("a script that may change the host (invalidate) ends the shared answers of that host only", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            await Promise.all([wave(b, names.slice(0, 1)), wave(b, names.slice(0, 1), T2)]);
            assert.strictEqual(h.runs.length, 2);
            b.invalidate(T);
            await wave(b, names.slice(1, 2), T2);
            assert.strictEqual(h.runs.length, 2, "the other host's answers stand");
            await wave(b, names.slice(1, 2));
            assert.strictEqual(h.runs.length, 3);
        });

        it("a run during which the host was invalidated shares nothing", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            h.during = () => b.invalidate(T);
            await wave(b, names.slice(0, 1));
            h.during = undefined;
            await wave(b, names.slice(1, 2));
            assert.strictEqual(h.runs.length, 2);
        });

        it("shared answers serve for shareMs after their run started, then the host is read again", async () => {
            const h = fakeHost({ managed: names });
            let now = 1_000_000;
            const b = new HostReadBatcher(h.exec, 10, 1000, 30_000, () => now);
            await wave(b, names.slice(0, 1));
            now += 30_000;
            await wave(b, names.slice(1, 2));
            assert.strictEqual(h.runs.length, 1);
            now += 1;
            await wave(b, names.slice(2, 3));
            assert.strictEqual(h.runs.length, 2);
        });

        it("a failed all-profiles part shares nothing (the next wave reads the host)", async () => {
            const h = fakeHost({ managed: ["broken"], failNames: ["broken"] });
            const b = new HostReadBatcher(h.exec, 10);
            const st = await b.status(T, true, names[0], DEFAULT_PROFILE_DIR, true);
            assert.strictEqual(st.profile?.name, names[0]);
            await b.status(T, true, names[1], DEFAULT_PROFILE_DIR, true);
            assert.strictEqual(h.runs.length, 2);
        });

        it("later waves with cursors of their own end their log reads where the first run did; the next refresh is ONE run", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            // a stack's first refresh after its creates: every profile has the cursor of its create
            const own = (ns: string[]) =>
                Promise.all(
                    ns.map((n) =>
                        b.denials(T, true, `journal:${n.replace("-", "")}`, 1024, "auto", true),
                    ),
                );
            const first = await own(names.slice(0, 8));
            const later = [...(await own(names.slice(8, 16))), ...(await own(names.slice(16)))];
            assert.strictEqual(h.runs.length, 3);
            assert.strictEqual(h.aligned, 8, "the first run's 8 parts end where its first did");
            assert.deepStrictEqual(h.untils, Array(12).fill("journal:end"));
            for (const d of [...first, ...later]) assert.strictEqual(d.cursor, "journal:end");
            // each still read from its own cursor
            later.forEach((d, i) => assert.match(d.lines[0], new RegExp(`p-journalweb${i + 8}"`)));
            // the next refresh (a new provider process): one position, one run for all 20
            const h2 = fakeHost({ managed: names });
            const b2 = new HostReadBatcher(h2.exec, 10);
            for (const ns of [names.slice(0, 8), names.slice(8, 16), names.slice(16)])
                await Promise.all(
                    ns.map((n) =>
                        Promise.all([
                            b2.status(T, true, n, DEFAULT_PROFILE_DIR, true),
                            b2.denials(T, true, "journal:end", 1024, "auto", true),
                        ]),
                    ),
                );
            assert.strictEqual(h2.runs.length, 1);
        });

        it("a wave spread over more than the window: shared requests arriving during the shared run are answered by it (one run); others get the next run", async () => {
            const h = fakeHost({ managed: names, delayMs: 30 });
            const b = new HostReadBatcher(h.exec, 5);
            let late: Promise<unknown[]> | undefined;
            h.during = () => {
                h.during = undefined;
                late = Promise.all([
                    // the rest of the wave: answered by the run under way
                    ...names
                        .slice(4, 8)
                        .map((n) => b.status(T, true, n, DEFAULT_PROFILE_DIR, true)),
                    b.denials(T, true, "journal:c1", 1024, "auto", true),
                    // not shared (a gate's read) and a cursor the run did not read: the next run
                    b.status(T, true, names[9], DEFAULT_PROFILE_DIR, false),
                    b.denials(T, true, "journal:c9", 1024, "auto", true),
                ]);
            };
            await wave(b, names.slice(0, 4));
            const got = (await late) as {
                profile?: { name: string };
                cursor?: string;
                lines?: string[];
            }[];
            got.slice(0, 4).forEach((a, i) => assert.strictEqual(a.profile?.name, names[4 + i]));
            assert.match(got[4].lines![0], /p-journalc1"/);
            assert.strictEqual(got[5].profile?.name, names[9]);
            assert.match(got[6].lines![0], /p-journalc9"/);
            assert.strictEqual(h.runs.length, 2, "one run for the wave, one for what it lacked");
            const second = h.runs[1].args;
            assert.ok(!second.includes(names[4]), second.join(" "));
            assert.ok(second.includes(names[9]) && second.includes("journal:c9"), second.join(" "));
            assert.ok(!second.includes("journal:c1"), second.join(" "));
        });

        it("on a log that grows during the run, the first run's parts all end where its first read did; one that is not shared reads on", async () => {
            const h = fakeHost({ managed: names, growing: true });
            const b = new HostReadBatcher(h.exec, 10);
            const cursors = names.slice(0, 8).map((n) => `journal:${n.replace("-", "")}`);
            const [gate, ...first] = await Promise.all([
                // a rollout gate's read beside the refresh's, from a cursor of its own
                b.denials(T, true, "journal:gate", 1024, "auto", false),
                ...cursors.map((c) => b.denials(T, true, c, 1024, "auto", true)),
            ]);
            assert.strictEqual(h.runs.length, 1);
            assert.strictEqual(h.aligned, 8);
            const ends = new Set(first.map((d) => d.cursor));
            assert.strictEqual(
                ends.size,
                1,
                `one position for the refresh: ${[...ends].join(" ")}`,
            );
            // each read from its own cursor
            first.forEach((d, i) => assert.match(d.lines[0], new RegExp(`p-journalweb${i}"`)));
            // the gate's read (the run's first part) ends where the log did; later ones end there too
            assert.strictEqual(gate.cursor, "journal:end");
            assert.deepStrictEqual([...ends], ["journal:end"]);
            // without the alignment the same log gives each part its own end
            const h2 = fakeHost({ managed: names, growing: true });
            const b2 = new HostReadBatcher(h2.exec, 10);
            const unaligned = await Promise.all(
                cursors.map((c) => b2.denials(T, true, c, 1024, "auto", false)),
            );
            assert.strictEqual(new Set(unaligned.map((d) => d.cursor)).size, 8);
        });

        it("a request that is not shared is never cut short by until, even beside shared ones", async () => {
            const h = fakeHost({ managed: names });
            const b = new HostReadBatcher(h.exec, 10);
            await b.denials(T, true, "journal:c1", 1024, "auto", true);
            await Promise.all([
                b.denials(T, true, "journal:c2", 1024, "auto", true),
                b.denials(T, true, "journal:c2", 1024, "auto", false),
                b.denials(T, true, "journal:c3", 1024, "auto", true),
            ]);
            assert.strictEqual(h.runs.length, 2);
            // c2's part serves a gate's read too: read to the end; c3's only shared ones: until
            assert.deepStrictEqual(h.untils, ["journal:end"]);
            assert.deepStrictEqual(h.runs[1].args.slice(0, 5), [
                "denials",
                "journal:c2",
                "1024",
                "auto",
                "-",
            ]);
        });
    });
});
