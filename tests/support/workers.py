"""Which uvicorn worker serves a connection: read from the kernel's tables, not from the API.

The workers share one listening socket, and whichever accepts a connection
serves every request sent on it. Linux lists each TCP connection, with its
socket's inode, in /proc/net/tcp, and each process's open sockets in
/proc/<pid>/fd; together they name the worker holding the server's end of a
client's connection, with no debug route in the service.
"""

import json
import os
from http.client import HTTPConnection
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

PROC: Final = Path("/proc")
_ESTABLISHED: Final = "01"


def has_proc() -> bool:
    return (PROC / "net" / "tcp").exists()


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    for line in (PROC / "net" / "tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == _ESTABLISHED and (_port(local), _port(remote)) == (server_port, client_port):
            return inode
    return None


def children_of(pid: int) -> list[int]:
    children = []
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            # The command name in parentheses may hold spaces; the parent's pid follows it.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            children.append(int(stat.parent.name))
    return children


def holder_of(inode: str, candidates: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in candidates:
        try:
            descriptors = list((PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) == target:
                    return pid
            except OSError:
                continue
    return None


class WorkerConnection:
    """One kept-alive HTTP connection, and the worker process that accepted it."""

    def __init__(self, port: int, server_pid: int) -> None:
        self._http = HTTPConnection("127.0.0.1", port, timeout=30)
        self._port = port
        # A request answered means the connection was accepted by then.
        status, _, _ = self.request("GET", "/health/live")
        if status != 200:
            raise RuntimeError(f"/health/live answered {status}")
        self.worker = self._worker(server_pid)

    def _worker(self, server_pid: int) -> int:
        sock = self._http.sock
        if sock is None:
            raise RuntimeError("the connection is closed")
        inode = _server_socket_inode(self._port, sock.getsockname()[1])
        worker = None if inode is None else holder_of(inode, children_of(server_pid))
        if worker is None:
            raise RuntimeError("no worker of the server holds this connection")
        return worker

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        form: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        body: bytes | None = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self._http.request(method, path, body=body, headers=headers)
        response = self._http.getresponse()
        raw = response.read()
        answer_headers = {key.lower(): value for key, value in response.getheaders()}
        return response.status, answer_headers, json.loads(raw) if raw else None

    def close(self) -> None:
        self._http.close()
