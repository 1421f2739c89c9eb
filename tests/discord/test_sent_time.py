"""Discord answers are judged by their snowflake's time, so a catch-up after an outage
credits what was sent before the deadline, even once the round has been revealed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adapters.discord.client import ClientOptions, create_client
from adapters.discord.outbound import REACTION_EMOJI
from bot.messages import Reaction
from storage import unit_of_work
from storage.models import Answer, MemberStreak
from tests.discord.conftest import START, Server, post_question, reactions, refetch

ANSWER = "Batch normalisation normalises activations with batch statistics during training."


def align_discord_clock(server: Server) -> None:
    """Discord's clock (snowflake times) and the core's agree, as in production."""
    server.env.backend.advance_clock((START - server.env.now()).total_seconds())


async def test_an_answer_read_back_after_an_outage_counts_by_when_it_was_sent(
    server: Server,
) -> None:
    align_discord_clock(server)
    _post, thread = await post_question(server)
    ben, cai = server.members[0], server.members[1]

    async def away(message) -> None:  # the bot is down: nothing reaches it
        return None

    server.env.bot.mlq.on_message = away
    # 16:58 by Discord's clock, two minutes before the deadline.
    server.env.backend.advance_clock(
        (START.replace(hour=16, minute=58) - server.env.now()).total_seconds()
    )
    in_time = await ben.send(thread, ANSWER)
    server.env.backend.advance_clock(timedelta(minutes=5).total_seconds())
    too_late = await cai.send(thread, ANSWER + " It also speeds up training.")
    await server.tick_at(17, 10)  # the reveal goes out without them

    mlq = server.mlq
    mlq.clock.set(START.replace(hour=17, minute=40))  # back half an hour after the reveal
    await server.env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
    await server.env.settle()
    assert reactions(refetch(thread, in_time)) == [REACTION_EMOJI[Reaction.RECEIVED]]
    assert reactions(refetch(thread, too_late)) == [REACTION_EMOJI[Reaction.LATE]]
    async with unit_of_work(mlq.core.ctx.db) as repo:
        rows = list(await repo.session.scalars(select(Answer).order_by(Answer.id)))
        streaks = list(await repo.session.scalars(select(MemberStreak)))
    assert [(a.on_time, a.points > 0) for a in rows] == [(True, True), (False, False)]
    assert [s.current for s in streaks] == [1]
