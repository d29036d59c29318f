-- (B) The ceiling for (a): the bare endpoint reads one customer by primary key.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers

function init(args)
  common.seed_random()
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  local customer = common.pick(customers)
  return common.timed(
    "get",
    wrk.format("GET", "/customers/" .. customer.id, { ["Accept"] = "application/json" })
  )
end
