/**
 * apparmor-production-enforce (resource policy on HostProfiles) and
 * apparmor-production-verify-confinement (stack policy) over tables of stacks and configs.
 */
import * as assert from "assert";
import { productionEnforce, productionVerifyConfinement } from "../../../src/policy";
import {
    isUnknownValueError,
    runResourcePolicy,
    runStackPolicy,
    UNKNOWN_STRING,
    urnOf,
    type MockResource,
} from "./harness";
import { profile, profiledContainer } from "./stacks";

/** [label, stack name, project, config, mode, expected violations]. */
const modeTable: [string, string, string, object, string, number][] = [
    ["prod, enforce", "prod", "app", {}, "enforce", 0],
    ["prod, complain", "prod", "app", {}, "complain", 1],
    ["prod-eu matches prod*", "prod-eu", "app", {}, "complain", 1],
    ["production matches prod*", "production", "app", {}, "complain", 1],
    ["dev is not production", "dev", "app", {}, "complain", 0],
    ["staging is not production", "staging", "app", {}, "complain", 0],
    ["preprod does not match prod*", "preprod", "app", {}, "complain", 0],
    ["Prod: patterns are case-sensitive", "Prod", "app", {}, "complain", 0],
    ["custom pattern *-prod", "eu-prod", "app", { productionStacks: ["*-prod"] }, "complain", 1],
    [
        "custom pattern replaces the default",
        "prod",
        "app",
        { productionStacks: ["*-prod"] },
        "complain",
        0,
    ],
    ["several patterns", "live", "app", { productionStacks: ["prod*", "live"] }, "complain", 1],
    ["? pattern", "prod1", "app", { productionStacks: ["prod?"] }, "complain", 1],
    ["? needs one character", "prod", "app", { productionStacks: ["prod?"] }, "complain", 0],
    [
        "PROJECT/STACK pattern, same project",
        "prod",
        "shop",
        { productionStacks: ["shop/prod*"] },
        "complain",
        1,
    ],
    [
        "PROJECT/STACK pattern, other project",
        "prod",
        "blog",
        { productionStacks: ["shop/prod*"] },
        "complain",
        0,
    ],
    ["*/prod: any project", "prod", "blog", { productionStacks: ["*/prod"] }, "complain", 1],
    ["no production stacks at all", "prod", "app", { productionStacks: [] }, "complain", 0],
    [
        "enforce in a custom production stack",
        "live",
        "app",
        { productionStacks: ["live"] },
        "enforce",
        0,
    ],
];

describe("policy: apparmor-production-enforce", () => {
    for (const [label, stack, project, config, mode, count] of modeTable) {
        it(label, async () => {
            const all = profile("secure", "web", { vm: "root@10.0.0.5:22" }, { mode });
            const v = await runResourcePolicy(
                productionEnforce,
                all[1],
                config,
                { stack, project },
                all,
            );
            assert.strictEqual(v.length, count, JSON.stringify(v));
            if (count)
                assert.match(
                    v[0].message,
                    new RegExp(
                        `^Profile "secure" loads AppArmor profile "web" in "complain" mode on root@10\\.0\\.0\\.5:22 \\(host "vm"\\) in production stack "${stack}".*\\nFix: set mode: "enforce"`,
                        "s",
                    ),
                );
        });
    }

    it("a host's mode override is caught on that host only", async () => {
        const all = profile(
            "secure",
            "web",
            { a: "root@a:22", b: "root@b:22" },
            { modes: { b: "complain" } },
        );
        const counts = [];
        for (const hp of all.slice(1))
            counts.push(
                (await runResourcePolicy(productionEnforce, hp, {}, { stack: "prod" }, all)).length,
            );
        assert.deepStrictEqual(counts, [0, 1]);
    });

    it("ignores other resource types", async () => {
        const c = profiledContainer("app", {
            profileName: "web",
            hostProfile: "x",
            target: "root@a:22",
            dockerHost: "ssh://a",
        });
        for (const r of c)
            assert.deepStrictEqual(
                await runResourcePolicy(productionEnforce, r, {}, { stack: "prod" }),
                [],
            );
    });

    it("preview with an unknown mode: @pulumi/policy's UnknownValueError", async () => {
        const all = profile("secure", "web", { vm: "root@a:22" }, { mode: UNKNOWN_STRING });
        await assert.rejects(
            runResourcePolicy(productionEnforce, all[1], {}, { stack: "prod" }, all),
            (e) => isUnknownValueError(e),
        );
    });
});

describe("policy: apparmor-production-verify-confinement", () => {
    const secure = profile("secure", "web", { vm: "root@10.0.0.5:22" });
    const pc = (name: string, verifyConfinement: boolean) =>
        profiledContainer(name, {
            profileName: "web",
            hostProfile: "secure-vm",
            target: "root@10.0.0.5:22",
            dockerHost: "ssh://root@10.0.0.5",
            verifyConfinement,
        });
    // [label, stack, stack name, config, violating ProfiledContainers]
    const table: [string, MockResource[], string, object, string[]][] = [
        ["prod, verifyConfinement on", [...secure, ...pc("app", true)], "prod", {}, []],
        ["prod, verifyConfinement off", [...secure, ...pc("app", false)], "prod", {}, ["app"]],
        ["dev, verifyConfinement off", [...secure, ...pc("app", false)], "dev", {}, []],
        [
            "two containers, one off",
            [...secure, ...pc("a", true), ...pc("b", false)],
            "prod-eu",
            {},
            ["b"],
        ],
        [
            "two containers, both off",
            [...secure, ...pc("a", false), ...pc("b", false)],
            "prod",
            {},
            ["a", "b"],
        ],
        [
            "custom productionStacks",
            [...secure, ...pc("app", false)],
            "live",
            { productionStacks: ["live"] },
            ["app"],
        ],
        [
            "custom productionStacks, other stack",
            [...secure, ...pc("app", false)],
            "prod",
            { productionStacks: ["live"] },
            [],
        ],
        ["no ProfiledContainer", [...secure], "prod", {}, []],
        [
            "PROJECT/STACK pattern",
            [...secure, ...pc("app", false)],
            "prod",
            { productionStacks: ["app/prod"] },
            ["app"],
        ],
        [
            "PROJECT/STACK pattern, other project",
            [...secure, ...pc("app", false)],
            "prod",
            { productionStacks: ["shop/prod"] },
            [],
        ],
        [
            "inside a user's component",
            [
                ...secure,
                { type: "my:index:Service", name: "svc" },
                ...pc("app", false).map((r) => (r.parent ? r : { ...r, parent: "svc" })),
            ],
            "prod",
            {},
            ["app"],
        ],
        [
            "inside a user's component, verifyConfinement on",
            [
                ...secure,
                { type: "my:index:Service", name: "svc" },
                ...pc("app", true).map((r) => (r.parent ? r : { ...r, parent: "svc" })),
            ],
            "prod",
            {},
            [],
        ],
    ];
    for (const [label, stack, stackName, config, want] of table) {
        it(label, async () => {
            const v = await runStackPolicy(productionVerifyConfinement, stack, config, {
                stack: stackName,
            });
            assert.deepStrictEqual(
                v.map((x) => x.urn),
                want.map((n) =>
                    urnOf(stack.find((r) => r.name === n)!, stack, { stack: stackName }),
                ),
            );
            for (const x of v)
                assert.match(
                    x.message,
                    /^ProfiledContainer "\w+" in production stack "[\w-]+" has verifyConfinement turned off.*\nFix: remove verifyConfinement: false/s,
                );
        });
    }
});
