-- reshard-lock.lua: the one mover of a sharded model (src/shards/reshard.ts, docs/storage.md §7a
-- "Resharding"). A token with an expiry, renewed by every step, so a mover that dies frees the
-- model within the expiry, and a mover whose lock expired and was taken stops at its next step.
--
-- KEYS[1]: the lock, `$ShardsLock:Event` / `$ShardsLock:{Event}` (STRING: the mover's token)
-- ARGV[1]: "take", "renew" or "release"; ARGV[2]: the caller's token; ARGV[3]: expiry in ms
--
-- Returns 1 when the caller holds the lock (take, renew) or let it go (release), else 0.

local mode = ARGV[1]
if mode == "take" then
  if redis.call("SET", KEYS[1], ARGV[2], "NX", "PX", ARGV[3]) then return 1 end
  return 0
end
if redis.call("GET", KEYS[1]) ~= ARGV[2] then return 0 end
if mode == "renew" then
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
else
  redis.call("DEL", KEYS[1])
end
return 1
