-- wrk script: each request asks for one line of a list file, picked at random, put into a path
-- template. Used by scripts/bench-peers.sh so that assetmap and each peer are asked exactly the
-- same random sequence of tiles or boxes.
--
--   wrk -t2 -c32 -d15s -s scripts/wrk/pick.lua http://127.0.0.1:PORT -- LIST TEMPLATE
--
-- LIST: a file of lines of space-separated fields. TEMPLATE: a path where {1}, {2}, … stand for
-- a line's fields, e.g. "/collections/assets/tiles/WebMercatorQuad/{1}/{3}/{2}" for lines
-- "z x y". Each wrk thread draws from its own generator, seeded 42 + its number, so every run
-- with the same list and thread count asks the same sequence.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", 42 + counter)
  table.insert(threads, thread)
end

local paths = {}

function init(args)
  local list, template = args[1], args[2]
  if list == nil or template == nil then
    error("usage: wrk … -s pick.lua URL -- LIST TEMPLATE")
  end
  for line in io.lines(list) do
    local fields = {}
    for field in line:gmatch("%S+") do
      table.insert(fields, field)
    end
    if #fields > 0 then
      local path = template:gsub("{(%d+)}", function(i) return fields[tonumber(i)] end)
      table.insert(paths, path)
    end
  end
  if #paths == 0 then
    error("pick.lua: no lines in " .. list)
  end
  math.randomseed(seed or 42)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

-- Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses").
