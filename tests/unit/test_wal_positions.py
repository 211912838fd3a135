"""WAL positions as the read-your-writes cookie carries them, and where records end."""

import pytest

from infrastructure.persistence import caller_position, wal


@pytest.mark.parametrize("text", ["0/0", "0/3001148", "16/B374D848", "FFFFFFFF/FFFFFFFF"])
def test_a_position_reads_back_as_it_was_written(text: str) -> None:
    position = wal.parse(text)

    assert position is not None
    assert wal.format_position(position) == text


@pytest.mark.parametrize("text", ["", "0", "0/", "/1", "x/1", "1/2/3", "123456789/0", " 0/1"])
def test_anything_else_is_no_position(text: str) -> None:
    assert wal.parse(text) is None


def test_an_insert_position_past_a_page_header_is_taken_back_to_the_boundary() -> None:
    segment_start = 0x3000000  # 16 MB segments: a long page header, 40 bytes
    page_start = 0x3002000  # 8 kB pages: a short one, 24 bytes

    assert wal.record_end(segment_start + 40) == segment_start
    assert wal.record_end(page_start + 24) == page_start
    assert wal.record_end(page_start + 25) == page_start + 25


def test_a_request_that_wrote_sends_its_position_back_and_keeps_the_furthest() -> None:
    positions = caller_position.ReadYourWrites(max_lag_seconds=2.5, secure=True)
    token = positions.begin("1/10")
    try:
        current = caller_position.current()
        assert current is not None
        assert positions.set_cookie() is None
        current.written = 0x80  # earlier than what the caller already had
        cookie = positions.set_cookie()
    finally:
        positions.end(token)

    assert cookie == "written_lsn=1/10; Max-Age=4; Path=/; HttpOnly; SameSite=Lax; Secure"
    assert caller_position.current() is None


def test_a_forged_cookie_is_ignored() -> None:
    positions = caller_position.ReadYourWrites(max_lag_seconds=5, secure=False)
    token = positions.begin("'; DROP TABLE posts; --")
    try:
        current = caller_position.current()
        assert current is not None
        assert current.needed is None
    finally:
        positions.end(token)
