#!/usr/bin/env bash
# python-venv.sh — the Python virtual environment the Python program tests run in (pulumi and the
# docker provider's Python SDK from PyPI), created once into the cache, never system-wide. The LAST
# line printed on stdout is the venv folder (progress goes to stderr); a program's Pulumi.yaml names
# it as `runtime.options.virtualenv`.
#
#   $PULUMI_APPARMOR_CACHE/python/<key>/venv     key: this script's non-comment lines + python3 version
#
# Pins: pulumi 3.259.0 (the Python SDK of the CLI release the engine is built at) and pulumi-docker
# 5.0.0 (the Python SDK of the docker provider version the engine build reports, so the program's
# docker.Container resources go to that plugin); wheel 0.45.1 so that pip can build a generated SDK
# without fetching build tools (`--no-build-isolation`). The apparmor SDK is not installed here: each
# program generates it from provider/ (`pulumi package gen-sdk`) and installs it into a folder of its
# own (`pip install --target`), so it always matches the schema and this venv stays as created.
# Needs python3 with its venv module (Debian: python3-venv).
set -euo pipefail

cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
REQUIREMENTS=("pulumi==3.259.0" "pulumi-docker==5.0.0" "wheel==0.45.1")

log() { echo "python-venv: $*" >&2; }

command -v python3 >/dev/null || { log "python3 is not installed"; exit 1; }
key="$(
    {
        grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}"
        python3 --version
    } | sha256sum | cut -c1-16
)"
out="$cache/python/$key"

if [ -f "$out/.complete" ]; then
    log "cached: $out/venv"
    echo "$out/venv"
    exit 0
fi

mkdir -p "$cache/python"
exec 9>"$cache/python/.lock"
flock 9
if [ -f "$out/.complete" ]; then
    echo "$out/venv"
    exit 0
fi
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
log "creating $out/venv with ${REQUIREMENTS[*]}"
python3 -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "${REQUIREMENTS[@]}" >&2
"$out/venv/bin/python" -m pip freeze --disable-pip-version-check >"$out/requirements.lock"
touch "$out/.complete"
find "$cache/python" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mtime +7 \
    -exec rm -rf {} + 2>/dev/null || true
log "created in $(($(date +%s) - start)) s"
echo "$out/venv"
