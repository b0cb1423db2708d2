import * as assert from "assert";
import { compileWithParser, findApparmorParser } from "../../../src/local";
import { auditDenies } from "../../../src/profile/auditDenies";
import { deny } from "../../../src/profile/builders";
import { dockerDefault, dockerDefaultModel } from "../../../src/profile/dockerDefault";
import { parseProfile } from "../../../src/profile/parser";
import { renderProfile } from "../../../src/profile/render";
import { validateProfile } from "../../../src/profile/validate";
import { mobyReferenceBinary, mobyReferenceText } from "../../moby-reference/reference";

/**
 * dockerDefault() against moby's own generator (github.com/moby/profiles/apparmor, pinned in
 * test/moby-reference/go.mod): for the same name and options, both texts compile with
 * `apparmor_parser -Q -K -S` to byte-identical policy.
 */
describe("profile/dockerDefault: equals moby's docker-default", function () {
    this.timeout(600_000); // the first run builds the Go reference program (cached afterwards)

    before(function () {
        assert.ok(findApparmorParser(), "apparmor_parser is required (apt-get install apparmor)");
        mobyReferenceBinary();
    });

    const cases: {
        name: string;
        ours: Parameters<typeof dockerDefaultModel>[0];
        moby: Parameters<typeof mobyReferenceText>[1];
    }[] = [
        {
            name: "docker-default",
            ours: { name: "docker-default" },
            moby: { abi: true, tunables: true, abstractions: true },
        },
        {
            name: "docker-default-secure",
            ours: { name: "docker-default-secure", daemonProfile: "dockerd" },
            moby: { abi: true, tunables: true, abstractions: true, daemonProfile: "dockerd" },
        },
        {
            name: "my.app_v2+x",
            ours: { name: "my.app_v2+x", abi: false, tunables: false, abstractions: false },
            moby: {},
        },
        {
            name: "no-abstractions",
            ours: { name: "no-abstractions", abstractions: false, comments: false },
            moby: { abi: true, tunables: true },
        },
    ];

    for (const c of cases) {
        it(`${c.name} ${JSON.stringify(c.moby)}: compiled policy is byte-identical`, async () => {
            const mobyText = mobyReferenceText(c.name, c.moby);
            assert.match(mobyText, new RegExp(`profile "${c.name.replace(/[.+]/g, "\\$&")}"`));
            const oursText = renderProfile(dockerDefaultModel(c.ours));
            const [mine, theirs] = await Promise.all([
                compileWithParser(oursText),
                compileWithParser(mobyText),
            ]);
            assert.ok(mine.length > 1000);
            assert.ok(
                mine.equals(theirs),
                `compiled policy differs\n--- ours ---\n${oursText}\n--- moby ---\n${mobyText}`,
            );
        });
    }

    it("moby's text parses to a model equal to ours (same rules, ignoring comments)", () => {
        const strip = (items: readonly unknown[]): unknown[] =>
            JSON.parse(
                JSON.stringify(items, (k, v) =>
                    k === "hash" // `#include` vs `include`: same statement
                        ? undefined
                        : Array.isArray(v)
                          ? v.filter((x) => !(x && typeof x === "object" && x.kind === "comment"))
                          : v,
                ),
            );
        const mobyDoc = parseProfile(
            mobyReferenceText("x", { abi: true, tunables: true, abstractions: true }),
        );
        const ours = dockerDefaultModel({ name: "x", comments: false });
        const norm = (doc: typeof ours) =>
            renderProfile({ kind: "document", items: strip(doc.items) as typeof ours.items });
        assert.strictEqual(norm(mobyDoc), norm(ours));
    });

    it("the hardened seed differs from moby's by exactly the added rules", async () => {
        const secure = dockerDefault({ name: "docker-default-secure" })
            .with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"))
            .toModel();
        assert.deepStrictEqual(validateProfile(secure), []);
        const text = renderProfile(secure);
        assert.match(text, /^ {2}deny \/tmp\/a\/\*\* rwlx,$/m);
        assert.match(text, /^ {2}deny capability fsetid,$/m);
        const plain = await compileWithParser(
            renderProfile(dockerDefaultModel({ name: "docker-default-secure" })),
        );
        const hardened = await compileWithParser(text);
        assert.ok(!plain.equals(hardened));
        // the same rules appended to moby's own text give the same policy
        const mobyHardened = mobyReferenceText("docker-default-secure", {
            abi: true,
            tunables: true,
            abstractions: true,
        }).replace(/\n}\n$/, "\n  deny /tmp/a/** rwlx,\n  deny capability fsetid,\n}\n");
        assert.ok(hardened.equals(await compileWithParser(mobyHardened)));
    });

    it("auditDenies \"user\" (Profile's default) leaves the template byte-identical to moby's; the user's rules are audit deny", async () => {
        for (const c of cases) {
            const audited = auditDenies(dockerDefaultModel(c.ours), "user");
            const [mine, theirs] = await Promise.all([
                compileWithParser(renderProfile(audited)),
                compileWithParser(mobyReferenceText(c.name, c.moby)),
            ]);
            assert.ok(mine.equals(theirs), `${c.name}: auditDenies changed the template`);
        }
        const secure = dockerDefault({ name: "docker-default-secure" })
            .with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"))
            .toModel();
        const mobyAudited = mobyReferenceText("docker-default-secure", {
            abi: true,
            tunables: true,
            abstractions: true,
        }).replace(
            /\n}\n$/,
            "\n  audit deny /tmp/a/** rwlx,\n  audit deny capability fsetid,\n}\n",
        );
        const ours = await compileWithParser(renderProfile(auditDenies(secure, "user")));
        assert.ok(ours.equals(await compileWithParser(mobyAudited)));
    });

    it("the default model is valid, JSON-serialisable and deterministic", () => {
        const a = dockerDefaultModel({ name: "d" });
        assert.deepStrictEqual(validateProfile(a), []);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(a)), a);
        assert.strictEqual(renderProfile(a), renderProfile(dockerDefaultModel({ name: "d" })));
        const text = renderProfile(a);
        for (const needle of [
            "abi <abi/3.0>,",
            "signal receive peer=runc,",
            "signal receive peer=crun,",
            "deny /sys/devices/virtual/powercap/** rwlkx,",
            "ptrace (read, readby, trace, tracedby) peer=d,",
        ]) {
            assert.ok(text.includes(needle), `missing ${needle} in\n${text}`);
        }
    });

    it("extra abstractions and rules options", () => {
        const m = dockerDefaultModel({
            name: "e",
            abstractions: ["base", "nameservice"],
            rules: [deny.capability("sys_admin")],
        });
        const text = renderProfile(m);
        assert.match(text, /include <abstractions\/nameservice>/);
        assert.match(text, /deny capability sys_admin,\n}\n$/);
    });
});
