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

/**
 * Runs abi_facts with PA_SECFS at `secfs` and the parser's config at `conf` (none by default);
 * returns the parsed hostAbi object.
 */
function abiFacts(secfs: string, conf = "/nonexistent/parser.conf"): Record<string, unknown> {
    const dir = hostScriptDir();
    const r = spawnSync(
        "sh",
        [
            "-c",
            `. "$1"; . "$2"; PA_SECFS=$3; PA_PARSER_CONF=$4; abi_facts; printf '{%s}\\n' "$PA_HOST_ABI"`,
            "t",
            path.join(dir, "lib.sh"),
            path.join(dir, "lib-abi.sh"),
            secfs,
            conf,
        ],
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

describe("host: abi_facts reports the feature sets parser.conf pins (local sh)", () => {
    /** Debian 13's pinned features file, abridged (same format). */
    const PINNED = [
        "caps {mask {chown dac_override",
        "}",
        "}",
        "namespaces {mask {userns_create",
        "}",
        "pivot_root {no",
        "}",
        "profile {yes",
        "}",
        "}",
        "network_v8 {af_mask {unspec unix inet",
        "}",
        "}",
        "policy {versions {v5 {yes",
        "}",
        "}",
        "}",
        "",
    ].join("\n");

    function setup(conf: string) {
        const root = tree({ "namespaces/mask": "userns_create\n" });
        fs.writeFileSync(path.join(root, "pinned"), PINNED);
        fs.mkdirSync(path.join(root, "kdir/io_uring"), { recursive: true });
        fs.writeFileSync(path.join(root, "kdir/io_uring/mask"), "sqpoll\n");
        const file = path.join(root, "parser.conf");
        fs.writeFileSync(file, conf.replace(/ROOT/g, root));
        return { root, a: abiFacts(root, file) };
    }

    it("policy-features FILE: its path and its features, flattened as the parser names them", () => {
        const { root, a } = setup("# c\n  policy-features=ROOT/pinned\nwrite-cache\n");
        const pins = a.parserConf as Record<string, { path: string; features: string[] }>;
        assert.deepStrictEqual(Object.keys(pins), ["policy"]);
        assert.strictEqual(pins.policy.path, path.join(root, "pinned"));
        assert.deepStrictEqual([...pins.policy.features].sort(), [
            "caps",
            "caps/mask",
            "caps/mask/chown",
            "caps/mask/dac_override",
            "namespaces",
            "namespaces/mask",
            "namespaces/mask/userns_create",
            "namespaces/pivot_root",
            "namespaces/profile",
            "network_v8",
            "network_v8/af_mask",
            "network_v8/af_mask/inet",
            "network_v8/af_mask/unix",
            "network_v8/af_mask/unspec",
            "policy",
            "policy/versions",
            "policy/versions/v5",
        ]);
        assert.ok(parseHostAbi(a), "what the script prints parses");
    });

    it("features-file sets both, the last line wins, a directory is walked, override-policy-abi", () => {
        const { root, a } = setup(
            "policy-features ROOT/nothing\nfeatures-file=ROOT/pinned\nkernel-features = ROOT/kdir \n" +
                "override-policy-abi=ROOT/pinned\n",
        );
        const pins = a.parserConf as Record<string, { path: string; features: string[] }>;
        assert.deepStrictEqual(Object.keys(pins).sort(), ["kernel", "override", "policy"]);
        assert.strictEqual(pins.policy.path, path.join(root, "pinned"));
        assert.deepStrictEqual(pins.kernel, {
            path: path.join(root, "kdir"),
            features: ["io_uring", "io_uring/mask", "io_uring/mask/sqpoll"],
        });
        assert.deepStrictEqual(pins.override, pins.policy);
    });

    it("no parserConf without a pin; an unreadable or hostile path is left out", () => {
        assert.strictEqual(setup("write-cache\n").a.parserConf, undefined);
        assert.strictEqual(setup("policy-features=ROOT/missing\n").a.parserConf, undefined);
        assert.strictEqual(setup('policy-features=ROOT/a"b\n').a.parserConf, undefined);
        assert.strictEqual(setup("policy-features=relative\n").a.parserConf, undefined);
    });
});

describe("host: abi_facts_cached keeps the facts between runs while nothing they read changed (local sh)", () => {
    const asRoot = process.getuid?.() === 0;
    /** abi_facts_cached with the cache at `cache`: hostAbi as printed, and PA_PARSER_VERSION. */
    function cached(secfs: string, conf: string, cache: string) {
        const dir = hostScriptDir();
        const r = spawnSync(
            "sh",
            [
                "-c",
                `. "$1"; . "$2"; PA_SECFS=$3; PA_PARSER_CONF=$4; abi_facts_cached "$5"; ` +
                    `printf '{%s}\\n%s\\n' "$PA_HOST_ABI" "$PA_PARSER_VERSION"`,
                "t",
                path.join(dir, "lib.sh"),
                path.join(dir, "lib-abi.sh"),
                secfs,
                conf,
                cache,
            ],
            { encoding: "utf8" },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        const [json, version] = r.stdout.split("\n");
        return { abi: (JSON.parse(json) as { hostAbi: Record<string, unknown> }).hostAbi, version };
    }
    const marker =
        '"hostAbi":{"parserVersion":"9.9.9","kernel":"from-the-cache","abi":[],"features":[]}';
    /** Rewrites the cache's facts (its fingerprint kept): a run that prints them used the cache. */
    function plant(cache: string) {
        const [fp] = fs.readFileSync(cache, "utf8").split("\n");
        fs.writeFileSync(cache, `${fp}\n9.9.9\n${marker}\n`, { mode: 0o600 });
    }
    /** Not root: the facts are read and never kept. */
    function notKept(secfs: string, conf: string, cache: string) {
        assert.deepStrictEqual(cached(secfs, conf, cache).abi, abiFacts(secfs, conf));
        assert.ok(!fs.existsSync(cache));
    }
    function setup() {
        const root = tree({ "namespaces/mask": "userns_create\n", "policy/versions/v8": "yes\n" });
        fs.writeFileSync(path.join(root, "pinned"), "caps {mask {chown}\n}\n");
        const conf = path.join(root, "parser.conf");
        fs.writeFileSync(conf, `policy-features=${path.join(root, "pinned")}\n`);
        const state = path.join(root, "state");
        fs.mkdirSync(state, { mode: 0o700 });
        return { root, secfs: root, conf, cache: path.join(state, "abi-facts") };
    }

    it("the first run keeps the facts (root only), the next takes them from the file", () => {
        const { secfs, conf, cache } = setup();
        if (!asRoot) return notKept(secfs, conf, cache);
        const first = cached(secfs, conf, cache);
        assert.deepStrictEqual(first.abi, abiFacts(secfs, conf), "the same facts as abi_facts");
        const lines = fs.readFileSync(cache, "utf8").split("\n");
        assert.strictEqual(lines.length, 4, "fingerprint, version, facts, end");
        assert.match(lines[0], /^v1 [0-9a-f-]{36} /);
        assert.strictEqual(fs.statSync(cache).mode & 0o777, 0o600);
        assert.deepStrictEqual(cached(secfs, conf, cache).abi, first.abi);
        plant(cache);
        const again = cached(secfs, conf, cache);
        assert.strictEqual(again.abi.kernel, "from-the-cache");
        assert.strictEqual(again.version, "9.9.9");
    });

    it("a changed parser config, pinned file, security fs path or an unmounted security fs is read afresh", () => {
        const { root, secfs, conf, cache } = setup();
        if (!asRoot) return notKept(secfs, conf, cache);
        cached(secfs, conf, cache);
        plant(cache);
        fs.writeFileSync(path.join(root, "pinned"), "caps {mask {chown fowner}\n}\n");
        const pinned = cached(secfs, conf, cache).abi;
        assert.notStrictEqual(pinned.kernel, "from-the-cache");
        const pins = pinned.parserConf as Record<string, { features: string[] }>;
        assert.ok(pins.policy.features.includes("caps/mask/fowner"), "the new pinned feature");
        plant(cache);
        fs.appendFileSync(conf, "write-cache\n");
        assert.notStrictEqual(cached(secfs, conf, cache).abi.kernel, "from-the-cache");
        plant(cache);
        // securityfs unmounted: its features directory is gone
        fs.renameSync(path.join(secfs, "features"), path.join(secfs, "features.gone"));
        const gone = cached(secfs, conf, cache).abi;
        assert.notStrictEqual(gone.kernel, "from-the-cache");
        assert.deepStrictEqual(gone.features, []);
        fs.renameSync(path.join(secfs, "features.gone"), path.join(secfs, "features"));
        plant(cache);
        const other = tree({ "namespaces/mask": "userns_create\n" });
        const o = cached(other, conf, cache).abi;
        assert.notStrictEqual(o.kernel, "from-the-cache");
        assert.deepStrictEqual(o, abiFacts(other, conf));
    });

    it("a cache that is a symlink, or a missing directory: facts read afresh, nothing written", () => {
        const { root, secfs, conf, cache } = setup();
        const planted = path.join(root, "planted");
        fs.writeFileSync(planted, "x\n9.9.9\n" + marker + "\n");
        fs.symlinkSync(planted, cache);
        assert.notStrictEqual(cached(secfs, conf, cache).abi.kernel, "from-the-cache");
        assert.strictEqual(fs.readFileSync(planted, "utf8"), "x\n9.9.9\n" + marker + "\n");
        const missing = path.join(root, "no-such-dir", "abi-facts");
        assert.deepStrictEqual(cached(secfs, conf, missing).abi, abiFacts(secfs, conf));
        assert.ok(!fs.existsSync(path.dirname(missing)));
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
        [
            "a pinned policy feature set",
            { ...good, parserConf: { policy: { path: "/usr/share/f", features: ["file"] } } },
            true,
        ],
        ["an unknown pin", { ...good, parserConf: { x: { path: "/f", features: [] } } }, false],
        [
            "a relative pin path",
            { ...good, parserConf: { kernel: { path: "f", features: [] } } },
            false,
        ],
        ["a pin without features", { ...good, parserConf: { policy: { path: "/f" } } }, false],
    ];
    for (const [what, v, ok] of table)
        it(`${what} → ${ok ? "accepted" : "refused"}`, () => {
            const r = parseHostAbi(v);
            assert.strictEqual(r !== undefined, ok);
            if (ok) assert.deepStrictEqual(r, v);
        });
});
