"""`serve` on a DATABASE_URL nothing answers: it says so at start-up, once in the log, and in
/health/ready, and serves all the same."""

from pathlib import Path

import httpx

from tests.support.live_server import free_port, serving_with_output

PASSWORD = "not-to-be-logged"


def test_serve_says_once_why_the_database_cannot_be_reached(tmp_path: Path) -> None:
    closed_port = free_port()
    output = tmp_path / "serve.log"
    with serving_with_output(
        output,
        DATABASE_URL=f"postgresql://postgres:{PASSWORD}@127.0.0.1:{closed_port}/app",
        DB_POOL_TIMEOUT="1",
    ) as (base_url, _):
        ready = httpx.get(f"{base_url}/health/ready", timeout=10)
        users = [httpx.get(f"{base_url}/users/1", timeout=10) for _ in range(3)]
    logged = output.read_text()
    lines = logged.splitlines()

    assert ready.status_code == 503
    detail = ready.json()["detail"]
    assert "the database is unreachable" in detail
    assert "Connection refused" in detail
    assert "revision" not in detail
    assert [response.status_code for response in users] == [503, 503, 503]

    startup = [line for line in lines if line.startswith("Warning: the database cannot be reached")]
    assert len(startup) == 1, logged
    assert f"port {closed_port} failed: Connection refused" in startup[0]
    assert logged.index(startup[0]) < logged.index("Serving on")

    outage = [line for line in lines if "WARNING" in line and "is unreachable" in line]
    assert len(outage) == 1, logged
    assert "Connection refused" in outage[0]
    assert "error connecting in" not in logged  # psycopg_pool's line per attempt
    assert PASSWORD not in logged
