"""The one cache over the OAuth installation store (adapters/slack/installations.py):
tokens and installers read once per workspace, both forgotten together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.slack.installations import Installations
from adapters.slack.tokens import UnknownWorkspace


class Store:
    """Just the two look-ups Installations makes, counted; ``gate`` holds find_bot."""

    def __init__(self) -> None:
        self.bots: dict[str, str] = {"T1": "xoxb-1"}
        self.installers: dict[str, str] = {"T1": "U-installer"}
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.broken = False

    async def async_find_bot(self, *, enterprise_id: Any, team_id: str) -> Any:
        self.reads += 1
        token = self.bots.get(team_id)
        if self.gate is not None:
            await self.gate.wait()
        return type("Bot", (), {"bot_token": token})() if token else None

    async def async_find_installation(self, *, enterprise_id: Any, team_id: str) -> Any:
        if self.broken:
            raise ConnectionError("database away")
        user = self.installers.get(team_id)
        return type("Installation", (), {"user_id": user})() if user else None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_one_read_serves_token_and_installer_until_the_ttl():
    store, clock = Store(), Clock()
    cache = Installations(store, ttl=300, clock=clock)  # type: ignore[arg-type]
    assert await cache.token_for("T1") == "xoxb-1"
    assert await cache.installer_of("T1") == "U-installer"
    assert store.reads == 1
    store.bots["T1"], store.installers["T1"] = "xoxb-2", "U-other"
    clock.now = 299
    assert await cache.installer_of("T1") == "U-installer"
    clock.now = 301
    assert await cache.installer_of("T1") == "U-other"
    assert await cache.token_for("T1") == "xoxb-2"


async def test_forget_clears_both_uses():
    store = Store()
    cache = Installations(store, clock=Clock())  # type: ignore[arg-type]
    assert await cache.installer_of("T1") == "U-installer"
    del store.bots["T1"]  # what bolt's tokens_revoked listener leaves: no bot, an installation
    cache.forget("T1")
    with pytest.raises(UnknownWorkspace):
        await cache.token_for("T1")
    assert await cache.installer_of("T1") is None  # no bot, no installer


async def test_a_read_that_started_before_forget_is_not_cached():
    store = Store()
    cache = Installations(store, clock=Clock())  # type: ignore[arg-type]
    store.gate = asyncio.Event()
    reading = asyncio.create_task(cache.token_for("T1"))
    await asyncio.sleep(0)  # the read is waiting inside the store, old token in hand
    del store.bots["T1"]
    cache.forget("T1")
    store.gate.set()
    assert await reading == "xoxb-1"  # this caller asked before the uninstall
    with pytest.raises(UnknownWorkspace):
        await cache.token_for("T1")  # but nobody after it gets the old token


async def test_an_unreadable_installer_is_nobody_and_is_asked_again():
    store = Store()
    cache = Installations(store, clock=Clock())  # type: ignore[arg-type]
    store.broken = True
    assert await cache.installer_of("T1") is None
    assert await cache.token_for("T1") == "xoxb-1"
    store.broken = False
    assert await cache.installer_of("T1") == "U-installer"


async def test_without_a_store_nobody_installed_and_no_token():
    cache = Installations()
    assert await cache.installer_of("T1") is None
    with pytest.raises(UnknownWorkspace):
        await cache.token_for("T1")
