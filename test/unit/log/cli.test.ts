import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PassThrough, Readable } from "stream";
import { main } from "../../../src/cli/main";
import { parseSince } from "../../../src/cli/denials";

const ROOT = path.join(__dirname, "../../..");
const FIXTURES = path.join(ROOT, "test/fixtures/logs");

async function runCli(
    args: string[],
    stdin = "",
): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (b) => (out += b));
    stderr.on("data", (b) => (err += b));
    const code = await main(["denials", ...args], {
        stdin: Readable.from([Buffer.from(stdin)]),
        stdout,
        stderr,
    });
    return { code, out, err };
}

describe("pulumi-apparmor denials (in process)", () => {
    const dmesg = path.join(FIXTURES, "kernel-dmesg.log");

    it("prints a table grouped by profile and operation with counts", async () => {
        const { code, out } = await runCli([dmesg]);
        assert.strictEqual(code, 0);
        assert.match(
            out,
            /^docker-default {2}\(15 event\(s\): 15 DENIED; 3 load\/replace\/remove\)$/m,
        );
        assert.match(out, /^ {2}OPERATION +COUNT +KIND +TARGET +MASK +COMM$/m);
        assert.match(out, /^ {2}capable +1 +DENIED +fsetid +chmod$/m);
        assert.match(out, /^ {2}mknod +1 +DENIED +\/tmp\/a\/x +c +touch$/m);
        assert.match(
            out,
            /^vmtest {2}\(2 event\(s\): 1 ALLOWED, 1 AUDIT; 1 load\/replace\/remove\)$/m,
        );
        assert.match(
            out,
            /^25 event\(s\) \(16 DENIED, 1 ALLOWED, 1 AUDIT, 5 STATUS, 1 HINT, 1 ERROR\), 0 malformed line\(s\)$/m,
        );
    });

    it("--json prints one record per line with the documented field names", async () => {
        const { code, out } = await runCli([dmesg, "--json"]);
        assert.strictEqual(code, 0);
        const lines = out
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.strictEqual(lines.length, 25);
        assert.deepStrictEqual(lines[2], {
            type: "DENIED",
            operation: "capable",
            profile: "docker-default",
            pid: 1380,
            comm: "chmod",
            capability: 4,
            capname: "fsetid",
            timestamp: 1795600813,
            serial: 41,
        });
    });

    it("--profile and --since filter; reads stdin with -", async () => {
        const text = fs.readFileSync(dmesg, "utf8");
        const a = await runCli(["-", "--json", "--profile", "vmtest"], text);
        assert.deepStrictEqual(
            a.out
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l).type),
            ["ALLOWED", "AUDIT", "STATUS"],
        );
        const b = await runCli(["--json", "--since=1795600818.25"], text);
        assert.deepStrictEqual(
            b.out
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l).serial),
            [68, 69, 70, 71],
        );
    });

    it("--suggest prints rules; with --json one object per rule", async () => {
        const { code, out } = await runCli([dmesg, "--suggest", "--profile", "docker-default"]);
        assert.strictEqual(code, 0);
        assert.match(out, /^# profile docker-default: \d+ rule\(s\) from 15 event\(s\)$/m);
        assert.match(out, /^ {2}capability fsetid,$/m);
        assert.match(out, /^ {2}\/proc\/@\{pid\}\/mem r,$/m);
        const j = await runCli([dmesg, "--suggest", "--json", "--profile", "docker-default"]);
        const first = JSON.parse(j.out.split("\n")[0]);
        assert.deepStrictEqual(first, {
            profile: "docker-default",
            rule: { kind: "capability", capabilities: ["fsetid"] },
            text: "capability fsetid,",
        });
    });

    it("reports malformed lines on stderr and still exits 0", async () => {
        const { code, err, out } = await runCli([path.join(FIXTURES, "malformed.log")]);
        assert.strictEqual(code, 0);
        assert.match(err, /5 malformed AppArmor line\(s\) skipped/);
        assert.match(out, /1 event\(s\) \(1 DENIED\), 5 malformed line\(s\)/);
    });

    it("exits 2 on bad usage and 1 on an unreadable file", async () => {
        assert.strictEqual((await runCli(["--bogus"])).code, 2);
        assert.strictEqual((await runCli(["a", "b"])).code, 2);
        assert.strictEqual((await runCli(["--since", "yesterday-ish"])).code, 2);
        const missing = await runCli(["/nonexistent/file.log"]);
        assert.strictEqual(missing.code, 1);
        assert.match(missing.err, /cannot read \/nonexistent\/file.log/);
    });

    it("parses --since forms", () => {
        assert.strictEqual(parseSince("1700000000"), 1700000000);
        assert.strictEqual(parseSince("2026-11-25T10:00:00Z"), 1795600800);
        assert.strictEqual(parseSince("30m", 10000), 10000 - 1800);
        assert.strictEqual(parseSince("2h", 10000), 10000 - 7200);
        assert.strictEqual(parseSince("1d", 100000), 100000 - 86400);
    });
});

describe("pulumi-apparmor denials (built CLI, node bin/pulumi-apparmor.js)", function () {
    this.timeout(300000);
    before(() => {
        // `npm run build`; other modules' type errors do not stop tsc from emitting
        spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, stdio: "ignore" });
        assert.ok(
            fs.existsSync(path.join(ROOT, "dist/src/cli/denials.js")),
            "build did not produce dist/src/cli/denials.js",
        );
    });

    it("reads every fixture form from a file and from stdin", () => {
        for (const f of [
            "kernel-dmesg.log",
            "auditd-audit.log",
            "journal-json.log",
            "syslog-kern.log",
        ]) {
            const file = path.join(FIXTURES, f);
            const fromFile = execFileSync(
                "node",
                ["bin/pulumi-apparmor.js", "denials", "--json", file],
                { cwd: ROOT, encoding: "utf8" },
            );
            const fromStdin = execFileSync(
                "node",
                ["bin/pulumi-apparmor.js", "denials", "--json", "-"],
                {
                    cwd: ROOT,
                    encoding: "utf8",
                    input: fs.readFileSync(file),
                },
            );
            assert.strictEqual(fromStdin, fromFile, f);
            const expected = fs.readFileSync(
                path.join(FIXTURES, f.replace(/\.log$/, ".expected.jsonl")),
                "utf8",
            );
            assert.strictEqual(fromFile, expected, f);
        }
        const table = execFileSync(
            "node",
            ["bin/pulumi-apparmor.js", "denials", path.join(FIXTURES, "kernel-dmesg.log")],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );
        assert.match(table, /^25 event\(s\)/m);
    });

    it("exits 2 with usage on a bad option", () => {
        const r = spawnSync("node", ["bin/pulumi-apparmor.js", "denials", "--nope"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /usage: pulumi-apparmor denials/);
    });
});
