"""Rounds whose thread cannot take the reveal (never opened, deleted, locked): the reveal
replies to the question in the channel, once, and the channel is not suspended."""

from __future__ import annotations

import logging

import discord
import pytest
from sqlalchemy import select

from storage import unit_of_work
from storage.models import Answer, Channel, Post
from tests.discord.conftest import Server, post_question, subscribe
from tests.discord.test_daily import GOOD


async def channel_state(server: Server) -> tuple[str | None, list[str]]:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        reason = await repo.session.scalar(select(Channel.suspended_reason))
        states = list(await repo.session.scalars(select(Post.state).order_by(Post.id)))
    return reason, states


def reveals_in_channel(server: Server, question: discord.Message) -> list[discord.Message]:
    return [
        m
        for m in server.channel.history()
        if m.embeds and m.reference is not None and m.reference.message_id == question.id
    ]


async def test_no_permission_to_open_threads_reveals_as_a_reply(server: Server) -> None:
    await subscribe(server)
    server.env.inject_error(
        "POST",
        f"/channels/{server.channel.id}/messages/*/threads",
        status=403,
        code=50013,
        message="Missing Permissions",
        times=None,
    )
    await server.tick_at(9, 1)
    [question] = [m for m in server.channel.history() if m.embeds and m.components]
    assert server.channel.threads == []
    for hour in (17, 18, 19):
        await server.tick_at(hour, 1)
    (reveal,) = reveals_in_channel(server, question)
    assert "answer" in reveal.embeds[0].title.lower()
    assert await channel_state(server) == (None, ["revealed"])


async def test_a_deleted_thread_does_not_suspend_the_channel(server: Server) -> None:
    question, thread = await post_question(server)
    server.env.backend.delete_channel(thread.id)
    await server.env.settle()
    for hour in (17, 18):
        await server.tick_at(hour, 1)
    assert len(reveals_in_channel(server, question)) == 1
    assert await channel_state(server) == (None, ["revealed"])


async def test_a_deleted_question_thread_reaches_the_core_and_keeps_its_answers(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """THREAD_DELETE (discord.py's on_raw_thread_delete) goes to the core's lifecycle path,
    which keeps everything as it is: the answer given in the thread still counts, the
    button still takes answers, the reveal replies to the question in the channel once, no
    thread is opened again and the channel stays as it was."""
    question, thread = await post_question(server)
    ben = server.members[0]
    await ben.send(thread, GOOD)
    await server.env.settle()
    caplog.set_level(logging.INFO, logger="mlq")

    # Someone's own thread in the channel: nothing to mlq.
    other = discord.RawThreadDeleteEvent(
        {"id": 4242, "type": 11, "guild_id": server.guild.id, "parent_id": server.channel.id}
    )
    await server.env.bot.mlq.on_raw_thread_delete(other)
    assert "thread was deleted" not in caplog.text

    server.env.backend.delete_channel(thread.id)
    await server.env.settle()
    [note] = [r for r in caplog.records if "thread was deleted" in r.getMessage()]
    assert note.levelno == logging.WARNING and "is not opened again" in note.getMessage()
    assert await channel_state(server) == (None, ["posted"])
    # The question in the channel still takes answers through its button.
    cai = server.members[1]
    shown = await cai.click(question, label="Answer privately")
    graded = await cai.submit_modal(shown, {"mlq:answer-text": GOOD})
    assert graded.response.embeds[0].title.startswith("Your grade")

    for hour in (17, 18):
        await server.tick_at(hour, 1)
    (reveal,) = reveals_in_channel(server, question)
    assert "answer" in reveal.embeds[0].title.lower()
    assert server.channel.threads == []  # not re-created
    assert await channel_state(server) == (None, ["revealed"])
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        kept = list(await repo.session.scalars(select(Answer.text)))
    assert kept == [GOOD, GOOD]  # ben's from the thread, cai's through the button
