-- wrk script: POSTs a precomputed list of JSON bodies, one user (bearer token) per wrk thread.
--
-- Run as `wrk -t T -c T -s bench/orders.lua URL -- DATA`, one connection per thread, where DATA is a Lua
-- file written by bench/wrk_orders.py that returns
--   {path = "/orders", threads = T, tokens = {...T tokens}, bodies = {...}, interval_us = 0, results = PREFIX}
-- Thread i (0-based) sends bodies i+1, i+1+T, i+1+2T, ... with tokens[i+1]. With interval_us > 0 each thread
-- paces itself so that all threads together send one request every interval_us (a thread that falls behind
-- sends at once). When a thread has had all its answers it writes one line per request to PREFIX.<i>,
--   <sent at, us> <answered at, us> <HTTP status> <1 if the body says TAKER, else 0>
-- (CLOCK_MONOTONIC, the clock Python's time.monotonic() reads), prints "finished" and stops. wrk's own
-- main thread sleeps for the whole -d duration regardless, so the caller interrupts it once every thread
-- has finished, and computes rates and percentiles from these lines rather than from wrk's summary.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } orders_bench_timespec;
  int clock_gettime(int clock_id, orders_bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("orders_bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

-- In wrk's main Lua state: number the threads.
local created = 0
function setup(thread)
  thread:set("thread_index", created)
  created = created + 1
end

-- In each thread's own Lua state from here on.
function init(args)
  data = dofile(args[1])
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. data.tokens[thread_index + 1],
  }
  share = 0
  for _ = thread_index + 1, #data.bodies, data.threads do
    share = share + 1
  end
  lines = {}
  sent_at = 0
  if data.interval_us > 0 then
    local thread_interval_us = data.interval_us * data.threads
    local due_us = nil
    function delay()
      local now = now_us()
      if due_us == nil then
        due_us = now + data.interval_us * thread_index -- spread the threads' first requests over one round
      end
      local wait_ms = math.max(0, (due_us - now) / 1000)
      due_us = due_us + thread_interval_us
      return math.floor(wait_ms)
    end
  end
end

-- One connection per thread, so the request in flight is always the one after those answered. (wrk also
-- calls request() once on the first thread before the run, to check the script; that call must not use
-- up a body.)
function request()
  local body = data.bodies[thread_index + 1 + #lines * data.threads]
  sent_at = now_us()
  return wrk.format("POST", data.path, headers, body)
end

function response(status, _headers, body)
  local answered_at = now_us()
  local took = string.find(body, "TAKER", 1, true) and 1 or 0
  lines[#lines + 1] = string.format("%.1f %.1f %d %d", sent_at, answered_at, status, took)
  if #lines >= share then
    local out = assert(io.open(data.results .. "." .. thread_index, "w"))
    out:write(table.concat(lines, "\n"), "\n")
    out:close()
    io.write("finished\n")
    io.flush()
    wrk.thread:stop()
  end
end
