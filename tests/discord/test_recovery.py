"""A process killed between a Discord send and its mark, and a fresh process taking over.

The dying process is a second core on the same database (tests/crash.py) whose adapter
forwards to the real Discord adapter: the message reaches simcord, then the process dies
before it writes the mark. The bot is then restarted with a fresh discord.py client (an
empty message cache, as a new process has), and the surviving core ticks once the lease
has run out. Discord does not return a message's nonce in its history (simcord, like
Discord, never does), so only the claim key in the first button's custom id can tell the
survivor that the message is out already.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import discord
import pytest
import simcord
from sqlalchemy import select

from adapters.discord import inbound
from adapters.discord.client import ClientOptions, create_client
from adapters.discord.outbound import key_of_custom_id, key_token
from bot.core import MlqCore
from bot.messages import Action, Button, Message, MessageKind
from storage import unit_of_work
from storage.models import Digest, Post
from tests.crash import Dead, DyingAdapter, dying_core, nth
from tests.discord.conftest import START, Server, post_question, subscribe

ANSWER = "Batch normalisation normalises activations with batch statistics during training."
FRIDAY = START + timedelta(days=4)


def at(server: Server, when: datetime) -> None:
    """Both clocks at ``when``: the core's, and Discord's (snowflake times), as in
    production, where the claim's instant and the message's time agree."""
    server.mlq.clock.set(when)
    ahead = (when - server.env.now()).total_seconds()
    if ahead > 0:
        server.env.backend.advance_clock(ahead)


async def fresh_process(server: Server) -> None:
    """The bot restarted: a new client, nothing cached, the nonce nowhere to be seen."""
    mlq = server.mlq
    await server.env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
    assert not server.env.bot.cached_messages


async def after_the_lease(server: Server, extra: timedelta = timedelta(seconds=1)) -> None:
    at(server, server.mlq.clock.now() + server.mlq.core.ctx.lease + extra)
    await server.mlq.core.tick()
    await server.env.settle()


def titled(channel: simcord.ChannelHandle, prefix: str) -> list[discord.Message]:
    return [
        m for m in channel.history() if m.embeds and (m.embeds[0].title or "").startswith(prefix)
    ]


def history_reads(server: Server, channel_id: int) -> int:
    path = f"/channels/{channel_id}/messages"
    return sum(1 for r in server.env.http_requests if r.method == "GET" and r.path == path)


async def rows(server: Server, model: type) -> list:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        return list(await repo.session.scalars(select(model).order_by(model.id)))


@pytest.fixture
async def doomed(db_url: str, server: Server) -> AsyncIterator[tuple[MlqCore, DyingAdapter]]:
    """A second process on the same database and the same bot token."""
    core, adapter = dying_core(
        db_url, server.mlq.adapter, server.mlq.clock, lambda m: m.kind in KILL_AT
    )
    yield core, adapter
    await core.ctx.db.dispose()


KILL_AT = {MessageKind.QUESTION, MessageKind.REVEAL, MessageKind.DIGEST}


def carried_key(message: discord.Message) -> str | None:
    """The claim key token in the message's components (what the history returns)."""
    ids = [c.custom_id for row in message.components for c in row.children]
    return next((k for i in ids if (k := key_of_custom_id(i)) is not None), None)


async def test_a_post_sent_before_the_kill_is_found_by_a_fresh_process(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    core, dying = doomed
    at(server, START)
    await subscribe(server)
    at(server, START.replace(hour=9, minute=1))
    await core.tick()  # claims, posts, dies before the mark
    await server.env.settle()
    assert dying.dead
    [posted] = titled(server.channel, "Question of the day")
    [claim] = await rows(server, Post)
    assert claim.state == "claimed" and claim.message_ref is None
    assert carried_key(posted) == key_token(claim.claim_key)

    await fresh_process(server)
    await server.mlq.core.tick()  # within the lease: the claim is left alone
    await server.env.settle()
    reads = history_reads(server, server.channel.id)
    await after_the_lease(server)
    assert titled(server.channel, "Question of the day") == [posted]  # not posted again
    assert history_reads(server, server.channel.id) > reads  # found over REST
    [post] = await rows(server, Post)
    assert post.state == "posted"
    assert post.message_ref == post.thread_ref == str(posted.id)
    assert post.posted_at == claim.created_at  # the deadline its message shows
    # The round goes on in the thread the dead process opened.
    [thread] = server.channel.threads
    reply = await server.members[0].send(thread, ANSWER)
    assert [str(r.emoji) for r in next(m for m in thread.history() if m.id == reply.id).reactions]


async def test_a_reveal_sent_before_the_kill_is_found_in_the_thread(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    core, dying = doomed
    at(server, START)
    _post, thread = await post_question(server)
    ben = server.members[0]
    await ben.send(thread, ANSWER)
    at(server, START.replace(hour=17, minute=5))
    await core.tick()  # claims the reveal, sends it, dies before the mark
    await server.env.settle()
    assert dying.dead
    [reveal] = titled(thread, "Model answer")
    [claim] = await rows(server, Post)
    assert claim.reveal_message_ref is None  # claimed, the mark never written

    await fresh_process(server)
    await after_the_lease(server)
    assert titled(thread, "Model answer") == [reveal]
    [done] = await rows(server, Post)
    assert done.state == "revealed" and done.reveal_message_ref == str(reveal.id)
    # The reveal's button (the key's carrier) shows one's own points.
    shown = await ben.click(reveal, label="My feedback")
    assert shown.ephemeral and shown.response.embeds[0].title.startswith("Your feedback")
    assert "Points:" in shown.response.embeds[0].description


async def test_a_digest_sent_before_the_kill_is_found_by_a_fresh_process(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    core, dying = doomed
    at(server, START)
    await subscribe(server)
    for day, hour in ((0, 9), (0, 17), (4, 9)):  # Monday's round, Friday's question
        at(server, START.replace(hour=hour, minute=5) + timedelta(days=day))
        await server.mlq.core.tick()
        await server.env.settle()
    at(server, FRIDAY.replace(hour=16, minute=1))
    await core.tick()  # claims the digest, sends it, dies before the mark
    await server.env.settle()
    assert dying.dead
    [digest] = titled(server.channel, "Weekly digest")

    await fresh_process(server)
    await after_the_lease(server)
    assert titled(server.channel, "Weekly digest") == [digest]
    [row] = await rows(server, Digest)
    assert row.state == "posted" and row.message_ref == str(digest.id)


async def test_a_history_that_cannot_be_read_sends_nothing_until_it_can(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    core, dying = doomed
    at(server, START)
    await subscribe(server)
    at(server, START.replace(hour=9, minute=1))
    await core.tick()
    await server.env.settle()
    assert dying.dead
    await fresh_process(server)
    history = f"/channels/{server.channel.id}/messages"
    server.env.inject_error("GET", history, status=503, message="Service Unavailable", times=None)
    await after_the_lease(server)
    # Not knowing whether it went out, the survivor sends nothing, and keeps the claim.
    assert len(titled(server.channel, "Question of the day")) == 1
    [claim] = await rows(server, Post)
    assert claim.state == "claimed" and claim.lease_until is not None
    server.env.backend.faults.clear()
    await after_the_lease(server, extra=timedelta(minutes=10))  # past the backed-off lease
    assert len(titled(server.channel, "Question of the day")) == 1
    [post] = await rows(server, Post)
    assert post.state == "posted"


async def test_a_claim_killed_before_its_send_is_sent_once(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    """The bot's other messages since the claim carry no key or another one: none is taken
    for the claimed post, which is sent once."""
    core, dying = doomed

    def killed_before_the_send() -> None:
        dying.dead = dying.db.dead = True
        raise Dead("killed before the send")

    dying._alive = killed_before_the_send  # type: ignore[method-assign]
    at(server, START)
    await subscribe(server)
    at(server, START.replace(hour=9, minute=1))
    await core.tick()  # claims, dies before it posts
    await server.env.settle()
    assert dying.dead and titled(server.channel, "Question of the day") == []
    [claim] = await rows(server, Post)
    where = inbound.address(server.guild.id, server.channel.id)
    button = (Button(Action.MY_FEEDBACK, "My feedback", str(claim.id)),)
    for other in (None, f"{claim.claim_key}:reveal", "digest:1:2026-W10"):
        await server.mlq.adapter.post(where, Message("another", buttons=button, key=other))

    await fresh_process(server)
    await after_the_lease(server)
    [posted] = titled(server.channel, "Question of the day")
    [post] = await rows(server, Post)
    assert post.state == "posted" and post.message_ref == str(posted.id)
    assert post.posted_at > claim.created_at  # sent now, not found


async def test_buttons_without_a_key_still_work(server: Server) -> None:
    """Messages posted before the key rode in custom ids ("mlq:feedback:<post>") are still
    clicked: the template takes both shapes."""
    at(server, START)
    _post, thread = await post_question(server)
    ben = server.members[0]
    await ben.send(thread, ANSWER)
    [claim] = await rows(server, Post)
    where = inbound.address(server.guild.id, server.channel.id)
    old = Message(
        "an older post",
        buttons=(
            Button(Action.ANSWER_PRIVATELY, "Answer privately", str(claim.id)),
            Button(Action.MY_FEEDBACK, "My feedback", str(claim.id)),
        ),
    )
    await server.mlq.adapter.post(where, old)
    await fresh_process(server)
    [shown] = [
        m for m in server.channel.history() if m.embeds and m.embeds[0].description == old.body
    ]
    ids = [c.custom_id for row in shown.components for c in row.children]
    assert ids == [f"mlq:answer:{claim.id}", f"mlq:feedback:{claim.id}"]
    feedback = await ben.click(shown, label="My feedback")
    assert feedback.response.embeds[0].title.startswith("Your feedback")
    form = await server.members[1].click(shown, label="Answer privately")
    assert form.modal is not None


async def test_a_fan_out_killed_mid_way_leaves_one_post_per_channel(
    server: Server, db_url: str
) -> None:
    channels = [server.channel] + [
        server.guild.create_text_channel(f"ml-study-{n}") for n in range(2, 7)
    ]
    core, dying = dying_core(
        db_url, server.mlq.adapter, server.mlq.clock, nth(MessageKind.QUESTION, 3)
    )
    try:
        at(server, START)
        for channel in channels:
            await subscribe(server, channel)
        at(server, START.replace(hour=9, minute=1))
        await core.tick()  # claims all six, dies right after its third post
        await server.env.settle()
        assert dying.dead
        sent = sum(len(titled(c, "Question of the day")) for c in channels)
        assert 3 <= sent <= len(channels)  # those in flight at the kill may be out too

        await fresh_process(server)
        await after_the_lease(server)
        assert [len(titled(c, "Question of the day")) for c in channels] == [1] * len(channels)
        posts = await rows(server, Post)
        assert len(posts) == len(channels) and {p.state for p in posts} == {"posted"}
        found = {p.message_ref for p in posts}
        assert found == {str(m.id) for c in channels for m in titled(c, "Question of the day")}
    finally:
        await core.ctx.db.dispose()
