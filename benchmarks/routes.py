"""The three measured routes, and how each target is driven on them."""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import IO, Final

import jwt

from benchmarks.database import BENCHMARK_TITLE
from benchmarks.wrk import Job
from infrastructure.seeding import SEED_PASSWORD

POST_BODY: Final = json.dumps(
    {"title": BENCHMARK_TITLE, "content": "Written by the benchmark, deleted by its next run."}
)
_TOKEN_LIFETIME: Final = timedelta(hours=2)
_REQUEST_TIMEOUT_SECONDS: Final = 10


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a 3xx as it is: wrk does not follow redirects, so the check must not either."""

    def redirect_request(  # noqa: PLR0917 - the signature is the base class's
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    path: str
    """What wrk asks for; GET /users/{id} replaces it with random ids."""
    script: str
    """The key of its Lua script in `benchmarks.lua.write_scripts`."""


USER: Final = Route("GET /users/{id}", "/users/", "users")
LIST: Final = Route("GET /posts/?limit=20", "/posts/?limit=20", "plain")
CREATE: Final = Route("POST /posts/", "/posts/", "create_post")
ROUTES: Final = (USER, LIST, CREATE)


@dataclass(frozen=True, slots=True)
class Target:
    """A server under test and the bearer token it accepts."""

    name: str
    base_url: str
    token: str


def job(route: Route, target: Target, scripts: dict[str, Path], ids_file: Path) -> Job:
    arguments: tuple[str, ...] = ()
    if route is USER:
        arguments = (str(ids_file),)
    elif route is CREATE:
        arguments = (target.token, POST_BODY)
    return Job(
        url=target.base_url + route.path, script=scripts[route.script], script_args=arguments
    )


def log_in(base_url: str, username: str) -> str:
    """A token from the service's own POST /auth/token, as a client would get one."""
    form = urllib.parse.urlencode({"username": username, "password": SEED_PASSWORD}).encode()
    request = urllib.request.Request(base_url + "/auth/token", data=form, method="POST")  # noqa: S310 - loopback http
    with urllib.request.urlopen(request, timeout=_REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
        token: str = json.load(response)["access_token"]
        return token


def sign_token(user_id: int, secret: str, algorithm: str) -> str:
    """The floor's token, signed directly with the secret both servers share."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + _TOKEN_LIFETIME}
    return jwt.encode(claims, secret, algorithm=algorithm)


def check(route: Route, target: Target, user_id: int) -> None:
    """Send one request as wrk will, and refuse to measure a route that does not answer 2xx.

    A redirect or a 401 under load would be fast and look like a win.
    """
    url = target.base_url + (f"/users/{user_id}" if route is USER else route.path)
    request = urllib.request.Request(url)  # noqa: S310 - loopback http
    if route is CREATE:
        request = urllib.request.Request(  # noqa: S310 - loopback http
            url,
            data=POST_BODY.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {target.token}"},
        )
    try:
        with _OPENER.open(request, timeout=_REQUEST_TIMEOUT_SECONDS) as response:
            status: int = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if not 200 <= status < 300:  # noqa: PLR2004
        raise RuntimeError(f"{route.name} on the {target.name} answered {status}, not 2xx")
