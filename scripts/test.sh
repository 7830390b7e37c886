#!/usr/bin/env bash
# The one test command (README, .ci/run): sets itself up on a fresh machine with Node 20 + npm,
# then builds, type-checks, lints, tests (unit, end-to-end against the real provider, browser in
# Chromium, the Redis session store against a real redis-server) and checks the packages with
# publint + attw.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_chromium
ensure_redis
# The fetch adapter's smoke test on Bun and Deno, fetched from the npm registry by npx.
export SMOKE_RUNTIMES="${SMOKE_RUNTIMES-bun,deno}"

pnpm exec turbo run build typecheck lint test lint:package --concurrency=2 --output-logs=errors-only "$@"
pnpm exec biome check .
node scripts/check-pure.mjs
node scripts/check-changesets.mjs
bash scripts/check-setup.sh
node packages/adapter-fetch/scripts/size.mjs --check
node scripts/summarize-tests.mjs
