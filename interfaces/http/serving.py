"""The app as a server process builds it: `create_app`, then a collector tuned for serving."""

import gc
from typing import Final

from fastapi import FastAPI

from interfaces.http.app import create_app

YOUNG_COLLECTION_THRESHOLD: Final = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def settle_garbage_collector() -> None:
    """Stop the collector from walking the process's long-lived objects on every request.

    After start-up the heap holds the imported modules, the app, its routes
    and their pydantic models: objects that live as long as the process.
    Each full collection walked all of them, and a request allocates enough
    short-lived containers that CPython's default threshold (700) ran a
    young collection several times per request. Freezing moves what exists
    now out of the collector's sight; the higher threshold lets a request's
    garbage die by reference counting before a collection looks at it.
    What that bought under the benchmark is in docs/performance.md; the
    price is a few MiB of young objects waiting longer for their collection.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)


def create_served_app() -> FastAPI:
    """uvicorn's factory in `serve`: tests build apps with `create_app`, and keep the
    collector's defaults, as they make and drop many apps in one process."""
    app = create_app()
    settle_garbage_collector()
    return app
