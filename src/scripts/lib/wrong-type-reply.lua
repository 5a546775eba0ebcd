-- wrongTypeReply(reply, key): a pcall'd command's reply, read for a WRONGTYPE error. Lua scripts do
-- not roll back, so a key of another type (another client's) must be found before the first
-- write: {"WRONGTYPE", key} when the reply is that error, the error itself when it is another
-- one, nil when the command succeeded.
local function wrongTypeReply(reply, key)
  if type(reply) == "table" and reply.err then
    if string.find(reply.err, "WRONGTYPE", 1, true) then return { "WRONGTYPE", key } end
    return reply
  end
  return nil
end
