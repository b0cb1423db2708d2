/** The pack as shipped: its policies' metadata and config schemas, the ready folder, the import path. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { apparmorPolicies, POLICY_PACK_NAME } from "../../../src/policy";
import { packageRoot } from "../../../src/policy/pack";

const root = path.resolve(__dirname, "..", "..", "..");

describe("policy: the pack", () => {
    const policies = apparmorPolicies();

    it("has seven policies with unique apparmor-* names and documented levels", () => {
        assert.deepStrictEqual(
            policies.map((p) => [p.name, p.enforcementLevel]),
            [
                ["apparmor-container-confined", "mandatory"],
                ["apparmor-container-profile-managed", "mandatory"],
                ["apparmor-production-enforce", "mandatory"],
                ["apparmor-production-verify-confinement", "mandatory"],
                ["apparmor-profile-no-escape-hatches", "mandatory"],
                ["apparmor-profile-audit-denies", "advisory"],
                ["apparmor-compose-confined", "mandatory"],
            ],
        );
        assert.match(POLICY_PACK_NAME, /^[a-zA-Z0-9-_.]{1,100}$/);
    });

    for (const p of apparmorPolicies())
        it(`${p.name}: a config schema whose every key has a default and says it`, () => {
            assert.ok(p.description.length > 20);
            const props = Object.entries(p.configSchema?.properties ?? {});
            assert.ok(props.length > 0, "configurable");
            // @pulumi/policy refuses a schema that declares enforcementLevel itself.
            assert.ok(!props.some(([k]) => k === "enforcementLevel"));
            for (const [k, s] of props) {
                assert.ok(typeof s === "object" && s.default !== undefined, `${k} has a default`);
                assert.match(String(s.description), /Defaults to .+\.$/, `${k} says its default`);
            }
        });

    it("policy-pack/ is a ready Node.js pack serving these policies", () => {
        const yaml = fs.readFileSync(path.join(root, "policy-pack", "PulumiPolicy.yaml"), "utf8");
        assert.match(yaml, /^runtime: nodejs$/m);
        const entry = fs.readFileSync(path.join(root, "policy-pack", "index.js"), "utf8");
        assert.match(entry, /require\("\.\.\/dist\/src\/policy"\)/);
        assert.match(entry, /servePolicyPack\(apparmorPolicies\(\)\)/);
    });

    it("`pulumi-apparmor/policy` resolves to the policy module (types too), and is shipped", () => {
        assert.strictEqual(
            require.resolve(path.join(root, "policy")),
            path.join(root, "policy.js"),
        );
        assert.match(fs.readFileSync(path.join(root, "policy.d.ts"), "utf8"), /dist\/src\/policy/);
        const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
        for (const f of ["policy.js", "policy.d.ts", "policy-pack/"])
            assert.ok(pkg.files.includes(f), f);
        assert.strictEqual(pkg.dependencies["@pulumi/policy"], "1.21.0");
    });

    it("is served from the package root, so the pack's version is pulumi-apparmor's", () => {
        assert.strictEqual(packageRoot(), root);
        assert.strictEqual(packageRoot(path.join(root, "dist", "src", "policy")), root);
        assert.strictEqual(packageRoot("/"), undefined);
    });
});
