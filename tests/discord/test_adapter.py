"""The ChatAdapter methods against simcord's REST API: long messages, partial failures."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import adapter as adapter_module
from adapters.discord import outbound
from adapters.discord.outbound import MAX_MESSAGES, REACTION_EMOJI
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.ports import DeliveryError
from tests.discord.conftest import Server, reactions

LONG = Message(title="Model answer", body="\n".join("w" * 1000 for _ in range(15)))
PARTS = len(outbound.render(LONG))


class FakeResponse:
    status = 503
    reason = "Service Unavailable"


def where(server: Server) -> ChannelAddress:
    return ChannelAddress("discord", str(server.guild.id), str(server.channel.id))


async def test_post_with_a_thread_puts_the_overflow_in_the_thread(server: Server) -> None:
    ref = await server.mlq.adapter.post(where(server), LONG, open_thread=True)
    await server.env.settle()
    [thread] = server.channel.threads
    assert ref.thread_id == str(thread.id) and ref.message_id == str(thread.id)
    bot_posts = [m for m in server.channel.history() if m.embeds]
    assert [str(m.id) for m in bot_posts] == [ref.message_id]
    assert PARTS > 2
    assert len([m for m in thread.history() if m.embeds]) == PARTS - 1


async def test_a_refused_thread_still_counts_as_posted(server: Server) -> None:
    server.env.inject_error(
        "POST",
        "/channels/*/messages/*/threads",
        status=403,
        code=50013,
        message="Missing Permissions",
    )
    ref = await server.mlq.adapter.post(where(server), LONG, open_thread=True)
    await server.env.settle()
    assert ref.thread_id == ref.message_id  # where a thread opened by hand would be
    assert server.channel.threads == []
    assert len([m for m in server.channel.history() if m.embeds]) == PARTS


async def test_a_failed_continuation_does_not_fail_the_reply(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = await server.mlq.adapter.post(where(server), Message(body="q"), open_thread=True)
    thread = ThreadAddress(where(server), ref.thread_id)
    real = adapter_module.send_rendered
    calls = 0

    async def second_send_fails(target, parts, **options):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise discord.HTTPException(FakeResponse(), "Service unavailable")
        return await real(target, parts, **options)

    monkeypatch.setattr(adapter_module, "send_rendered", second_send_fails)
    first_id = await server.mlq.adapter.reply_in_thread(thread, LONG)
    await server.env.settle()
    [handle] = server.channel.threads
    assert [str(m.id) for m in handle.history() if m.embeds][-1] == first_id
    assert calls == 2

    calls = 1  # now the first part of the next reply fails: that is a delivery error
    with pytest.raises(DeliveryError):
        await server.mlq.adapter.reply_in_thread(thread, LONG)


async def test_a_message_too_long_for_discord_is_cut(server: Server) -> None:
    huge = Message(body="\n".join("z" * 1000 for _ in range(60)))
    await server.mlq.adapter.post(where(server), huge)
    await server.env.settle()
    assert len([m for m in server.channel.history() if m.embeds]) == MAX_MESSAGES


async def test_reacting_to_a_vanished_message_is_a_delivery_error(server: Server) -> None:
    ref = await server.mlq.adapter.post(where(server), Message(body="q"), open_thread=True)
    reply = await server.members[0].send(server.channel.threads[0], "an answer")
    address = MessageAddress(where(server), str(reply.id), ref.thread_id)
    await server.mlq.adapter.react(address, Reaction.LATE)
    await server.env.settle()
    [handle] = server.channel.threads
    assert REACTION_EMOJI[Reaction.LATE] in reactions(handle.history()[-1])
    with pytest.raises(DeliveryError):
        await server.mlq.adapter.react(
            MessageAddress(where(server), "1", ref.thread_id), Reaction.RECEIVED
        )
