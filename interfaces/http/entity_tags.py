"""Lists of entity tags (RFC 9110, 8.8.3 and 13.1): what `If-Match` and `If-None-Match` carry.

Read by a scanner that steps over the list once, element by element, so its
time grows with the length of the header and nothing else. It replaced one
regular expression for the whole list, `TAG_LIST_PATTERN`, whose nested runs
of commas and blanks backtracked quadratically when a list of commas ended in
a stray character: 32,000 commas held the event loop for seven seconds. The
pattern stays as the headers' documentation in the OpenAPI document, and a
test holds the scanner and the pattern to the same language.
"""

import re
from dataclasses import dataclass
from typing import Final

_TAG: Final = r'(?:W/)?"[!#-~]*"'
"""One entity tag. Its characters are ASCII's visible ones but `"`: every tag this API
sends is ASCII, and RFC 9110's obs-text (bytes over 0x7F) could never match one."""

TAG_LIST_PATTERN: Final = rf"^[ \t]*\*[ \t]*$|^[ \t,]*(?:{_TAG}(?:[ \t]*,[ \t,]*{_TAG})*)?[ \t,]*$"
"""`*`, or a comma-separated list of entity tags (empty elements allowed, as RFC 9110's
list rule asks). The documented pattern of both headers; `parse_tag_list` accepts exactly
the strings it matches, without running it."""

_SEPARATORS: Final = re.compile(r"[ \t,]*")
_ONE_TAG: Final = re.compile(r'(W/)?"([!#-~]*)"[ \t]*')
"""A tag and the blanks after it. `[!#-~]` cannot hold `"`, so a failed match gives back
at most the characters it read: each match costs the length of its own element."""
_BLANKS: Final = " \t"


class MalformedTagListError(ValueError):
    """The header is neither `*` nor a list of entity tags."""


@dataclass(frozen=True, slots=True)
class EntityTags:
    """A parsed `If-Match` or `If-None-Match`: `*`, or the listed tags."""

    any: bool
    strong: frozenset[str]
    """The opaque parts of the tags that are not weak: the only ones strong comparison matches."""
    all: frozenset[str]
    """The opaque parts of every tag, weak or not, for weak comparison."""

    def match_strongly(self, revision: str) -> bool:
        """RFC 9110's strong comparison, for `If-Match`: a weak tag never matches."""
        return self.any or revision in self.strong

    def match_weakly(self, revision: str) -> bool:
        """RFC 9110's weak comparison, for `If-None-Match`: `W/"3"` matches `"3"`."""
        return self.any or revision in self.all


ANY_TAG: Final = EntityTags(any=True, strong=frozenset(), all=frozenset())


def parse_tag_list(value: str) -> EntityTags:
    """Read `*` or a list of entity tags; raise MalformedTagListError for anything else.

    Between two tags there must be a comma; around them, any run of blanks
    and commas (the empty elements RFC 9110's list rule allows).
    """
    if value.strip(_BLANKS) == "*":
        return ANY_TAG
    strong: set[str] = set()
    every: set[str] = set()
    end = len(value)
    position = _end_of_separators(value, 0)
    while position < end:
        tag = _ONE_TAG.match(value, position)
        if tag is None:
            raise MalformedTagListError(value)
        weak, opaque = tag.groups()
        every.add(opaque)
        if weak is None:
            strong.add(opaque)
        position = tag.end()
        if position < end and value[position] != ",":
            raise MalformedTagListError(value)
        position = _end_of_separators(value, position)
    return EntityTags(any=False, strong=frozenset(strong), all=frozenset(every))


def _end_of_separators(value: str, position: int) -> int:
    run = _SEPARATORS.match(value, position)  # a run may be empty, so it always matches
    return position if run is None else run.end()
