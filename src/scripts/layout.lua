-- layout.lua: a sharded model's layout record, read at a connection's first use of the model
-- (docs/storage.md §7a "Resharding"; src/shards/layout.ts). When there is no record yet, the
-- caller's declared bucket count is recorded first, in the same script, so the first process to
-- use a model fixes its layout and a later process declaring another count reads the stored one.
--
-- KEYS[1]: the record, `$Shards:Event` / `$Shards:{Event}` (HASH: count, and while moving to,
--          done, moving, epoch)
-- ARGV[1]: the declared bucket count (decimal)
--
-- Returns the record as HGETALL does (field, value, …). HGET/HSET only: the commands the README's
-- least-privilege ACL rules grant.

if not redis.call("HGET", KEYS[1], "count") then redis.call("HSET", KEYS[1], "count", ARGV[1]) end
return redis.call("HGETALL", KEYS[1])
