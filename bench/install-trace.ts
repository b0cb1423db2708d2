/**
 * One traced library install on the shared test VM (`PULUMI_APPARMOR_TESTHOST_STATE`): the install
 * script run by bash -x with $EPOCHREALTIME in PS4 (a trace only: the library runs it with sh), the
 * gaps between consecutive trace lines summed per command word. Prints the slowest steps.
 *   npx ts-node --transpile-only bench/install-trace.ts [prior]
 */
import { installCommand, hostScriptText } from "../src/host";
import { renderProfile } from "../src/profile";
import { sharedTestHost, sshExec } from "../test/support/testhost";
import { PROFILE_DIR as DIR, secureProfile } from "../test/support/vmStack";

const NAME = "pa-itrace";

async function main(): Promise<void> {
    const vm = await sharedTestHost();
    const rollout = process.argv[2] === "prior";
    const script = hostScriptText("install");
    await sshExec(vm, `cat > /tmp/pa-install-trace.sh`, { asRoot: true, stdin: script });
    const out: string[] = [];
    for (let i = 0; i < 3; i++) {
        const text = renderProfile(secureProfile(NAME, [`/srv/t${Date.now()}/**`]).toModel());
        const c = installCommand({
            name: NAME,
            dir: DIR,
            text,
            mode: "enforce",
            ...(rollout ? { prior: true, labels: true, logMaxBytes: 1048576 } : {}),
        });
        const args = c.command.slice(c.command.indexOf("pulumi-apparmor-install"));
        const t0 = Date.now();
        const r = await sshExec(
            vm,
            `bash -c 'PS4="+\\$EPOCHREALTIME "; exec 3>/tmp/pa-trace; BASH_XTRACEFD=3; set -x; . /tmp/pa-install-trace.sh' ${args.replace(/^pulumi-apparmor-install/, "pa-install")}`,
            { asRoot: true, stdin: c.stdin },
        );
        const ms = Date.now() - t0;
        const tr = await sshExec(vm, "cat /tmp/pa-trace", { asRoot: true });
        out.push(`run ${i + 1}: ${ms} ms over ssh; ${r.stdout.split("\n")[0].slice(0, 120)}`);
        if (i < 2) continue;
        const lines = tr.stdout.split("\n").filter((l) => /^\++\d/.test(l));
        const steps: [number, string][] = [];
        for (let k = 0; k + 1 < lines.length; k++) {
            const t = Number(lines[k].replace(/^\++/, "").split(" ")[0]);
            const t2 = Number(lines[k + 1].replace(/^\++/, "").split(" ")[0]);
            steps.push([t2 - t, lines[k].slice(0, 140)]);
        }
        const first = Number(lines[0].replace(/^\++/, "").split(" ")[0]);
        const last = Number(lines[lines.length - 1].replace(/^\++/, "").split(" ")[0]);
        out.push(`traced span ${(last - first).toFixed(3)} s, ${lines.length} trace lines`);
        for (const [d, l] of steps.sort((a, b) => b[0] - a[0]).slice(0, 25))
            out.push(`${(d * 1000).toFixed(0).padStart(5)} ms  ${l}`);
    }
    await sshExec(
        vm,
        `apparmor_parser -R ${DIR}/${NAME} 2>/dev/null; rm -f ${DIR}/${NAME} /var/lib/pulumi-apparmor/profiles/${NAME} /tmp/pa-trace /tmp/pa-install-trace.sh; true`,
        { asRoot: true },
    );
    process.stdout.write(out.join("\n") + "\n");
}
main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
