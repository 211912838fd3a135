"""`serve`: the HTTP API under uvicorn."""

import errno
import ipaddress
import logging
import logging.config
import os
import signal
import socket
from types import FrameType
from typing import Annotated, Final

import typer
import uvicorn

from infrastructure.container import build_container
from infrastructure.settings import DEVELOPMENT_JWT_SECRET, Settings
from interfaces.cli.app import ExitCode, app, fail, load_settings, one_line_errors
from interfaces.http.server_protocols import PROTOCOLS

_BACKLOG: Final = 2048
"""uvicorn's default: it listens again with its own backlog, which is this one."""


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so that cleanup (stopping embedded PostgreSQL) runs.

    uvicorn shuts down gracefully on SIGTERM and then raises the signal again
    for the previous handler; with the default one the process would die on
    the spot, skipping every `finally`.
    """
    raise SystemExit(0)


def _hang_up(signum: int, frame: FrameType | None) -> None:
    """End on SIGHUP (the terminal was closed) as on SIGTERM: gracefully, then stop PostgreSQL.

    By default SIGHUP kills the process on the spot, and the embedded server,
    in a session of its own, would run on for good. Raising SIGTERM reaches
    uvicorn's handler while it serves, and `_exit_cleanly` before. With
    --workers, uvicorn's supervisor takes SIGHUP over: it restarts the workers.
    """
    signal.raise_signal(signal.SIGTERM)


def _listen(host: str, port: int) -> socket.socket:
    """Take the port before the database is touched, and keep it for uvicorn.

    Bound as uvicorn would bind it (SO_REUSEADDR), and listened on at once:
    a port merely bound could still be taken by another server before this
    one is ready. Connections made meanwhile wait for the app.
    """
    # IPPROTO_TCP spelled out: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose proto says TCP, and a connection accepted here inherits the proto. With
    # the default 0, every answer waited out the client's delayed ACK: 40 ms a request.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(_BACKLOG)
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise fail(
                f"{host}:{port} is already in use (by another serve, say); stop that, "
                f"or serve on another port with --port or PORT",
                ExitCode.PORT_IN_USE,
            ) from None
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}", ExitCode.INVALID_SETTINGS
        ) from None
    listener.set_inheritable(True)
    return listener


def _http_url(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name, which may resolve to anything


def _refuse_public_address_with_development_secret(settings: Settings, host: str) -> None:
    """The development JWT_SECRET is in the source: on an address others can reach, anyone
    could sign themselves a token. Production refuses it outright; elsewhere it stays on
    loopback."""
    if settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET and not _is_loopback(host):
        raise fail(
            f"JWT_SECRET is the public development value, so serve binds only a loopback "
            f"address with it, not {host}; set JWT_SECRET to a random value to bind {host}",
            ExitCode.INVALID_SETTINGS,
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind; HOST setting.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind; PORT setting.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    migrate: Annotated[
        bool,
        typer.Option(help="Upgrade DATABASE_URL's schema first (always done for embedded)."),
    ] = False,
) -> None:
    """Serve the HTTP API with uvicorn.

    Without DATABASE_URL (and REPOSITORY not 'memory'), starts an embedded
    PostgreSQL (or shares the one already running for this folder), migrates
    it, and stops it on exit unless another command still uses it.
    """
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGHUP, _hang_up)
    settings = load_settings()
    bind_host = host or settings.host
    _refuse_public_address_with_development_secret(settings, bind_host)
    worker_count = 1 if reload else workers or settings.workers
    if settings.repository == "memory" and worker_count > 1:
        # Each worker would hold a store of its own: a user registered through
        # one would be unknown to the next request, landing on another.
        raise fail(
            f"REPOSITORY=memory keeps the data inside one process, so it cannot be shared by "
            f"{worker_count} workers; serve with one worker, or on PostgreSQL",
            ExitCode.INVALID_SETTINGS,
        )
    if settings.rate_limit_backend == "memory" and worker_count > 1:
        # Each worker would count on its own: clients would get N times the limits.
        raise fail(
            f"RATE_LIMIT_STORAGE=memory counts inside one process, so {worker_count} workers "
            f"would each allow the full limits; use postgres or a redis:// URL",
            ExitCode.INVALID_SETTINGS,
        )
    listener = _listen(bind_host, settings.port if port is None else port)
    # The app's own settings, which the workers read from the environment, say where it
    # is served: links in mails start there when PUBLIC_BASE_URL is unset.
    os.environ["HOST"], os.environ["PORT"] = bind_host, str(listener.getsockname()[1])
    container = build_container(settings)
    log_config = container.logging_config()
    logging.config.dictConfig(log_config)
    admin = container.database_admin()
    with listener, one_line_errors(), admin.provide(migrate=migrate) as database_url:
        if database_url is not None:
            typer.echo(f"Database: {admin.display_url(database_url)}")
            # With --migrate (or the embedded server) the migration has just reached it;
            # without, the first sign would be 503s. Served all the same, to answer as
            # soon as the database is back.
            cause = None if migrate else admin.unreachable_because(database_url)
            if cause is not None:
                typer.secho(
                    f"Warning: the database cannot be reached ({cause}); serving anyway, "
                    f"requests that need it get 503 until it is back",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
            # Worker processes build their own settings from the environment.
            os.environ["DATABASE_URL"] = database_url
        else:
            typer.echo("Repository: in memory (nothing is persisted)")
        if worker_count > 1:
            container.share_metrics_between_workers()
        trusted_proxies = [str(network) for network in settings.trusted_proxies]
        typer.echo(f"Serving on {_http_url(listener)}")
        uvicorn.run(
            "interfaces.http.serving:create_served_app",
            factory=True,
            # The socket taken above; uvicorn's own log line names it as a socket.
            fd=listener.fileno(),
            workers=None if reload else worker_count,
            reload=reload,
            log_config=log_config,
            # The app writes its own access lines, with request ids and durations.
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_timeout,
            # uvicorn would otherwise believe X-Forwarded-For and -Proto from 127.0.0.1;
            # TRUSTED_PROXIES is the one list the app and the server trust.
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=trusted_proxies,
            # Each worker's own limits; interfaces/http/server_protocols.py says what uvicorn
            # alone would leave open.
            http=PROTOCOLS[settings.http_parser],
            h11_max_incomplete_event_size=settings.max_headers_bytes + settings.max_header_bytes,
            timeout_keep_alive=settings.keep_alive_timeout,
            limit_concurrency=settings.max_concurrent_connections,
        )
