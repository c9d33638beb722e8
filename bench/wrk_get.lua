-- wrk script of the bench's reads: only a summary line for bench/bench.py.
-- No request() or response(): wrk keeps its static, fastest path.

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d,' ..
    ' "max_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d,' ..
    ' "timeouts": %d, "non_2xx": %d, "statuses": {}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
