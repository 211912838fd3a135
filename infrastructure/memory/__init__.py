"""The in-memory adapter: the same ports as PostgreSQL, with nothing to install.

It is part of the product, not a test helper: teams run their own service
tests on it, and `REPOSITORY=memory` serves the whole API from it. The
contract tests in `tests/contract` run one suite on both adapters to keep it
behaving like PostgreSQL: ids from a sequence that failed inserts also use
up, case-insensitive uniqueness, the posts' foreign key and its cascade, the
listings' order, transactions that only publish on commit, writers that wait
for each other as row locks make them, idempotency keys claimed without
waiting as advisory locks are, and timestamps taken at the start of the
transaction, like `now()`.
"""

from infrastructure.memory.idempotency import InMemoryIdempotencyKeyRepository
from infrastructure.memory.posts import InMemoryPostRepository
from infrastructure.memory.store import InMemoryStore
from infrastructure.memory.unit_of_work import InMemoryUnitOfWork
from infrastructure.memory.users import InMemoryUserRepository

__all__ = [
    "InMemoryIdempotencyKeyRepository",
    "InMemoryPostRepository",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUserRepository",
]
