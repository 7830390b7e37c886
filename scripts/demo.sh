#!/usr/bin/env bash
# The main job: the local provider, the demo API and the demo web app; log in with a browser.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
# SESSIONS=redis: two app instances sharing sessions in a redis-server the demo starts.
if [ "${SESSIONS:-}" = redis ] && [ -z "${REDIS_URL:-}" ]; then ensure_redis; fi

pnpm exec turbo run build --filter=koa-app... --output-logs=errors-only
# One process, no package-manager wrapper: Ctrl-C reaches the demo, which closes its servers and
# exits 0 (a wrapper would report the interrupted child as a failed run).
cd examples/koa-app
exec node --import tsx src/main.ts
