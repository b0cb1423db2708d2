/**
 * Output injection (issue #13 finding 3): log text chosen by whoever made a process act — names,
 * comm, profile names, hex-encoded by the kernel — must never reach the terminal or a suggested
 * profile as anything but escaped text: no line of its own, no ESC sequence, no bidi reordering, no
 * rule it smuggles in. And rules that would open the confinement are marked, never proposed silently.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough, Readable } from "stream";
import { main } from "../../../src/cli/main";
import {
    dangerousRule,
    escapeControls,
    parseAuditLog,
    renderSuggestions,
    rulePath,
    safeJson,
    suggestRulesByProfile,
} from "../../../src/log";
import type { Rule } from "../../../src/profile/model";

const K = "audit: type=1400 audit(1700000000.100:1): ";
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex").toUpperCase();
const INJECTED = "\n  capability sys_admin,\n  /** rwlkmix,\n";
/** Everything that must never be printed raw (C0 but newline, DEL, C1, bidi, separators). */
const RAW_UNSAFE =
    /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

async function runCli(args: string[], stdin: string) {
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

/** Crafted lines: [title, line, the hostile text the line carries]. */
const crafted: [string, string][] = [
    [
        "profile name with newlines and rule text",
        `${K}apparmor="DENIED" operation="open" profile=${hex(`web${INJECTED}`)} name="/etc/shadow" pid=1 comm="cat" requested_mask="r" denied_mask="r"`,
    ],
    [
        "name with newlines and rule text",
        `${K}apparmor="DENIED" operation="open" profile="web" name=${hex(`/tmp/x${INJECTED}`)} pid=1 comm="cat" requested_mask="r" denied_mask="r"`,
    ],
    [
        "comm with ESC sequences (clear screen, cursor home, title)",
        `${K}apparmor="DENIED" operation="open" profile="web" name="/etc/passwd" pid=1 comm=${hex("\x1b[2J\x1b[H\x1b]0;pwn\x07")} requested_mask="r" denied_mask="r"`,
    ],
    [
        "name with CR (overwrites the line on a terminal)",
        `${K}apparmor="DENIED" operation="open" profile="web" name=${hex("/tmp/ok\r  capability sys_module,")} pid=1 comm="cat" requested_mask="w" denied_mask="w"`,
    ],
    [
        "name with NUL",
        `${K}apparmor="DENIED" operation="open" profile="web" name=${hex("/tmp/a\0b")} pid=1 comm="cat" requested_mask="r" denied_mask="r"`,
    ],
    [
        "name with bidi override",
        `${K}apparmor="DENIED" operation="open" profile="web" name=${hex("/tmp/\u202eetc/shadow")} pid=1 comm=${hex("a\u2066b\u2069")} requested_mask="r" denied_mask="r"`,
    ],
    [
        "name with DEL and C1 CSI",
        `${K}apparmor="DENIED" operation="open" profile="web" name=${hex("/tmp/d\x7fe\u009b2J")} pid=1 comm="cat" requested_mask="r" denied_mask="r"`,
    ],
    [
        "exec target with newline",
        `${K}apparmor="DENIED" operation="change_profile" profile="web" name=${hex("x\n  change_profile -> unconfined,")} pid=1 comm="sh"`,
    ],
    [
        "signal peer with ESC",
        `${K}apparmor="DENIED" operation="signal" profile="web" pid=1 comm="sh" requested_mask="send" denied_mask="send" signal=kill peer=${hex("p\x1b[31m")}`,
    ],
];
const LOG = `${crafted.map(([, l]) => l).join("\n")}\n`;

/** Real, dangerous denials: each must be suggested commented out with its reason. */
const DANGEROUS_LOG = [
    `${K}apparmor="DENIED" operation="capable" profile="web" pid=1 comm="mount" capability=21  capname="sys_admin"`,
    `${K}apparmor="DENIED" operation="capable" profile="web" pid=1 comm="modprobe" capability=16  capname="sys_module"`,
    `${K}apparmor="DENIED" operation="capable" profile="web" pid=1 comm="gdb" capability=19  capname="sys_ptrace"`,
    `${K}apparmor="DENIED" operation="capable" profile="web" pid=1 comm="ip" capability=12  capname="net_admin"`,
    `${K}apparmor="DENIED" operation="change_profile" profile="web" name="unconfined" pid=1 comm="sh"`,
    `${K}apparmor="DENIED" operation="mount" info="failed flags match" error=-13 profile="web" name="/mnt/" pid=1 comm="mount" fstype="proc" srcname="proc" flags="rw"`,
    `${K}apparmor="DENIED" operation="open" profile="web" name="/proc/sys/kernel/core_pattern" pid=1 comm="sh" requested_mask="w" denied_mask="w"`,
    `${K}apparmor="DENIED" operation="open" profile="web" name="/sys/kernel/uevent_helper" pid=1 comm="sh" requested_mask="w" denied_mask="w"`,
    `${K}apparmor="DENIED" operation="open" profile="web" name="/proc/sysrq-trigger" pid=1 comm="sh" requested_mask="w" denied_mask="w"`,
    `${K}apparmor="DENIED" operation="open" profile="web" name="/proc/sys/kernel/ostype" pid=1 comm="cat" requested_mask="r" denied_mask="r"`,
].join("\n");

describe("escapeControls / safeJson", () => {
    const table: [string, string][] = [
        ["plain /tmp/a b", "plain /tmp/a b"],
        ["utf-8 é ✓ 漢", "utf-8 é ✓ 漢"],
        ["a\nb", "a\\nb"],
        ["a\rb\tc", "a\\rb\\tc"],
        ["\x1b[2J", "\\x1b[2J"],
        ["nul\0", "nul\\x00"],
        ["del\x7f c1\u009b", "del\\x7f c1\\x9b"],
        ["bidi \u202e x \u2066y\u2069", "bidi \\u{202E} x \\u{2066}y\\u{2069}"],
        ["zero width \u200b\ufeff", "zero width \\u{200B}\\u{FEFF}"],
        ["separators \u2028\u2029", "separators \\u{2028}\\u{2029}"],
        ["lone surrogate \ud800 x", "lone surrogate \\u{D800} x"],
        ["pair 😀 kept", "pair 😀 kept"],
        ["back\\slash", "back\\\\slash"],
    ];
    for (const [input, want] of table) {
        it(`escapeControls(${JSON.stringify(input)})`, () =>
            assert.strictEqual(escapeControls(input), want));
    }
    it("safeJson is the same JSON value with nothing unsafe left raw", () => {
        const v = { a: "x\u202ey\u2028\x7f\u009b\n\x1b", b: ["\ud800"] };
        const j = safeJson(v);
        assert.ok(!RAW_UNSAFE.test(j) && !j.includes("\n"), j);
        assert.deepStrictEqual(JSON.parse(j), v);
    });
});

describe("denials CLI: crafted log text is escaped everywhere", () => {
    it("the table: one line per row, nothing raw, the hostile text visible as escapes", async () => {
        const { code, out } = await runCli(["-"], LOG);
        assert.strictEqual(code, 0);
        assert.ok(!RAW_UNSAFE.test(out), JSON.stringify(out));
        const lines = out.split("\n");
        const SMUGGLED = /^\s*(capability sys_|\/\*\* rwlkmix|change_profile -> )/;
        assert.ok(!lines.some((l) => SMUGGLED.test(l)), out);
        assert.ok(out.includes(`web\\n  capability sys_admin,\\n  /** rwlkmix,\\n  (`), out);
        assert.ok(out.includes("\\x1b[2J\\x1b[H\\x1b]0;pwn\\x07"), out);
        assert.ok(out.includes("/tmp/ok\\r  capability sys_module,"), out);
        assert.ok(out.includes("/tmp/\\u{202E}etc/shadow"), out);
        assert.ok(out.includes("/tmp/a\\x00b"), out);
        // each profile header is one line: "web" and the crafted one
        assert.strictEqual(
            lines.filter((l) => /^\S.*event\(s\)/.test(l) && !/^\d/.test(l)).length,
            2,
        );
    });

    it("--json: one valid JSON object per line, values exact, nothing raw", async () => {
        const { out } = await runCli(["-", "--json"], LOG);
        assert.ok(!RAW_UNSAFE.test(out), JSON.stringify(out));
        const lines = out.trim().split("\n");
        assert.strictEqual(lines.length, crafted.length);
        const got = lines.map((l) => JSON.parse(l));
        assert.deepStrictEqual(
            got,
            parseAuditLog(LOG).events.map((e) => JSON.parse(JSON.stringify(e))),
        );
        assert.strictEqual(got[0].profile, `web${INJECTED}`);
        assert.strictEqual(got[5].name, "/tmp/\u202eetc/shadow");
    });

    it("--suggest: no smuggled rule, paths written with AppArmor escapes, unwritable ones noted", async () => {
        const { code, out } = await runCli(["-", "--suggest"], LOG);
        assert.strictEqual(code, 0);
        assert.ok(!RAW_UNSAFE.test(out), JSON.stringify(out));
        const lines = out.split("\n").filter((l) => l.length > 0);
        // every line is a comment or a rule; no rule line but the ones derived from real fields
        const rules = lines.filter((l) => !l.trimStart().startsWith("#"));
        assert.deepStrictEqual(rules, [
            "  /etc/passwd r,",
            "  /tmp/\\342\\200\\256etc/shadow r,",
            "  /tmp/d\\177e\\302\\2332J r,",
            '  "/tmp/ok\\015  capability sys_module," w,',
            '  "/tmp/x\\012  capability sys_admin,\\012  /\\*\\* rwlkmix,\\012" r,',
            "  /etc/shadow r,",
        ]);
        assert.ok(!rules.some((l) => /^\s*(capability|change_profile|\/\*\*)/.test(l)), out);
        for (const r of rules) assert.match(r, /^ {2}\/[^\s]*\s[rwax]+,$|^ {2}"[^"]*" [rwax]+,$/);
        assert.ok(lines.includes("  /tmp/\\342\\200\\256etc/shadow r,"), out);
        // the profile name in the comment is escaped
        assert.ok(
            lines.includes(
                "# profile web\\n  capability sys_admin,\\n  /** rwlkmix,\\n: 1 rule(s) from 1 event(s)",
            ),
            out,
        );
        // NUL: no rule, a note
        assert.ok(
            lines.some((l) => /^ {2}# no rule for open of "\/tmp\/a\\x00b": /.test(l)),
            out,
        );
        // the change_profile target and the signal peer with control characters: notes
        assert.ok(
            lines.some((l) =>
                /^ {2}# no rule for change_profile of "x\\n {2}change_profile/.test(l),
            ),
            out,
        );
        assert.ok(
            lines.some((l) => /^ {2}# no rule for signal of "p\\x1b\[31m"/.test(l)),
            out,
        );
    });

    it("--suggest --json: nothing raw, rules and notes as objects", async () => {
        const { out } = await runCli(["-", "--suggest", "--json"], LOG);
        assert.ok(!RAW_UNSAFE.test(out), JSON.stringify(out));
        const objs = out
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.ok(objs.some((o) => o.skipped !== undefined));
        for (const o of objs) if (o.text !== undefined) assert.ok(!/[\n\r]/.test(o.text));
    });

    it("suggested rules for crafted paths compile and are exactly the logged bytes' escapes", function () {
        this.timeout(60000);
        const body = renderSuggestions(suggestRulesByProfile(parseAuditLog(LOG).events));
        const profile = `abi <abi/3.0>,\ninclude <tunables/global>\nprofile crafted-test {\n${body}}\n`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crafted-"));
        const file = path.join(dir, "p");
        fs.writeFileSync(file, profile);
        try {
            const parser = fs.existsSync("/usr/sbin/apparmor_parser")
                ? "/usr/sbin/apparmor_parser"
                : "apparmor_parser";
            execFileSync(parser, ["-Q", "-K", file], { stdio: "pipe" });
        } catch (e) {
            const err = e as { stderr?: Buffer };
            assert.fail(`apparmor_parser refused:\n${profile}\n${err.stderr?.toString()}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.strictEqual(rulePath("/tmp/a\nb"), "/tmp/a\\012b");
        assert.strictEqual(rulePath("/tmp/\u202e"), "/tmp/\\342\\200\\256");
        assert.strictEqual(rulePath("/tmp/a*b\x1b"), "/tmp/a\\*b\\033");
        assert.strictEqual(rulePath("/tmp/a\0b"), undefined);
        assert.strictEqual(rulePath("/tmp/bad-utf8-\ufffd"), undefined);
    });
});

describe("dangerous suggestions are marked, commented out with the reason", () => {
    it("renderSuggestions comments them out; the rest stays", () => {
        const by = suggestRulesByProfile(parseAuditLog(DANGEROUS_LOG).events);
        const text = renderSuggestions(by);
        const live = text.split("\n").filter((l) => l.length > 0 && !l.trimStart().startsWith("#"));
        assert.deepStrictEqual(live, ["  capability net_admin,", "  /proc/sys/kernel/ostype r,"]);
        for (const rule of [
            "capability sys_admin,",
            "capability sys_module,",
            "capability sys_ptrace,",
            "change_profile -> unconfined,",
            "mount fstype=proc options=rw proc -> /mnt/,",
            "/proc/sys/kernel/core_pattern w,",
            "/sys/kernel/uevent_helper w,",
            "/proc/sysrq-trigger w,",
        ]) {
            const i = text.indexOf(`\n  # ${rule}\n`);
            assert.ok(i >= 0, `${rule} not commented out:\n${text}`);
            const before = text.slice(text.lastIndexOf("\n", i - 1) + 1, i);
            assert.match(before, /^ {2}# DANGEROUS, left commented out: /, rule);
        }
        assert.deepStrictEqual(
            by[0].dangerous.map((d) => d !== undefined),
            by[0].rules.map((r) => dangerousRule(r) !== undefined),
        );
    });

    it("--suggest --json carries the reason on each dangerous rule", async () => {
        const { out } = await runCli(["-", "--suggest", "--json"], DANGEROUS_LOG);
        const objs = out
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        const marked = objs.filter((o) => o.dangerous).map((o) => o.text);
        assert.strictEqual(marked.length, 8, out);
        assert.ok(objs.find((o) => o.text === "capability net_admin,")?.dangerous === undefined);
    });

    const table: [string, Rule, boolean][] = [
        ["sys_admin", { kind: "capability", capabilities: ["sys_admin"] }, true],
        ["sys_module", { kind: "capability", capabilities: ["sys_module"] }, true],
        ["sys_ptrace", { kind: "capability", capabilities: ["sys_ptrace"] }, true],
        ["mac_admin", { kind: "capability", capabilities: ["mac_admin"] }, true],
        ["chown", { kind: "capability", capabilities: ["chown"] }, false],
        ["change_profile -> unconfined", { kind: "change_profile", target: "unconfined" }, true],
        ["change_profile (any)", { kind: "change_profile" }, true],
        ["change_profile -> glob", { kind: "change_profile", target: "web//*" }, true],
        ["change_profile -> named", { kind: "change_profile", target: "web-child" }, false],
        ...(["ux", "Ux", "pux", "PUx", "cux", "CUx"] as const).map((x): [string, Rule, boolean] => [
            `exec ${x}`,
            { kind: "file", path: "/bin/sh", access: [], exec: x },
            true,
        ]),
        ["exec ix", { kind: "file", path: "/bin/sh", access: [], exec: "ix" }, false],
        ["exec px", { kind: "file", path: "/bin/sh", access: [], exec: "px" }, false],
        ["mount", { kind: "mount", conditions: [] }, true],
        ["remount", { kind: "remount", conditions: [] }, true],
        ["umount", { kind: "umount", conditions: [] }, true],
        ["pivot_root", { kind: "pivot_root" }, true],
        ["write /proc/sys/x", { kind: "file", path: "/proc/sys/vm/x", access: ["w"] }, true],
        ["append /sys/x", { kind: "file", path: "/sys/x", access: ["a"] }, true],
        ["write sysrq", { kind: "file", path: "/proc/sysrq-trigger", access: ["w"] }, true],
        ["read /proc/sys/x", { kind: "file", path: "/proc/sys/vm/x", access: ["r"] }, false],
        ["write /tmp/x", { kind: "file", path: "/tmp/x", access: ["w"] }, false],
        ["write /sysfoo", { kind: "file", path: "/sysfoo", access: ["w"] }, false],
        ["network", { kind: "network", domain: "inet" }, false],
    ];
    for (const [title, rule, want] of table) {
        it(`dangerousRule: ${title} → ${want}`, () =>
            assert.strictEqual(dangerousRule(rule) !== undefined, want));
    }
});
