"""Connections on the socket `serve` hands to uvicorn answer without Nagle's delay."""

import asyncio
import socket
from collections.abc import Callable

import pytest

from interfaces.cli.serving import _listen
from interfaces.http.server_protocols import send_without_delay


async def _nodelay_of_a_connection(on_made: Callable[[asyncio.BaseTransport], None]) -> int:
    """TCP_NODELAY of a connection accepted on `serve`'s socket, wrapped as uvicorn wraps `fd=`."""
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            on_made(transport)
            connection = transport.get_extra_info("socket")
            accepted.set_result(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    with _listen("127.0.0.1", 0) as listener:
        handed_over = socket.fromfd(listener.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        server = await asyncio.get_running_loop().create_server(Probe, sock=handed_over)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", listener.getsockname()[1])
            nodelay = await asyncio.wait_for(accepted, timeout=5)
            writer.close()
            await writer.wait_closed()
        finally:
            server.close()
            await server.wait_closed()
    return nodelay


async def test_the_server_protocols_turn_nagle_off() -> None:
    assert await _nodelay_of_a_connection(send_without_delay) != 0


async def test_without_them_a_handed_over_socket_keeps_nagle_on() -> None:
    # Why the protocols do it: asyncio sets TCP_NODELAY only on sockets labelled TCP, and
    # uvicorn labels a descriptor AF_UNIX. Each answer then waited ~40 ms for a delayed ACK.
    assert await _nodelay_of_a_connection(lambda transport: None) == 0


def test_a_unix_socket_is_left_as_it_is() -> None:
    class UnixTransport(asyncio.BaseTransport):
        def __init__(self, connection: socket.socket) -> None:
            super().__init__({"socket": connection})

    left, right = socket.socketpair()
    with left, right:
        send_without_delay(UnixTransport(left))
        with pytest.raises(OSError, match="not supported"):
            left.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
