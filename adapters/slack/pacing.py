"""About one ``chat.postMessage`` a second per channel, without holding up other channels.

Each channel has the earliest instant its next message may go out. A sender reserves the
slot before it waits (no lock: the event loop runs one reservation at a time), so many
senders to one channel queue one second apart while senders to other channels go at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable


class ChannelPacer:
    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[Hashable, float] = {}

    async def wait(self, key: Hashable) -> float:
        """Wait for this channel's next slot; returns how long we waited."""
        now = self._clock()
        start = max(now, self._next.get(key, now))
        self._next[key] = start + self.interval
        if len(self._next) > 10_000:
            self._forget_before(now)
        if start > now:
            await self._sleep(start - now)
        return start - now

    def push_back(self, key: Hashable, seconds: float) -> None:
        """Slack said wait (a 429 for this channel): nothing else goes there before then."""
        self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)

    def _forget_before(self, now: float) -> None:
        for key in [k for k, at in self._next.items() if at <= now]:
            del self._next[key]
