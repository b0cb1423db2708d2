/** apparmor-profile-audit-denies (advisory) over a table of profile texts and configs. */
import * as assert from "assert";
import { auditDenies, findQuietDenies } from "../../../src/policy";
import { audit, deny, dockerDefault, parseProfile, renderProfile } from "../../../src/profile";
import { runResourcePolicy } from "./harness";
import { profile } from "./stacks";

const plain = (body: string) => `profile web {\n${body}\n}\n`;
const dd = (...rules: Parameters<ReturnType<typeof dockerDefault>["with"]>) =>
    renderProfile(
        dockerDefault({ name: "web" })
            .with(...rules)
            .toModel(),
    );

async function quietOf(text: string, config: object = {}): Promise<string[]> {
    const all = profile("secure", "web", { vm: "root@10.0.0.5:22" }, { text });
    const v = await runResourcePolicy(auditDenies, all[1], config, {}, all);
    assert.ok(v.length <= 1, "one violation per HostProfile");
    if (v.length === 0) return [];
    assert.match(
        v[0].message,
        /^Profile "secure" \(AppArmor profile "web", host "vm"\) has \d+ deny rules? without audit: /,
    );
    assert.match(v[0].message, /never reach the denials output\nFix: write `audit deny …`/);
    return [...v[0].message.matchAll(/`([^`]+,)`/g)].map((m) => m[1]);
}

describe("policy: apparmor-profile-audit-denies", () => {
    // [label, text, config, quiet rules named]
    const table: [string, string, object, string[]][] = [
        ["no deny rules", plain("/tmp/** rw,"), {}, []],
        ["audit deny file", plain("audit deny /tmp/a/** rwlx,"), {}, []],
        ["deny file", plain("deny /tmp/a/** rwlx,"), {}, ["deny /tmp/a/** rwlx,"]],
        ["deny capability", plain("deny capability fsetid,"), {}, ["deny capability fsetid,"]],
        ["audit deny capability", plain("audit deny capability fsetid,"), {}, []],
        ["deny network", plain("deny network raw,"), {}, ["deny network raw,"]],
        ["deny mount", plain("deny mount,"), { ignoreDockerDefaultDenies: false }, ["deny mount,"]],
        ["deny ptrace", plain("deny ptrace,"), {}, ["deny ptrace,"]],
        ["deny signal", plain("deny signal,"), {}, ["deny signal,"]],
        ["deny unix", plain("deny unix,"), {}, ["deny unix,"]],
        ["deny owner file", plain("deny owner /x w,"), {}, ["deny owner /x w,"]],
        ["allow rules are not denies", plain("audit /x r,\ncapability chown,"), {}, []],
        ["deny inside a child profile", plain("profile c {\ndeny /x w,\n}"), {}, ["deny /x w,"]],
        [
            "deny inside an if block",
            `$B = true\n${plain("if ${B} {\ndeny /x w,\n}")}`,
            {},
            ["deny /x w,"],
        ],
        ["audit block audits its denies", plain("audit {\ndeny /x w,\n}"), {}, []],
        ["deny block without audit", plain("deny {\n/x w,\n}"), {}, ["deny /x w,"]],
        ["docker-default alone: moby's denies stay quiet", dd(), {}, []],
        [
            "docker-default, every deny",
            dd(),
            { ignoreDockerDefaultDenies: false },
            ["deny network alg,", "deny network vsock,", "deny @{PROC}/* w,"],
        ],
        [
            "the seed as on main: deny capability fsetid is quiet",
            dd(audit.deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid")),
            {},
            ["deny capability fsetid,"],
        ],
        [
            "the seed, both rules audited",
            dd(audit.deny.file("/tmp/a/**", "rwlx"), audit.deny.capability("fsetid")),
            {},
            [],
        ],
        ["a rule equal to moby's counts as moby's", dd(deny.mount()), {}, []],
        [
            "ignore by rule text",
            plain("deny capability fsetid,"),
            { ignore: ["deny capability fsetid,"] },
            [],
        ],
        [
            "ignore by pattern",
            plain("deny /tmp/a/** w,\ndeny /tmp/b/** w,"),
            { ignore: ["deny /tmp/a/*"] },
            ["deny /tmp/b/** w,"],
        ],
        ["exemptProfiles", plain("deny /x w,"), { exemptProfiles: ["we?"] }, []],
        [
            "exemptProfiles for children",
            plain("deny /x w,\nprofile c {\ndeny /y w,\n}"),
            { exemptProfiles: ["web//*"] },
            ["deny /x w,"],
        ],
    ];
    for (const [label, text, config, want] of table) {
        it(label, async () => {
            const got = await quietOf(text, config);
            assert.deepStrictEqual(got.slice(0, want.length), want);
            if (label !== "docker-default, every deny") assert.strictEqual(got.length, want.length);
        });
    }

    it("names at most 8 rules, then how many more", async () => {
        const body = Array.from({ length: 11 }, (_, i) => `deny /d${i} w,`).join("\n");
        const all = profile("secure", "web", { vm: "root@h:22" }, { text: plain(body) });
        const [v] = await runResourcePolicy(auditDenies, all[1], {}, {}, all);
        assert.match(v.message, /has 11 deny rules without audit: .*`deny \/d7 w,`, and 3 more;/);
    });

    it("docker-default, every deny: the 17 template denies", () => {
        assert.strictEqual(findQuietDenies(parseProfile(dd())).length, 17);
    });
});
