-- fence.lua: whether any live instance of one bucket holds a unique value of a sharded model,
-- and if none does, a fence on the claim token that named that bucket (docs/storage.md §7a,
-- "Unique values"; src/write/claims.ts). Atomic in the bucket's slot: a write of the value there
-- either landed before (LIVE) or carries a fenced token and fails its guard (write.lua).
--
-- KEYS[1]: the value's set in the bucket (`$UniquF:{Model#b.n}:<field>:<part>`, or a unique
--          index's `$CompositeF:{Model#b.n}:<fields>:<parts>`)
-- KEYS[2]: the fence of the claim's token in that bucket, `$UniqueFence:{Model#b.n}:<token>` (SET)
-- ARGV[1]: "fence" to fence the token when no live instance holds the value; "check" to look only
-- ARGV[2]: seconds the fence lasts (longer than any write carrying the token may take to land)
--
-- Returns {"LIVE", key} (an instance whose hash exists holds the value; a member whose hash is
-- gone is an expired instance's leftover and holds nothing), {"FENCED"}, or {"FREE"} (check).

for _, member in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  if redis.call("EXISTS", member) == 1 then return { "LIVE", member } end
end
if ARGV[1] ~= "fence" then return { "FREE" } end
redis.call("SADD", KEYS[2], "1")
redis.call("EXPIRE", KEYS[2], tonumber(ARGV[2]))
return { "FENCED" }
