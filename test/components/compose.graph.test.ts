/**
 * ComposeProject's resource graph with `pulumi.runtime.setMocks` (no engine, no host): the
 * deployment it creates, its inputs (the rewritten file, each service's profile, the connection as a
 * secret) and the preview-time errors naming resource, field and fix. Ordering and behaviour on a
 * real host: `engine.compose.vm.test.ts`.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

interface Created {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}
const created: Created[] = [];
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function fakeOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    if (args.type === "pulumi-nodejs:dynamic/apparmor:HostProfile")
        return { ...args.inputs, denials: { lost: 0, byVersion: {} }, drift: [] };
    if (args.type === "pulumi-nodejs:dynamic/apparmor:HostKey")
        return { ...args.inputs, key: "ssh-ed25519 AAAA", fingerprint: "SHA256:fake" };
    return args.inputs;
}

async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const TEXT = `services:
  web:
    image: nginx
    security_opt: ["apparmor=other", "no-new-privileges:true"]
  worker:
    image: busybox
`;

describe("components: ComposeProject graph (setMocks)", function () {
    this.timeout(180_000); // the first import of the package under ts-node, on a loaded machine
    let apparmor: typeof import("../../src");
    const host = { host: "10.0.0.5", privateKey: "k", name: "h1" };
    const profile = (name: string, hosts = [host]) =>
        new apparmor.Profile(name, {
            hosts,
            profile: apparmor.dockerDefault({ name }),
            prepareHosts: false,
        });

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: fakeOutputs(args) };
                },
                call: (args) => args.inputs,
            },
            "project",
            "stack",
            true,
        );
        apparmor = await import("../../src");
    });
    beforeEach(() => (created.length = 0));

    it("creates one ComposeDeployment (NAME-deployment) with the rewritten file and each service's profile", async () => {
        new apparmor.ComposeProject("shop", {
            composeText: TEXT,
            profiles: { web: profile("pa-web") },
            profile: profile("pa-any"),
        });
        await settle();
        const d = created.filter(
            (c) => c.type === "pulumi-nodejs:dynamic/apparmor:ComposeDeployment",
        );
        assert.deepStrictEqual(
            d.map((c) => c.name),
            ["shop-deployment"],
        );
        const i = d[0].inputs;
        assert.strictEqual(i.project, "shop");
        assert.strictEqual((i.connection as Record<string, unknown>)[SIG_KEY], SECRET_SIG);
        assert.deepStrictEqual(i.services, {
            web: { profileName: "pa-web", mode: "enforce" },
            worker: { profileName: "pa-any", mode: "enforce" },
        });
        const file = parse(String(i.file));
        assert.deepStrictEqual(file.services.web.security_opt, [
            "no-new-privileges:true",
            "apparmor=pa-web",
        ]);
        assert.deepStrictEqual(file.services.worker.security_opt, ["apparmor=pa-any"]);
    });

    const bad: [string, () => unknown, RegExp][] = [
        [
            "privileged service",
            () =>
                new apparmor.ComposeProject("p1", {
                    composeText: "services:\n  a: {image: x, privileged: true}\n",
                    profile: profile("pa-a"),
                }),
            /apparmor:index:ComposeProject "p1": invalid arguments:\n {2}- composeText\.services\.a\.privileged: .*\(fix: remove privileged/,
        ],
        [
            "unknown service in the map",
            () =>
                new apparmor.ComposeProject("p2", {
                    composeText: "services:\n  a: {image: x}\n",
                    profiles: { a: profile("pa-b"), nope: profile("pa-c") },
                }),
            /- profiles\.nope: no service "nope"/,
        ],
        [
            "unknown profile host",
            () =>
                new apparmor.ComposeProject("p3", {
                    composeText: "services:\n  a: {image: x}\n",
                    profile: profile("pa-d"),
                    host: "h9",
                }),
            /- profile: the profile has no host "h9" \(its hosts: h1\)/,
        ],
        [
            "both file and text",
            () =>
                new apparmor.ComposeProject("p4", {
                    composeText: "services:\n  a: {image: x}\n",
                    composeFile: "/nonexistent.yml",
                    profile: profile("pa-e"),
                }),
            /- composeFile: Only one of \[composeFile\] and \[composeText\]/,
        ],
        [
            "missing file",
            () =>
                new apparmor.ComposeProject("p5", {
                    composeFile: "/nonexistent/compose.yml",
                    profile: profile("pa-f"),
                }),
            /- composeFile: cannot read \/nonexistent\/compose\.yml/,
        ],
        [
            "bad project name",
            () =>
                new apparmor.ComposeProject("p6", {
                    composeText: "services:\n  a: {image: x}\n",
                    profile: profile("pa-g"),
                    projectName: "Shop",
                }),
            /- projectName: .*lowercase/,
        ],
    ];
    for (const [what, f, re] of bad)
        it(`refuses ${what} at preview, naming resource, field and fix`, () => {
            assert.throws(f, re);
        });
});
