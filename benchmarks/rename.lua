-- wrk script: POST /sessions/{id}/rename with real session ids, a valid token and distinct names.
-- Arguments (after --): <file of session ids, one a line> <bearer token>
-- A line may name the session type after the id (`agno-team-000001 team`): it is sent as ?type=.
-- done() prints one line "BENCH_RESULT {json}" that benchmarks/load.py reads.

local threads = {}
local next_thread_number = 0

function setup(thread)
  thread:set("thread_number", next_thread_number)
  next_thread_number = next_thread_number + 1
  table.insert(threads, thread)
end

local ids = {}
local queries = {}
local headers = {}
local counter = 0
-- Names of several scripts and lengths; each request appends its own number, so none repeats.
local prefixes = { "Weekly sync ", "Résumé du projet ", "旅行の計画 ", "Q3 budget review — draft ",
                   "🚀 launch ", "Support ticket #" }

function init(args)
  for line in io.lines(args[1]) do
    local id, session_type = line:match("^(%S+)%s*(%S*)$")
    if id then
      ids[#ids + 1] = id
      queries[#ids] = (session_type ~= "" and ("?type=" .. session_type)) or ""
    end
  end
  headers["Authorization"] = "Bearer " .. args[2]
  headers["Content-Type"] = "application/json"
  counter = thread_number * 7919  -- threads start at different places in the id list
  non_2xx = 0
end

function request()
  counter = counter + 1
  local index = (counter % #ids) + 1
  local name = prefixes[(counter % #prefixes) + 1] .. thread_number .. "-" .. counter
  return wrk.format("POST", "/sessions/" .. ids[index] .. "/rename" .. queries[index], headers,
                    '{"session_name":"' .. name .. '"}')
end

function response(status, response_headers, body)
  if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
end

function done(summary, latency, requests)
  local non_2xx_total = 0
  for _, thread in ipairs(threads) do non_2xx_total = non_2xx_total + thread:get("non_2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, non_2xx_total, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
