-- stackctl's wrk script: one API key per thread, per-thread status counts, answers per
-- slice of wall-clock time (the run's timeline: wrk gives no per-request times), wrk's own
-- CPU time, and a JSON summary on one line at the end (marker STACKCTL_WRK_JSON).
--
-- Script arguments (after `--`): KEYS_FILE HEADER DELAY_MS BUDGET
--   KEYS_FILE  a file with one key per line (keys never go on a command line)
--   HEADER     the header carrying the key, e.g. Authorization
--   DELAY_MS   pause before each request on a connection (0: as fast as possible)
--   BUDGET     most answers one thread collects before it stops (count bound)

local threads = {}
local addrs = nil

-- The clock: CLOCK_REALTIME through LuaJIT's ffi (slices of SLICE_MS), else os.time()
-- (whole seconds). Wall-clock, so the slices of several wrk runs line up.
local SLICE_MS = 1000
local now = os.time
local ffi_ok, ffi = pcall(require, "ffi")
if ffi_ok then
  pcall(ffi.cdef, [[
    typedef struct { long tv_sec; long tv_nsec; } stackctl_timespec;
    typedef struct { long tv_sec; long tv_usec; } stackctl_timeval;
    typedef struct { stackctl_timeval utime; stackctl_timeval stime; long rest[14]; }
      stackctl_rusage;
    int clock_gettime(int clock, stackctl_timespec *ts);
    int getrusage(int who, stackctl_rusage *usage);
  ]])
  local ts = ffi.new("stackctl_timespec")
  SLICE_MS = 100
  now = function()
    ffi.C.clock_gettime(0, ts)
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
  end
end

-- wrk's own CPU microseconds (user + system, every thread), -1 when unknown.
local function cpu_us()
  if not ffi_ok then return -1 end
  local ru = ffi.new("stackctl_rusage")
  if ffi.C.getrusage(0, ru) ~= 0 then return -1 end
  return tonumber(ru.utime.tv_sec) * 1e6 + tonumber(ru.utime.tv_usec)
    + tonumber(ru.stime.tv_sec) * 1e6 + tonumber(ru.stime.tv_usec)
end

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
  slices = {}
  per_slice = 1000 / SLICE_MS
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
  local slice = math.floor(now() * per_slice)
  slices[slice] = (slices[slice] or 0) + 1
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

-- Every thread's slices summed: the first slice's number and the counts from there on
-- (gaps as 0).
local function slices_json()
  local total, first, last = {}, nil, nil
  for _, thread in ipairs(threads) do
    for slice, n in pairs(thread:get("slices") or {}) do
      total[slice] = (total[slice] or 0) + n
      if first == nil or slice < first then first = slice end
      if last == nil or slice > last then last = slice end
    end
  end
  local counts = {}
  if first ~= nil then
    for slice = first, last do table.insert(counts, tostring(total[slice] or 0)) end
  end
  return string.format('{"width_ms":%d,"first":%d,"counts":[%s]}', SLICE_MS, first or 0,
    table.concat(counts, ","))
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
    '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"mean":%.1f,"max":%d},"threads":[%s],' ..
    '"slices":%s,"cpu_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max, table.concat(per_thread, ","), slices_json(), cpu_us()))
end
