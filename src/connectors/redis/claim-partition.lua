-- A new owner claims a partition: the owner epoch goes up by one (fencing every earlier owner),
-- and the owner learns the position to resume from.
--
-- KEYS[1] positions hash   KEYS[2] epochs hash   ARGV[1] partition
-- Returns {epoch, position}, position -1 when none is recorded.

local epoch = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local position = redis.call('HGET', KEYS[1], ARGV[1])
if position then
  return {epoch, tonumber(position)}
end
return {epoch, -1}
