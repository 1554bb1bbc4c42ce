-- wrk script: PATCH (or GET) one random user's password or ticket per request, or (LOGIN)
-- log in with a random user's password, or (OATH) log in with a TOTP code of the OATH
-- credential of users o0, o1, ..., each twice.
-- Settings come from the environment (bench/run sets them): BENCH_METHOD
-- (PATCH|GET|LOGIN|OATH), BENCH_TOKEN, BENCH_CLIENTS, BENCH_USERS, BENCH_RUN (a tag that
-- makes comments unique); for OATH, BENCH_THREADS (wrk's), BENCH_OATH_USERS (per client)
-- and BENCH_OTP ("step:code,..." for the time steps of the run: every o-user has the same
-- secret).
-- Every PATCH sets a modificationComment no earlier request used, so every PATCH really
-- writes (a PATCH that changes nothing skips the write by design).

local method = os.getenv("BENCH_METHOD") or "PATCH"
local token = os.getenv("BENCH_TOKEN") or ""
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "10")
local users = tonumber(os.getenv("BENCH_USERS") or "10000")
local run = os.getenv("BENCH_RUN") or "run"
local base = "/nevisidm/api/core/v1/bench-c"
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local oath_users = tonumber(os.getenv("BENCH_OATH_USERS") or "0")
local otp = {}
for step, code in string.gmatch(os.getenv("BENCH_OTP") or "", "(%d+):(%d+)") do
    otp[tonumber(step)] = code
end

local next_thread = 0
local all_threads = {}
function setup(thread)
    thread:set("tid", next_thread)
    next_thread = next_thread + 1
    table.insert(all_threads, thread)
end

-- Logins count the answers that logged in (statusCode 5); only they read the body.
logged_in = 0
if method == "LOGIN" or method == "OATH" then
    function response(status, headers, body)
        if status == 200 and body:find('"statusCode":5', 1, true) then
            logged_in = logged_in + 1
        end
    end
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
    if method == "LOGIN" then
        -- The password login with the right password (bench/run activates the passwords).
        local c = math.random(0, clients - 1)
        local path = "/nevisidm/api/auth/v1/bench-c" .. c .. "/users/u" .. math.random(0, users - 1) .. "/password/login"
        return wrk.format("POST", path, headers, '{"password":"Bench-Passw0rd-' .. c .. '"}')
    end
    if method == "OATH" then
        -- Thread tid takes the logins tid, tid + threads, ...: every user once with the
        -- code of the time step now, then every user once more with the code of the next
        -- step (accepted too, and after the first). A code is never sent twice; once the
        -- users run out, bench/run sees failed logins and says so.
        local total = clients * oath_users
        local n = tid + (counter - 1) * threads
        local c = n % clients
        local path = "/nevisidm/api/auth/v1/bench-c" .. c .. "/users/o" .. math.floor((n % total) / clients) .. "/oath-credentials/ot/login"
        local code = otp[math.floor(os.time() / 30) + math.floor(n / total)] or "000000"
        return wrk.format("POST", path, headers, '{"code":"' .. code .. '"}')
    end
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
-- non-2xx responses, socket errors, answers that logged in.
function done(summary, latency, requests)
    local e = summary.errors
    local logins = 0
    for _, thread in ipairs(all_threads) do
        logins = logins + (thread:get("logged_in") or 0)
    end
    io.write(string.format("RESULT %d %d %.0f %.0f %d %d %d\n", summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout,
        logins))
end
