-- Shared by every scenario: the seeded-customer file, per-request timing by kind, and a JSON
-- report printed from done().
--
-- Each wrk thread drives exactly one connection (the runner passes -t equal to -c), so within a
-- thread request() and response() strictly alternate and the latency of every request can be
-- attributed to its kind. That is how the mixed scenario reports GET and login latencies apart.
-- The interval timed here is the one wrk times itself: from handing the request to the socket
-- until the whole response has been parsed.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local common = {}

common.PASSWORD = "Bench-Passw0rd-Correct-Horse"
common.JSON_API = "application/vnd.api+json"

function common.now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

-- Main-state bookkeeping: setup() runs once per thread before it starts.
local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

-- Thread-state bookkeeping, in globals so that done() can read them with thread:get(). wrk can
-- only copy flat tables between threads (nested ones crash it), hence one array per kind.
common.KINDS = { "get", "login", "register", "patch" }
for _, kind in ipairs(common.KINDS) do
  _G["bench_samples_" .. kind] = {}
  _G["bench_failed_" .. kind] = 0
end
bench_first_failure = nil
local pending_kind = nil
local started_at = 0

-- The seeded customers this thread uses: every n-th line of "id reference email token".
function common.load_customers(path, threads_total)
  local customers = {}
  local index = 0
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if index % threads_total == (thread_id - 1) % threads_total then
      local id, reference, email, token = line:match("^(%S+) (%S+) (%S+) (%S+)$")
      table.insert(customers, { id = id, reference = reference, email = email, token = token })
    end
    index = index + 1
  end
  file:close()
  assert(#customers > 0, "no customers for thread " .. thread_id)
  return customers
end

function common.pick(list)
  return list[math.random(#list)]
end

function common.seed_random()
  math.randomseed(thread_id * 7919 + os.time())
end

-- Call as the last step of request(): starts the clock for this kind of request.
function common.timed(kind, request_text)
  pending_kind = kind
  started_at = common.now_us()
  return request_text
end

function response(status, headers, body)
  local kind = pending_kind
  if kind == nil then
    return
  end
  local samples = _G["bench_samples_" .. kind]
  samples[#samples + 1] = common.now_us() - started_at
  if status >= 400 then
    _G["bench_failed_" .. kind] = _G["bench_failed_" .. kind] + 1
    if bench_first_failure == nil then
      bench_first_failure = kind .. " " .. status .. " " .. string.sub(body or "", 1, 300)
    end
  end
  pending_kind = nil
end

-- Request builders shared by the scenarios.

-- The flavour (third script argument) picks the wire format: "service" (this service's JSON:API)
-- or "peer" (fastapi-users: /users/me, a form login, /auth/register).
common.flavour = "service"

function common.set_flavour(args)
  common.flavour = args[3] or "service"
  assert(common.flavour == "service" or common.flavour == "peer", "unknown flavour " .. common.flavour)
end

function common.get_profile(customer)
  if common.flavour == "peer" then
    return common.timed(
      "get",
      wrk.format("GET", "/users/me", { ["Authorization"] = "Bearer " .. customer.token })
    )
  end
  return common.timed(
    "get",
    wrk.format("GET", "/customers/" .. customer.reference, {
      ["Authorization"] = "Bearer " .. customer.token,
      ["Accept"] = common.JSON_API,
    })
  )
end

local function form_escape(text)
  return (text:gsub("[^%w%-%._~]", function(char)
    return string.format("%%%02X", string.byte(char))
  end))
end

function common.login(customer)
  if common.flavour == "peer" then
    local form = "username=" .. form_escape(customer.email) .. "&password=" .. form_escape(common.PASSWORD)
    return common.timed(
      "login",
      wrk.format("POST", "/auth/jwt/login", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, form)
    )
  end
  local body = '{"data":{"type":"access-tokens","attributes":{"username":"'
    .. customer.email
    .. '","password":"'
    .. common.PASSWORD
    .. '"}}}'
  return common.timed(
    "login",
    wrk.format("POST", "/access-tokens", {
      ["Content-Type"] = common.JSON_API,
      ["Accept"] = common.JSON_API,
    }, body)
  )
end

function common.register(email)
  if common.flavour == "peer" then
    local body = '{"email":"' .. email .. '","password":"' .. common.PASSWORD .. '",'
      .. '"first_name":"Bench","last_name":"Registration"}'
    return common.timed(
      "register",
      wrk.format("POST", "/auth/register", { ["Content-Type"] = "application/json" }, body)
    )
  end
  local body = '{"data":{"type":"customers","attributes":{'
    .. '"salutation":"Ms","firstName":"Bench","lastName":"Registration",'
    .. '"email":"' .. email .. '",'
    .. '"password":"' .. common.PASSWORD .. '","confirmPassword":"' .. common.PASSWORD .. '",'
    .. '"acceptedTerms":true}}}'
  return common.timed(
    "register",
    wrk.format("POST", "/customers", {
      ["Content-Type"] = common.JSON_API,
      ["Accept"] = common.JSON_API,
    }, body)
  )
end

function common.patch_profile(customer, first_name)
  if common.flavour == "peer" then
    return common.timed(
      "patch",
      wrk.format("PATCH", "/users/me", {
        ["Authorization"] = "Bearer " .. customer.token,
        ["Content-Type"] = "application/json",
      }, '{"first_name":"' .. first_name .. '"}')
    )
  end
  local body = '{"data":{"type":"customers","id":"' .. customer.reference .. '",'
    .. '"attributes":{"firstName":"' .. first_name .. '"}}}'
  return common.timed(
    "patch",
    wrk.format("PATCH", "/customers/" .. customer.reference, {
      ["Authorization"] = "Bearer " .. customer.token,
      ["Content-Type"] = common.JSON_API,
      ["Accept"] = common.JSON_API,
    }, body)
  )
end

local function percentile(sorted, fraction)
  if #sorted == 0 then
    return nil
  end
  local rank = math.max(1, math.ceil(fraction * #sorted))
  return sorted[rank]
end

local function json_value(value)
  if value == nil then
    return "null"
  elseif type(value) == "number" then
    return string.format("%.3f", value)
  elseif type(value) == "string" then
    return '"' .. value:gsub('[%c"\\]', function(char)
      return string.format("\\u%04x", string.byte(char))
    end) .. '"'
  end
  local parts = {}
  for key, item in pairs(value) do
    parts[#parts + 1] = json_value(tostring(key)) .. ":" .. json_value(item)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local kinds = {}
  local first_failure = nil
  for _, kind in ipairs(common.KINDS) do
    local merged = {}
    local failed = 0
    for _, thread in ipairs(threads) do
      local samples = thread:get("bench_samples_" .. kind)
      for i = 1, #samples do
        merged[#merged + 1] = samples[i]
      end
      failed = failed + thread:get("bench_failed_" .. kind)
      first_failure = first_failure or thread:get("bench_first_failure")
    end
    if #merged > 0 then
      table.sort(merged)
      kinds[kind] = {
        requests = #merged,
        rate = #merged / seconds,
        p50_ms = percentile(merged, 0.50) / 1000,
        p99_ms = percentile(merged, 0.99) / 1000,
        failed = failed,
      }
    end
  end
  local errors = summary.errors
  local report = {
    duration_s = seconds,
    requests = summary.requests,
    rate = summary.requests / seconds,
    socket_errors = errors.connect + errors.read + errors.write + errors.timeout,
    status_errors = errors.status,
    wrk_p50_ms = latency:percentile(50) / 1000,
    wrk_p99_ms = latency:percentile(99) / 1000,
    kinds = kinds,
    first_failure = first_failure,
  }
  io.write("BENCH_RESULT " .. json_value(report) .. "\n")
end

return common
