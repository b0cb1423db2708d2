/**
 * The translation of the component provider's schema-friendly arguments (src/components/schemaArgs.ts)
 * into the TypeScript components' own: the same profile text as the TypeScript builder, the same
 * validation errors, and the dockerDefault block's own problems named by field.
 */
import * as assert from "assert";
import { validateProfileArgs } from "../../../src/components/profile";
import {
    AuditDenies,
    containerArgsFromSchema,
    dockerDefaultRules,
    profileArgsFromSchema,
    ProfileMode,
    type ProfileSchemaArgs,
} from "../../../src/components/schemaArgs";
import { deny, toModel } from "../../../src/profile/builders";
import { dockerDefault } from "../../../src/profile/dockerDefault";
import { renderProfile } from "../../../src/profile/render";

const host = { host: "10.0.0.5", user: "deploy", name: "h1" };
const text = "profile p {\n  capability chown,\n}\n";

describe("schemaArgs: dockerDefaultRules", () => {
    const cases: {
        name: string;
        block: Parameters<typeof dockerDefaultRules>[0];
        rules?: string[];
        problems?: string[];
    }[] = [
        { name: "no extra rules", block: { name: "p" }, rules: [] },
        {
            name: "typed lists then text, in that order",
            block: {
                name: "p",
                denyFiles: [{ path: "/tmp/a/**", permissions: "rwlx" }],
                denyCapabilities: ["fsetid", "net_raw"],
                rules: "deny /etc/shadow r,\ncapability net_bind_service,",
            },
            rules: [
                "deny /tmp/a/** rwlx,",
                "deny capability fsetid net_raw,",
                "deny /etc/shadow r,",
                "capability net_bind_service,",
            ],
        },
        {
            name: "bad permission letters",
            block: { name: "p", denyFiles: [{ path: "/x", permissions: "rwq" }] },
            problems: ["dockerDefault.denyFiles[0]"],
        },
        {
            name: "rules text that does not parse",
            block: { name: "p", rules: "deny /x r" },
            problems: ["dockerDefault.rules"],
        },
        {
            name: "rules text closing the profile body",
            block: { name: "p", rules: "deny /x r,\n}\nprofile other {" },
            problems: ["dockerDefault.rules"],
        },
        {
            name: "an include in the rules text",
            block: { name: "p", rules: "#include <abstractions/nameservice>" },
            rules: ["include <abstractions/nameservice>"],
        },
    ];
    for (const c of cases)
        it(c.name, () => {
            const r = dockerDefaultRules(c.block);
            assert.deepStrictEqual(
                r.problems.map((p) => p.field),
                c.problems ?? [],
            );
            if (c.rules) {
                const text = renderProfile(toModel(dockerDefault({ name: "p" }).with(...r.rules)));
                for (const rule of c.rules) assert.ok(text.includes(rule), `${rule} in ${text}`);
            }
        });
});

describe("schemaArgs: profileArgsFromSchema", () => {
    it("a dockerDefault block renders as the TypeScript builder does", () => {
        const t = profileArgsFromSchema({
            hosts: [host],
            dockerDefault: {
                name: "secure",
                denyFiles: [{ path: "/tmp/a/**", permissions: "rwlx" }],
                denyCapabilities: ["fsetid"],
            },
            mode: ProfileMode.Complain,
            auditDenies: AuditDenies.All,
        });
        assert.deepStrictEqual(t.problems, []);
        const ts = dockerDefault({ name: "secure" }).with(
            deny.file("/tmp/a/**", "rwlx"),
            deny.capability("fsetid"),
        );
        assert.strictEqual(renderProfile(toModel(t.args.profile!)), renderProfile(toModel(ts)));
        assert.strictEqual(t.args.mode, "complain");
        assert.strictEqual(t.args.auditDenies, "all");
        assert.deepStrictEqual(t.args.hosts, [{ ...host, mode: undefined }]);
    });

    const same: { name: string; args: ProfileSchemaArgs; fields: string[] }[] = [
        { name: "nothing wrong", args: { hosts: [host], profileText: text }, fields: [] },
        { name: "no hosts", args: { hosts: [], profileText: text }, fields: ["hosts"] },
        { name: "no profile", args: { hosts: [host] }, fields: ["profile"] },
        {
            name: "directory outside /etc/apparmor.d",
            args: { hosts: [host], profileText: text, directory: "/tmp/x" },
            fields: ["directory"],
        },
        {
            name: "bad port",
            args: { hosts: [{ ...host, port: 70000 }], profileText: text },
            fields: ["hosts[0].port"],
        },
        {
            name: "a mode value no enum has",
            args: { hosts: [host], profileText: text, mode: "bogus" as ProfileMode },
            fields: ["mode"],
        },
    ];
    for (const c of same)
        it(`validated by the TypeScript validator: ${c.name}`, () => {
            const t = profileArgsFromSchema(c.args);
            assert.deepStrictEqual(t.problems, []);
            assert.deepStrictEqual(
                validateProfileArgs(t.args).map((p) => p.field),
                c.fields,
            );
        });

    it("a dockerDefault block without a name is a problem of the block", () => {
        const t = profileArgsFromSchema({
            hosts: [host],
            dockerDefault: { name: "" },
        });
        assert.deepStrictEqual(
            t.problems.map((p) => p.field),
            ["dockerDefault.name"],
        );
    });
});

describe("schemaArgs: containerArgsFromSchema", () => {
    it("passes the given fields and leaves the others out", () => {
        assert.deepStrictEqual(
            containerArgsFromSchema({ image: "nginx", ports: [{ internal: 80, external: 8080 }] }),
            { image: "nginx", ports: [{ internal: 80, external: 8080 }] },
        );
    });
});
