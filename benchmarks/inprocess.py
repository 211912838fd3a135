"""`python -m benchmarks.inprocess`: one benchmark route, driven through the app in process.

    python -m benchmarks.inprocess log-in USERNAME
    python -m benchmarks.inprocess drive TARGET ROUTE COUNT [--token T] [--user-ids FILE]

`log-in` prints a token from the service's own POST /auth/token. `drive`
builds TARGET's app as its server would, runs its lifespan, warms it up,
then sends COUNT requests of ROUTE (a name from `benchmarks.routes`) from 32
concurrent callers, on uvloop as the servers run. Every answer must be a
2xx: any other stops the run with exit status 1, so that a fast 401 or 404
is never counted as a request served. `benchmarks.instructions` runs `drive`
under callgrind; the settings come from the environment, as the servers'.
"""

import argparse
import asyncio
import json
import logging.config
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import uvloop

from benchmarks import asgi, routes
from infrastructure.seeding import SEED_PASSWORD

CALLERS: Final = 32
"""As many as wrk's connections in the benchmark."""
WARMUP: Final = 2 * CALLERS
SERVICE: Final = "service"
FASTAPI: Final = "fastapi"
"""The ladder's FastAPI rung (`benchmarks.ladder.FASTAPI`), which serves GET /users/{id} alone."""

_DISTINCT_USERS: Final = 1_000
"""More users than one run reads, and fewer requests to build at start-up under callgrind."""
EXIT_NOT_2XX: Final = 1


class Not2xxError(RuntimeError):
    """An answer that was not a 2xx: the run measures nothing."""


def _service() -> asgi.App:
    """The app as `serve` builds it: logging configured from the settings, `create_app`,
    then the collector settled."""
    # Imported here: each target's modules only in the process that drives it.
    from infrastructure.container import build_container  # noqa: PLC0415
    from interfaces.http.app import create_app  # noqa: PLC0415
    from interfaces.http.serving import settle_garbage_collector  # noqa: PLC0415

    logging.config.dictConfig(build_container().logging_config())
    app = create_app()
    settle_garbage_collector()
    return app


def _fastapi() -> asgi.App:
    """uvicorn's factory for the rung, which settles the collector itself."""
    from benchmarks.ladder_apps import fastapi_app  # noqa: PLC0415

    return fastapi_app()


TARGETS: Final[dict[str, Callable[[], asgi.App]]] = {SERVICE: _service, FASTAPI: _fastapi}


def requests_of(route: routes.Route, token: str, user_ids: Sequence[int]) -> list[asgi.Request]:
    """What wrk sends on `route`; GET /users/{id} takes `user_ids` in turn where wrk picks
    them at random, so that two runs send the same requests."""
    if route is routes.USER:
        return [asgi.Request("GET", f"{route.path}{user_id}") for user_id in user_ids]
    if route is routes.CREATE:
        headers = (
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        )
        return [asgi.Request("POST", route.path, headers, routes.POST_BODY.encode())]
    return [asgi.Request("GET", route.path)]


async def load(
    app: asgi.App, requests: Sequence[asgi.Request], count: int, state: dict[str, Any]
) -> None:
    """`count` requests from CALLERS callers at once, each answer checked to be a 2xx."""
    if count % CALLERS:
        raise ValueError(f"{count} requests do not split evenly between {CALLERS} callers")

    async def caller(first: int) -> None:
        for index in range(first, count, CALLERS):
            request = requests[index % len(requests)]
            response = await asgi.call(app, request, state)
            if not 200 <= response.status < 300:  # noqa: PLR2004
                raise Not2xxError(
                    f"{request.method} {request.target} answered {response.status}, not 2xx: "
                    f"{bytes(response.body[:500]).decode(errors='replace')}"
                )

    async with asyncio.TaskGroup() as group:
        for first in range(CALLERS):
            group.create_task(caller(first))


async def drive(
    target: str, route: routes.Route, count: int, token: str, user_ids: Sequence[int]
) -> None:
    """The warm-up, from the same callers, grows the pool as the load will and does the first
    calls' one-off work (prepared statements, caches) before the `count` requests."""
    app = TARGETS[target]()
    requests = requests_of(route, token, user_ids[:_DISTINCT_USERS])
    async with asgi.Lifespan(app) as lifespan:
        await load(app, requests, WARMUP, lifespan.state)
        await load(app, requests, count, lifespan.state)


async def log_in(username: str) -> str:
    """A token from the service's POST /auth/token, with the form `routes.log_in` sends."""
    app = _service()
    form = urllib.parse.urlencode({"username": username, "password": SEED_PASSWORD})
    headers = ((b"content-type", b"application/x-www-form-urlencoded"),)
    request = asgi.Request("POST", "/auth/token", headers, form.encode())
    async with asgi.Lifespan(app) as lifespan:
        response = await asgi.call(app, request, lifespan.state)
    if response.status != 200:  # noqa: PLR2004
        raise Not2xxError(f"POST /auth/token answered {response.status}: {response.body[:500]!r}")
    token: str = json.loads(response.body)["access_token"]
    return token


def _user_ids(path: Path | None) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path else []


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    log_in_command = commands.add_parser("log-in", help="Print a token from POST /auth/token.")
    log_in_command.add_argument("username")
    drive_command = commands.add_parser("drive", help="Send COUNT requests of ROUTE to TARGET.")
    drive_command.add_argument("target", choices=sorted(TARGETS))
    drive_command.add_argument("route", choices=[route.name for route in routes.ROUTES])
    drive_command.add_argument("count", type=int)
    drive_command.add_argument("--token", default="", help="Bearer token for POST /posts/.")
    drive_command.add_argument(
        "--user-ids", type=Path, help="Ids for GET /users/{id}, one a line (existing users)."
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    status = 0
    try:
        if arguments.command == "log-in":
            print(uvloop.run(log_in(arguments.username)))
        else:
            route = next(route for route in routes.ROUTES if route.name == arguments.route)
            user_ids = _user_ids(arguments.user_ids)
            if route is routes.USER and not user_ids:
                _parser().error(f"{route.name} needs --user-ids")
            uvloop.run(drive(arguments.target, route, arguments.count, arguments.token, user_ids))
    except* Not2xxError as failed:
        # Callers that met a non-2xx before the others were cancelled: the first says it.
        others = len(failed.exceptions) - 1
        also = f" (and {others} other callers' answers)" if others else ""
        print(f"Not measured: {failed.exceptions[0]}{also}", file=sys.stderr)
        status = EXIT_NOT_2XX
    return status


if __name__ == "__main__":
    raise SystemExit(main())
