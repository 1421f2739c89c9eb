"""Work that happens after the acknowledgement, off the request's path.

Slack wants an answer within three seconds, so listeners ack and hand the real work here.
Jobs wait in a queue; one pump starts them, at most ``limit`` at a time, whenever the ack
gate says the acknowledgements have gone out. One waiter for the whole queue, not one per
job: a burst of thousands of queued answers then costs no wake-ups while acks are flowing.
Failures are logged (never lost silently: answers are also in the core's inbox), and
``join`` lets shutdown and tests wait until everything handed over has finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from adapters.slack.gate import AckGate

log = logging.getLogger("mlq.slack")

Job = Callable[[], Awaitable[object]]


class WorkQueue:
    def __init__(self, limit: int = 16, *, gate: AckGate | None = None) -> None:
        self.gate = gate or AckGate()
        self.limit = limit
        self._waiting: deque[tuple[Job, str]] = deque()
        self._running: set[asyncio.Task[None]] = set()  # started by the pump
        self._urgent: set[asyncio.Task[None]] = set()  # started at once, outside the limit
        self._pump: asyncio.Task[None] | None = None
        self._slot_free = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, job: Job, *, name: str = "mlq-work") -> None:
        self._waiting.append((job, name))
        self._idle.clear()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name="mlq-pump")

    def urgent(self, job: Job, *, name: str = "mlq-urgent") -> None:
        """Start now, outside the limit: for calls with a deadline (a trigger_id lives 3 s)."""
        task = asyncio.get_running_loop().create_task(self._guard(job, name), name=name)
        self._urgent.add(task)
        self._idle.clear()
        task.add_done_callback(self._urgent_done)

    async def _run_pump(self) -> None:
        while self._waiting:
            await self.gate.wait_quiet()  # let the acks of a burst go out first
            while self._waiting and len(self._running) < self.limit:
                job, name = self._waiting.popleft()
                task = asyncio.get_running_loop().create_task(self._guard(job, name), name=name)
                self._running.add(task)
                task.add_done_callback(self._running_done)
            if self._waiting:
                self._slot_free.clear()
                await self._slot_free.wait()

    @staticmethod
    async def _guard(job: Job, name: str) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", name)

    def _running_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slot_free.set()
        self._check_idle()

    def _urgent_done(self, task: asyncio.Task[None]) -> None:
        self._urgent.discard(task)
        self._check_idle()

    def _check_idle(self) -> None:
        if not (self._waiting or self._running or self._urgent):
            self._idle.set()

    @property
    def pending(self) -> int:
        """Jobs handed over and not finished (queued or running)."""
        return len(self._waiting) + len(self._running) + len(self._urgent)

    async def join(self, seconds: float | None = None) -> bool:
        """Wait until no work is left; False if ``seconds`` ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def cancel(self) -> None:
        self._waiting.clear()
        tasks = [*self._running, *self._urgent]
        if self._pump is not None:
            tasks.append(self._pump)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._check_idle()
