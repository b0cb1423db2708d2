/**
 * When `HostProfile`'s check compiles on the host (the real compile is proven on the VM by
 * test/components/engine.preview-compile.vm.test.ts): only in previews, only for a version new to
 * the host, only with every value known, never when it could send a password to an unverified host.
 */
import * as assert from "assert";
import {
    compileNeeded,
    hostProfileProvider,
    type HostProfileInputs,
} from "../../../src/components/hostProfileProvider";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const conn = { host: "h", port: 22, user: "root", sudo: false, privateKey: "k" };
const base: HostProfileInputs = {
    connection: conn,
    target: "root@h:22",
    hostName: "h",
    profileName: "p",
    profileText: "profile p { file, }\n",
    version: "v2",
    mode: "enforce",
    directory: "/etc/apparmor.d/containers",
    drift: [],
};
const news = base;
const olds: HostProfileInputs = { ...news, version: "v1" };

describe("components: compile at preview — when check compiles on the host", () => {
    const table: [string, Partial<HostProfileInputs>, Partial<HostProfileInputs>, boolean][] = [
        ["created", {}, news, true],
        ["new version", olds, news, true],
        ["same version (no-op)", news, news, false],
        ["same version, other mode", news, { ...news, mode: "complain" }, false],
        ["renamed", news, { ...news, profileName: "q" }, true],
        ["moved to another host", news, { ...news, connection: { ...conn, host: "h2" } }, true],
        ["other port", news, { ...news, connection: { ...conn, port: 2222 } }, true],
        ["unknown text", olds, { ...news, profileText: UNKNOWN }, false],
        ["unknown version", olds, { ...news, version: UNKNOWN }, false],
        ["unknown connection", olds, { ...news, connection: UNKNOWN as never }, false],
        ["unknown host", olds, { ...news, connection: { ...conn, host: UNKNOWN } }, false],
        ["unknown key", olds, { ...news, connection: { ...conn, privateKey: UNKNOWN } }, false],
        [
            "password without a pinned host key",
            olds,
            { ...news, connection: { ...conn, privateKey: undefined, password: "pw" } },
            false,
        ],
        [
            "password with a pinned host key",
            olds,
            {
                ...news,
                connection: { ...conn, privateKey: undefined, password: "pw", hostKey: "SHA256:x" },
            },
            true,
        ],
    ];
    for (const [what, o, n, want] of table)
        it(`${what} → ${want ? "compiles" : "does not compile"}`, () => {
            assert.strictEqual(compileNeeded(o, n), want);
        });

    it("check outside a preview compiles nothing and drops no input; in a preview the flag is dropped", async () => {
        // no `preview` flag (an `up`): no SSH attempt is made (the host "h" does not exist)
        const pw = {
            ...conn,
            privateKey: undefined,
            password: "pw",
            hostKey: `SHA256:${"A".repeat(43)}`,
        };
        const news = { ...base, connection: pw };
        const olds = { ...news, version: "v1" };
        const r = await hostProfileProvider.check(olds, news);
        assert.deepStrictEqual(r.failures, []);
        assert.deepStrictEqual(r.inputs, news);
        // a preview of a no-op: the flag is removed from the inputs, nothing compiled
        const p = await hostProfileProvider.check(news, { ...news, preview: true });
        assert.deepStrictEqual(p.failures, []);
        assert.deepStrictEqual(p.inputs, news);
    });
});
