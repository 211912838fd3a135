"""GET /metrics: what Prometheus scrapes, by route template, with the pool, across workers."""

import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import libpq_url
from tests.support.accounts import sign_up
from tests.support.live_server import serving


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(text: str, name: str, **labels: str) -> float:
    return _samples(text).get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_and_status_class(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    for user_id in (account.id, 987654, 123456):
        await client.get(f"/users/{user_id}")
    await client.get("/no/such/path")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = "/users/{user_id}"
    assert _value(text, "http_requests_total", method="GET", route=route, status_class="2xx") == 1
    assert _value(text, "http_requests_total", method="GET", route=route, status_class="4xx") == 2
    assert (
        _value(text, "http_requests_total", method="GET", route="unmatched", status_class="4xx")
        == 1
    )
    assert _value(text, "http_request_duration_seconds_count", method="GET", route=route) == 3
    assert "987654" not in text, "ids never become labels"
    assert _value(text, "http_requests_in_flight") == 1, "the scrape itself is in flight"


@pytest.mark.postgres
async def test_the_pool_is_reported(pg_client: httpx.AsyncClient) -> None:
    await pg_client.get("/users/")

    text = (await pg_client.get("/metrics")).text

    assert _value(text, "db_pool_size") >= 1
    assert _value(text, "db_pool_checked_out") == 0
    assert _value(text, "db_pool_overflow") == 0


async def test_the_memory_adapter_reports_no_pool(memory_client: httpx.AsyncClient) -> None:
    text = (await memory_client.get("/metrics")).text

    assert not re.search(r"^db_pool_size \d", text, flags=re.MULTILINE)


@pytest.mark.postgres
def test_several_workers_report_one_total(database_url: str) -> None:
    """Each scrape lands on one worker, but counts what all of them served."""
    # On PostgreSQL: `serve` refuses several workers on the in-memory adapter.
    with serving("--workers", "2", DATABASE_URL=libpq_url(database_url)) as (base_url, _):
        client = httpx.Client(base_url=base_url)
        with client:
            for _ in range(30):
                assert client.get("/health/live").status_code == 200
            totals = {
                _value(
                    client.get("/metrics").text,
                    "http_requests_total",
                    method="GET",
                    route="/health/live",
                    status_class="2xx",
                )
                for _ in range(6)
            }

    assert totals == {30.0}
