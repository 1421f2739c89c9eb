"""Which bot token speaks for a workspace: the one configured, or the one installed by OAuth."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore


class UnknownWorkspace(LookupError):
    """No installation for this workspace (never installed, or uninstalled)."""


class TokenSource(Protocol):
    async def token_for(self, team_id: str) -> str: ...


class SingleToken:
    """One workspace, one ``SLACK_BOT_TOKEN``."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token_for(self, team_id: str) -> str:
        return self._token


class InstalledTokens:
    """Tokens from the installation store, remembered for a few minutes.

    The store is asked again after ``ttl`` seconds so that a reinstall (a new token) or an
    uninstall is noticed without a restart.
    """

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
        self._cache: dict[str, tuple[float, str]] = {}

    async def token_for(self, team_id: str) -> str:
        now = self._clock()
        cached = self._cache.get(team_id)
        if cached and cached[0] > now:
            return cached[1]
        if self._store is None:
            raise UnknownWorkspace("no installation store is attached yet")
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._cache.pop(team_id, None)
            raise UnknownWorkspace(f"mlq is not installed in workspace {team_id}")
        self._cache[team_id] = (now + self._ttl, bot.bot_token)
        return bot.bot_token

    def attach(self, store: AsyncInstallationStore) -> None:
        """The store lives in the bot's database, which exists only after the core is built."""
        self._store = store

    def forget(self, team_id: str) -> None:
        self._cache.pop(team_id, None)
