"""The cyclic garbage collector around the bot's bursts of work.

Reference counting frees almost everything the bot allocates; the cyclic collector only
finds the rest. Its passes still cost time in proportion to what is alive, so the bot
keeps two kinds of objects out of its way: what startup built (frozen once) and what a
burst of work, such as a tick with a fan-out, allocates while it runs (collected rarely
until it ends).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young-generation collections during a burst (CPython's default is
# 700). Most objects of a fan-out die young, by reference counting, long before this many
# more are made; collections still happen, so cycles (exception tracebacks from failing
# sends, for one) cannot pile up without bound in a long burst.
BURST_THRESHOLD = 100_000


def settle_heap() -> None:
    """Leave what startup built (bank, engine, SDK modules) out of later garbage collections.

    Those objects live as long as the process, yet every full collection walks them all,
    including the ones that fall in the middle of a fan-out. Called once the app is built,
    after a last collection so that no startup garbage is kept.
    """
    gc.collect()
    gc.freeze()


class _Bursts:
    """How many bursts are open, and the thresholds to restore when the last one ends."""

    open = 0
    saved: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect the young generation every ``BURST_THRESHOLD`` allocations, not every 700.

    A tick that posts to 2,000 channels triggered about 390 collections, 137 ms of its ~2 s,
    and a ``gc.collect()`` right after it freed nothing (bench/SLACK.md). Bursts may overlap
    (tasks of one event loop); the thresholds come back when the last one ends.
    """
    if _Bursts.open == 0:
        _Bursts.saved = gc.get_threshold()
        gc.set_threshold(BURST_THRESHOLD, *_Bursts.saved[1:])
    _Bursts.open += 1
    try:
        yield
    finally:
        _Bursts.open -= 1
        if _Bursts.open == 0:
            gc.set_threshold(*_Bursts.saved)
