-- A new owner claims a task's lease: the epoch goes up by one (every earlier owner's writes are
-- refused from now on by the sinks that see the new one), and the owner learns the task's
-- position and checkpoint id in the last completed checkpoint.
--
-- KEYS[1] the job's lease hash   ARGV[1] epoch field   ARGV[2] position field   ARGV[3] checkpoint field
-- Returns {epoch, position, checkpoint id}; position and checkpoint id are -1 when not recorded.

local epoch = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local position = redis.call('HGET', KEYS[1], ARGV[2])
local checkpoint = redis.call('HGET', KEYS[1], ARGV[3])
return {epoch, position and tonumber(position) or -1, checkpoint and tonumber(checkpoint) or -1}
