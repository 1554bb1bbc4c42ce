-- wrk script: PATCH (or GET) one random user's password or ticket per request.
-- Settings come from the environment (bench/run sets them): BENCH_METHOD (PATCH|GET),
-- BENCH_TOKEN, BENCH_CLIENTS, BENCH_USERS, BENCH_RUN (a tag that makes comments unique).
-- Every PATCH sets a modificationComment no earlier request used, so every PATCH really
-- writes (a PATCH that changes nothing skips the write by design).

local method = os.getenv("BENCH_METHOD") or "PATCH"
local token = os.getenv("BENCH_TOKEN") or ""
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "10")
local users = tonumber(os.getenv("BENCH_USERS") or "10000")
local run = os.getenv("BENCH_RUN") or "run"
local base = "/nevisidm/api/core/v1/bench-c"

local next_thread = 0
function setup(thread)
    thread:set("tid", next_thread)
    next_thread = next_thread + 1
end

local counter = 0
local headers
function init(args)
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
    headers = {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
    }
end

function request()
    counter = counter + 1
    local kind = "ticket"
    if math.random(0, 1) == 0 then
        kind = "password"
    end
    local path = base .. math.random(0, clients - 1) .. "/users/u" .. math.random(0, users - 1) .. "/" .. kind
    if method == "GET" then
        return wrk.format("GET", path, headers)
    end
    local body = '{"modificationComment":"' .. run .. "-" .. tid .. "-" .. counter .. '"}'
    return wrk.format("PATCH", path, headers, body)
end

-- One machine-readable line for bench/run: requests, duration (us), p50 and p99 (us),
-- non-2xx responses, socket errors.
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %d %.0f %.0f %d %d\n", summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
