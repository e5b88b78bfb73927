-- wrk script: POST /set with a new key on every request (or one of `keyspace` hot keys).
-- Usage: wrk -s set.lua <url> -- <run-id> [keyspace] [value bytes, 32 unless given]
-- Each connection numbers its own requests, so keys are distinct across connections and,
-- with a fresh run id, across runs.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local run_id, keyspace
local value = string.rep("x", 32)

function init(args)
  run_id = args[1] or "run"
  keyspace = tonumber(args[2] or "0")
  value = string.rep("x", tonumber(args[3] or "32"))
  thread_id = tid or 0
  wrk.method = "POST"
  wrk.path = "/set"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local key
  if keyspace > 0 then
    key = "hot:" .. math.random(0, keyspace - 1)
  else
    key = run_id .. ":" .. thread_id .. ":" .. counter
  end
  return wrk.format(nil, nil, nil, '{"key":"' .. key .. '","value":"' .. value .. '"}')
end

function done(summary, latency, requests)
  -- one machine-readable line for the bench runner
  io.write(string.format("JSON {\"requests\":%d,\"seconds\":%.3f,\"errors\":%d,\"non2xx\":%d,\"p50\":%d,\"p99\":%d}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
