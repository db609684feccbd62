-- wrk script: searches from random points over the synthetic data's extent (longitude
-- -3.0..-1.9, latitude 53.2..53.7): nearest first (50 km, 20 results), or with the query given
-- as the second argument after `--`. Seeded (42, or the first argument), so that every run asks
-- the same sequence.
-- wrk -t2 -c32 -d10s -s scripts/wrk/search-random-points.lua http://127.0.0.1:18900 [-- SEED [QUERY]]
-- e.g. words and two filters: -- 42 'radius=2000&limit=20&q=gardening&cost=low&age=72'
local query = "sort=distance&radius=50000&limit=20"
init = function(args)
  math.randomseed(tonumber(args[1] or "42"))
  query = args[2] or query
end
request = function()
  local lon = -3.0 + math.random() * 1.1
  local lat = 53.2 + math.random() * 0.5
  return wrk.format("GET", string.format("/search?lon=%.6f&lat=%.6f&%s", lon, lat, query))
end
