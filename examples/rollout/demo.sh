#!/usr/bin/env bash
# `npm run demo:rollout`: a profile change rolled out to two disposable AppArmor hosts, end to end.
#   1. boot two test VMs (AppArmor kernel + dockerd + sshd; image built and cached on first use)
#   2. the Pulumi engine: the `pulumi` on PATH when new enough, else built from source (cached)
#   3. `pulumi up`: version 1 on both hosts; a container on each runs under it, touching /tmp/b/x
#   4. a quiet change: the canary loads it in complain mode, soaks, is promoted to enforce, then host 2
#   5. a change that would break the service (deny /tmp/b): the canary logs ALLOWED events during its
#      soak, the gate stops the rollout naming the host, counts and suggested rules, the canary is
#      reverted and host 2 never sees the version
#   6. tear everything down (destroy, stack rm, VMs stop) — also on failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
export PULUMI_APPARMOR_CACHE="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$(date +%s)

[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund

work="$(mktemp -d /tmp/pulumi-apparmor-rollout.XXXXXX)"
stack_ready=0
cleanup() {
    rc=$?
    if [ "$stack_ready" = 1 ]; then
        step "6/6 pulumi destroy"
        (cd "$here" && pulumi destroy --yes --skip-preview --non-interactive) || rc=1
        (cd "$here" && pulumi stack rm --yes --non-interactive demo) >/dev/null 2>&1 || true
    fi
    for vm in vm1 vm2; do
        if [ -f "$work/$vm/state.json" ]; then
            node "$repo/bin/pulumi-apparmor.js" testhost stop --state-dir "$work/$vm" >&2 || true
        fi
    done
    rm -rf "$work"
    echo "rollout demo: $([ "$rc" = 0 ] && echo "done" || echo FAILED) in $(( $(date +%s) - t0 )) s"
    exit "$rc"
}
trap cleanup EXIT

step "1/6 two test VMs"
for vm in vm1 vm2; do
    node "$repo/bin/pulumi-apparmor.js" testhost start --state-dir "$work/$vm" >"$work/$vm.json" &
done
wait
j() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); process.stdout.write(String(o[process.argv[2]]))' "$work/$1.json" "$2"; }
on() {
    ssh -q -i "$(j "$1" privateKeyPath)" -o UserKnownHostsFile="$(j "$1" knownHostsPath)" \
        -o StrictHostKeyChecking=yes -o BatchMode=yes -p "$(j "$1" port)" "root@$(j "$1" host)" "$2"
}
hosts=$(node -e '
const fs = require("fs");
const vm = (f, name) => { const o = JSON.parse(fs.readFileSync(f, "utf8"));
  return { host: o.host, port: o.port, user: o.user, hostKey: o.hostKey, name }; };
process.stdout.write(JSON.stringify([vm(process.argv[1], "canary"), vm(process.argv[2], "host2")]));
' "$work/vm1.json" "$work/vm2.json")
echo "hosts: $hosts"
# The program uses one SSH key for the whole fleet: let vm1's key in on vm2 too.
on vm2 "cat >> /home/$(j vm2 user)/.ssh/authorized_keys" <"$(j vm1 privateKeyPath).pub"

step "2/6 Pulumi engine"
# The pulumi on PATH when it is new enough, else built from source (cached); PULUMI_APPARMOR_ENGINE=build
# forces the build. One line says which (test/engine/engine-env.sh).
# shellcheck source-path=SCRIPTDIR/../.. source=test/engine/engine-env.sh
. "$repo/test/engine/engine-env.sh"
use_engine "$repo" "$work/pulumi-home"
export PULUMI_BACKEND_URL="file://$work/state"
export PULUMI_CONFIG_PASSPHRASE="demo-only" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_NODEJS_TRANSPILE_ONLY=true
mkdir -p "$work/state"

step "3/6 pulumi up: version 1 on both hosts, a container under it on each"
cd "$here"
pulumi stack init demo --non-interactive >/dev/null
stack_ready=1
pulumi config set hosts "$hosts"
pulumi config set --secret sshKey <"$(j vm1 privateKeyPath)"
pulumi config set soakSeconds 10
# Without pulumi-resource-command in the source build, skip the preparation (the VMs need none).
if [ "$ENGINE_LAYOUT" = built ] && [ ! -x "$ENGINE_BIN/pulumi-resource-command" ]; then
    pulumi config set prepareHosts false
fi
pulumi up --yes --skip-preview --non-interactive
for vm in vm1 vm2; do
    on "$vm" "docker run -d --name web --security-opt apparmor=web local/busybox:latest sh -c 'mkdir -p /tmp/b; while :; do echo x > /tmp/b/x 2>/dev/null; sleep 1; done'" >/dev/null
done
echo "containers running under: $(on vm1 "cat /proc/\$(docker inspect -f '{{.State.Pid}}' web)/attr/current")"

step "4/6 a quiet change: canary in complain mode, soak, promoted; then host 2"
pulumi config set extraDeny /srv/uploads/**
pulumi preview --non-interactive --diff | grep -E 'wave|rollout plan' || true
pulumi up --yes --skip-preview --non-interactive
pulumi stack output versions --json

step "5/6 a change that would break the service: the gate stops it on the canary"
pulumi config set extraDeny /srv/uploads/**,/tmp/b/**
pulumi config set onGateFailure revert
if pulumi up --yes --skip-preview --non-interactive; then
    echo "unexpected: the rollout passed its gate" >&2
    exit 1
fi
echo "(the gate stopped the rollout, as it should)"
echo "canary: $(on vm1 "grep '^web ' /sys/kernel/security/apparmor/profiles") — host 2: $(on vm2 "grep '^web ' /sys/kernel/security/apparmor/profiles")"
on vm1 "grep -c /tmp/b /etc/apparmor.d/containers/web" >/dev/null && { echo "canary still has the breaking rule" >&2; exit 1; }
on vm2 "grep -c /tmp/b /etc/apparmor.d/containers/web" >/dev/null && { echo "host 2 got the breaking rule" >&2; exit 1; }
echo "neither host carries the breaking rule"
pulumi config set extraDeny /srv/uploads/**
for vm in vm1 vm2; do on "$vm" "docker rm -f web" >/dev/null; done
