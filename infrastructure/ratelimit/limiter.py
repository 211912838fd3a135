"""The service's limits, counted in fixed windows by `limits`."""

import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError as LimitsStorageError

from application.ratelimit import Limit, RateLimitExceededError
from domain.errors import StorageError
from infrastructure.settings import Settings


class RateLimitStorageUnavailableError(StorageError):
    """The store of the counters cannot be reached: nothing limited is served until it is."""

    def __init__(self) -> None:
        super().__init__("The rate-limit store is unavailable; try again shortly")


class RateLimits:
    """Counts hits against each `Limit` and refuses those past it.

    Fixed windows: the first hit of a key opens a window of the rate's length,
    and the count restarts when it ends. A burst of twice the rate across a
    window boundary is possible; for limits meant to stop guessing and
    spamming, that costs less than the moving window's per-hit bookkeeping.
    """

    def __init__(self, storage: Storage, rates: Mapping[Limit, RateLimitItem]) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._rates = dict(rates)

    @classmethod
    def from_settings(cls, settings: Settings, storage: Storage) -> "RateLimits":
        return cls(
            storage,
            {
                Limit.LOGIN_ATTEMPTS: parse(settings.rate_limit_login_attempts),
                Limit.LOGIN_FAILURES: parse(settings.rate_limit_login_failures),
                Limit.REGISTRATIONS: parse(settings.rate_limit_registrations),
                Limit.CREDENTIAL_CHANGES: parse(settings.rate_limit_credential_changes),
                Limit.REFRESHES: parse(settings.rate_limit_refreshes),
                Limit.RESET_REQUESTS: parse(settings.rate_limit_reset_requests),
                Limit.RESET_MAILS: parse(settings.rate_limit_reset_mails),
                Limit.VERIFICATION_MAILS: parse(settings.rate_limit_verification_mails),
            },
        )

    async def hit(self, limit: Limit, *identifiers: str) -> None:
        """Count one hit; raise RateLimitExceededError when it is past the limit.

        The hit is counted before it is judged, in one atomic increment, so
        concurrent requests cannot all slip under the limit together.
        """
        rate = self._rates[limit]
        try:
            if await self._limiter.hit(rate, limit, *identifiers):
                return
            reset_at, _ = await self._limiter.get_window_stats(rate, limit, *identifiers)
        except LimitsStorageError as error:
            raise RateLimitStorageUnavailableError from error
        # At least a second (Retry-After counts whole ones), at most the window.
        wait = min(max(math.ceil(reset_at - time.time()), 1), rate.get_expiry())
        raise RateLimitExceededError(limit, wait)

    async def forget(self, limit: Limit, *identifiers: str) -> None:
        """Drop the count of these identifiers, as if none of their hits had happened."""
        try:
            await self._limiter.clear(self._rates[limit], limit, *identifiers)
        except LimitsStorageError as error:
            raise RateLimitStorageUnavailableError from error
