"""Quiz rounds end to end through the core: post, private pick, change of pick, reveal with
votes and whys, points credited once; numeric answers typed in the thread; practice."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.memory import MemoryAdapter
from bot.clock import ManualClock
from bot.events import Actor, ButtonPressed, ChannelAddress, PrivateAnswerSubmitted
from bot.messages import Action, MessageKind, Visibility
from question_bank.schema import Question
from tests.harness import ADMIN, MEMBERS, Harness, make_core
from tests.quiz_bank import NUMERIC, SEVERAL, SINGLE, bank_of

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIVE_PM = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ANA, BEN, CAI, DIA = MEMBERS


async def harness(db_url: str, *questions: Question) -> Harness:
    clock = ManualClock(MONDAY_6AM)
    adapter = MemoryAdapter("memory", clock)
    core = make_core(db_url, adapter, clock, bank=bank_of(*questions))
    h = Harness(core, adapter, clock, core.ctx.db, ChannelAddress("memory", "W1", "C1"))
    await h.command("subscribe", ADMIN)
    await h.command("formats quiz", ADMIN)
    return h


def question_post(h: Harness):
    return next(s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION)


def reveal(h: Harness):
    (sent,) = [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
    return sent.message


async def pick(h: Harness, actor: Actor, text: str, event_id: str) -> list:
    post_id = question_post(h).message.choices.post_id
    return await h.core.dispatch(
        PrivateAnswerSubmitted(h.where, actor, post_id, text, event_id=event_id)
    )


async def test_a_choice_round_picks_privately_changes_and_reveals_votes(db_url: str):
    h = await harness(db_url, SINGLE)
    try:
        await h.run_until(NINE)
        post = question_post(h).message
        assert post.choices is not None and not post.choices.several
        assert post.choices.labels == ("A. Sigmoid", "B. Tanh", "C. ReLU")
        assert "**C.** ReLU" in post.body  # the options are in the text too (console)
        assert [b.action for b in post.buttons] == [Action.MY_FEEDBACK]

        first = await pick(h, ANA, "B", "e1")
        assert first[0].visibility == Visibility.PRIVATE
        assert first[0].title == "Your pick · B"
        assert not any(w in first[0].plain_text() for w in ("Right:", "the answer is", "✗"))
        # A change of pick replaces the first; the same delivery again changes nothing.
        changed = await pick(h, ANA, "C", "e2")
        assert "changed to **C**" in changed[0].body
        assert await pick(h, ANA, "C", "e2") == []
        await pick(h, BEN, "A", "e3")
        await pick(h, CAI, "c", "e4")
        # My feedback before the reveal shows the pick, not whether it is right.
        (mine,) = await h.core.dispatch(
            ButtonPressed(h.where, ANA, Action.MY_FEEDBACK, str(post.choices.post_id))
        )
        assert "**C**" in mine.body and "Right:" not in mine.plain_text()
        await h.run_until(FIVE_PM)
        shown = reveal(h).plain_text()
        assert "Answer: C: ReLU" in shown
        assert "A.** Sigmoid ✗ it is positive for every input" in shown  # each wrong why
        assert "**A**: 1 vote" in shown and "**B**: 0 votes" in shown
        assert "**C** ✓: 2 votes" in shown
        # Right pick: 1 on time + 4 quality + 1 best (shared); wrong pick: on time only.
        assert "Ana: 6 points" in shown and "Cai: 6 points" in shown
        assert "Ben: 1 point" in shown
        stats = (await h.command("stats", ANA))[0].body
        assert "Points: 6" in stats
        # After the reveal a new pick is refused and the points stand.
        late = await pick(h, ANA, "A", "e5")
        assert "closed" in late[0].body
        assert "Points: 6" in (await h.command("stats", ANA))[0].body
    finally:
        await h.close()


async def test_a_numeric_round_reads_units_in_the_thread_and_keeps_odd_replies(db_url: str):
    h = await harness(db_url, NUMERIC)
    try:
        await h.run_until(NINE)
        post = question_post(h).message
        assert post.choices is None
        assert [b.action for b in post.buttons] == [Action.ANSWER_PRIVATELY, Action.MY_FEEDBACK]
        await h.answer(ANA, "~512 MiB", message_id="a1")
        await h.answer(BEN, "0.5GB", message_id="b1")  # GB for GiB: counted, with a note
        await h.answer(CAI, "300 ms", message_id="c1")  # a duration for a size
        await h.answer(DIA, "no idea", message_id="d1")
        told = {s.user_id: s.message for s in h.adapter.of("private")}
        assert "0.5 GiB" in told[ANA.user_id].title
        assert "`ms` makes that a duration" in told[CAI.user_id].body
        assert "kept" in told[CAI.user_id].body
        assert "could not read a number" in told[DIA.user_id].body
        # Kept, not lost: Cai fixes the answer by replying again.
        await h.answer(CAI, "0.25 GiB", message_id="c2")
        # Talk in the thread does not erase a readable answer.
        await h.answer(ANA, "nice one, took me a while", message_id="a2")
        (chat,) = [s.message for s in h.adapter.of("private") if s.user_id == ANA.user_id][-1:]
        assert chat.title == "Not counted" and "**0.5 GiB** stands" in chat.body
        await h.run_until(FIVE_PM)
        shown = reveal(h).plain_text()
        assert "0.5 GiB (± 2%)" in shown
        assert "2 of 4 answers within the tolerance" in shown
        assert "1 reply could not be read" in shown
        assert "Ana: 6 points" in shown and "Ben: 6 points" in shown
        assert "Cai: 1 point" in shown and "Dia: 1 point" in shown
    finally:
        await h.close()


async def test_select_all_that_apply_gives_partial_credit(db_url: str):
    h = await harness(db_url, SEVERAL)
    try:
        await h.run_until(NINE)
        assert question_post(h).message.choices.several
        await pick(h, ANA, "A, C", "e1")  # exactly right
        await pick(h, BEN, "A", "e2")  # half: (1 - 0) / 2
        await pick(h, CAI, "A,B,C,D", "e3")  # everything: (2 - 2) / 2 = 0
        await h.run_until(FIVE_PM)
        shown = reveal(h).plain_text()
        assert "Answer: A, C: ROC AUC; Average precision" in shown
        assert "Ana: 6 points" in shown
        assert "Ben: 3 points (50%)" in shown
        assert "Cai: 1 point (0%)" in shown
        assert "1 person picked exactly the right set" in shown
        assert "**A** ✓: 3 votes" in shown and "**D**: 1 vote" in shown
    finally:
        await h.close()


async def test_practice_can_ask_for_a_quiz_and_is_graded_at_once(db_url: str):
    h = await harness(db_url, SINGLE, NUMERIC)
    try:
        (question,) = await h.command("numeric", ANA)
        assert question.kind == MessageKind.QUESTION and "GiB" in question.body
        (question,) = await h.command("practice quiz deep-learning", BEN)
        assert question.choices is not None
        (told,) = await h.core.dispatch(
            PrivateAnswerSubmitted(h.where, BEN, question.choices.post_id, "b", event_id="p1")
        )
        assert told.title == "Not this time"
        assert "You picked B; the answer is C." in told.body
        assert "Tanh ✗ it is negative for negative inputs" in told.plain_text()
        (again,) = await h.core.dispatch(
            PrivateAnswerSubmitted(h.where, BEN, question.choices.post_id, "c", event_id="p2")
        )
        assert "not counted" in again.body  # one answer per practice question
        (none,) = await h.command("open", ANA)
        assert none.kind == MessageKind.ERROR and "No open question" in none.body
    finally:
        await h.close()


async def test_formats_is_an_admin_setting_shown_in_status(db_url: str):
    h = await harness(db_url, SINGLE)
    try:
        (refused,) = await h.command("formats open", ANA)
        assert refused.kind == MessageKind.ERROR and "admins" in refused.body
        (bad,) = await h.command("formats sometimes", ADMIN)
        assert bad.kind == MessageKind.ERROR and "`/mlq formats open|mixed|quiz`" in bad.body
        (done,) = await h.command("formats mixed", ADMIN)
        assert "now mixed" in done.body
        (status,) = await h.command("status", ANA)
        assert "Formats: mixed" in status.body
    finally:
        await h.close()
