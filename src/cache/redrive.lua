#!lua
-- Moves dead letters of one partition back to its write stream with their original key, value
-- (or delete) and version, so a re-driven entry still passes the version guard: it can never
-- overwrite newer data. This script is the one place that decides what a letter is:
--   * not a write: no key, no version the flusher accepts (1..16 digits, at most 2^53 - 1, as
--     entry.ts reads it), or neither value nor delete mark. It stays dead and is not reported:
--     re-driven, the flusher would only dead-letter it again.
--   * expired: a write older than the tombstone retention (ARGV[2]). The delete that once
--     superseded it may have been purged, so it could bring a deleted key back. It stays and
--     is reported.
--   * re-drivable: every other write.
-- Refused whole (WBBACKLOG) when the re-drivable letters would push the stream past its share
-- of MAX_BACKLOG, like a write. No allow-oom flag: under maxmemory Redis refuses it before it
-- runs.
--
-- A request's letters span partitions, which on a Redis Cluster are in different slots: no one
-- script call can see them all. dead.ts therefore calls this first with 'check' for every
-- partition (nothing moves), and only then with 'move'.
--
-- KEYS[1] dead-letter stream   KEYS[2] write stream
-- ARGV[1] max backlog (0 = off)   ARGV[2] oldest version allowed (0 = any)
-- ARGV[3] 'check' (move nothing) or 'move' (move the re-drivable, leave the expired)
-- ARGV[4] re-drivable letters of this partition counted by earlier 'check' calls (0 for 'move':
--         what earlier calls moved is in the stream already)
-- ARGV[5..] ids
-- Returns { ids moved ('move') or re-drivable ('check'), ids expired }.
--!include backpressure
local maxBacklog, minVersion, mode, earlier = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])

local function version(s)
  if not s or #s > 16 or not string.match(s, '^%d+$') then return nil end
  local n = tonumber(s)
  if n > 9007199254740991 then return nil end
  return n
end

local moves, movable, expired = {}, {}, {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
  if entry then
    local f, k, v, ver, del = entry[2], nil, nil, nil, nil
    for j = 1, #f, 2 do
      if f[j] == 'k' then k = f[j + 1] elseif f[j] == 'v' then v = f[j + 1]
      elseif f[j] == 'ver' then ver = f[j + 1] elseif f[j] == 'del' then del = f[j + 1] end
    end
    local n = version(ver)
    if k and n and (v or del == '1') then
      if minVersion > 0 and n < minVersion then
        expired[#expired + 1] = id
      else
        moves[#moves + 1] = { id, k, v, ver }
        movable[#movable + 1] = id
      end
    end
  end
end

if #moves > 0 then
  local refused = refusal(KEYS[2], earlier + #moves, maxBacklog, 0, 0)
  if refused then return refused end
end

if mode == 'move' then
  for _, m in ipairs(moves) do
    if m[3] then
      redis.call('XADD', KEYS[2], '*', 'k', m[2], 'v', m[3], 'ver', m[4])
    else
      redis.call('XADD', KEYS[2], '*', 'k', m[2], 'ver', m[4], 'del', '1')
    end
    redis.call('XDEL', KEYS[1], m[1])
  end
end
return { movable, expired }
