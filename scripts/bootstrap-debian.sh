#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian bookworm machine (run as root), then the
# npm dependencies. Needs Node.js 20 + npm and Go (for the Pulumi engine build) already on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt_packages=(
    apparmor apparmor-utils apparmor-profiles apparmor-profiles-extra python3-libapparmor
    qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client shellcheck
    ca-certificates git curl
    python3 python3-venv
)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for tool in node npm go; do
    command -v "$tool" >/dev/null || { echo "bootstrap: $tool is required on PATH" >&2; exit 1; }
done

npm ci --no-audit --no-fund
