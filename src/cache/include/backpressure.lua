-- Backpressure, one rule for every script that adds to a partition's stream (a write, an
-- increment, a redrive): refused when `adding` more entries would take the stream past its
-- share of MAX_BACKLOG, or when its oldest entry is older than MAX_LAG_MS. Returns the error
-- reply to return (WBBACKLOG or WBLAG, read by errors.ts), or nil.
local function refusal(stream, adding, maxBacklog, maxLagMs, nowMs)
  if maxBacklog > 0 then
    local backlog = redis.call('XLEN', stream)
    if backlog + adding > maxBacklog then
      return redis.error_reply('WBBACKLOG ' .. backlog .. ' writes of the partition not yet persisted; ' .. adding ..
        ' more would pass its share of MAX_BACKLOG (' .. maxBacklog .. ')')
    end
  end
  if maxLagMs > 0 then
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    if oldest then
      local lag = nowMs - tonumber(string.match(oldest[1], '^(%d+)'))
      if lag > maxLagMs then return redis.error_reply('WBLAG oldest unpersisted write is ' .. lag .. ' ms old') end
    end
  end
  return nil
end
