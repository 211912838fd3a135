"""Creates that happen once per idempotency key, and the upkeep of the stored keys."""

from application.idempotency.guard import (
    DEFAULT_KEY_LIFETIME,
    IdempotencyGuard,
    Once,
    Outcome,
)
from application.idempotency.service import IdempotencyKeyService

__all__ = ["DEFAULT_KEY_LIFETIME", "IdempotencyGuard", "IdempotencyKeyService", "Once", "Outcome"]
