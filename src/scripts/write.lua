-- write.lua: one instance's save, key move or delete, applied atomically with all its index entries.
--
-- The caller (src/write/plan-write.ts) read or guessed the stored state of the instance, computed
-- which index entries must go and which must come, and sends them here. This script first checks
-- that the stored state is still what the plan was made from; if not it writes nothing and returns
-- the actual state so the caller can plan again. Index entries therefore never come from a stale
-- in-memory copy.
--
-- KEYS: every key the write touches (hashes, shadow hashes, class set, index sets); ARGV names
-- them by 1-based position. Nothing here builds a key name.
--
-- ARGV (positional; counts precede each list):
--   [1]  op: "save", "delete", or "purge" (a delete that only runs when the hash is already gone)
--   [2]  position in KEYS of the stored hash the plan replaces (the old key)
--   [3]  position of the hash to write (the new key; equal to [2] unless the key moves; 0 on delete)
--   [4]  position of the old shadow hash, or 0 (models with a ttl keep index values in a shadow
--        that outlives the expiring hash)
--   [5]  position of the new shadow hash, or 0
--   [6]  ttl in seconds for the new hash, "0" for none
--   [7]  expected stored state: "0" nothing stored, "1" values follow
--   [8]  n, the number of checked fields; then n field names; then, if [7] is "1", n expected
--        values ("" for a field missing from the hash: no msgpack value is empty)
--   then m, the number of hash fields to write; then m name/value pairs
--   then u, the number of unique sets; then u positions of the sets
--   then r, the number of entries to remove; then r triples: kind ("s" set, "z" sorted set), position, member
--   then a, the number of entries to add; then a entries:
--        "s", position, member | "z", position, member, score | "g", position, member, longitude, latitude
--
-- Returns:
--   {"OK", existed}                stored hash existed (1) or not (0) before the write
--   {"STALE", source, v1 … vn}     stored state differs; source "H" (hash), "S" (shadow) or "" (none)
--   {"UNIQUE", i, holder}          the i-th unique set holds another instance key
--   {"CONFLICT"}                   the key moves onto a hash that already exists
--   {"PURGE", key}                 the new key has leftovers of an expired instance to clean first
--   {"LIVE"}                       purge only: the hash exists again, so nothing was removed

local op = ARGV[1]
local oldKey = KEYS[tonumber(ARGV[2])]
local newPos = tonumber(ARGV[3])
local newKey = newPos > 0 and KEYS[newPos] or nil
local oldShadowPos = tonumber(ARGV[4])
local newShadowPos = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local expectPresent = ARGV[7] == "1"
local n = tonumber(ARGV[8])
local i = 9

local fields = {}
for j = 1, n do fields[j] = ARGV[i + j - 1] end
i = i + n

-- Read the stored state: the hash if it exists, else (ttl models) the shadow left behind by expiry.
local existed = redis.call("EXISTS", oldKey) == 1
if op == "purge" and existed then return { "LIVE" } end
local source, stored = "", nil
if existed then
  source = "H"
elseif oldShadowPos > 0 and redis.call("EXISTS", KEYS[oldShadowPos]) == 1 then
  source = "S"
end
if source ~= "" and n > 0 then
  stored = redis.call("HMGET", source == "H" and oldKey or KEYS[oldShadowPos], unpack(fields))
end

local function stale()
  local reply = { "STALE", source }
  for j = 1, n do reply[j + 2] = (stored and stored[j]) or "" end
  return reply
end

if expectPresent then
  if source == "" then return stale() end
  for j = 1, n do
    if ((stored and stored[j]) or "") ~= ARGV[i + j - 1] then return stale() end
  end
  i = i + n
elseif source ~= "" then
  return stale()
end

local m = tonumber(ARGV[i])
local hashStart = i + 1
i = hashStart + 2 * m

if op == "save" and newKey ~= oldKey then
  -- A key move must not merge two instances silently.
  if redis.call("EXISTS", newKey) == 1 then return { "CONFLICT" } end
  if newShadowPos > 0 and redis.call("EXISTS", KEYS[newShadowPos]) == 1 then return { "PURGE", newKey } end
end

local u = tonumber(ARGV[i])
for j = 1, u do
  local members = redis.call("SMEMBERS", KEYS[tonumber(ARGV[i + j])])
  for _, member in ipairs(members) do
    if member ~= oldKey and member ~= newKey then return { "UNIQUE", j, member } end
  end
end
i = i + u + 1

-- Every check passed: from here on the script only writes.
if op ~= "save" or newKey ~= oldKey then
  redis.call("DEL", oldKey)
  if oldShadowPos > 0 then redis.call("DEL", KEYS[oldShadowPos]) end
end

local r = tonumber(ARGV[i])
i = i + 1
for _ = 1, r do
  local kind, key, member = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2]
  if kind == "s" then redis.call("SREM", key, member) else redis.call("ZREM", key, member) end
  i = i + 3
end

local a = tonumber(ARGV[i])
i = i + 1
for _ = 1, a do
  local kind, key, member = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2]
  if kind == "s" then
    redis.call("SADD", key, member)
    i = i + 3
  elseif kind == "z" then
    redis.call("ZADD", key, ARGV[i + 3], member)
    i = i + 4
  else
    redis.call("GEOADD", key, ARGV[i + 3], ARGV[i + 4], member)
    i = i + 5
  end
end

if op == "save" and m > 0 then
  redis.call("HSET", newKey, unpack(ARGV, hashStart, hashStart + 2 * m - 1))
  if ttl > 0 then redis.call("EXPIRE", newKey, ttl) end
  if newShadowPos > 0 then
    -- The shadow holds the checked fields' values as written, so index entries can be found after expiry.
    local shadow = {}
    for j = 1, m do
      local name = ARGV[hashStart + 2 * j - 2]
      for k = 1, n do
        if fields[k] == name then
          shadow[#shadow + 1] = name
          shadow[#shadow + 1] = ARGV[hashStart + 2 * j - 1]
        end
      end
    end
    if #shadow > 0 then redis.call("HSET", KEYS[newShadowPos], unpack(shadow)) end
  end
end

return { "OK", existed and 1 or 0 }
