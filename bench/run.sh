#!/usr/bin/env bash
# Runs every benchmark; each writes its results to bench/results/*.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
npx ts-node bench/profile-bench.ts
npx ts-node bench/log-bench.ts
npx ts-node --transpile-only bench/log-bytes-bench.ts
npx ts-node --transpile-only bench/log-stream-bench.ts
npx ts-node --transpile-only bench/components-bench.ts
