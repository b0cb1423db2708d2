/**
 * Prints every test file (each `.test.ts` under `test/`), one per line, in the order `npm test` hands
 * them to mocha's parallel workers: the longest first (longest-processing-time-first keeps the two
 * workers busy until the end), the rest in path order. The weights are wall seconds of each file in a
 * recent `npm test` ("slowest test files" at its end); they only decide the order, so a stale number
 * costs a little wall time, never a test. Files that boot VMs of their own are listed too: they need
 * the time but not the worker's shared VM.
 *
 *     node -r ts-node/register/transpile-only test/support/testFiles.ts
 */
import * as fs from "fs";
import * as path from "path";

const SECONDS: Record<string, number> = {
    // The 15 slowest files of `.ci/run` of 2026-12-06 at ec735ae (two workers, idle machine, 4434 s in
    // all) carry that run's figures; the comments beside them tell where the older ones came from.
    // Measured: `.ci/run` of 2026-12-04 at fdbe7c7 (two workers, idle machine).
    "test/host/scripts.test.ts": 441,
    "test/components/engine.rollout.vm.test.ts": 332,
    "test/components/engine.compose.vm.test.ts": 332,
    "test/components/engine.apparmor-off.vm.test.ts": 282,
    "test/host/scripts-hostile.test.ts": 206,
    "test/components/engine.rekey.vm.test.ts": 234,
    "test/components/engine.vm.test.ts": 233,
    "test/host/vm-trixie.test.ts": 219,
    "test/host/scripts-safety.test.ts": 246,
    "test/components/engine.docker.vm.test.ts": 201,
    "test/host/vm-reboot.test.ts": 183,
    "test/components/provider.vm.test.ts": 132,
    "test/components/provider.preflight.vm.test.ts": 121,
    "test/components/engine.preview-compile.vm.test.ts": 99,
    "test/engine/provider.vm.test.ts": 97,
    // Under 97 s in that run (not listed among its slowest) or newer: estimates.
    "test/components/engine.safety.vm.test.ts": 95,
    "test/components/engine.read.vm.test.ts": 241,
    // 529 s at load ~10 with its own VM boot (122 s); vm-trixie, 219 s here, took ~410 s at that load.
    "test/components/engine.trixie.vm.test.ts": 253,
    // Measured by hand at load 7-9 (idle: 82 s for Python), each with its first `up`.
    "test/engine/python.vm.test.ts": 160,
    "test/engine/yaml.vm.test.ts": 180,
    "test/host/scripts-nonutf8.test.ts": 105,
    "test/components/engine.orphans.vm.test.ts": 120,
    // The bookworm suites' figures (issue #18: the same suites on the shared trixie VM).
    "test/host/scripts-safety.trixie.test.ts": 378,
    "test/host/scripts-hostile.trixie.test.ts": 221,
    // Measured by hand at load 7-8 (2026-12-05): estimates for an idle run.
    "test/components/compose.provider.vm.test.ts": 100,
    "test/components/engine.trixie-abi.vm.test.ts": 90,
    "test/host/vm-trixie-abi.test.ts": 60,
    // Issue #18: the five lifecycle suites on one trixie VM (1 boot + 4 reboots). 1372 s by hand at
    // load 7-9 (2026-12-05), where the five bookworm files took 1595 s (116 + 336 + 117 + 395 +
    // 631) beside it: scaled to their idle weights above (~930 s), about 800 s.
    "test/components/lifecycle.trixie.vm.test.ts": 775,
    // The same run's bookworm figures for the two files not weighed above, scaled likewise.
    "test/host/scripts-apparmor-off.test.ts": 70,
    "test/components/engine.forget.vm.test.ts": 70,
    // Issue #18, measured by hand at load 5-9 (2026-12-05, suite seconds): the trixie files of the
    // denials and nonutf8 suites (denials waits 120 s for a real denial that trixie's noisier,
    // rate-limited kernel log drops), and the rollout with its second host a trixie VM (635 s at
    // load 7-9 with that VM's boot; 395 s above is the idle bookworm+bookworm figure).
    "test/host/scripts-denials.trixie.test.ts": 272,
    "test/host/scripts-nonutf8.trixie.test.ts": 77,
    // Issue #18 item 1, measured by hand at load 9-12 (2026-12-05, suite seconds, both releases side
    // by side on one VM each): scripts 1035 s bookworm / 1270 s trixie (its seed case runs in
    // vm-trixie), scripts-read 263 / 277 s, inventory 206 / 183 s; scaled by bookworm's idle weight
    // above (scripts: 500 s for 1035 s).
    "test/host/scripts.trixie.test.ts": 488,
    "test/host/scripts-read.trixie.test.ts": 134,
    "test/host/scripts-read.test.ts": 127,
    "test/host/inventory.trixie.vm.test.ts": 88,
    "test/host/inventory.vm.test.ts": 100,
    // Issue #18: preview-compile, read, orphans, prepare and preflight in sequence on the shared
    // trixie VM. 1520 s by hand at load 9-11 (2026-12-05); the four bookworm files of the same
    // suites took 1266 s beside it (trixie's four: 1337 s), preview-compile 328 s against its
    // idle 99 s above (x3.3): about 460 s idle.
    "test/components/engine.more.trixie.vm.test.ts": 453,
    // Issue #18: the direct provider, compose provider and testhost CLI suites in sequence on the
    // shared trixie VM (already running). 166 s wall by hand at load 1.7-3.0 (uptime, 2026-12-05);
    // the three bookworm files of the same suites took 143 s wall beside it (135 s suites: 76 + 58 +
    // 0), where the idle weights above give them 232 s: about 280 s.
    "test/components/providers.trixie.vm.test.ts": 217,
    // Issue #18: `npm run demo` on bookworm then trixie, each booting its own VM (1 vCPU): 86 s + 104 s,
    // 191 s wall by hand at load 2-3 (2026-12-05).
    "test/engine/demo.vm.test.ts": 200,
    // Unweighted until 2026-12-05, so it started among the last VM files (the 47th of 130), where its
    // length sets the end of the run: 262 s and 515 s in two CI runs on 2026-12-05.
    "test/host/scripts-compose.test.ts": 372,
    // Issue #18: measured by hand (2026-12-06, 7/7 in 270 s, the other core running a VM file).
    "test/host/scripts-compose.trixie.test.ts": 270,
};

function walk(dir: string, out: string[]): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) walk(p, out);
        else if (entry.name.endsWith(".test.ts")) out.push(p);
    }
    return out;
}

const root = path.join(__dirname, "..", "..");
process.chdir(root);
const files = walk("test", []).sort();
// Files without a measured weight: VM suites (they talk to a VM) before the in-process ones.
const isVmFile = (f: string): boolean =>
    f.startsWith("test/host/") || /(^|\.)vm[.-]/.test(path.posix.basename(f));
const guess = (f: string): number => SECONDS[f] ?? (isVmFile(f) ? 60 : 0);
files.sort((a, b) => guess(b) - guess(a) || (a < b ? -1 : 1));
process.stdout.write(`${files.join("\n")}\n`);
