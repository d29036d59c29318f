-- (a) An authenticated customer reads its own profile: GET /customers/{reference}.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers

function init(args)
  common.seed_random()
  common.set_flavour(args)
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  return common.get_profile(common.pick(customers))
end
