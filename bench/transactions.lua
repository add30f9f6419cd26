-- wrk script for bench/server.py: PUT /_matrix/app/v1/transactions/<run>-<thread>-<n>, a new
-- transaction ID for every request, the same body and a bearer token each time.
-- Arguments (after --): the run's prefix, the hs_token, the file holding the body.
-- At the end it prints one JSON line with the counts and latencies the bench reads.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  local file = assert(io.open(args[3], "rb"))
  wrk.method = "PUT"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, "/_matrix/app/v1/transactions/" .. prefix .. "-" .. tid .. "-" .. counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "bad_status": %d, '
      .. '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
