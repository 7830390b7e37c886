# Sourced by test.sh and demo.sh: what a fresh machine with only Node 20 and npm needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/lib/machine.sh

ensure_pnpm "$(node -p "require('./package.json').packageManager.split('@')[1]")"

pnpm install --frozen-lockfile --prefer-offline
