/* eslint-disable @typescript-eslint/no-explicit-any -- stack outputs are untyped JSON */
/**
 * Compile at preview (issue #13 finding 8) and audited denies (finding 9), with the real engine
 * against the test VM:
 * - a profile the local validator accepts but the host's apparmor_parser refuses (an include of an
 *   abstraction the host lacks; an AppArmor 4 flag on the VM's 3.0 parser) fails `preview` with the
 *   host, the line and the parser's message, and nothing changes on the host;
 * - a new version is compiled on the host once per preview, `up` (no preview) compiles only in the
 *   install, and a no-op preview runs no host script at all (counted with PULUMI_APPARMOR_TRACE_FILE,
 *   which the provider appends one line per host script run to);
 * - a plain `deny.file(...)` (auditDenies "user", the default) is logged: its denial reaches the
 *   `denials` output;
 * - the ABI per host (issue #18 item 2): a `userns,` rule sent to the VM (apparmor 3.0.8, Linux 6.1)
 *   fails `preview` naming the resource, the host, the rule and the missing parser version and kernel
 *   feature, in the same single compile round trip, with nothing written to the host; after `up`, the
 *   `hostAbi` output carries the VM's parser version, kernel, ABI files and features.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile } from "../../src/components";
import { deny, include, userns } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { createThrowawayStack, type ThrowawayStack } from "../support/engine";
import { traceReader } from "../support/trace";
import { PROFILE_DIR as DIR, vmContext, type VmContext } from "../support/vmStack";

const NAME = "pa-s4-preview";

interface Spec {
    extra: "missing-abstraction" | "apparmor4-flag" | "userns" | "none";
    denyPaths: string[];
}

describe("components: compile at preview on the host, audited denies (engine + VM)", function () {
    this.timeout(900_000);
    let ctx: VmContext;
    let st: ThrowawayStack;
    const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-s4-trace-")), "trace");
    const spec: Spec = { extra: "none", denyPaths: ["/tmp/pa-s4-a/**"] };

    const program = async () => {
        let b = dockerDefault({ name: NAME }).with(
            ...spec.denyPaths.map((p) => deny.file(p, "rwl")),
        );
        if (spec.extra === "missing-abstraction") b = b.with(include("abstractions/pa-s4-missing"));
        if (spec.extra === "apparmor4-flag") b = b.withFlags("error=EACCES");
        if (spec.extra === "userns") b = b.with(userns());
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
        ctx = await vmContext();
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
        console.log(`      preview error: ${text.split("\n").find((l) => l.includes("refuses"))}`);
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

    it("preview fails when the host's parser refuses a rule (an AppArmor 4 flag on AppArmor 3.0)", async () => {
        spec.extra = "apparmor4-flag";
        const text = await failedOperation();
        assert.match(
            text,
            /refuses the profile.*line \d+ \(`profile pa-s4-preview flags=\(.*error=EACCES.*\{`\): Invalid profile flag: error=EACCES/s,
        );
        const r = runs();
        assert.deepStrictEqual(Object.keys(r), ["compile"]);
        assert.strictEqual(r.compile.count, 1, "one compile on the one host");
        assert.match(await hostState(), /No such file/);
    });

    it("preview fails naming resource, host, rule and missing feature for `userns,` on AppArmor 3.0 / Linux 6.1; the host is unchanged", async () => {
        const before = await hostState();
        spec.extra = "userns";
        const text = await failedOperation();
        const target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
        const line = text.split("\n").find((l) => l.includes("cannot enforce")) ?? "";
        console.log(`      preview error: ${line.trim()}`);
        // the resource (the engine names the failing HostProfile), the host, the rule, what is missing
        assert.match(text, /s4-vm/, text);
        assert.ok(line.includes(`host ${target} cannot enforce \`userns,\``), text);
        assert.match(
            line,
            /apparmor_parser 3\.0\.8 is older than 4\.0, the first to accept userns rules/,
        );
        assert.match(
            line,
            /kernel lacks the AppArmor feature namespaces\/mask\/userns_create \(no namespaces\/mask in \/sys\/kernel\/security\/apparmor\/features\)/,
        );
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

    it("`up` without a preview (the Automation API's up is --skip-preview) refuses `userns,` the same way before anything loads", async () => {
        const before = await hostState();
        spec.extra = "userns";
        const text = await failedOperation("up");
        const target = `${ctx.vm.user}@${ctx.vm.host}:${ctx.vm.port}`;
        assert.ok(text.includes(`host ${target} cannot enforce \`userns,\``), text);
        assert.match(text, /kernel lacks the AppArmor feature namespaces\/mask\/userns_create/);
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
        assert.ok(!abi.features.includes("namespaces/mask/userns_create"));
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
