"""The owed grade on Discord is a DM found again by its outbox key after a kill.

Two processes on one database (tests/crash.py): the dying one's discord.py client takes the
member's answer from the gateway, stores it, and is killed just before or just after
Discord took the grade DM. The bot is then restarted with a fresh client bound to the
surviving core (an empty message cache, as a new process has), and the survivor takes the
outbox row over long after Discord has forgotten the DM's nonce (simcord, like Discord
after a few minutes, does not deduplicate by nonce, nor return it in history). Only the
grade reference in the DM's first line, which the history does return, can tell it the
grade is out already.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest
from sqlalchemy import select

from adapters.discord.adapter import carries_private_key, claim_nonce
from adapters.discord.client import ClientOptions, create_client
from adapters.discord.outbound import dm_reference, key_of_dm, key_token
from bot.core import MlqCore
from bot.events import ChannelAddress
from bot.messages import Message, MessageKind
from storage import unit_of_work
from storage.models import FeedbackOutbox
from tests.crash import DyingAdapter, dying_core
from tests.discord.conftest import START, Server, subscribe
from tests.discord.test_recovery import at, fresh_process

ANSWER = "Batch normalisation normalises activations with batch statistics during training."
# Discord remembers a nonce for "the past few minutes"; the survivor comes back far later.
LONG_AFTER = timedelta(minutes=30)


@pytest.fixture
async def doomed(db_url: str, server: Server) -> AsyncIterator[tuple[MlqCore, DyingAdapter]]:
    """A second process on the same database and bot token; nothing it posts kills it
    until a test says when (die_before / die_after a private message)."""
    core, adapter = dying_core(db_url, server.mlq.adapter, server.mlq.clock, lambda m: False)
    yield core, adapter
    await core.ctx.db.dispose()


async def answer_in_the_doomed_process(
    server: Server, doomed: tuple[MlqCore, DyingAdapter], *, before: bool = False
) -> discord.Member:
    """The question is out; the doomed process's client takes ben's answer and dies just
    before (``before``) or just after Discord took his grade DM."""
    core, dying = doomed
    at(server, START)
    await subscribe(server)
    # Both clocks at the post, as in production: the row's time and the DM's agree.
    at(server, START.replace(hour=9, minute=1))
    await server.mlq.core.tick()
    await server.env.settle()
    [thread] = server.channel.threads
    dying.die_before = lambda verb: before and verb == "private"
    dying.die_after = lambda verb: not before and verb == "private"
    await server.env.restart_bot(create_client(core, server.mlq.adapter, ClientOptions()))
    ben = server.members[0]
    await ben.send(thread, ANSWER)
    await server.env.settle()
    assert dying.dead
    await fresh_process(server)
    return ben


async def grade_row(server: Server) -> FeedbackOutbox:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        query = select(FeedbackOutbox).where(FeedbackOutbox.kind == "private")
        [row] = list(await repo.session.scalars(query))
        return row


def grades(member) -> list[discord.Message]:  # type: ignore[no-untyped-def]
    dm = member.user.dm_channel
    return [] if dm is None else [m for m in dm.history() if m.embeds]


def dm_reads(server: Server, member) -> int:  # type: ignore[no-untyped-def]
    path = f"/channels/{member.user.dm_channel.id}/messages"
    return sum(1 for r in server.env.http_requests if r.method == "GET" and r.path == path)


async def survivor_ticks(server: Server, after: timedelta = LONG_AFTER) -> None:
    at(server, server.mlq.clock.now() + after)
    await server.mlq.core.tick()
    await server.env.settle()


async def test_a_grade_sent_before_the_kill_is_found_long_after_the_nonce_window(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    ben = await answer_in_the_doomed_process(server, doomed)
    [dm] = grades(ben)
    row = await grade_row(server)
    assert row.sent_at is None and row.given_up is None  # sent, never marked
    assert key_of_dm(dm.content) == key_token(f"fb:{row.id}")  # what history returns

    reads = dm_reads(server, ben)
    await survivor_ticks(server)
    assert grades(ben) == [dm]  # one DM in all
    assert dm_reads(server, ben) > reads  # found over REST, not in a cache
    row = await grade_row(server)
    assert row.sent_at is not None and row.given_up is None and row.attempts == 2
    await survivor_ticks(server)  # and it stays paid
    assert grades(ben) == [dm]


async def test_a_grade_killed_before_its_send_is_sent_once_and_others_do_not_match(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    """Before the survivor looks, ben's DM holds the bot's grade for another row and, from
    ben himself, the very reference of the owed grade: neither is taken for it."""
    ben = await answer_in_the_doomed_process(server, doomed, before=True)
    assert grades(ben) == []
    row = await grade_row(server)
    where = ChannelAddress("discord", str(server.guild.id), str(server.channel.id))
    other = Message("Your grade · another answer", kind=MessageKind.FEEDBACK, key="fb:999999")
    await server.mlq.adapter.send_private(where, str(ben.user.id), other)
    [decoy] = grades(ben)
    await ben.send_dm(f"copying you {dm_reference(f'fb:{row.id}')}")
    await server.env.settle()

    await survivor_ticks(server)
    sent = [m for m in grades(ben) if m.id != decoy.id]
    assert len(sent) == 1 and sent[0].embeds[0].title.startswith("Your grade")
    assert key_of_dm(sent[0].content) == key_token(f"fb:{row.id}")
    row = await grade_row(server)
    assert row.sent_at is not None and row.attempts == 2
    await survivor_ticks(server)
    assert len([m for m in grades(ben) if m.id != decoy.id]) == 1


async def test_a_dm_history_that_cannot_be_read_sends_nothing_now(
    server: Server, doomed: tuple[MlqCore, DyingAdapter]
) -> None:
    ben = await answer_in_the_doomed_process(server, doomed)
    [dm] = grades(ben)
    history = f"/channels/{ben.user.dm_channel.id}/messages"
    server.env.inject_error("GET", history, status=503, message="Service Unavailable", times=None)
    await survivor_ticks(server)
    assert grades(ben) == [dm]  # not knowing, it sends nothing
    row = await grade_row(server)
    assert row.sent_at is None and row.given_up is None  # and keeps it owed
    assert row.lease_until is not None and row.lease_until > server.mlq.clock.now()

    server.env.backend.faults.clear()
    await survivor_ticks(server, timedelta(hours=1))  # past the backed-off wait
    assert grades(ben) == [dm]
    row = await grade_row(server)
    assert row.sent_at is not None and row.given_up is None


@pytest.mark.parametrize(
    ("method", "path", "code", "message"),
    [
        ("GET", "history", 50001, "Missing Access"),
        ("POST", "/users/@me/channels", 50007, "Cannot send messages to this user"),
    ],
)
async def test_a_dm_refused_for_good_gives_the_grade_up_not_sent_again(
    server: Server,
    doomed: tuple[MlqCore, DyingAdapter],
    method: str,
    path: str,
    code: int,
    message: str,
) -> None:
    """A 403 on the look-up: the send would meet it too (and send nothing), so the row is
    given up; a DM that did go out before is not sent a second time."""
    ben = await answer_in_the_doomed_process(server, doomed)
    [dm] = grades(ben)
    if path == "history":
        path = f"/channels/{ben.user.dm_channel.id}/messages"
    server.env.inject_error(method, path, status=403, code=code, message=message, times=None)
    await survivor_ticks(server)
    await survivor_ticks(server, timedelta(hours=1))
    assert grades(ben) == [dm]
    row = await grade_row(server)
    assert row.sent_at is None and row.given_up is not None and "dms_closed" in row.given_up


class Seen:
    """A message as the gateway delivers it (with its nonce) or history returns it."""

    def __init__(self, content: str | None, nonce: str | None = None) -> None:
        self.content, self.nonce = content, nonce


def test_the_reference_names_the_key_and_nothing_else_matches() -> None:
    token = key_token("fb:12")
    line = f"About your answer in <#1>: {dm_reference('fb:12')}"
    assert key_of_dm(line) == token and len(token) == 22
    assert key_of_dm(f"About your answer in <#1>: {dm_reference('fb:13')}") != token
    for other in (None, "", "About your answer in <#1>:", f"(grade ref {token[:-1]})", 12):
        assert key_of_dm(other) is None
    nonce = claim_nonce("fb:12")
    assert carries_private_key(Seen(line), nonce, token)  # type: ignore[arg-type]
    assert carries_private_key(Seen("", nonce), nonce, token)  # type: ignore[arg-type]
    assert not carries_private_key(Seen("x", claim_nonce("fb:13")), nonce, token)  # type: ignore[arg-type]
