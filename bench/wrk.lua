-- wrk script of the bench's writes: wrk ... -s bench/wrk.lua URL -- MODE FILES
--   create PRODUCTS CLIENTS   POST /api/v1/orders/: 3 random products, 10 % off
--   confirm ORDERS THREADS    POST /api/v1/orders/{id}/confirm/, each id once
-- (reads use bench/wrk_get.lua, which leaves wrk's fast static path alone).
-- done() prints one line "BENCH_JSON {...}" that bench/bench.py reads.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local function read_ids(path)
  local ids = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(ids, tonumber(line)) end
  end
  return ids
end

function init(args)
  mode = args[1]
  statuses = {}
  -- wrk.format replaces wrk.headers (the -H ones) when given headers: merge.
  json_headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do json_headers[name] = value end
  if mode == "create" then
    products = read_ids(args[2])
    clients = read_ids(args[3])
    math.randomseed(1000 + tid)
  elseif mode == "confirm" then
    orders = read_ids(args[2])
    nthreads = tonumber(args[3])
    next_index = tid + 1
  end
end

function request()
  if mode == "create" then
    local n = #products
    local a = math.random(n)
    local b = math.random(n - 1); if b >= a then b = b + 1 end
    local c = math.random(n)
    while c == a or c == b do c = math.random(n) end
    local body = string.format(
      '{"client": %d, "lines": [{"product": %d, "quantity": 1}, ' ..
      '{"product": %d, "quantity": 1}, {"product": %d, "quantity": 1}], ' ..
      '"discount": {"kind": "percent", "value": "10.00", "reason": "Bench"}}',
      clients[math.random(#clients)], products[a], products[b], products[c])
    return wrk.format("POST", "/api/v1/orders/", json_headers, body)
  elseif mode == "confirm" then
    local id = orders[next_index]
    next_index = next_index + nthreads
    if id == nil then id = 0 end  -- the pool is used up: a 404, counted apart
    return wrk.format("POST", "/api/v1/orders/" .. id .. "/confirm/", nil, nil)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,' ..
    ' "max_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d,' ..
    ' "timeouts": %d, "non_2xx": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, table.concat(parts, ", ")))
end
