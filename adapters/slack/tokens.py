"""Which bot token speaks for a workspace: the one configured, or the one installed by OAuth
(``installations.Installations``, which also knows who installed mlq)."""

from __future__ import annotations

from typing import Protocol


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
