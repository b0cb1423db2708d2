/**
 * The `labels` host script (src/host/labels.ts, labels.sh) without a VM: command and ID validation,
 * the strict result parser, docker's resolution of an ID, and the script itself under dash with a
 * stand-in `docker` (root check bypassed): one inspect for all IDs, each entry's JSON escaped.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    containerLabelOf,
    HostScriptError,
    hostScriptDir,
    labelsCommand,
    parseLabels,
    validateContainerId,
    type ContainerLabel,
    type LabelsResult,
} from "../../../src/host";

const A = "a".repeat(64);
const B = "b".repeat(64);
const AB = `ab${"0".repeat(62)}`;

function out(line: string) {
    return { stdout: `${line}\n`, stderr: "", exitCode: 0 };
}

describe("labels script: command and ID validation", () => {
    it("labelsCommand: the IDs as quoted words after pulumi-apparmor-labels", () => {
        const c = labelsCommand([A, "0123456789ab"], { sudo: true });
        assert.strictEqual(c.script, "labels");
        assert.ok(c.command.startsWith("sudo -n sh -c "));
        assert.ok(c.command.endsWith(` pulumi-apparmor-labels '${A}' '0123456789ab'`));
    });
    const ids: [string, string, boolean][] = [
        ["a full ID", A, true],
        ["a 12-digit prefix", "0123456789ab", true],
        ["11 digits", "0123456789a", false],
        ["65 digits", `${A}a`, false],
        ["upper case", A.toUpperCase(), false],
        ["a name", "web", false],
        ["shell", "0123456789ab'; reboot #", false],
        ["an option", "--format={{.Config}}", false],
        ["empty", "", false],
        ["a newline", `0123456789ab\n`, false],
    ];
    for (const [what, id, ok] of ids)
        it(`validateContainerId: ${what} → ${ok ? "accepted" : "refused"}`, () => {
            assert.strictEqual(validateContainerId(id) === undefined, ok);
            if (!ok) assert.throws(() => labelsCommand([A, id]), /invalid container id/);
        });
    it("labelsCommand refuses no IDs and more than 500", () => {
        assert.throws(() => labelsCommand([]), /1 to 500 ids/);
        assert.throws(() => labelsCommand(Array.from({ length: 501 }, () => A)), /1 to 500 ids/);
    });
});

describe("labels script: result parser", () => {
    it("parseLabels: every field as sent", () => {
        const r = parseLabels(
            out(
                `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${A}","name":"/web","pid":42,"label":"web (enforce)"},{"id":"${B}","name":"/db","pid":0,"label":""}]}`,
            ),
        );
        assert.deepStrictEqual(r, {
            ok: true,
            apparmor: { enabled: true },
            containers: [
                { id: A, name: "/web", pid: 42, label: "web (enforce)" },
                { id: B, name: "/db", pid: 0, label: "" },
            ],
        });
    });
    const broken: [string, string, string][] = [
        ["the script's own error", '{"ok":false,"error":"not-root","message":"x"}', "not-root"],
        ["no result line", "docker: command not found", "no-result"],
        [
            "enabled not a boolean",
            '{"ok":true,"apparmor":{"enabled":"Y"},"containers":[]}',
            "bad-output",
        ],
        ["no apparmor", '{"ok":true,"containers":[]}', "bad-output"],
        [
            "containers not a list",
            '{"ok":true,"apparmor":{"enabled":true},"containers":{}}',
            "bad-output",
        ],
        [
            "an ID that is no ID",
            '{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"x","name":"","pid":1,"label":""}]}',
            "bad-output",
        ],
        [
            "a negative pid",
            `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${A}","name":"","pid":-1,"label":""}]}`,
            "bad-output",
        ],
        [
            "a pid as text",
            `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${A}","name":"","pid":"1","label":""}]}`,
            "bad-output",
        ],
        [
            "a label not a string",
            `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${A}","name":"","pid":1,"label":null}]}`,
            "bad-output",
        ],
        [
            "a label of 5000 characters",
            `{"ok":true,"apparmor":{"enabled":true},"containers":[{"id":"${A}","name":"","pid":1,"label":"${"x".repeat(5000)}"}]}`,
            "bad-output",
        ],
    ];
    for (const [what, line, code] of broken)
        it(`parseLabels: ${what} → HostScriptError ${code}`, () =>
            assert.throws(
                () => parseLabels(out(line)),
                (e: unknown) =>
                    e instanceof HostScriptError && e.script === "labels" && e.code === code,
            ));

    const found: LabelsResult = {
        ok: true,
        apparmor: { enabled: true },
        containers: [
            { id: A, name: "/web", pid: 10, label: "web (enforce)\n" },
            { id: B, name: `/${"a".repeat(12)}`, pid: 0, label: "" },
            { id: AB, name: "/x", pid: 11, label: "unconfined" },
        ],
    };
    const resolved: [string, string, ContainerLabel][] = [
        ["the full ID", A, { state: "running", label: "web (enforce)" }],
        ["a unique prefix", "ab0000000000", { state: "running", label: "unconfined" }],
        ["a name before a prefix (docker's order)", "a".repeat(12), { state: "stopped" }],
        ["a prefix of a stopped container", "b".repeat(12), { state: "stopped" }],
        ["an ID not found", "c".repeat(64), { state: "missing" }],
        ["a prefix of nothing", "abc000000000", { state: "missing" }],
    ];
    for (const [what, ref, want] of resolved)
        it(`containerLabelOf: ${what}`, () =>
            assert.deepStrictEqual(containerLabelOf(found, ref), want));
    it("containerLabelOf: a prefix of two found containers is missing (ambiguous)", () => {
        const two: LabelsResult = {
            ...found,
            containers: [
                { id: `cc${"1".repeat(62)}`, name: "/p", pid: 1, label: "p (enforce)" },
                { id: `cc${"2".repeat(62)}`, name: "/q", pid: 2, label: "q (enforce)" },
            ],
        };
        assert.deepStrictEqual(containerLabelOf(two, `cc${"1".repeat(10)}`), {
            state: "running",
            label: "p (enforce)",
        });
        assert.deepStrictEqual(containerLabelOf(two, "cc0000000000"), { state: "missing" });
        assert.deepStrictEqual(
            containerLabelOf(
                { ...two, containers: [...two.containers, two.containers[0]] },
                "cc1111111111",
            ),
            {
                state: "running",
                label: "p (enforce)",
            },
        );
    });
});

describe("labels script under dash with a stand-in docker (root check bypassed)", function () {
    this.timeout(30_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-labels-"));
    const argsFile = path.join(tmp, "args");
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** labels.sh after lib.sh, with `is_root` true and `docker` from `tmp` printing `lines`. */
    function run(lines: string[], ids: string[], dockerExit = 0) {
        fs.writeFileSync(
            path.join(tmp, "docker"),
            `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\ncat ${path.join(tmp, "lines")}\nexit ${dockerExit}\n`,
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(tmp, "lines"), lines.map((l) => `${l}\n`).join(""));
        const dir = hostScriptDir();
        const text = [
            fs.readFileSync(path.join(dir, "lib.sh"), "utf8"),
            "is_root() { return 0; }",
            `PATH=${tmp}:$PATH`,
            fs.readFileSync(path.join(dir, "labels.sh"), "utf8"),
        ].join("\n");
        return spawnSync("sh", ["-c", text, "pulumi-apparmor-labels", ...ids], {
            encoding: "utf8",
        });
    }

    /** What the script reads for a live process: the first line of its attr/current, or unconfined. */
    function labelOf(pid: number): string {
        try {
            return (
                fs.readFileSync(`/proc/${pid}/attr/current`, "utf8").split("\n")[0] || "unconfined"
            );
        } catch {
            return "unconfined";
        }
    }

    it("one docker inspect for all IDs; per container its pid's label; names escaped; junk lines skipped", () => {
        const C = "c".repeat(64);
        const D = "d".repeat(64);
        const r = run(
            [
                `${A} 0 /stopped`,
                `${B} ${process.pid} /live`,
                `${C} 2147483647 /gone`,
                `${D} ${process.pid} /we"ird\\na\x01me`,
                "Error: No such container: eeeeeeeeeeee",
                `${A.toUpperCase()} 1 /upper`,
                `${A} x /nopid`,
            ],
            [A, B, C, D, "eeeeeeeeeeee"],
            1, // docker exits 1 when one of the IDs is unknown: not an error
        );
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.deepStrictEqual(fs.readFileSync(argsFile, "utf8").split("\n").slice(0, -1), [
            "inspect",
            "--type",
            "container",
            "-f",
            "{{.Id}} {{.State.Pid}} {{.Name}}",
            A,
            B,
            C,
            D,
            "eeeeeeeeeeee",
        ]);
        const res = parseLabels({ stdout: r.stdout, stderr: r.stderr, exitCode: r.status });
        const mine = labelOf(process.pid);
        assert.deepStrictEqual(res.containers, [
            { id: A, name: "/stopped", pid: 0, label: "" },
            { id: B, name: "/live", pid: process.pid, label: mine },
            { id: C, name: "/gone", pid: 2147483647, label: "unconfined" },
            { id: D, name: '/we"ird\\name', pid: process.pid, label: mine },
        ]);
        const enabled = (() => {
            try {
                return fs
                    .readFileSync("/sys/module/apparmor/parameters/enabled", "utf8")
                    .startsWith("Y");
            } catch {
                return false;
            }
        })();
        assert.strictEqual(res.apparmor.enabled, enabled);
        assert.deepStrictEqual(containerLabelOf(res, "eeeeeeeeeeee"), { state: "missing" });
        assert.deepStrictEqual(containerLabelOf(res, A), { state: "stopped" });
    });

    it("docker printing nothing (not installed, not answering): no containers, still ok", () => {
        const r = run([], [A]);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.deepStrictEqual(parseLabels({ stdout: r.stdout }).containers, []);
    });
});
