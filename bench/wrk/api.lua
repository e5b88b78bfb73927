-- wrk script for the API figures beside POST /set: GET /get/<key> of hot keys (reads),
-- POST /incr of hot keys, POST /mset of batches.
-- Usage: wrk -s api.lua <url> -- <mode> <run-id> <keyspace> [batch]
--   mode get:  GET /get/hot:<n>            (keys written beforehand)
--   mode incr: POST /incr {"key":"hot:<n>","by":1}
--   mode mset: POST /mset with <batch> items of distinct keys
local counter, tid_ = 0, 0
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end

local mode, run_id, keyspace, batch
local value = string.rep("x", 32)

function init(args)
  mode, run_id = args[1], args[2] or "run"
  keyspace = tonumber(args[3] or "100")
  batch = tonumber(args[4] or "100")
  tid_ = tid or 0
  if mode ~= "get" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  counter = counter + 1
  if mode == "get" then
    return wrk.format("GET", "/get/hot:" .. math.random(0, keyspace - 1))
  elseif mode == "incr" then
    return wrk.format(nil, "/incr", nil, '{"key":"hot:' .. math.random(0, keyspace - 1) .. '","by":1}')
  else
    local items = {}
    for i = 1, batch do
      items[i] = '{"key":"' .. run_id .. ':' .. tid_ .. ':' .. counter .. ':' .. i .. '","value":"' .. value .. '"}'
    end
    return wrk.format(nil, "/mset", nil, '{"items":[' .. table.concat(items, ",") .. ']}')
  end
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"seconds\":%.3f,\"errors\":%d,\"non2xx\":%d,\"p50\":%d,\"p99\":%d}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
