-- wrk script: POST /suggestions as fast as the connections allow, from one address, and count
-- the answers by status (printed at the end). Used by scripts/load-suggestion-flood.sh.
-- ASSET: the id of a listed place (set through the environment by the script).
local asset = os.getenv("ASSET") or "unknown"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"change","asset":"' .. asset .. '","note":"The group now meets on Tuesday evenings at 7pm."}'

local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        local s = t:get("statuses")
        for status, n in pairs(s) do
            total[status] = (total[status] or 0) + n
        end
    end
    for status, n in pairs(total) do
        io.write(string.format("flood status %d: %d\n", status, n))
    end
end
