/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * Compile at preview (issue #13 finding 8) and audited denies (finding 9), with the real engine
 * against the test VM:
 * - a profile the local validator accepts but the host's apparmor_parser refuses (an include of an
 *   abstraction the host lacks; a profile flag the host's parser does not know: an AppArmor 4 flag
 *   on bookworm's 3.0 parser, an unknown `error=` code on trixie's 4.1) fails `preview` with the
 *   host, the line and the parser's message, and nothing changes on the host;
 * - a new version is compiled on the host once per preview, `up` (no preview) compiles only in the
 *   install, and a no-op preview runs no host script at all (counted with PULUMI_APPARMOR_TRACE_FILE,
 *   which the provider appends one line per host script run to);
 * - a plain `deny.file(...)` (auditDenies "user", the default) is logged: its denial reaches the
 *   `denials` output;
 * - the ABI per host (issue #18 item 2): an AppArmor 4 rule the host cannot enforce (`userns,` on
 *   bookworm: apparmor 3.0.8, Linux 6.1; `mqueue,` on trixie: AppArmor 4.1 accepts it, Debian's
 *   Linux 6.12 does not mediate message queues) fails `preview` naming the resource, the host, the
 *   rule and what is missing (parser version, kernel feature), in the same single compile round
 *   trip, with nothing written to the host; after `up`, the `hostAbi` output carries the VM's parser
 *   version, kernel, ABI files and features.
 *
 * A function of the release (issue #18): engine.preview-compile.vm.test.ts runs it on the shared
 * Debian 12 VM, engine.more.trixie.vm.test.ts on the shared Debian 13 VM. What the host's AppArmor
 * makes differ is in {@link BY_RELEASE}; every other assertion is the same on both.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile } from "../../src/components";
import { deny, include, mqueue, userns } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { releaseHost, type Release } from "../support/releases";
import { traceReader } from "../support/trace";
import { PROFILE_DIR as DIR, vmContext, type VmContext } from "../support/vmStack";

/** What differs per release: the host's parser and kernel. */
interface ReleaseCase {
    /** A profile flag the local validator accepts and the host's parser refuses. */
    readonly refusedFlag: string;
    /** The second test's title. */
    readonly refusedTitle: string;
    /** The refusal as the preview error reports it (host, line, parser's message). */
    readonly refused: RegExp;
    /** An AppArmor 4 rule the host cannot enforce, as rendered. */
    readonly abi4Rule: string;
    readonly abi4Item: () => ReturnType<typeof userns> | ReturnType<typeof mqueue>;
    /** The third test's title. */
    readonly abi4Title: string;
    /** What the error names as missing (each must match the error's line). */
    readonly abi4Missing: readonly RegExp[];
    /** The kernel feature the `up` error names as missing. */
    readonly abi4Kernel: RegExp;
    /** Whether the kernel mediates user namespaces (a feature the `hostAbi` output lists). */
    readonly kernelHasUserns: boolean;
}

const BY_RELEASE: Record<Release, ReleaseCase> = {
    bookworm: {
        refusedFlag: "error=EACCES",
        refusedTitle:
            "preview fails when the host's parser refuses a rule (an AppArmor 4 flag on AppArmor 3.0)",
        refused:
            /refuses the profile.*line \d+ \(`profile pa-s4-preview flags=\(.*error=EACCES.*\{`\): Invalid profile flag: error=EACCES/s,
        abi4Rule: "userns,",
        abi4Item: () => userns(),
        abi4Title:
            "preview fails naming resource, host, rule and missing feature for `userns,` on AppArmor 3.0 / Linux 6.1; the host is unchanged",
        abi4Missing: [
            /apparmor_parser 3\.0\.8 is older than 4\.0, the first to accept userns rules/,
            /kernel lacks the AppArmor feature namespaces\/mask\/userns_create \(no namespaces\/mask in \/sys\/kernel\/security\/apparmor\/features\)/,
        ],
        abi4Kernel: /kernel lacks the AppArmor feature namespaces\/mask\/userns_create/,
        kernelHasUserns: false,
    },
    trixie: {
        refusedFlag: "error=EPANOPE",
        refusedTitle:
            "preview fails when the host's parser refuses a rule (an error= code AppArmor 4.1 does not know)",
        refused:
            /refuses the profile.*line \d+ \(`profile pa-s4-preview flags=\(.*error=EPANOPE.*\{`\): unknown error code specified for error='EPANOPE'/s,
        abi4Rule: "mqueue,",
        abi4Item: () => mqueue(),
        abi4Title:
            "preview fails naming resource, host, rule and missing feature for `mqueue,` on AppArmor 4.1 / Linux 6.12; the host is unchanged",
        abi4Missing: [
            /kernel lacks the AppArmor feature ipc\/posix_mqueue \(no ipc in \/sys\/kernel\/security\/apparmor\/features\)/,
        ],
        abi4Kernel: /kernel lacks the AppArmor feature ipc\/posix_mqueue/,
        kernelHasUserns: true,
    },
};

const NAME = "pa-s4-preview";

interface Spec {
    extra: "missing-abstraction" | "refused-flag" | "abi4-rule" | "none";
    denyPaths: string[];
}

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function enginePreviewCompileSuite(release: Release): void {
    const rc = BY_RELEASE[release];
    describe(`components: compile at preview on the host, audited denies (engine + VM)${releaseHost(release).suffix}`, function () {
        this.timeout(900_000);
        let ctx: VmContext;
        let st: ThrowawayStack;
        const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-s4-trace-")), "trace");
        const spec: Spec = { extra: "none", denyPaths: ["/tmp/pa-s4-a/**"] };

        const program = async () => {
            let b = dockerDefault({ name: NAME }).with(
                ...spec.denyPaths.map((p) => deny.file(p, "rwl")),
            );
            if (spec.extra === "missing-abstraction")
                b = b.with(include("abstractions/pa-s4-missing"));
            if (spec.extra === "refused-flag") b = b.withFlags(rc.refusedFlag);
            if (spec.extra === "abi4-rule") b = b.with(rc.abi4Item());
            const p = new Profile("s4", {
                hosts: [ctx.host()],
                profile: b,
                prepareHosts: false,
            });
            return {
                versions: p.versions,
                denials: p.denials,
                hostAbi: p.hostAbi,
                text: pulumi.output(b.toModel()),
            };
        };

        /** Host script runs recorded by the provider since the last call, by script name. */
        const runs = traceReader(trace);

        async function hostState(): Promise<string> {
            const r = await ctx.root(
                `ls ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME} 2>&1; ` +
                    `grep -c '^${NAME} ' /sys/kernel/security/apparmor/profiles`,
            );
            return r.stdout;
        }

        /** The error diagnostics and message of an operation that must fail (`preview` by default). */
        async function failedOperation(op: "preview" | "up" = "preview"): Promise<string> {
            const events: EngineEvent[] = [];
            let err: Error | undefined;
            try {
                await st.stack[op]({ color: "never", onEvent: (e) => events.push(e) });
            } catch (e) {
                err = e as Error;
            }
            assert.ok(err, `${op} succeeded`);
            const diags = events
                .filter((e) => e.diagnosticEvent?.severity === "error")
                .map((e) => e.diagnosticEvent!.message)
                .join("\n");
            return `${diags}\n${err.message}`;
        }

        before(async function () {
            ctx = await vmContext(await releaseHost(release).host());
            await ctx.clearProfiles([NAME]);
            await ctx.root(`rm -f /var/lib/pulumi-apparmor/profiles/${NAME}`);
            st = await createThrowawayStack({
                program,
                projectName: "s4-preview-compile",
                envVars: { PULUMI_APPARMOR_TRACE_FILE: trace },
            });
        });
        after(async function () {
            if (st) await st.dispose();
            if (ctx) await ctx.root(`rm -rf /tmp/pa-s4-a /tmp/pa-s4-b`);
        });

        it("preview fails naming host, line and message when the host lacks an included abstraction; the host is unchanged", async () => {
            const before = await hostState();
            spec.extra = "missing-abstraction";
            const text = await failedOperation();
            const target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
            console.log(
                `      preview error: ${text.split("\n").find((l) => l.includes("refuses"))}`,
            );
            assert.ok(text.includes(`host ${target} refuses the profile`), text);
            assert.match(
                text,
                /line \d+ \(`include <abstractions\/pa-s4-missing>`\): Could not open 'abstractions\/pa-s4-missing'/,
            );
            const r = runs();
            assert.deepStrictEqual(Object.keys(r), ["compile"], JSON.stringify(r));
            assert.strictEqual(r.compile.count, 1, "one compile on the one host, nothing else");
            assert.strictEqual(await hostState(), before, "the host changed");
        });

        it(rc.refusedTitle, async () => {
            spec.extra = "refused-flag";
            const text = await failedOperation();
            assert.match(text, rc.refused);
            const r = runs();
            assert.deepStrictEqual(Object.keys(r), ["compile"]);
            assert.strictEqual(r.compile.count, 1, "one compile on the one host");
            assert.match(await hostState(), /No such file/);
        });

        it(rc.abi4Title, async () => {
            const before = await hostState();
            spec.extra = "abi4-rule";
            const text = await failedOperation();
            const target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
            const line = text.split("\n").find((l) => l.includes("cannot enforce")) ?? "";
            console.log(`      preview error: ${line.trim()}`);
            // the resource (the engine names the failing HostProfile), the host, the rule, what is missing
            assert.match(text, /s4-vm/, text);
            assert.ok(line.includes(`host ${target} cannot enforce \`${rc.abi4Rule}\``), text);
            for (const missing of rc.abi4Missing) assert.match(line, missing);
            assert.match(line, /fix: drop the rule, or target hosts with AppArmor ≥ 4\.0/);
            assert.ok(!text.includes("refuses the profile"), "the ABI error replaces the parser's");
            const r = runs();
            assert.deepStrictEqual(Object.keys(r), ["compile"], JSON.stringify(r));
            assert.strictEqual(
                r.compile.count,
                1,
                "one round trip: the compile reports the host's ABI",
            );
            assert.strictEqual(await hostState(), before, "the host changed");
        });

        it(`\`up\` without a preview (the Automation API's up is --skip-preview) refuses \`${rc.abi4Rule}\` the same way before anything loads`, async () => {
            const before = await hostState();
            spec.extra = "abi4-rule";
            const text = await failedOperation("up");
            const target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
            assert.ok(text.includes(`host ${target} cannot enforce \`${rc.abi4Rule}\``), text);
            assert.match(text, rc.abi4Kernel);
            const r = runs();
            assert.deepStrictEqual(Object.keys(r), ["compile"], JSON.stringify(r));
            assert.strictEqual(r.compile.count, 1, "the check's compile, no install");
            assert.strictEqual(await hostState(), before, "the host changed");
        });

        it("a new version: preview compiles it once on the host, up compiles only in the install", async () => {
            spec.extra = "none";
            const pv = await st.preview();
            assert.strictEqual(pv.changes().length >= 1, true);
            const p = runs();
            assert.deepStrictEqual(Object.keys(p), ["compile"], JSON.stringify(p));
            assert.strictEqual(p.compile.count, 1);
            const up = await st.up();
            assert.strictEqual(up.result.summary.result, "succeeded");
            const u = runs();
            assert.strictEqual(u.compile, undefined, `up compiled at check: ${JSON.stringify(u)}`);
            assert.strictEqual(u.install?.count, 1, JSON.stringify(u));
            console.log(
                `      cost: compile at preview ${p.compile.ms[0]} ms (host script over SSH); install ${u.install.ms[0]} ms`,
            );
            // the host's AppArmor as the install read it, in the new output
            const abi = ((await st.stack.outputs()).hostAbi.value as Record<string, any>).vm;
            const truth = await ctx.root(
                "apparmor_parser --version | head -n 1; uname -r; ls /etc/apparmor.d/abi; " +
                    "find /sys/kernel/security/apparmor/features -mindepth 1 -maxdepth 3 | wc -l",
            );
            const [pl, kernel, ...rest] = truth.stdout.trim().split("\n");
            const nPaths = Number(rest.pop());
            assert.strictEqual(abi.parserVersion, pl.split(" ").pop());
            assert.strictEqual(abi.kernel, kernel);
            assert.deepStrictEqual(abi.abi, rest);
            assert.ok(abi.features.includes("namespaces/profile") && abi.features.length >= nPaths);
            assert.strictEqual(
                abi.features.includes("namespaces/mask/userns_create"),
                rc.kernelHasUserns,
            );
        });

        it("a no-op preview compiles nothing and runs no host script", async () => {
            await st.preview({ expectNoChanges: true });
            assert.deepStrictEqual(runs(), {});
        });

        it("a changed version compiles once at preview, not again at up's check", async () => {
            spec.denyPaths = ["/tmp/pa-s4-a/**", "/tmp/pa-s4-b/**"];
            await st.preview();
            assert.strictEqual(runs().compile?.count, 1);
            await st.up();
            const u = runs();
            assert.strictEqual(u.compile, undefined, JSON.stringify(u));
            assert.strictEqual(u.install?.count, 1);
        });

        it('a plain deny.file is logged (auditDenies "user"): its denial reaches `denials`', async () => {
            const o = await st.stack.outputs();
            const version = (o.versions.value as Record<string, any>).vm.version as string;
            const text = JSON.stringify(o.text.value);
            assert.ok(!text.includes('"audit":true'), "the program's model has plain deny rules");
            const installed = await ctx.root(`grep -n 'pa-s4-b' ${DIR}/${NAME}`);
            assert.match(installed.stdout, /audit deny \/tmp\/pa-s4-b\/\*\* rwl,/);
            const t = await ctx.root(
                `mkdir -p /tmp/pa-s4-b && aa-exec -p ${NAME} -- sh -c 'echo x > /tmp/pa-s4-b/f'`,
            );
            assert.match(t.stderr, /Permission denied/, t.stdout + t.stderr);
            await new Promise((r) => setTimeout(r, 1500));
            await st.stack.refresh({ color: "never" });
            await st.up({ expectNoChanges: true });
            const d = ((await st.stack.outputs()).denials.value as Record<string, any>).vm;
            const s = d.byVersion[version];
            assert.ok(s && s.denied >= 1, JSON.stringify(d));
            assert.ok(
                s.targets.some((x: { target: string }) => x.target.startsWith("/tmp/pa-s4-b/")),
                JSON.stringify(s),
            );
        });
    });
}
