"""Who a request counts against: the peer, or what trusted proxies say they saw."""

from ipaddress import ip_address, ip_network

import pytest
from starlette.requests import Request

from interfaces.http.client_address import IPNetwork, client_key, resolve_client

PROXIES: list[IPNetwork] = [ip_network("10.0.0.0/8"), ip_network("2001:db8:ffff::/48")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # No proxy trusted: the header is whatever the client wanted it to be.
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),
        ("203.0.113.7", [], "203.0.113.7"),
        # A trusted proxy: the address it appended, not the ones the client sent before it.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
        # Two trusted proxies in a row: the first untrusted address from the right.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1, 10.9.9.9"], "198.51.100.1"),
        # Only proxies: the left-most is the client (a proxy calling us itself).
        ("10.0.0.2", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
        ("10.0.0.2", [], "10.0.0.2"),
        # Ports and brackets, as some proxies write them.
        ("10.0.0.2", ["198.51.100.1:5555"], "198.51.100.1"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("2001:db8:ffff::5", ["198.51.100.9"], "198.51.100.9"),
        # Something that is not an address stops the walk at the last trusted hop.
        ("10.0.0.2", ["198.51.100.1, not-an-address"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1, unknown, 10.3.3.3"], "10.3.3.3"),
        # An IPv4 peer seen through a dual-stack socket is the IPv4 address.
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, forwarded_for: list[str], expected: str
) -> None:
    assert resolve_client(peer, forwarded_for, PROXIES) == ip_address(expected)


@pytest.mark.parametrize("peer", [None, "", "testclient"])
def test_a_peer_that_is_not_an_address_is_nobody_in_particular(peer: str | None) -> None:
    assert resolve_client(peer, ["198.51.100.1"], PROXIES) is None


def _request(peer: tuple[str, int] | None, *forwarded_for: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    return Request({"type": "http", "client": peer, "headers": headers})


def test_a_spoofed_header_from_an_untrusted_peer_changes_nothing() -> None:
    keys = {
        client_key(_request(("203.0.113.7", 1), spoofed), PROXIES)
        for spoofed in ("1.1.1.1", "2.2.2.2, 10.0.0.1", "10.0.0.3")
    }
    assert keys == {"203.0.113.7"}


def test_ipv6_clients_count_by_their_64_bit_prefix() -> None:
    one = client_key(_request(("2001:db8:1:2:aaaa::1", 1)), PROXIES)
    same_subscriber = client_key(_request(("2001:db8:1:2:bbbb::9", 1)), PROXIES)
    other = client_key(_request(("2001:db8:1:3::1", 1)), PROXIES)

    assert one == same_subscriber == "2001:db8:1:2::/64"
    assert other != one


def test_no_peer_at_all_counts_as_unknown() -> None:
    assert client_key(_request(None), PROXIES) == "unknown"
