"""Log forging: a client writing lines of its own into the service's log.

The attack: a request to a path with `%0a` in it. The access line logs the
path, and the console format printed it as it came, so what followed the
line feed read as a record of its own (a forged `INFO ... 200`, say); `%1b`
sent escape sequences to the operator's terminal. Now every record is one
line, in both formats.
"""

import io
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest

from infrastructure.observability.logging import ConsoleFormatter, JsonFormatter, RequestIdFilter

FORGED = "2030-01-01 00:00:00,000 INFO    interfaces.http.access GET /admin 200"

HOSTILE_PATHS = {
    "line feed": f"/users/%0a{FORGED}",
    "carriage return and line feed": f"/posts/%0d%0a{FORGED}",
    "terminal escape": "/users/%1b[2J%1b[31mred",
    "next line (C1)": f"/users/%c2%85{FORGED}",
    "line separator": f"/users/%e2%80%a8{FORGED}",
}


@pytest.fixture(params=[ConsoleFormatter, JsonFormatter], ids=["console", "json"])
def log_output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The access log, written by the formatter a LOG_FORMAT picks, into a string."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(request.param())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("interfaces.http.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield output
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("path", HOSTILE_PATHS.values(), ids=HOSTILE_PATHS.keys())
async def test_a_path_with_control_characters_cannot_forge_a_log_line(
    client: httpx.AsyncClient, log_output: io.StringIO, path: str
) -> None:
    response = await client.get(path, headers={"X-Request-ID": "forging-1"})
    assert response.status_code in {404, 422}

    lines = log_output.getvalue().splitlines()
    (line,) = lines  # one request, one record, one line
    assert "forging-1" in line
    assert "\x1b" not in line
    assert not any(later.startswith("2030-") for later in lines)


def test_a_traceback_keeps_its_lines_and_loses_its_escape_sequences() -> None:
    try:
        raise ValueError("bad \x1b[31m input")
    except ValueError:
        failure = sys.exc_info()
    record = logging.LogRecord(
        "app", logging.ERROR, __file__, 1, "failed at %s", ("/x\ny",), failure
    )

    lines = ConsoleFormatter().format(record).splitlines()

    assert lines[0].endswith("failed at /x\\ny")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: bad \\u001b[31m input"
