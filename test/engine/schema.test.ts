/**
 * The component provider's schema (issue #14) is reviewed: `pulumi package get-schema provider/`,
 * run live on the real engine, must equal `provider/schema.json`, so an API change of the
 * multi-language surface shows up in review as a change of that file.
 */
import * as assert from "assert";
import * as fs from "fs";
import { liveSchema, SCHEMA_FILE } from "../support/schema";

/** The first differing line of two texts, for the failure message. */
function firstDifference(a: string, b: string): string {
    const al = a.split("\n");
    const bl = b.split("\n");
    for (let i = 0; i < Math.max(al.length, bl.length); i++)
        if (al[i] !== bl[i])
            return `line ${i + 1}: reviewed ${JSON.stringify(al[i])}, live ${JSON.stringify(bl[i])}`;
    return "none";
}

describe("component provider schema (engine)", function () {
    this.timeout(300_000);

    it("pulumi package get-schema provider/ equals the reviewed provider/schema.json", async () => {
        const { text, ms } = await liveSchema();
        process.stderr.write(`get-schema took ${ms} ms\n`);
        const reviewed = fs.readFileSync(SCHEMA_FILE, "utf8");
        assert.ok(
            text === reviewed,
            `provider/schema.json differs from the live schema (first difference: ` +
                `${firstDifference(reviewed, text)}); if the change is intended, run ` +
                "`npm run schema` to update it and review the diff",
        );
        const schema = JSON.parse(text);
        assert.strictEqual(schema.name, "apparmor");
        assert.deepStrictEqual(Object.keys(schema.resources).sort(), [
            "apparmor:index:Profile",
            "apparmor:index:ProfiledContainer",
        ]);
        // JSDoc reaches the schema: every input of both components has a description ending in
        // its default (or saying it is required).
        const resources = schema.resources as Record<
            string,
            { inputProperties: Record<string, { description?: string }> }
        >;
        for (const [token, r] of Object.entries(resources))
            for (const [k, p] of Object.entries(r.inputProperties))
                assert.match(
                    p.description ?? "",
                    /(Defaults to .*|Required.*)\.$/s,
                    `${token}.${k} has no description ending in its default`,
                );
    });
});
