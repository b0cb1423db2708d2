/** The `read` script's command, framing and parser (src/host/read.ts), and its layout check under dash. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import {
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    hostScriptProgram,
    parseRead,
    planReads,
    readCommand,
    MAX_READ_COMMAND,
    type ReadPart,
} from "../../../src/host";

const S: ReadPart = { kind: "status", dir: DEFAULT_PROFILE_DIR, names: ["a", "b"] };
const D: ReadPart = { kind: "denials", cursor: "now", maxBytes: 1024, source: "auto" };
const ID = "0123456789ab".repeat(5) + "cdef";
const L: ReadPart = { kind: "labels", ids: [ID, "0123456789ab"] };
const LABELS_LINE = `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${ID}","name":"/web","pid":7,"label":"web (enforce)"}]}`;

const STATUS_LINE =
    '{"ok":true,"apparmor":{"enabled":true,"securityfs":true,"parser":true},"profiles":[]}';
const DENIALS_HEAD = (lines: number) =>
    `{"ok":true,"source":"kernlog","format":"text","cursor":"kernlog:1:2","lines":${lines},"bytes":0,"suppressed":0,"truncated":false,"cursorReset":false}`;
const KLINE =
    'Dec  4 10:00:00 h kernel: [1.0] audit: type=1400 audit(1.0:2): apparmor="DENIED" operation="open" profile="a" name="/x" pid=1 comm="c" requested_mask="r" denied_mask="r" fsuid=0 ouid=0';

function out(...lines: string[]) {
    return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: 0 };
}

/** read.sh run locally under dash as a user that is not root (nobody, when the tests run as root). */
function runLocal(...args: string[]) {
    const sh = ["sh", "-c", hostScriptProgram("read"), "pulumi-apparmor-read", ...args];
    const [cmd, ...argv] =
        process.getuid?.() === 0
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...sh]
            : sh;
    return spawnSync(cmd, argv, { encoding: "utf8", cwd: "/" });
}

describe("read script", () => {
    it("readCommand: parts as validated, quoted words after pulumi-apparmor-read", () => {
        const c = readCommand([S, D], { sudo: true });
        assert.ok(c.command.startsWith("sudo -n sh -c "));
        assert.ok(
            c.command.endsWith(
                ` pulumi-apparmor-read 'status' '${DEFAULT_PROFILE_DIR}' '2' 'a' 'b' 'denials' 'now' '1024' 'auto' '-'`,
            ),
        );
        assert.ok(c.command.length < MAX_READ_COMMAND);
    });
    it("readCommand: a labels part is its COUNT then the container IDs", () => {
        const c = readCommand([S, L, D]);
        assert.ok(
            c.command.endsWith(
                ` pulumi-apparmor-read 'status' '${DEFAULT_PROFILE_DIR}' '2' 'a' 'b' 'labels' '2' '${ID}' '0123456789ab' 'denials' 'now' '1024' 'auto' '-'`,
            ),
        );
    });
    const bad: [string, ReadPart[], RegExp][] = [
        ["no parts", [], /no parts/],
        ["shell in a name", [{ ...S, names: ["a'; reboot #"] }], /invalid profile name/],
        [
            "501 names",
            [{ ...S, names: Array.from({ length: 501 }, (_, i) => `p${i}`) }],
            /0 to 500 names/,
        ],
        ["dir outside /etc/apparmor.d", [{ ...S, dir: "/tmp" }], /invalid directory/],
        ["cursor with a quote", [{ ...D, cursor: "journal:a'b" }], /invalid cursor/],
        ["maxBytes 0", [{ ...D, maxBytes: 0 }], /invalid maxBytes/],
        ["unknown source", [{ ...D, source: "syslog" as "auto" }], /invalid source/],
        ["until that is not a journal cursor", [{ ...D, until: "kernlog:1:2" }], /invalid until/],
        ["until with a quote", [{ ...D, until: "journal:a'b" }], /invalid until/],
        ["unknown part", [{ kind: "exec" } as unknown as ReadPart], /invalid read part/],
        [
            "shell in a container id",
            [{ ...L, ids: ["0123456789ab'; reboot #"] }],
            /invalid container id/,
        ],
        ["a container name for an id", [{ ...L, ids: ["web"] }], /invalid container id/],
        ["an upper-case id", [{ ...L, ids: [ID.toUpperCase()] }], /invalid container id/],
        ["no container ids", [{ ...L, ids: [] }], /1 to 500 ids/],
        [
            "501 container ids",
            [{ ...L, ids: Array.from({ length: 501 }, () => ID) }],
            /1 to 500 ids/,
        ],
    ];
    for (const [what, parts, re] of bad)
        it(`readCommand refuses ${what}`, () => assert.throws(() => readCommand(parts), re));

    it("planReads: one read for a refresh's parts; names split across reads only past the size limit", () => {
        assert.deepStrictEqual(planReads([S, D]), [{ parts: [S, D], from: [0, 1] }]);
        const many = Array.from({ length: 400 }, (_, i) => `${"p".repeat(180)}${i}`);
        const plans = planReads([{ ...S, names: many }, D]);
        assert.ok(plans.length >= 3, `${plans.length}`);
        const names = plans.flatMap((p) =>
            p.parts.flatMap((x) => (x.kind === "status" ? x.names : [])),
        );
        assert.deepStrictEqual(names, many);
        for (const p of plans) {
            assert.ok(readCommand(p.parts, { sudo: true }).command.length <= MAX_READ_COMMAND);
            assert.ok(
                p.parts.filter((x) => x.kind === "status").length <= 1,
                JSON.stringify(p.from),
            );
        }
    });

    it("planReads: container IDs past the size limit (or past 500) split into labels parts", () => {
        const ids = Array.from({ length: 700 }, (_, i) => `${i}`.padStart(64, "a"));
        const plans = planReads([S, { kind: "labels", ids }, D], { sudo: true });
        assert.ok(plans.length >= 2, `${plans.length}`);
        const sent = plans.flatMap((p) =>
            p.parts.flatMap((x) => (x.kind === "labels" ? x.ids : [])),
        );
        assert.deepStrictEqual(sent, ids);
        for (const p of plans) {
            assert.ok(readCommand(p.parts, { sudo: true }).command.length <= MAX_READ_COMMAND);
            // a full read passes the rest to the next one (no part of a single word left over)
            assert.ok(
                p.parts.filter((x) => x.kind === "labels").length <= 1,
                JSON.stringify(p.from),
            );
            for (const [j, x] of p.parts.entries())
                if (x.kind === "labels") {
                    assert.ok(x.ids.length <= 500);
                    assert.strictEqual(p.from[j], 1, "each labels part serves part 1");
                }
        }
        // a few IDs: one read with the other parts
        assert.deepStrictEqual(planReads([S, L, D]), [{ parts: [S, L, D], from: [0, 1, 2] }]);
    });

    it("parseRead: a labels part's result beside status and denials", () => {
        const r = parseRead(
            [S, L, D],
            out(
                '{"ok":true,"read":"v1","parts":3}',
                '{"part":0,"exit":0,"lines":1}',
                STATUS_LINE,
                '{"part":1,"exit":0,"lines":1}',
                LABELS_LINE,
                '{"part":2,"exit":0,"lines":1}',
                DENIALS_HEAD(0),
            ),
        );
        assert.ok(r[1].ok);
        assert.deepStrictEqual(r[1].value, {
            ok: true,
            apparmor: { enabled: true },
            containers: [{ id: ID, name: "/web", pid: 7, label: "web (enforce)" }],
        });
        assert.ok(r[0].ok && r[2].ok);
    });

    it("parseRead: a failed labels part is its own error (script labels); a bad labels line too", () => {
        const r = parseRead(
            [L, S],
            out(
                '{"ok":true,"read":"v1","parts":2}',
                '{"part":0,"exit":1,"lines":1}',
                '{"ok":false,"error":"docker-timeout","message":"docker inspect did not answer within 60 s"}',
                '{"part":1,"exit":0,"lines":1}',
                STATUS_LINE,
            ),
        );
        assert.ok(!r[0].ok);
        assert.strictEqual(r[0].error.script, "labels");
        assert.strictEqual(r[0].error.code, "docker-timeout");
        assert.ok(r[1].ok);
        const cut = parseRead(
            [L],
            out(
                '{"ok":true,"read":"v1","parts":1}',
                '{"part":0,"exit":0,"lines":1}',
                '{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"x"}]}',
            ),
        );
        assert.ok(!cut[0].ok);
        assert.strictEqual(cut[0].error.script, "labels");
        assert.strictEqual(cut[0].error.code, "bad-output");
    });

    it("a facts part: the word facts; its result is the checked hostAbi, a malformed one its own error", () => {
        const F: ReadPart = { kind: "facts" };
        assert.ok(readCommand([S, F]).command.endsWith(` '2' 'a' 'b' 'facts'`));
        const hostAbi = {
            parserVersion: "4.1.0",
            kernel: "6.12.0",
            abi: ["4.0"],
            features: ["file"],
            parserConf: { policy: { path: "/usr/share/apparmor-features/features", features: [] } },
        };
        const r = parseRead(
            [F, F],
            out(
                '{"ok":true,"read":"v1","parts":2}',
                '{"part":0,"exit":0,"lines":1}',
                JSON.stringify({ ok: true, hostAbi }),
                '{"part":1,"exit":0,"lines":1}',
                JSON.stringify({ ok: true, hostAbi: { ...hostAbi, kernel: "6.12 $(x)" } }),
            ),
        );
        assert.ok(r[0].ok);
        assert.deepStrictEqual(r[0].value, hostAbi);
        assert.ok(!r[1].ok);
        assert.strictEqual(r[1].error.code, "bad-output");
    });

    it("a status part without names asks for every managed profile (COUNT 0), planned whole", () => {
        const all: ReadPart = { kind: "status", dir: DEFAULT_PROFILE_DIR, names: [] };
        assert.ok(
            readCommand([all, D]).command.endsWith(
                ` pulumi-apparmor-read 'status' '${DEFAULT_PROFILE_DIR}' '0' 'denials' 'now' '1024' 'auto' '-'`,
            ),
        );
        assert.deepStrictEqual(planReads([S, all, D]), [{ parts: [S, all, D], from: [0, 1, 2] }]);
    });

    it("a denials part with until: the journal cursor as the part's fifth word", () => {
        assert.ok(
            readCommand([{ ...D, until: "journal:s=ab;i=1f" }]).command.endsWith(
                ` pulumi-apparmor-read 'denials' 'now' '1024' 'auto' 'journal:s=ab;i=1f'`,
            ),
        );
    });

    it("a denials part with align: = as the fifth word (read.sh: where the run's first journal read ended); until wins", () => {
        assert.ok(
            readCommand([{ ...D, align: true }]).command.endsWith(
                ` pulumi-apparmor-read 'denials' 'now' '1024' 'auto' '='`,
            ),
        );
        assert.ok(
            readCommand([{ ...D, align: true, until: "journal:s=ab" }]).command.endsWith(
                ` 'auto' 'journal:s=ab'`,
            ),
        );
        assert.ok(readCommand([{ ...D, align: false }]).command.endsWith(` 'auto' '-'`));
    });

    it("parseRead: each part's own result, in order", () => {
        const r = parseRead(
            [S, D],
            out(
                '{"ok":true,"read":"v1","parts":2}',
                '{"part":0,"exit":0,"lines":1}',
                STATUS_LINE,
                '{"part":1,"exit":0,"lines":2}',
                DENIALS_HEAD(1),
                KLINE,
            ),
        );
        assert.strictEqual(r.length, 2);
        assert.ok(r[0].ok && "apparmor" in r[0].value);
        assert.ok(r[1].ok && "lines" in r[1].value);
        assert.deepStrictEqual((r[1].value as { lines: readonly string[] }).lines, [KLINE]);
    });

    it("parseRead: a log line that looks like a frame is still a line of its part (counts decide)", () => {
        const fake = '{"part":1,"exit":0,"lines":1}';
        const r = parseRead(
            [D],
            out(
                '{"ok":true,"read":"v1","parts":1}',
                '{"part":0,"exit":0,"lines":2}',
                DENIALS_HEAD(1),
                fake,
            ),
        );
        // the fake line is not a kernel record: dropped by parseDenials, counted as rejected
        assert.ok(r[0].ok);
        assert.strictEqual((r[0].value as { rejected: number }).rejected, 1);
    });

    it("parseRead: a failed part is that part's own error (script status/denials), the others answered", () => {
        const r = parseRead(
            [S, D],
            out(
                '{"ok":true,"read":"v1","parts":2}',
                '{"part":0,"exit":1,"lines":1}',
                '{"ok":false,"error":"bad-dir","message":"directory is group-writable"}',
                '{"part":1,"exit":0,"lines":1}',
                DENIALS_HEAD(0),
            ),
        );
        assert.ok(!r[0].ok);
        assert.ok(r[0].error instanceof HostScriptError);
        assert.strictEqual(r[0].error.script, "status");
        assert.strictEqual(r[0].error.code, "bad-dir");
        assert.ok(r[1].ok);
    });

    const broken: [string, string][] = [
        [
            "the read's own failure",
            '{"ok":false,"error":"not-root","message":"must run as root"}\n',
        ],
        [
            "fewer parts announced",
            '{"ok":true,"read":"v1","parts":1}\n{"part":0,"exit":0,"lines":1}\n{}\n',
        ],
        [
            "a frame out of order",
            '{"ok":true,"read":"v1","parts":2}\n{"part":1,"exit":0,"lines":0}\n{"part":0,"exit":0,"lines":0}\n',
        ],
        [
            "lines cut short",
            `{"ok":true,"read":"v1","parts":2}\n{"part":0,"exit":0,"lines":1}\n${STATUS_LINE}\n{"part":1,"exit":0,"lines":3}\n${DENIALS_HEAD(2)}\n`,
        ],
        [
            "no final newline",
            `{"ok":true,"read":"v1","parts":2}\n{"part":0,"exit":0,"lines":1}\n${STATUS_LINE}\n{"part":1,"exit":0,"lines":1}\n${DENIALS_HEAD(0)}`,
        ],
        [
            "lines after the last part",
            `{"ok":true,"read":"v1","parts":2}\n{"part":0,"exit":0,"lines":1}\n${STATUS_LINE}\n{"part":1,"exit":0,"lines":1}\n${DENIALS_HEAD(0)}\nextra\n`,
        ],
        ["a negative count", '{"ok":true,"read":"v1","parts":2}\n{"part":0,"exit":0,"lines":-1}\n'],
    ];
    for (const [what, stdout] of broken)
        it(`parseRead throws a read error on ${what}`, () =>
            assert.throws(
                () => parseRead([S, D], { stdout, stderr: "", exitCode: 0 }),
                (e: unknown) => e instanceof HostScriptError && e.script === "read",
            ));

    const layouts: [string, string[]][] = [
        ["no part", []],
        ["an unknown part", ["exec", "x"]],
        ["fewer names than COUNT", ["status", DEFAULT_PROFILE_DIR, "3", "a", "b"]],
        ["COUNT with a leading zero", ["status", DEFAULT_PROFILE_DIR, "01", "a"]],
        ["a short status part", ["status", DEFAULT_PROFILE_DIR]],
        ["COUNT not a number", ["status", DEFAULT_PROFILE_DIR, "1;x", "a"]],
        ["COUNT over 500", ["status", DEFAULT_PROFILE_DIR, "501", "a"]],
        ["a short denials part", ["denials", "now", "10", "auto"]],
        ["a labels part without IDs", ["labels", "1"]],
        ["fewer IDs than COUNT", ["labels", "2", ID]],
        ["labels COUNT 0", ["labels", "0", ID]],
        ["labels COUNT with a shell word", ["labels", "1;reboot", ID]],
        ["labels COUNT over 500", ["labels", "501", ID]],
    ];
    for (const [what, args] of layouts)
        it(`read.sh under dash refuses ${what} (usage, exit 2) before anything runs`, () => {
            const r = runLocal(...args);
            assert.strictEqual(r.status, 2, r.stdout + r.stderr);
            assert.match(r.stdout, /^\{"ok":false,"error":"usage"/);
        });
    it("read.sh under dash: a good layout (names that are part keywords too) reaches the root check", () => {
        const r = runLocal(
            "status",
            DEFAULT_PROFILE_DIR,
            "2",
            "status",
            "denials",
            "status",
            DEFAULT_PROFILE_DIR,
            "0",
            "denials",
            "now",
            "10",
            "auto",
            "journal:s=1;i=2",
            "labels",
            "2",
            ID,
            "0123456789ab",
            "facts",
        );
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^\{"ok":false,"error":"not-root"/);
    });
});
