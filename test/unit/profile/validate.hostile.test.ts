import * as assert from "assert";
import { compileWithParser, findApparmorParser } from "../../../src/local";
import {
    capability,
    comment,
    dbus,
    file,
    include,
    mount,
    network,
    profileModel,
    raw,
    signal,
    unix,
    variable,
} from "../../../src/profile/builders";
import {
    ruleKey,
    type PolicyDocument,
    type Profile,
    type ProfileItem,
} from "../../../src/profile/model";
import { parseProfile } from "../../../src/profile/parser";
import { renderProfile } from "../../../src/profile/render";
import { validateProfile } from "../../../src/profile/validate";

/**
 * Hostile input: names, paths, peers, targets, raw text, comments … carrying shell and policy
 * metacharacters. Each case states whether validateProfile must reject it. When it is accepted, the
 * rendered text must (1) parse back to the same model and (2) compile with apparmor_parser -Q -K -S to
 * exactly the bytes of a reference text written by hand that says what the value is meant to say
 * (typically the same rule with the value in quotes, or the profile without the comment). So an
 * accepted value can never turn into policy that means something else (an extra rule, a second
 * profile, a different path).
 */

interface HostileCase {
    readonly label: string;
    readonly model: Profile | PolicyDocument;
    /** "reject", or the reference policy text the accepted model must compile identically to. */
    readonly expect: "reject" | { readonly ref: string };
}

const base = file("/tmp/x", "r");
const p = (rules: ProfileItem[], name = "t"): Profile => profileModel(name, { rules });
const cases: HostileCase[] = [];
const reject = (label: string, model: Profile | PolicyDocument) =>
    cases.push({ label, model, expect: "reject" });
const accept = (label: string, model: Profile | PolicyDocument, ref: string) =>
    cases.push({ label, model, expect: { ref } });

// --- profile names -----------------------------------------------------------------------------
const hostileNames: [string, string][] = [
    ["semicolon", "a;reboot"],
    ["command substitution", "$(reboot)"],
    ["command substitution inside", "x$(reboot)"],
    ["backticks", "a`id`"],
    ["single quote", "a'b"],
    ["double quote", 'a"b'],
    ["newline", "a\nprofile evil"],
    ["closing brace", "a}"],
    ["opening brace", "a{"],
    ["comma", "a,b"],
    ["NUL", "a\0b"],
    ["hash", "a#b"],
    ["backslash", "a\\b"],
    ["right-to-left override", "a\u202eb"],
    ["zero-width space", "a\u200bb"],
    ["space", "a b"],
    ["tab", "a\tb"],
    ["carriage return", "a\rb"],
    ["very long", "x".repeat(5000)],
    ["leading dash", "-rf"],
    ["reserved unconfined", "unconfined"],
    ["namespace prefix", ":ns:x"],
    ["hat caret", "^hat"],
    ["child separator", "a//b"],
    ["empty", ""],
    ["profile injection", "x { capability, } profile y"],
    ["ampersands", "a&&b"],
    ["pipe", "a|b"],
    ["redirect", "a>b"],
    ["path name with space", "/usr/bin/a b"],
    ["path name with $()", "/usr/bin/$(x)"],
];
for (const [label, name] of hostileNames) reject(`name: ${label}`, p([base], name));
accept("name: plain", p([base], "ok-name_1.2+3"), 'profile "ok-name_1.2+3" { "/tmp/x" r, }');
accept("name: path form", p([base], "/usr/bin/foo"), 'profile "/usr/bin/foo" { "/tmp/x" r, }');

// --- paths --------------------------------------------------------------------------------------
const acceptedPaths = [
    "/tmp/a;b",
    "/tmp/$(reboot)",
    "/tmp/`id`",
    "/tmp/a'b",
    "/tmp/a#b",
    "/tmp/a b",
    "/tmp/a\\,b",
    "/tmp/{a,b}",
    "/tmp/a&b|c>d<e",
    "/tmp/ünï",
    "/tmp/a=b(c)",
];
for (const path of acceptedPaths) {
    accept(`path: ${JSON.stringify(path)}`, p([file(path, "r")]), `profile t { "${path}" r, }`);
}
const rejectedPaths: [string, string][] = [
    ["double quote", '/tmp/a"b'],
    ["newline", "/tmp/a\nb"],
    ["newline + rule", "/tmp/x r,\n  capability sys_admin"],
    ["comma + rule", "/tmp/x rw, capability sys_admin"],
    ["unbalanced }", "/tmp/a}b"],
    ["unbalanced {", "/tmp/a{b"],
    ["NUL", "/tmp/a\0b"],
    ["trailing backslash", "/tmp/a\\"],
    ["relative", "tmp/relative"],
    ["bidi override", "/tmp/\u202eevil"],
    ["very long", "/" + "a".repeat(5000)],
    ["carriage return", "/tmp/a\rb"],
    ["closing the profile", "/tmp/x r, } profile evil { /**"],
];
for (const [label, path] of rejectedPaths) reject(`path: ${label}`, p([file(path, "r")]));

// --- peers and exec targets ---------------------------------------------------------------------
reject("peer: parenthesis injection", p([signal({ peer: "unconfined) capability,(" })]));
reject("peer: semicolon", p([signal({ peer: "a;b" })]));
reject("peer: quote", p([signal({ peer: 'a"' })]));
reject("peer: comma", p([signal({ peer: "x,y" })]));
reject("peer: $()", p([signal({ peer: "$(id)" })]));
reject("peer: newline", p([signal({ peer: "a\n" })]));
accept(
    "peer: child label",
    p([signal({ access: ["send"], peer: "foo//bar" })]),
    'profile t { signal (send) peer="foo//bar", }',
);
reject("target: arrow injection", p([file("/usr/bin/x", "Px", "foo -> bar")]));
reject("target: $", p([file("/usr/bin/x", "Px", "a$b")]));
accept(
    "target: plain",
    p([file("/usr/bin/x", "Px", "foo")]),
    'profile t { "/usr/bin/x" Px -> "foo", }',
);

// --- raw text -----------------------------------------------------------------------------------
reject("raw: closes the profile", p([raw("capability,\n}\nprofile evil {\n  capability,")]));
reject("raw: } on one line", p([raw("} profile evil { capability,")]));
reject("raw: unterminated quote", p([raw('/tmp/x "r,')]));
reject("raw: no comma", p([raw("capability sys_admin")]));
reject("raw: NUL", p([raw("capability,\0")]));
reject("raw: include then }", p([raw("#include <x> } profile evil {")]));
accept("raw: comment hides a brace", p([raw("capability, # }")]), "profile t { capability, }");
accept("raw: two rules", p([raw("network,\n  capability,")]), "profile t { network, capability, }");
accept("raw: quoted escaped brace", p([raw('"/tmp/\\} x" r,')]), 'profile t { "/tmp/\\} x" r, }');

// --- comments (must never change the policy) ----------------------------------------------------
reject("comment: newline + rule", p([base, comment(" hi\n  capability sys_admin,")]));
reject("comment: carriage return", p([base, comment(" \r capability,")]));
reject("comment: line separator", p([base, comment(" \u2028capability,")]));
accept("comment: braces", p([base, comment(" hi } {")]), 'profile t { "/tmp/x" r, }');
accept(
    "comment: shell soup",
    p([base, comment(" $(reboot) `id` ; ' \" # \\ , } include <x>")]),
    'profile t { "/tmp/x" r, }',
);

// --- other fields -------------------------------------------------------------------------------
reject("capability: list in one", p([capability("sys_admin,dac_override")]));
reject("capability: CAP_ prefix", p([capability("CAP_SYS_ADMIN")]));
reject("capability: trailing junk", p([capability("sys_admin ;")]));
reject(
    "flags: header injection",
    profileModel("t", {
        flags: ["complain) { capability, } profile x flags=(complain"],
        rules: [base],
    }),
);
accept(
    "flags: complain",
    profileModel("t", { flags: ["complain"], rules: [base] }),
    'profile t flags=(complain) { "/tmp/x" r, }',
);
reject("network: injected rule", p([network("inet, capability")]));
reject("mount: option injection", p([mount({ options: ["ro) -> /, mount options=(rw"] })]));
reject("dbus: comma in member", p([dbus({ member: "Foo,bar" })]));
reject("unix: paren in addr", p([unix({ addr: "@evil)" })]));
reject("hat: brace in name", p([{ kind: "profile", name: "evil{", hat: true, rules: [base] }]));
reject("include: newline", p([include("abstractions/base>\nprofile")]));
reject("include: quote", p([include('local/"x', { form: "quoted" })]));
const doc = (items: PolicyDocument["items"]): PolicyDocument => ({ kind: "document", items });
reject(
    "variable: newline in value",
    doc([variable("X", ["/a\n@{Y}=/b"]), p([file("@{X}/**", "r")])]),
);
reject("variable: bad name", doc([variable("X}=/ @{Y", ["/a"]), p([base])]));
accept(
    "variable: value with space",
    doc([variable("X", ["/a b"]), p([file("@{X}/**", "r")])]),
    '@{X}="/a b"\nprofile t { "@{X}/**" r, }',
);

describe("profile/validate: hostile input", function () {
    this.timeout(120_000);
    before(function () {
        assert.ok(findApparmorParser(), "apparmor_parser is required (apt-get install apparmor)");
    });

    it("has at least 50 hostile cases", () => {
        assert.ok(cases.length >= 50, `only ${cases.length}`);
    });

    for (const c of cases) {
        it(`${c.expect === "reject" ? "rejects" : "accepts safely"} ${c.label}`, async () => {
            const problems = validateProfile(c.model);
            if (c.expect === "reject") {
                assert.ok(problems.length > 0, "validateProfile accepted it");
                for (const pr of problems) assert.ok(pr.path !== undefined && pr.fix.length > 3);
                return;
            }
            assert.deepStrictEqual(problems, []);
            const text = renderProfile(c.model);
            const back = parseProfile(text);
            const wantDoc: PolicyDocument =
                c.model.kind === "profile" ? { kind: "document", items: [c.model] } : c.model;
            const strip = (d: PolicyDocument) =>
                ruleKey({
                    kind: "document",
                    items: JSON.parse(
                        JSON.stringify(d.items, (_k, v) =>
                            Array.isArray(v)
                                ? v.filter(
                                      (x) => !(x && typeof x === "object" && x.kind === "comment"),
                                  )
                                : v,
                        ),
                    ),
                });
            if (JSON.stringify(c.model).includes('"kind":"raw"')) {
                // raw text is verbatim policy: it parses back to typed rules, which must be those
                // of the reference text
                assert.strictEqual(strip(back), strip(parseProfile(c.expect.ref)), text);
            } else {
                assert.strictEqual(
                    ruleKey(back),
                    ruleKey(wantDoc),
                    `round trip changed the model:\n${text}`,
                );
            }
            const [mine, ref] = await Promise.all([
                compileWithParser(text),
                compileWithParser(c.expect.ref),
            ]);
            assert.ok(
                mine.equals(ref),
                `means something else than the reference:\n${text}\n--- ref ---\n${c.expect.ref}`,
            );
        });
    }
});
