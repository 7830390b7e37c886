#!/usr/bin/env bash
# The main job: the local provider, the demo API and the demo web app; log in with a browser.
set -euo pipefail
source "$(dirname "$0")/setup.sh"

pnpm exec turbo run build --filter=koa-app... --output-logs=errors-only
exec pnpm --filter koa-app start
