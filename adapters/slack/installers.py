"""Who installed mlq in a workspace: an admin of it in mlq's sense (bot/disputes/admins.py).

With OAuth, bolt's installation store keeps the installing user (``Installation.user_id``);
it is read once per workspace and remembered for a few minutes, so a reinstall by someone
else is noticed without a restart. With a single ``SLACK_BOT_TOKEN`` Slack says nothing of
who installed the app: workspace admins add people with ``/mlq admins add`` instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

log = logging.getLogger("mlq.slack")


class Installers:
    def __init__(
        self,
        store: AsyncInstallationStore | None = None,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def installer_of(self, team_id: str) -> str | None:
        if self.store is None or not team_id:
            return None
        now = self._clock()
        cached = self._cache.get(team_id)
        if cached and cached[0] > now:
            return cached[1]
        try:
            found = await self.store.async_find_installation(enterprise_id=None, team_id=team_id)
        except Exception as exc:  # no answer is "not the installer", never a failed command
            log.warning("could not read the installation of %s: %s", team_id, exc)
            return None
        user = found.user_id if found is not None else None
        self._cache[team_id] = (now + self._ttl, user)
        return user
