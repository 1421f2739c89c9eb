"""The garbage collector around bursts of work: frozen after startup, rare during a tick."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from bot.heap import BURST_THRESHOLD, fewer_collections, settle_heap


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_settling_the_heap_leaves_startup_objects_out_of_collections():
    kept = ["built at startup"]  # a list is always tracked by the collector
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert all(o is not kept for o in gc.get_objects())  # frozen: no generation holds it
    finally:
        gc.unfreeze()


def test_a_burst_collects_rarely_and_the_thresholds_come_back_after():
    with fewer_collections():
        assert gc.get_threshold() == (BURST_THRESHOLD, 10, 10)
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_the_thresholds_come_back_even_when_the_work_fails():
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("send failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_cycles_made_in_a_long_burst_are_still_collected():
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector can free it

    before = gc.get_stats()[0]["collections"]
    with fewer_collections():
        for _ in range(3 * BURST_THRESHOLD):
            Node()
    assert gc.get_stats()[0]["collections"] > before


async def test_overlapping_bursts_restore_the_thresholds_only_when_the_last_ends():
    first_in, second_done = asyncio.Event(), asyncio.Event()
    seen: list[tuple[int, int, int]] = []

    async def long_fan_out() -> None:
        with fewer_collections():
            first_in.set()
            await second_done.wait()
            seen.append(gc.get_threshold())  # the other burst ended; this one still holds

    async def short_fan_out() -> None:
        await first_in.wait()
        with fewer_collections():
            pass
        seen.append(gc.get_threshold())
        second_done.set()

    await asyncio.gather(long_fan_out(), short_fan_out())
    assert seen == [(BURST_THRESHOLD, 10, 10)] * 2
    assert gc.get_threshold() == (700, 10, 10)
