-- query.lua: evaluates a filter plan on one model's indexes and returns the matching instances.
--
-- The plan is built in TypeScript (src/query/plan.ts). Set algebra runs here so a query costs one
-- round trip, and intersections start from the smallest input and test membership in the others,
-- so the work follows the size of the answer rather than the size of the model.
--
-- Over 300 lines: Redis runs one script source per call (no modules), so every node kind, the
-- ordering, paging, budget and row loading live in this one file.
--
-- KEYS: every index key the plan reads (class set, $KeyF/$UniqueKeyF/$RelationshipF sets, sorted
--       sets, lex indexes) and any literal instance keys; the plan names them by 1-based position.
-- ARGV[1]: the plan as JSON, all keys and strings given as positions:
--   node  = {"t":"set","k":K} | {"t":"zr","k":K,"min":A,"max":A} | {"t":"lex","k":K,"min":A,"max":A}
--         | {"t":"lexs","k":K,"s":A} (substring scan of a lex index) | {"t":"keys","k":[K…]}
--         | {"t":"part","k":K,"p":int,"v":A} (members of set K whose p-th key part after the model is A)
--           lex and lexs nodes also carry "scan": {"c":K class set,"z":K None set,"p":int key part or 0,
--           "f":A field name,"m":"prefix"|"suffix"|"contains","n":A needle}, the fallback when the
--           lex index is incomplete
--         | {"t":"scan","scan":{…}} (that comparison alone: a string lookup on a field without lex indexes)
--         | {"t":"geo","k":K,"lon":A,"lat":A,"r":A,"u":A} or with "m":A (centre on that member)
--         | {"t":"nulls","k":K None set,"c":K class set,"f":A field} (instances whose relationship
--           is null: the None set, plus instances whose stored value is nil, which Popoto writes
--           without adding them to the None set)
--         | {"t":"and","c":[node…]} | {"t":"or","c":[node…]} | {"t":"diff","a":node,"b":[node…]}
--         | {"t":"none"}
--   plan  = {"n":node, "mode":"load"|"keys"|"count"|"fields"|"stats"|"countBy", "f":[A…] (fields for "fields"),
--            "order": {"k":K,"desc":bool} (by score in a sorted set) | {"key":true,"desc":bool}
--                     | {"geo":true} (nearest first, by the geo node's distances) | absent,
--            "offset":int, "limit":int (-1 none), "exists":bool (drop members whose hash is gone),
--            "budget":int (most work one call may do: members listed, tested or visited, 5 per row
--                     loaded; 0 or absent: no limit),
--            "from":int (continue an ordered walk at this position of the ordered range),
--            "after":{"s":A score,"k":A instance key} (a keyset cursor, page(): only the matches
--                    after that score and key in the order; "s" absent in key order),
--            "z":K (stats: the sorted set whose scores are summed), "hf":A (stats: the field whose
--                  stored bytes are returned for the min and max keys),
--            "by":{"p":int key part} | {"f":A field} (countBy: group by a key part, or by the
--                  stored bytes of a hash field),
--            "rt":K, "rm":A (a sharded bucket's `$Retired` set and the reader's bucket count)}
-- ARGV[2…]: strings the plan names by position (score bounds, lex bounds, needles, field names).
--
-- Reply: {"RETIRED"} when "rt" names a retired bucket (nothing read). {"STEP"} when answering would cost more than the budget: the caller then runs the query
-- in bounded steps (src/query/stepwise.ts), so no one script blocks Redis for long.
-- Count mode {n, gone}; stats {n, gone, sum, minKey, minScore, minBytes, maxKey, maxScore,
-- maxBytes} (numbers as "%.17g" strings, false for none); countBy {n, gone, value, count, …} where
-- value is an instance key holding that key part ("p"), or the field's stored bytes ("" for no
-- value, "f"); otherwise {total, gone, dists, resume, key1, data1, key2, data2, …} where
-- resume is 0, or {position, skipped} when an ordered walk or range read spent its budget before
-- filling the page
-- (call again with "from" = position, offset lowered by skipped and limit by the rows returned);
-- dists is a flat {key, distance, …} list for the matches a geo node measured, and data is
-- the flat HGETALL reply ("load"), the HMGET values ("fields"), or absent ("keys"), or the string
-- "WRONGTYPE" when the key holds another Redis type than a hash. `gone` lists
-- matches dropped because their hash no longer exists (with "exists"), and a loaded hash that is
-- gone comes back as an empty array, so the caller can clean the leftovers of both.
--
-- Instance keys read by HGETALL/EXISTS are members of the model's own index sets: on a cluster
-- they share the model's hash tag, and so its slot.

local plan = cjson.decode(ARGV[1])

-- A bucket of a sharded model read by a process that may hold an old layout (docs/storage.md §7a
-- "Resharding"): "rt" names the bucket's `$Retired` set and "rm" the reader's bucket count. Once a
-- reshard has started on the bucket, instances may have left it, so this read would miss them:
-- the caller reads the layout again and reads anew. Checked in the same script as the read, so a
-- read that passes saw the bucket before anything left it.
if plan.rt and redis.call("SISMEMBER", KEYS[plan.rt], ARGV[plan.rm]) == 1 then return { "RETIRED" } end

local function arg(i) return ARGV[i] end

-- Lex members are "<value>\0\0<instance key>": the key follows the first "\0\0".
local function lexKey(member)
  local at = string.find(member, "\0\0", 1, true)
  return string.sub(member, at + 2)
end

local card, members, has, valueMatches

local function toLookupSet(list)
  local lookup = {}
  for _, m in ipairs(list) do lookup[m] = true end
  return lookup
end

-- Whether a score lies within a zr node's range ("(" marks an open bound).
local function inRange(node, score)
  local min, max = arg(node.min), arg(node.max)
  if min ~= "-inf" then
    if string.sub(min, 1, 1) == "(" then
      if not (score > tonumber(string.sub(min, 2))) then return false end
    elseif not (score >= tonumber(min)) then return false end
  end
  if max ~= "+inf" then
    if string.sub(max, 1, 1) == "(" then
      if not (score < tonumber(string.sub(max, 2))) then return false end
    elseif not (score <= tonumber(max)) then return false end
  end
  return true
end


-- The p-th part of an instance key (0 is the model). Escaped parts never hold a raw ":", and may be
-- empty, so the separators are counted rather than the pieces matched.
local function keyPart(key, p)
  local start, position = 1, 0
  while true do
    local stop = string.find(key, ":", start, true)
    if position == p then return string.sub(key, start, stop and stop - 1 or #key) end
    if not stop then return nil end
    start, position = stop + 1, position + 1
  end
end

-- Popoto's unescaping of a key part (src/keys/escape.ts): "/" before an escapable character gives
-- that character, "{&#58;}" gives ":", anything else stays.
local ESCAPABLE = { ["/"] = true, ["'"] = true, ["?"] = true, ["*"] = true, ["^"] = true, ["["] = true, ["]"] = true, ["-"] = true, ["{"] = true }
local function unescape(part)
  local out, i = {}, 1
  while i <= #part do
    local c, n = string.sub(part, i, i), string.sub(part, i + 1, i + 1)
    if c == "/" and ESCAPABLE[n] then
      out[#out + 1] = n
      i = i + 2
    elseif string.sub(part, i, i + 6) == "{&#58;}" then
      out[#out + 1] = ":"
      i = i + 7
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- A lex index is complete when it holds one member per instance with a non-null value. Instances
-- written by a client that does not keep it (Python Popoto) make the counts differ.
local function lexComplete(node)
  local s = node.scan
  return redis.call("ZCARD", KEYS[node.k]) == redis.call("SCARD", KEYS[s.c]) - redis.call("SCARD", KEYS[s.z])
end

-- The fallback when the lex index is incomplete: read each instance's value (from its key, or
-- its hash for a field outside the key) and compare. Costs the size of the model, not the answer.
-- Whether one instance's value (from its key, or its hash for a field outside the key) matches a
-- string lookup.
valueMatches = function(s, key)
  local needle, value = arg(s.n), nil
  if s.p > 0 then
    local part = keyPart(key, s.p)
    value = part and unescape(part)
  else
    local raw = redis.call("HGET", key, arg(s.f))
    if raw then
      local ok, decoded = pcall(cmsgpack.unpack, raw)
      if ok and type(decoded) == "string" then value = decoded end
    end
  end
  if not value or value == "None" then return false end
  if s.m == "prefix" then return string.sub(value, 1, #needle) == needle end
  if s.m == "suffix" then return #needle == 0 or string.sub(value, -#needle) == needle end
  return string.find(value, needle, 1, true) ~= nil
end

local function scanValues(node)
  local out = {}
  for _, key in ipairs(redis.call("SMEMBERS", KEYS[node.scan.c])) do
    if valueMatches(node.scan, key) then out[#out + 1] = key end
  end
  return out
end

-- Whether an instance's relationship field holds null: msgpack nil (0xc0), an empty list (0x90,
-- a many-relationship) or no such field in an existing hash. Python Popoto writes nil for a null
-- relationship but never adds the instance to the None set.
local function nullField(node, member)
  if redis.call("SISMEMBER", KEYS[node.k], member) == 1 then return true end
  local raw = redis.call("HGET", member, arg(node.f))
  if not raw then return redis.call("EXISTS", member) == 1 end
  return raw == "\192" or raw == "\144"
end

-- Every instance whose relationship is null: the None set, then the rest of the class set read one
-- HGET each (cost: the size of the model; an intersection with a smaller input tests members instead).
local function nullMembers(node)
  local out = redis.call("SMEMBERS", KEYS[node.k])
  local known = toLookupSet(out)
  for _, key in ipairs(redis.call("SMEMBERS", KEYS[node.c])) do
    if not known[key] and nullField(node, key) then out[#out + 1] = key end
  end
  return out
end

-- Distances measured by geo nodes, by member, for nearest-first ordering and the reply.
local distances = {}

card = function(node)
  local t = node.t
  if t == "set" then return redis.call("SCARD", KEYS[node.k]) end
  if t == "zr" then return redis.call("ZCOUNT", KEYS[node.k], arg(node.min), arg(node.max)) end
  if t == "lex" then return redis.call("ZLEXCOUNT", KEYS[node.k], arg(node.min), arg(node.max)) end
  if t == "lexs" then return redis.call("ZCARD", KEYS[node.k]) end
  if t == "scan" then return redis.call("SCARD", KEYS[node.scan.c]) end
  if t == "keys" then return #node.k end
  if t == "part" then return redis.call("SCARD", KEYS[node.k]) end
  if t == "nulls" then return redis.call("SCARD", KEYS[node.c]) end
  if t == "geo" then return redis.call("ZCARD", KEYS[node.k]) end
  if t == "none" then return 0 end
  if t == "or" then
    local total = 0
    for _, child in ipairs(node.c) do total = total + card(child) end
    return total
  end
  if t == "and" then
    local least = nil
    for _, child in ipairs(node.c) do
      local c = card(child)
      if least == nil or c < least then least = c end
    end
    return least or 0
  end
  if t == "diff" then return card(node.a) end
  return 0
end

-- Membership test without listing the node; nil when the node cannot answer it cheaply.
has = function(node, member)
  local t = node.t
  if t == "set" then return redis.call("SISMEMBER", KEYS[node.k], member) == 1 end
  if t == "zr" then
    local score = redis.call("ZSCORE", KEYS[node.k], member)
    if not score then return false end
    return inRange(node, tonumber(score))
  end
  if t == "keys" then
    for _, k in ipairs(node.k) do if KEYS[k] == member then return true end end
    return false
  end
  if t == "none" then return false end
  if t == "nulls" then return nullField(node, member) end
  if t == "part" then
    return keyPart(member, node.p) == arg(node.v) and redis.call("SISMEMBER", KEYS[node.k], member) == 1
  end
  if t == "lex" or t == "lexs" then
    -- Read the instance's own value (as the incomplete-index fallback does): one read per member.
    return redis.call("SISMEMBER", KEYS[node.scan.c], member) == 1 and valueMatches(node.scan, member)
  end
  if t == "or" then
    for _, child in ipairs(node.c) do
      local r = has(child, member)
      if r == nil then return nil end
      if r then return true end
    end
    return false
  end
  if t == "and" then
    for _, child in ipairs(node.c) do
      local r = has(child, member)
      if r == nil then return nil end
      if not r then return false end
    end
    return true
  end
  if t == "diff" then
    local r = has(node.a, member)
    if r == nil then return nil end
    if not r then return false end
    for _, child in ipairs(node.b) do
      local s = has(child, member)
      if s == nil then return nil end
      if s then return false end
    end
    return true
  end
  return nil
end

local function toLookup(list)
  local lookup = {}
  for _, m in ipairs(list) do lookup[m] = true end
  return lookup
end

-- Work done so far: members listed, tested or visited, plus one per command. The budget bounds it.
local work = 0

-- Members tested with one SMISMEMBER / ZMSCORE call rather than one call each: one command per
-- batch, so a script's time follows the members it touches, not a command per member.
local BATCH = 500

-- Work of loading one row (HGETALL or HMGET from a script: a command and its reply), in members.
local ROW = 5
local loads = plan.mode == "load" or plan.mode == "fields"

-- The members of `list` that `node` holds, as a lookup table. Sets and ranges are tested in
-- batches; an intersection tests only what its earlier inputs kept, a union only what its earlier
-- inputs did not take; other nodes test one member at a time (has), or are listed when they cannot.
local function inside(node, list)
  local t, found = node.t, {}
  if #list == 0 or t == "none" then return found end
  if t == "set" or t == "zr" then
    for start = 1, #list, BATCH do
      local slice = { unpack(list, start, math.min(start + BATCH - 1, #list)) }
      work = work + #slice + 1
      if t == "set" then
        local r = redis.call("SMISMEMBER", KEYS[node.k], unpack(slice))
        for i, m in ipairs(slice) do if r[i] == 1 then found[m] = true end end
      else
        local r = redis.call("ZMSCORE", KEYS[node.k], unpack(slice))
        for i, m in ipairs(slice) do
          if r[i] and inRange(node, tonumber(r[i])) then found[m] = true end
        end
      end
    end
    return found
  end
  if t == "keys" then
    -- A literal key list: one lookup table, not a scan of the list per member.
    local named = {}
    for _, k in ipairs(node.k) do named[KEYS[k]] = true end
    work = work + #node.k + #list
    for _, m in ipairs(list) do if named[m] then found[m] = true end end
    return found
  end
  if t == "and" then
    local kept = list
    for _, child in ipairs(node.c) do
      local held, next = inside(child, kept), {}
      for _, m in ipairs(kept) do if held[m] then next[#next + 1] = m end end
      kept = next
      if #kept == 0 then break end
    end
    return toLookup(kept)
  end
  if t == "or" then
    local rest = list
    for _, child in ipairs(node.c) do
      local held, next = inside(child, rest), {}
      for _, m in ipairs(rest) do
        if held[m] then found[m] = true else next[#next + 1] = m end
      end
      rest = next
      if #rest == 0 then break end
    end
    return found
  end
  if t == "diff" then
    local kept = {}
    local held = inside(node.a, list)
    for _, m in ipairs(list) do if held[m] then kept[#kept + 1] = m end end
    for _, child in ipairs(node.b) do
      if #kept == 0 then break end
      local out, next = inside(child, kept), {}
      for _, m in ipairs(kept) do if not out[m] then next[#next + 1] = m end end
      kept = next
    end
    return toLookup(kept)
  end
  local lookup = nil
  for _, m in ipairs(list) do
    work = work + 2
    local r = has(node, m)
    if r == nil then
      lookup = lookup or toLookup(members(node))
      r = lookup[m] == true
    end
    if r then found[m] = true end
  end
  return found
end

-- Keeps the members of `list` that are in `node` (keep true) or not in it (keep false), in order.
local function keepIn(list, node, keep)
  local held, out = inside(node, list), {}
  for _, m in ipairs(list) do
    if (held[m] == true) == keep then out[#out + 1] = m end
  end
  return out
end

members = function(node)
  local t = node.t
  if t == "set" then return redis.call("SMEMBERS", KEYS[node.k]) end
  if t == "zr" then return redis.call("ZRANGEBYSCORE", KEYS[node.k], arg(node.min), arg(node.max)) end
  if t == "scan" then return scanValues(node) end
  if (t == "lex" or t == "lexs") and not lexComplete(node) then return scanValues(node) end
  if t == "lex" or t == "lexs" then
    local raw
    if t == "lex" then
      raw = redis.call("ZRANGEBYLEX", KEYS[node.k], arg(node.min), arg(node.max))
    else
      raw = redis.call("ZRANGE", KEYS[node.k], 0, -1)
    end
    local out, seen, needle = {}, {}, t == "lexs" and arg(node.s) or nil
    for _, member in ipairs(raw) do
      local ok = true
      if needle then
        local at = string.find(member, "\0\0", 1, true)
        local value = string.gsub(string.sub(member, 1, at - 1), "%z\1", "\0")
        ok = string.find(value, needle, 1, true) ~= nil
      end
      if ok then
        local key = lexKey(member)
        if not seen[key] then
          seen[key] = true
          out[#out + 1] = key
        end
      end
    end
    return out
  end
  if t == "keys" then
    local out = {}
    for _, k in ipairs(node.k) do
      if redis.call("EXISTS", KEYS[k]) == 1 then out[#out + 1] = KEYS[k] end
    end
    return out
  end
  if t == "nulls" then return nullMembers(node) end
  if t == "part" then
    local out, want = {}, arg(node.v)
    for _, key in ipairs(redis.call("SMEMBERS", KEYS[node.k])) do
      if keyPart(key, node.p) == want then out[#out + 1] = key end
    end
    return out
  end
  if t == "geo" then
    local args
    if node.m then
      -- GEOSEARCH FROMMEMBER fails on a member that is not in the set: that centre matches nothing.
      if not redis.call("ZSCORE", KEYS[node.k], arg(node.m)) then return {} end
      args = { KEYS[node.k], "FROMMEMBER", arg(node.m) }
    else
      args = { KEYS[node.k], "FROMLONLAT", arg(node.lon), arg(node.lat) }
    end
    for _, a in ipairs({ "BYRADIUS", arg(node.r), arg(node.u), "ASC", "WITHDIST" }) do args[#args + 1] = a end
    local found = redis.call("GEOSEARCH", unpack(args))
    local out = {}
    for i, pair in ipairs(found) do
      out[i] = pair[1]
      local d = tonumber(pair[2])
      if distances[pair[1]] == nil or d < distances[pair[1]] then distances[pair[1]] = d end
    end
    return out
  end
  if t == "none" then return {} end
  if t == "or" then
    -- A union of plain sets (an `__in` on a set index) is one SUNION rather than a call per set.
    local sets = {}
    for _, child in ipairs(node.c) do
      if child.t == "set" and #sets < 1000 then sets[#sets + 1] = KEYS[child.k] else sets = nil break end
    end
    if sets and #sets > 0 then return redis.call("SUNION", unpack(sets)) end
    local out, seen = {}, {}
    for _, child in ipairs(node.c) do
      for _, m in ipairs(members(child)) do
        if not seen[m] then
          seen[m] = true
          out[#out + 1] = m
        end
      end
    end
    return out
  end
  if t == "and" then
    -- List the smallest input, then test each member against the others.
    local children, sizes = {}, {}
    for i, child in ipairs(node.c) do
      children[i] = child
      sizes[child] = card(child)
    end
    table.sort(children, function(x, y) return sizes[x] < sizes[y] end)
    local out = members(children[1])
    for i = 2, #children do
      if #out == 0 then break end
      out = keepIn(out, children[i], true)
    end
    return out
  end
  if t == "diff" then
    local out = members(node.a)
    for _, child in ipairs(node.b) do
      if #out == 0 then break end
      out = keepIn(out, child, false)
    end
    return out
  end
  return {}
end

local order, offset, limit = plan.order, plan.offset or 0, plan.limit or -1
local root, mode = plan.n, plan.mode
local budget = plan.budget or 0
local keys
local gone = {}
local resume = 0

-- What listing a node costs, in members read or tested: the size of the input an intersection is
-- driven by times the inputs it is tested against, the whole model for a substring or fallback scan.
local function cost(node)
  local t = node.t
  if (t == "lex" or t == "lexs") and (t == "lexs" or not lexComplete(node)) then
    return redis.call("SCARD", KEYS[node.scan.c])
  end
  if t == "part" then return redis.call("SCARD", KEYS[node.k]) end
  if t == "or" then
    local total = 0
    for _, child in ipairs(node.c) do total = total + cost(child) end
    return total
  end
  if t == "and" then
    local least = nil
    for _, child in ipairs(node.c) do
      local c = cost(child)
      if least == nil or c < least then least = c end
    end
    return (least or 0) * #node.c
  end
  if t == "diff" then return cost(node.a) * (1 + #node.b) end
  return card(node)
end

-- Index structures testing one member against a node reads.
local function leaves(node)
  if node.t == "and" or node.t == "or" then
    local n = 0
    for _, child in ipairs(node.c) do n = n + leaves(child) end
    return n
  end
  if node.t == "diff" then
    local n = leaves(node.a)
    for _, child in ipairs(node.b) do n = n + leaves(child) end
    return n
  end
  return 1
end

local STEP = { "STEP" }

if mode == "count" and not plan.exists then
  if root.t == "set" or root.t == "zr" or root.t == "none" then return { card(root), gone } end
  if budget > 0 and cost(root) > budget then return STEP end
  return { #members(root), gone }
end

-- Whether membership in a node can be tested without listing it (sets, ranges, key lists).
local function walkable(node)
  local t = node.t
  if t == "set" or t == "zr" or t == "keys" or t == "none" or t == "nulls" then return true end
  if t == "and" or t == "or" then
    for _, child in ipairs(node.c) do if not walkable(child) then return false end end
    return true
  end
  if t == "diff" then
    if not walkable(node.a) then return false end
    for _, child in ipairs(node.b) do if not walkable(child) then return false end end
    return true
  end
  return false
end

-- The part of the sorted set we order by that the filter allows: the range of a zr node on the
-- same sorted set in the filter (the whole set without one). Returns the position its first
-- member has in the walk's direction, and its size, so a walk starts at the range's bound rather
-- than at rank 0 (ZRANGE by rank is O(log n) to the start, ZRANGEBYSCORE … LIMIT would skip).
local function orderedRange(orderKey, desc)
  local range = nil
  if root.t == "zr" and KEYS[root.k] == orderKey then range = root end
  if root.t == "and" then
    for _, child in ipairs(root.c) do
      if not range and child.t == "zr" and KEYS[child.k] == orderKey then range = child end
    end
  end
  if not range then return 0, redis.call("ZCARD", orderKey) end
  local min, max = arg(range.min), arg(range.max)
  -- The complement of a bound: members strictly outside it on its side.
  local function outside(bound)
    if string.sub(bound, 1, 1) == "(" then return string.sub(bound, 2) end
    return "(" .. bound
  end
  local first = 0
  if desc then
    if max ~= "+inf" then first = redis.call("ZCOUNT", orderKey, outside(max), "+inf") end
  else
    if min ~= "-inf" then first = redis.call("ZCOUNT", orderKey, "-inf", outside(min)) end
  end
  return first, redis.call("ZCOUNT", orderKey, min, max)
end

-- Pages through the sorted set we order by, from the filter's range bound, and keeps members the
-- filter accepts, stopping once the page is full: the first page of a million matches costs about
-- what the first page of ten does. Chosen when the expected walk, (offset + limit) * |range| /
-- |matches|, is shorter than listing every match. Each page of the walk is tested against the
-- filter in batches (inside), not one command per member. Stops when its work reaches the budget
-- and reports where it stopped, so the caller continues in another call.
-- The position, in the walk's direction, of the first member after the cursor (score s, key k).
-- Redis orders members of one score by their bytes (reversed for ZREVRANGE), as the cursor does.
-- When the cursor's member still holds score s its rank is the answer (O(log n)); when it was
-- deleted or moved, the members before score s are counted and the cursor's place among those of
-- score s found by binary search over ranks: the cost never depends on how far the page is.
local function cursorPosition(orderKey, desc)
  local sText, k = arg(plan.after.s), arg(plan.after.k)
  local s = tonumber(sText)
  local here = redis.call("ZSCORE", orderKey, k)
  if here and tonumber(here) == s then
    if desc then return redis.call("ZREVRANK", orderKey, k) + 1 end
    return redis.call("ZRANK", orderKey, k) + 1
  end
  local before
  if desc then
    before = redis.call("ZCOUNT", orderKey, "(" .. sText, "+inf")
  else
    before = redis.call("ZCOUNT", orderKey, "-inf", "(" .. sText)
  end
  local lo, hi = 0, redis.call("ZCOUNT", orderKey, sText, sText)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local m
    if desc then
      m = redis.call("ZREVRANGE", orderKey, before + mid, before + mid)[1]
    else
      m = redis.call("ZRANGE", orderKey, before + mid, before + mid)[1]
    end
    if (desc and m >= k) or (not desc and m <= k) then lo = mid + 1 else hi = mid end
  end
  return before + lo
end

local function walk(orderKey, desc)
  local out, skipped = {}, 0
  local first, size = orderedRange(orderKey, desc)
  if plan.after then
    -- Start after the cursor when it lies inside the filter's range.
    local at = cursorPosition(orderKey, desc)
    if at > first then
      size = math.max(0, size - (at - first))
      first = at
    end
  end
  local start = plan.from or 0
  -- Each visited member is tested against every index the filter reads: a page of n members costs
  -- about n * (1 + indexes) work, so pages shrink as the budget runs out.
  local per = 1 + leaves(root)
  local chunk = math.max(64, 2 * (offset + limit))
  if chunk > BATCH then chunk = BATCH end
  while start < size and #out < limit do
    local n = math.min(chunk, size - start)
    if budget > 0 then
      local room = math.floor((budget - work) / per)
      if room < 1 then
        resume = { start, skipped }
        return out
      end
      n = math.min(n, room)
    end
    local page
    work = work + n + 1
    if desc then
      page = redis.call("ZREVRANGE", orderKey, first + start, first + start + n - 1)
    else
      page = redis.call("ZRANGE", orderKey, first + start, first + start + n - 1)
    end
    if #page == 0 then break end
    local held = inside(root, page)
    local used = #page
    for i, m in ipairs(page) do
      if held[m] then
        if plan.exists then work = work + 1 end
        if plan.exists and redis.call("EXISTS", m) == 0 then
          gone[#gone + 1] = m
        elseif skipped < offset then
          skipped = skipped + 1
        elseif budget > 0 and loads and #out > 0 and work + ROW > budget then
          -- No budget left to load this row: the next call starts at it.
          resume = { start + i - 1, skipped }
          return out
        else
          out[#out + 1] = m
          if loads then work = work + ROW end
          if #out == limit then
            used = i
            break
          end
        end
      end
    end
    start = start + used
  end
  return out
end

local function shouldWalk()
  if not (order and order.k and limit >= 0 and mode ~= "count" and walkable(root)) then return false end
  if plan.from then return true end
  local matches = card(root)
  local _, size = orderedRange(KEYS[order.k], order.desc)
  return (offset + limit) * size < matches * matches
end

-- A page without an order may come in any order: take the order of the filter's narrowest score
-- range, so the page can be read from that range's bound and stop once full (a walk), rather than
-- listing every match to keep a few.
local implicit = false
if not order and limit >= 0 and mode ~= "count" and mode ~= "stats" and mode ~= "countBy" then
  local range = nil
  if root.t == "zr" then range = root end
  if root.t == "and" then
    local least = nil
    for _, child in ipairs(root.c) do
      if child.t == "zr" then
        local c = card(child)
        if least == nil or c < least then range, least = child, c end
      end
    end
  end
  if range then
    order = { k = range.k, desc = false }
    implicit = true
  end
end

local function number(n) return string.format("%.17g", n) end

-- Sum, least and greatest score of the matches in the sorted set "z" (ZMSCORE in batches), and
-- the stored bytes of field "hf" of the least and greatest: aggregates without loading instances.
-- A match missing from the sorted set (no score) is left out of every figure, n included.
local function stats(list)
  local n, sum, minKey, minScore, maxKey, maxScore = 0, 0, false, 0, false, 0
  for start = 1, #list, BATCH do
    local slice = { unpack(list, start, math.min(start + BATCH - 1, #list)) }
    local found = redis.call("ZMSCORE", KEYS[plan.z], unpack(slice))
    for i, k in ipairs(slice) do
      if found[i] then
        local score = tonumber(found[i])
        n, sum = n + 1, sum + score
        if not minKey or score < minScore or (score == minScore and k < minKey) then minKey, minScore = k, score end
        if not maxKey or score > maxScore or (score == maxScore and k < maxKey) then maxKey, maxScore = k, score end
      end
    end
  end
  local function bytes(k)
    if not k or not plan.hf then return false end
    return redis.call("HGET", k, arg(plan.hf))
  end
  return { n, gone, number(sum), minKey, number(minScore), bytes(minKey), maxKey, number(maxScore), bytes(maxKey) }
end

-- How many matches hold each value of one field: by the key part at position "p" of the instance
-- key (key fields: no hash read), or by the stored bytes of hash field "f" (one HGET a match).
local function countBy(list)
  local counts, sample, order = {}, {}, {}
  for _, k in ipairs(list) do
    local group
    if plan.by.p then
      group = keyPart(k, plan.by.p) or ""
    else
      group = redis.call("HGET", k, arg(plan.by.f)) or ""
    end
    if not counts[group] then
      counts[group] = 0
      sample[group] = plan.by.p and k or group
      order[#order + 1] = group
    end
    counts[group] = counts[group] + 1
  end
  local reply = { #list, gone }
  for _, group in ipairs(order) do
    reply[#reply + 1] = sample[group]
    reply[#reply + 1] = counts[group]
  end
  return reply
end

if order and order.k and root.t == "zr" and KEYS[root.k] == KEYS[order.k] and not plan.exists and not plan.after then
  -- The filter is one range of the sorted set we order by: let Redis order and page it.
  local total = redis.call("ZCOUNT", KEYS[root.k], arg(root.min), arg(root.max))
  if mode == "count" then return { total, gone } end
  local count = limit >= 0 and limit or total
  local from = (plan.from or 0) + offset
  if budget > 0 then
    -- Read at most what the budget allows, and say where the next call continues.
    local room = math.max(1, math.floor(budget / (loads and ROW + 1 or 1)))
    if count > room and from + room < total then
      count = room
      resume = { from + room, offset }
    end
  end
  if order.desc then
    keys = redis.call("ZREVRANGEBYSCORE", KEYS[root.k], arg(root.max), arg(root.min), "LIMIT", from, count)
  else
    keys = redis.call("ZRANGEBYSCORE", KEYS[root.k], arg(root.min), arg(root.max), "LIMIT", from, count)
  end
  offset, limit = 0, -1
  keys.total = total
elseif shouldWalk() then
  keys = walk(KEYS[order.k], order.desc)
  offset, limit = 0, -1
  keys.total = #keys
else
  local listing = budget > 0 and cost(root) or 0
  if listing > budget then return STEP end
  keys = members(root)
  if loads and budget > 0 then
    -- Loading the page is work too: a page too large for this call is loaded in steps.
    local rows = #keys - offset
    if limit >= 0 and limit < rows then rows = limit end
    if listing + rows * ROW > budget then return STEP end
  end
  if plan.exists then
    local live = {}
    for _, k in ipairs(keys) do
      if redis.call("EXISTS", k) == 1 then live[#live + 1] = k else gone[#gone + 1] = k end
    end
    keys = live
  end
  if mode == "count" then return { #keys, gone } end
  if mode == "stats" then return stats(keys) end
  if mode == "countBy" then return countBy(keys) end
  local scores = {}
  if order and order.k and not implicit then
    for start = 1, #keys, BATCH do
      local slice = { unpack(keys, start, math.min(start + BATCH - 1, #keys)) }
      local found = redis.call("ZMSCORE", KEYS[order.k], unpack(slice))
      for i, k in ipairs(slice) do scores[k] = tonumber(found[i] or "0") end
    end
    if order.desc then
      table.sort(keys, function(x, y) if scores[x] == scores[y] then return x > y end return scores[x] > scores[y] end)
    else
      table.sort(keys, function(x, y) if scores[x] == scores[y] then return x < y end return scores[x] < scores[y] end)
    end
  elseif order and order.geo then
    table.sort(keys, function(x, y)
      local dx, dy = distances[x] or math.huge, distances[y] or math.huge
      if dx == dy then return x < y end
      return dx < dy
    end)
  elseif order and order.key then
    if order.desc then table.sort(keys, function(x, y) return x > y end) else table.sort(keys) end
  end
  if plan.after then
    -- A keyset cursor: keep the matches after (score, key) in the order just applied.
    local k = arg(plan.after.k)
    local s = plan.after.s and tonumber(arg(plan.after.s))
    local kept = {}
    for _, x in ipairs(keys) do
      local later
      if order and order.k then
        local sx = scores[x]
        if order.desc then later = sx < s or (sx == s and x < k) else later = sx > s or (sx == s and x > k) end
      elseif order and order.desc then
        later = x < k
      else
        later = x > k
      end
      if later then kept[#kept + 1] = x end
    end
    keys = kept
  end
  keys.total = #keys
end

local dists = {}
for k, d in pairs(distances) do
  dists[#dists + 1] = k
  dists[#dists + 1] = tostring(d)
end
-- Reads an instance hash. A key of another type (written by another client) comes back as the
-- string "WRONGTYPE" in place of its data, so one bad key is reported without failing the others.
local function hashOf(command, key, ...)
  local result = redis.pcall(command, key, ...)
  if type(result) == "table" and result.err then return "WRONGTYPE" end
  return result
end

local reply = { keys.total, gone, dists, resume }
local last = #keys
if limit >= 0 and offset + limit < last then last = offset + limit end
for i = offset + 1, last do
  local k = keys[i]
  reply[#reply + 1] = k
  if mode == "load" then
    reply[#reply + 1] = hashOf("HGETALL", k)
  elseif mode == "fields" then
    local names = {}
    for j, a in ipairs(plan.f) do names[j] = arg(a) end
    if redis.call("EXISTS", k) == 1 then
      reply[#reply + 1] = hashOf("HMGET", k, unpack(names))
    else
      reply[#reply + 1] = {}
    end
  end
end
return reply
