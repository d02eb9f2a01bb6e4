-- Applies one batch of one task to Redis, atomically with the task's new position in this sink,
-- if and only if the writer still owns the task (its epoch is not older than the sink's) and no
-- record of the batch was applied before. Invariant: for every task the sink holds the writes of
-- source offsets [start, position) exactly once; a replay, a retry or a zombie's late write changes
-- nothing. A batch may start past the position: offsets have holes (transaction markers).
--
-- KEYS[1] positions hash (task -> next source offset)   KEYS[2] epochs hash (task -> owner epoch)
-- ARGV[1] task (<topic>:<partition>)  ARGV[2] writer epoch  ARGV[3] first offset  ARGV[4] next offset
-- ARGV[5 ..] the writes, each an opcode and its arguments:
--   'I' key n              INCRBY key n
--   'H' key field n        HINCRBY key field n
--   'M' key n f1 by1 .. fn byn   HINCRBY key fi byi for n fields of one hash (a batch's counts per key)
--   'S' key field value    HSET key field value
--   'K' key value          SET key value
--   'B' bitmap set n id1..idn   SETBIT bitmap id 1 for each id; an id already set is added to `set`
--                              (record ids proven applied once; duplicates provable)
-- The written keys are passed as arguments, not KEYS: one standalone Redis holds them (no Cluster).
-- Returns {status, value}:
--   {'APPLIED', position}    applied; the position is now the batch's next offset
--   {'DUPLICATE', position}  the whole batch was applied before; nothing changed
--   {'OVERLAP', position}    part of it was applied before; nothing changed, resend from position
--   {'FENCED', epoch}        a newer owner took the task; nothing changed

local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local epoch = tonumber(ARGV[2])
if epoch < stored then
  return {'FENCED', stored}
end

local first = tonumber(ARGV[3])
local nextOffset = tonumber(ARGV[4])
local recorded = redis.call('HGET', KEYS[1], ARGV[1])
if recorded then
  local position = tonumber(recorded)
  if nextOffset <= position then
    return {'DUPLICATE', position}
  end
  if first < position then
    return {'OVERLAP', position}
  end
end

local i = 5
local n = #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'I' then
    redis.call('INCRBY', ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'H' then
    redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'M' then
    local hash = ARGV[i + 1]
    local count = tonumber(ARGV[i + 2])
    for j = i + 3, i + 2 + 2 * count, 2 do
      redis.call('HINCRBY', hash, ARGV[j], ARGV[j + 1])
    end
    i = i + 3 + 2 * count
  elseif op == 'S' then
    redis.call('HSET', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'K' then
    redis.call('SET', ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'B' then
    local bitmap = ARGV[i + 1]
    local duplicates = ARGV[i + 2]
    local count = tonumber(ARGV[i + 3])
    for j = i + 4, i + 3 + count do
      if redis.call('SETBIT', bitmap, ARGV[j], 1) == 1 then
        redis.call('SADD', duplicates, ARGV[j])
      end
    end
    i = i + 4 + count
  else
    return redis.error_reply('guarded-write.lua: unknown opcode ' .. tostring(op))
  end
end
if epoch > stored then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return {'APPLIED', nextOffset}
