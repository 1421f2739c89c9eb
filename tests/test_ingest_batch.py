"""Group commit: replies stored together keep every single-reply rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.answers import on_answer_posted
from bot.events import AnswerPosted
from bot.messages import Reaction
from storage.models import Answer, Member, ProcessedEvent
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

ANA, BEN, CAI, DIA = MEMBERS
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    await harness.command("subscribe", ADMIN)
    await harness.run_until(NINE)
    yield harness
    await harness.close()


def reply(h: Harness, who, text: str, message_id: str) -> AnswerPosted:
    return AnswerPosted(h.where, who, h.current_thread(), message_id, text)


async def count(h: Harness, model) -> int:
    async with h.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def answer_of(h: Harness, who) -> Answer:
    async with h.db.session() as session:
        return await session.scalar(
            select(Answer)
            .join(Member, Member.id == Answer.member_id)
            .where(Member.external_id == who.user_id)
        )


def model_answer(h: Harness) -> str:
    prompt = h.adapter.of("post")[-1].message.body
    return next(q for q in h.bank if q.prompt == prompt).answer


async def test_a_burst_is_stored_once_each_with_every_reaction(h: Harness):
    events = [
        reply(h, m, f"{m.display_name} thinks it is about trade-offs {i}.", f"m{i}")
        for i, m in enumerate(MEMBERS)
    ]
    duplicates = [events[0], events[1]]  # a platform retry arriving in the same burst
    await asyncio.gather(*(h.core.dispatch(e) for e in [*events, *duplicates]))
    assert await count(h, Answer) == 4
    assert await count(h, ProcessedEvent) == 4
    reactions = [r.reaction for r in h.adapter.of("react")]
    assert sorted(reactions) == [Reaction.RECEIVED] * 4
    assert {p.user_id for p in h.adapter.of("private")} == {m.user_id for m in MEMBERS}


async def test_two_replies_of_one_member_in_a_burst_keep_the_later(h: Harness):
    await asyncio.gather(
        h.core.dispatch(reply(h, ANA, "a first vague try", "a1")),
        h.core.dispatch(reply(h, ANA, model_answer(h), "a2")),
    )
    async with h.db.session() as session:
        answers = (await session.scalars(select(Answer))).all()
    assert len(answers) == 1 and answers[0].message_ref == "a2" and answers[0].score > 0.8
    assert [r.reaction for r in h.adapter.of("react")] == [Reaction.RECEIVED, Reaction.UPDATED]


async def test_a_near_copy_in_the_same_burst_is_flagged(h: Harness):
    text = model_answer(h)
    await asyncio.gather(
        h.core.dispatch(reply(h, ANA, text, "a1")),
        h.core.dispatch(reply(h, BEN, text + " I agree.", "b1")),
    )
    assert "near_copy" in (await answer_of(h, BEN)).flags


async def test_first_time_authors_are_created_in_one_go(h: Harness):
    events = [reply(h, m, "An honest attempt at it.", f"x{i}") for i, m in enumerate(MEMBERS)]
    before = await count(h, Member)
    await asyncio.gather(*(h.core.dispatch(e) for e in events))
    assert await count(h, Member) == before + 4


async def test_a_failing_batch_falls_back_to_one_by_one(h: Harness, monkeypatch):
    import bot.ingest

    async def broken(ctx, events):
        raise RuntimeError("simulated failure of the bulk path")

    monkeypatch.setattr(bot.ingest, "store_batch", broken)
    events = [reply(h, m, f"Attempt number {i} at it.", f"f{i}") for i, m in enumerate(MEMBERS)]
    await asyncio.gather(*(h.core.dispatch(e) for e in events))
    assert await count(h, Answer) == 4


async def test_grades_are_computed_before_the_write_lock_and_reused(h: Harness, monkeypatch):
    import bot.ingest

    calls: list[str] = []
    real_grade_for = bot.ingest.grade_for

    def counting_grade_for(ctx, post, text, others, accepted=()):
        calls.append(text)
        return real_grade_for(ctx, post, text, others, accepted)

    monkeypatch.setattr(bot.ingest, "grade_for", counting_grade_for)
    events = [
        reply(h, m, f"{m.display_name} on trade-offs {i}.", f"g{i}") for i, m in enumerate(MEMBERS)
    ]
    await bot.ingest.store_batch(h.core.ctx, events)
    assert sorted(calls) == sorted(e.text for e in events)  # once each, none inside the write


async def test_an_answer_stored_meanwhile_is_seen_by_a_regrade(h: Harness, monkeypatch):
    """Another process stores a copyable answer between the look-ahead and the write: the
    write notices the round changed and grades again, so the near-copy is still caught."""
    import bot.ingest

    text = model_answer(h)
    real_pregrade = bot.ingest._pregrade

    async def pregrade_then_someone_answers(ctx, events, now):
        graded = await real_pregrade(ctx, events, now)
        assert graded  # BEN's answer was graded ahead, against an empty round
        await on_answer_posted(ctx, reply(h, ANA, text, "a-meanwhile"))  # the single path
        return graded

    monkeypatch.setattr(bot.ingest, "_pregrade", pregrade_then_someone_answers)
    await bot.ingest.store_batch(h.core.ctx, [reply(h, BEN, text + " Indeed.", "b-late")])
    assert "near_copy" in (await answer_of(h, BEN)).flags


async def test_a_burst_with_replies_that_have_nothing_to_grade_counts_only_the_answers(
    h: Harness,
):
    """The batch path follows the single path: 'ok' and '👍' in a burst are not stored (no
    on-time point, no streak day) and their authors are told why."""
    ana, ben, cat = MEMBERS[:3]
    await asyncio.gather(
        h.core.dispatch(reply(h, ana, "ok", "b1")),
        h.core.dispatch(reply(h, ben, "👍", "b2")),
        h.core.dispatch(reply(h, cat, model_answer(h), "b3")),
    )
    assert await count(h, Answer) == 1
    assert (await answer_of(h, cat)).message_ref == "b3"
    told = {p.user_id: p.message.body or "" for p in h.adapter.of("private")}
    assert "nothing to grade" in told[ana.user_id] and "nothing to grade" in told[ben.user_id]
