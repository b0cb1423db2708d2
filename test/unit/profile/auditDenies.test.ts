import * as assert from "assert";
import { auditDenies, quietDenies } from "../../../src/profile/auditDenies";
import {
    audit,
    capability,
    deny,
    file,
    hat,
    owner,
    profileModel,
    raw,
} from "../../../src/profile/builders";
import { dockerDefault, dockerDefaultModel } from "../../../src/profile/dockerDefault";
import type { PolicyDocument, Profile } from "../../../src/profile/model";
import { renderProfile } from "../../../src/profile/render";

/** The deny lines of a rendered text, trimmed. */
const denyLines = (text: string): string[] =>
    text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^(audit )?deny /.test(l));

describe("profile/auditDenies: the deny rules users add are logged", () => {
    const secure = dockerDefault({ name: "secure" })
        .with(deny.file("/tmp/a/**", "rwlx"), deny.capability("fsetid"))
        .toModel();
    const templateDenies = denyLines(renderProfile(dockerDefaultModel({ name: "secure" })));

    it("\"user\": the user's deny rules become audit deny, the template's stay quiet", () => {
        const lines = denyLines(renderProfile(auditDenies(secure, "user")));
        assert.ok(lines.includes("audit deny /tmp/a/** rwlx,"), lines.join("\n"));
        assert.ok(lines.includes("audit deny capability fsetid,"), lines.join("\n"));
        for (const t of templateDenies) assert.ok(lines.includes(t), `template rule changed: ${t}`);
        assert.strictEqual(lines.length, templateDenies.length + 2);
    });

    it('"all": every deny rule is audited', () => {
        const lines = denyLines(renderProfile(auditDenies(secure, "all")));
        assert.ok(lines.length > 10);
        for (const l of lines) assert.match(l, /^audit deny /);
    });

    it('"none": the model as written (same object)', () => {
        assert.strictEqual(auditDenies(secure, "none"), secure);
    });

    it("changes logging only: allow rules, existing audit deny rules and other fields stay", () => {
        const p: Profile = profileModel("p", {
            rules: [
                file("/x", "r"),
                audit.deny.file("/y", "w"),
                owner.deny.file("/z", "w"),
                capability("chown"),
                hat("h", [deny.file("/in/hat", "r")]),
            ],
        });
        const out = auditDenies(p, "user");
        assert.deepStrictEqual(out.rules[0], p.rules[0]);
        assert.deepStrictEqual(out.rules[1], p.rules[1]);
        assert.deepStrictEqual(out.rules[2], { ...p.rules[2], audit: true });
        assert.deepStrictEqual(out.rules[3], p.rules[3]);
        assert.match(renderProfile(out), /\^h \{\n {4}audit deny \/in\/hat r,\n {2}\}/);
        assert.deepStrictEqual(quietDenies(out, "user"), []);
    });

    it("leaves a docker-default without user rules untouched (byte-identical text)", () => {
        const doc = dockerDefaultModel({ name: "docker-default" });
        assert.strictEqual(auditDenies(doc, "user"), doc);
        assert.strictEqual(renderProfile(auditDenies(doc, "user")), renderProfile(doc));
    });

    it("a user rule equal to a template rule counts as the template's", () => {
        const doc = dockerDefault({ name: "d" })
            .with(deny.file("/sys/firmware/**", "rwklx"))
            .toModel();
        assert.strictEqual(auditDenies(doc, "user"), doc);
    });

    it("quietDenies names what will not be logged: user denies under none, raw deny rules", () => {
        assert.deepStrictEqual(quietDenies(secure, "none"), [
            "deny /tmp/a/** rwlx,",
            "deny capability fsetid,",
        ]);
        assert.deepStrictEqual(quietDenies(secure, "user"), []);
        const withRaw: PolicyDocument = dockerDefault({ name: "r" })
            .with(raw("deny /tmp/raw w,"))
            .toModel();
        assert.deepStrictEqual(quietDenies(auditDenies(withRaw, "all"), "all"), [
            "deny /tmp/raw w, (raw text is not rewritten)",
        ]);
    });
});
