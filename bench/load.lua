-- wrk script for bench/load.py: each request a random path from the file named by
-- LOAD_PATHS (one a line, repeated by weight: home, list pages, notes, categories, tags,
-- archive, series, feeds, searches, sitemaps), asking for gzip as browsers do. Counts every
-- answer other than 200 (wrk's own "Non-2xx or 3xx" leaves 3xx out) and prints one JSON line.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("LOAD_PATHS")) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  math.randomseed(id * 7919 + os.time())
  non200 = 0
  statuses = ""
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], { ["Accept-Encoding"] = "gzip" })
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if #statuses < 2000 then
      statuses = statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local non200_total, statuses_all = 0, ""
  for _, thread in ipairs(threads) do
    non200_total = non200_total + thread:get("non200")
    statuses_all = statuses_all .. thread:get("statuses")
  end
  local errors = summary.errors
  io.write(string.format(
    'LOAD-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "status_errors": %d, ' ..
    '"non200": %d, "non200_statuses": "%s", "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.timeout, errors.status, non200_total, statuses_all,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
