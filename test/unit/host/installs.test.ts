/**
 * The `installs` command, its plan and its output (src/host/installs.ts), without a host: the
 * layout installs.sh reads (per item BYTES COUNT then install's own words; the texts on stdin in
 * item order), what fits in one command, and each item's own output split back by the byte counts
 * of its frame, or the run's output for every item when the run did not get to its items.
 */
import * as assert from "assert";
import {
    HostScriptError,
    installWords,
    installsCommand,
    installsItemCount,
    MAX_INSTALL_ITEMS,
    MAX_READ_COMMAND,
    parseInstall,
    parseInstalls,
    planInstalls,
    runInstalls,
    type InstallArgs,
    type ScriptOutput,
} from "../../../src/host";

const item = (name: string, extra: Partial<InstallArgs> = {}): InstallArgs => ({
    name,
    text: `profile ${name} {\n}\n`,
    mode: "enforce",
    ...extra,
});

/** The quoted words after `pulumi-apparmor-installs` (these tests' arguments hold no quote). */
function wordsOf(command: string): string[] {
    const tail = command.slice(command.indexOf(" pulumi-apparmor-installs ") + 26);
    return [...tail.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** An installs run's stdout: the header, then each item's frame, stdout and stderr. */
function framed(items: { out: string; err?: string; exit?: number }[]): Buffer {
    const parts = [Buffer.from(`{"ok":true,"installs":"v1","items":${items.length}}\n`)];
    items.forEach((it, i) => {
        const out = Buffer.from(it.out);
        const err = Buffer.from(it.err ?? "");
        parts.push(
            Buffer.from(
                `{"item":${i},"exit":${it.exit ?? 0},"out":${out.length},"err":${err.length}}\n`,
            ),
            out,
            err,
        );
    });
    return Buffer.concat(parts);
}

const asOutput = (b: Buffer): ScriptOutput => ({
    stdout: b.toString("utf8"),
    stdoutBytes: b,
    stderr: "",
    exitCode: 0,
});

const RESULT = (name: string) =>
    JSON.stringify({
        ok: true,
        name,
        dir: "/etc/apparmor.d/containers",
        changed: true,
        wrote: true,
        reloaded: true,
        manifestUpdated: true,
        adopted: false,
        mode: "enforce",
        sha256: "a".repeat(64),
        policySha1: "b".repeat(40),
        kernelMode: "enforce",
        bootLoad: true,
    });

describe("installs: the command", () => {
    it("per item: its text's byte count, its word count, then install's own words; texts in order", () => {
        const items = [
            item("a", { position: true, facts: true }),
            item("b", { text: "# café\nprofile b {\n}" }),
        ];
        const c = installsCommand(items, { sudo: true });
        assert.strictEqual(c.script, "installs");
        assert.ok(c.command.startsWith("sudo -n sh -c "));
        const w0 = installWords(items[0]);
        const w1 = installWords(items[1]);
        assert.deepStrictEqual(wordsOf(c.command), [
            String(Buffer.byteLength(w0.stdin)),
            String(w0.words.length),
            ...w0.words,
            String(Buffer.byteLength(w1.stdin)),
            String(w1.words.length),
            ...w1.words,
        ]);
        // the text as install sends it: a final newline added, é two bytes
        assert.strictEqual(c.stdin, `${w0.stdin}${w1.stdin}`);
        assert.strictEqual(w1.stdin, "# café\nprofile b {\n}\n");
        assert.strictEqual(wordsOf(c.command)[w0.words.length + 2], String(w1.stdin.length + 1));
    });

    it("installsItemCount: the items a command carries (traces), 0 for another script", () => {
        const items = [item("a", { adopt: true, facts: true }), item("b"), item("c")];
        assert.strictEqual(installsItemCount(installsCommand(items, { sudo: true }).command), 3);
        assert.strictEqual(installsItemCount(installsCommand([item("a")]).command), 1);
        assert.strictEqual(installsItemCount("sh -c 'x' pulumi-apparmor-install 'a'"), 0);
    });

    const refused: [string, InstallArgs[], RegExp][] = [
        ["no item", [], /1 to 64 items, got 0/],
        ["65 items", Array.from({ length: 65 }, (_, i) => item(`p${i}`)), /got 65/],
        ["prior (a rollout's install is sent alone)", [item("a", { prior: true })], /prior/],
        ["an invalid name (install's own check)", [item("a/b")], /profile name/],
        ["an empty text", [item("a", { text: "" })], /empty/],
    ];
    for (const [title, items, re] of refused)
        it(`refused: ${title}`, () => assert.throws(() => installsCommand(items), re));
});

describe("installs: the plan", () => {
    it("a few items: one run", () => {
        assert.deepStrictEqual(planInstalls([item("a"), item("b"), item("c")]), [[0, 1, 2]]);
    });
    it(`more than ${MAX_INSTALL_ITEMS} items: runs of at most ${MAX_INSTALL_ITEMS} within MAX_READ_COMMAND, in order`, () => {
        const items = Array.from({ length: 130 }, (_, i) => item(`p${i}`));
        const plan = planInstalls(items, { sudo: true });
        assert.ok(plan.length >= 3);
        assert.deepStrictEqual(
            plan.flat(),
            items.map((_, i) => i),
        );
        for (const idx of plan) {
            assert.ok(idx.length <= MAX_INSTALL_ITEMS);
            const c = installsCommand(
                idx.map((i) => items[i]),
                { sudo: true },
            );
            assert.ok(c.command.length <= MAX_READ_COMMAND, `${c.command.length} bytes`);
        }
    });
    it("long arguments: as many runs as keep each command within MAX_READ_COMMAND", () => {
        const dir = `/etc/apparmor.d/${"d".repeat(180)}`;
        const items = Array.from({ length: 64 }, (_, i) => item(`${"n".repeat(190)}${i}`, { dir }));
        const plan = planInstalls(items, { sudo: true });
        assert.ok(plan.length > 1, "split");
        assert.deepStrictEqual(
            plan.flat(),
            items.map((_, i) => i),
        );
        for (const idx of plan) {
            const c = installsCommand(
                idx.map((i) => items[i]),
                { sudo: true },
            );
            assert.ok(c.command.length <= MAX_READ_COMMAND, `${c.command.length} bytes`);
        }
    });
    it("texts of more than 16 MiB in all: split by their bytes", () => {
        const big = `profile x {\n${"# x\n".repeat(1024 * 1024)}}\n`; // ~4 MiB
        const items = Array.from({ length: 5 }, (_, i) =>
            item(`p${i}`, { text: big.replace("x", `p${i}`) }),
        );
        assert.deepStrictEqual(planInstalls(items), [
            [0, 1, 2],
            [3, 4],
        ]);
    });
});

describe("installs: the output", () => {
    it("each item's own stdout, stderr and exit status, split by the frame's byte counts", () => {
        const errLine = '{"ok":false,"error":"parse-failed","message":"line 2: syntax error ✗"}\n';
        const out = asOutput(
            framed([
                { out: `${RESULT("a")}\n{"position":"journal:s=1","source":"journal-audit"}\n` },
                // a stderr whose last line has no newline, bytes that are not ASCII
                { out: errLine, err: "pulumi-apparmor-install: line 2 ✗", exit: 1 },
                { out: "", err: "", exit: 143 },
            ]),
        );
        const items = parseInstalls(out, 3);
        assert.strictEqual(items.length, 3);
        assert.deepStrictEqual(
            items.map((o) => [o.exitCode, o.stderr]),
            [
                [0, ""],
                [1, "pulumi-apparmor-install: line 2 ✗"],
                [143, ""],
            ],
        );
        const a = parseInstall(items[0], "install", { position: true });
        assert.deepStrictEqual(a.position, { cursor: "journal:s=1", source: "journal-audit" });
        assert.throws(
            () => parseInstall(items[1]),
            (e: unknown) => e instanceof HostScriptError && e.code === "parse-failed",
        );
        assert.throws(() => parseInstall(items[2]), HostScriptError);
    });

    it("a run that did not get to its items: its output for every item (sudo refused, cut input)", () => {
        const out: ScriptOutput = {
            stdout: "",
            stderr: "sudo: a password is required\n",
            exitCode: 1,
        };
        const items = parseInstalls(out, 2);
        assert.deepStrictEqual(items, [out, out]);
        const cut: ScriptOutput = {
            stdout: '{"ok":false,"error":"incomplete-input","message":"stdin has 3 bytes"}\n',
            stderr: "",
            exitCode: 1,
        };
        for (const o of parseInstalls(cut, 2))
            assert.throws(
                () => parseInstall(o),
                (e: unknown) => e instanceof HostScriptError && e.code === "incomplete-input",
            );
    });

    const broken: [string, Buffer][] = [
        ["another item count", framed([{ out: "x\n" }])],
        ["a frame cut", framed([{ out: "x\n" }, { out: "y\n" }]).subarray(0, 60)],
        [
            "bytes after the last item",
            Buffer.concat([framed([{ out: "x\n" }, { out: "y\n" }]), Buffer.from("z")]),
        ],
        [
            "items out of order",
            Buffer.from(
                '{"ok":true,"installs":"v1","items":2}\n{"item":1,"exit":0,"out":0,"err":0}\n{"item":0,"exit":0,"out":0,"err":0}\n',
            ),
        ],
        ["another form", Buffer.from('{"ok":true,"installs":"v2","items":2}\n')],
    ];
    for (const [title, b] of broken)
        it(`bad output: ${title}`, () =>
            assert.throws(
                () => parseInstalls(asOutput(b), 2),
                (e: unknown) => e instanceof HostScriptError && e.code === "bad-output",
            ));

    it("runInstalls: one exec, each item's outcome in order", async () => {
        const calls: string[] = [];
        const outcomes = await runInstalls(
            async (command) => {
                calls.push(command);
                const b = framed([
                    { out: `${RESULT("a")}\n` },
                    { out: '{"ok":false,"error":"unmanaged","message":"not ours"}\n', exit: 1 },
                ]);
                return { stdout: b.toString("utf8"), stdoutBytes: b, stderr: "", exitCode: 0 };
            },
            [item("a"), item("b")],
        );
        assert.strictEqual(calls.length, 1);
        assert.ok(outcomes[0].ok && outcomes[0].result.name === "a");
        assert.ok(!outcomes[1].ok && (outcomes[1].error as HostScriptError).code === "unmanaged");
    });
});
