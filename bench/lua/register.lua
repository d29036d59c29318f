-- (c) Registration: POST /customers (one argon2id hash each). Every request needs a new e-mail:
-- thread id, a per-thread counter and a random run tag make it unique across threads and runs.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local counter = 0
local run_tag

function init(args)
  common.seed_random()
  run_tag = string.format("%08x", math.random(0, 0x7fffffff))
end

function request()
  counter = counter + 1
  local email = string.format("bench-%s-t%d-%d@example.com", run_tag, thread_id, counter)
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
