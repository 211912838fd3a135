"""The in-memory adapter: the same ports as PostgreSQL, with nothing to install.

It is part of the product, not a test helper: teams run their own service
tests on it, and `REPOSITORY=memory` serves the whole API from it. The
contract tests in `tests/contract` run one suite on both adapters to keep it
behaving like PostgreSQL: ids from a sequence that failed inserts also use
up, case-insensitive uniqueness, id order, transactions that only publish on
commit, and timestamps taken at the start of the transaction, like `now()`.
"""

from infrastructure.memory.store import InMemoryStore
from infrastructure.memory.unit_of_work import InMemoryUnitOfWork
from infrastructure.memory.users import InMemoryUserRepository

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "InMemoryUserRepository"]
