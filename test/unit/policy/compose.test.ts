/**
 * apparmor-compose-confined (resource policy on ComposeDeployment) and the compose part of
 * apparmor-container-profile-managed (stack policy), over tables of compose files and mock stacks.
 */
import * as assert from "assert";
import { parseComposeText, rewriteCompose } from "../../../src/compose";
import { composeConfined, containerProfileManaged } from "../../../src/policy";
import {
    isUnknownValueError,
    runResourcePolicy,
    runStackPolicy,
    UNKNOWN_STRING,
    type MockResource,
} from "./harness";
import { profile } from "./stacks";

const COMPOSE_PROJECT = "apparmor:index:ComposeProject";
const COMPOSE_DEPLOYMENT = "pulumi-nodejs:dynamic/apparmor:ComposeDeployment";

/** What ComposeProject registers: the component and its deployment (file as sent to the host). */
function composeProject(
    name: string,
    o: {
        file: string;
        services: Record<string, string>;
        target?: string;
        project?: string;
    },
): MockResource[] {
    return [
        { type: COMPOSE_PROJECT, name },
        {
            type: COMPOSE_DEPLOYMENT,
            name: `${name}-deployment`,
            parent: name,
            props: {
                project: o.project ?? name,
                target: o.target ?? "root@10.0.0.5:22",
                file: o.file,
                services: Object.fromEntries(
                    Object.entries(o.services).map(([s, p]) => [
                        s,
                        { profileName: p, mode: "enforce" },
                    ]),
                ),
                drift: [],
            },
        },
    ];
}

/** The file ComposeProject sends: `text` rewritten with each service's profile. */
function rewritten(text: string, profiles: Record<string, string>): string {
    const r = parseComposeText(text);
    if (!r.ok) throw new Error(r.errors.join("; "));
    return rewriteCompose(r.file, profiles);
}

const svc = (body: string) => `services:\n  web:\n    image: nginx\n${body}`;

describe("policy: apparmor-compose-confined", () => {
    const web = { web: "shop-web" };
    // [label, file as sent, services map, config, expected violation (undefined: none)]
    const table: [string, string, Record<string, string>, object, RegExp | undefined][] = [
        ["ComposeProject's rewrite", rewritten(svc(""), web), web, {}, undefined],
        [
            "the rewrite keeps other options",
            rewritten(svc('    security_opt: ["no-new-privileges:true"]\n'), web),
            web,
            {},
            undefined,
        ],
        [
            "two services, two profiles",
            rewritten(`${svc("")}  db:\n    image: postgres\n`, { ...web, db: "shop-db" }),
            { ...web, db: "shop-db" },
            {},
            undefined,
        ],
        [
            "deprecated apparmor:NAME",
            svc('    security_opt: ["apparmor:shop-web"]\n'),
            web,
            {},
            undefined,
        ],
        [
            "privileged: false",
            svc('    privileged: false\n    security_opt: ["apparmor=shop-web"]\n'),
            web,
            {},
            undefined,
        ],
        [
            "privileged: true (a deployment declared by hand)",
            svc('    privileged: true\n    security_opt: ["apparmor=shop-web"]\n'),
            web,
            {},
            /service "web" is privileged \("true"\), so dockerd runs it unconfined/,
        ],
        [
            "apparmor=unconfined",
            svc('    security_opt: ["apparmor=unconfined"]\n'),
            web,
            {},
            /service "web" runs without AppArmor: security_opt has "apparmor=unconfined"/,
        ],
        [
            "the last apparmor entry wins: unconfined after the profile",
            svc('    security_opt: ["apparmor=shop-web", "apparmor:unconfined"]\n'),
            web,
            {},
            /runs without AppArmor: security_opt has "apparmor:unconfined"/,
        ],
        [
            "the last apparmor entry wins: the profile after unconfined",
            svc('    security_opt: ["apparmor=unconfined", "apparmor=shop-web"]\n'),
            web,
            {},
            undefined,
        ],
        [
            "no apparmor option",
            svc(""),
            web,
            {},
            /service "web" has no `apparmor=` option, so docker confines it with its implicit docker-default profile, not its Profile "shop-web"/,
        ],
        [
            "another profile",
            svc('    security_opt: ["apparmor=other"]\n'),
            web,
            {},
            /service "web" runs under AppArmor profile "other" \("apparmor=other"\), not its Profile "shop-web"/,
        ],
        [
            "a service without a Profile",
            rewritten(`${svc("")}  db:\n    image: postgres\n`, { ...web, db: "shop-db" }),
            web,
            {},
            /service "db" has no Profile/,
        ],
        [
            "${VAR} in security_opt",
            svc('    security_opt: ["apparmor=${PROFILE}"]\n'),
            web,
            {},
            /service "web" has "apparmor=\$\{PROFILE\}", resolved only on the host/,
        ],
        [
            "${VAR} in privileged",
            svc('    privileged: "${PRIV}"\n    security_opt: ["apparmor=shop-web"]\n'),
            web,
            {},
            /resolved only on the host/,
        ],
        ["a file that does not parse", "services: [", web, {}, /its compose file cannot be read: /],
        [
            "an exempt project",
            svc('    security_opt: ["apparmor=unconfined"]\n'),
            web,
            { exemptProjects: ["sh*"] },
            undefined,
        ],
    ];
    for (const [what, file, services, config, want] of table)
        it(what, async () => {
            const all = composeProject("shop", { file, services });
            const v = await runResourcePolicy(composeConfined, all[1], config, {}, all);
            if (want === undefined) assert.deepStrictEqual(v, []);
            else {
                assert.strictEqual(v.length, 1, JSON.stringify(v));
                assert.match(v[0].message, /^ComposeProject "shop" \(compose project "shop"\): /);
                assert.match(v[0].message, want);
                assert.match(v[0].message, /\nFix: declare the project with ComposeProject/);
            }
        });

    it("every problem of the project in one violation", async () => {
        const file = `services:\n  a:\n    image: x\n    privileged: true\n  b:\n    image: x\n    security_opt: ["apparmor=unconfined"]\n`;
        const all = composeProject("shop", { file, services: { a: "pa", b: "pb" } });
        const v = await runResourcePolicy(composeConfined, all[1], {}, {}, all);
        assert.strictEqual(v.length, 1);
        assert.match(
            v[0].message,
            /service "a" is privileged.*; service "b" runs without AppArmor/,
        );
    });

    it("other resource types are not checked", async () => {
        const all = profile("secure", "web", { vm: "root@10.0.0.5:22" });
        assert.deepStrictEqual(await runResourcePolicy(composeConfined, all[1]), []);
    });

    it("a file unknown during preview is left to the engine (UnknownValueError)", async () => {
        const all = composeProject("shop", { file: UNKNOWN_STRING, services: { web: "shop-web" } });
        await assert.rejects(
            () => runResourcePolicy(composeConfined, all[1], {}, {}, all),
            (e) => isUnknownValueError(e),
        );
    });
});

describe("policy: apparmor-container-profile-managed, compose projects", () => {
    const file = rewritten(svc(""), { web: "shop-web" });
    // [label, stack, expected violations]
    const table: [string, MockResource[], RegExp[]][] = [
        [
            "the service's profile is loaded on the project's host",
            [
                ...profile("web", "shop-web", { vm: "deploy@10.0.0.5:22" }),
                ...composeProject("shop", { file, services: { web: "shop-web" } }),
            ],
            [],
        ],
        [
            "the same host in other letters and another SSH user",
            [
                ...profile("web", "shop-web", { vm: "deploy@Web1.example:22" }),
                ...composeProject("shop", {
                    file,
                    services: { web: "shop-web" },
                    target: "root@web1.EXAMPLE:22",
                }),
            ],
            [],
        ],
        [
            "no Profile of the stack loads it",
            composeProject("shop", { file, services: { web: "shop-web" } }),
            [
                /^ComposeProject "shop" \(compose project "shop" on root@10\.0\.0\.5:22\): service "web" runs under AppArmor profile "shop-web", which no Profile of this stack manages/,
            ],
        ],
        [
            "loaded only on another host",
            [
                ...profile("web", "shop-web", { vm: "deploy@10.0.0.6:22" }),
                ...composeProject("shop", { file, services: { web: "shop-web" } }),
            ],
            [
                /service "web" runs under AppArmor profile "shop-web" on 10\.0\.0\.5:22, but it is managed only by Profile "web" on deploy@10\.0\.0\.6:22/,
            ],
        ],
        [
            "another SSH port is another host",
            [
                ...profile("web", "shop-web", { vm: "deploy@10.0.0.5:2222" }),
                ...composeProject("shop", { file, services: { web: "shop-web" } }),
            ],
            [/managed only by Profile "web" on deploy@10\.0\.0\.5:2222/],
        ],
        [
            "a deployment whose target is unknown (preview) is skipped",
            [
                ...profile("web", "shop-web", { vm: "deploy@10.0.0.6:22" }),
                ...composeProject("shop", {
                    file,
                    services: { web: "shop-web" },
                    target: UNKNOWN_STRING,
                }),
            ],
            [],
        ],
    ];
    for (const [what, stack, want] of table)
        it(what, async () => {
            const v = await runStackPolicy(containerProfileManaged, stack);
            assert.strictEqual(v.length, want.length, JSON.stringify(v));
            want.forEach((re, i) => assert.match(v[i].message, re));
            for (const x of v) assert.match(x.urn ?? "", /ComposeDeployment::shop-deployment$/);
        });
});
