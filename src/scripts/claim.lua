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
--
-- Returns {"TAKEN"} (take, swap), {"DROPPED"} (drop, or no claim), else {"HELD", token, holder, at}:
-- the claim as it is now, untouched.

local key = KEYS[1]
local mode = ARGV[1]
local stored = redis.call("HMGET", key, "token", "holder", "at")
local token = stored[1]
local expected
if mode == "swap" then expected = ARGV[5] elseif mode == "drop" then expected = ARGV[2] end

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
