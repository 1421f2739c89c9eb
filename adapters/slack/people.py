"""Who someone is (name, admin, bot), from ``users.info``, cached.

``users.info`` is a Tier 4 method, but a busy thread would still ask it once per reply;
names and roles change rarely, so each answer is kept for ``ttl`` seconds and concurrent
lookups of one person share a single call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.translate import Person, person

log = logging.getLogger("mlq.slack")

UsersInfo = Callable[[str, str], Awaitable[dict[str, Any]]]


class People:
    def __init__(
        self,
        users_info: UsersInfo,
        *,
        ttl: float = 600.0,
        capacity: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users_info = users_info
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Person | None]] = {}

    async def lookup(
        self, team_id: str, user_id: str, *, max_age: float | None = None
    ) -> Person | None:
        """The person, or None when Slack could not tell us (callers then assume no admin).

        ``max_age`` asks for an answer fetched at most that many seconds ago: admin
        commands use a short one so a revoked admin loses the right quickly.
        """
        key = (team_id, user_id)
        cached = self._cache.get(key)
        now = self._clock()
        if (
            cached
            and cached[0] > now
            and (max_age is None or cached[0] - self._ttl + max_age > now)
        ):
            return cached[1]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[Person | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            found = await self._fetch(team_id, user_id)
            future.set_result(found)
            return found
        finally:
            del self._inflight[key]
            if not future.done():
                future.set_result(None)

    async def _fetch(self, team_id: str, user_id: str) -> Person | None:
        try:
            info = await self._users_info(team_id, user_id)
        except Exception as exc:
            log.warning("users.info for %s failed: %s", user_id, exc)
            return None
        found = person(info)
        if len(self._cache) >= self._capacity:
            self._cache.clear()
        self._cache[(team_id, user_id)] = (self._clock() + self._ttl, found)
        return found

    def forget(self, team_id: str, user_id: str) -> None:
        self._cache.pop((team_id, user_id), None)
