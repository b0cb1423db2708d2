/* eslint-disable @typescript-eslint/no-explicit-any -- stack state is untyped JSON */
/**
 * `pulumi refresh` on the real engine follows each host's ABI facts (#18 item 2), on Debian 13
 * trixie: a Profile with `userns,` (no `abi` rule, so the parser compiles it against Debian's
 * parser.conf pin) is installed; then the pin is changed on the host to a feature set without
 * `userns_create` (the kernel still has it), as an in-place upgrade would change it. The refresh,
 * without an install, records the new pin in the HostProfile's `installed.hostAbi` and reports the rule
 * the host's parser would no longer enforce as drift (naming host, rule and feature); after the pin is
 * restored the next refresh records it back with no drift. The test restores parser.conf.
 *
 * It runs on the trixie VM the trixie tests of the mocha process share (`sharedTrixieHost()`;
 * PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR uses one already running in DIR instead).
 */
import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile } from "../../src/components";
import { sharedTrixieHost } from "../support/testhost";
import { PROFILE_DIR as DIR, vmContext, type VmContext } from "../support/vmStack";
import { DEBIAN_PIN, pinCommands } from "../support/parserConfPin";
import { engineStack, opSequence, type EngineStack } from "./engineHarness";

const NAME = "pa-trx-abi";
const PIN = pinCommands(NAME);
const NO_USERNS_PIN = PIN.noUsernsPin;

describe("engine + trixie: `pulumi refresh` records each host's ABI facts without an install", function () {
    this.timeout(900_000);
    let ctx: VmContext;
    let st: EngineStack;

    const program = async () => {
        const p = new Profile("abi", {
            hosts: [ctx.host()],
            profileText: `profile ${NAME} {\n  file,\n  signal,\n  userns,\n}\n`,
            prepareHosts: st.hasCommandProvider,
        });
        return { hostAbi: p.hostAbi, drift: p.drift };
    };
    const root = (cmd: string) => ctx.root(cmd);
    /** The HostProfile's state after the last operation (the `abi-vm` resource's outputs). */
    const hostProfileState = async () => {
        const state = (await st.stack.exportStack()).deployment as any;
        const r = (state.resources as any[]).find((x) => String(x.urn).endsWith("::abi-vm"));
        assert.ok(r, "no abi-vm resource in the state");
        return r.outputs as { installed: { hostAbi?: any; fileSha256: string }; drift: string[] };
    };
    /** `pulumi refresh`; returns the drift of abi-vm and the operations it ran. */
    const refresh = async () => {
        const events: EngineEvent[] = [];
        await st.stack.refresh({ onEvent: (e) => events.push(e) });
        return opSequence(events);
    };
    const fileSha = async () => (await root(`sha256sum ${DIR}/${NAME}`)).stdout;

    before(async function () {
        this.timeout(1_800_000);
        ctx = await vmContext(await sharedTrixieHost());
        await ctx.clearProfiles([NAME]);
        await root(PIN.setup);
        st = await engineStack("components-trixie-abi", program);
    });
    after(async function () {
        this.timeout(600_000);
        if (ctx) await root(PIN.teardown);
        if (st) await st.cleanup();
        if (ctx) {
            const left = await root(
                `ls ${DIR}/${NAME} 2>&1; grep -c '^${NAME} ' /sys/kernel/security/apparmor/profiles`,
            );
            assert.match(left.stdout, /No such file[\s\S]*\n0\n?$/, left.stdout);
        }
    });

    it("up: the hostAbi output carries Debian 13's parser.conf pin; the state has it", async () => {
        await st.stack.up({ color: "never" });
        const o = await st.outputs();
        const abi = (o.hostAbi as Record<string, any>).vm;
        assert.strictEqual(abi.parserConf?.policy?.path, DEBIAN_PIN);
        assert.deepStrictEqual((o.drift as Record<string, string[]>).vm, []);
        const s = await hostProfileState();
        assert.strictEqual(s.installed.hostAbi?.parserConf?.policy?.path, DEBIAN_PIN);
    });

    it("the pin changed on the host: refresh records it in installed.hostAbi and reports `userns,` as drift; nothing installed; restored: recorded back, no drift", async () => {
        const before = await hostProfileState();
        const sha = await fileSha();
        try {
            await root(PIN.pin(NO_USERNS_PIN));
            // a refresh only reads (the provider's read): "update" is its state changing, the rest "same"
            const ops = await refresh();
            assert.deepStrictEqual(
                ops.filter((op) => !op.startsWith("same ")),
                ["update abi-vm"],
                ops.join(", "),
            );
            const s = await hostProfileState();
            assert.strictEqual(s.installed.hostAbi?.parserConf?.policy?.path, NO_USERNS_PIN);
            assert.ok(
                !s.installed.hostAbi.parserConf.policy.features.includes(
                    "namespaces/mask/userns_create",
                ),
            );
            assert.ok(s.installed.hostAbi.features.includes("namespaces/mask/userns_create"));
            assert.strictEqual(s.installed.fileSha256, before.installed.fileSha256);
            assert.strictEqual(s.drift.length, 1, s.drift.join("\n"));
            assert.match(
                s.drift[0],
                new RegExp(
                    `^host \\S+ cannot enforce \`userns,\`: its parser compiles a profile without an \`abi\` rule against ${NO_USERNS_PIN} .*which lacks namespaces/mask/userns_create`,
                ),
            );
            assert.strictEqual(await fileSha(), sha, "the profile file was not rewritten");
        } finally {
            await root(PIN.restore);
        }
        await refresh();
        const back = await hostProfileState();
        assert.strictEqual(back.installed.hostAbi?.parserConf?.policy?.path, DEBIAN_PIN);
        assert.deepStrictEqual(back.drift, []);
    });
});
