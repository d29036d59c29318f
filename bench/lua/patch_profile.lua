-- (d) An authenticated customer changes its own first name: PATCH /customers/{reference}.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers
local counter = 0

function init(args)
  common.seed_random()
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  local customer = common.pick(customers)
  counter = counter + 1
  local body = '{"data":{"type":"customers","id":"' .. customer.reference .. '",'
    .. '"attributes":{"firstName":"Patched ' .. thread_id .. "-" .. counter .. '"}}}'
  return common.timed(
    "patch",
    wrk.format("PATCH", "/customers/" .. customer.reference, {
      ["Authorization"] = "Bearer " .. customer.token,
      ["Content-Type"] = common.JSON_API,
      ["Accept"] = common.JSON_API,
    }, body)
  )
end
