/**
 * AppArmor 4 rules typed: `userns`, `mqueue`, `io_uring`, `all` and the `priority=` prefix — parse,
 * render, validate, builders and builder code. The same forms compile identically through AppArmor
 * 4.1's own parser in test/parser41/.
 */

import * as assert from "assert";
import {
    all,
    audit,
    deny,
    file,
    ioUring,
    mqueue,
    owner,
    parseRule,
    priority,
    ProfileItem,
    ruleCode,
    renderRule,
    Rule,
    userns,
    validateProfile,
    type Profile,
} from "../../../src/profile";
import { ProfileRenderError } from "../../../src/profile/quoting";
import { ABI4_FORMS } from "../../support/abi4Forms";

describe("profile/abi4: parse and render", function () {
    for (const c of ABI4_FORMS) {
        it(`${c.model.kind}: ${c.src}`, function () {
            const parsed = parseRule(c.src);
            assert.deepStrictEqual(parsed, c.model);
            const out = renderRule(parsed);
            assert.strictEqual(out, c.out ?? c.src);
            assert.deepStrictEqual(parseRule(out), c.model, "canonical text parses back");
        });
    }

    // Forms AppArmor rejects or the model does not type stay raw (the host's parser judges them).
    const raw: readonly string[] = [
        "owner userns,", // owner is not allowed on userns rules
        "userns (create),", // the USERNS lexer mode has no lists
        "userns create label=x,", // no conditions on userns
        "mqueue r /a /b,", // two names
        "mqueue label=(a b) /q,", // a value list
        "mqueue foo=bar /q,", // unknown condition
        "io_uring label=(foo),", // a condition list
        "io_uring sqpoll /x,", // a name
        "priority=1 all,", // priority is not allowed on all rules
        "priority=1 network inet,", // … nor on network rules
        "owner all,",
        "prompt /x r,", // the prompt mode (4.1) needs a prompting daemon
        "priority=1 audit {\n/x r,\n}", // a block
    ];
    for (const src of raw) {
        it(`raw: ${src.replace(/\n/g, " ")}`, function () {
            assert.deepStrictEqual(parseRule(src), { kind: "raw", text: src });
        });
    }

    const errors: readonly [string, RegExp][] = [
        ["priority=x /x r,", /an integer after priority=/],
        ["priority=1.5 /x r,", /an integer after priority=/],
        ["priority= /x r,", /an integer after priority=/],
        ["priority=1 set rlimit nofile <= 5,", /a rule after qualifiers/],
        ["userns", /',' ending the rule/],
        ["mqueue label= ,", /a value after label=/],
    ];
    for (const [src, re] of errors) {
        it(`syntax error: ${src}`, function () {
            assert.throws(() => parseRule(src), re);
        });
    }

    it("`all /x,` is still a file rule granting a and l (AppArmor 3)", function () {
        assert.deepStrictEqual(parseRule("all /x,"), {
            kind: "file",
            path: "/x",
            access: ["a", "l"],
        });
    });

    it("keeps an out-of-range priority for the validator, and writes +N without the sign", function () {
        assert.deepStrictEqual(parseRule("priority=1001 /x r,"), {
            kind: "file",
            priority: 1001,
            path: "/x",
            access: ["r"],
        });
        assert.strictEqual(renderRule(parseRule("priority=+3 /x r,")), "priority=3 /x r,");
    });

    it("refuses to render what the lexer cannot read back", function () {
        const bad: readonly Rule[] = [
            { kind: "userns", access: ["create", "read"] } as Rule,
            { kind: "file", priority: 1.5, path: "/x", access: ["r"] } as Rule,
            { kind: "file", priority: Number.NaN, path: "/x", access: ["r"] } as Rule,
        ];
        for (const r of bad) assert.throws(() => renderRule(r), ProfileRenderError);
    });
});

function problemsOf(rule: unknown): { path: string; message: string; fix: string }[] {
    const p: Profile = { kind: "profile", name: "t", rules: [rule as ProfileItem] };
    return validateProfile(p).map((x) => ({
        path: x.path,
        message: x.message,
        fix: x.fix,
    }));
}

describe("profile/abi4: validate", function () {
    for (const c of ABI4_FORMS) {
        it(`valid: ${c.src}`, function () {
            assert.deepStrictEqual(problemsOf(c.model), []);
        });
    }

    // rule, field the problem names, words of its message, words of its fix
    const table: readonly [string, Record<string, unknown>, string, RegExp, RegExp][] = [
        [
            "userns access other than create",
            { kind: "userns", access: ["read"] },
            "rules[0].access[0]",
            /unknown userns access "read"/,
            /create/,
        ],
        [
            "userns access not a list",
            { kind: "userns", access: "create" },
            "rules[0].access",
            /must be a list/,
            /array of strings/,
        ],
        [
            "mqueue access missing",
            { kind: "mqueue" },
            "rules[0].access",
            /is missing/,
            /\[\] for all access/,
        ],
        [
            "mqueue unknown access",
            { kind: "mqueue", access: ["send"] },
            "rules[0].access[0]",
            /unknown mqueue access "send"/,
            /create, open, delete, read, write, getattr or setattr/,
        ],
        [
            "mqueue unknown type",
            { kind: "mqueue", access: [], type: "svr4" },
            "rules[0].type",
            /unknown mqueue type "svr4"/,
            /posix or sysv/,
        ],
        [
            "mqueue name neither /name nor a number",
            { kind: "mqueue", access: [], name: "queue" },
            "rules[0].name",
            /invalid mqueue name "queue"/,
            /starting with \//,
        ],
        [
            "mqueue sysv with a POSIX name",
            { kind: "mqueue", access: [], type: "sysv", name: "/q" },
            "rules[0].name",
            /System V queue name "\/q" is not a number/,
            /numeric key, or type posix/,
        ],
        [
            "mqueue posix with a number",
            { kind: "mqueue", access: [], type: "posix", name: "12" },
            "rules[0].name",
            /POSIX queue name "12" does not start with \//,
            /leading \//,
        ],
        [
            "mqueue empty label",
            { kind: "mqueue", access: [], label: "" },
            "rules[0].label",
            /label is empty/,
            /name a profile/,
        ],
        [
            "io_uring unknown access",
            { kind: "io_uring", access: ["poll"] },
            "rules[0].access[0]",
            /unknown io_uring access "poll"/,
            /sqpoll or override_creds/,
        ],
        [
            "io_uring label not a string",
            { kind: "io_uring", access: [], label: 5 },
            "rules[0].label",
            /must be a string/,
            /leave the field out/,
        ],
        [
            "priority above 1000",
            { kind: "file", priority: 1001, path: "/x", access: ["r"] },
            "rules[0].priority",
            /priority 1001 is out of range/,
            /from -1000 to 1000/,
        ],
        [
            "priority below -1000",
            { kind: "userns", priority: -1001, access: [] },
            "rules[0].priority",
            /priority -1001 is out of range/,
            /from -1000 to 1000/,
        ],
        [
            "priority not an integer",
            { kind: "file", priority: 1.5, path: "/x", access: ["r"] },
            "rules[0].priority",
            /must be an integer/,
            /e\.g\. 10/,
        ],
        [
            "priority as a string",
            { kind: "capability", priority: "5", capabilities: [] },
            "rules[0].priority",
            /must be an integer/,
            /e\.g\. 10/,
        ],
        [
            "priority on all",
            { kind: "all", priority: 1 },
            "rules[0].priority",
            /not allowed on all rules/,
            /drop priority/,
        ],
        [
            "priority on network",
            { kind: "network", priority: 1 },
            "rules[0].priority",
            /not allowed on network rules/,
            /drop priority/,
        ],
        [
            "owner on all",
            { kind: "all", owner: true },
            "rules[0].owner",
            /owner applies to file and link rules, not all rules/,
            /drop owner/,
        ],
        [
            "owner on mqueue",
            { kind: "mqueue", owner: true, access: [] },
            "rules[0].owner",
            /not mqueue rules/,
            /drop owner/,
        ],
    ];
    for (const [label, rule, path, message, fix] of table) {
        it(label, function () {
            const problems = problemsOf(rule);
            const hit = problems.find((p) => p.path === path);
            assert.ok(hit, `no problem at ${path}: ${JSON.stringify(problems)}`);
            assert.match(hit.message, message);
            assert.match(hit.fix, fix);
        });
    }

    it("raw text with typed ABI 4 rules is checked like the model", function () {
        const p: Profile = {
            kind: "profile",
            name: "t",
            rules: [{ kind: "raw", text: "priority=2000 mqueue read /q," }],
        };
        const problems = validateProfile(p).map((x) => x.message);
        assert.ok(
            problems.some((m) => /out of range/.test(m)),
            JSON.stringify(problems),
        );
    });
});

describe("profile/abi4: builders", function () {
    const table: readonly [string, Rule, string][] = [
        ["userns()", userns(), "userns,"],
        ['userns({ access: ["create"] })', userns({ access: ["create"] }), "userns create,"],
        ["deny.userns()", deny.userns(), "deny userns,"],
        ["audit.deny.userns()", audit.deny.userns(), "audit deny userns,"],
        ["mqueue()", mqueue(), "mqueue,"],
        [
            "mqueue({ access, type, label, name })",
            mqueue({ access: ["read", "write"], type: "posix", label: "peer", name: "/q" }),
            "mqueue (read, write) type=posix label=peer /q,",
        ],
        [
            'mqueue({ name: "1234" })',
            mqueue({ name: "1234", type: "sysv" }),
            "mqueue type=sysv 1234,",
        ],
        ["ioUring()", ioUring(), "io_uring,"],
        [
            "ioUring({ access, label })",
            ioUring({ access: ["override_creds"], label: "foo" }),
            "io_uring override_creds label=foo,",
        ],
        ["deny.ioUring()", deny.ioUring({ access: ["sqpoll"] }), "deny io_uring sqpoll,"],
        ["all()", all(), "all,"],
        ["audit.allow.all()", audit.allow.all(), "audit allow all,"],
        ["deny.all()", deny.all(), "deny all,"],
        ['priority(10).file("/x", "r")', priority(10).file("/x", "r"), "priority=10 /x r,"],
        [
            'priority(-5).audit.deny.owner.file("/x", "w")',
            priority(-5).audit.deny.owner.file("/x", "w"),
            "priority=-5 audit deny owner /x w,",
        ],
        [
            'owner.priority(3).file("/x", "w")',
            owner.priority(3).file("/x", "w"),
            "priority=3 owner /x w,",
        ],
        ["deny.priority(2).userns()", deny.priority(2).userns(), "priority=2 deny userns,"],
        [
            'priority(1).capability("chown")',
            priority(1).capability("chown"),
            "priority=1 capability chown,",
        ],
        ["priority(0).file()", priority(0).file(), "priority=0 file,"],
    ];
    for (const [label, rule, text] of table) {
        it(`${label} → ${text}`, function () {
            assert.strictEqual(renderRule(rule), text);
            assert.deepStrictEqual(parseRule(text), rule, "the text parses to the builder's model");
        });
    }

    it("priority() refuses what is no integer", function () {
        for (const n of [1.5, Number.NaN, Infinity, "3" as unknown as number])
            assert.throws(() => priority(n), TypeError);
    });

    it("the builders' models validate", function () {
        for (const [, rule] of table) assert.deepStrictEqual(problemsOf(rule), []);
    });
});

describe("profile/abi4: builder code", function () {
    const table: readonly [string, string][] = [
        ["userns,", "userns()"],
        ["userns create,", 'userns({ access: ["create"] })'],
        ["audit deny userns,", "audit.deny.userns()"],
        ["mqueue,", "mqueue()"],
        [
            "mqueue (read, write) type=posix label=peer /q,",
            'mqueue({ access: ["read", "write"], type: "posix", label: "peer", name: "/q" })',
        ],
        ["io_uring,", "ioUring()"],
        ["deny io_uring sqpoll label=x,", 'deny.ioUring({ access: ["sqpoll"], label: "x" })'],
        ["all,", "all()"],
        ["audit allow all,", "audit.allow.all()"],
        ["priority=10 /x r,", 'priority(10).file("/x", "r")'],
        ["priority=-3 deny owner /x w,", 'priority(-3).owner.deny.file("/x", "w")'],
        ["priority=1 capability chown,", 'priority(1).capability("chown")'],
        ["priority=2 mqueue r /q,", 'priority(2).mqueue({ access: ["r"], name: "/q" })'],
    ];
    const helpers = { all, audit, deny, file, ioUring, mqueue, owner, priority, userns };
    for (const [text, code] of table) {
        it(`${text} → ${code}`, function () {
            const rule = parseRule(text) as Rule;
            assert.strictEqual(ruleCode(rule), code);
            // the code builds the same rule
            const build = new Function(...Object.keys(helpers), `return ${code};`) as (
                ...a: unknown[]
            ) => Rule;
            assert.deepStrictEqual(build(...Object.values(helpers)), rule);
        });
    }
});
