# What a fresh machine needs, as functions (sourced by setup.sh; checked by check-setup.sh).
# Only Chromium (for the browser tests) and redis-server (for the Redis store tests) need root;
# pnpm installs without it.

# APT_LOCK_TRIES x APT_LOCK_WAIT seconds: how long to wait for another apt or dpkg to finish.
APT_LOCK_TRIES="${APT_LOCK_TRIES:-30}"
APT_LOCK_WAIT="${APT_LOCK_WAIT:-10}"

# pnpm at the version package.json pins. With a global npm prefix this user cannot write to (a
# system Node, no root), it goes to a prefix of the user's own ($PNPM_PREFIX, default ~/.local),
# whose bin/ is put on PATH for this run.
ensure_pnpm() {
  local version="$1"
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  local root
  root="$(npm root --global 2>/dev/null || true)"
  if [ -n "$root" ] && { [ -w "$root" ] || { [ ! -e "$root" ] && [ -w "$(dirname "$root")" ]; }; }; then
    echo "installing pnpm@$version with npm (corepack cannot verify signatures here)"
    npm install --global --no-fund --no-audit "pnpm@$version" >/dev/null
  else
    local prefix="${PNPM_PREFIX:-$HOME/.local}"
    echo "installing pnpm@$version into $prefix (no root needed; add $prefix/bin to your PATH)"
    npm install --global --prefix "$prefix" --no-fund --no-audit "pnpm@$version" >/dev/null
    export PATH="$prefix/bin:$PATH"
  fi
}

# apt-get, waiting (bounded) while another apt or dpkg holds its lock, and saying so.
apt_get() {
  local try output
  for ((try = 1; ; try++)); do
    if output="$(DEBIAN_FRONTEND=noninteractive apt-get "$@" 2>&1)"; then return 0; fi
    if ! grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock' <<<"$output" ||
      [ "$try" -ge "$APT_LOCK_TRIES" ]; then
      echo "$output" >&2
      [ "$try" -ge "$APT_LOCK_TRIES" ] && echo "gave up waiting for the apt/dpkg lock after $try tries" >&2
      return 1
    fi
    echo "another apt or dpkg holds its lock: waiting ${APT_LOCK_WAIT}s (try $try of $APT_LOCK_TRIES)"
    sleep "$APT_LOCK_WAIT"
  done
}

# `apt-get update`, once per run (both ensure_chromium and ensure_redis may need it).
apt_update_once() {
  if [ -z "${APT_UPDATED:-}" ]; then
    apt_get update -qq
    APT_UPDATED=1
  fi
}

# Debian's Chromium for the browser tests (playwright-core drives it; it never downloads one).
ensure_chromium() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium for the browser tests (needs root: apt)"
    apt_update_once
    apt_get install -y -qq chromium
  else
    echo "Chromium is missing: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH)" >&2
    return 1
  fi
}

# Debian's redis-server for the tests of @oidc-hybrid/redis (they start their own servers on free
# loopback ports, never the system one). REDIS_SERVER names another binary.
ensure_redis() {
  local server="${REDIS_SERVER:-redis-server}"
  if command -v "$server" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian redis-server for the Redis session store tests (needs root: apt)"
    apt_update_once
    apt_get install -y -qq redis-server
    # The package's postinst starts a system service on 6379 where services run (systemd);
    # nothing uses it, so stop it rather than leave a server running.
    if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
    command -v "$server" >/dev/null 2>&1 || {
      echo "redis-server was installed but $server is still not found" >&2
      return 1
    }
  else
    echo "redis-server is missing: run 'sudo apt-get install redis-server' (or set REDIS_SERVER)" >&2
    return 1
  fi
}
