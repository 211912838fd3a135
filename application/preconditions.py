"""Conditional changes: HTTP's `If-Match`, in the words of the use cases.

A client that read a resource names the revision it read (`User.revision`,
`AuthoredPost.revision`), and asks for its change only if the resource is
still in that state; otherwise nothing changes and it hears so
(VersionMismatchError). That is what stops two clients that read the same
state from silently overwriting each other's changes.
"""

from dataclasses import dataclass

from domain.errors import VersionMismatchError


@dataclass(frozen=True, slots=True, kw_only=True)
class Precondition:
    """The revisions a change may apply to, or, with `any_revision`, any state that exists."""

    revisions: frozenset[str] = frozenset()
    any_revision: bool = False

    def pin(self, *, revision: str, version: int) -> int | None:
        """Check the state just read in the change's transaction; return the version to write at.

        Raises VersionMismatchError when `revision` is not one the client
        named. The returned version goes to the repository's write, which
        repeats the check on the row itself, in the same statement, so that a
        change committed between this read and the write is caught too. Any
        state will do for `any_revision`, so it pins nothing.
        """
        if self.any_revision:
            return None
        if revision not in self.revisions:
            raise VersionMismatchError
        return version


def pin(expected: Precondition | None, *, revision: str, version: int) -> int | None:
    """`expected.pin(...)`, or None (an unconditional write) when the client set no condition."""
    return None if expected is None else expected.pin(revision=revision, version=version)
