/**
 * `status` and `import` without a host: the inventory output's strict parser, the rows, orphans, the
 * table's escaping of host text, known_hosts pins, and the generated program (no key, host text only
 * in JSON literals and escaped comments).
 */
import * as assert from "assert";
import { createHash, createHmac } from "crypto";
import {
    parseInventory,
    inventoryCommand,
    type InventoryResult,
} from "../../../src/host/inventory";
import { HostScriptError } from "../../../src/host";
import {
    declaredProfiles,
    headerMode,
    inventoryRows,
    labelName,
    markOrphans,
    renderStatusTable,
    selectProfiles,
} from "../../../src/cli/inventoryView";
import { run as runStatus } from "../../../src/cli/status";
import { runCli } from "../../support/cliRun";
import { knownHostsPin, parseHostSpec } from "../../../src/cli/hostArgs";
import { identifierFor, importChoice, renderProgram } from "../../../src/cli/importProgram";
import { parseProfile, profileVersion } from "../../../src/profile";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const TEXT_A = "profile web {\n  file,\n}\n";
const TEXT_B = "profile db flags=(complain) {\n  file,\n}\n";
const S1 = "a".repeat(40);

function output(over: Record<string, unknown> = {}, texts = TEXT_A + TEXT_B): string {
    const head = {
        ok: true,
        apparmor: { enabled: true, securityfs: true, parser: true },
        dir: "/etc/apparmor.d/containers",
        docker: true,
        skipped: 0,
        loaded: [
            { name: "web", mode: "enforce" },
            { name: "db", mode: "complain" },
            { name: "ours", mode: "enforce" },
            { name: "ours//hat", mode: "enforce" },
        ],
        policies: [
            { name: "web", sha1: S1 },
            { name: "db", sha1: "b".repeat(40) },
        ],
        manifests: [
            {
                name: "ours",
                dir: "/etc/apparmor.d/containers",
                sha256: "c".repeat(64),
                mode: "enforce",
                policySha1: "",
                adopted: false,
            },
        ],
        files: [
            {
                name: "web",
                bytes: Buffer.byteLength(TEXT_A),
                sha256: sha256(TEXT_A),
                fileSha1: S1,
                compileError: "",
            },
            {
                name: "db",
                bytes: Buffer.byteLength(TEXT_B),
                sha256: sha256(TEXT_B),
                fileSha1: "c".repeat(40),
                compileError: "",
            },
        ],
        labels: [
            { label: "web (enforce)", processes: 2 },
            { label: "ours//hat (enforce)", processes: 1 },
            { label: "unconfined", processes: 90 },
        ],
        containers: [
            { id: "1".repeat(64), name: "w1", option: "web", label: "web (enforce)" },
            { id: "2".repeat(64), name: "d1", option: "db", label: "unconfined" },
        ],
        ...over,
    };
    return `${JSON.stringify(head)}\n${texts}`;
}

describe("cli: host inventory (status/import, pure)", () => {
    it("inventoryCommand runs the inventory script with a validated directory", () => {
        const c = inventoryCommand({ dir: "/etc/apparmor.d/containers", sudo: true });
        assert.match(
            c.command,
            /^sudo -n sh -c '.*' pulumi-apparmor-inventory '\/etc\/apparmor\.d\/containers'$/s,
        );
        assert.throws(() => inventoryCommand({ dir: "/tmp/x" }), /invalid directory/);
    });

    it("parseInventory reads the JSON line and each file's exact text", () => {
        const inv = parseInventory({ stdout: output() });
        assert.strictEqual(inv.files[0].text, TEXT_A);
        assert.strictEqual(inv.files[1].text, TEXT_B);
    });

    it("a file that is not UTF-8 (Latin-1 é in a comment and a path): exact bytes and sha256, no text; import refuses naming host, file and byte", () => {
        const latin1 = Buffer.from(
            '# caf\xe9\nprofile legacy {\n  "/srv/caf\xe9/**" r,\n}\n',
            "latin1",
        );
        const sha = createHash("sha256").update(latin1).digest("hex");
        const head = output(
            {
                loaded: [{ name: "legacy", mode: "complain" }],
                policies: [{ name: "legacy", sha1: S1 }],
                manifests: [],
                labels: [],
                containers: [],
                files: [
                    {
                        name: "legacy",
                        bytes: latin1.length,
                        sha256: sha,
                        fileSha1: S1,
                        compileError: "",
                    },
                ],
            },
            "",
        );
        const bytes = Buffer.concat([Buffer.from(head, "utf8"), latin1]);
        const inv = parseInventory({ stdout: bytes.toString("utf8"), stdoutBytes: bytes });
        const f = inv.files[0];
        assert.strictEqual(f.text, undefined);
        assert.ok(f.raw?.equals(latin1));
        assert.deepStrictEqual(f.notUtf8, { offset: 5, byte: 0xe9, line: 1, column: 6 });
        const [row] = inventoryRows(inv);
        assert.strictEqual(row.fileSha256, sha);
        assert.strictEqual(row.version, undefined);
        assert.strictEqual(
            row.versionError,
            "not valid UTF-8: byte 0xE9 at offset 5 (line 1, column 6)",
        );
        assert.strictEqual(row.policyMatchesFile, true);
        const c = importChoice(row, undefined, "root@10.0.0.5:22");
        assert.strictEqual(c.problems.length, 1);
        assert.match(
            c.problems[0],
            /^\/etc\/apparmor\.d\/containers\/legacy on root@10\.0\.0\.5:22 is not valid UTF-8: byte 0xE9 at offset 5 \(line 1, column 6\).*octal escape: a backslash followed by 351/,
        );
        // Decoded to a string on the way (the old transport), the bytes no longer match the hash.
        assert.throws(
            () => parseInventory({ stdout: bytes.toString("utf8") }),
            /does not match its sha256/,
        );
    });

    const bad: [string, string][] = [
        ["a text cut short", output({}, TEXT_A + TEXT_B.slice(0, 5))],
        ["bytes left over", output({}, TEXT_A + TEXT_B + "x")],
        ["a text not matching its sha256", output({}, TEXT_B + TEXT_A)],
        ["a mistyped field", output({ docker: "yes" })],
        ["a missing list", output({ loaded: undefined })],
        ["a malformed sha1", output({ policies: [{ name: "x", sha1: "zz" }] })],
        [
            "a container id that is not hex",
            output({ containers: [{ id: "x;rm", name: "a", option: "", label: "" }] }),
        ],
        [
            "a name beyond the bound",
            output({ loaded: [{ name: "n".repeat(5000), mode: "enforce" }] }),
        ],
        [
            "too many entries",
            output({
                labels: Array.from({ length: 20_001 }, () => ({ label: "x", processes: 1 })),
            }),
        ],
    ];
    for (const [what, stdout] of bad)
        it(`parseInventory refuses ${what}`, () => {
            assert.throws(
                () => parseInventory({ stdout }),
                (e: unknown) => e instanceof HostScriptError && e.code === "bad-output",
            );
        });

    it("rows: union of loaded, files and manifests; versions, modes, policy match, processes, containers", () => {
        const rows = inventoryRows(parseInventory({ stdout: output() }));
        assert.deepStrictEqual(
            rows.map((r) => r.name),
            ["db", "ours", "ours//hat", "web"],
        );
        const web = rows.find((r) => r.name === "web")!;
        assert.strictEqual(web.version, profileVersion(parseProfile(TEXT_A)));
        assert.strictEqual(web.managed, false);
        assert.strictEqual(web.policyMatchesFile, true);
        assert.strictEqual(web.processes, 2);
        assert.deepStrictEqual(
            web.containers.map((c) => c.name),
            ["w1"],
        );
        const db = rows.find((r) => r.name === "db")!;
        assert.strictEqual(db.policyMatchesFile, false);
        assert.strictEqual(db.fileMode, "complain");
        // started with db, but the kernel runs it unconfined: listed under db, with its label
        assert.deepStrictEqual(
            db.containers.map((c) => [c.name, c.label]),
            [["d1", "unconfined"]],
        );
        const ours = rows.find((r) => r.name === "ours")!;
        assert.strictEqual(ours.managed, true);
        assert.strictEqual(ours.processes, 1, "a child's processes count for the parent");
    });

    it("orphans: managed and declared by no stack export; other profiles never", () => {
        const rows = inventoryRows(parseInventory({ stdout: output() }));
        const exp = JSON.stringify({
            deployment: {
                resources: [
                    {
                        type: "pulumi-nodejs:dynamic/apparmor:HostProfile",
                        outputs: { profileName: "web" },
                    },
                ],
            },
        });
        const marked = markOrphans(rows, declaredProfiles(exp));
        assert.deepStrictEqual(
            marked.filter((r) => r.orphan).map((r) => r.name),
            ["ours"],
        );
        assert.deepStrictEqual(
            markOrphans(rows, new Set(["ours"])).filter((r) => r.orphan),
            [],
        );
        assert.throws(() => declaredProfiles("{}"), /stack export/);
        assert.throws(() => declaredProfiles("not json"), /not JSON/);
    });

    const selections: [string, string[], string[]][] = [
        ["no --profile: every row", [], ["db", "ours", "ours//hat", "web"]],
        ["one name", ["ours"], ["ours"]],
        ["two names, in row order", ["web", "db"], ["db", "web"]],
        ["a child is not selected by its parent", ["ours"], ["ours"]],
        ["a name not on the host", ["nothere"], []],
    ];
    for (const [what, names, want] of selections)
        it(`--profile selection: ${what}`, () => {
            const rows = inventoryRows(parseInventory({ stdout: output() }));
            assert.deepStrictEqual(
                selectProfiles(rows, names).map((r) => r.name),
                want,
            );
        });
    it("--profile limits the orphans to the named profiles", () => {
        const rows = selectProfiles(inventoryRows(parseInventory({ stdout: output() })), ["web"]);
        assert.deepStrictEqual(
            markOrphans(rows, new Set()).filter((r) => r.orphan),
            [],
            "ours is managed and undeclared, but not selected",
        );
    });

    const usage: [string, string[], RegExp][] = [
        ["--profile without a name", ["--profile"], /--profile needs a profile name/],
        [
            "--profile with a hostile name",
            ["--profile", "a;rm -rf /"],
            /--profile: profile name .* is not allowed/,
        ],
        ["--profile unconfined", ["--profile", "unconfined"], /--profile: "unconfined"/],
    ];
    for (const [what, extra, re] of usage)
        it(`status usage: ${what} → exit 2 before any connection`, async () => {
            const r = await runCli(runStatus, [
                "--host",
                "u@127.0.0.1:1",
                "--key",
                "/nonexistent",
                "--host-key",
                `SHA256:${"A".repeat(43)}`,
                ...extra,
            ]);
            assert.strictEqual(r.code, 2, r.stderr);
            assert.match(r.stderr, re);
        });

    it("the table escapes host text: a name cannot start a line or move the cursor", () => {
        const evil = "x\n\u001b[2Jroot (enforce)";
        const inv: InventoryResult = {
            ...parseInventory({ stdout: output() }),
            loaded: [{ name: evil, mode: "enforce" }],
        };
        const table = renderStatusTable(inventoryRows(inv), true);
        assert.ok(!table.includes("\u001b"), table);
        assert.strictEqual(table.split("\n").length, 2 + inventoryRows(inv).length, table);
        assert.match(table, /x\\n\\x1b\[2Jroot/);
    });

    it("labelName and headerMode", () => {
        assert.strictEqual(labelName("web (enforce)"), "web");
        assert.strictEqual(labelName("a b (complain)"), "a b");
        assert.strictEqual(labelName("unconfined"), "unconfined");
        assert.strictEqual(headerMode(TEXT_B, "db"), "complain");
        assert.strictEqual(headerMode(TEXT_A, "web"), "enforce");
        assert.strictEqual(headerMode("profile other {\n}\n", "web"), undefined);
    });

    it("known_hosts: plain, [host]:port and hashed entries; @revoked refuses; ed25519 preferred", () => {
        const ed =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7";
        assert.strictEqual(knownHostsPin(`h1 ${rsa}\nh1,h2 ${ed} c\n`, "h1", 22), ed);
        assert.strictEqual(knownHostsPin(`[127.0.0.1]:2222 ${ed}\n`, "127.0.0.1", 2222), ed);
        assert.strictEqual(knownHostsPin(`127.0.0.1 ${ed}\n`, "127.0.0.1", 2222), undefined);
        const salt = Buffer.from("0123456789abcdef0123");
        const hash = createHmac("sha1", salt).update("db.example").digest("base64");
        assert.strictEqual(
            knownHostsPin(`|1|${salt.toString("base64")}|${hash} ${ed}\n`, "db.example", 22),
            ed,
        );
        assert.throws(() => knownHostsPin(`@revoked h1 ${ed}\n`, "h1", 22), /revokes/);
    });

    it("--host USER@HOST[:PORT]", () => {
        assert.deepStrictEqual(parseHostSpec("deploy@10.0.0.5:2222"), {
            user: "deploy",
            host: "10.0.0.5",
            port: 2222,
        });
        assert.deepStrictEqual(parseHostSpec("h.example"), {
            user: "root",
            host: "h.example",
            port: 22,
        });
        assert.deepStrictEqual(parseHostSpec("u@[::1]:22"), { user: "u", host: "::1", port: 22 });
        assert.throws(() => parseHostSpec("u@-oProxyCommand=x"), /not a host name/);
        assert.throws(() => parseHostSpec("u;x@h"), /user/);
    });

    it("import: the program adopts each profile from its saved file, reads the key from secret config", () => {
        const rows = inventoryRows(parseInventory({ stdout: output() }));
        const web = importChoice(rows.find((r) => r.name === "web")!, TEXT_A);
        assert.deepStrictEqual(web.problems, []);
        assert.strictEqual(web.mode, "enforce");
        const ours = importChoice(rows.find((r) => r.name === "ours")!, TEXT_A);
        assert.match(ours.problems.join(), /already managed/);
        const attached = importChoice(
            rows.find((r) => r.name === "web")!,
            "profile web /usr/bin/x {\n}\n",
        );
        assert.ok(attached.problems.length > 0, "an attachment is not a container profile");
        const program = renderProgram(
            {
                host: "10.0.0.5",
                port: 22,
                user: "deploy",
                hostKey: "SHA256:abc",
                dir: "/etc/apparmor.d/containers",
                label: "deploy@10.0.0.5:22",
            },
            [
                web,
                ours,
                {
                    ...web,
                    row: {
                        ...web.row,
                        containers: [
                            { id: "1".repeat(64), name: "w1", label: "web (enforce)\n*/ evil();" },
                        ],
                    },
                },
            ],
            "2026-12-03T00:00:00Z",
        );
        assert.match(
            program,
            /const web = new Profile\("web", \{\n {4}hosts: \[host\],\n {4}profileFile: path\.join\(__dirname, "profiles", "web"\),\n {4}mode: "enforce",\n {4}directory: "\/etc\/apparmor\.d\/containers",\n {4}adopt: true,/,
        );
        assert.match(program, /privateKey: config\.requireSecret\("sshKey"\)/);
        assert.match(program, /\/\/ NOT adopted/);
        for (const line of program.split("\n"))
            assert.ok(
                !/evil\(\)/.test(line) || line.startsWith("//"),
                `host text outside a comment: ${line}`,
            );
        assert.strictEqual(identifierFor("web", new Set(["web"])), "web2");
        assert.strictEqual(identifierFor("1-db.x", new Set()), "p1DbX");
    });
});
