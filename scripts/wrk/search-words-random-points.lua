-- wrk script: searches with words and two filters ("gardening", low cost, aged 72; 2 km, 20
-- results, ranked) from random points over the synthetic data's extent (longitude -3.0..-1.9,
-- latitude 53.2..53.7). Seeded (42, or the first argument after `--`).
-- wrk -t2 -c32 -d10s -s scripts/wrk/search-words-random-points.lua http://127.0.0.1:18900 [-- SEED]
init = function(args)
  math.randomseed(tonumber(args[1] or "42"))
end
request = function()
  local lon = -3.0 + math.random() * 1.1
  local lat = 53.2 + math.random() * 0.5
  return wrk.format("GET", string.format("/search?lon=%.6f&lat=%.6f&radius=2000&limit=20&q=gardening&cost=low&age=72", lon, lat))
end
