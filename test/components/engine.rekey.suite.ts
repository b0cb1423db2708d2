/**
 * Changed host keys and secrets, on the real engine against a VM of this file's own (re-keying is
 * destructive, so not the worker's shared one; its `LifecycleHost`, left with its original key).
 *
 * Two Profiles with a ProfiledContainer each reach the VM: one pinned (`hostKey`, with a password
 * beside the private key: the VM refuses passwords, so it only has to stay secret) and one trusting
 * on first use. Key and password come from the stack's secret config, as the README shows. Every
 * operation runs with the engine's most verbose logging and debug output (`logVerbosity: 11`,
 * `logToStdErr`, `debug`), everything it prints and every plugin's stderr captured.
 *
 * - A step that hangs (the host lock held on the VM) fails after the host's `stepTimeout`, naming
 *   the host and the step.
 * - The VM re-keyed (new /etc/ssh/ssh_host_ed25519_key, sshd restarted): refresh refuses for every
 *   resource kind — HostKey (the prepare path), HostProfile and Confinement, pinned and recorded —
 *   and `up` refuses the HostProfiles' updates, each naming the host and both fingerprints.
 *   Re-pinning the new key (pinned host) and `PULUMI_APPARMOR_ACCEPT_HOST_KEY` (recorded host)
 *   bring every resource back, the prepare Commands re-run with the new key.
 * - Secrets: no line of the private key and not the password in anything captured, in `stack
 *   export`, or in the backend's files — except the engine's own RPC traces, which print every
 *   resource's secret inputs in plain text from `-v=9` on (pulumi-command's Command's as much as
 *   ours: Pulumi documents that verbose levels may expose credentials); the test counts those apart
 *   and shows that they are the engine's, not this library's.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Profile, ProfiledContainer } from "../../src/components";
import { ACCEPT_HOST_KEY_ENV, pinFingerprint } from "../../src/components/hostKeys";
import {
    createThrowawayStack,
    keyBodyLines,
    providerPlugins,
    requireProviderPlugin,
    type ThrowawayStack,
} from "../support/engine";
import type { LifecycleHost } from "../support/lifecycleHost";
import { releaseHost } from "../support/releases";
import { sshExec, type TestHostInfo } from "../support/testhost";
import { secureProfile } from "../support/vmStack";

const NAME_A = "pa-rk-pinned";
const NAME_B = "pa-rk-tofu";
const LOCK = "/var/lib/pulumi-apparmor/lock";

interface Outcome {
    readonly ok: boolean;
    /** Errors the engine reported, per resource URN. */
    readonly errors: { urn: string; message: string }[];
    readonly events: EngineEvent[];
}

/** The suite on `host` (booted without kernel arguments; left with its own host key, nothing of ours). */
export function engineRekeySuite(host: LifecycleHost): void {
    describe(`components: changed host keys and secrets on the real engine + own VM${releaseHost(host.release).suffix}`, function () {
        this.timeout(1_800_000);
        let vm: TestHostInfo;
        /** The VM with its current host key (for this test's own SSH commands after the re-key). */
        let vmNow: TestHostInfo;
        let key = "";
        const password = `pa-pw-${crypto.randomBytes(12).toString("hex")}`;
        let s: ThrowawayStack | undefined;
        let tmp = "";
        /** Everything captured: engine stdout/stderr, events, stack exports. */
        const captured: string[] = [];
        const spec = {
            pinnedKey: "",
            stepTimeout: undefined as number | undefined,
            extraA: [] as string[],
            extraB: [] as string[],
        };
        let oldFp = "";
        let newLine = "";
        let newFp = "";
        let knownHosts: string | undefined;
        const root = (cmd: string) => sshExec(vmNow, cmd, { asRoot: true });
        const targetOf = () => `${vm.user}@${vm.host}:${vm.port}`;

        const program = async () => {
            const cfg = new pulumi.Config();
            const common = {
                host: vm.host,
                port: vm.port,
                user: vm.user,
                privateKey: cfg.requireSecret("sshKey"),
                dockerHost: vm.dockerHost,
            };
            const a = new Profile("rk-a", {
                hosts: [
                    {
                        ...common,
                        password: cfg.requireSecret("password"),
                        hostKey: spec.pinnedKey,
                        name: "pinned",
                        ...(spec.stepTimeout ? { stepTimeout: spec.stepTimeout } : {}),
                    },
                ],
                profile: secureProfile(NAME_A, spec.extraA),
            });
            const b = new Profile("rk-b", {
                hosts: [{ ...common, name: "tofu" }],
                profile: secureProfile(NAME_B, spec.extraB),
            });
            const container = { image: "local/busybox:latest", command: ["sleep", "1000000"] };
            const ca = new ProfiledContainer("web-a", { profile: a, container });
            const cb = new ProfiledContainer("web-b", { profile: b, container });
            return { labelA: ca.label, labelB: cb.label };
        };

        /** Runs `kind` with the engine's most verbose logging, capturing everything it says. */
        async function op(
            kind: "up" | "refresh" | "destroy",
            extra: { target?: string[] } = {},
        ): Promise<Outcome> {
            const out: string[] = [];
            const events: EngineEvent[] = [];
            const opts = {
                color: "never" as const,
                logVerbosity: 11,
                logToStdErr: true,
                debug: true,
                onOutput: (o: string) => out.push(o),
                onEvent: (e: EngineEvent) => events.push(e),
                ...extra,
            };
            let ok = true;
            try {
                const r = await s!.stack[kind](opts);
                out.push(r.stdout, r.stderr);
            } catch (e) {
                ok = false;
                out.push(String(e));
            }
            captured.push(out.join(""), JSON.stringify(events));
            const errors = events
                .filter((e) => e.diagnosticEvent?.severity === "error" && e.diagnosticEvent.urn)
                .map((e) => ({
                    urn: e.diagnosticEvent!.urn!,
                    message: e.diagnosticEvent!.message,
                }));
            return { ok, errors, events };
        }

        /** Asserts that the resource whose URN ends with `::name` failed with a host key refusal. */
        function refused(o: Outcome, name: string, source: "pinned" | "recorded"): void {
            const where = targetOf();
            const msgs = o.errors.filter((e) => e.urn.endsWith(`::${name}`)).map((e) => e.message);
            const m = msgs.find((x) => x.includes(`host key of ${where} changed`)) ?? "";
            assert.ok(
                m.includes(`${where}: connect failed: `),
                `${name}: ${JSON.stringify(o.errors)}`,
            );
            assert.ok(m.includes(`key is ${newFp}`), `${name}: ${m}`);
            assert.ok(m.includes(` is ${oldFp}`), `${name}: ${m}`);
            assert.ok(
                m.includes(
                    source === "pinned" ? "the pinned hostKey" : "recorded in the stack's state",
                ),
                `${name}: ${m}`,
            );
            assert.match(m, /set hostKey to the host's public key line/, name);
        }

        before(async function () {
            this.timeout(3_600_000);
            requireProviderPlugin("command");
            vm = await host.up();
            vmNow = vm;
            key = fs.readFileSync(vm.privateKeyPath, "utf8");
            spec.pinnedKey = vm.hostKey;
            oldFp = pinFingerprint(vm.hostKey);
            // Every plugin (the dynamic-provider host included) through a wrapper that keeps its stderr.
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-rekey-"));
            const wrap = path.join(tmp, "wrap");
            fs.mkdirSync(wrap);
            fs.mkdirSync(path.join(tmp, "stderr"));
            const plugins = providerPlugins();
            for (const [name, file] of Object.entries(plugins)) {
                const f = `pulumi-resource-${name}`;
                fs.writeFileSync(
                    path.join(wrap, f),
                    `#!/bin/sh\nexec '${file}' "$@" 2>>'${path.join(tmp, "stderr", f)}'\n`,
                    { mode: 0o755 },
                );
            }
            s = await createThrowawayStack({
                projectName: "pa-rekey",
                program,
                config: {
                    sshKey: { value: key, secret: true },
                    password: { value: password, secret: true },
                },
                providers: Object.keys(plugins),
                pluginDir: wrap,
            });
        });

        after(async function () {
            if (s) await s.dispose();
            if (vm) {
                // Leave the host as found (a shared VM serves the next suite).
                await root(
                    "[ -f /root/pa-rk-key ] && mv /root/pa-rk-key /etc/ssh/ssh_host_ed25519_key && " +
                        "mv /root/pa-rk-key.pub /etc/ssh/ssh_host_ed25519_key.pub && systemctl restart ssh; true",
                ).catch(() => undefined);
                if (knownHosts !== undefined) fs.writeFileSync(vm.knownHostsPath, knownHosts);
            }
            await host.done();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("up: both hosts' profiles, prepare steps and confined containers (pinned and first-use keys)", async () => {
            const o = await op("up");
            assert.ok(o.ok, JSON.stringify(o.errors));
            const outs = await s!.outputs();
            assert.strictEqual(outs.labelA.value, `${NAME_A} (enforce)`);
            assert.strictEqual(outs.labelB.value, `${NAME_B} (enforce)`);
            captured.push(await s!.exportStackText());
            const r = await op("refresh");
            assert.ok(r.ok, JSON.stringify(r.errors));
        });

        it("a step that hangs (host lock held) fails after stepTimeout, naming host and step", async () => {
            const hold = await root(
                `nohup sh -c 'exec 9>>${LOCK} && flock 9 && exec sleep 300' </dev/null >/dev/null 2>&1 & echo $!`,
            );
            const holder = hold.stdout.trim();
            assert.match(holder, /^\d+$/, hold.stderr);
            try {
                spec.stepTimeout = 5;
                spec.extraA = ["/tmp/t1/**"];
                const t0 = Date.now();
                const o = await op("up");
                assert.ok(!o.ok, "up must fail");
                const m = o.errors.find((e) => e.urn.endsWith("::rk-a-pinned"))?.message ?? "";
                assert.ok(
                    m.includes(`${targetOf()}: load failed: timed out after 5 s (stepTimeout)`),
                    JSON.stringify(o.errors),
                );
                assert.ok(
                    Date.now() - t0 < 300_000,
                    "failed long before the host lock's own limit",
                );
            } finally {
                await root(`kill ${holder}`);
            }
            spec.stepTimeout = undefined;
            const o = await op("up");
            assert.ok(o.ok, JSON.stringify(o.errors));
        });

        it("a re-keyed host: refresh refuses for HostKey, HostProfile and Confinement, pinned and recorded, naming host and both fingerprints", async () => {
            const r = await root(
                "cp -p /etc/ssh/ssh_host_ed25519_key /root/pa-rk-key && " +
                    "cp -p /etc/ssh/ssh_host_ed25519_key.pub /root/pa-rk-key.pub && " +
                    "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && " +
                    "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && " +
                    "cat /etc/ssh/ssh_host_ed25519_key.pub && systemctl restart ssh",
            );
            assert.strictEqual(r.code, 0, r.stderr);
            newLine = r.stdout.trim();
            newFp = pinFingerprint(newLine);
            assert.notStrictEqual(newFp, oldFp);
            vmNow = { ...vm, hostKey: newLine };
            // The test host's own SSH clients (its docker socket forward) pin the key in known_hosts.
            knownHosts = fs.readFileSync(vm.knownHostsPath, "utf8");
            fs.writeFileSync(
                vm.knownHostsPath,
                knownHosts.replace(vm.hostKey.split(/\s+/).slice(0, 2).join(" "), newLine),
            );

            const kinds: [string, "pinned" | "recorded"][] = [
                ["apparmor-hostkey-pinned", "pinned"],
                ["apparmor-hostkey-tofu", "recorded"],
                ["rk-a-pinned", "pinned"],
                ["rk-b-tofu", "recorded"],
                ["web-a-confinement", "pinned"],
                ["web-b-confinement", "recorded"],
            ];
            const o = await op("refresh");
            assert.ok(!o.ok, "refresh must fail");
            // The engine may stop reading after the first failures: refresh the others one by one.
            const urns = new Map(
                o.events
                    .map((e) => e.resourcePreEvent?.metadata.urn)
                    .filter((u): u is string => u !== undefined)
                    .map((u) => [u.split("::").pop()!, u]),
            );
            for (const [name, source] of kinds) {
                let outcome = o;
                if (!o.errors.some((e) => e.urn.endsWith(`::${name}`))) {
                    const urn = urns.get(name) ?? (await urnOf(name));
                    outcome = await op("refresh", { target: [urn] });
                    assert.ok(!outcome.ok, `refresh of ${name} must fail`);
                }
                refused(outcome, name, source);
            }
            captured.push(await s!.exportStackText());
        });

        it("a re-keyed host: up refuses the profiles' updates, naming host and both fingerprints", async () => {
            spec.extraA = ["/tmp/t2/**"];
            spec.extraB = ["/tmp/t2/**"];
            const o = await op("up");
            assert.ok(!o.ok, "up must fail");
            refused(o, "rk-a-pinned", "pinned");
            refused(o, "rk-b-tofu", "recorded");
            const changed = await root(
                `grep -l '/tmp/t2/' /etc/apparmor.d/containers/pa-rk-* ; true`,
            );
            assert.strictEqual(changed.stdout.trim(), "", "nothing was installed");
        });

        it(`re-pinning the new key and ${ACCEPT_HOST_KEY_ENV} for the recorded one bring every resource back`, async () => {
            spec.pinnedKey = newLine;
            s!.stack.workspace.envVars[ACCEPT_HOST_KEY_ENV] = newFp;
            const up = await op("up");
            assert.ok(up.ok, JSON.stringify(up.errors));
            const updated = up.events
                .map((e) => e.resOutputsEvent?.metadata)
                .filter((m) => m?.op === "update")
                .map((m) => m!.urn.split("::").pop());
            assert.ok(updated.includes("apparmor-prepare-pinned-tester"), updated.join(","));
            const r = await op("refresh");
            assert.ok(r.ok, JSON.stringify(r.errors));
            delete s!.stack.workspace.envVars[ACCEPT_HOST_KEY_ENV];
            // Recorded anew: no acceptance needed any more; the first-use host's prepare Command gets the
            // newly recorded key and runs with it.
            const again = await op("up");
            assert.ok(again.ok, JSON.stringify(again.errors));
            await s!.preview({ expectNoChanges: true, refresh: true });
            const grep = await root(`grep -c '/tmp/t2/' /etc/apparmor.d/containers/${NAME_A}`);
            assert.strictEqual(grep.stdout.trim(), "1");
            captured.push(await s!.exportStackText());
        });

        it("destroy (verbose) removes everything", async () => {
            const o = await op("destroy");
            assert.ok(o.ok, JSON.stringify(o.errors));
            const left = await root(`ls /etc/apparmor.d/containers | grep -c pa-rk- ; true`);
            assert.strictEqual(left.stdout.trim(), "0");
        });

        it("secrets: no line of the private key and not the password in any output, log, plugin stderr, export or backend file", async () => {
            const stderrDir = path.join(tmp, "stderr");
            const pluginStderr = fs
                .readdirSync(stderrDir)
                .map((f) => fs.readFileSync(path.join(stderrDir, f), "utf8"));
            const everything = [...captured, ...pluginStderr, s!.backendText()];
            const size = everything.reduce((n, t) => n + t.length, 0);
            // The verbose logs really were on (the engine's RPC traces are there).
            assert.ok(size > 1_000_000, `only ${size} characters captured`);
            // Every line of the key's body (keyBodyLines keeps the long ones; the short last one too).
            const secrets = [
                ...key
                    .split("\n")
                    .map((l) => l.trim())
                    .filter((l) => l.length > 0 && !l.startsWith("-----")),
                password,
            ];
            assert.ok(secrets.length > keyBodyLines(key).length);
            // The engine's RPC traces (`-v=9` and up) print the secret inputs of every resource.
            const rpcTrace = /"msg":"(Unm|M)arshaling property for RPC\[/;
            const leaks: string[] = [];
            const engineTraces: string[] = [];
            for (const [i, text] of everything.entries())
                for (const line of text.split("\n"))
                    if (secrets.some((x) => line.includes(x)))
                        (rpcTrace.test(line) ? engineTraces : leaks).push(
                            `capture #${i}: ${line.slice(0, 160)}`,
                        );
            process.stderr.write(
                `    [secrets] ${size} characters captured; ${leaks.length} lines with a secret outside ` +
                    `the engine's RPC traces; ${engineTraces.length} engine RPC trace lines with one\n`,
            );
            assert.deepStrictEqual(
                leaks.map((l) => secrets.reduce((a, x) => a.split(x).join("<SECRET>"), l)),
                [],
            );
            // Those traces are the engine's own: pulumi-command's Command (no code of this library) gets
            // the same as our dynamic resources.
            assert.ok(
                engineTraces.some((l) => l.includes("RegisterResource(command:remote:Command,")),
                "the engine traces pulumi-command's secret inputs too",
            );
        });

        /** The URN of the resource named `name`, from the stack's state. */
        async function urnOf(name: string): Promise<string> {
            const d = await s!.exportStack();
            const r = (d.deployment.resources ?? []).find((x: { urn: string }) =>
                x.urn.endsWith(`::${name}`),
            );
            assert.ok(r, `no resource ${name}`);
            return r.urn;
        }
    });
}
