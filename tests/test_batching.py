"""Group commit: what queues during one write goes into the next, each caller gets its own."""

from __future__ import annotations

import asyncio

import pytest

from bot.batching import GroupCommit


async def test_what_queues_during_a_write_goes_in_the_next_batch() -> None:
    batches: list[list[int]] = []

    async def write(batch: list[int]) -> list[int]:
        batches.append(batch)
        await asyncio.sleep(0)  # a write takes a moment; others queue meanwhile
        return [n * 10 for n in batch]

    group: GroupCommit[int, int] = GroupCommit(write, max_batch=3)
    results = await asyncio.gather(*(group.submit(n) for n in range(7)))
    assert results == [n * 10 for n in range(7)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]  # all queued at once; at most 3 a batch


async def test_a_failed_write_fails_its_own_batch_only() -> None:
    async def write(batch: list[int]) -> list[int]:
        await asyncio.sleep(0)
        if 1 in batch:
            raise OSError("disk full")
        return batch

    group: GroupCommit[int, int] = GroupCommit(write, max_batch=10)
    first = asyncio.create_task(group.submit(0))
    await asyncio.sleep(0)  # the first batch is being written
    failing = [asyncio.create_task(group.submit(n)) for n in (1, 2)]
    assert await first == 0
    for task in failing:
        with pytest.raises(OSError, match="disk full"):
            await task
    assert await group.submit(3) == 3  # the group goes on
