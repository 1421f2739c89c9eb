"""Running without the privileged message-content intent: thread replies arrive empty.

The bot must notice, tell whoever runs it (its log) once how to switch the intent on, point
members to "Answer privately", never message server owners about it, and never grade an
empty reply.
"""

from __future__ import annotations

import logging

import discord
import pytest
import simcord

from adapters.discord.client import ClientOptions, create_client
from adapters.discord.intent_notice import MEMBER_HINT, OPERATOR_NOTICE
from adapters.discord.runner import run_with_intent_fallback
from tests.discord.conftest import Mlq, Server, post_question, reactions, refetch, subscribe

ANSWER = "Gradient clipping caps the gradient norm so that updates stay bounded."


@pytest.fixture
def client_options() -> ClientOptions:
    return ClientOptions(message_content=False)


def titles(channel: simcord.ChannelHandle) -> list[str]:
    return [m.embeds[0].title for m in channel.history() if m.embeds]


def notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage() == OPERATOR_NOTICE]


async def test_empty_replies_give_one_log_notice_and_one_hint(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mlq.discord")
    post, thread = await post_question(server)
    ben, cai = server.members[0], server.members[1]
    first = await ben.send(thread, ANSWER)
    await cai.send(thread, ANSWER)
    await ben.send(thread, ANSWER + " Also for RNNs.")

    assert reactions(refetch(thread, first)) == []  # nothing was graded
    assert ben.user.dm_channel.history() == []
    assert titles(server.guild.owner.dm_channel) == []  # the owner cannot fix it
    assert len(notices(caplog)) == 1 and "Message Content Intent" in OPERATOR_NOTICE
    assert titles(thread).count(MEMBER_HINT.title) == 1
    assert titles(server.channel).count(MEMBER_HINT.title) == 0

    # Meanwhile the modal still works, since it needs no message content.
    shown = await ben.click(refetch(server.channel, post), label="Answer privately")
    graded = await ben.submit_modal(shown, {"mlq:answer-text": ANSWER})
    assert graded.response.embeds[0].title.startswith("Your grade")


async def test_a_reply_that_mentions_the_bot_is_still_read(server: Server) -> None:
    _, thread = await post_question(server)
    ben = server.members[0]
    reply = await ben.send(thread, f"<@{server.env.bot.user.id}> {ANSWER}")
    assert reactions(refetch(thread, reply)) != []
    assert titles(server.guild.owner.dm_channel) == []


async def test_two_servers_still_give_one_log_notice(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mlq.discord")
    other = server.env.create_guild("Second group")
    channel = other.create_text_channel("ml")
    leads = other.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
    admin = other.add_member(server.env.create_user("zoe"), roles=[leads])
    ben = other.add_member(server.env.create_user("yan"))
    await subscribe(Server(server.env, server.mlq, other, channel, admin, [ben]))
    _, thread = await post_question(server)
    [other_thread] = channel.threads
    await server.members[0].send(thread, ANSWER)
    await ben.send(other_thread, ANSWER)
    assert len(notices(caplog)) == 1
    assert titles(other.owner.dm_channel) == [] and titles(channel).count(MEMBER_HINT.title) == 0


async def test_a_portal_without_the_intent_falls_back_to_running_without_it(
    mlq: Mlq,
) -> None:
    """Discord refuses a connection that asks for an intent the portal has not enabled;
    the runner reconnects without it and the bot then explains what is missing."""
    approved = discord.Intents.all()
    approved.message_content = False
    envs: list[simcord.Env] = []
    asked: list[bool] = []

    def make_client(message_content: bool) -> discord.Client:
        asked.append(message_content)
        return create_client(mlq.core, mlq.adapter, ClientOptions(message_content=message_content))

    async def start(client: discord.Client) -> None:
        env = simcord.Env(client, approved_intents=approved)
        await env.start()
        envs.append(env)

    await run_with_intent_fallback(make_client, start)
    assert asked == [True, False]
    [env] = envs
    try:
        guild = env.create_guild("Study group")
        channel = guild.create_text_channel("ml-study")
        leads = guild.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
        admin = guild.add_member(env.create_user("alice"), roles=[leads])
        ben = guild.add_member(env.create_user("ben"))
        server = Server(env, mlq, guild, channel, admin, [ben])
        _, thread = await post_question(server)
        await ben.send(thread, ANSWER)
        assert titles(guild.owner.dm_channel) == []
        assert titles(thread).count(MEMBER_HINT.title) == 1
    finally:
        await env.shutdown()
