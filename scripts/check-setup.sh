#!/usr/bin/env bash
# Checks scripts/lib/machine.sh without touching the machine: fake apt-get and npm on PATH.
#   - apt_get waits while another apt/dpkg holds the lock, says so, and gives up after its bound;
#     any other apt failure is not waited on;
#   - ensure_pnpm installs into a prefix of the user's own when the global one is not writable;
#   - ensure_redis installs Debian's redis-server when it is missing (as root), stops the service
#     the package may start, installs nothing when it is there, and says what to do without root.
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
# Installing redis-server puts a (fake) redis-server where REDIS_SERVER points, unless told not to.
case " $* " in
  *" install "*" redis-server "*) [ -e "$WORK/no-binary" ] || { printf '#!/bin/sh\n' >"$WORK/redis/redis-server" && chmod +x "$WORK/redis/redis-server"; } ;;
esac
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
# A fake service (the package's system service): records what it was asked to do.
cat >"$work/bin/service" <<'FAKE'
#!/usr/bin/env bash
echo "$*" >>"$WORK/service-calls"
FAKE
chmod +x "$work/bin/apt-get" "$work/bin/npm" "$work/bin/service"
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
# redis-server missing, as root: one update, one install, the packaged service stopped; then it
# is there and nothing more is installed. (REDIS_SERVER points into $work, so the machine's own
# redis-server, if any, is not seen; `id` is a function here, so both branches run as any user.)
mkdir -p "$work/redis"
export REDIS_SERVER="$work/redis/redis-server"
: >"$work/apt-calls" && echo 0 >"$work/locked"
(
  id() { echo 0; }
  ensure_redis >/dev/null
) || fail "ensure_redis did not install redis-server"
[ -x "$REDIS_SERVER" ] || fail "ensure_redis did not install redis-server"
grep -qx "update -qq" "$work/apt-calls" || fail "ensure_redis did not run apt-get update"
grep -qx "install -y -qq redis-server" "$work/apt-calls" || fail "ensure_redis did not install redis-server"
[ "$(wc -l <"$work/apt-calls")" -eq 2 ] || fail "ensure_redis: expected one update and one install"
grep -qx "redis-server stop" "$work/service-calls" || fail "ensure_redis left the packaged service running"
: >"$work/apt-calls"
(
  id() { echo 0; }
  ensure_redis >/dev/null
) || fail "ensure_redis failed with redis-server there"
[ ! -s "$work/apt-calls" ] || fail "ensure_redis installed again what was there"

# The install "succeeds" but no redis-server appears: an error, not a silent pass.
rm -f "$REDIS_SERVER" && : >"$work/no-binary"
if (
  id() { echo 0; }
  ensure_redis >/dev/null 2>"$work/err"
); then fail "ensure_redis passed without a redis-server"; fi
grep -q "still not found" "$work/err" || fail "ensure_redis did not say redis-server is still missing"

# Not root: nothing is installed, and it says what to run.
: >"$work/apt-calls"
if (
  id() { echo 1000; }
  ensure_redis >/dev/null 2>"$work/err"
); then fail "ensure_redis passed without root and without redis-server"; fi
grep -q "sudo apt-get install redis-server" "$work/err" || fail "ensure_redis did not say what to run"
[ ! -s "$work/apt-calls" ] || fail "ensure_redis ran apt without root"
echo "setup check: apt waits for the dpkg lock (bounded), pnpm installs without root, redis-server installs when missing"
