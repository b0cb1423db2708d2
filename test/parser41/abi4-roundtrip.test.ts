/**
 * The ABI 4 rule kinds (`userns`, `mqueue`, `io_uring`, `all`, the `priority=` prefix) round-trip
 * through AppArmor 4.1's own `apparmor_parser`: for every form of test/support/abi4Forms.ts and every
 * `#=EXRESULT PASS` profile of AppArmor 4.1's parser test suite for these kinds, the original text and
 * render(parse(text)) compile (`-Q -K -S`) to identical bytes, and the rules were typed, not kept raw.
 *
 * The parser runs in the trixie chroot of scripts/trixie-parser.sh (cached under
 * $PULUMI_APPARMOR_CACHE by recipe hash; test/run-all.sh builds it and sets PULUMI_APPARMOR_PARSER41).
 * Building the chroot and running chroot need root; CI runs as root. Without root or the chroot this
 * test fails (it never skips) and says how to run it.
 */

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    parseProfile,
    renderProfile,
    type PolicyDocument,
    type ProfileItem,
} from "../../src/profile";
import { compile, mapLimit, type CompileResult } from "../corpus/corpus";
import { ABI4_FORMS, PRIORITY_CONFLICTS } from "../support/abi4Forms";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "trixie-parser.sh");
/** The kinds this test is about. */
const ABI4_KINDS = new Set(["userns", "mqueue", "io_uring", "all"]);
/** Raw text with these words would be an ABI 4 rule the model failed to type. */
const ABI4_WORDS = /\b(userns|mqueue|io_uring|all|priority)\b/;
/** AppArmor 4.1's parser tests for these kinds (directories of parser/tst/simple_tests, file prefixes). */
const SUITES: readonly [string, RegExp][] = [
    ["all", /^ok/],
    ["namespaces", /^ok_userns/],
    ["mqueue", /^ok/],
    ["io_uring", /^ok/],
    ["file/priority", /./],
];

/** The chroot's directory, or why there is none. */
function findChroot(): { dir: string } | { why: string } {
    if (process.getuid?.() !== 0) {
        return {
            why:
                "this test runs AppArmor 4.1's apparmor_parser in a Debian trixie chroot, and chroot " +
                "needs root: run it as root (CI does), e.g. `sudo npx mocha test/parser41/*.test.ts`; " +
                "the chroot is built on first use by scripts/trixie-parser.sh (about 40 s, cached)",
        };
    }
    const fromEnv = process.env.PULUMI_APPARMOR_PARSER41;
    if (fromEnv) {
        return fs.existsSync(path.join(fromEnv, "recipe.json"))
            ? { dir: fromEnv }
            : { why: `PULUMI_APPARMOR_PARSER41=${fromEnv} holds no built chroot (no recipe.json)` };
    }
    const cached = spawnSync("sh", [SCRIPT, "path"], { encoding: "utf8" }).stdout.trim();
    if (cached && fs.existsSync(path.join(cached, "recipe.json"))) return { dir: cached };
    const built = spawnSync("sh", [SCRIPT, "ensure"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    const dir = built.stdout.trim().split("\n").pop() ?? "";
    return built.status === 0 && dir
        ? { dir }
        : { why: `scripts/trixie-parser.sh ensure failed (exit ${String(built.status)})` };
}

function typedAbi4Rules(doc: PolicyDocument): { typed: number; raw: string[] } {
    let typed = 0;
    const raw: string[] = [];
    const visit = (items: readonly ProfileItem[]): void => {
        for (const it of items) {
            if (it.kind === "profile") visit(it.rules);
            else if (it.kind === "raw") raw.push(it.text);
            else if (ABI4_KINDS.has(it.kind) || ("priority" in it && it.priority !== undefined))
                typed++;
        }
    };
    for (const it of doc.items) if (it.kind === "profile") visit(it.rules);
    return { typed, raw };
}

describe("AppArmor 4.1 parser: ABI 4 rules round-trip byte-identically", function () {
    this.timeout(600000);
    let root = "";
    let args: string[] = [];
    const run = (text: string): Promise<CompileResult> =>
        compile(text, args, ["chroot", root, "apparmor_parser"]);

    before(function () {
        this.timeout(300000);
        const found = findChroot();
        if ("why" in found) throw new Error(found.why);
        root = path.join(found.dir, "rootfs");
        args = [
            "-Q",
            "-K",
            "-S",
            "-M",
            "/features-4.1",
            "-I",
            "/simple_tests",
            "-b",
            "/simple_tests",
        ];
        const v = spawnSync("chroot", [root, "apparmor_parser", "--version"], { encoding: "utf8" });
        assert.match(v.stdout ?? "", /version 4\.1\./, `not AppArmor 4.1: ${v.stdout} ${v.stderr}`);
    });

    it("every form of the table: same bytes, typed, and the rule changes the policy", async function () {
        const empty = await run("profile t {\n}\n");
        assert.ok(empty.ok, empty.stderr);
        const failures: string[] = [];
        await mapLimit(ABI4_FORMS, 2, async (f) => {
            const text = `profile t {\n  ${f.src}\n}\n`;
            const doc = parseProfile(text);
            const { typed, raw } = typedAbi4Rules(doc);
            if (raw.length || typed !== 1)
                failures.push(`${f.src}: not typed (raw ${raw.join(" | ")})`);
            const rendered = renderProfile(doc);
            const [a, b] = [await run(text), await run(rendered)];
            if (!a.ok) failures.push(`${f.src}: 4.1 rejects the original: ${a.stderr}`);
            else if (!b.ok) failures.push(`${f.src}: 4.1 rejects the rendering: ${b.stderr}`);
            else if (!a.binary.equals(b.binary)) failures.push(`${f.src}: compiled bytes differ`);
            else if (f.effect && a.binary.equals(empty.binary))
                failures.push(`${f.src}: compiles to the empty profile (feature not compiled?)`);
        });
        assert.deepStrictEqual(failures, []);
        console.log(`      ${ABI4_FORMS.length} forms compiled identically with AppArmor 4.1`);
    });

    it("priorities that decide conflicts are compiled, and survive the round trip", async function () {
        const failures: string[] = [];
        for (const body of PRIORITY_CONFLICTS) {
            const text = `profile t {\n  ${body}\n}\n`;
            const plain = text.replace(/priority=-?[0-9]+ /g, "");
            assert.notStrictEqual(plain, text);
            const rendered = renderProfile(parseProfile(text));
            const [a, b, c] = [await run(text), await run(rendered), await run(plain)];
            const label = body.replace(/\n\s*/g, " ");
            if (!a.ok || !b.ok || !c.ok) failures.push(`${label}: rejected ${a.stderr}${b.stderr}`);
            else if (!a.binary.equals(b.binary)) failures.push(`${label}: compiled bytes differ`);
            else if (a.binary.equals(c.binary)) failures.push(`${label}: priority changed nothing`);
        }
        assert.deepStrictEqual(failures, []);
    });

    it("AppArmor 4.1's own PASS profiles for these kinds", async function () {
        const suite = path.join(root, "simple_tests");
        const files: string[] = [];
        for (const [dir, re] of SUITES) {
            for (const name of fs.readdirSync(path.join(suite, dir)).sort()) {
                const p = path.join(suite, dir, name);
                if (!name.endsWith(".sd") || !re.test(name)) continue;
                const text = fs.readFileSync(p, "utf8");
                if (/^#=EXRESULT PASS/m.test(text) && !/^#=(TODO|DISABLED)/m.test(text))
                    files.push(`${dir}/${name}`);
            }
        }
        assert.ok(files.length > 90, `only ${files.length} test profiles found in ${suite}`);
        const failures: string[] = [];
        let rules = 0;
        let rawFiles = 0;
        await mapLimit(files, 2, async (name) => {
            const text = fs.readFileSync(path.join(suite, name), "utf8");
            let rendered: string;
            try {
                const doc = parseProfile(text);
                const { typed, raw } = typedAbi4Rules(doc);
                // raw only for what the model does not type for other reasons (the `other` qualifier)
                for (const r of raw)
                    if (ABI4_WORDS.test(r) && !/\bother\b/.test(r))
                        failures.push(`${name}: kept raw: ${r}`);
                if (raw.length) rawFiles++;
                rules += typed;
                rendered = renderProfile(doc);
            } catch (e) {
                failures.push(`${name}: ${(e as Error).message}`);
                return;
            }
            const [a, b] = [await run(text), await run(rendered)];
            if (!a.ok) failures.push(`${name}: 4.1 rejects the original: ${a.stderr}`);
            else if (!b.ok) failures.push(`${name}: 4.1 rejects the rendering: ${b.stderr}`);
            else if (!a.binary.equals(b.binary)) failures.push(`${name}: compiled bytes differ`);
        });
        assert.deepStrictEqual(failures.sort(), []);
        console.log(
            `      ${files.length} AppArmor 4.1 test profiles (${rules} typed ABI 4 rules; ` +
                `${rawFiles} profiles with raw \`other\` rules) compiled identically`,
        );
    });
});
