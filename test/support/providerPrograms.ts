/**
 * Shared pieces of the engine tests whose programs use the component provider (`provider/`) from
 * another language: the Pulumi.yaml block pinning the engine's provider plugins, and the check that
 * a bad argument fails with the TypeScript component's own error.
 */
import * as assert from "assert";
import * as fs from "fs";
import { argsError, validateProfileArgs } from "../../src/components/profile";
import { engine, engineBinDir } from "./engine";
import { secureProfile, type VmContext } from "./vmStack";

/**
 * Pulumi.yaml lines (`plugins: providers: …`) pinning every provider plugin of the source build's
 * bin folder (not the dynamic-provider launcher) to that folder; none with a Pulumi from PATH (its
 * own plugin discovery).
 */
export function pinnedPluginLines(): string[] {
    if (engine().layout === "own") return [];
    const names = fs
        .readdirSync(engineBinDir())
        .filter((f) => f.startsWith("pulumi-resource-") && f !== "pulumi-resource-pulumi-nodejs")
        .map((f) => f.slice("pulumi-resource-".length));
    if (names.length === 0) return [];
    const dir = JSON.stringify(engineBinDir());
    return [
        "plugins:",
        "  providers:",
        ...names.map((n) => `    - name: ${n}\n      path: ${dir}`),
    ];
}

/**
 * Asserts that `text` (a failed preview's output) holds every line of the error the TypeScript
 * `Profile` "secure" gives for `directory: "/tmp/x"` (resource, field, fix).
 */
export function assertBadDirectoryError(text: string, ctx: VmContext, profileName: string): void {
    const expected = argsError(
        "apparmor:index:Profile",
        "secure",
        validateProfileArgs({
            hosts: [ctx.host({ docker: true })],
            profile: secureProfile(profileName),
            mode: "enforce",
            prepareHosts: false,
            directory: "/tmp/x",
        }),
    ).message;
    assert.match(expected, /directory: /);
    for (const line of expected.split("\n"))
        assert.ok(text.includes(line.trim()), `missing "${line}" in:\n${text}`);
}
