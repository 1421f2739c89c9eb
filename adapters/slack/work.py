"""Work that happens after the acknowledgement, off the request's path.

Slack wants an answer within three seconds, so listeners ack and hand the real work here.
Tasks run at most ``limit`` at a time, failures are logged (never lost silently), and
``join`` lets shutdown and tests wait until everything handed over has finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from adapters.slack.gate import AckGate

log = logging.getLogger("mlq.slack")


class WorkQueue:
    def __init__(self, limit: int = 16, *, gate: AckGate | None = None) -> None:
        self.gate = gate or AckGate()
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, job: Callable[[], Awaitable[object]], *, name: str = "mlq-work") -> None:
        task = asyncio.get_running_loop().create_task(self._run(job, name), name=name)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)

    def urgent(self, job: Callable[[], Awaitable[object]], *, name: str = "mlq-urgent") -> None:
        """Start now, outside the limit: for calls with a deadline (a trigger_id lives 3 s)."""
        task = asyncio.get_running_loop().create_task(self._guard(job, name), name=name)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)

    async def _run(self, job: Callable[[], Awaitable[object]], name: str) -> None:
        await self.gate.wait_quiet()  # let the acks of a burst go out first
        async with self._slots:
            await self._guard(job, name)

    @staticmethod
    async def _guard(job: Callable[[], Awaitable[object]], name: str) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", name)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def join(self, seconds: float | None = None) -> bool:
        """Wait until no work is left; False if ``seconds`` ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
