-- A new owner of a task (its epoch from the runtime's lease) takes the task in one guarded sink:
-- every earlier owner's write is refused from now on, and the owner learns where this sink's
-- durable output of the task ends. A claim with an epoch older than the sink's is itself refused:
-- a newer owner has been here.
--
-- KEYS[1] positions hash (task -> next source offset applied)   KEYS[2] epochs hash (task -> epoch)
-- ARGV[1] task (<topic>:<partition>)   ARGV[2] the new owner's epoch
-- Returns {'OK', position} (position -1 when none is recorded) or {'FENCED', stored epoch}.

local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local epoch = tonumber(ARGV[2])
if epoch < stored then
  return {'FENCED', stored}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local position = redis.call('HGET', KEYS[1], ARGV[1])
if position then
  return {'OK', tonumber(position)}
end
return {'OK', -1}
