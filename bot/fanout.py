"""Running one step for many channels at once, a bounded number at a time.

A daily post to thousands of channels spends most of its time waiting on the platform;
doing the channels one by one would add those waits up. Each step is still claimed in
the database per channel, so concurrency never changes what is posted, only when.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from bot.context import log

T = TypeVar("T")


async def for_each(
    items: Iterable[T],
    step: Callable[[T], Awaitable[bool]],
    *,
    limit: int | asyncio.Semaphore,
    what: str,
) -> int:
    """Run ``step`` on every item, at most ``limit`` at a time; count the Trues.

    ``limit`` may be a semaphore shared with other fan-outs running at the same time.
    A failing item is logged and counted as False; it never stops the others.
    """
    gate = limit if isinstance(limit, asyncio.Semaphore) else asyncio.Semaphore(limit)

    async def one(item: T) -> bool:
        async with gate:
            try:
                return bool(await step(item))
            except Exception:
                log.exception("%s failed for %r", what, item)
                return False

    results = await asyncio.gather(*(one(item) for item in items))
    return sum(results)


def send_limit(adapter: object, default: int) -> int:
    """How many sends to keep in flight: the adapter's own figure when it gives one."""
    return int(getattr(adapter, "send_concurrency", 0) or default)
