#!/usr/bin/env bash
# The whole test suite (`npm test`): builds/reuses the cached heavy artifacts, then one mocha run over
# every test so CI reads one closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PULUMI_APPARMOR_CACHE="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
mkdir -p "$PULUMI_APPARMOR_CACHE"

npx tsc -p tsconfig.test.json
npx mocha 'test/**/*.test.ts'
