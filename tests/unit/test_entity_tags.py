"""The entity-tag scanner and the pattern the OpenAPI document gives for the same headers."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interfaces.http.entity_tags import (
    TAG_LIST_PATTERN,
    EntityTags,
    MalformedTagListError,
    parse_tag_list,
)

_DOCUMENTED = re.compile(TAG_LIST_PATTERN)

# The characters the grammar turns on, and a few it refuses.
_PIECES = st.sampled_from([" ", "\t", ",", '"', "W/", "w/", "*", "a", "3", ";", "\u00e9", '"a"'])


def _accepts(value: str) -> bool:
    try:
        parse_tag_list(value)
    except MalformedTagListError:
        return False
    return True


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_scanner_accepts_what_the_documented_pattern_matches(value: str) -> None:
    assert _accepts(value) == bool(_DOCUMENTED.fullmatch(value)), repr(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", EntityTags(any=True, strong=frozenset(), all=frozenset())),
        (" * ", EntityTags(any=True, strong=frozenset(), all=frozenset())),
        ('"3"', EntityTags(any=False, strong=frozenset({"3"}), all=frozenset({"3"}))),
        ('W/"3", "4"', EntityTags(any=False, strong=frozenset({"4"}), all=frozenset({"3", "4"}))),
        (' ,, "a,b" ,', EntityTags(any=False, strong=frozenset({"a,b"}), all=frozenset({"a,b"}))),
        ("", EntityTags(any=False, strong=frozenset(), all=frozenset())),
    ],
)
def test_a_list_reads_as_its_tags(value: str, expected: EntityTags) -> None:
    assert parse_tag_list(value) == expected


@pytest.mark.parametrize("value", ['"a" "b"', '*, "a"', 'W/"a', "**", '"a b"', '"\u00e9"'])
def test_a_malformed_list_is_refused(value: str) -> None:
    with pytest.raises(MalformedTagListError):
        parse_tag_list(value)
