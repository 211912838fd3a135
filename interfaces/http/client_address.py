"""Who is calling: the socket's peer, or what trusted proxies say about the peer they saw.

`X-Forwarded-For` is a list each proxy appends its own peer to, and anyone
can send one, so only its right end is worth anything: the entries appended
by proxies we trust. Reading from the right, each trusted address is a proxy
that passed the request on; the first address that is not trusted is the
client. Everything to its left came from the client and is ignored.
"""

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Final

from starlette.requests import Request

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

IPV6_CLIENT_PREFIX: Final = 64
"""An IPv6 subscriber is usually handed a whole /64; counting per address would let
one of them take 2**64 turns."""

UNKNOWN_CLIENT: Final = "unknown"

SESSION_IPV4_PREFIX: Final = 24
SESSION_IPV6_PREFIX: Final = 48
"""What a session keeps of its client's address: the network around it, which its owner can
recognise ("my home's provider") and which locates nobody (a site's prefix, in IPv6)."""


def _parse(entry: str) -> IPAddress | None:
    """An address as proxies write it: bare, `1.2.3.4:port` or `[v6]:port`; IPv4 when mapped."""
    text = entry.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def resolve_client(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]
) -> IPAddress | None:
    """The client's address, believing `X-Forwarded-For` only as far as trusted proxies wrote it.

    `forwarded_for` holds the header's values in the order they came. When
    every hop is trusted, the left-most is the client (a proxy calling us
    itself). An entry that is not an address stops the walk at the last
    trusted hop: a proxy of ours never writes one, so it can only be forged.
    """
    hop = _parse(peer) if peer else None
    if hop is None or not _trusted(hop, proxies):
        return hop
    entries = [entry for value in forwarded_for for entry in value.split(",") if entry.strip()]
    for entry in reversed(entries):
        address = _parse(entry)
        if address is None:
            return hop
        hop = address
        if not _trusted(hop, proxies):
            return hop
    return hop


def client_key(request: Request, proxies: Sequence[IPNetwork]) -> str:
    """What rate limits count a request against: its client's address, or its /64 in IPv6."""
    address = _client(request, proxies)
    if address is None:
        return UNKNOWN_CLIENT
    if isinstance(address, IPv6Address):
        return str(ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def _client(request: Request, proxies: Sequence[IPNetwork]) -> IPAddress | None:
    peer = request.client.host if request.client else None
    return resolve_client(peer, request.headers.getlist("x-forwarded-for"), proxies)


def client_network(request: Request, proxies: Sequence[IPNetwork]) -> str:
    """The client's network, as a session stores it: a /24, or a /48 in IPv6; "" when unknown."""
    address = _client(request, proxies)
    if address is None:
        return ""
    prefix = SESSION_IPV6_PREFIX if isinstance(address, IPv6Address) else SESSION_IPV4_PREFIX
    return str(ip_network(f"{address}/{prefix}", strict=False))
