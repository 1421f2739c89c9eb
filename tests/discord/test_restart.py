"""After a restart: old buttons and threads keep working."""

from __future__ import annotations

import asyncio

import discord
import pytest
from sqlalchemy import select

from adapters.discord.client import ClientOptions, create_client
from adapters.discord.outbound import REACTION_EMOJI
from bot.messages import Reaction
from storage import unit_of_work
from storage.models import Answer
from tests.discord.conftest import Server, post_question, reactions, refetch, subscribe

ANSWER = "Batch normalisation normalises activations with batch statistics during training."


async def test_buttons_work_after_the_bot_restarts(server: Server) -> None:
    post, thread = await post_question(server)
    ben = server.members[0]
    await ben.send(thread, ANSWER)
    mlq = server.mlq
    before = server.env.bot.mlq
    await server.env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
    assert server.env.bot.mlq is not before  # a fresh process, with nothing cached

    post = refetch(server.channel, post)
    feedback = await ben.click(post, label="My feedback")
    assert feedback.ephemeral and feedback.response.embeds[0].title.startswith("Your feedback")
    shown = await server.members[1].click(post, label="Answer privately")
    assert shown.modal is not None
    graded = await server.members[1].submit_modal(shown, {"mlq:answer-text": ANSWER})
    assert graded.response.embeds[0].title.startswith("Your grade")


async def test_thread_answers_still_count_after_a_restart(server: Server) -> None:
    _post, thread = await post_question(server)
    mlq = server.mlq
    await server.env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
    reply = await server.members[0].send(thread, ANSWER)
    assert reactions(refetch(thread, reply)) == [REACTION_EMOJI[Reaction.RECEIVED]]


async def test_answers_sent_while_the_bot_was_away_count_once_it_is_back(server: Server) -> None:
    """Discord does not replay missed messages to a new session: the bot reads its open
    threads back when it connects, and an answer it already has is not counted again."""
    _post, thread = await post_question(server)
    ben, cai = server.members[0], server.members[1]
    seen = await ben.send(thread, ANSWER)
    assert reactions(refetch(thread, seen)) == [REACTION_EMOJI[Reaction.RECEIVED]]

    async def away(message) -> None:  # the bot is down: nothing reaches it
        return None

    server.env.bot.mlq.on_message = away
    missed = await cai.send(thread, ANSWER + " Also, it speeds up training.")
    assert reactions(refetch(thread, missed)) == []

    mlq = server.mlq
    await server.env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
    await server.env.settle()
    assert reactions(refetch(thread, missed)) == [REACTION_EMOJI[Reaction.RECEIVED]]
    assert reactions(refetch(thread, seen)) == [REACTION_EMOJI[Reaction.RECEIVED]]  # once
    async with unit_of_work(mlq.core.ctx.db) as repo:
        stored = list(await repo.session.scalars(select(Answer.text).order_by(Answer.id)))
    assert stored == [ANSWER, ANSWER + " Also, it speeds up training."]


async def test_catch_up_reads_open_threads_side_by_side(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted copy reads its open threads back a few at a time, not one after
    another (a thousand threads kept its scheduler waiting for about a minute). Each
    read here waits until another thread's read has started: read one after another,
    the first would wait for ever."""
    second = server.guild.create_text_channel("ml-study-2")
    await subscribe(server)
    await subscribe(server, second)
    await server.tick_at(9, 1)
    [thread] = server.channel.threads
    [other] = second.threads
    for where in (thread, other):
        await server.members[0].send(where, ANSWER)

    in_flight: set[int] = set()
    both_started = asyncio.Event()
    history = discord.Thread.history

    async def read_alongside(self: discord.Thread, **kwargs):
        in_flight.add(self.id)
        if len(in_flight) >= 2:
            both_started.set()
        await both_started.wait()
        async for message in history(self, **kwargs):
            yield message

    monkeypatch.setattr(discord.Thread, "history", read_alongside)
    mlq = server.mlq
    bot = create_client(mlq.core, mlq.adapter, ClientOptions())
    await asyncio.wait_for(server.env.restart_bot(bot), timeout=10)
    await server.env.settle()
    assert in_flight == {thread.id, other.id}
    async with unit_of_work(mlq.core.ctx.db) as repo:
        stored = list(await repo.session.scalars(select(Answer.text)))
    assert stored == [ANSWER, ANSWER]  # read back, each counted once
