#!/usr/bin/env bash
# The one test command (README, .ci/run): sets itself up on a fresh machine with Node 20 + npm,
# then builds, type-checks, lints and tests every package.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "installing pnpm@$PNPM_VERSION with npm (corepack cannot verify signatures here)"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

pnpm install --frozen-lockfile --prefer-offline
pnpm exec turbo run build typecheck lint test lint:package --concurrency=2 --output-logs=errors-only "$@"
pnpm exec biome check .
node scripts/check-pure.mjs
node scripts/summarize-tests.mjs
