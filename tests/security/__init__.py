"""Attacks the service refuses, each replayed by a test named after it."""
