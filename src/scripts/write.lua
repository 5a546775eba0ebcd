-- write.lua: saves, key moves and deletes of one or more instances, applied atomically together
-- with all their index entries.
--
-- The caller (src/write/plan-write.ts) read or guessed the stored state of each instance,
-- computed which index entries must go and which must come, and sends them here. The script
-- first checks every assumption (stored state, uniqueness, free target keys, guarded sets);
-- if one fails it writes nothing and says which, so the caller can plan again. Index entries
-- therefore never come from a stale in-memory copy, and a cascade is all or nothing.
--
-- Over 300 lines because Lua scripts cannot import: the checks and the writes must share one
-- atomic script (EVALSHA runs one body), and the ARGV reader below is that script's contract.
--
-- KEYS: every key the write touches (hashes, shadow hashes, class sets, index sets); ARGV names
-- them by 1-based position. Nothing here builds a key name.
--
-- Cost: Redis time beyond the baseline's plain commands is parsing ARGV and one redis.call per
-- command (docs/benchmarks.md), so the format is compact (an entry whose member is the instance
-- key does not repeat it), the stored-state read covers only the fields the planner names, the
-- hash is written with one HSET, and TYPE is asked only where no other command proves the type
-- (see "Wrong-typed keys" below).
--
-- ARGV (positional; counts precede each list):
--   [1]  g, the number of guarded sets; then g groups: position, c, then |c| members. With c >= 0
--        the set must hold exactly those members (c = 0: it must be empty); with c < 0 it must
--        hold none of them (a sharded bucket's `$Retired` set must not name the writer's layout:
--        docs/storage.md §7a "Resharding"; one SISMEMBER each). Else nothing is written.
--   then w, the number of instance writes; then w write sections:
--     op: "s" save, "u" update (a save of some fields, which needs the hash itself to exist: a
--       ttl shadow alone does not do), "d" delete, or "p" purge (a delete that only runs when the
--       hash is already gone)
--     position of the stored hash the write replaces (the old key)
--     position of the hash to write when the key moves, else 0 (the old key is written)
--     ttl: seconds to EXPIRE the written hash with; -1 for a model whose instances may expire
--       but not by this write (the hash keeps the expiry it has); 0 for a model whose instances
--       never expire. When not 0 (such a model keeps index values in a shadow hash that outlives
--       the expiring hash) two positions follow: the old shadow, and the new shadow or 0
--       (delete, purge)
--     expected stored state: "0" nothing stored, "1" values follow
--     n, the number of checked fields; then n field names; then, if expected is "1", n
--       expected values ("" for a field missing from the hash: no msgpack value is empty)
--     m, the number of hash fields to write; then m name/value pairs
--     u, the number of unique sets; then u positions of the sets
--     r, the number of entries to remove; then r entries:
--       "S" position | "Z" position | "G" position   (the member is the old key; a geo set is a zset)
--       "s" position member | "z" position member
--       "H" position field | "h" position field value   (a hash entry, removed only while it holds
--         that value, the old key for "H": another instance's entry is never taken away)
--     a, the number of entries to add; then a entries:
--       "S" position | "Z" position score | "G" position longitude latitude   (member: the new key)
--       "s" position member | "z" position member score | "g" position member longitude latitude
--       "H" position field | "h" position field value   (HSET; the value of "H" is the new key)
--     e, 0 or 1; if 1, a channel and a message to PUBLISH once the write is applied (model change
--       events: sent from here so a subscriber never hears of a write that did not happen)
--   then, optionally (absent means none): c, the number of change-feed entries; then c groups:
--     w (the write recorded), position of the model's stream, its MAXLEN, the model's name.
--     Once every write is applied, each recorded write that changed something is appended to its
--     stream (docs/storage.md, "Change feed"): a create, an update (a save that wrote fields), or a
--     delete of a hash that existed. So a write that fails a check appends nothing.
--   then, optionally (absent means none; the change-feed count precedes it, 0 if none): x, the
--     number of index-hash checks; then x groups: w, position of a `$Index` hash, field, i. Write w
--     adds that entry, and the field must not name another instance whose hash exists (Popoto
--     1.x's unique composite index, read by its uniqueness check); else {"UNIQUE", w, i, holder}.
--   then, optionally: the literal "fp" (so it is found whether or not the sections above were
--     sent), f, the number of schema fingerprints; then f groups: position of the model's
--     `$Schema` hash, position of its class set, n, then n index ids. While the class set is empty
--     (the model holds no instance, so every index it declares is complete) the fingerprint (a
--     `$Schema` hash with the field "~v") is recorded anew once every write is applied: each id with
--     the value "built", and "~v" "1" (docs/storage.md, "Schema fingerprint"), replacing one an
--     earlier definition left. One absent over stored instances is left absent (unknown: they may
--     predate an index; `popoto migrate` records it).
--
-- Returns:
--   {"OK", existed1, …, dead, fp}  per write: whether its stored hash existed (1) or not (0); then the
--                                  expired instances found holding a unique value (to clean up);
--                                  then per fingerprint group: 1 it lists every id sent as built,
--                                  0 it lacks one, -1 there is none
--   {"STALE", w, source, v1 … vn}  write w's stored state differs; source "H" (hash), "S" (shadow) or "" (none)
--   {"UNIQUE", w, i, holder}       write w's i-th unique set (or index-hash check) holds another instance key
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
local function takeKey() return KEYS[tonumber(take())] end

local guards = {}
for g = 1, takeNumber() do
  local guard = { key = takeKey(), members = {} }
  local c = takeNumber()
  guard.absent = c < 0
  for j = 1, math.abs(c) do guard.members[j] = take() end
  guards[g] = guard
end

local OPS = { s = "save", u = "save", d = "delete", p = "purge" }
local writes = {}
for w = 1, takeNumber() do
  local code = take()
  local op = { kind = OPS[code], update = code == "u" }
  op.oldKey = takeKey()
  local newPos = takeNumber()
  if op.kind == "save" then op.newKey = newPos > 0 and KEYS[newPos] or op.oldKey end
  op.ttl = takeNumber()
  if op.ttl ~= 0 then
    op.oldShadow = takeKey()
    local newShadowPos = takeNumber()
    op.newShadow = newShadowPos > 0 and KEYS[newShadowPos] or nil
  end
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
  for j = 1, takeNumber() do op.unique[j] = takeKey() end
  op.remove = {}
  for j = 1, takeNumber() do
    local kind = take()
    local key = takeKey()
    if kind == "S" then op.remove[j] = { "s", key, op.oldKey }
    elseif kind == "Z" or kind == "G" then op.remove[j] = { "z", key, op.oldKey }
    elseif kind == "H" then op.remove[j] = { "h", key, op.oldKey, take() }
    elseif kind == "h" then
      local field = take()
      op.remove[j] = { "h", key, take(), field }
    else op.remove[j] = { kind, key, take() } end
  end
  op.add = {}
  for j = 1, takeNumber() do
    local kind = take()
    local key = takeKey()
    local entry
    if kind == "H" then
      entry = { "h", key, op.newKey or op.oldKey, take() }
    elseif kind == "h" then
      local field = take()
      entry = { "h", key, take(), field }
    elseif kind == "S" or kind == "Z" or kind == "G" then
      entry = { string.lower(kind), key, op.newKey or op.oldKey }
    else
      entry = { kind, key, take() }
    end
    if entry[1] == "z" then entry[4] = take() elseif entry[1] == "g" then entry[4] = take(); entry[5] = take() end
    op.add[j] = entry
  end
  if takeNumber() == 1 then op.event = { take(), take() } end
  writes[w] = op
end
local changes = {}
if ARGV[i] and ARGV[i] ~= "fp" then
  for c = 1, takeNumber() do changes[c] = { op = writes[takeNumber()], key = takeKey(), maxLen = take(), model = take() } end
end
local hashChecks = {}
if ARGV[i] and ARGV[i] ~= "fp" then
  for c = 1, takeNumber() do hashChecks[c] = { w = takeNumber(), key = takeKey(), field = take(), i = takeNumber() } end
end
local fingerprints = {}
if ARGV[i] == "fp" then
  take()
  for f = 1, takeNumber() do
    local group = { key = takeKey(), classSet = takeKey(), ids = {} }
    for j = 1, takeNumber() do group.ids[j] = take() end
    fingerprints[f] = group
  end
end

-- Wrong-typed keys. A command on a key of another type (another client's) fails, and Lua does not
-- roll back what the script already wrote, so no such failure may come after the first write.
-- The rule, cheapest first:
--   * a key a phase-1 read answered (HMGET of the stored state, SMEMBERS of a unique set, SCARD
--     of a guard, EXISTS = 0) is proven: the read ran through pcall and a wrong type ended the
--     script with {"WRONGTYPE", key} before anything was written;
--   * the first write (the probe below) runs through pcall, so its own failure writes nothing;
--   * SREM / ZREM run through pcall and their failure is ignored: a key of another type holds
--     none of popoto's entries, so there is nothing to remove from it;
--   * every other key the write changes (the sets and sorted sets it adds to, a hash written
--     after the first write, a hash it deletes or renames unread) is asked its TYPE in phase 1.
local proven = {}
--#include wrong-type-reply
local function read(command, key, ...)
  local reply = redis.pcall(command, key, ...)
  local bad = wrongTypeReply(reply, key)
  if bad then return nil, bad end
  proven[key] = true
  return reply
end

-- Phase 1: every check, before anything is written.

for g, guard in ipairs(guards) do
  if guard.absent then
    for _, member in ipairs(guard.members) do
      local held, bad = read("SISMEMBER", guard.key, member)
      if bad then return bad end
      if held == 1 then return { "GUARD", g, member } end
    end
  else
    local count, bad = read("SCARD", guard.key)
    if bad then return bad end
    if count ~= #guard.members then
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
end

local existed = {}
for w, op in ipairs(writes) do
  -- The stored state: the hash if it exists, else (ttl models) the shadow left behind by expiry.
  local source, stored, exists = "", nil, false
  if #op.fields > 0 then
    local bad
    stored, bad = read("HMGET", op.oldKey, unpack(op.fields))
    if bad then return bad end
    for j = 1, #op.fields do
      if stored[j] then exists = true break end
    end
  end
  if not exists then
    exists = redis.call("EXISTS", op.oldKey) == 1
    if not exists then proven[op.oldKey] = true end
  end
  existed[w] = exists and 1 or 0
  if op.kind == "purge" and exists then return { "LIVE", w } end
  if exists then
    source = "H"
  elseif op.oldShadow and redis.call("EXISTS", op.oldShadow) == 1 then
    source = "S"
    if #op.fields > 0 then
      local bad
      stored, bad = read("HMGET", op.oldShadow, unpack(op.fields))
      if bad then return bad end
    end
  else
    stored = nil
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
  op.exists = exists
  if op.kind == "save" and op.newKey ~= op.oldKey then
    -- A key move must not merge two instances silently.
    if redis.call("EXISTS", op.newKey) == 1 then return { "CONFLICT", w } end
    proven[op.newKey] = true
    if op.newShadow then
      if redis.call("EXISTS", op.newShadow) == 1 then return { "PURGE", w, op.newKey } end
      proven[op.newShadow] = true
    end
  end
  for j, set in ipairs(op.unique) do
    local members, bad = read("SMEMBERS", set)
    if bad then return bad end
    for _, member in ipairs(members) do
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

-- Popoto 1.x's unique composite indexes: an entry added must not take another live instance's
-- combination (the holder's key is in the model's own slot, as the hash is).
for _, check in ipairs(hashChecks) do
  local op = writes[check.w]
  local holder, bad = read("HGET", check.key, check.field)
  if bad then return bad end
  if holder and holder ~= op.oldKey and holder ~= op.newKey and redis.call("EXISTS", holder) == 1 then
    return { "UNIQUE", check.w, check.i, holder }
  end
end

-- The probe: when Redis is out of memory, only a script's first write is refused (later ones run,
-- so the script cannot stop half-way), so the first write is one that may grow memory: the first
-- save's HSET (on the old key when the key moves: RENAME then carries the fields over), else the
-- first entry added. It also runs through pcall, which proves its key's type.
local probe
for _, op in ipairs(writes) do
  if op.kind == "save" and #op.hash > 0 then
    op.hashKey = (op.newKey ~= op.oldKey and op.exists) and op.oldKey or op.newKey
    probe = { op = op, key = op.hashKey }
    break
  end
end
if not probe then
  for _, op in ipairs(writes) do
    if op.add[1] then
      probe = { entry = op.add[1], key = op.add[1][2] }
      break
    end
  end
end

-- The schema fingerprints, read before the writes below add to the class sets: its version and
-- the writer's index ids in one HMGET (a wrong-typed key answers an error table: counted as
-- present, nothing recorded, the state reported is 0), and whether the model is empty. An empty
-- model has every index it declares complete, whatever an earlier definition recorded (it was
-- emptied and is written again): the fingerprint is then recorded anew, this writer's ids. The
-- SCARD also proves the class set a set, so the type checks below need not ask.
for _, group in ipairs(fingerprints) do
  local values = redis.pcall("HMGET", group.key, "~v", unpack(group.ids))
  local wrong = type(values) ~= "table" or values.err ~= nil
  group.present = (wrong or values[1]) and 1 or 0
  group.values = not wrong and values or nil
  local count = redis.pcall("SCARD", group.classSet)
  if type(count) == "number" then
    proven[group.classSet] = true
    group.record = not wrong and count == 0
  end
end

local TYPES = { s = "set", z = "zset", g = "zset", h = "hash" }
local function checkType(key, want)
  if proven[key] or (probe and probe.key == key) then return nil end
  local t = redis.call("TYPE", key)["ok"]
  if t ~= "none" and t ~= want then return { "WRONGTYPE", key } end
  proven[key] = true
  return nil
end
for _, op in ipairs(writes) do
  local bad
  if op.kind == "save" then
    if op.newKey ~= op.oldKey and op.exists then bad = bad or checkType(op.oldKey, "hash") end
    if #op.hash > 0 then bad = bad or checkType(op.hashKey or op.newKey, "hash") end
    if op.newShadow then bad = bad or checkType(op.newShadow, "hash") end
  else
    if op.exists then bad = bad or checkType(op.oldKey, "hash") end
  end
  if op.oldShadow and not bad then bad = checkType(op.oldShadow, "hash") end
  for _, entry in ipairs(op.add) do
    if bad then break end
    bad = checkType(entry[2], TYPES[entry[1]])
  end
  if bad then return bad end
end
for _, change in ipairs(changes) do
  local bad = checkType(change.key, "stream")
  if bad then return bad end
end

-- Phase 2: every check passed; only writes from here on.

local function add(entry)
  if entry[1] == "s" then
    return redis.call("SADD", entry[2], entry[3])
  elseif entry[1] == "h" then
    return redis.call("HSET", entry[2], entry[4], entry[3])
  elseif entry[1] == "z" then
    return redis.call("ZADD", entry[2], entry[4], entry[3])
  end
  return redis.call("GEOADD", entry[2], entry[4], entry[5], entry[3])
end
if probe then
  local reply
  if probe.op then
    reply = redis.pcall("HSET", probe.key, unpack(probe.op.hash))
    probe.op.hashDone = true
  else
    local e = probe.entry
    if e[1] == "s" then reply = redis.pcall("SADD", e[2], e[3])
    elseif e[1] == "h" then reply = redis.pcall("HSET", e[2], e[4], e[3])
    elseif e[1] == "z" then reply = redis.pcall("ZADD", e[2], e[4], e[3])
    else reply = redis.pcall("GEOADD", e[2], e[4], e[5], e[3]) end
  end
  local bad = wrongTypeReply(reply, probe.key)
  if bad then return bad end
end

for _, op in ipairs(writes) do
  if op.kind ~= "save" then
    redis.call("DEL", op.oldKey)
    if op.oldShadow then redis.call("DEL", op.oldShadow) end
  elseif op.newKey ~= op.oldKey then
    -- A key move carries the whole hash (and its ttl) over, so a write of some fields keeps the
    -- others; the fields written replace theirs.
    -- (With no old hash there is nothing to carry: the new key was checked to be free.)
    if op.exists then redis.call("RENAME", op.oldKey, op.newKey) end
    if op.oldShadow and redis.call("EXISTS", op.oldShadow) == 1 then
      if op.newShadow then redis.call("RENAME", op.oldShadow, op.newShadow) else redis.call("DEL", op.oldShadow) end
    end
  end
  for _, entry in ipairs(op.remove) do
    if entry[1] == "h" then
      -- Only this instance's entry goes (a Python writer may have taken the field since).
      if redis.pcall("HGET", entry[2], entry[4]) == entry[3] then redis.call("HDEL", entry[2], entry[4]) end
    else
      redis.pcall(entry[1] == "s" and "SREM" or "ZREM", entry[2], entry[3])
    end
  end
  -- The value now belongs to this instance: drop leftovers of expired holders from its set.
  for _, dead in ipairs(op.dead or {}) do redis.call("SREM", dead[1], dead[2]) end
  for _, entry in ipairs(op.add) do add(entry) end
  if op.kind == "save" then
    if #op.hash > 0 and not op.hashDone then redis.call("HSET", op.newKey, unpack(op.hash)) end
    -- A save with nothing changed still refreshes the ttl (the hash exists: it was checked).
    if op.ttl > 0 then redis.call("EXPIRE", op.newKey, op.ttl) end
    if op.newShadow and #op.hash > 0 then
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

-- The change feed: Popoto 1.x's entry fields (model, pk, op, ts, changed_fields), then popoto's
-- previous_pk (a key move) and each written field's stored bytes under "v:<field>".
if #changes > 0 then
  local now = redis.call("TIME")
  local ts = now[1] .. "." .. string.format("%06d", tonumber(now[2]))
  for _, change in ipairs(changes) do
    local op = change.op
    local kind
    if op.kind == "delete" then
      if op.exists then kind = "delete" end
    elseif op.kind == "save" and #op.hash > 0 then
      kind = op.exists and "update" or "create"
    end
    if kind then
      local pk = op.newKey or op.oldKey
      local names = {}
      for j = 1, #op.hash, 2 do names[#names + 1] = op.hash[j] end
      local entry = { "model", change.model, "pk", pk, "op", kind, "ts", ts, "changed_fields", table.concat(names, ",") }
      if op.exists and pk ~= op.oldKey then
        entry[#entry + 1] = "previous_pk"
        entry[#entry + 1] = op.oldKey
      end
      for j = 1, #op.hash, 2 do
        entry[#entry + 1] = "v:" .. op.hash[j]
        entry[#entry + 1] = op.hash[j + 1]
      end
      redis.call("XADD", change.key, "MAXLEN", "~", change.maxLen, "*", unpack(entry))
    end
  end
end

-- The schema fingerprints: recorded for a model that held no instance; reported either way, so the
-- caller knows without another round trip whether its model's indexes may be queried.
local states = {}
for f, group in ipairs(fingerprints) do
  if group.record then
    local fields = { "~v", "1" }
    for _, id in ipairs(group.ids) do
      fields[#fields + 1] = id
      fields[#fields + 1] = "built"
    end
    -- Anew: ids of an earlier definition (and a resume cursor of `migrate`) are not carried over.
    if group.present == 1 then redis.call("DEL", group.key) end
    redis.pcall("HSET", group.key, unpack(fields))
    states[f] = 1
  elseif group.present == 0 then
    states[f] = -1
  elseif not group.values then
    states[f] = 0
  else
    states[f] = 1
    for j = 1, #group.ids do
      if group.values[j + 1] ~= "built" then states[f] = 0 break end
    end
  end
end

local reply = { "OK" }
local dead = {}
for w = 1, #writes do
  reply[w + 1] = existed[w]
  for _, d in ipairs(writes[w].dead or {}) do dead[#dead + 1] = { w, d[2] } end
end
reply[#writes + 2] = dead
reply[#writes + 3] = states
return reply
