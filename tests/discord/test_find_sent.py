"""Discord's side of recovery: the claim key as the message nonce and in the first button's
custom id, and finding a message by either. Small stand-ins for discord.py's objects let
these set what simcord cannot (a nonce in the cache); tests/discord/test_recovery.py runs
the same against simcord's history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from adapters.discord import outbound
from adapters.discord.adapter import HISTORY_LIMIT, DiscordAdapter, claim_nonce, send_rendered
from bot.events import ChannelAddress, ThreadAddress
from bot.messages import Action, Message
from bot.messages import Button as MessageButton
from bot.ports import DeliveryError, PostedRef

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOT, SOMEONE = 1000, 2000
WHERE = ChannelAddress("discord", "55", "700")


@dataclass
class Obj:
    id: int


@dataclass
class FakeButton:
    custom_id: str | None


@dataclass
class FakeRow:
    children: list[FakeButton]


@dataclass
class FakeMessage:
    id: int
    author: Obj
    channel: Obj
    created_at: datetime
    nonce: str | None = None
    components: list[FakeRow] = field(default_factory=list)


def keyed(id_: int, key: str, *, author: int = BOT, channel: int = 700) -> FakeMessage:
    """A message as Discord's history returns it: no nonce, its buttons' custom ids."""
    first = outbound.custom_id(Action.ANSWER_PRIVATELY, "9", key)
    second = outbound.custom_id(Action.MY_FEEDBACK, "9")
    return FakeMessage(
        id_,
        Obj(author),
        Obj(channel),
        NOW,
        None,
        [FakeRow([FakeButton(first), FakeButton(second)])],
    )


@dataclass
class FakeChannel:
    history_messages: list[FakeMessage] = field(default_factory=list)
    error: Exception | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    asked_after: datetime | None = None
    asked_limit: int | None = None

    async def history(self, *, limit: int, after: datetime):  # async generator
        self.asked_after, self.asked_limit = after, limit
        if self.error is not None:
            raise self.error
        for message in [m for m in self.history_messages if m.created_at > after][:limit]:
            yield message

    async def send(self, **kwargs: Any) -> FakeMessage:
        self.sent.append(kwargs)
        return FakeMessage(len(self.sent), Obj(BOT), Obj(700), NOW, kwargs.get("nonce"))


class FakeResponse:
    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason


def http_error(status: int, code: int, message: str) -> discord.HTTPException:
    """The exception discord.py raises for Discord's JSON error body."""
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    return kind(FakeResponse(status, message), {"code": code, "message": message})


@dataclass
class FakeClient:
    channel: FakeChannel
    cached_messages: list[FakeMessage] = field(default_factory=list)
    user: Obj | None = field(default_factory=lambda: Obj(BOT))
    threads: dict[int, FakeChannel] = field(default_factory=dict)

    def get_partial_messageable(self, channel_id: int, *, guild_id: int | None) -> FakeChannel:
        return self.threads.get(channel_id, self.channel)


def adapter_with(
    channel: FakeChannel, cached: list[FakeMessage] = (), **threads: FakeChannel
) -> DiscordAdapter:
    client = FakeClient(channel, list(cached), threads={int(k[1:]): v for k, v in threads.items()})
    return DiscordAdapter(client)  # type: ignore[arg-type]


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


async def test_a_fresh_process_finds_the_key_in_a_button_of_the_history():
    """Nothing cached, no nonce in the history: the custom id is what is found."""
    key = "daily:1:2026-03-02"
    channel = FakeChannel([keyed(76, "daily:1:2026-03-01"), keyed(77, key)])
    assert await adapter_with(channel).find_sent(WHERE, key, NOW) == PostedRef("77", "77")
    # Read forwards from the claim, less the clock skew, and no further than the limit.
    assert channel.asked_after is not None and channel.asked_after < NOW
    assert channel.asked_limit == HISTORY_LIMIT


async def test_a_reveal_is_looked_for_in_its_thread():
    key = "daily:1:2026-03-02:reveal"
    thread_channel = FakeChannel([keyed(78, key, channel=900)])
    adapter = adapter_with(FakeChannel([keyed(79, key)]), t900=thread_channel)
    found = await adapter.find_sent(WHERE, key, NOW, thread=ThreadAddress(WHERE, "900"))
    assert found == PostedRef("78", "900")


async def test_a_reveal_whose_thread_is_gone_is_looked_for_in_the_channel():
    """The reveal then went out as a reply to the question in the channel."""
    key = "daily:1:2026-03-02:reveal"
    gone = FakeChannel(error=http_error(404, 10003, "Unknown Channel"))
    adapter = adapter_with(FakeChannel([keyed(80, key)]), t900=gone)
    found = await adapter.find_sent(WHERE, key, NOW, thread=ThreadAddress(WHERE, "900"))
    assert found == PostedRef("80", "900")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (http_error(403, 50001, "Missing Access"), True),
        (http_error(403, 50013, "Missing Permissions"), True),
        (http_error(500, 0, "Internal Server Error"), False),
        (http_error(503, 0, "Service Unavailable"), False),
        (discord.RateLimited(60.0), False),
    ],
)
async def test_a_history_that_cannot_be_read_is_an_error_not_nothing_found(error, permanent):
    """The core then sends nothing and asks again after the lease (or, for good,
    suspends the channel): never a second post on a guess."""
    adapter = adapter_with(FakeChannel(error=error))
    with pytest.raises(DeliveryError) as raised:
        await adapter.find_sent(WHERE, "daily:1:2026-03-02", NOW)
    assert raised.value.permanent is permanent


async def test_a_history_longer_than_the_limit_is_an_error_not_nothing_found():
    others = [keyed(i, f"daily:1:other-{i}") for i in range(HISTORY_LIMIT)]
    channel = FakeChannel([*others, keyed(9999, "daily:1:2026-03-02")])
    with pytest.raises(DeliveryError):
        await adapter_with(channel).find_sent(WHERE, "daily:1:2026-03-02", NOW)


async def test_a_client_not_logged_in_cannot_look():
    adapter = adapter_with(FakeChannel([keyed(1, "daily:1:2026-03-02")]))
    adapter.client.user = None  # type: ignore[misc]
    with pytest.raises(DeliveryError):
        await adapter.find_sent(WHERE, "daily:1:2026-03-02", NOW)


@pytest.mark.parametrize("nonce", [None, "mlq-other"])
async def test_messages_without_our_nonce_are_not_taken_for_ours(nonce):
    channel = FakeChannel([FakeMessage(5, Obj(BOT), Obj(700), NOW, nonce)])
    assert await adapter_with(channel).find_sent(WHERE, "daily:1:2026-03-02", NOW) is None


async def test_messages_without_our_key_are_not_taken_for_ours():
    key = "daily:1:2026-03-02"
    lookalike = outbound.custom_id(Action.MY_FEEDBACK, "9")
    channel = FakeChannel(
        [
            keyed(1, "daily:1:2026-03-03"),  # another day's
            keyed(2, f"{key}:reveal"),  # its reveal's
            keyed(3, key, author=SOMEONE),  # not the bot's
            FakeMessage(4, Obj(BOT), Obj(700), NOW, None, [FakeRow([FakeButton(lookalike)])]),
            FakeMessage(5, Obj(BOT), Obj(700), NOW, None, [FakeRow([FakeButton(None)])]),
            FakeMessage(6, Obj(BOT), Obj(700), NOW, None, [FakeRow([FakeButton(key)])]),
        ]
    )
    assert await adapter_with(channel).find_sent(WHERE, key, NOW) is None


# --- the key in a custom id ---------------------------------------------------------


def test_the_key_rides_on_the_first_button_only_and_fits_discord():
    key = "daily:12345678901234567890:2026-03-02"
    value = "9" * 20  # the longest post id a custom id takes
    message = Message(
        "q",
        buttons=(
            MessageButton(Action.ANSWER_PRIVATELY, "Answer privately", value),
            MessageButton(Action.MY_FEEDBACK, "My feedback", value),
        ),
        key=key,
    )
    [first, second] = outbound.render(message)[0].buttons
    assert first.custom_id == f"mlq:answer:{value}:{outbound.key_token(key)}"
    assert second.custom_id == f"mlq:feedback:{value}"
    assert len(first.custom_id) <= outbound.CUSTOM_ID_MAX == 100
    assert outbound.key_of_custom_id(first.custom_id) == outbound.key_token(key)
    assert outbound.key_of_custom_id(second.custom_id) is None
    # A button the platform cannot take does not take the key with it.
    skipped = replace(
        message, buttons=(MessageButton(Action.MY_FEEDBACK, "x", "p1"), *message.buttons)
    )
    assert outbound.render(skipped)[0].buttons[0].custom_id == first.custom_id


@pytest.mark.parametrize(
    "raw",
    ["mlq:feedback:12", "mlq:answer:12", "mlq:dispute:12", "mlq:report:12", "mlq:stats:202610"],
)
def test_custom_ids_without_a_key_still_parse(raw):
    """Buttons posted by older versions are still clicked; discord.py matches a
    DynamicItem's template with fullmatch (discord/ui/view.py, dispatch)."""
    assert re.fullmatch(outbound.CUSTOM_ID_TEMPLATE, raw) is not None
    keyed_raw = f"{raw}:{outbound.key_token('daily:1:2026-03-02')}"
    assert re.fullmatch(outbound.CUSTOM_ID_TEMPLATE, keyed_raw) is not None
    assert outbound.parse_custom_id(raw) == outbound.parse_custom_id(keyed_raw) is not None


@pytest.mark.parametrize(
    "raw",
    ["mlq:feedback:12:", "mlq:feedback:12:abc", "mlq:feedback:12:" + "g" * 22, "mlq:feedback:x"],
)
def test_malformed_custom_ids_do_not_parse(raw):
    assert outbound.parse_custom_id(raw) is None
    assert outbound.key_of_custom_id(raw) is None
