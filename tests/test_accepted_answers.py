"""Answers a round confirms become extra model answers for the team, once each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.rounds import reveal
from storage import unit_of_work
from storage.models import AcceptedAnswer, Post
from tests.harness import ADMIN, MEMBERS, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIVE_PM = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ANA, BEN, CAI, _ = MEMBERS


async def test_the_best_answer_is_accepted_once_and_offered_to_later_grading(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.command("subscribe", ADMIN)
        await h.run_until(NINE)
        async with unit_of_work(h.db) as repo:
            post = (await repo.session.scalars(select(Post))).one()
        question = h.bank.get(post.question_id)
        await h.answer(ANA, question.answer, message_id="m1")
        await h.answer(BEN, "No idea, sorry.", message_id="m2")
        await h.run_until(FIVE_PM)

        async with unit_of_work(h.db) as repo:
            rows = list(await repo.session.scalars(select(AcceptedAnswer)))
        assert [(r.text, r.reason, r.question_id) for r in rows] == [
            (question.answer, "best", post.question_id)
        ]
        # A reveal that runs again (a retry, a second copy) accepts nothing twice.
        await reveal(h.core.ctx, post.id, FIVE_PM)
        async with unit_of_work(h.db) as repo:
            await repo.accept_answers(
                [
                    {
                        "workspace_id": rows[0].workspace_id,
                        "question_id": post.question_id,
                        "answer_id": rows[0].answer_id,
                        "text": "again",
                        "reason": "best",
                        "accepted_at": FIVE_PM,
                    }
                ]
            )
            assert len(list(await repo.session.scalars(select(AcceptedAnswer)))) == 1
            # The next grading of this question in this workspace compares with it.
            assert await repo.accepted_texts([post.id], 20) == {post.id: [question.answer]}
    finally:
        await h.close()


async def test_weak_late_or_flagged_answers_are_not_accepted(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.command("subscribe", ADMIN)
        await h.run_until(NINE)
        await h.answer(BEN, "No idea, sorry.", message_id="m2")
        await h.answer(
            CAI,
            "Die Antwort ist nicht bekannt, weil das Modell und die Daten nicht zusammen passen.",
            message_id="m3",
        )
        await h.run_until(FIVE_PM)
        async with unit_of_work(h.db) as repo:
            assert list(await repo.session.scalars(select(AcceptedAnswer))) == []
    finally:
        await h.close()
