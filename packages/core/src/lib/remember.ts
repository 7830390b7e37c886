/**
 * Remembers `key` until `until` (seconds since the epoch) in a map bounded to 10 000 entries:
 * expired entries, then the oldest, make room. For one-time values (used `state`s, Logout Token
 * `jti`s) that must be refused again while they could still be presented.
 */
export function remember(used: Map<string, number>, key: string, until: number, now: number): void {
  for (const [old, expiry] of used) {
    if (expiry > now && used.size < 10_000) break
    used.delete(old)
  }
  used.set(key, until)
}

/**
 * Sets `key → value` as the newest entry of `map`, forgetting the oldest beyond `max`: a bounded
 * cache (imported keys, server nonces), where a forgotten entry costs only work done again.
 */
export function keep<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value!)
}
