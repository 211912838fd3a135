"""The wrk Lua scripts, written to a scratch folder for each run.

Every script counts non-2xx answers itself (wrk's own status count only sees
4xx and 5xx) and prints one `BENCH_JSON {...}` line from `done`, so the
harness never parses wrk's human-readable report.
"""

from pathlib import Path
from typing import Final

RESULT_PREFIX: Final = "BENCH_JSON "

_COMMON: Final = """
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

non2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %.0f, "duration_us": %.0f, "non2xx": %.0f, "connect": %.0f, '
    .. '"read": %.0f, "write": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f, '
    .. '"max_us": %.0f}\\n',
    "@PREFIX@", summary.requests, summary.duration, bad, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""

# Random existing ids, read from the file named by the first script argument.
_USERS: Final = """
local ids = {}

function init(args)
  math.randomseed(os.time() * 100 + thread_number)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
end

function request()
  return wrk.format(nil, "/users/" .. ids[math.random(#ids)])
end
"""

# A static request: wrk builds it once per thread after `init`, with the token set here.
_CREATE_POST: Final = """
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.body = args[2]
end
"""


def write_scripts(folder: Path) -> dict[str, Path]:
    """Write the three scripts; the keys are what `benchmarks.routes` refers to them by."""
    common = _COMMON.replace("@PREFIX@", RESULT_PREFIX)
    scripts = {"plain": common, "users": common + _USERS, "create_post": common + _CREATE_POST}
    paths = {}
    for name, text in scripts.items():
        path = folder / f"{name}.lua"
        path.write_text(text)
        paths[name] = path
    return paths
