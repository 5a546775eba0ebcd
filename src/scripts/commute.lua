-- commute.lua: writes that commute, computed from the stored bytes inside Redis, so concurrent
-- writers never conflict and never retry: atomicIncrement of an int or float field, and
-- addRelated / removeRelated of a many-relationship. The index entries that depend on the new
-- value are written in the same script (a sorted field's score, the relationship's reverse sets).
--
-- The caller (src/write/plan-commute.ts) names every key; nothing here builds a key name.
--
-- KEYS: [1] the instance hash; then the keys ARGV names by 1-based position.
-- ARGV:
--   [1] op: "incr", "add" or "remove"
--   [2] field name
--   [3] ttl in seconds to set on the hash after the write, "0" for none
--   [4] position of the ttl shadow hash to update with the new bytes, or 0
--   incr:         [5] "int" or "float", [6] delta (decimal text), [7] position of the sorted set
--                 whose member KEYS[1] takes the new value as score, or 0; then the event
--   add / remove: [5] position of the relationship's None set (member while the list is empty),
--                 [6] t, then t pairs: target key, position of its reverse set; then the event
--   event: e, 0 or 1; if 1, a channel and a message to PUBLISH once the write is applied
--
-- Returns:
--   {"OK", bytes}        the msgpack bytes now stored in the field
--   {"MISSING"}          the hash does not exist (deleted, or expired): nothing was written
--   {"NULL"}             incr: the stored value is null or missing
--   {"BAD", bytes}       the stored bytes are not a number (incr) or a list of keys (add/remove)
--   {"RANGE", text}      incr: the sum is no longer a value of the field (safe integer, finite float)
--   {"WRONGTYPE", key}   a key the write would change holds another Redis type (another client's)

local hash, field = KEYS[1], ARGV[2]
local ttl = tonumber(ARGV[3])
local shadowPos = tonumber(ARGV[4])
local shadow = shadowPos > 0 and KEYS[shadowPos] or nil
local op = ARGV[1]

-- msgpack as Python and popoto write it: the smallest int format, float64 always, str8 for
-- 32..255 bytes. (cmsgpack.pack would write a float32 when it is exact.)
local TWO32 = 4294967296
local function packInt(n)
  if n >= 0 then
    if n < 128 then return string.char(n) end
    if n < 256 then return "\204" .. string.char(n) end
    if n < 65536 then return "\205" .. struct.pack(">I2", n) end
    if n < TWO32 then return "\206" .. struct.pack(">I4", n) end
    local hi = math.floor(n / TWO32)
    return "\207" .. struct.pack(">I4I4", hi, n - hi * TWO32)
  end
  if n >= -32 then return string.char(256 + n) end
  if n >= -128 then return "\208" .. struct.pack(">i1", n) end
  if n >= -32768 then return "\209" .. struct.pack(">i2", n) end
  if n >= -2147483648 then return "\210" .. struct.pack(">i4", n) end
  local hi = math.floor(n / TWO32)
  return "\211" .. struct.pack(">I4I4", hi + TWO32, n - hi * TWO32)
end
local function packStr(s)
  local n = #s
  if n < 32 then return string.char(160 + n) .. s end
  if n < 256 then return "\217" .. string.char(n) .. s end
  if n < 65536 then return "\218" .. struct.pack(">I2", n) .. s end
  return "\219" .. struct.pack(">I4", n) .. s
end
local function packList(list)
  local n = #list
  local parts = {}
  if n < 16 then parts[1] = string.char(144 + n)
  elseif n < 65536 then parts[1] = "\220" .. struct.pack(">I2", n)
  else parts[1] = "\221" .. struct.pack(">I4", n) end
  for j = 1, n do parts[j + 1] = packStr(list[j]) end
  return table.concat(parts)
end

-- A key of another type would make a command fail after others ran (Lua does not roll back).
local function wrongType(key, want)
  local t = redis.call("TYPE", key)["ok"]
  return t ~= "none" and t ~= want
end
if wrongType(hash, "hash") then return { "WRONGTYPE", hash } end
if redis.call("EXISTS", hash) == 0 then return { "MISSING" } end
local stored = redis.call("HGET", hash, field)

local bytes, after
local event = 5
if op == "incr" then
  local kind, delta, setPos = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
  event = 8
  if not stored or stored == "\192" then return { "NULL" } end
  local ok, current = pcall(cmsgpack.unpack, stored)
  if not ok or type(current) ~= "number" or (kind == "int" and current % 1 ~= 0) then return { "BAD", stored } end
  local sum = current + delta
  if kind == "int" then
    if sum % 1 ~= 0 or sum > 9007199254740991 or sum < -9007199254740991 then return { "RANGE", string.format("%.17g", sum) } end
    bytes = packInt(sum)
  else
    if sum ~= sum or sum == math.huge or sum == -math.huge then return { "RANGE", tostring(sum) } end
    bytes = "\203" .. struct.pack(">d", sum)
  end
  local set = setPos > 0 and KEYS[setPos] or nil
  if set and wrongType(set, "zset") then return { "WRONGTYPE", set } end
  -- HSET first: under maxmemory it is refused before anything else is written.
  redis.call("HSET", hash, field, bytes)
  if set then redis.call("ZADD", set, string.format("%.17g", sum), hash) end
else
  local noneSet = KEYS[tonumber(ARGV[5])]
  local targets, sets = {}, {}
  local t = tonumber(ARGV[6])
  for j = 1, t do
    targets[j] = ARGV[5 + 2 * j]
    sets[j] = KEYS[tonumber(ARGV[6 + 2 * j])]
  end
  event = 7 + 2 * t
  local list = {}
  if stored and stored ~= "\192" then
    local ok, value = pcall(cmsgpack.unpack, stored)
    if not ok or type(value) ~= "table" then return { "BAD", stored } end
    for j, item in ipairs(value) do
      if type(item) ~= "string" then return { "BAD", stored } end
      list[j] = item
    end
  end
  for _, key in ipairs(sets) do
    if wrongType(key, "set") then return { "WRONGTYPE", key } end
  end
  if wrongType(noneSet, "set") then return { "WRONGTYPE", noneSet } end
  local present = {}
  for _, item in ipairs(list) do present[item] = true end
  after = {}
  if op == "add" then
    for _, item in ipairs(list) do after[#after + 1] = item end
    for _, target in ipairs(targets) do
      if not present[target] then
        after[#after + 1] = target
        present[target] = true
      end
    end
  else
    local drop = {}
    for _, target in ipairs(targets) do drop[target] = true end
    for _, item in ipairs(list) do
      if not drop[item] then after[#after + 1] = item end
    end
  end
  bytes = packList(after)
  redis.call("HSET", hash, field, bytes)
  for j, key in ipairs(sets) do
    if op == "add" then redis.call("SADD", key, hash) else redis.call("SREM", key, hash) end
  end
  if #after == 0 then redis.call("SADD", noneSet, hash) else redis.call("SREM", noneSet, hash) end
end

if ttl > 0 then redis.call("EXPIRE", hash, ttl) end
-- The shadow keeps the indexed values of a ttl model, so its entries can be found after expiry.
if shadow then redis.call("HSET", shadow, field, bytes) end
if ARGV[event] == "1" then redis.call("PUBLISH", ARGV[event + 1], ARGV[event + 2]) end
return { "OK", bytes }
