"""argon2id password hashes through pwdlib, a bounded number at a time."""

import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from infrastructure.security.executor import BoundedExecutor

DEFAULT_CONCURRENCY = 2
DEFAULT_QUEUE = 16


class Argon2PasswordHasher:
    """Hashes and verifies with argon2id on a `BoundedExecutor`, off the event loop.

    A hash takes tens of milliseconds of CPU and `memory_cost` KiB by design;
    argon2-cffi releases the GIL while it works, so the loop keeps serving
    other requests meanwhile. Every hash and every verification, the dummy
    one included, goes through the executor: that is what bounds the memory
    of a worker under a burst of logins.
    """

    def __init__(
        self,
        *,
        time_cost: int,
        memory_cost: int,
        parallelism: int,
        executor: BoundedExecutor | None = None,
    ) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),)
        )
        self.executor = executor or BoundedExecutor(
            concurrency=DEFAULT_CONCURRENCY, queue=DEFAULT_QUEUE, name="argon2"
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self.executor.run(self._hash.hash, _utf8(password))

    async def verify(self, password: str, password_hash: str) -> bool:
        return await self.executor.run(self._hash.verify, _utf8(password), password_hash)

    async def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self.executor.run(self._hash.verify_and_update, _utf8(password), password_hash)

    async def verify_dummy(self, password: str) -> None:
        await self.executor.run(self._verify_dummy, _utf8(password))

    def _verify_dummy(self, password: bytes) -> None:
        # Made with the current parameters, so verifying against it costs what
        # verifying a real user's password costs. Made at the first login for an
        # unknown account, not when the hasher is built: a hash holds
        # `memory_cost` KiB while it runs (64 MiB by default), and a worker that
        # only serves reads should never hold it. Two first logins at once may
        # both make one; either is as good.
        if self._dummy_hash is None:
            self._dummy_hash = self._hash.hash(secrets.token_urlsafe(16))
        self._hash.verify(password, self._dummy_hash)


def _utf8(password: str) -> bytes:
    """Encode a password; a lone surrogate (JSON and forms can carry one) is kept, not fatal.

    Such a password can never have been registered, so it simply fails to verify.
    """
    return password.encode("utf-8", "surrogatepass")
