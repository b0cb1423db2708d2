#!/usr/bin/env bash
# `npm run demo [-- --release bookworm|trixie]`: the project's main job, end to end on a fresh machine.
#   1. boot the disposable test VM (AppArmor kernel + dockerd + sshd; image built and cached on first use):
#      Debian 12 bookworm by default, Debian 13 trixie (AppArmor 4.1, kernel 6.12) with --release trixie
#   2. the Pulumi engine: the `pulumi` on PATH when new enough, else built from source (cached)
#   3. `pulumi up` this example against the VM (profile loaded, container confined)
#   4. trigger a denial in the container (`touch /tmp/a/x`)
#   5. `pulumi refresh`, print the version and denial outputs
#   6. tear everything down (destroy, stack rm, VM stop) — also on failure.
set -euo pipefail
release=bookworm
while [ $# -gt 0 ]; do
    case $1 in
        --release) [ $# -ge 2 ] || { echo "usage: demo.sh [--release bookworm|trixie]" >&2; exit 2; }; release=$2; shift 2 ;;
        --release=*) release=${1#--release=}; shift ;;
        *) echo "usage: demo.sh [--release bookworm|trixie]" >&2; exit 2 ;;
    esac
done
case $release in bookworm | trixie) ;; *) echo "demo: unknown release \"$release\" (expected bookworm or trixie)" >&2; exit 2 ;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
export PULUMI_APPARMOR_CACHE="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$(date +%s)

[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund

work="$(mktemp -d /tmp/pulumi-apparmor-demo.XXXXXX)"
vmstate="$work/vm"
stack_ready=0
cleanup() {
    rc=$?
    if [ "$stack_ready" = 1 ]; then
        step "6/6 pulumi destroy"
        (cd "$here" && pulumi destroy --yes --skip-preview --non-interactive) || rc=1
        (cd "$here" && pulumi stack rm --yes --non-interactive demo) >/dev/null 2>&1 || true
    fi
    if [ -f "$vmstate/state.json" ]; then
        node "$repo/bin/pulumi-apparmor.js" testhost stop --state-dir "$vmstate" >&2 || true
    fi
    rm -rf "$work"
    echo "demo: $([ "$rc" = 0 ] && echo "done" || echo FAILED) in $(( $(date +%s) - t0 )) s"
    exit "$rc"
}
trap cleanup EXIT

step "1/6 test VM (Debian $release)"
node "$repo/bin/pulumi-apparmor.js" testhost start --release "$release" --state-dir "$vmstate" >"$work/vm.json"
j() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); process.stdout.write(String(o[process.argv[2]]))' "$work/vm.json" "$1"; }
host=$(j host); port=$(j port); user=$(j user); key=$(j privateKeyPath); known=$(j knownHostsPath)
echo "VM at $user@$host:$port, dockerd at $(j dockerHost) (a socket forwarded over SSH)"
vm() { ssh -q -i "$key" -o UserKnownHostsFile="$known" -o StrictHostKeyChecking=yes -o BatchMode=yes -p "$port" "$user@$host" "$@"; }

step "2/6 Pulumi engine"
# The pulumi on PATH when it is new enough, else built from source (cached); PULUMI_APPARMOR_ENGINE=build
# forces the build. One line says which (test/engine/engine-env.sh).
# shellcheck source-path=SCRIPTDIR/../.. source=test/engine/engine-env.sh
. "$repo/test/engine/engine-env.sh"
use_engine "$repo" "$work/pulumi-home"
export PULUMI_BACKEND_URL="file://$work/state"
export PULUMI_CONFIG_PASSPHRASE="demo-only" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_NODEJS_TRANSPILE_ONLY=true
# The dynamic providers load their implementation by package name (`pulumi-apparmor`); this example
# uses the checkout's sources, which the stand-in package in test/support/node_path resolves to.
export NODE_PATH="$repo/test/support/node_path:$repo/node_modules${NODE_PATH:+:$NODE_PATH}"
mkdir -p "$work/state"

step "3/6 pulumi up"
cd "$here"
pulumi stack init demo --non-interactive >/dev/null
stack_ready=1
pulumi config set host "$host"
pulumi config set port "$port"
pulumi config set user "$user"
pulumi config set hostKey "$(j hostKey)"
pulumi config set dockerHost "$(j dockerHost)"
pulumi config set image local/busybox:latest
pulumi config set command "sleep 1000000"
pulumi config set --secret sshKey <"$key"
# test/engine/build.sh links pulumi-resource-command (remote.Command, the preparation step) into the
# engine when test/engine/build-command.sh could build it; without it the demo skips the preparation
# (the VM already has apparmor and the directory). A pulumi from PATH finds or installs its own.
if [ "$ENGINE_LAYOUT" = built ] && [ ! -x "$ENGINE_BIN/pulumi-resource-command" ]; then
    echo "no pulumi-resource-command in the engine: prepareHosts=false"
    pulumi config set prepareHosts false
fi
pulumi up --yes --skip-preview --non-interactive
container="$(pulumi stack output containerName)"
echo "container $container runs with label: $(pulumi stack output label)"

step "4/6 trigger a denial: touch /tmp/a/x in the container"
# ssh joins its arguments into one command line for the remote shell: pass it as one string, with the
# container name checked first (it comes from the stack output).
[[ "$container" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "unexpected container name: $container" >&2; exit 1; }
# The kernel refuses to create /tmp/a/x (`audit deny /tmp/a/** rwlx`) and logs it: the denial to fetch.
if out=$(vm "docker exec $container sh -c 'mkdir -p /tmp/a && touch /tmp/a/x'" 2>&1); then
    echo "unexpected: touch /tmp/a/x succeeded" >&2
    exit 1
fi
echo "$out"
case "$out" in
    *"Permission denied"*) echo "(denied, as the profile says)" ;;
    *) echo "unexpected: the command failed for another reason" >&2; exit 1 ;;
esac
sleep 2

step "5/6 pulumi refresh, then the outputs"
# --diff prints the refreshed state (new denials, drift reasons). Stack outputs are computed by the
# program, so a no-change `up` re-evaluates them from the refreshed state (pulumi/pulumi#2710).
pulumi refresh --yes --skip-preview --non-interactive --diff
pulumi up --yes --skip-preview --non-interactive >/dev/null
echo "--- versions"
pulumi stack output versions --json
echo "--- denials"
pulumi stack output denials --json
echo "--- drift"
pulumi stack output drift --json
