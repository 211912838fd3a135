"""One transaction's view of one table."""

from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

Id = TypeVar("Id", bound=Hashable)
Row = TypeVar("Row")


class TableView(Generic[Id, Row]):
    """The committed rows of a table overlaid with one transaction's own changes.

    Nothing reaches the committed rows before `publish`, which is what makes
    uncommitted work invisible to other units of work.
    """

    def __init__(self, committed: dict[Id, Row]) -> None:
        self.committed = committed
        self._changes: dict[Id, Row | None] = {}

    def get(self, row_id: Id) -> Row | None:
        if row_id in self._changes:
            return self._changes[row_id]
        return self.committed.get(row_id)

    def rows(self) -> Iterator[Row]:
        for row_id, row in self.committed.items():
            if row_id not in self._changes:
                yield row
        for changed in self._changes.values():
            if changed is not None:
                yield changed

    def put(self, row_id: Id, row: Row) -> None:
        self._changes[row_id] = row

    def remove(self, row_id: Id) -> None:
        self._changes[row_id] = None

    def changes(self) -> dict[Id, Row | None]:
        return dict(self._changes)

    def publish(self) -> None:
        for row_id, changed in self._changes.items():
            if changed is None:
                self.committed.pop(row_id, None)
            else:
                self.committed[row_id] = changed
        self._changes.clear()

    def discard(self) -> None:
        self._changes.clear()
