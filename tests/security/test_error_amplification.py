"""One small request must not buy a large answer: a 422 lists a bounded number of errors."""

import json
import time

import httpx

from tests.support.problems import assert_problem

UNKNOWN_KEYS = 100_000


def _many_unknown_keys() -> bytes:
    """A body just under the 1 MiB limit: 100,000 unknown fields, each its own 422 entry."""
    fields = {f"{n:x}": 0 for n in range(UNKNOWN_KEYS)}
    return json.dumps(fields, separators=(",", ":")).encode()


async def test_a_body_of_100000_unknown_keys_gets_a_short_422(
    client: httpx.AsyncClient,
) -> None:
    body = _many_unknown_keys()
    assert len(body) < 1024 * 1024

    started = time.perf_counter()
    response = await client.post(
        "/users/", content=body, headers={"content-type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    print(f"\n422 for {UNKNOWN_KEYS} unknown keys: {len(response.content)} bytes, {elapsed:.2f} s")

    problem = assert_problem(response, 422)
    listed = len(problem["errors"])
    assert listed == 20
    # The three required fields are missing too.
    assert problem["errors_omitted"] == UNKNOWN_KEYS + 3 - listed
    assert problem["detail"].endswith(f"(and {UNKNOWN_KEYS + 3 - 1} more)")
    assert len(response.content) < 8 * 1024
