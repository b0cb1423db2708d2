/** What docker makes of AppArmor options, and which machine an address names (src/policy/docker.ts). */
import * as assert from "assert";
import {
    effectiveAppArmor,
    endpointKey,
    parseEndpoint,
    sshDockerEndpoint,
    targetEndpoint,
    type AppArmorChoice,
} from "../../../src/policy";

describe("policy: docker's AppArmor choice (moby saveAppArmorConfig)", () => {
    const table: [string, unknown[] | undefined, boolean | undefined, AppArmorChoice][] = [
        ["none", undefined, undefined, { kind: "docker-default" }],
        ["empty list", [], false, { kind: "docker-default" }],
        [
            "profile",
            ["apparmor=web"],
            undefined,
            { kind: "profile", name: "web", option: "apparmor=web" },
        ],
        [
            "colon form",
            ["apparmor:web"],
            undefined,
            { kind: "profile", name: "web", option: "apparmor:web" },
        ],
        [
            "'=' wins over ':'",
            ["apparmor=a:b"],
            undefined,
            { kind: "profile", name: "a:b", option: "apparmor=a:b" },
        ],
        ["empty value", ["apparmor="], undefined, { kind: "docker-default", option: "apparmor=" }],
        [
            "unconfined",
            ["apparmor=unconfined"],
            undefined,
            { kind: "unconfined", option: "apparmor=unconfined" },
        ],
        [
            "last wins",
            ["apparmor=a", "apparmor=b"],
            undefined,
            { kind: "profile", name: "b", option: "apparmor=b" },
        ],
        ["privileged", ["apparmor=web"], true, { kind: "privileged", option: "apparmor=web" }],
        ["privileged alone", [], true, { kind: "privileged", option: undefined }],
        ["other keys", ["seccomp=x", "label=disable"], undefined, { kind: "docker-default" }],
    ];
    for (const [label, opts, privileged, want] of table)
        it(label, () => assert.deepStrictEqual(effectiveAppArmor(opts, privileged), want));
});

describe("policy: endpoints", () => {
    const endpoints: [string, string | undefined][] = [
        ["10.0.0.5", "10.0.0.5:22"],
        ["10.0.0.5:2222", "10.0.0.5:2222"],
        ["Web1.Example.com", "web1.example.com:22"],
        ["[::1]:2200", "[::1]:2200"],
        ["::1", "[::1]:22"],
        ["host:port", undefined],
        ["", undefined],
        ["a b", undefined],
    ];
    for (const [text, want] of endpoints)
        it(`parseEndpoint ${JSON.stringify(text)}`, () => {
            const e = parseEndpoint(text);
            assert.strictEqual(e && endpointKey(e), want);
        });

    const targets: [string, string | undefined][] = [
        ["root@10.0.0.5:22", "10.0.0.5:22"],
        ["tester@127.0.0.1:36125", "127.0.0.1:36125"],
        ["root@::1:22", "[::1]:22"],
        ["root@WEB:22", "web:22"],
        ["root@web", "web:22"],
        ["root@web:x", undefined],
    ];
    for (const [text, want] of targets)
        it(`targetEndpoint ${text}`, () => {
            const e = targetEndpoint(text);
            assert.strictEqual(e && endpointKey(e), want);
        });

    const dockerHosts: [string, string | undefined][] = [
        ["ssh://root@10.0.0.5", "10.0.0.5:22"],
        ["ssh://root@10.0.0.5:2222", "10.0.0.5:2222"],
        ["ssh://10.0.0.5", "10.0.0.5:22"],
        ["SSH://Host", "host:22"],
        ["ssh://u@[::1]:22/path", "[::1]:22"],
        ["tcp://10.0.0.5:2375", undefined],
        ["unix:///var/run/docker.sock", undefined],
        ["npipe:////./pipe/docker_engine", undefined],
        ["ssh://", undefined],
    ];
    for (const [url, want] of dockerHosts)
        it(`sshDockerEndpoint ${url}`, () => {
            const e = sshDockerEndpoint(url);
            assert.strictEqual(e && endpointKey(e), want);
        });
});
