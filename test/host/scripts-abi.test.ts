/**
 * The host's ABI report on the test VM (Debian 12: apparmor 3.0.8, Linux 6.1), issue #18 item 2:
 * what `preflight`, `compile` and `install facts` report as `hostAbi` equals what the VM's own
 * /sys/kernel/security/apparmor/features tree, apparmor_parser and /etc/apparmor.d/abi say (read here
 * independently, with find/awk as root); and a `userns,` profile is refused by the VM's parser while
 * the report explains why. install keeps its facts in the host's state directory between runs.
 */
import * as assert from "assert";
import { HostScriptError, hostScripts, parseHostAbi, type HostExec } from "../../src/host";
import { abiRequirements, checkHostAbi, parseProfile, type HostAbiFacts } from "../../src/profile";
import { sharedTestHost, type TestHostInfo } from "../support/testhost";
import { execFor, root } from "./scripts-support";

/** The VM's features, listed the way apparmor_parser names them, by find and awk instead of sh globs. */
const TRUTH = [
    "cd /sys/kernel/security/apparmor/features &&",
    "find . -mindepth 1 -maxdepth 3 | sed 's|^\\./||' | sort |",
    'while read -r p; do echo "$p"; [ -f "$p" ] && head -n 1 "$p" |',
    'awk -v p="$p" \'NF <= 16 { for (i = 1; i <= NF; i++) if ($i != "yes" && $i != "no") print p "/" $i }\';',
    "done; true",
].join(" ");

describe("host scripts: the host's AppArmor ABI on the test VM", function () {
    this.timeout(600000);
    let info: TestHostInfo;
    let exec: HostExec;
    let truth: { features: string[]; parser: string; abi: string[]; kernel: string };

    before(async function () {
        this.timeout(900000);
        info = await sharedTestHost();
        exec = execFor(info);
        const [f, p, a, k] = await Promise.all([
            root(info, TRUTH),
            root(info, "apparmor_parser --version | head -n 1"),
            root(info, "ls /etc/apparmor.d/abi"),
            root(info, "uname -r"),
        ]);
        truth = {
            features: f.stdout.split("\n").filter((l) => l !== ""),
            parser: p.stdout.trim().split(" ").pop() ?? "",
            abi: a.stdout.split("\n").filter((l) => l !== ""),
            kernel: k.stdout.trim(),
        };
    });

    function assertTruth(h: HostAbiFacts | undefined, what: string) {
        assert.ok(h, `${what}: no hostAbi`);
        assert.strictEqual(h.parserVersion, truth.parser);
        assert.strictEqual(h.kernel, truth.kernel);
        assert.deepStrictEqual([...h.abi].sort(), [...truth.abi].sort());
        assert.deepStrictEqual([...h.features].sort(), [...truth.features].sort(), what);
    }

    it("preflight (as the SSH user) reports the VM's parser, kernel, ABI files and feature tree", async () => {
        const r = await hostScripts.preflight(exec, { checkDocker: false });
        assertTruth(r.hostAbi, "preflight");
        // bookworm: AppArmor 3.0, no user namespace mediation, ABI 3.0 only
        assert.strictEqual(r.hostAbi!.parserVersion, "3.0.8");
        assert.ok(r.hostAbi!.abi.includes("3.0") && !r.hostAbi!.abi.includes("4.0"));
        assert.ok(r.hostAbi!.features.includes("namespaces/profile"));
        assert.ok(!r.hostAbi!.features.includes("namespaces/mask/userns_create"));
        process.stderr.write(
            `      [abi] ${r.hostAbi!.features.length} feature paths, abi ${r.hostAbi!.abi.join(", ")}\n`,
        );
    });

    it("compile reports the same beside an accepted text and beside the refusal of `userns,`", async () => {
        const ok = await hostScripts.compile(exec, { text: "profile pa-abi-ok {\n  file,\n}\n" });
        assertTruth(ok.hostAbi, "compile ok");
        const text = "profile pa-abi-userns {\n  file,\n  userns,\n}\n";
        let err: unknown;
        try {
            await hostScripts.compile(exec, { text });
        } catch (e) {
            err = e;
        }
        assert.ok(err instanceof HostScriptError && err.code === "compile-failed", String(err));
        const facts = parseHostAbi(err.result?.hostAbi);
        assertTruth(facts, "compile refused");
        const errors = checkHostAbi(facts!, abiRequirements(parseProfile(text)), "vm");
        assert.strictEqual(errors.length, 1, errors.join("\n"));
        assert.match(
            errors[0],
            /^host vm cannot enforce `userns,`: its apparmor_parser 3\.0\.8 is older than 4\.0.*namespaces\/mask\/userns_create/,
        );
    });

    it("install facts: the same, kept in /var/lib/pulumi-apparmor/abi-facts and taken from it until the parser's config changes", async () => {
        const name = "pa-abi-cache";
        const cache = "/var/lib/pulumi-apparmor/abi-facts";
        const install = () =>
            hostScripts.install(exec, {
                name,
                text: `profile ${name} {\n  file,\n}\n`,
                mode: "enforce",
                sudo: true,
                facts: true,
            });
        try {
            // The first run may create the state directory; the second keeps the facts at least.
            assertTruth((await install()).hostAbi, "install");
            assertTruth((await install()).hostAbi, "install again");
            const st = await root(info, `stat -c '%U %a %F' ${cache}; sed -n 1p ${cache}`);
            const [owner, fp] = st.stdout.split("\n");
            assert.strictEqual(owner, "root 600 regular file");
            assert.match(
                fp,
                /^v1 [0-9a-f-]{36} \/sys\/kernel\/security\/apparmor .*apparmor_parser:/,
            );
            // Facts planted in the file (its fingerprint kept) are what the next install reports.
            await root(
                info,
                `sed -i '3s/"parserVersion":"[^"]*"/"parserVersion":"9.9.9"/' ${cache}`,
            );
            assert.strictEqual((await install()).hostAbi?.parserVersion, "9.9.9");
            // A changed parser config (its status-change time) makes the next run read afresh.
            await root(info, "touch /etc/apparmor/parser.conf");
            assertTruth((await install()).hostAbi, "install after the config changed");
        } finally {
            // (never leave planted facts to the next suite on this VM)
            await root(info, `rm -f ${cache}`);
            await hostScripts.remove(exec, { name, sudo: true });
        }
    });
});
