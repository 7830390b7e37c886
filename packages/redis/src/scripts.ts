/**
 * The Lua scripts the store runs with EVALSHA (EVAL when the server does not have them cached),
 * each one atomic on the server. Index keys are sorted sets of session ids scored by the
 * session's `expiresAt`; every session has a "links" key listing (as a JSON array) the index keys
 * it is in, so `delete` can take it out of them.
 */

/** Takes session `id` (ARGV) out of every index its links key (KEYS[2] here) lists. */
const unlink = (links: string, id: string) => `
local listed = redis.call('GET', ${links})
if listed then
  for _, key in ipairs(cjson.decode(listed)) do redis.call('ZREM', key, ${id}) end
end`

/**
 * Writes a session. KEYS: session, links, then the index keys it belongs in. ARGV: JSON,
 * expiresAt (integer seconds), id, '1' for update (only while the session exists: SET ... XX).
 * Returns 1 when written, 0 when an update found no session (nothing is written then).
 */
export const WRITE = `
local session, links, id, exat = KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[2])
local written
if ARGV[4] == '1' then
  written = redis.call('SET', session, ARGV[1], 'EXAT', ARGV[2], 'XX')
else
  written = redis.call('SET', session, ARGV[1], 'EXAT', ARGV[2])
end
if not written then return 0 end
${unlink('links', 'id')}
local now = tonumber(redis.call('TIME')[1])
if exat <= now then
  redis.call('DEL', links)
  return 1
end
local keys = {}
for i = 3, #KEYS do
  local key = KEYS[i]
  keys[#keys + 1] = key
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, exat, id)
  -- GT alone never sets an expiry on a key that has none (a new index): it counts as infinite.
  if redis.call('TTL', key) == -1 then
    redis.call('EXPIREAT', key, exat)
  else
    redis.call('EXPIREAT', key, exat, 'GT')
  end
end
if #keys > 0 then
  redis.call('SET', links, cjson.encode(keys), 'EXAT', exat)
else
  redis.call('DEL', links)
end
return 1
`

/** Deletes a session and takes it out of its indexes. KEYS: session, links. ARGV: id. */
export const DELETE = `
local session, links, id = KEYS[1], KEYS[2], ARGV[1]
${unlink('links', 'id')}
redis.call('DEL', session, links)
return 1
`

/**
 * Deletes every session in the index KEYS[1] that is also in KEYS[2] when given. ARGV: the key
 * prefix of sessions, the key prefix of links. Expired entries are pruned first. Returns how
 * many ids it deleted.
 */
export const DELETE_BY = `
local now = tonumber(redis.call('TIME')[1])
for i = 1, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
local deleted = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if #KEYS < 2 or redis.call('ZSCORE', KEYS[2], id) then
    local links = ARGV[2] .. id
    ${unlink('links', 'id')}
    for i = 1, #KEYS do redis.call('ZREM', KEYS[i], id) end
    redis.call('DEL', ARGV[1] .. id, links)
    deleted = deleted + 1
  end
end
return deleted
`

/** Ends a lease only when its owner still holds it. KEYS: lease. ARGV: owner. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
