-- Applies one batch of one partition to the counter, atomically with the partition's new position,
-- if and only if the writer still owns the partition (its epoch is the current one) and no record
-- of the batch was applied before. Invariant: for every partition the counter holds the records of
-- offsets [start, position) exactly once; a replay, a retry or a zombie's late write changes nothing.
-- With record ids given, each applied id is also set in a bitmap, and an id seen twice is added to
-- a set of duplicates: a verifier can then prove "every id exactly once", not only the count.
-- With per-key counts given, they are added to a hash (count per key), under the same guard.
--
-- KEYS[1] counter          KEYS[2] positions hash (partition -> next offset)
-- KEYS[3] epochs hash (partition -> owner epoch)
-- KEYS[4] applied-ids bitmap   KEYS[5] duplicate-ids set   KEYS[6] per-key counts hash
-- ARGV[1] partition  ARGV[2] writer epoch  ARGV[3] first offset  ARGV[4] next offset  ARGV[5] count
-- ARGV[6] n, the number of record ids that follow; ARGV[7 .. 6+n] record ids
-- ARGV[7+n ..] key, count, key, count, ... (per-key counts of the batch)
-- Returns {status, value}:
--   {'APPLIED', position}    applied; the position is now the batch's next offset
--   {'DUPLICATE', position}  the whole batch was applied before; nothing changed
--   {'OVERLAP', position}    part of it was applied before; nothing changed, resume from position
--   {'FENCED', epoch}        another owner claimed the partition; nothing changed
-- A batch may start past the position: offsets of a partition can have holes (transaction markers).

local epoch = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if epoch ~= tonumber(ARGV[2]) then
  return {'FENCED', epoch}
end

local first = tonumber(ARGV[3])
local nextOffset = tonumber(ARGV[4])
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then
  local position = tonumber(stored)
  if nextOffset <= position then
    return {'DUPLICATE', position}
  end
  if first < position then
    return {'OVERLAP', position}
  end
end

redis.call('INCRBY', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
local ids = tonumber(ARGV[6])
for i = 7, 6 + ids do
  if redis.call('SETBIT', KEYS[4], ARGV[i], 1) == 1 then
    redis.call('SADD', KEYS[5], ARGV[i])
  end
end
for i = 7 + ids, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[6], ARGV[i], ARGV[i + 1])
end
return {'APPLIED', nextOffset}
