"""The cyclic garbage collector around the bot's bursts of work.

Reference counting frees almost everything the bot allocates; the cyclic collector only
finds the rest. Its passes still cost time in proportion to what is alive, so the bot
keeps two kinds of objects out of its way: what startup built (frozen once) and what a
fan-out allocates while it runs (collection paused until it ends).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def settle_heap() -> None:
    """Leave what startup built (bank, engine, SDK modules) out of later garbage collections.

    Those objects live as long as the process, yet every full collection walks them all,
    including the ones that fall in the middle of a fan-out. Called once the app is built,
    after a last collection so that no startup garbage is kept.
    """
    gc.collect()
    gc.freeze()


class _Pauses:
    """How many pauses are open, and whether collection was on before the first one."""

    open = 0
    resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold the cyclic collector off while a fan-out runs; it resumes when the last one ends.

    A fan-out to 2,000 channels allocates objects by the hundred thousand and triggers
    hundreds of collections, about 0.14 s of its 2 s, and a ``gc.collect()`` right after it
    finds nothing to free (bench/SLACK.md). Pauses may overlap (tasks of one event loop);
    collection is switched back on only when the last closes, and only if it was on before.
    """
    if _Pauses.open == 0:
        _Pauses.resume = gc.isenabled()
        gc.disable()
    _Pauses.open += 1
    try:
        yield
    finally:
        _Pauses.open -= 1
        if _Pauses.open == 0 and _Pauses.resume:
            gc.enable()
