-- (e) 90 % GET own profile, 10 % login, chosen at random per request on every connection.
-- GET and login latencies are reported apart (see common.lua for how).
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers
local LOGIN_SHARE = 0.10

function init(args)
  common.seed_random()
  common.set_flavour(args)
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  local customer = common.pick(customers)
  if math.random() < LOGIN_SHARE then
    return common.login(customer)
  end
  return common.get_profile(customer)
end
