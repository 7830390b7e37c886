#!/usr/bin/env bash
# Checks scripts/lib/machine.sh without touching the machine: fake apt-get and npm on PATH.
#   - apt_get waits while another apt/dpkg holds the lock, says so, and gives up after its bound;
#     any other apt failure is not waited on;
#   - ensure_pnpm installs into a prefix of the user's own when the global one is not writable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
fail() { echo "check-setup: $*" >&2; exit 1; }

# A fake apt-get: fails with the lock message while $work/locked counts down, then succeeds.
cat >"$work/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
count="$(cat "$WORK/locked" 2>/dev/null || echo 0)"
echo "$*" >>"$WORK/apt-calls"
if [ "$count" = broken ]; then echo "E: Unable to locate package chromium" >&2; exit 100; fi
if [ "$count" -gt 0 ]; then
  echo $((count - 1)) >"$WORK/locked"
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
FAKE
# A fake npm: the global root is not writable; records what it was asked to do.
cat >"$work/bin/npm" <<'FAKE'
#!/usr/bin/env bash
if [ "$1" = root ]; then echo "$WORK/readonly/lib/node_modules"; exit 0; fi
echo "$*" >>"$WORK/npm-calls"
FAKE
chmod +x "$work/bin/apt-get" "$work/bin/npm"
mkdir -p "$work/readonly/lib/node_modules" && chmod a-w "$work/readonly/lib/node_modules"
export WORK="$work" PATH="$work/bin:$PATH" APT_LOCK_WAIT=0 APT_LOCK_TRIES=5
# shellcheck source=lib/machine.sh
source "$here/lib/machine.sh"

# The lock is held for 2 tries, then released: apt_get waits, says so, and succeeds.
echo 2 >"$work/locked"
out="$(apt_get install -y chromium)" || fail "apt_get did not wait for the lock"
grep -q "holds its lock: waiting" <<<"$out" || fail "apt_get did not say what it waits for"
[ "$(wc -l <"$work/apt-calls")" -eq 3 ] || fail "apt_get should have tried 3 times"

# Held for longer than the bound: it gives up with a message, bounded.
: >"$work/apt-calls" && echo 99 >"$work/locked"
if apt_get update 2>"$work/err" >/dev/null; then fail "apt_get waited past its bound"; fi
grep -q "gave up waiting for the apt/dpkg lock after 5 tries" "$work/err" || fail "no give-up message"
[ "$(wc -l <"$work/apt-calls")" -eq 5 ] || fail "apt_get should stop after 5 tries"

# Any other failure is reported at once, not waited on.
: >"$work/apt-calls" && echo broken >"$work/locked"
if apt_get install chromium 2>/dev/null >/dev/null; then fail "apt_get hid a failure"; fi
[ "$(wc -l <"$work/apt-calls")" -eq 1 ] || fail "apt_get retried a failure that is not the lock"

# No writable global prefix (a system Node without root): pnpm goes to the user's prefix.
if [ "$(id -u)" != 0 ]; then
  PNPM_PREFIX="$work/user" ensure_pnpm 0.0.0-check >/dev/null
  grep -q -- "--global --prefix $work/user" "$work/npm-calls" || fail "ensure_pnpm needed root"
  case ":$PATH:" in *":$work/user/bin:"*) ;; *) fail "ensure_pnpm did not put its bin on PATH" ;; esac
else
  # root can write anywhere: check the choice through a prefix that is a file (never writable).
  : >"$work/notadir"
  npm() { if [ "$1" = root ]; then echo "$work/notadir/lib/node_modules"; else echo "$*" >>"$work/npm-calls"; fi; }
  PNPM_PREFIX="$work/user" ensure_pnpm 0.0.0-check >/dev/null
  grep -q -- "--global --prefix $work/user" "$work/npm-calls" || fail "ensure_pnpm needed root"
fi
echo "setup check: apt waits for the dpkg lock (bounded), pnpm installs without root"
