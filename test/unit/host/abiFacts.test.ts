/**
 * The host's ABI report (issue #18 item 2) without a VM: `abi_facts` (lib.sh) run by the local `sh`
 * over a stand-in features tree (hostile names, long files, too many entries), and `parseHostAbi`'s
 * checks of what a host sends back. The real tree is compared on the VM (test/host/scripts-abi.test.ts).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostScriptDir, parseHostAbi, MAX_HOST_FEATURES } from "../../../src/host";

/** Runs abi_facts with PA_SECFS at `secfs`; returns the parsed hostAbi object. */
function abiFacts(secfs: string): Record<string, unknown> {
    const lib = path.join(hostScriptDir(), "lib.sh");
    const r = spawnSync(
        "sh",
        ["-c", `. "$1"; PA_SECFS=$2; abi_facts; printf '{%s}\\n' "$PA_HOST_ABI"`, "t", lib, secfs],
        { encoding: "utf8" },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { hostAbi: Record<string, unknown> }).hostAbi;
}

function tree(files: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pa-abi-"));
    for (const [rel, text] of Object.entries(files)) {
        const f = path.join(root, "features", rel);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text);
    }
    return root;
}

describe("host: abi_facts reports the kernel's feature tree (local sh, stand-in tree)", () => {
    it("directories, files and the words of short files; yes/no left out; depth 3", () => {
        const root = tree({
            "namespaces/mask": "userns_create\n",
            "namespaces/profile": "yes\n",
            "policy/versions/v8": "yes\n",
            "io_uring/mask": "sqpoll override_creds\n",
            "caps/mask": `${Array.from({ length: 17 }, (_, i) => `c${i}`).join(" ")}\n`,
            "deep/a/b/c": "x\n",
            nonl: "w",
        });
        const f = abiFacts(root).features as string[];
        assert.deepStrictEqual([...f].sort(), [
            "caps",
            "caps/mask",
            "deep",
            "deep/a",
            "deep/a/b",
            "io_uring",
            "io_uring/mask",
            "io_uring/mask/override_creds",
            "io_uring/mask/sqpoll",
            "namespaces",
            "namespaces/mask",
            "namespaces/mask/userns_create",
            "namespaces/profile",
            "nonl",
            "nonl/w",
            "policy",
            "policy/versions",
            "policy/versions/v8",
        ]);
    });

    it("hostile names and words are skipped, never printed; the list is bounded", () => {
        const files: Record<string, string> = {
            "bad name/x": "a\n",
            'q"uote': "a\n",
            dollar: '$(touch /tmp/pa-abi-pwned) "x" a\\b ok\n',
            star: "* ok2\n",
        };
        for (let i = 0; i < 450; i++) files[`many/f${i}`] = "\n";
        const root = tree(files);
        const f = abiFacts(root).features as string[];
        assert.ok(!fs.existsSync("/tmp/pa-abi-pwned"));
        assert.ok(
            f.includes("dollar/ok") && f.includes("star/ok2"),
            JSON.stringify(f.slice(0, 10)),
        );
        assert.ok(
            f.every((x) => /^[A-Za-z0-9_./-]+$/.test(x)),
            JSON.stringify(f),
        );
        assert.ok(!f.some((x) => x.startsWith("bad") || x.startsWith("q")));
        assert.strictEqual(f.length, MAX_HOST_FEATURES);
        assert.ok(parseHostAbi({ ...abiFacts(root) }), "what the script prints parses");
    });

    it("no securityfs: no features", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "pa-abi-"));
        const a = abiFacts(root);
        assert.deepStrictEqual(a.features, []);
        assert.ok(Array.isArray(a.abi));
        assert.strictEqual(typeof a.kernel, "string");
    });
});

describe("host: parseHostAbi", () => {
    const good = {
        parserVersion: "3.0.8",
        kernel: "6.1.0-28-amd64",
        abi: ["3.0"],
        features: ["file"],
    };
    const table: [string, unknown, boolean][] = [
        ["the script's shape", good, true],
        ["no parser", { ...good, parserVersion: null }, true],
        ["unknown kernel", { ...good, kernel: "" }, true],
        ["absent", undefined, false],
        ["not an object", "x", false],
        ["a control character", { ...good, kernel: "6.1\u001b[31m" }, false],
        ["a quote in a feature", { ...good, features: ['a"b'] }, false],
        ["a space in an ABI name", { ...good, abi: ["3 0"] }, false],
        ["a path in the version", { ...good, parserVersion: "../x" }, false],
        ["a number for a feature", { ...good, features: [1] }, false],
        ["too many features", { ...good, features: Array(MAX_HOST_FEATURES + 1).fill("f") }, false],
    ];
    for (const [what, v, ok] of table)
        it(`${what} → ${ok ? "accepted" : "refused"}`, () => {
            const r = parseHostAbi(v);
            assert.strictEqual(r !== undefined, ok);
            if (ok) assert.deepStrictEqual(r, v);
        });
});
