-- claim.lua: the claim of one unique value of a sharded model (docs/storage.md §7a, "Unique
-- values"): a hash in the value's own slot naming the instance, so the bucket, that may hold the
-- value. Taken before the write in the bucket, released after (src/write/claims.ts).
--
-- KEYS[1]: the claim, `$UniqueClaim:{Model@<hash>}:<field>:<part>`, a HASH of
--          token (random hex, one per taking), holder (an instance key), at (ms, the taker's clock)
-- ARGV[1]: the mode
--   "take": ARGV[2] token, ARGV[3] holder, ARGV[4] at. Sets the claim when there is none.
--   "swap": the same, then ARGV[5] the token the caller found (and fenced in its holder's
--           bucket). Replaces the claim only if it still has that token (or there is none).
--   "drop": ARGV[2] the token the caller found (and fenced). Deletes the claim only if it still
--           has that token.
--   "rehold": a reshard moved the holder (src/shards/reshard.ts): ARGV[2] the token the mover
--           read, ARGV[3] the old holder key, ARGV[4] the new one. Names the new key only if the
--           claim still has that token and holder; the token stays, so the new key's bucket
--           fence for it is empty (nothing was fenced there).
--
-- Returns {"TAKEN"} (take, swap, rehold), {"DROPPED"} (drop, or no claim), else {"HELD", token, holder, at}:
-- the claim as it is now, untouched.

local key = KEYS[1]
local mode = ARGV[1]
local stored = redis.call("HMGET", key, "token", "holder", "at")
local token = stored[1]
local expected
if mode == "swap" then expected = ARGV[5] elseif mode == "rehold" then
  if token ~= ARGV[2] or stored[2] ~= ARGV[3] then return { "HELD", token or "", stored[2] or "", stored[3] or "0" } end
  redis.call("HSET", key, "holder", ARGV[4])
  return { "TAKEN" }
end

if mode == "drop" then expected = ARGV[2] end

if mode == "rehold" then
  if token ~= ARGV[2] or stored[2] ~= ARGV[3] then return { "HELD", token or "", stored[2] or "", stored[3] or "0" } end
  redis.call("HSET", key, "holder", ARGV[4])
  return { "TAKEN" }
end

if mode == "drop" then
  if not token then return { "DROPPED" } end
  if token ~= expected then return { "HELD", token, stored[2] or "", stored[3] or "0" } end
  redis.call("DEL", key)
  return { "DROPPED" }
end

if token and not (mode == "swap" and token == expected) then
  return { "HELD", token, stored[2] or "", stored[3] or "0" }
end
redis.call("HSET", key, "token", ARGV[2], "holder", ARGV[3], "at", ARGV[4])
return { "TAKEN" }
