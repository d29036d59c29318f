-- (c) Registration: POST /customers (one argon2id hash each). Every request needs a new e-mail:
-- thread id, a per-thread counter and a random run tag make it unique across threads and runs.
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")
local counter = 0
local run_tag

function init(args)
  common.seed_random()
  common.set_flavour(args)
  run_tag = string.format("%08x", math.random(0, 0x7fffffff))
end

function request()
  counter = counter + 1
  return common.register(string.format("bench-%s-t%d-%d@example.com", run_tag, thread_id, counter))
end
