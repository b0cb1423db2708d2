/**
 * The component provider's own CRUD side (src/components/pluginProvider.ts) and the registration
 * switch (src/components/pluginServed.ts): the type read from a URN, secrets unwrapped at any depth
 * as the dynamic provider gets them, an unknown type refused naming the types served, and the
 * resources registered as dynamic ones unless the plugin serves them.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    pluginResourceProvider,
    rewrapSecrets,
    unwrapSecrets,
    urnType,
} from "../../../src/components/pluginProvider";
import {
    pluginResource,
    pluginResourceType,
    pluginServesResources,
} from "../../../src/components/pluginServed";

const secret = (value: unknown) => ({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
    value,
});

describe("pluginProvider: urnType", () => {
    const cases: [string, string | RegExp][] = [
        [
            "urn:pulumi:dev::proj::apparmor:index:HostProfile::secure-vm",
            "apparmor:index:HostProfile",
        ],
        [
            "urn:pulumi:dev::proj::apparmor:index:Profile$apparmor:index:HostProfile::secure-vm",
            "apparmor:index:HostProfile",
        ],
        [
            "urn:pulumi:dev::proj::pulumi:pulumi:Stack$apparmor:index:ProfiledContainer$apparmor:index:Confinement::web::x",
            "apparmor:index:Confinement",
        ],
        ["urn:pulumi:dev::proj::apparmor:index:HostProfile", /not a resource URN/],
        ["apparmor:index:HostProfile", /not a resource URN/],
        ["", /not a resource URN/],
    ];
    for (const [urn, want] of cases) {
        it(JSON.stringify(urn), () => {
            if (typeof want === "string") assert.strictEqual(urnType(urn), want);
            else assert.throws(() => urnType(urn), want);
        });
    }
});

describe("pluginProvider: unwrapSecrets", () => {
    const cases: [string, unknown, unknown][] = [
        [
            "plain values unchanged",
            { a: 1, b: "x", c: null, d: [true] },
            { a: 1, b: "x", c: null, d: [true] },
        ],
        ["a secret at the top", secret("k"), "k"],
        [
            "a secret object (the connection)",
            { connection: secret({ host: "h", privateKey: "K" }), target: "u@h:22" },
            { connection: { host: "h", privateKey: "K" }, target: "u@h:22" },
        ],
        ["secrets inside a secret", secret({ a: secret("x") }), { a: "x" }],
        ["secrets in arrays", { l: [secret(1), { m: secret([2]) }] }, { l: [1, { m: [2] }] }],
        [
            "an unknown stays unknown",
            { x: pulumi.runtime.unknownValue },
            { x: pulumi.runtime.unknownValue },
        ],
    ];
    for (const [name, input, want] of cases) {
        it(name, () => assert.deepStrictEqual(unwrapSecrets(input), want));
    }
});

describe("pluginProvider: rewrapSecrets", () => {
    const conn = { host: "h", privateKey: "K" };
    const cases: [string, unknown, unknown, unknown][] = [
        [
            "a property sent secret goes back secret",
            { connection: conn, target: "t" },
            { connection: secret(conn), target: "t" },
            { connection: secret(conn), target: "t" },
        ],
        [
            "a property holding a secret inside goes back secret whole",
            { connection: conn },
            { connection: { host: "h", privateKey: secret("K") } },
            { connection: secret(conn) },
        ],
        ["plain stays plain", { a: 1, b: [2] }, { a: 1, b: [2] }, { a: 1, b: [2] }],
        ["new properties stay plain", { label: "x" }, { connection: secret(conn) }, { label: "x" }],
        [
            "already secret is not wrapped twice",
            { connection: secret(conn) },
            { connection: secret(conn) },
            { connection: secret(conn) },
        ],
        ["undefined result", undefined, { connection: secret(conn) }, undefined],
        [
            "undefined property",
            { connection: undefined },
            { connection: secret(conn) },
            { connection: undefined },
        ],
    ];
    for (const [name, result, sent, want] of cases) {
        it(name, () => assert.deepStrictEqual(rewrapSecrets(result, sent), want));
    }
    it("round trip: unwrap then rewrap gives back what was sent", () => {
        const sent = { connection: secret(conn), target: "t", drift: [] };
        assert.deepStrictEqual(rewrapSecrets(unwrapSecrets(sent), sent), sent);
    });
});

describe("pluginProvider: dispatch", () => {
    it("refuses a type it does not serve, naming the ones it serves", async () => {
        await assert.rejects(
            async () =>
                pluginResourceProvider.create("urn:pulumi:s::p::apparmor:index:Nope::n", {}),
            (e: Error) =>
                e.message.includes('"apparmor:index:Nope"') &&
                e.message.includes(pluginResourceType("HostProfile")) &&
                e.message.includes(pluginResourceType("ComposeDeployment")),
        );
    });
});

describe("pluginServed: registration switch", () => {
    it("a Node.js program registers dynamic resources (the plugin serves nothing)", () => {
        assert.strictEqual(pluginServesResources(), false);
        assert.strictEqual(pluginResource("HostProfile", "n", {}, undefined), undefined);
    });
    it("the plugin's type tokens are apparmor:index:TYPE", () => {
        assert.strictEqual(pluginResourceType("Confinement"), "apparmor:index:Confinement");
    });
});
