"""Spaced repetition: what someone got wrong comes back in practice before anything new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from bot.events import PrivateAnswerSubmitted
from bot.messages import MessageKind
from bot.review import rating_for, record_review
from storage import unit_of_work
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

ANA = MEMBERS[0]
MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_scores_map_to_recall_ratings():
    assert rating_for(0.0) == Rating.Again
    assert rating_for(0.5) == Rating.Hard
    assert rating_for(0.8) == Rating.Good
    assert rating_for(0.95) == Rating.Easy


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


async def _member_id(h: Harness) -> int:
    async with unit_of_work(h.db) as repo:
        workspace = await repo.workspace_id(h.where.platform, h.where.workspace, h.clock.now())
        return (await repo.member(workspace, ANA.user_id, ANA.display_name, h.clock.now())).id


async def test_a_regrade_of_the_same_round_replaces_its_review(h: Harness):
    member_id = await _member_id(h)
    when = h.clock.now()
    async with unit_of_work(h.db) as repo:
        await record_review(repo, member_id, "q", post_id=1, score=0.1, when=when)
    async with unit_of_work(h.db) as repo:
        edited = await record_review(repo, member_id, "q", post_id=1, score=1.0, when=when)
        assert edited.reviews == 1
        edited_due = edited.due
    async with unit_of_work(h.db) as repo:
        await record_review(repo, member_id, "fresh", post_id=2, score=1.0, when=when)
        fresh = await repo.review_card(member_id, "fresh")
        assert fresh.due == edited_due  # as if the first grade had never happened
        again = await record_review(repo, member_id, "q", post_id=3, score=1.0, when=edited_due)
        assert again.reviews == 2 and again.due > edited_due


async def test_a_weak_daily_answer_comes_back_as_a_review_before_new_questions(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    daily_prompt = h.adapter.of("post")[-1].message.body
    await h.answer(ANA, "No real idea, something about data.", message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))

    not_yet = (await h.command("", ANA))[0]
    assert not_yet.title.startswith("Practice")  # nothing is due an hour later

    h.clock.advance(timedelta(days=2))
    review = (await h.command("", ANA))[0]
    assert review.title.startswith("Review (last time")
    assert review.body == daily_prompt
    stats = (await h.command("stats", ANA))[0].body
    assert "Reviews due: 1" in stats

    question = next(q for q in h.bank if q.prompt == review.body)
    post_id = int(review.buttons[0].value)
    feedback = await h.core.dispatch(PrivateAnswerSubmitted(h.where, ANA, post_id, question.answer))
    assert feedback[0].kind == MessageKind.FEEDBACK
    # Answered well now: it is pushed out, and the next practice question is a new one.
    follow_up = (await h.command("", ANA))[0]
    assert follow_up.title.startswith("Practice") and follow_up.body != daily_prompt
    assert "Reviews due: 0" in (await h.command("stats", ANA))[0].body


async def test_reviews_respect_the_requested_topic(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    prompt = h.adapter.of("post")[-1].message.body
    topic = next(q for q in h.bank if q.prompt == prompt).topic
    await h.answer(ANA, "No idea.", message_id="a1")
    h.clock.advance(timedelta(days=3))
    other = next(t for t in sorted(h.bank.topics()) if t != topic)
    reply = (await h.command(other, ANA))[0]
    assert reply.title.startswith("Practice")
    assert next(q for q in h.bank if q.prompt == reply.body).topic == other
