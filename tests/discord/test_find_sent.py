"""Discord's side of recovery: the claim key as the message nonce, and finding a message
by it. simcord ignores nonces, so these use small stand-ins for discord.py's objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from adapters.discord import outbound
from adapters.discord.adapter import DiscordAdapter, claim_nonce, send_rendered
from bot.events import ChannelAddress, ThreadAddress
from bot.ports import PostedRef

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOT, SOMEONE = 1000, 2000
WHERE = ChannelAddress("discord", "55", "700")


@dataclass
class Obj:
    id: int


@dataclass
class FakeMessage:
    id: int
    author: Obj
    channel: Obj
    created_at: datetime
    nonce: str | None = None


@dataclass
class FakeChannel:
    history_messages: list[FakeMessage] = field(default_factory=list)
    forbidden: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)
    asked_after: datetime | None = None

    async def history(self, *, limit: int, after: datetime):  # async generator
        self.asked_after = after
        if self.forbidden:
            raise discord.Forbidden(FakeResponse(), "Missing Access")
        for message in self.history_messages:
            if message.created_at > after:
                yield message

    async def send(self, **kwargs: Any) -> FakeMessage:
        self.sent.append(kwargs)
        return FakeMessage(len(self.sent), Obj(BOT), Obj(700), NOW, kwargs.get("nonce"))


class FakeResponse:
    status = 403
    reason = "Forbidden"


@dataclass
class FakeClient:
    channel: FakeChannel
    cached_messages: list[FakeMessage] = field(default_factory=list)
    user: Obj = field(default_factory=lambda: Obj(BOT))

    def get_partial_messageable(self, channel_id: int, *, guild_id: int | None) -> FakeChannel:
        return self.channel


def adapter_with(channel: FakeChannel, cached: list[FakeMessage] = ()) -> DiscordAdapter:
    return DiscordAdapter(FakeClient(channel, list(cached)))  # type: ignore[arg-type]


def test_the_nonce_fits_discord_and_is_the_same_for_the_same_key():
    nonce = claim_nonce("daily:12345678901234567890:2026-03-02")
    assert nonce is not None and len(nonce) <= 25
    assert nonce == claim_nonce("daily:12345678901234567890:2026-03-02")
    assert nonce != claim_nonce("daily:12345678901234567890:2026-03-03")
    assert claim_nonce(None) is None


async def test_only_the_first_part_of_a_message_carries_the_nonce():
    channel = FakeChannel()
    parts = [outbound.Rendered((discord.Embed(description="a"),)), outbound.Rendered(())]
    await send_rendered(channel, parts, nonce="mlqabc")  # type: ignore[arg-type]
    assert channel.sent[0]["nonce"] == "mlqabc"
    assert "nonce" not in channel.sent[1]


async def test_a_message_seen_on_the_gateway_is_found_by_its_nonce():
    key = "daily:1:2026-03-02"
    mine = FakeMessage(42, Obj(BOT), Obj(700), NOW, claim_nonce(key))
    adapter = adapter_with(FakeChannel(), [mine])
    assert await adapter.find_sent(WHERE, key, NOW) == PostedRef("42", "42")
    # Not another key's, not someone else's, not from before the claim.
    assert await adapter.find_sent(WHERE, "daily:1:2026-03-03", NOW) is None
    theirs = FakeMessage(43, Obj(SOMEONE), Obj(700), NOW, claim_nonce(key))
    assert await adapter_with(FakeChannel(), [theirs]).find_sent(WHERE, key, NOW) is None
    older = FakeMessage(44, Obj(BOT), Obj(700), NOW - timedelta(hours=1), claim_nonce(key))
    assert await adapter_with(FakeChannel(), [older]).find_sent(WHERE, key, NOW) is None


async def test_the_history_is_read_when_the_cache_has_nothing():
    key = "daily:1:2026-03-02:reveal"
    channel = FakeChannel([FakeMessage(77, Obj(BOT), Obj(900), NOW, claim_nonce(key))])
    thread = ThreadAddress(WHERE, "900")
    found = await adapter_with(channel).find_sent(WHERE, key, NOW, thread=thread)
    assert found == PostedRef("77", "900")
    assert channel.asked_after is not None and channel.asked_after < NOW


async def test_a_history_we_may_not_read_counts_as_nothing_found():
    adapter = adapter_with(FakeChannel(forbidden=True))
    assert await adapter.find_sent(WHERE, "daily:1:2026-03-02", NOW) is None


@pytest.mark.parametrize("nonce", [None, "mlq-other"])
async def test_messages_without_our_nonce_are_not_taken_for_ours(nonce):
    channel = FakeChannel([FakeMessage(5, Obj(BOT), Obj(700), NOW, nonce)])
    assert await adapter_with(channel).find_sent(WHERE, "daily:1:2026-03-02", NOW) is None
