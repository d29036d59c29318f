-- (d) An authenticated customer changes its own first name: PATCH /customers/{reference}.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers
local counter = 0

function init(args)
  common.seed_random()
  common.set_flavour(args)
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  counter = counter + 1
  return common.patch_profile(common.pick(customers), "Patched " .. thread_id .. "-" .. counter)
end
