/**
 * apparmor-container-confined (resource policy) and apparmor-container-profile-managed (stack
 * policy) over tables of mock resources and stacks.
 */
import * as assert from "assert";
import { containerConfined, containerProfileManaged } from "../../../src/policy";
import {
    isUnknownValueError,
    runResourcePolicy,
    runStackPolicy,
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    urnOf,
    type MockResource,
} from "./harness";
import { container, hostProfilesOf, profile, profiledContainer, T } from "./stacks";

describe("policy: apparmor-container-confined", () => {
    // [label, container props, policy config, expected violation (undefined: none)]
    const table: [string, Record<string, unknown>, object, RegExp | undefined][] = [
        ["apparmor=NAME", { securityOpts: ["apparmor=web"] }, {}, undefined],
        ["deprecated apparmor:NAME", { securityOpts: ["apparmor:web"] }, {}, undefined],
        [
            "beside other options",
            { securityOpts: ["no-new-privileges", "apparmor=web"] },
            {},
            undefined,
        ],
        [
            "seccomp unconfined does not matter here",
            { securityOpts: ["seccomp=unconfined", "apparmor=web"] },
            {},
            undefined,
        ],
        ["value with '=' in it", { securityOpts: ["apparmor=a=b"] }, {}, undefined],
        ["privileged: false", { securityOpts: ["apparmor=web"], privileged: false }, {}, undefined],
        [
            "a profile named Unconfined (docker is case-sensitive)",
            { securityOpts: ["apparmor=Unconfined"] },
            {},
            undefined,
        ],
        [
            "no securityOpts",
            {},
            {},
            /no `apparmor=` option in securityOpts.*implicit docker-default/,
        ],
        ["empty securityOpts", { securityOpts: [] }, {}, /no `apparmor=` option/],
        [
            "only other options",
            { securityOpts: ["no-new-privileges", "label=disable"] },
            {},
            /no `apparmor=` option/,
        ],
        [
            "option without separator is ignored",
            { securityOpts: ["apparmor"] },
            {},
            /no `apparmor=` option/,
        ],
        [
            "key is case-sensitive (AppArmor=)",
            { securityOpts: ["AppArmor=web"] },
            {},
            /no `apparmor=` option/,
        ],
        [
            "key with a space is not apparmor",
            { securityOpts: ["apparmor =web"] },
            {},
            /no `apparmor=` option/,
        ],
        [
            "empty value means docker-default",
            { securityOpts: ["apparmor="] },
            {},
            /an empty "apparmor="/,
        ],
        [
            "apparmor=unconfined",
            { securityOpts: ["apparmor=unconfined"] },
            {},
            /runs without AppArmor: securityOpts has "apparmor=unconfined"/,
        ],
        [
            "apparmor:unconfined",
            { securityOpts: ["apparmor:unconfined"] },
            {},
            /runs without AppArmor/,
        ],
        [
            "last entry wins: unconfined last",
            { securityOpts: ["apparmor=web", "apparmor=unconfined"] },
            {},
            /runs without AppArmor/,
        ],
        [
            "last entry wins: profile last",
            { securityOpts: ["apparmor=unconfined", "apparmor=web"] },
            {},
            undefined,
        ],
        [
            "explicit docker-default",
            { securityOpts: ["apparmor=docker-default"] },
            {},
            /docker's own profile \("apparmor=docker-default"\)/,
        ],
        [
            "privileged with a profile",
            { securityOpts: ["apparmor=web"], privileged: true },
            {},
            /privileged: true, so dockerd runs it unconfined.*"apparmor=web" is ignored/,
        ],
        ["privileged without options", { privileged: true }, {}, /privileged: true/],
        ["allowDockerDefault: no option", {}, { allowDockerDefault: true }, undefined],
        [
            "allowDockerDefault: empty value",
            { securityOpts: ["apparmor="] },
            { allowDockerDefault: true },
            undefined,
        ],
        [
            "allowDockerDefault: explicit docker-default",
            { securityOpts: ["apparmor=docker-default"] },
            { allowDockerDefault: true },
            undefined,
        ],
        [
            "allowDockerDefault keeps refusing unconfined",
            { securityOpts: ["apparmor=unconfined"] },
            { allowDockerDefault: true },
            /runs without AppArmor/,
        ],
        [
            "allowDockerDefault keeps refusing privileged",
            { privileged: true },
            { allowDockerDefault: true },
            /privileged/,
        ],
        [
            "allowDockerDefault: false is the default",
            {},
            { allowDockerDefault: false },
            /no `apparmor=` option/,
        ],
        [
            "fix names ProfiledContainer and the config key",
            {},
            {},
            /Fix: run it with ProfiledContainer.*allowDockerDefault/s,
        ],
        ["non-string entries are skipped", { securityOpts: [42, "apparmor=web"] }, {}, undefined],
    ];
    for (const [label, props, config, want] of table) {
        it(label, async () => {
            const v = await runResourcePolicy(containerConfined, container("web", props), config);
            if (want === undefined) assert.deepStrictEqual(v, []);
            else {
                assert.strictEqual(v.length, 1, JSON.stringify(v));
                assert.match(v[0].message, want);
                assert.match(v[0].message, /docker\.Container "web"/);
                assert.match(v[0].message, /\nFix: /);
            }
        });
    }

    const exempt: [string, string, string[], number][] = [
        ["exact name", "legacy", ["legacy"], 0],
        ["star pattern", "legacy-1", ["legacy-*"], 0],
        ["question mark", "web", ["?eb"], 0],
        ["no match", "web", ["legacy-*"], 1],
        ["pattern must match the whole name", "web-2", ["web"], 1],
    ];
    for (const [label, name, patterns, count] of exempt)
        it(`exemptContainers: ${label}`, async () => {
            const v = await runResourcePolicy(containerConfined, container(name, {}), {
                exemptContainers: patterns,
            });
            assert.strictEqual(v.length, count);
        });

    it("escapes control and bidi characters of names in messages", async () => {
        const v = await runResourcePolicy(containerConfined, container("evil\x1b[2J\u202e", {}));
        assert.strictEqual(v.length, 1);
        assert.ok(!/[\x1b\u202e]/.test(v[0].message));
        assert.match(v[0].message, /^docker\.Container "evil\\u001b\[2J\\u\{202e\}" has no/);
    });

    it("ignores other resource types", async () => {
        for (const type of [
            T.hostProfile,
            T.profiledContainer,
            T.provider,
            "docker:index/image:Image",
        ])
            assert.deepStrictEqual(
                await runResourcePolicy(containerConfined, { type, name: "x", props: {} }),
                [],
            );
    });

    const unknowns: [string, Record<string, unknown>][] = [
        ["securityOpts unknown", { securityOpts: UNKNOWN_ARRAY }],
        ["one entry unknown", { securityOpts: [UNKNOWN_STRING] }],
        ["privileged unknown", { securityOpts: ["apparmor=web"], privileged: UNKNOWN_STRING }],
    ];
    for (const [label, props] of unknowns)
        it(`preview, ${label}: raises @pulumi/policy's UnknownValueError (reported as "can't run during preview")`, async () => {
            await assert.rejects(
                runResourcePolicy(containerConfined, container("web", props)),
                (e) => isUnknownValueError(e),
            );
        });
});

describe("policy: apparmor-container-profile-managed", () => {
    const vm = { vm: "root@10.0.0.5:22" };
    const secure = profile("secure", "web", vm);
    const hp = hostProfilesOf("secure", vm)[0];
    const pc = (o: Partial<Parameters<typeof profiledContainer>[1]> = {}) =>
        profiledContainer("app", {
            profileName: "web",
            hostProfile: hp,
            target: "root@10.0.0.5:22",
            dockerHost: "tcp://10.0.0.5:2375",
            ...o,
        });
    const ssh = (host: string) => ({ name: "p", props: { host } });
    const plain = (opts: unknown[], host?: string) =>
        container("plain", { securityOpts: opts }, host === undefined ? undefined : ssh(host));

    // [label, stack, config, expected violations (regexes, in order)]
    const table: [string, MockResource[], object, RegExp[]][] = [
        [
            "ProfiledContainer on an ssh:// docker host",
            [...secure, ...pc({ dockerHost: "ssh://root@10.0.0.5:22" })],
            {},
            [],
        ],
        ["ProfiledContainer on tcp://, host told by its Confinement", [...secure, ...pc()], {}, []],
        [
            "ProfiledContainer on unix:// (socket forward), host told by its Confinement",
            [...secure, ...pc({ dockerHost: "unix:///tmp/d.sock" })],
            {},
            [],
        ],
        [
            "verifyConfinement off on tcp://: cannot tell the host",
            [...secure, ...pc({ verifyConfinement: false })],
            {},
            [
                /cannot tell which host docker\.Container "app-container" \("apparmor=web"\) runs on: its docker provider "app-docker" reaches "tcp:\/\/10\.0\.0\.5:2375", which is not an ssh:\/\/ address/,
            ],
        ],
        [
            "… unless unresolvedHost: anyHost",
            [...secure, ...pc({ verifyConfinement: false })],
            { unresolvedHost: "anyHost" },
            [],
        ],
        [
            "… or dockerHosts maps it",
            [...secure, ...pc({ verifyConfinement: false })],
            { dockerHosts: { "tcp://10.0.0.5:2375": "10.0.0.5" } },
            [],
        ],
        [
            "dockerHosts mapping with the port",
            [...secure, ...pc({ verifyConfinement: false })],
            { dockerHosts: { "tcp://10.0.0.5:2375": "10.0.0.5:22" } },
            [],
        ],
        [
            "dockerHosts maps it to another machine",
            [...secure, ...pc({ verifyConfinement: false })],
            { dockerHosts: { "tcp://10.0.0.5:2375": "10.0.0.6" } },
            [
                /runs on 10\.0\.0\.6:22 \(docker provider "app-docker": dockerHosts maps it to 10\.0\.0\.6\), but profile "web" is managed only by Profile "secure" on root@10\.0\.0\.5:22/,
            ],
        ],
        [
            "dockerHosts wins over the Confinement",
            [...secure, ...pc()],
            { dockerHosts: { "tcp://10.0.0.5:2375": "10.0.0.7:22" } },
            [/runs on 10\.0\.0\.7:22/],
        ],
        [
            "a bad dockerHosts value is named",
            [...secure, ...pc({ verifyConfinement: false })],
            { dockerHosts: { "tcp://10.0.0.5:2375": "not a host!" } },
            [/its dockerHosts entry "not a host!" is not HOST\[:PORT\]/],
        ],
        [
            "plain container, ssh:// provider, other SSH user",
            [...secure, plain(["apparmor=web"], "ssh://deploy@10.0.0.5")],
            {},
            [],
        ],
        [
            "ssh:// with another port is another machine",
            [...secure, plain(["apparmor=web"], "ssh://root@10.0.0.5:2222")],
            {},
            [/runs on 10\.0\.0\.5:2222 \(docker provider "p": its ssh:\/\/ address\)/],
        ],
        [
            "host names compare case-insensitively",
            [
                ...profile("secure", "web", { w: "root@web1.example.com:22" }),
                container(
                    "plain",
                    { securityOpts: ["apparmor=web"] },
                    ssh("ssh://WEB1.Example.com"),
                ),
            ],
            {},
            [],
        ],
        [
            "no DNS: a name is not its IP",
            [...secure, plain(["apparmor=web"], "ssh://web1")],
            {},
            [/runs on web1:22/],
        ],
        [
            "IPv6 ssh:// and target",
            [
                ...profile("secure", "web", { v6: "root@::1:22" }),
                container("plain", { securityOpts: ["apparmor=web"] }, ssh("ssh://root@[::1]:22")),
            ],
            {},
            [],
        ],
        [
            "profile managed by no Profile",
            [...secure, plain(["apparmor=other"], "ssh://root@10.0.0.5")],
            {},
            [/runs under AppArmor profile "other", which no Profile of this stack manages/],
        ],
        [
            "no Profile at all in the stack",
            [plain(["apparmor=web"], "ssh://root@10.0.0.5")].map((r) => ({
                ...r,
                propertyDependencies: {},
            })),
            {},
            [/which no Profile of this stack manages/],
        ],
        [
            "default provider: docker's local socket, unresolved",
            [...secure, plain(["apparmor=web"])],
            {},
            [/reaches "unix:\/\/\/var\/run\/docker\.sock"/],
        ],
        [
            "default provider mapped by dockerHosts",
            [...secure, plain(["apparmor=web"])],
            { dockerHosts: { "unix:///var/run/docker.sock": "10.0.0.5" } },
            [],
        ],
        [
            "default provider with docker:host config",
            [...secure, plain(["apparmor=web"], "ssh://root@10.0.0.5")],
            {},
            [],
        ],
        [
            "profile on two hosts, container on the second",
            [
                ...profile("secure", "web", { a: "root@10.0.0.5:22", b: "root@10.0.0.6:22" }),
                plain(["apparmor=web"], "ssh://root@10.0.0.6"),
            ],
            {},
            [],
        ],
        [
            "profile on two hosts, container on a third",
            [
                ...profile("secure", "web", { a: "root@10.0.0.5:22", b: "root@10.0.0.6:22" }),
                plain(["apparmor=web"], "ssh://root@10.0.0.7"),
            ],
            {},
            [
                /managed only by Profile "secure" on root@10\.0\.0\.5:22, Profile "secure" on root@10\.0\.0\.6:22/,
            ],
        ],
        [
            "same name by two Profiles on two hosts",
            [
                ...profile("p1", "web", { a: "root@10.0.0.5:22" }),
                ...profile("p2", "web", { b: "root@10.0.0.6:22" }),
                plain(["apparmor=web"], "ssh://root@10.0.0.6"),
            ],
            {},
            [],
        ],
        [
            "apparmor=unconfined is the other policy's",
            [...secure, plain(["apparmor=unconfined"], "ssh://root@10.0.0.9")],
            {},
            [],
        ],
        [
            "no apparmor option is the other policy's",
            [...secure, plain([], "ssh://root@10.0.0.9")],
            {},
            [],
        ],
        [
            "privileged is the other policy's",
            [
                ...secure,
                container(
                    "priv",
                    { securityOpts: ["apparmor=web"], privileged: true },
                    ssh("ssh://root@10.0.0.9"),
                ),
            ],
            {},
            [],
        ],
        [
            "unmanaged docker-default is the other policy's",
            [...secure, plain(["apparmor=docker-default"], "ssh://root@10.0.0.9")],
            {},
            [],
        ],
        [
            "a managed docker-default on another host",
            [
                ...profile("dd", "docker-default", vm),
                plain(["apparmor=docker-default"], "ssh://root@10.0.0.9"),
            ],
            {},
            [/runs on 10\.0\.0\.9:22/],
        ],
        [
            "deprecated colon form",
            [...secure, plain(["apparmor:web"], "ssh://root@10.0.0.5")],
            {},
            [],
        ],
        [
            "versioned name",
            [
                ...profile("secure", "web-1a2b3c4d", vm),
                plain(["apparmor=web-1a2b3c4d"], "ssh://root@10.0.0.5"),
            ],
            {},
            [],
        ],
        [
            "exemptContainers",
            [...secure, plain(["apparmor=other"], "ssh://root@10.0.0.5")],
            { exemptContainers: ["pl*"] },
            [],
        ],
        [
            "preview: securityOpts unknown → skipped",
            [...secure, container("c", { securityOpts: UNKNOWN_ARRAY })],
            {},
            [],
        ],
        [
            "preview: provider host unknown → skipped",
            [...secure, plain(["apparmor=web"], UNKNOWN_STRING)],
            {},
            [],
        ],
        [
            "preview: a HostProfile's name unknown → not reported as unmanaged",
            [
                ...profile("secure", UNKNOWN_STRING, vm),
                plain(["apparmor=web"], "ssh://root@10.0.0.5"),
            ],
            {},
            [],
        ],
        [
            "another container's Confinement does not count",
            [...secure, ...pc(), plain(["apparmor=web"])],
            {},
            [
                /docker\.Container "plain".*cannot tell|cannot tell which host docker\.Container "plain"/,
            ],
        ],
        [
            "two containers, two violations",
            [
                ...secure,
                plain(["apparmor=x"], "ssh://root@10.0.0.5"),
                container("c2", { securityOpts: ["apparmor=y"] }, ssh("ssh://root@10.0.0.5")),
            ],
            {},
            [/"x"/, /"y"/],
        ],
    ];
    for (const [label, stack, config, want] of table) {
        it(label, async () => {
            const v = await runStackPolicy(containerProfileManaged, stack, config);
            assert.strictEqual(v.length, want.length, JSON.stringify(v, null, 1));
            want.forEach((re, i) => {
                assert.match(v[i].message, re);
                assert.match(v[i].message, /\nFix: /);
            });
        });
    }

    it("reports against the container's URN, with the fix", async () => {
        const stack = [...secure, plain(["apparmor=other"], "ssh://root@10.0.0.5")];
        const [v] = await runStackPolicy(containerProfileManaged, stack);
        assert.strictEqual(v.urn, urnOf(stack[stack.length - 1], stack));
        assert.match(v.message, /Fix: load it with a Profile on the container's host/);
    });
});
