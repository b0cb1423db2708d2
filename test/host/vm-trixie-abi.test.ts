/**
 * The ABI per host on Debian 13 (#18 item 2): Debian pins its parser's feature set in
 * /etc/apparmor/parser.conf (`policy-features=/usr/share/apparmor-features/features`), and the parser
 * compiles a profile without an `abi` rule against THAT set, not the kernel's. On the trixie VM: the
 * `read` script's facts part reports the pin (path and features); a rule the pinned set lacks is
 * reported naming host, rule and feature, as the VM's own parser warns; and a refresh (HostProfile's
 * read, no engine) after the pin changed updates `installed.hostAbi` and the drift in the refreshed
 * state without an install, in one host run. The test writes parser.conf and restores it.
 *
 * It runs on the trixie VM the trixie tests of the mocha process share (`sharedTrixieHost()`;
 * PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR uses one already running in DIR instead).
 */
import * as assert from "assert";
import * as fs from "fs";
import { hostScripts, HostScriptError, type HostExec } from "../../src/host";
import { parseRead, readCommand, type ReadPart } from "../../src/host/read";
import type { HostAbiFacts } from "../../src/profile";
import {
    hostAbiProblems,
    hostProfileProvider,
    type HostProfileOutputs,
} from "../../src/components/hostProfileProvider";
import { resolveText } from "../../src/components/profile";
import { reads } from "../../src/components/hostops";
import { closeAll } from "../../src/components/ssh";
import type { PlainConnection } from "../../src/components/connection";
import { sharedTrixieHost, type TestHostInfo } from "../support/testhost";
import { cleanup, execFor, root } from "./scripts-support";
import { DEBIAN_PIN, PARSER_CONF as CONF, pinCommands } from "../support/parserConfPin";

const NAME = "pa-trixie-abi";
const PIN = pinCommands(NAME);
/** Debian's pinned set without `userns_create` (the kernel has it). */
const NO_USERNS_PIN = PIN.noUsernsPin;
const DIR = "/etc/apparmor.d/containers";

/** The VM parser's own warnings for `text` (compiled, not loaded). */
async function parserWarnings(info: TestHostInfo, text: string): Promise<string> {
    const r = await root(info, "apparmor_parser -Q -K --warn=all 2>&1; true", { stdin: text });
    return r.stdout;
}

describe("trixie: the parser's pinned feature set (parser.conf) in each host's ABI facts", function () {
    this.timeout(600000);
    /** The VM and the host scripts' exec on it, once booted. */
    let vm: { info: TestHostInfo; exec: HostExec } | undefined;
    const host = (): TestHostInfo => {
        assert.ok(vm, "the trixie VM did not boot");
        return vm.info;
    };
    /** parser.conf holding only `policy-features=PIN` (restored in `after`). */
    const pin = (path: string) => root(host(), PIN.pin(path));
    const restore = () => root(host(), PIN.restore);
    const facts = async (): Promise<HostAbiFacts> => {
        const parts: ReadPart[] = [{ kind: "facts" }];
        const [r] = parseRead(parts, await vm!.exec(readCommand(parts, { sudo: true }).command));
        assert.ok(r?.ok, r && !r.ok ? r.error.message : "no result");
        return r.value as HostAbiFacts;
    };

    before(async function () {
        this.timeout(1_800_000);
        const info = await sharedTrixieHost();
        vm = { info, exec: execFor(info) };
        await root(vm.info, PIN.setup);
    });

    after(async function () {
        this.timeout(120000);
        if (vm) {
            await root(vm.info, PIN.teardown);
            await cleanup(vm.info, [NAME]);
        }
        closeAll();
    });

    it("read's facts part: Debian 13's policy-features pin, path and features: the kernel's but network_v8/tcp-fast-open; neither has fine-grained unix", async () => {
        const conf = await root(host(), `grep -v '^#' ${CONF} | grep .`);
        assert.strictEqual(conf.stdout.trim(), `policy-features=${DEBIAN_PIN}`);
        const f = await facts();
        assert.match(f.parserVersion ?? "", /^4\.1\./);
        assert.deepStrictEqual(Object.keys(f.parserConf ?? {}), ["policy"]);
        const pinned = f.parserConf!.policy!;
        assert.strictEqual(pinned.path, DEBIAN_PIN);
        const kernelOnly = f.features.filter((x) => !pinned.features.includes(x));
        const pinOnly = pinned.features.filter((x) => !f.features.includes(x));
        process.stderr.write(
            `      [trixie abi] kernel ${f.features.length} feature paths, pin ${pinned.features.length}; ` +
                `kernel only: ${kernelOnly.join(" ") || "-"}; pin only: ${pinOnly.join(" ") || "-"}\n`,
        );
        assert.deepStrictEqual(kernelOnly, ["network_v8/tcp-fast-open"]);
        assert.deepStrictEqual(pinOnly, []);
        for (const x of ["namespaces/mask/userns_create", "io_uring/mask/sqpoll", "file/mask/read"])
            assert.ok(pinned.features.includes(x), x);
        for (const set of [f.features, pinned.features])
            assert.ok(!set.some((x) => /af_unix/.test(x)), "af_unix");
    });

    it("a `unix` rule: the VM's parser downgrades it; the compile's facts name host, rule, network/af_unix and the pin", async () => {
        const text = "profile pa-trixie-abi-unix {\n  file,\n  unix (send) type=stream,\n}\n";
        assert.match(
            await parserWarnings(host(), text),
            /downgrading extended network unix socket rule to generic network rule/,
        );
        const c = await hostScripts.compile(vm!.exec, { text });
        const errs = hostAbiProblems(text, c.hostAbi, "trixie");
        assert.strictEqual(errs.length, 1, errs.join("\n"));
        assert.match(errs[0], /^host trixie cannot enforce `unix send type=stream,`: /);
        assert.match(errs[0], /its kernel lacks the AppArmor feature network\/af_unix/);
        assert.match(
            errs[0],
            new RegExp(
                `against ${DEBIAN_PIN} \\(policy-features in /etc/apparmor/parser\\.conf\\), which lacks network/af_unix`,
            ),
        );
    });

    it("a pin without userns_create (the kernel has it): the parser stops enforcing `userns,`; the facts show the pin and name the rule; `abi <abi/4.0>,` is unaffected", async () => {
        const text = "profile pa-trixie-abi-userns {\n  file,\n  userns,\n}\n";
        const abi4 = `abi <abi/4.0>,\n${text}`;
        assert.strictEqual(hostAbiProblems(text, await facts(), "trixie").length, 0);
        assert.doesNotMatch(await parserWarnings(host(), text), /userns/);
        try {
            await pin(NO_USERNS_PIN);
            assert.match(await parserWarnings(host(), text), /userns rules not enforced/);
            assert.doesNotMatch(await parserWarnings(host(), abi4), /userns/);
            let c;
            try {
                c = await hostScripts.compile(vm!.exec, { text });
            } catch (e) {
                assert.fail(e instanceof HostScriptError ? e.message : String(e));
            }
            assert.strictEqual(c.hostAbi?.parserConf?.policy?.path, NO_USERNS_PIN);
            assert.ok(c.hostAbi!.features.includes("namespaces/mask/userns_create"));
            const errs = hostAbiProblems(text, c.hostAbi, "trixie");
            assert.strictEqual(errs.length, 1, errs.join("\n"));
            assert.match(
                errs[0],
                new RegExp(
                    `^host trixie cannot enforce \`userns,\`: its parser compiles a profile without an \`abi\` rule against ${NO_USERNS_PIN} .*which lacks namespaces/mask/userns_create, whatever the kernel has`,
                ),
            );
            assert.match(errs[0], /fix: drop the rule, or pin abi <abi\/4\.0>, in the profile/);
            assert.deepStrictEqual(hostAbiProblems(abi4, c.hostAbi, "trixie"), []);
        } finally {
            await restore();
        }
    });

    it("refresh after the pin changed: the refreshed state's installed.hostAbi and drift follow the host, no install, one host run; and back", async () => {
        const i = host();
        const text = "profile pa-trixie-abi {\n  file,\n  signal,\n  userns,\n}\n";
        const r = resolveText(text, "text");
        assert.ok(r.resolved, JSON.stringify(r.problems));
        const conn: PlainConnection = {
            host: i.host,
            port: i.port,
            user: i.user,
            privateKey: fs.readFileSync(i.privateKeyPath, "utf8"),
            hostKey: i.hostKey,
            sudo: true,
        };
        const created = await hostProfileProvider.create({
            connection: conn,
            target: `${conn.user}@${conn.host}:${conn.port}`,
            hostName: "trixie",
            profileName: NAME,
            profileText: r.resolved.text,
            version: r.resolved.version,
            mode: "enforce",
            directory: DIR,
            drift: [],
        });
        const outs = created.outs as HostProfileOutputs;
        assert.strictEqual(outs.installed.hostAbi?.parserConf?.policy?.path, DEBIAN_PIN);
        const sha = async () => (await root(i, `sha256sum ${DIR}/${NAME}`)).stdout;
        const before = await sha();
        try {
            await pin(NO_USERNS_PIN);
            const runs = reads.runs;
            const read = await hostProfileProvider.read(created.id, outs);
            const props = read.props as HostProfileOutputs;
            assert.strictEqual(reads.runs - runs, 1, "one host run for status, denials and facts");
            assert.strictEqual(props.installed.hostAbi?.parserConf?.policy?.path, NO_USERNS_PIN);
            assert.strictEqual(props.installed.version, outs.installed.version);
            assert.strictEqual(props.installed.fileSha256, outs.installed.fileSha256);
            assert.strictEqual(props.drift.length, 1, props.drift.join("\n"));
            assert.match(
                props.drift[0],
                /cannot enforce `userns,`: .*which lacks namespaces\/mask\/userns_create/,
            );
            assert.strictEqual(await sha(), before, "nothing installed");

            await restore();
            const again = (await hostProfileProvider.read(created.id, props))
                .props as HostProfileOutputs;
            assert.strictEqual(again.installed.hostAbi?.parserConf?.policy?.path, DEBIAN_PIN);
            assert.deepStrictEqual(again.drift, []);
        } finally {
            await restore();
            await hostProfileProvider.delete(created.id, outs);
        }
    });
});
