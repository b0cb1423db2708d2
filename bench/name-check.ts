/**
 * What the install's `-N` name check costs (issue 12, benchmark B's install part): on ONE test VM
 * (`PULUMI_APPARMOR_TESTHOST_STATE`), inside the guest (no ssh in the timings), alternating, N rounds of
 *   - compile: `timeout -k 5 120 apparmor_parser -Q -K -S FILE` alone (what the install needs),
 *   - compile + names: the same with `apparmor_parser -N FILE` beside it, as apply_profile runs them,
 *   - names: `apparmor_parser -N FILE` alone,
 * on the text a HostProfile installs in the benchmarks (docker-default plus rules, enforce). Prints
 * the medians; (compile + names) − compile is what dropping the check would save per install.
 *   BENCH_ROUNDS (8)
 */
import * as fs from "fs";
import { renderProfile } from "../src/profile";
import { sharedTestHost, sshExec } from "../test/support/testhost";
import { secureProfile } from "../test/support/vmStack";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
    const vm = await sharedTestHost();
    const text = renderProfile(secureProfile("pa-ncheck", ["/srv/n/**"]).toModel());
    // In-guest timings in ms, one line per round: compile, both, names.
    const script = `set -eu
f=$(mktemp -d)
trap 'rm -rf "$f"' EXIT
cat >"$f/p"
ms() { d=$(date +%s%N); echo $((d / 1000000)); }
i=0
while [ $i -lt ${rounds} ]; do
    i=$((i + 1))
    t0=$(ms)
    timeout -k 5 120 apparmor_parser -Q -K -S "$f/p" >"$f/bin" </dev/null
    t1=$(ms)
    timeout -k 5 120 apparmor_parser -N "$f/p" >"$f/names" 2>/dev/null </dev/null &
    n=$!
    timeout -k 5 120 apparmor_parser -Q -K -S "$f/p" >"$f/bin" </dev/null
    wait $n
    t2=$(ms)
    timeout -k 5 120 apparmor_parser -N "$f/p" >"$f/names" 2>/dev/null </dev/null
    t3=$(ms)
    echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2))"
done
`;
    const load0 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    const r = await sshExec(vm, `sh -c '${script.replace(/'/g, `'\\''`)}'`, {
        asRoot: true,
        stdin: text,
    });
    const load1 = fs.readFileSync("/proc/loadavg", "utf8").trim();
    if (r.code !== 0) throw new Error(`failed: ${r.stdout} ${r.stderr}`);
    const rows = r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ").map(Number));
    const [c, b, n] = [0, 1, 2].map((k) => rows.map((x) => x[k]));
    console.log(`load average ${load0} at the start, ${load1} at the end; ${rounds} rounds`);
    console.log(`round: compile ms, compile + -N ms, -N alone ms`);
    rows.forEach((x, i) => console.log(`${i + 1}: ${x.join(" ")}`));
    console.log(
        `median: compile ${median(c)} ms, compile + -N ${median(b)} ms, -N alone ${median(n)} ms; ` +
            `-N's wall cost beside the compile ${median(b) - median(c)} ms (median of the difference ${median(b.map((v, i) => v - c[i]))} ms)`,
    );
}

main().then(
    () => process.exit(0), // the harness's kept ssh connection would hold the process open
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
