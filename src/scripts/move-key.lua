-- move-key.lua: quarantines or deletes one damaged key, only if it is still damaged the same way
-- (the index tools found it during a scan; the application may have rewritten it since).
--
-- KEYS[1]: the damaged key (an instance hash, or any key of the wrong Redis type)
-- KEYS[2]: quarantine only: where to move it ($Quarantine:<key>, same hash tag, same slot)
-- ARGV[1]: "quarantine" (RENAMENX: an earlier quarantined copy is never overwritten) or "delete"
-- ARGV[2]: "field": the key is a hash whose field ARGV[3] still holds exactly the bytes ARGV[4]
--          "type": the key still holds the Redis type ARGV[3]
-- Returns 1 when the key was moved or deleted, 0 when it changed meanwhile (or the quarantine
-- key is taken). O(1) apart from DEL of a large wrong-typed key.
local key = KEYS[1]
local action, check, what = ARGV[1], ARGV[2], ARGV[3]
if check == "field" then
  if redis.call("TYPE", key).ok ~= "hash" then return 0 end
  if redis.call("HGET", key, what) ~= ARGV[4] then return 0 end
elseif redis.call("TYPE", key).ok ~= what then
  return 0
end
if action == "quarantine" then return redis.call("RENAMENX", key, KEYS[2]) end
return redis.call("DEL", key)
