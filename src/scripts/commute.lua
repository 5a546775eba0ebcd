-- commute.lua: writes that commute, computed from the stored bytes inside Redis, so concurrent
-- writers never conflict and never retry: atomicIncrement of an int, float or decimal field, and
-- addRelated / removeRelated of a many-relationship. The index entries that depend on the new
-- value are written in the same script (a sorted field's score, the relationship's reverse sets).
-- Several increments (or several additions) queued in one process arrive as one call
-- (src/write/coalesce.ts).
--
-- The caller (src/write/plan-commute.ts) names every key; nothing here builds a key name.
--
-- KEYS: [1] the instance hash; then the keys ARGV names by 1-based position.
-- ARGV:
--   [1] op: "incr", "add" or "remove"
--   [2] field name
--   [3] ttl in seconds to set on the hash after the write, "0" for none
--   [4] position of the ttl shadow hash to update with the new bytes, or 0
--   incr:         [5] "int", "float" or "decimal", [6] position of the sorted set whose member
--                 KEYS[1] takes the new value as score, or 0, [7] d, then d deltas (decimal
--                 text), added in this order; then the event
--   add / remove: [5] position of the relationship's None set (member while the list is empty),
--                 [6] t, then t pairs: target key, position of its reverse set; then the event
--   event: e, 0 or 1; if 1, a channel and a message to PUBLISH once the write is applied
--   then, optionally (absent means none), the change feed: "1", the position of the model's
--     stream, its MAXLEN and the model's name: the write is appended to it as an update of the
--     field once applied (docs/storage.md, "Change feed")
--   then, optionally (a sharded model's write; the change feed's "0" precedes it when there is no
--     feed): "1", the position of the bucket's `$Retired` set and the writer's layout count: the
--     set must not hold that count, else {"GUARD"} and nothing is written (docs/storage.md §7a
--     "Resharding": the bucket is being emptied or was, so the writer's layout is stale)
--
-- Returns:
--   {"OK", bytes, before} the msgpack bytes now stored in the field, and (incr only: the caller
--                        derives each coalesced caller's value from them) those it replaced
--   {"GUARD"}            the `$Retired` guard failed: the writer must read the layout again
--   {"MISSING"}          the hash does not exist (deleted, or expired): nothing was written
--   {"NULL"}             incr: the stored value is null or missing
--   {"BAD", bytes}       the stored bytes are not a number (incr) or a list of keys (add/remove)
--   {"CHECKED"}          incr of a decimal stored in a form computed in TypeScript only (a float, as
--                        Popoto 0.8.3 writes a decimal sorted field): nothing was written
--   {"RANGE", text, j}   incr: after the j-th delta the sum is no longer a value of the field (safe
--                        integer, finite float); nothing was written
--   {"WRONGTYPE", key}   a key the write would change holds another Redis type (another client's)
--
-- Decimals are added exactly, as digit strings (Python: Decimal("0.1") + Decimal("0.2") ==
-- Decimal("0.3"), keeping the larger number of fraction digits), and written as popoto and Python
-- write them (docs/storage.md: {"__Decimal__": true, "as_encodable": str(Decimal)}); their score
-- is the exact text, which Redis converts to the nearest double as Python's float(Decimal) does.

local hash, field = KEYS[1], ARGV[2]
local ttl = tonumber(ARGV[3])
local shadowPos = tonumber(ARGV[4])
local shadow = shadowPos > 0 and KEYS[shadowPos] or nil
local op = ARGV[1]

-- Numbers in msgpack as Python and popoto write them: the smallest int format, float64 always, str8
-- for 32..255 bytes. (cmsgpack.pack would write a float32 when it is exact, so numbers are packed
-- here; lists of keys, strings only, go through cmsgpack.)
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

-- Decimals as { neg, digits, scale }: the value is -digits * 10^-scale when neg, else +; digits
-- carry no leading zero ("0" for zero).
local function strip(digits)
  local stripped = string.gsub(digits, "^0+", "")
  if stripped == "" then return "0" end
  return stripped
end
local function parseDecimal(text)
  if type(text) ~= "string" then return nil end
  local mantissa, exponent = text, 0
  local e = string.find(text, "[eE]")
  if e then
    mantissa = string.sub(text, 1, e - 1)
    exponent = tonumber(string.sub(text, e + 1))
    if not exponent or exponent % 1 ~= 0 or math.abs(exponent) > 10000 then return nil end
  end
  local sign, whole, fraction = string.match(mantissa, "^([+-]?)(%d*)%.?(%d*)$")
  if not sign or (whole == "" and fraction == "") then return nil end
  local digits, scale = whole .. fraction, #fraction - exponent
  if scale < 0 then digits, scale = digits .. string.rep("0", -scale), 0 end
  if scale > 10000 then return nil end
  digits = strip(digits)
  return { neg = sign == "-" and digits ~= "0", digits = digits, scale = scale }
end
local function addMagnitudes(a, b)
  local out, carry, i, j = {}, 0, #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local sum = carry + (i > 0 and string.byte(a, i) - 48 or 0) + (j > 0 and string.byte(b, j) - 48 or 0)
    out[#out + 1] = string.char(48 + sum % 10)
    carry = sum >= 10 and 1 or 0
    i, j = i - 1, j - 1
  end
  return strip(string.reverse(table.concat(out)))
end
local function subtractMagnitudes(a, b) -- a >= b
  local out, borrow, i, j = {}, 0, #a, #b
  while i > 0 do
    local d = string.byte(a, i) - 48 - borrow - (j > 0 and string.byte(b, j) - 48 or 0)
    borrow = d < 0 and 1 or 0
    out[#out + 1] = string.char(48 + d + 10 * borrow)
    i, j = i - 1, j - 1
  end
  return strip(string.reverse(table.concat(out)))
end
local function addDecimals(x, y)
  local scale = math.max(x.scale, y.scale)
  local a = strip(x.digits .. string.rep("0", scale - x.scale))
  local b = strip(y.digits .. string.rep("0", scale - y.scale))
  if x.neg == y.neg then return { neg = x.neg, digits = addMagnitudes(a, b), scale = scale } end
  if a == b then return { neg = false, digits = "0", scale = scale } end
  if #a > #b or (#a == #b and a > b) then
    return { neg = x.neg, digits = subtractMagnitudes(a, b), scale = scale }
  end
  return { neg = y.neg, digits = subtractMagnitudes(b, a), scale = scale }
end
local function plainDecimal(d)
  local digits = d.digits
  if d.scale > 0 then
    if #digits <= d.scale then digits = string.rep("0", d.scale + 1 - #digits) .. digits end
    digits = string.sub(digits, 1, #digits - d.scale) .. "." .. string.sub(digits, #digits - d.scale + 1)
  end
  return (d.neg and "-" or "") .. digits
end
-- Python's str(Decimal): plain, unless the first significant digit is more than six places after
-- the point ("1E-7", "0E-8"), as src/encoding/decimal.ts pythonDecimalStr.
local function pythonDecimal(d)
  local left = #d.digits - d.scale
  if d.scale == 0 or left > -6 then return plainDecimal(d) end
  local mantissa = d.digits
  if #mantissa > 1 then mantissa = string.sub(mantissa, 1, 1) .. "." .. string.sub(mantissa, 2) end
  return (d.neg and "-" or "") .. mantissa .. "E" .. string.format("%d", left - 1)
end
local function packDecimal(d)
  return "\130" .. packStr("__Decimal__") .. "\195" .. packStr("as_encodable") .. packStr(pythonDecimal(d))
end

-- Wrong-typed keys (the rule of write.lua): the HGET below runs through pcall and proves the
-- hash; the first write runs through pcall, so its failure writes nothing; SREM of another
-- type's key is ignored (it holds none of popoto's entries); any other key added to is asked its
-- TYPE before the first write.
--#include wrong-type-reply
local function wrongType(key, want)
  local t = redis.call("TYPE", key)["ok"]
  return t ~= "none" and t ~= want
end

-- The change feed's stream follows the event, the retired guard follows the feed.
local eventAt = op == "incr" and 8 + tonumber(ARGV[7]) or 7 + 2 * tonumber(ARGV[6])
local changeAt = eventAt + (ARGV[eventAt] == "1" and 3 or 1)
local stream = ARGV[changeAt] == "1" and KEYS[tonumber(ARGV[changeAt + 1])] or nil
local guardAt = changeAt + (ARGV[changeAt] == "1" and 4 or 1)
if ARGV[guardAt] == "1" then
  local retired = KEYS[tonumber(ARGV[guardAt + 1])]
  local held = redis.pcall("SISMEMBER", retired, ARGV[guardAt + 2])
  local wrong = wrongTypeReply(held, retired)
  if wrong then return wrong end
  if held == 1 then return { "GUARD" } end
end

local stored = redis.pcall("HGET", hash, field)
local bad = wrongTypeReply(stored, hash)
if bad then return bad end
if not stored and redis.call("EXISTS", hash) == 0 then return { "MISSING" } end

-- The stream's type is checked before anything is written.
if stream and wrongType(stream, "stream") then return { "WRONGTYPE", stream } end

local bytes, after
local event = 5
if op == "incr" then
  local kind, setPos, count = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
  event = 8 + count
  if not stored or stored == "\192" then return { "NULL" } end
  local ok, current = pcall(cmsgpack.unpack, stored)
  if not ok then return { "BAD", stored } end
  local score
  if kind == "decimal" then
    if type(current) == "number" then return { "CHECKED" } end
    if type(current) ~= "table" or current["__Decimal__"] ~= true then return { "BAD", stored } end
    local sum = parseDecimal(current["as_encodable"])
    if not sum then return { "BAD", stored } end
    for j = 1, count do
      local delta = parseDecimal(ARGV[7 + j])
      if not delta then return { "RANGE", ARGV[7 + j], j } end
      sum = addDecimals(sum, delta)
    end
    bytes = packDecimal(sum)
    score = plainDecimal(sum)
  else
    if type(current) ~= "number" or (kind == "int" and current % 1 ~= 0) then return { "BAD", stored } end
    local sum = current
    for j = 1, count do
      sum = sum + tonumber(ARGV[7 + j])
      if kind == "int" then
        if sum % 1 ~= 0 or sum > 9007199254740991 or sum < -9007199254740991 then return { "RANGE", string.format("%.17g", sum), j } end
      elseif sum ~= sum or sum == math.huge or sum == -math.huge then
        return { "RANGE", tostring(sum), j }
      end
    end
    bytes = kind == "int" and packInt(sum) or "\203" .. struct.pack(">d", sum)
    score = string.format("%.17g", sum)
  end
  -- The ZADD first, through pcall: under maxmemory only a script's first write is refused, and a
  -- wrong-typed sorted set fails it before anything is written.
  if setPos > 0 then
    bad = wrongTypeReply(redis.pcall("ZADD", KEYS[setPos], score, hash), KEYS[setPos])
    if bad then return bad end
  end
  redis.call("HSET", hash, field, bytes)
else
  local noneSet = KEYS[tonumber(ARGV[5])]
  local targets, sets = {}, {}
  local t = tonumber(ARGV[6])
  for j = 1, t do
    targets[j] = ARGV[5 + 2 * j]
    sets[j] = KEYS[tonumber(ARGV[6 + 2 * j])]
  end
  event = 7 + 2 * t
  -- The list is decoded and encoded by cmsgpack, in C: for a list of strings its bytes are
  -- Python's and popoto's (fixarray/array16/array32 of fixstr/str8/str16/str32), and the Lua
  -- loops below only compare and append. Per item, Lua-side encoding cost more than the
  -- commands themselves on a shelf of a few hundred keys (docs/benchmarks.md, workload 13).
  local list = {}
  if stored and stored ~= "\192" then
    local ok, value = pcall(cmsgpack.unpack, stored)
    if not ok or type(value) ~= "table" then return { "BAD", stored } end
    for j = 1, #value do
      if type(value[j]) ~= "string" then return { "BAD", stored } end
    end
    list = value
  end
  local n = #list
  -- Lua strings are interned, so == is a pointer comparison: a scan of the list per target is
  -- cheaper than a table of the list unless many targets arrive at once (coalesced calls).
  local present
  if t > 8 then
    present = {}
    for j = 1, n do present[list[j]] = true end
  end
  local function holds(item)
    if present then return present[item] == true end
    for j = 1, #list do
      if list[j] == item then return true end
    end
    return false
  end
  if op == "add" then
    after = list
    for _, target in ipairs(targets) do
      if not holds(target) then
        after[#after + 1] = target
        if present then present[target] = true end
      end
    end
    for _, key in ipairs(sets) do
      if wrongType(key, "set") then return { "WRONGTYPE", key } end
    end
  else
    local drop = {}
    for _, target in ipairs(targets) do drop[target] = true end
    after = {}
    for j = 1, n do
      if not drop[list[j]] then after[#after + 1] = list[j] end
    end
  end
  if #after == 0 and wrongType(noneSet, "set") then return { "WRONGTYPE", noneSet } end
  -- cmsgpack writes an empty table as an array too; spelled out so the bytes never depend on it.
  bytes = #after == 0 and "\144" or cmsgpack.pack(after)
  -- HSET first (a hash, proven by the HGET): under maxmemory it is refused before anything else.
  redis.call("HSET", hash, field, bytes)
  for _, key in ipairs(sets) do
    if op == "add" then redis.call("SADD", key, hash) else redis.pcall("SREM", key, hash) end
  end
  if #after == 0 then redis.call("SADD", noneSet, hash) else redis.pcall("SREM", noneSet, hash) end
end

if ttl > 0 then redis.call("EXPIRE", hash, ttl) end
-- The shadow keeps the indexed values of a ttl model, so its entries can be found after expiry.
if shadow then redis.call("HSET", shadow, field, bytes) end
if ARGV[event] == "1" then redis.call("PUBLISH", ARGV[event + 1], ARGV[event + 2]) end
if stream then
  local now = redis.call("TIME")
  redis.call("XADD", stream, "MAXLEN", "~", ARGV[changeAt + 2], "*", "model", ARGV[changeAt + 3], "pk", hash,
    "op", "update", "ts", now[1] .. "." .. string.format("%06d", tonumber(now[2])), "changed_fields", field,
    "v:" .. field, bytes)
end
-- A relationship list's old bytes are not sent back: nobody reads them, and on a long list they
-- doubled the reply.
return { "OK", bytes, op == "incr" and stored or false }
