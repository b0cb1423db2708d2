import * as assert from "assert";
import {
    allow,
    audit,
    capability,
    changeProfile,
    comment,
    dbus,
    deny,
    file,
    hat,
    include,
    link,
    mount,
    network,
    owner,
    parsePermissions,
    pivotRoot,
    profile,
    ProfileBuilder,
    ptrace,
    raw,
    remount,
    rlimit,
    signal,
    toModel,
    umount,
    unix,
    variable,
    withRules,
} from "../../../src/profile/builders";
import { dockerDefault } from "../../../src/profile/dockerDefault";
import { rulesEqual, type PolicyDocument, type Profile } from "../../../src/profile/model";

describe("profile/builders: parsePermissions", () => {
    const ok: [string, unknown][] = [
        ["", { access: [] }],
        ["r", { access: ["r"] }],
        ["rw", { access: ["r", "w"] }],
        ["rwlx", { access: ["r", "w", "l"], exec: "x" }],
        ["rwklx", { access: ["r", "w", "k", "l"], exec: "x" }],
        ["mrix", { access: ["m", "r"], exec: "ix" }],
        ["rPx", { access: ["r"], exec: "Px" }],
        ["rpix", { access: ["r"], exec: "pix" }],
        ["PUx", { access: [], exec: "PUx" }],
        ["CUx", { access: [], exec: "CUx" }],
        ["cux", { access: [], exec: "cux" }],
        ["Cix", { access: [], exec: "Cix" }],
        ["ux", { access: [], exec: "ux" }],
        ["rr", { access: ["r"] }],
        ["a", { access: ["a"] }],
    ];
    for (const [input, want] of ok) {
        it(`parses ${JSON.stringify(input)}`, () => {
            assert.deepStrictEqual(parsePermissions(input), want);
        });
    }
    const bad: [string, RegExp][] = [
        ["rq", /unknown letter "q"/],
        ["r w", /unknown letter " "/],
        ["ixpx", /two exec modes/],
        ["pi", /must be followed by "x"/],
        ["ipx", /"ipx" is not an exec mode/],
        ["Ix", /unknown letter "I"/],
        ["r;", /unknown letter ";"/],
        ["p r", /unknown letter " "/],
        ["rp", /must be followed by "x"/],
        ["rw\n", /unknown letter/],
    ];
    for (const [input, want] of bad) {
        it(`rejects ${JSON.stringify(input)}`, () => {
            assert.throws(() => parsePermissions(input), want);
        });
    }
});

describe("profile/builders: rule helpers", () => {
    const cases: [string, unknown, unknown][] = [
        [
            'deny.file("/tmp/a/**", "rwlx")',
            deny.file("/tmp/a/**", "rwlx"),
            { kind: "file", deny: true, path: "/tmp/a/**", access: ["r", "w", "l"], exec: "x" },
        ],
        [
            'deny.capability("fsetid")',
            deny.capability("fsetid"),
            { kind: "capability", deny: true, capabilities: ["fsetid"] },
        ],
        ["capability()", capability(), { kind: "capability", capabilities: [] }],
        [
            'capability("chown", "bpf")',
            capability("chown", "bpf"),
            { kind: "capability", capabilities: ["chown", "bpf"] },
        ],
        [
            'audit.deny.file("/etc/shadow", "r")',
            audit.deny.file("/etc/shadow", "r"),
            { kind: "file", audit: true, deny: true, path: "/etc/shadow", access: ["r"] },
        ],
        [
            'deny.audit.file("/etc/shadow", "r")',
            deny.audit.file("/etc/shadow", "r"),
            { kind: "file", audit: true, deny: true, path: "/etc/shadow", access: ["r"] },
        ],
        [
            'owner.file("@{HOME}/**", "rw")',
            owner.file("@{HOME}/**", "rw"),
            { kind: "file", owner: true, path: "@{HOME}/**", access: ["r", "w"] },
        ],
        [
            'audit.owner.deny.file("/x", "w")',
            audit.owner.deny.file("/x", "w"),
            { kind: "file", audit: true, deny: true, owner: true, path: "/x", access: ["w"] },
        ],
        [
            'allow.file("/x", "r")',
            allow.file("/x", "r"),
            { kind: "file", allow: true, path: "/x", access: ["r"] },
        ],
        ["file()", file(), { kind: "file", access: [] }],
        [
            'file("/usr/bin/foo", "rPx", "foo")',
            file("/usr/bin/foo", "rPx", "foo"),
            { kind: "file", path: "/usr/bin/foo", access: ["r"], exec: "Px", target: "foo" },
        ],
        [
            'link("/a", "/b", { subset: true })',
            link("/a", "/b", { subset: true }),
            { kind: "link", subset: true, path: "/a", target: "/b" },
        ],
        [
            'owner.link("/a", "/b")',
            owner.link("/a", "/b"),
            { kind: "link", owner: true, path: "/a", target: "/b" },
        ],
        ["network()", network(), { kind: "network" }],
        [
            'network("inet", "stream")',
            network("inet", "stream"),
            { kind: "network", domain: "inet", type: "stream" },
        ],
        [
            'network({ domain: "inet6", protocol: "tcp" })',
            network({ domain: "inet6", protocol: "tcp" }),
            { kind: "network", domain: "inet6", protocol: "tcp" },
        ],
        [
            'deny.network("alg")',
            deny.network("alg"),
            { kind: "network", deny: true, domain: "alg" },
        ],
        [
            "signal({ access: [receive], peer: runc })",
            signal({ access: ["receive"], peer: "runc" }),
            { kind: "signal", access: ["receive"], signals: [], peer: "runc" },
        ],
        ["signal()", signal(), { kind: "signal", access: [], signals: [] }],
        [
            "ptrace({ access: [trace, read], peer: p })",
            ptrace({ access: ["trace", "read"], peer: "p" }),
            { kind: "ptrace", access: ["trace", "read"], peer: "p" },
        ],
        [
            "unix({ access: [connect], type: stream, peer: { label: x } })",
            unix({ access: ["connect"], type: "stream", peer: { label: "x" } }),
            { kind: "unix", access: ["connect"], type: "stream", peer: { label: "x" } },
        ],
        [
            "dbus({ access: [send], bus: system, path: /a })",
            dbus({ access: ["send"], bus: "system", path: "/a" }),
            { kind: "dbus", access: ["send"], bus: "system", path: "/a" },
        ],
        ["deny.mount()", deny.mount(), { kind: "mount", deny: true, conditions: [] }],
        [
            "mount({ fstype: [ext4], options: [ro], source: /dev/sda1, target: /mnt })",
            mount({ fstype: ["ext4"], options: ["ro"], source: "/dev/sda1", target: "/mnt" }),
            {
                kind: "mount",
                conditions: [
                    { name: "fstype", op: "=", values: ["ext4"] },
                    { name: "options", op: "=", values: ["ro"] },
                ],
                source: "/dev/sda1",
                target: "/mnt",
            },
        ],
        [
            "remount({ optionsIn: [ro], target: /x })",
            remount({ optionsIn: ["ro"], target: "/x" }),
            {
                kind: "remount",
                conditions: [{ name: "options", op: "in", values: ["ro"] }],
                target: "/x",
            },
        ],
        ["umount()", umount(), { kind: "umount", conditions: [] }],
        [
            "pivotRoot({ oldroot: /old/, newroot: /new/ })",
            pivotRoot({ oldroot: "/old/", newroot: "/new/" }),
            { kind: "pivot_root", oldroot: "/old/", newroot: "/new/" },
        ],
        [
            'changeProfile("p", { exec: "/bin/x", execMode: "safe" })',
            changeProfile("p", { exec: "/bin/x", execMode: "safe" }),
            { kind: "change_profile", execMode: "safe", exec: "/bin/x", target: "p" },
        ],
        [
            'rlimit("nofile", 1024)',
            rlimit("nofile", 1024),
            { kind: "rlimit", resource: "nofile", value: "1024" },
        ],
        ['raw("userns,")', raw("userns,"), { kind: "raw", text: "userns," }],
        ['comment("hi")', comment("hi"), { kind: "comment", text: " hi" }],
        [
            'include("abstractions/base")',
            include("abstractions/base"),
            { kind: "include", path: "abstractions/base", form: "angle" },
        ],
        [
            'include("local/x", { ifExists: true })',
            include("local/x", { ifExists: true }),
            { kind: "include", path: "local/x", form: "angle", ifExists: true },
        ],
        [
            'variable("X", ["/a", "/b"], { append: true })',
            variable("X", ["/a", "/b"], { append: true }),
            { kind: "variable", name: "X", op: "+=", values: ["/a", "/b"] },
        ],
        ['hat("h")', hat("h"), { kind: "profile", name: "h", hat: true, rules: [] }],
    ];
    for (const [label, got, want] of cases) {
        it(label, () => {
            assert.deepStrictEqual(got, want);
            // plain data: survives JSON unchanged
            assert.deepStrictEqual(JSON.parse(JSON.stringify(got)), want);
        });
    }

    it("rejects contradictory qualifiers and unrepresentable input", () => {
        assert.throws(() => deny.allow, /both deny and allow/);
        assert.throws(() => allow.deny, /both allow and deny/);
        assert.throws(() => file(undefined, "r"), /need a path/);
        assert.throws(() => deny.file("/x", "rwz"), /unknown letter "z"/);
    });

    it("owner helpers only offer file and link rules", () => {
        assert.strictEqual((owner as unknown as Record<string, unknown>).capability, undefined);
    });

    it("helpers are independent (no shared mutable state)", () => {
        const a = deny.file("/a", "r");
        const b = deny.file("/a", "r");
        assert.notStrictEqual(a, b);
        assert.notStrictEqual(a.access, b.access);
        assert.ok(rulesEqual(a, b));
    });
});

describe("profile/builders: profiles and .with()", () => {
    it("profile().with() appends rules immutably", () => {
        const base = profile("my-app", { flags: ["complain"] });
        const next = base.with(file("/x", "r"), deny.capability("sys_admin"));
        assert.deepStrictEqual(base.profile.rules, []);
        assert.strictEqual(next.profile.rules.length, 2);
        assert.strictEqual(next.name, "my-app");
        assert.deepStrictEqual(next.toModel(), {
            kind: "document",
            items: [
                {
                    kind: "profile",
                    name: "my-app",
                    flags: ["complain"],
                    rules: [
                        { kind: "file", path: "/x", access: ["r"] },
                        { kind: "capability", deny: true, capabilities: ["sys_admin"] },
                    ],
                },
            ],
        });
    });

    it("JSON.stringify of a builder is the plain model", () => {
        const b = profile("p").with(file("/x", "r"));
        assert.deepStrictEqual(JSON.parse(JSON.stringify(b)), b.toModel());
        assert.deepStrictEqual(toModel(b), b.toModel());
        const plain: Profile = { kind: "profile", name: "q", rules: [] };
        assert.strictEqual(toModel(plain), plain);
    });

    it("withFlags adds flags once", () => {
        const b = profile("p", { flags: ["complain"] }).withFlags(
            "complain",
            "attach_disconnected",
        );
        assert.deepStrictEqual(b.profile.flags, ["complain", "attach_disconnected"]);
    });

    it("the docker-default seed: dockerDefault(...).with(deny.file, deny.capability)", () => {
        const base = dockerDefault({ name: "docker-default-secure" });
        const secure = base.with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"));
        const rules = secure.profile.rules;
        assert.deepStrictEqual(rules.slice(-2), [
            { kind: "file", deny: true, path: "/tmp/a/**", access: ["r", "w", "l"], exec: "x" },
            { kind: "capability", deny: true, capabilities: ["fsetid"] },
        ]);
        assert.strictEqual(base.profile.rules.length + 2, rules.length);
        assert.strictEqual(secure.name, "docker-default-secure");
    });

    it("withRules works on plain profiles and documents without mutating them", () => {
        const p: Profile = { kind: "profile", name: "p", rules: [] };
        const p2 = withRules(p, file("/x", "r"));
        assert.deepStrictEqual(p.rules, []);
        assert.strictEqual(p2.rules.length, 1);
        const doc: PolicyDocument = {
            kind: "document",
            items: [{ kind: "abi", path: "abi/3.0", form: "angle" }, p],
        };
        const doc2 = withRules(doc, file("/y", "w"));
        assert.strictEqual((doc.items[1] as Profile).rules.length, 0);
        assert.deepStrictEqual((doc2.items[1] as Profile).rules, [
            { kind: "file", path: "/y", access: ["w"] },
        ]);
    });

    it("withRules and ProfileBuilder refuse documents without exactly one profile", () => {
        const empty: PolicyDocument = { kind: "document", items: [] };
        assert.throws(() => withRules(empty, file("/x", "r")), /0 top-level profiles/);
        const two: PolicyDocument = {
            kind: "document",
            items: [
                { kind: "profile", name: "a", rules: [] },
                { kind: "profile", name: "b", rules: [] },
            ],
        };
        assert.throws(() => new ProfileBuilder(two), /2 top-level profiles/);
    });
});
