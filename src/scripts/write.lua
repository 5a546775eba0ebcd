-- write.lua: saves, key moves and deletes of one or more instances, applied atomically together
-- with all their index entries.
--
-- The caller (src/write/plan-write.ts) read or guessed the stored state of each instance,
-- computed which index entries must go and which must come, and sends them here. The script
-- first checks every assumption (stored state, uniqueness, free target keys, guarded sets);
-- if one fails it writes nothing and says which, so the caller can plan again. Index entries
-- therefore never come from a stale in-memory copy, and a cascade is all or nothing.
--
-- KEYS: every key the write touches (hashes, shadow hashes, class sets, index sets); ARGV names
-- them by 1-based position. Nothing here builds a key name.
--
-- Cost: this script is where popoto's writes spend their Redis time beyond the baseline's plain
-- commands (docs/benchmarks.md, "Redis: popoto's scripts cost…"): parsing ARGV, the stored-state
-- HMGET, and one TYPE per distinct key are the fixed part; the entries it adds and removes are
-- the same commands a hand-written write sends.
--
-- ARGV (positional; counts precede each list):
--   [1]  g, the number of guarded sets; then g groups: position, c, then c members. The set must
--        hold exactly those members (c = 0: it must be empty), else nothing is written.
--   then w, the number of instance writes; then w write sections:
--     op: "save", "update" (a save of some fields, which needs the hash itself to exist: a ttl
--       shadow alone does not do), "delete", or "purge" (a delete that only runs when the hash is
--       already gone)
--     position of the stored hash the write replaces (the old key)
--     position of the hash to write (the new key; equal to the old one unless the key moves; 0 unless op is save)
--     position of the old shadow hash, or 0 (models with a ttl keep index values in a shadow
--       that outlives the expiring hash)
--     position of the new shadow hash, or 0
--     ttl in seconds for the new hash, "0" for none
--     expected stored state: "0" nothing stored, "1" values follow
--     n, the number of checked fields; then n field names; then, if expected is "1", n
--       expected values ("" for a field missing from the hash: no msgpack value is empty)
--     m, the number of hash fields to write; then m name/value pairs
--     u, the number of unique sets; then u positions of the sets
--     r, the number of entries to remove; then r triples: kind ("s" set, "z" sorted set), position, member
--     a, the number of entries to add; then a entries:
--       "s", position, member | "z", position, member, score | "g", position, member, longitude, latitude
--     e, 0 or 1; if 1, a channel and a message to PUBLISH once the write is applied (model change
--       events: sent from here so a subscriber never hears of a write that did not happen)
--
-- Returns:
--   {"OK", existed1, …, dead}     per write: whether its stored hash existed (1) or not (0); then the
--                                  expired instances found holding a unique value (to clean up)
--   {"STALE", w, source, v1 … vn}  write w's stored state differs; source "H" (hash), "S" (shadow) or "" (none)
--   {"UNIQUE", w, i, holder}       write w's i-th unique set holds another instance key
--   {"CONFLICT", w}                write w moves its key onto a hash that already exists
--   {"PURGE", w, key}              write w's new key has leftovers of an expired instance to clean first
--   {"LIVE", w}                    purge write w found its hash alive again
--   {"GUARD", i, member}           guarded set i differs from what was planned (member: one that is extra, or "")
--   {"WRONGTYPE", key}             a key the write would change holds another Redis type (another client's)

local i = 1
local function take()
  local value = ARGV[i]
  i = i + 1
  return value
end
local function takeNumber() return tonumber(take()) end

local guards = {}
for g = 1, takeNumber() do
  local guard = { key = KEYS[takeNumber()], members = {} }
  for j = 1, takeNumber() do guard.members[j] = take() end
  guards[g] = guard
end

local writes = {}
for w = 1, takeNumber() do
  local op = { kind = take() }
  if op.kind == "update" then
    op.kind, op.update = "save", true
  end
  op.oldKey = KEYS[takeNumber()]
  local newPos = takeNumber()
  op.newKey = newPos > 0 and KEYS[newPos] or nil
  local oldShadowPos, newShadowPos = takeNumber(), takeNumber()
  op.oldShadow = oldShadowPos > 0 and KEYS[oldShadowPos] or nil
  op.newShadow = newShadowPos > 0 and KEYS[newShadowPos] or nil
  op.ttl = takeNumber()
  op.expectPresent = take() == "1"
  op.fields = {}
  for j = 1, takeNumber() do op.fields[j] = take() end
  op.expected = {}
  if op.expectPresent then
    for j = 1, #op.fields do op.expected[j] = take() end
  end
  op.hash = {}
  for j = 1, 2 * takeNumber() do op.hash[j] = take() end
  op.unique = {}
  for j = 1, takeNumber() do op.unique[j] = KEYS[takeNumber()] end
  op.remove = {}
  for j = 1, takeNumber() do op.remove[j] = { take(), KEYS[takeNumber()], take() } end
  op.add = {}
  for j = 1, takeNumber() do
    local kind = take()
    local entry = { kind, KEYS[takeNumber()], take() }
    if kind == "z" then entry[4] = take() elseif kind == "g" then entry[4] = take(); entry[5] = take() end
    op.add[j] = entry
  end
  if takeNumber() == 1 then op.event = { take(), take() } end
  writes[w] = op
end

-- Phase 1: every check, before anything is written.

-- A key of another type would make a command fail half-way through phase 2, and Lua does not roll
-- back: so every key the write changes must be absent or of the type popoto keeps there.
local typeOf = {}
local function wrongType(key, want)
  local t = typeOf[key]
  if not t then
    t = redis.call("TYPE", key)["ok"]
    typeOf[key] = t
  end
  if t ~= "none" and t ~= want then return key end
  return nil
end
for _, guard in ipairs(guards) do
  local bad = wrongType(guard.key, "set")
  if bad then return { "WRONGTYPE", bad } end
end
for _, op in ipairs(writes) do
  local checks = { { op.oldKey, "hash" } }
  if op.newKey then checks[#checks + 1] = { op.newKey, "hash" } end
  if op.oldShadow then checks[#checks + 1] = { op.oldShadow, "hash" } end
  if op.newShadow then checks[#checks + 1] = { op.newShadow, "hash" } end
  for _, set in ipairs(op.unique) do checks[#checks + 1] = { set, "set" } end
  for _, entry in ipairs(op.remove) do checks[#checks + 1] = { entry[2], entry[1] == "s" and "set" or "zset" } end
  for _, entry in ipairs(op.add) do checks[#checks + 1] = { entry[2], entry[1] == "s" and "set" or "zset" } end
  for _, check in ipairs(checks) do
    local bad = wrongType(check[1], check[2])
    if bad then return { "WRONGTYPE", bad } end
  end
end

for g, guard in ipairs(guards) do
  if redis.call("SCARD", guard.key) ~= #guard.members then
    local extra = ""
    for _, member in ipairs(redis.call("SMEMBERS", guard.key)) do
      local planned = false
      for _, m in ipairs(guard.members) do if m == member then planned = true end end
      if not planned then extra = member break end
    end
    return { "GUARD", g, extra }
  end
  for _, member in ipairs(guard.members) do
    if redis.call("SISMEMBER", guard.key, member) == 0 then return { "GUARD", g, "" } end
  end
end

local existed = {}
for w, op in ipairs(writes) do
  -- The stored state: the hash if it exists, else (ttl models) the shadow left behind by expiry.
  local exists = redis.call("EXISTS", op.oldKey) == 1
  existed[w] = exists and 1 or 0
  if op.kind == "purge" and exists then return { "LIVE", w } end
  local source, stored = "", nil
  if exists then
    source = "H"
  elseif op.oldShadow and redis.call("EXISTS", op.oldShadow) == 1 then
    source = "S"
  end
  if source ~= "" and #op.fields > 0 then
    stored = redis.call("HMGET", source == "H" and op.oldKey or op.oldShadow, unpack(op.fields))
  end
  local same = (source ~= "") == op.expectPresent and not (op.update and source ~= "H")
  if same and op.expectPresent then
    for j = 1, #op.fields do
      if ((stored and stored[j]) or "") ~= op.expected[j] then same = false break end
    end
  end
  if not same then
    local reply = { "STALE", w, source }
    for j = 1, #op.fields do reply[j + 3] = (stored and stored[j]) or "" end
    return reply
  end
  if op.kind == "save" and op.newKey ~= op.oldKey then
    -- A key move must not merge two instances silently.
    if redis.call("EXISTS", op.newKey) == 1 then return { "CONFLICT", w } end
    if op.newShadow and redis.call("EXISTS", op.newShadow) == 1 then return { "PURGE", w, op.newKey } end
  end
  for j, set in ipairs(op.unique) do
    for _, member in ipairs(redis.call("SMEMBERS", set)) do
      -- A member whose hash is gone (an expired instance's leftover) holds nothing. Its key is in
      -- the model's own slot, as every member of the model's index sets is.
      if member ~= op.oldKey and member ~= op.newKey then
        if redis.call("EXISTS", member) == 1 then return { "UNIQUE", w, j, member } end
        op.dead = op.dead or {}
        op.dead[#op.dead + 1] = { set, member }
      end
    end
  end
end

-- Phase 2: every check passed; only writes from here on.

-- When Redis is out of memory, commands that may grow it fail inside a script while DEL and SREM
-- still run. Making such a command the first write means an out-of-memory write fails before it
-- changes anything. (It is repeated below; HSET, SADD and ZADD of the same value are idempotent.)
local function probe()
  for _, op in ipairs(writes) do
    if op.kind == "save" and #op.hash > 0 then
      redis.call("HSET", op.newKey, op.hash[1], op.hash[2])
      return
    end
  end
  for _, op in ipairs(writes) do
    local entry = op.add[1]
    if entry then
      if entry[1] == "s" then redis.call("SADD", entry[2], entry[3])
      elseif entry[1] == "z" then redis.call("ZADD", entry[2], entry[4], entry[3])
      else redis.call("GEOADD", entry[2], entry[4], entry[5], entry[3]) end
      return
    end
  end
end
probe()
for _, op in ipairs(writes) do
  if op.kind ~= "save" then
    redis.call("DEL", op.oldKey)
    if op.oldShadow then redis.call("DEL", op.oldShadow) end
  elseif op.newKey ~= op.oldKey then
    -- A key move carries the whole hash (and its ttl) over, so a write of some fields keeps the
    -- others; the fields written below then replace theirs.
    if redis.call("EXISTS", op.oldKey) == 1 then
      redis.call("RENAME", op.oldKey, op.newKey)
    else
      redis.call("DEL", op.newKey)
    end
    if op.oldShadow and redis.call("EXISTS", op.oldShadow) == 1 then
      if op.newShadow then redis.call("RENAME", op.oldShadow, op.newShadow) else redis.call("DEL", op.oldShadow) end
    end
  end
  for _, entry in ipairs(op.remove) do
    if entry[1] == "s" then redis.call("SREM", entry[2], entry[3]) else redis.call("ZREM", entry[2], entry[3]) end
  end
  -- The value now belongs to this instance: drop leftovers of expired holders from its set.
  for _, dead in ipairs(op.dead or {}) do redis.call("SREM", dead[1], dead[2]) end
  for _, entry in ipairs(op.add) do
    if entry[1] == "s" then
      redis.call("SADD", entry[2], entry[3])
    elseif entry[1] == "z" then
      redis.call("ZADD", entry[2], entry[4], entry[3])
    else
      redis.call("GEOADD", entry[2], entry[4], entry[5], entry[3])
    end
  end
  -- A save with nothing changed still refreshes the ttl (the hash exists: it was checked).
  if op.kind == "save" and op.ttl > 0 and #op.hash == 0 then redis.call("EXPIRE", op.newKey, op.ttl) end
  if op.kind == "save" and #op.hash > 0 then
    redis.call("HSET", op.newKey, unpack(op.hash))
    if op.ttl > 0 then redis.call("EXPIRE", op.newKey, op.ttl) end
    if op.newShadow then
      -- The shadow holds the checked fields' values as written, so index entries can be found after expiry.
      local shadow = {}
      for j = 1, #op.hash, 2 do
        for _, name in ipairs(op.fields) do
          if name == op.hash[j] then
            shadow[#shadow + 1] = name
            shadow[#shadow + 1] = op.hash[j + 1]
          end
        end
      end
      if #shadow > 0 then redis.call("HSET", op.newShadow, unpack(shadow)) end
    end
  end
end

for _, op in ipairs(writes) do
  if op.event then redis.call("PUBLISH", op.event[1], op.event[2]) end
end

local reply = { "OK" }
local dead = {}
for w = 1, #writes do
  reply[w + 1] = existed[w]
  for _, d in ipairs(writes[w].dead or {}) do dead[#dead + 1] = { w, d[2] } end
end
reply[#writes + 2] = dead
return reply
