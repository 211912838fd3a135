"""The queue in front of the pool: arrival order, bounded waits, no place lost."""

import asyncio

import pytest

from infrastructure.persistence.gate import ConnectionGate


async def _settle() -> None:
    """Let every runnable task reach its next await."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_are_admitted_in_arrival_order_even_when_a_newcomer_asks_first() -> None:
    gate = ConnectionGate(1, timeout=30)
    await gate.enter()
    admitted: list[str] = []

    async def wait(name: str) -> None:
        await gate.enter()
        admitted.append(name)

    waiters = [asyncio.create_task(wait(name)) for name in ("first", "second", "third")]
    await _settle()
    assert gate.waiting == 3

    gate.leave()
    # Arrives between the release and the woken waiter's turn: the case the pool gets wrong.
    newcomer = asyncio.create_task(wait("newcomer"))
    await _settle()
    for _ in range(3):
        gate.leave()
        await _settle()

    await asyncio.gather(*waiters, newcomer)
    assert admitted == ["first", "second", "third", "newcomer"]


async def test_a_wait_beyond_the_timeout_fails_and_keeps_no_place() -> None:
    gate = ConnectionGate(1, timeout=0.05)
    await gate.enter()

    with pytest.raises(TimeoutError):
        await gate.enter()
    assert gate.waiting == 0

    gate.leave()
    await asyncio.wait_for(gate.enter(), timeout=5)


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    gate = ConnectionGate(1, timeout=30)
    await gate.enter()
    cancelled = asyncio.create_task(gate.enter())
    after = asyncio.create_task(gate.enter())
    await _settle()

    cancelled.cancel()
    await _settle()
    gate.leave()

    await asyncio.wait_for(after, timeout=5)
    assert cancelled.cancelled()
    assert gate.waiting == 0


async def test_places_freed_with_nobody_waiting_are_taken_at_once() -> None:
    gate = ConnectionGate(2, timeout=30)
    await gate.enter()
    await gate.enter()
    gate.leave()
    gate.leave()

    await asyncio.wait_for(asyncio.gather(gate.enter(), gate.enter()), timeout=5)


def test_a_gate_without_places_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ConnectionGate(0, timeout=1)
