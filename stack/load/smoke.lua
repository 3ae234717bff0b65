-- stackctl's wrk script: one API key per thread, per-thread status counts, and a JSON
-- summary on one line at the end (marker STACKCTL_WRK_JSON).
--
-- Script arguments (after `--`): KEYS_FILE HEADER DELAY_MS BUDGET
--   KEYS_FILE  a file with one key per line (keys never go on a command line)
--   HEADER     the header carrying the key, e.g. Authorization
--   DELAY_MS   pause before each request on a connection (0: as fast as possible)
--   BUDGET     most answers one thread collects before it stops (count bound)

local threads = {}
local addrs = nil

-- Every address the target's name has (on swarm one per gateway task: dnsrr), sorted so
-- every load task sees one order; thread i sends to address i mod n, so the gateways
-- share the load (one address, as on the host: no change).
function setup(thread)
  if addrs == nil then
    addrs = wrk.lookup(wrk.host, wrk.port or "http")
    table.sort(addrs, function(a, b) return tostring(a) < tostring(b) end)
  end
  if #addrs > 0 then
    thread.addr = addrs[(#threads % #addrs) + 1]
  end
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local keys = {}
  local fh = io.open(args[1], "r")
  if fh then
    for line in fh:lines() do
      if line ~= "" then table.insert(keys, line) end
    end
    fh:close()
  end
  key_index = 0
  local headers = {}
  if #keys > 0 then
    key_index = id % #keys
    headers[args[2]] = keys[key_index + 1]
  end
  pause = tonumber(args[3]) or 0
  budget = tonumber(args[4]) or 0
  answers = 0
  codes = {}
  req = wrk.format("GET", nil, headers)
end

function request()
  return req
end

function delay()
  return pause
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  answers = answers + 1
  if budget > 0 and answers >= budget then
    wrk.thread:stop()
  end
end

local function counts_json(t)
  local parts = {}
  for status, n in pairs(t) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local per_thread = {}
  for _, thread in ipairs(threads) do
    table.insert(per_thread, string.format('{"key":%d,"codes":%s}',
      thread:get("key_index"), counts_json(thread:get("codes"))))
  end
  local e = summary.errors
  io.write(string.format(
    'STACKCTL_WRK_JSON {"requests":%d,"duration_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"mean":%.1f,"max":%d},"threads":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max, table.concat(per_thread, ",")))
end
