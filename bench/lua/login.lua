-- (b) Login with e-mail and password: POST /access-tokens (one argon2id verification each).
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local customers

function init(args)
  common.seed_random()
  common.set_flavour(args)
  customers = common.load_customers(args[1], tonumber(args[2]))
end

function request()
  return common.login(common.pick(customers))
end
