-- wrk script for bench/run.sh: request headers and method from the environment, and one machine-readable summary
-- line at the end (latency percentiles in microseconds). No response() hook: wrk then never copies bodies into Lua.
--   WRK_METHOD         GET (default) or HEAD
--   WRK_AUTHORIZATION  e.g. "Bearer eyJ..." (Wharf's token); unset for an open registry
--   WRK_ACCEPT         the Accept header (manifest media types)
wrk.method = os.getenv("WRK_METHOD") or "GET"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then wrk.headers["Authorization"] = authorization end
local accept = os.getenv("WRK_ACCEPT")
if accept and accept ~= "" then wrk.headers["Accept"] = accept end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
