import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { resolveModel, resolveText } from "../../../src/components/profile";
import { findApparmorParser } from "../../../src/local";
import { renderProfile } from "../../../src/profile/render";
import { compileCached, mapLimit } from "../../corpus/corpus";
import { generatedCases, type GeneratedCase } from "../../corpus/generated";

/**
 * Preview must not pass what a host refuses. Every generated model value and policy text (see
 * test/corpus/generated.ts) goes through the same validation the `Profile` component runs at preview
 * (`resolveModel` / `resolveText`); every one it accepts is compiled with the real
 * `apparmor_parser -Q -K` (the AppArmor trees of this machine as include dirs), and for texts the
 * install script's header rewrite (lib.sh `set_mode`) must find the `profile NAME … {` line. Cases
 * whose validity depends on the host (an include of a file, AppArmor 4 syntax) are counted apart:
 * the compile at preview on each host checks those.
 */
const LIB_SH = path.join(__dirname, "..", "..", "..", "src", "host", "lib.sh");

interface Outcome {
    readonly c: GeneratedCase;
    readonly accepted: boolean;
    readonly compiled?: boolean;
    readonly why?: string;
}

function installFindsHeader(name: string, text: string): boolean {
    // stdin is a socket here: copy it to a file for set_mode (which redirects from its argument)
    const script =
        '. "$1"; t=$(mktemp); cat >"$t"; set_mode "$2" complain "$t" /dev/null; rc=$?; rm -f "$t"; exit $rc';
    const r = spawnSync("sh", ["-c", script, "sh", LIB_SH, name], { input: text });
    return r.status === 0;
}

describe("profile/validate: generated values vs apparmor_parser", function () {
    this.timeout(20 * 60 * 1000);
    let outcomes: Outcome[] = [];

    before(async function () {
        assert.ok(findApparmorParser(), "apparmor_parser is required (apt-get install apparmor)");
        const cases = generatedCases();
        outcomes = await mapLimit(cases, 2, async (c): Promise<Outcome> => {
            let r: ReturnType<typeof resolveModel>;
            try {
                r = c.model ? resolveModel(c.model) : resolveText(c.text!, "profileText");
            } catch (e) {
                // accepted by the validator, then refused by the renderer
                return {
                    c,
                    accepted: true,
                    compiled: false,
                    why: `render: ${(e as Error).message}`,
                };
            }
            if (!r.resolved) {
                // diagnostics only: would the parser have taken what the validator refused?
                if (process.env.PULUMI_APPARMOR_GENERATED_DUMP && c.model) {
                    try {
                        const t = renderProfile(c.model);
                        const out = await compileCached(t);
                        return { c, accepted: false, compiled: out.ok };
                    } catch {
                        return { c, accepted: false };
                    }
                }
                return { c, accepted: false };
            }
            if (c.host) return { c, accepted: true };
            const out = await compileCached(r.resolved.text);
            if (!out.ok) return { c, accepted: true, compiled: false, why: out.stderr };
            if (c.text !== undefined && !installFindsHeader(r.resolved.name, r.resolved.text))
                return { c, accepted: true, compiled: false, why: "install finds no header" };
            return { c, accepted: true, compiled: true };
        });
    });

    it("generates enough values and texts", () => {
        const models = outcomes.filter((o) => o.c.model).length;
        const texts = outcomes.filter((o) => o.c.text !== undefined).length;
        assert.ok(models >= 1000, `only ${models} model values`);
        assert.ok(texts >= 25, `only ${texts} texts`);
    });

    it("every value the validator accepts compiles (and texts keep an installable header)", () => {
        const bad = outcomes.filter((o) => o.accepted && o.compiled === false);
        if (process.env.PULUMI_APPARMOR_GENERATED_DUMP)
            fs.writeFileSync(process.env.PULUMI_APPARMOR_GENERATED_DUMP, JSON.stringify(outcomes));
        const accepted = outcomes.filter((o) => o.accepted);
        const host = outcomes.filter((o) => o.accepted && o.compiled === undefined);
        console.log(
            `      generated: ${outcomes.length} cases (${outcomes.filter((o) => o.c.model).length} model values, ` +
                `${outcomes.filter((o) => o.c.text !== undefined).length} texts); accepted ${accepted.length}, ` +
                `compiled ${accepted.length - bad.length - host.length}, host-dependent ${host.length}, ` +
                `rejected ${outcomes.length - accepted.length}; accepted but refused: ${bad.length}`,
        );
        assert.deepStrictEqual(
            bad.map(
                (o) =>
                    `${o.c.field}: ${JSON.stringify(o.c.value).slice(0, 80)}: ${(o.why ?? "").split("\n")[0]}`,
            ),
            [],
        );
    });
});
