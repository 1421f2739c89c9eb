"""The garbage collector around bursts of work: frozen after startup, paused in a fan-out."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from bot.heap import collection_paused, settle_heap


@pytest.fixture(autouse=True)
def collection_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_settling_the_heap_leaves_startup_objects_out_of_collections():
    kept = ["built at startup"]  # a list is always tracked by the collector
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert all(o is not kept for o in gc.get_objects())  # frozen: no generation holds it
    finally:
        gc.unfreeze()


def test_collection_is_off_inside_a_pause_and_back_on_after():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_comes_back_even_when_the_work_fails():
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("send failed")
    assert gc.isenabled()


async def test_overlapping_pauses_resume_collection_only_when_the_last_ends():
    first_in, second_done = asyncio.Event(), asyncio.Event()
    seen: list[bool] = []

    async def long_fan_out() -> None:
        with collection_paused():
            first_in.set()
            await second_done.wait()
            seen.append(gc.isenabled())  # the other pause ended; this one still holds

    async def short_fan_out() -> None:
        await first_in.wait()
        with collection_paused():
            pass
        seen.append(gc.isenabled())
        second_done.set()

    await asyncio.gather(long_fan_out(), short_fan_out())
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_pause_leaves_collection_off_when_someone_else_had_turned_it_off():
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()
