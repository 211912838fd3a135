"""Rate limits: fixed windows counted by the `limits` library, in a store every worker shares.

The store is PostgreSQL (the service's own database, through `PostgresStorage`),
Redis (limits' own async storage), or process memory (development with one
process only). The HTTP layer decides what to count and answers 429; this
package only counts, behind `application.ratelimit.RateLimiter`.
"""

from infrastructure.ratelimit.limiter import RateLimits, RateLimitStorageUnavailableError
from infrastructure.ratelimit.postgres import PostgresStorage
from infrastructure.ratelimit.storage import IN_PROCESS_WARNING, redis_pool, redis_storage

__all__ = [
    "IN_PROCESS_WARNING",
    "PostgresStorage",
    "RateLimitStorageUnavailableError",
    "RateLimits",
    "redis_pool",
    "redis_storage",
]
