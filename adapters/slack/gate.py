"""Acks before work: background jobs wait for a lull in incoming requests before starting.

Slack gives an ack three seconds and the work none, so when a burst arrives (fifty people
typing ``/mlq`` after a stand-up) the acks should all go out before the first job takes
the event loop. The HTTP layer reports each request's start and end here; a job starts
once no request has been in flight for ``quiet`` seconds, or after ``patience`` at most,
so a steady stream of requests delays work but never starves it.

Patience is a second: deferring the work during a burst only reorders it (thread replies
are already safe in the inbox), so the same total work is done, while acks keep their pace.
Measured with bench/slack_ingest.py (3,000 replies, 64 in flight): 0.25 s let work take
turns with the acks (2,101 acks/s), 1 s kept them at about 3,000/s; graded-and-answered
throughput was the same (387-403/s).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class AckGate:
    def __init__(
        self,
        *,
        quiet: float = 0.005,
        patience: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.patience = patience
        self._clock = clock
        self._inflight = 0
        self._last = float("-inf")
        self._idle = asyncio.Event()
        self._idle.set()

    def request_started(self) -> None:
        self._inflight += 1
        self._last = self._clock()
        self._idle.clear()

    def request_finished(self) -> None:
        self._inflight -= 1
        self._last = self._clock()
        if self._inflight == 0:
            self._idle.set()

    @property
    def inflight(self) -> int:
        return self._inflight

    def is_quiet(self) -> bool:
        return self._inflight == 0 and self._clock() - self._last >= self.quiet

    async def wait_quiet(self) -> None:
        give_up = self._clock() + self.patience
        while True:
            now = self._clock()
            if self.is_quiet() or now >= give_up:
                return
            if self._inflight:
                try:
                    await asyncio.wait_for(self._idle.wait(), give_up - now)
                except TimeoutError:
                    return
            else:  # idle, but only just: let a burst's stragglers arrive
                await asyncio.sleep(min(self._last + self.quiet - now, give_up - now))
