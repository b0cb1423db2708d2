#!/usr/bin/env bash
# The whole test suite (`npm test`): builds/reuses the cached heavy artifacts, then one mocha run over
# every test so CI reads one closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PULUMI_APPARMOR_CACHE="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
(umask 077 && mkdir -p "$PULUMI_APPARMOR_CACHE") # private: the VM image holds its host key

# Test VM images (cached by recipe hash, one per release; a cold build takes several minutes each):
# built in the background while the other steps run, awaited before mocha. Debian 12 bookworm runs
# every VM suite; Debian 13 trixie (kernel 6.12, AppArmor 4.1) runs the `*.trixie.*` files (README:
# "Supported host releases" says which suites run on both). The two builds take turns (the trixie
# one starts when bookworm's is done) so that they do not fight over the machine's cores with the
# engine build.
(sh src/testhost/build-image.sh ensure bookworm >/dev/null &&
    sh src/testhost/build-image.sh ensure trixie >/dev/null) &
testhost_image=$!
# AppArmor 4.1's own apparmor_parser (a Debian trixie chroot, cached by recipe hash; cold ~40 s) for the
# ABI 4 round trip of test/parser41/: its directory is the last line the script prints.
parser41_out="$(mktemp)"
sh scripts/trixie-parser.sh ensure >"$parser41_out" &
parser41=$!
# The Python and YAML program tests (test/engine/{python,yaml}.vm.test.ts): pulumi-language-python and
# pulumi-language-yaml (own cache keys, so they never invalidate the engine build; cold ~3 min each)
# and a venv with pulumi + pulumi-docker from PyPI.
(bash test/engine/build-language.sh python >/dev/null && bash test/engine/python-venv.sh >/dev/null &&
    bash test/engine/build-language.sh yaml >/dev/null) &
languages=$!

npx tsc -p tsconfig.test.json
# dist/ fresh before the tests start: the CLI tests run bin/pulumi-apparmor.js and the component
# provider (provider/) loads dist/src; no test then rewrites it while another reads it. Built only
# when some source is newer than it (`npm ci`'s prepare has just built it in CI).
if ! node -r ts-node/register/transpile-only -e \
    'process.exit(require("./test/support/schema").distIsFresh(".") ? 0 : 1)'; then
    npm run build --silent
fi
# Pulumi engine, chosen by test/support/engineSelect.ts: a `pulumi` on PATH that is new enough (with its
# own plugins), else (CI: none on PATH) the CLI, nodejs language host and docker provider built from Go
# modules by test/engine/build.sh, cached by recipe hash (cold: 30-60 min on 2 cores). A source build's
# folder is passed on in PULUMI_APPARMOR_ENGINE_BIN; the engine harness (test/support/engine.ts) makes
# the same choice again (instantly), prints it once and sets the rest of the engine env per stack.
engine="$(node -r ts-node/register/transpile-only test/support/engineSelect.ts --quiet)"
if [ "${engine%%$'\t'*}" = built ]; then
    PULUMI_APPARMOR_ENGINE_BIN="${engine#*$'\t'}"
    export PULUMI_APPARMOR_ENGINE_BIN PATH="$PULUMI_APPARMOR_ENGINE_BIN:$PATH"
fi
wait "$testhost_image" || { echo "run-all: test VM image build (bookworm, trixie) failed" >&2; exit 1; }
wait "$parser41" || { echo "run-all: AppArmor 4.1 parser chroot build failed" >&2; exit 1; }
wait "$languages" || { echo "run-all: Python/YAML language host or venv failed" >&2; exit 1; }
PULUMI_APPARMOR_PARSER41="$(tail -n 1 "$parser41_out")"
rm -f "$parser41_out"
export PULUMI_APPARMOR_PARSER41
# One vCPU per test VM: without KVM every vCPU is a host thread, and the two workers keep two or more
# VMs busy at once on CI's 2 cores. Measured (2026-12-05, two VMs side by side, bookworm + trixie):
# 5 parser compiles + 3 `docker run` took 15.5-19.4 s with one vCPU each against 22.5-26.8 s with two.
export PULUMI_APPARMOR_TESTHOST_CPUS="${PULUMI_APPARMOR_TESTHOST_CPUS:-1}"
# Two mocha workers (`--parallel`), each with its own shared test VM, take the test files longest first
# (test/support/testFiles.ts): one VM's emulated CPUs idle while the engine, SSH or a soak waits, and
# the other worker fills that time. tsc above has type-checked every file, so the workers only
# transpile (TS_NODE_TRANSPILE_ONLY). Each file's output is printed whole when the file is done;
# `PULUMI_APPARMOR_TEST_JOBS=1` runs them one after the other.
mapfile -t test_files < <(node -r ts-node/register/transpile-only test/support/testFiles.ts)
TS_NODE_TRANSPILE_ONLY=true npx mocha --parallel --jobs "${PULUMI_APPARMOR_TEST_JOBS:-2}" "${test_files[@]}"
