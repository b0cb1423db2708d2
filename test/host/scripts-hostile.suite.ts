/**
 * Issue #13's proof: "≥ 50 generated broken or hostile profiles through the real install path on the
 * VM: 0 change the loaded policy or the file". A good profile is installed first; then every text of
 * the generator (test/host/hostile-profiles.ts) is sent through `install` exactly as the components
 * send it (sudo -n as the unprivileged user, sha256 of stdin), and after each one the host must be
 * byte for byte what it was: the profile file, its manifest, every loaded policy (name, raw_sha1,
 * mode), the profile directory and our state directory; no parser may be left running and the host
 * lock must be free; no answer may carry the content of the root-only secret some cases include.
 * Two extra cases send a stdin that does not match its sha256, and one asks for an unmanaged name.
 * One VM session (the shared VM); prints the count and the wall time.
 */
import * as assert from "assert";
import {
    DEFAULT_PROFILE_DIR,
    HostScriptError,
    hostScripts,
    installCommand,
    parseInstall,
    type HostExec,
} from "../../src/host";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import {
    cleanup,
    execFor,
    LOADED_POLICIES_SH,
    POLICY_HASH_RE,
    root,
    secureProfile,
} from "./scripts-support";
import {
    HOSTILE_SETUP,
    HOSTILE_TEARDOWN,
    hostileProfiles,
    SECRET_MARKER,
    type HostileCase,
} from "./hostile-profiles";

const NAME = "pa-hostile";
/** Parser timeout of these installs: long enough for a two-profile compile on a loaded CI machine. */
const PARSER_TIMEOUT = 20;
const DIR = DEFAULT_PROFILE_DIR;

/** Everything a refused install must leave as it was, read in one root command. */
const SNAPSHOT =
    `sha256sum ${DIR}/${NAME}; cat /var/lib/pulumi-apparmor/profiles/${NAME}; echo; ` +
    `${LOADED_POLICIES_SH} | sort; ` +
    `ls -lA --time-style=+%s ${DIR} /var/lib/pulumi-apparmor /var/lib/pulumi-apparmor/profiles; ` +
    "ls -A /var/lib/pulumi-apparmor/adopted 2>/dev/null; true";
/** Nothing of a run may be left behind: no parser, the lock free (checked with each snapshot). */
const AFTER =
    "pgrep -x apparmor_parser >/dev/null && echo parser-running; " +
    "flock -n /var/lib/pulumi-apparmor/lock true || echo lock-held; true";
const SEP = "\n--- after ---\n";

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsHostileSuite(release: Release): void {
    describe(`host scripts: broken and hostile profiles through install change nothing (issue #13)${releaseHost(release).suffix}`, function () {
        this.timeout(3600000);
        let info: TestHostInfo;
        let exec: HostExec;

        before(async function () {
            this.timeout(1800000);
            info = await releaseHost(release).host();
            exec = execFor(info);
            await root(info, `${HOSTILE_TEARDOWN}; ${HOSTILE_SETUP}`);
        });
        after(async () => {
            if (!info) return;
            await root(info, HOSTILE_TEARDOWN);
            await cleanup(info, [NAME]);
        });

        it("≥ 50 generated texts: every one refused, 0 change the file, manifest or any loaded policy", async () => {
            const good = secureProfile(NAME);
            const first = await hostScripts.install(exec, {
                name: NAME,
                text: good,
                mode: "enforce",
                sudo: true,
            });
            assert.strictEqual(first.kernelMode, "enforce");
            const cases = hostileProfiles(NAME, good);
            let before = (await root(info, SNAPSHOT)).stdout;
            assert.match(before, new RegExp(`^${NAME} ${POLICY_HASH_RE} enforce$`, "m"));
            const t0 = Date.now();
            const failures: string[] = [];
            const byCategory: Record<string, number> = {};

            /** Runs one attempt; records what went wrong instead of stopping at the first. */
            async function attempt(
                title: string,
                codes: readonly string[],
                run: () => Promise<unknown>,
            ): Promise<void> {
                let outcome = "";
                let message = "";
                try {
                    const r = await run();
                    outcome = `accepted: ${JSON.stringify(r)}`;
                } catch (e) {
                    if (e instanceof HostScriptError) {
                        outcome = e.code;
                        message = `${e.message}\n${e.stderr}`;
                    } else outcome = `error: ${(e as Error).message}`;
                }
                if (!codes.includes(outcome))
                    failures.push(`${title}: expected ${codes.join("|")}, got ${outcome}`);
                if (message.includes(SECRET_MARKER) || /BEGIN|0x50\)|0x2d\)/.test(message))
                    failures.push(`${title}: the answer quotes the secret: ${message}`);
                const [now, left] = (
                    await root(info, `${SNAPSHOT}; printf '${SEP}'; ${AFTER}`)
                ).stdout.split(SEP);
                if (now !== before) {
                    failures.push(`${title}: the host changed:\n${now}`);
                    // Back to the good profile, so one failure does not show up in every later case.
                    await hostScripts.install(exec, {
                        name: NAME,
                        text: good,
                        mode: "enforce",
                        sudo: true,
                    });
                    before = (await root(info, SNAPSHOT)).stdout;
                }
                if (left.trim() !== "") failures.push(`${title}: ${left.trim()}`);
            }

            for (const c of cases) {
                byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
                await attempt(`${c.category}: ${c.title}`, c.codes, () =>
                    hostScripts.install(exec, {
                        name: NAME,
                        text: c.text,
                        mode: c.mode,
                        sudo: true,
                        // A text whose include never ends times out anyway: no need to wait long.
                        parserTimeoutSeconds: c.codes.includes("parse-timeout")
                            ? 5
                            : PARSER_TIMEOUT,
                    }),
                );
            }
            // A stdin that is not the text its sha256 announces (a cut or forged transfer).
            const forged: HostileCase[] = [
                {
                    category: "size",
                    title: "stdin differs from its sha256",
                    text: secureProfile(NAME, ["/tmp/forged"]),
                    mode: "enforce",
                    codes: ["incomplete-input"],
                },
                {
                    category: "size",
                    title: "stdin cut in half",
                    text: good.slice(0, good.length >> 1),
                    mode: "keep",
                    codes: ["incomplete-input"],
                },
            ];
            for (const c of forged) {
                byCategory.stdin = (byCategory.stdin ?? 0) + 1;
                const cmd = installCommand({ name: NAME, text: good, mode: c.mode, sudo: true });
                await attempt(c.title, c.codes, async () =>
                    parseInstall(await exec(cmd.command, c.text)),
                );
            }
            const count = cases.length + forged.length;
            const secs = ((Date.now() - t0) / 1000).toFixed(1);
            process.stderr.write(
                `      [hostile] ${count} texts in ${secs} s (${JSON.stringify(byCategory)}), ` +
                    `${failures.length} failures\n`,
            );
            assert.ok(count >= 50, `only ${count} cases`);
            assert.deepStrictEqual(failures, []);
            // The good profile is still exactly the one installed first.
            const st = await hostScripts.status(exec, { names: [NAME], sudo: true });
            assert.strictEqual(st.profiles[0].policySha1, first.policySha1);
            assert.strictEqual(st.profiles[0].policyMatchesFile, true);
        });
    });
}
