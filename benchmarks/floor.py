"""The floor: the benchmarked routes in bare ASGI on a raw psycopg pool.

It runs the same SQL statements as the service's routes and nothing else, under
the same server (uvicorn, one worker), so the gap between the two is what the
framework, the validation, the middleware, SQLAlchemy and the layers cost.

Each statement runs in autocommit: it is its own transaction, as each of the
service's statements is the only one of its unit of work. The service's extra
round trips (BEGIN, ROLLBACK, the savepoint around INSERT, the pool's pre-ping)
are part of what the benchmark should show, so the floor does not copy them.

Run alone: `DATABASE_URL=postgresql://... python -m benchmarks.floor --port 8001`.
"""

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import jwt
import orjson
import uvicorn
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_ID: Final = 2**63 - 1
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 100
# The service's pool: DB_POOL_SIZE 10, plus DB_MAX_OVERFLOW 20.
POOL_MIN: Final = 10
POOL_MAX: Final = 30

SELECT_USER: Final = (
    "SELECT id, email, username, password_hash, created_at, updated_at FROM users WHERE id = %s"
)
# What PostgresPostRepository.list_authored sends for the first page of GET /posts/.
SELECT_PAGE: Final = (
    "SELECT posts.id, posts.title, posts.content, posts.author_id, posts.created_at, "
    "posts.updated_at, users.username AS author_username "
    "FROM posts JOIN users ON users.id = posts.author_id "
    "ORDER BY posts.created_at DESC, posts.id DESC LIMIT %s OFFSET %s"
)
INSERT_POST: Final = (
    "INSERT INTO posts (title, content, author_id) VALUES (%s, %s, %s) "
    "RETURNING id, title, content, author_id, created_at, updated_at"
)


def libpq_url(url: str) -> str:
    """Accept the service's SQLAlchemy URL too: psycopg wants the plain `postgresql://` form."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in {"postgresql", "postgres", "postgresql+psycopg"}:
        raise ValueError("DATABASE_URL must be a PostgreSQL URL")
    return f"postgresql://{rest}"


class Floor:
    """The ASGI app: three routes, a pool opened at lifespan start, JSON by orjson."""

    def __init__(self, database_url: str, jwt_secret: str, jwt_algorithm: str) -> None:
        self._pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            libpq_url(database_url),
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            kwargs={"autocommit": True},
            open=False,
        )
        self._secret = jwt_secret
        self._algorithm = jwt_algorithm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._route(scope)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._pool.open(wait=True, timeout=30)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _route(self, scope: Scope) -> Handler:
        method, path = scope["method"], scope["path"]
        if path == "/posts/" and method == "GET":
            return self._list_posts
        if path == "/posts/" and method == "POST":
            return self._create_post
        if path.startswith("/users/") and method == "GET":
            return self._get_user
        return _not_found

    async def _get_user(self, scope: Scope, receive: Receive, send: Send) -> None:
        user_id = _positive_id(scope["path"].removeprefix("/users/"))
        if user_id is None:
            await _respond(send, 422, {"detail": "invalid user id"})
            return
        row = await self._fetch_user(user_id)
        if row is None:
            await _respond(send, 404, {"detail": "User not found"})
            return
        await _respond(send, 200, _user_json(row))

    async def _list_posts(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = _query(scope)
        limit = _int_in(query.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
        skip = _int_in(query.get("skip", "0"), 0, MAX_ID)
        if limit is None or skip is None:
            await _respond(send, 422, {"detail": "invalid limit or skip"})
            return
        async with self._pool.connection() as connection:
            # One row more than asked, as the service reads, to know whether a next page exists.
            cursor = await connection.execute(SELECT_PAGE, (limit + 1, skip))
            rows = await cursor.fetchall()
        await _respond(send, 200, [_authored_json(row) for row in rows[:limit]])

    async def _create_post(self, scope: Scope, receive: Receive, send: Send) -> None:
        user_id = self._token_subject(scope)
        author = None if user_id is None else await self._fetch_user(user_id)
        if author is None:
            await _respond(send, 401, {"detail": "Not authenticated"})
            return
        draft = _post_draft(await _read_body(receive))
        if draft is None:
            await _respond(send, 422, {"detail": "title and content are required"})
            return
        async with self._pool.connection() as connection:
            cursor = await connection.execute(INSERT_POST, (*draft, author[0]))
            row = await cursor.fetchone()
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        body = _post_json(row) | {"author": {"id": author[0], "username": author[2]}}
        await _respond(send, 201, body, location=f"/posts/{row[0]}")

    async def _fetch_user(self, user_id: int) -> TupleRow | None:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(SELECT_USER, (user_id,))
            row: TupleRow | None = await cursor.fetchone()
            return row

    def _token_subject(self, scope: Scope) -> int | None:
        """The user id of a valid bearer token, checked as JwtTokenIssuer.user_id_of checks it."""
        header = _header(scope, b"authorization")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": ["sub", "iat", "exp"]},
            )
        except jwt.InvalidTokenError:
            return None
        subject = claims["sub"]
        return _positive_id(subject) if isinstance(subject, str) else None


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await _respond(send, 404, {"detail": "Not Found"})


async def _respond(send: Send, status: int, body: object, *, location: str | None = None) -> None:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if location is not None:
        headers.append((b"location", location.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _post_draft(body: bytes) -> tuple[str, str] | None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    title, content = document.get("title"), document.get("content")
    if isinstance(title, str) and isinstance(content, str) and title.strip() and content:
        return title, content
    return None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return ""


def _query(scope: Scope) -> dict[str, str]:
    raw: bytes = scope["query_string"]
    pairs = (part.partition("=") for part in raw.decode("latin-1").split("&") if part)
    return {key: value for key, _, value in pairs}


def _int_in(text: str, low: int, high: int) -> int | None:
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _positive_id(text: str) -> int | None:
    return _int_in(text, 1, MAX_ID)


def _user_json(row: TupleRow) -> dict[str, object]:
    """The public view, which is what the service's `GET /users/{id}` answers."""
    user_id, _email, username, _hash, created_at, _updated_at = row
    return {"id": user_id, "username": username, "created_at": created_at}


def _post_json(row: TupleRow) -> dict[str, object]:
    post_id, title, content, author_id, created_at, updated_at = row[:6]
    return {
        "id": post_id,
        "title": title,
        "content": content,
        "author_id": author_id,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def _authored_json(row: TupleRow) -> dict[str, object]:
    return _post_json(row) | {"author": {"id": row[3], "username": row[6]}}


def create_app() -> Floor:
    """Build the floor from the environment: DATABASE_URL, JWT_SECRET and JWT_ALGORITHM."""
    return Floor(
        database_url=os.environ["DATABASE_URL"],
        jwt_secret=os.environ["JWT_SECRET"],
        jwt_algorithm=os.environ.get("JWT_ALGORITHM", "HS256"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    arguments = parser.parse_args()
    # The service's server settings: uvicorn's defaults (uvloop, httptools), no access log.
    uvicorn.run(
        create_app(),
        host=arguments.host,
        port=arguments.port,
        workers=1,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
