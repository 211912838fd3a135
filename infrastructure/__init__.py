"""Adapters: PostgreSQL, the in-memory store, hashing, settings, and the container."""
