/**
 * The ABI per host (issue #18 item 2), pure: what a profile needs beyond AppArmor 3.0
 * (`abiRequirements`) and the errors for a host that lacks it (`checkHostAbi`), by table.
 */
import * as assert from "assert";
import {
    abiRequirements,
    checkHostAbi,
    compareVersions,
    parseProfile,
    pinnedAbi,
    type AbiRequirement,
    type HostAbiFacts,
} from "../../../src/profile";
import { hostAbiProblems } from "../../../src/components/hostProfileProvider";

/** The test VM: Debian 12, apparmor 3.0.8, Linux 6.1 (part of the features its securityfs lists). */
const BOOKWORM: HostAbiFacts = {
    parserVersion: "3.0.8",
    kernel: "6.1.0-28-amd64",
    abi: ["3.0", "kernel-5.4-outoftree-network", "kernel-5.4-vanilla"],
    features: [
        "caps",
        "domain",
        "file",
        "namespaces",
        "network_v8",
        "policy",
        "namespaces/pivot_root",
        "namespaces/profile",
        "network_v8/af_mask",
        "policy/versions",
    ],
};
/** Ubuntu 24.04-like: apparmor 4.0.1, a kernel with userns, mqueue and io_uring mediation. */
const NOBLE: HostAbiFacts = {
    parserVersion: "4.0.1",
    kernel: "6.8.0-31-generic",
    abi: ["3.0", "4.0"],
    features: [
        ...BOOKWORM.features,
        "namespaces/mask",
        "namespaces/mask/userns_create",
        "ipc",
        "ipc/posix_mqueue",
        "io_uring",
    ],
};
/** A 4.1 parser on the bookworm kernel (backported userspace). */
const NEW_PARSER_OLD_KERNEL: HostAbiFacts = {
    ...BOOKWORM,
    parserVersion: "4.1.0",
    abi: ["3.0", "4.0"],
};

/** Debian 13 as checked on the trixie VM: 4.1.0, 6.12 with userns and io_uring, parser.conf's
 * policy-features pin; neither the kernel nor the pin has fine-grained unix (network/af_unix). */
const TRIXIE_FEATURES = [
    ...NOBLE.features.filter((f) => !f.startsWith("ipc")),
    "io_uring/mask",
    "io_uring/mask/sqpoll",
];
const TRIXIE: HostAbiFacts = {
    parserVersion: "4.1.0",
    kernel: "6.12.117+deb13-amd64",
    abi: ["3.0", "4.0", "kernel-5.4-outoftree-network", "kernel-5.4-vanilla"],
    features: [...TRIXIE_FEATURES, "network_v8/tcp-fast-open"],
    parserConf: {
        policy: { path: "/usr/share/apparmor-features/features", features: TRIXIE_FEATURES },
    },
};
/** A kernel with af_unix and userns, the parser pinned to a set without either. */
const PINNED_OLD: HostAbiFacts = {
    ...TRIXIE,
    features: [...TRIXIE_FEATURES, "network", "network/af_unix"],
    parserConf: {
        policy: {
            path: "/usr/share/apparmor-features/features",
            features: TRIXIE_FEATURES.filter((f) => !f.startsWith("namespaces/mask")),
        },
    },
};

const profile = (body: string, pre = "") => parseProfile(`${pre}profile p {\n${body}\n}\n`);

describe("profile/abi: abiRequirements (what a profile needs beyond AppArmor 3.0)", () => {
    const table: [string, string, string, Partial<AbiRequirement>[]][] = [
        ["AppArmor 3 rules", "  file,\n  network inet stream,\n  capability chown,", "", []],
        ["network unix (not fine-grained)", "  network unix stream,", "", []],
        [
            "a bare unix rule (its downgrade, `network unix,`, is the same permission)",
            "  unix,\n  deny unix,\n  audit allow unix,",
            "",
            [],
        ],
        ["a bare unix rule in raw text", "  unix,\n  ^hat {\n    unix,\n  }", "", []],
        [
            "fine-grained unix: the af_unix feature (or network_v9's), no parser minimum",
            "  unix (send) type=stream,\n  deny unix (bind) type=dgram,",
            "",
            [
                {
                    rule: "unix send type=stream,",
                    need: "unix",
                    feature: "network/af_unix",
                    alternatives: ["network_v9/af_unix"],
                    minParser: undefined,
                },
                { rule: "deny unix bind type=dgram,", need: "unix" },
            ],
        ],
        [
            "userns",
            "  userns,",
            "",
            [
                {
                    rule: "userns,",
                    need: "userns",
                    feature: "namespaces/mask/userns_create",
                    minParser: "4.0",
                },
            ],
        ],
        [
            "audit deny userns create",
            "  audit deny userns create,",
            "",
            [{ rule: "audit deny userns create,", need: "userns" }],
        ],
        [
            "posix mqueue",
            "  mqueue rw /q,",
            "",
            [{ need: "mqueue-posix", feature: "ipc/posix_mqueue" }],
        ],
        ["bare mqueue is posix", "  mqueue,", "", [{ need: "mqueue-posix" }]],
        [
            "sysv mqueue",
            "  mqueue type=sysv 123,",
            "",
            [{ need: "mqueue-sysv", feature: "ipc/sysv_mqueue" }],
        ],
        ["io_uring", "  io_uring sqpoll,", "", [{ need: "io_uring", feature: "io_uring" }]],
        ["all (parser only)", "  all,", "", [{ rule: "all,", need: "all", minParser: "4.0" }]],
        [
            "priority (parser only)",
            "  priority=10 file /x r,",
            "",
            [{ need: "priority", minParser: "4.1" }],
        ],
        [
            "priority on userns: two needs",
            "  priority=1 userns,",
            "",
            [{ need: "priority" }, { need: "userns" }],
        ],
        ["in a hat", "  ^h {\n    userns,\n  }", "", [{ need: "userns" }]],
        [
            "abi 4.0 pinned",
            "  file,",
            "abi <abi/4.0>,\n",
            [{ rule: "abi <abi/4.0>,", need: "abi-file", abiFile: "4.0" }],
        ],
        ["the same rule twice: one entry", "  userns,\n  userns,", "", [{ need: "userns" }]],
    ];
    for (const [what, body, pre, want] of table)
        it(what, () => {
            const got = abiRequirements(profile(body, pre));
            assert.strictEqual(got.length, want.length, JSON.stringify(got));
            want.forEach((w, i) => {
                for (const [k, v] of Object.entries(w))
                    assert.deepStrictEqual(
                        (got[i] as unknown as Record<string, unknown>)[k],
                        v,
                        `${k}: ${JSON.stringify(got[i])}`,
                    );
            });
        });

    it("a raw rule is read by its keyword", () => {
        const doc = {
            kind: "document" as const,
            items: [
                {
                    kind: "profile" as const,
                    name: "p",
                    rules: [
                        { kind: "raw" as const, text: "audit userns create," },
                        { kind: "raw" as const, text: "all /x," },
                        { kind: "raw" as const, text: "priority=5 deny mqueue type=sysv," },
                    ],
                },
            ],
        };
        assert.deepStrictEqual(
            abiRequirements(doc).map((r) => r.need),
            ["userns", "priority", "mqueue-sysv"],
        );
    });

    it("pinnedAbi", () => {
        assert.strictEqual(pinnedAbi(profile("  file,", "abi <abi/3.0>,\n")), "3.0");
        assert.strictEqual(pinnedAbi(profile("  file,")), undefined);
    });
});

describe("profile/abi: compareVersions", () => {
    const table: [string, string, number][] = [
        ["3.0.8", "4.0", -1],
        ["4.0", "4.0.0", 0],
        ["4.0.1", "4.0", 1],
        ["4.1.0~beta1", "4.1", 0],
        ["3.10", "3.9", 1],
        ["10.0", "4.1", 1],
    ];
    for (const [a, b, sign] of table)
        it(`${a} vs ${b}`, () => assert.strictEqual(Math.sign(compareVersions(a, b)), sign));
});

describe("profile/abi: checkHostAbi (per host)", () => {
    const W = "root@10.0.0.5:22";
    const table: [string, HostAbiFacts, string, string, RegExp[]][] = [
        ["AppArmor 3 profile on bookworm", BOOKWORM, "  file,", "", []],
        [
            "userns on bookworm: parser and kernel both lack it",
            BOOKWORM,
            "  userns,",
            "",
            [
                /^host root@10\.0\.0\.5:22 cannot enforce `userns,`: /,
                /its apparmor_parser 3\.0\.8 is older than 4\.0, the first to accept userns rules/,
                /its kernel lacks the AppArmor feature namespaces\/mask\/userns_create \(no namespaces\/mask in \/sys\/kernel\/security\/apparmor\/features\)/,
                /\(it runs apparmor_parser 3\.0\.8 on kernel 6\.1\.0-28-amd64\)/,
                /fix: drop the rule, or target hosts with AppArmor ≥ 4\.0 and a kernel exporting namespaces\/mask\/userns_create \(Linux 6\.7 or later/,
            ],
        ],
        ["userns on noble", NOBLE, "  userns,", "", []],
        [
            "userns with a 4.1 parser on the 6.1 kernel: compiles, not enforced",
            NEW_PARSER_OLD_KERNEL,
            "  userns,",
            "",
            [
                /cannot enforce `userns,`: its kernel lacks the AppArmor feature namespaces\/mask\/userns_create/,
            ],
        ],
        [
            "io_uring: missing top-level feature named",
            NEW_PARSER_OLD_KERNEL,
            "  io_uring,",
            "",
            [/lacks the AppArmor feature io_uring \(no io_uring in/],
        ],
        [
            "sysv mqueue on noble (only posix there)",
            NOBLE,
            "  mqueue type=sysv 1,",
            "",
            [/lacks the AppArmor feature ipc\/sysv_mqueue \(no ipc\/sysv_mqueue in/],
        ],
        [
            "priority on a 4.0 parser",
            NOBLE,
            "  priority=1 file /x r,",
            "",
            [
                /its apparmor_parser 4\.0\.1 is older than 4\.1, the first to accept the `priority=` prefix/,
            ],
        ],
        [
            "abi 4.0 pinned on bookworm",
            BOOKWORM,
            "  file,",
            "abi <abi/4.0>,\n",
            [
                /cannot compile `abi <abi\/4\.0>,`: it has no ABI file abi\/4\.0 \(it has abi\/3\.0, abi\/kernel-5\.4-outoftree-network, abi\/kernel-5\.4-vanilla in \/etc\/apparmor\.d\/abi/,
            ],
        ],
        ["abi 4.0 pinned on noble", NOBLE, "  userns,", "abi <abi/4.0>,\n", []],
        [
            "abi 3.0 pinned with userns on noble: not enforced under that ABI",
            NOBLE,
            "  userns,",
            "abi <abi/3.0>,\n",
            [
                /the profile pins abi <abi\/3\.0>, which lacks namespaces\/mask\/userns_create \(under that ABI the parser drops the rule on any kernel\).*fix: .*pin abi <abi\/4\.0>,/,
            ],
        ],
        [
            "parser not installed yet: the kernel alone is checked",
            { ...BOOKWORM, parserVersion: null },
            "  all,\n  userns,",
            "",
            [/cannot enforce `userns,`: its kernel lacks/],
        ],
        [
            "unix on Debian 13: neither its kernel nor its pinned policy features have af_unix",
            TRIXIE,
            "  unix (send) type=stream,",
            "",
            [
                /^host root@10\.0\.0\.5:22 cannot enforce `unix send type=stream,`: /,
                /its kernel lacks the AppArmor feature network\/af_unix \(or network_v9\/af_unix\) \(no network in \/sys\/kernel\/security\/apparmor\/features\), so the parser downgrades the rule to a generic `network unix` rule/,
                /its parser compiles a profile without an `abi` rule against \/usr\/share\/apparmor-features\/features \(policy-features in \/etc\/apparmor\/parser\.conf\), which lacks network\/af_unix/,
                /fix: drop the rule, or target hosts with a kernel exporting network\/af_unix \(.*\) \(and there, pin abi <abi\/4\.0>, in the profile .*\)$/,
            ],
        ],
        [
            "unix: the kernel has af_unix, the policy-features pin lacks it",
            { ...PINNED_OLD, features: [...PINNED_OLD.features] },
            "  unix (connect),",
            "",
            [
                /^host \S+ cannot enforce `unix connect,`: its parser compiles a profile without an `abi` rule against \/usr\/share\/apparmor-features\/features \(policy-features in \/etc\/apparmor\/parser\.conf\), which lacks network\/af_unix.*fix: drop the rule, or pin abi <abi\/4\.0>, in the profile/,
            ],
        ],
        [
            "userns: the kernel has it, the pin lacks it",
            PINNED_OLD,
            "  userns,",
            "",
            [
                /cannot enforce `userns,`: its parser compiles a profile without an `abi` rule against \S+ \(policy-features in \/etc\/apparmor\/parser\.conf\), which lacks namespaces\/mask\/userns_create, whatever the kernel has \(it runs apparmor_parser 4\.1\.0/,
            ],
        ],
        [
            "userns: the pin lacks it, the profile's abi 4.0 has it",
            PINNED_OLD,
            "  userns,",
            "abi <abi/4.0>,\n",
            [],
        ],
        ["userns on Debian 13 (kernel and pin have it)", TRIXIE, "  userns,", "", []],
        [
            "unix on a kernel and pin with network_v9/af_unix",
            {
                ...TRIXIE,
                features: ["network_v9", "network_v9/af_unix"],
                parserConf: { policy: { path: "/p", features: ["network_v9/af_unix"] } },
            },
            "  unix,",
            "",
            [],
        ],
        [
            "override-policy-abi applies even with an abi rule",
            {
                ...PINNED_OLD,
                parserConf: { override: PINNED_OLD.parserConf!.policy! },
            },
            "  userns,",
            "abi <abi/4.0>,\n",
            [
                /compiles every profile against \S+ \(override-policy-abi in \/etc\/apparmor\/parser\.conf\), which lacks namespaces\/mask\/userns_create.*fix: drop the rule, or drop override-policy-abi from \/etc\/apparmor\/parser\.conf on the host$/,
            ],
        ],
        [
            "a kernel-features pin stands for the kernel's features",
            {
                ...TRIXIE,
                parserConf: { kernel: { path: "/k", features: ["io_uring"] } },
            },
            "  userns,",
            "",
            [
                /the kernel feature set \/k \(kernel-features in \/etc\/apparmor\/parser\.conf\) lacks namespaces\/mask\/userns_create \(no namespaces in it\)/,
            ],
        ],
        [
            "io_uring under abi 4.0 (AppArmor 4.1's abi/4.0 lacks it)",
            TRIXIE,
            "  io_uring,",
            "abi <abi/4.0>,\n",
            [
                /the profile pins abi <abi\/4\.0>, which lacks io_uring .*fix: drop the rule, or remove the `abi` rule$/,
            ],
        ],
        [
            "no securityfs features: the parser alone is checked",
            { ...NOBLE, features: [] },
            "  userns,",
            "",
            [],
        ],
    ];
    for (const [what, facts, body, pre, want] of table)
        it(what, () => {
            const doc = profile(body, pre);
            const errs = checkHostAbi(facts, abiRequirements(doc), W, pinnedAbi(doc));
            assert.strictEqual(errs.length, want.length ? 1 : 0, errs.join("\n"));
            for (const re of want) assert.match(errs[0], re);
        });

    it("hostAbiProblems: one message per rule; none without facts or for unparsable text", () => {
        const text = "profile p {\n  userns,\n  io_uring,\n  file,\n}\n";
        assert.strictEqual(hostAbiProblems(text, BOOKWORM, W).length, 2);
        assert.deepStrictEqual(hostAbiProblems(text, undefined, W), []);
        assert.deepStrictEqual(hostAbiProblems("profile p {", BOOKWORM, W), []);
    });
});
