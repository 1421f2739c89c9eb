"""What the OAuth installation store says of each workspace: its bot token and who installed
mlq there (an admin of it in mlq's sense, bot/disputes/admins.py).

One cache serves both, so an uninstall or a revoked token clears both at once
(``forget``, called by the bridge on ``app_uninstalled`` / ``tokens_revoked``). Entries
are asked again after ``ttl`` seconds, so a reinstall (a new token, maybe by someone else)
is noticed without a restart. With a single ``SLACK_BOT_TOKEN`` there is no store: the token
is ``tokens.SingleToken`` and Slack says nothing of who installed the app.

A workspace whose bot token is gone is not installed, whatever else the store still holds:
bolt's ``tokens_revoked`` listener deletes the bot but keeps the installation row
(``slack_bolt.listener.async_builtins.AsyncTokenRevocationListeners``), and its installer
must not stay an admin of a workspace mlq can no longer speak in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.tokens import UnknownWorkspace

log = logging.getLogger("mlq.slack")


@dataclass(frozen=True)
class _Known:
    until: float  # the clock's time after which the store is asked again
    token: str
    installer: str | None


class Installations:
    """A ``TokenSource`` over the installation store, and who installed each workspace."""

    def __init__(
        self,
        store: AsyncInstallationStore | None = None,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, _Known] = {}
        # Bumped by forget(): a look-up that started before it must not store what it read,
        # or an uninstall racing a command could leave the old token cached for ``ttl``.
        self._forgets = 0

    def attach(self, store: AsyncInstallationStore) -> None:
        """The store lives in the bot's database, which exists only after the core is built."""
        self._store = store

    def forget(self, team_id: str) -> None:
        self._forgets += 1
        self._cache.pop(team_id, None)

    async def token_for(self, team_id: str) -> str:
        return (await self._known(team_id)).token

    async def installer_of(self, team_id: str) -> str | None:
        """Who installed mlq in the workspace; None when nobody is known (not installed, or
        the store cannot be read: never a failed command)."""
        if self._store is None or not team_id:
            return None
        try:
            return (await self._known(team_id)).installer
        except UnknownWorkspace:
            return None
        except Exception as exc:
            log.warning("could not read the installation of %s: %s", team_id, exc)
            return None

    async def _known(self, team_id: str) -> _Known:
        now = self._clock()
        cached = self._cache.get(team_id)
        if cached is not None and cached.until > now:
            return cached
        if self._store is None:
            raise UnknownWorkspace("no installation store is attached yet")
        forgets = self._forgets
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._cache.pop(team_id, None)
            raise UnknownWorkspace(f"mlq is not installed in workspace {team_id}")
        try:
            found = await self._store.async_find_installation(enterprise_id=None, team_id=team_id)
        except Exception as exc:  # the token is still good; the installer is asked next time
            log.warning("could not read the installation of %s: %s", team_id, exc)
            return _Known(now, bot.bot_token, None)
        known = _Known(now + self._ttl, bot.bot_token, found.user_id if found else None)
        if forgets == self._forgets:
            self._cache[team_id] = known
        return known
