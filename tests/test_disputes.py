"""Who may configure, grade disputes, their recount, reports and retirements, on the core
through the in-memory adapter and a real database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.events import Actor, ButtonPressed, ChannelAddress
from bot.messages import Action, MessageKind
from storage import unit_of_work
from storage.models import (
    AcceptedAnswer,
    Answer,
    Channel,
    Dispute,
    Member,
    Post,
    RejectedAnswer,
    ReviewCard,
    Workspace,
)
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REVEALED = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ANA, BEN, CAI, DIA = MEMBERS
SECOND_ADMIN = Actor("U-admin2", "Bo Admin", is_admin=True)


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


def text_of(messages) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m.plain_text() for m in messages)


def current_question(h: Harness):  # type: ignore[no-untyped-def]
    posts = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]
    return next(q for q in h.bank if q.prompt == posts[-1].message.body)


def model_answer(h: Harness) -> str:
    return current_question(h).answer


def partial_answer(h: Harness) -> str:
    """One key point in the member's words: a partial grade."""
    return f"Mainly this: {current_question(h).key_points[0].text}."


async def answers_by_member(h: Harness) -> dict[str, Answer]:
    async with unit_of_work(h.db) as repo:
        rows = await repo.session.execute(select(Answer))
        found = {}
        for (answer,) in rows:
            member = await repo.session.get(Member, answer.member_id)
            found[member.external_id] = answer
        return found


async def week_points(h: Harness, actor: Actor) -> str:
    return text_of(await h.command("leaderboard week", actor))


async def a_revealed_round(h: Harness) -> None:
    """Ben answers well, Ana poorly; the round is revealed."""
    await h.run_until(NINE)
    await h.answer(BEN, model_answer(h), message_id="b1")
    await h.answer(ANA, partial_answer(h), message_id="a1")
    await h.run_until(REVEALED)


# --- who may configure --------------------------------------------------------------------


async def test_an_admin_adds_and_removes_an_mlq_admin(h: Harness):
    refused = await h.command("team-streak 2", ANA)
    assert refused[0].kind == MessageKind.ERROR and "admins add" in refused[0].body
    assert (await h.command("admins add @U1", BEN))[0].kind == MessageKind.ERROR
    added = await h.command("admins add <@U1>", ADMIN)
    assert "can now configure" in added[0].body
    assert "team streak now grows" in text_of(await h.command("team-streak 2", ANA))
    listed = text_of(await h.command("admins list", BEN))  # anyone may see who they are
    assert "Ana" in listed and "Alice Admin" in listed
    # An added admin may add others; the list is per workspace.
    assert "can now configure" in (await h.command("admins add @U2", ANA))[0].body
    assert "no longer" in (await h.command("admins remove @U1", ADMIN))[0].body
    assert (await h.command("team-streak 3", ANA))[0].kind == MessageKind.ERROR
    assert "team streak now grows" in text_of(await h.command("team-streak 3", BEN))


async def test_admins_grammar_errors_are_explained(h: Harness):
    for text in ("admins add", "admins add someone else", "admins frobnicate @U1"):
        [reply] = await h.command(text, ADMIN)
        assert reply.kind == MessageKind.ERROR and "Usage" in reply.body, text


# --- disputes ------------------------------------------------------------------------------


async def test_dispute_raise_recounts_once_and_tells_the_member(h: Harness):
    await a_revealed_round(h)
    before = await answers_by_member(h)
    assert before["U2"].best and not before["U1"].best
    h.adapter.clear()
    [filed] = await h.command("dispute my answer names the same idea in other words", ANA)
    assert "Dispute #1 is filed" in filed.body
    # The admin who subscribed the channel hears of it privately, with what they need.
    [notice] = h.adapter.of("direct")
    assert notice.user_id == ADMIN.user_id and "Dispute #1" in notice.message.title
    assert "other words" in notice.message.plain_text()
    assert "Key points" in notice.message.plain_text()
    assert "Dispute #1" in text_of(await h.command("disputes", ADMIN))
    # Two admins resolve at the same moment: one recounts, the other is told.
    replies = await asyncio.gather(
        h.command("resolve 1 score 100 same idea", ADMIN, event_id="r1"),
        h.command("resolve 1 score 100 same idea", SECOND_ADMIN, event_id="r2"),
    )
    texts = sorted(text_of(r) for r in replies)
    assert sum("grade raised to 100%" in t for t in texts) == 1
    assert sum("already resolved" in t for t in texts) == 1
    # The same command delivered twice changes nothing more.
    assert await h.command("resolve 1 score 100 same idea", ADMIN, event_id="r1") == []
    after = await answers_by_member(h)
    assert after["U1"].score == 1.0 and after["U1"].best  # ties with Ben share the best
    assert after["U1"].points == 1 + 4 + 1
    board = await week_points(h, ANA)
    assert "Ana" in board
    [told] = [s for s in h.adapter.of("direct") if s.user_id == ANA.user_id]
    assert "raised your grade" in told.message.body and "points" in told.message.body
    async with unit_of_work(h.db) as repo:
        [dispute] = (await repo.session.scalars(select(Dispute))).all()
        assert dispute.state == "raised" and dispute.resolved_by in ("U-admin", "U-admin2")
        assert dispute.resolution_note == "same idea" and dispute.new_points == 6
        accepted = (await repo.session.scalars(select(AcceptedAnswer))).all()
        assert {a.answer_id for a in accepted} >= {after["U1"].id}
        [card] = (
            await repo.session.scalars(
                select(ReviewCard).where(ReviewCard.member_id == after["U1"].member_id)
            )
        ).all()
        assert card.last_score == 1.0 and card.reviews == 1


async def test_a_lowered_grade_moves_the_best_answer_and_is_a_known_wrong_answer(h: Harness):
    await a_revealed_round(h)
    await h.command("dispute", BEN)  # a member may dispute to get a second look
    [done] = await h.command("resolve 1 points none copied from a blog", ADMIN)
    assert "grade lowered to 0%" in done.body
    after = await answers_by_member(h)
    assert after["U2"].score == 0.0 and not after["U2"].best and after["U2"].points == 1
    assert after["U2"].covered == [] and "regraded" in after["U2"].flags
    assert after["U1"].best  # Ana's is now the round's best
    async with unit_of_work(h.db) as repo:
        rejected = (await repo.session.scalars(select(RejectedAnswer))).all()
        assert [r.answer_id for r in rejected] == [after["U2"].id]
        accepted = (await repo.session.scalars(select(AcceptedAnswer))).all()
        assert after["U2"].id not in {a.answer_id for a in accepted}


async def test_keep_records_who_and_why_and_changes_nothing(h: Harness):
    await a_revealed_round(h)
    before = await answers_by_member(h)
    await h.command("dispute", ANA)
    [kept] = await h.command("resolve 1 keep the key points are missing", ADMIN)
    assert "kept" in kept.body
    after = await answers_by_member(h)
    assert (after["U1"].score, after["U1"].points) == (before["U1"].score, before["U1"].points)
    [told] = [s for s in h.adapter.of("direct") if s.user_id == ANA.user_id]
    assert "kept the grade" in told.message.body and "key points are missing" in told.message.body


async def test_once_per_round_window_and_daily_limit(h: Harness):
    await a_revealed_round(h)
    assert "filed" in (await h.command("dispute", ANA))[0].body
    assert "updated" in (await h.command("dispute because X", ANA))[0].body
    await h.command("resolve 1 keep", ADMIN)
    [again] = await h.command("dispute please", ANA)
    assert again.kind == MessageKind.ERROR and "one dispute per round" in again.body
    # Past the window (48 h after the reveal by default) nobody may dispute that round.
    h.clock.set(REVEALED + timedelta(hours=49))
    [late] = await h.command("dispute", BEN)
    assert late.kind == MessageKind.ERROR and "48 hours" in late.body


async def test_reasons_are_capped_and_escaped(h: Harness):
    await a_revealed_round(h)
    [long] = await h.command("dispute " + "x" * 301, ANA)
    assert long.kind == MessageKind.ERROR and "300" in long.body
    await h.command("dispute <!channel> *bold* `code`", ANA)
    [card] = await h.command("disputes", ADMIN)
    shown = card.plain_text()
    assert "<!channel>" not in shown and "\\*bold\\*" in shown


async def test_the_dispute_button_files_the_dispute_of_that_round(h: Harness):
    await h.run_until(NINE)
    await h.answer(ANA, "Something vague.", message_id="a1")
    [feedback] = [s for s in h.adapter.of("private") if s.user_id == ANA.user_id]
    buttons = {b.action: b.value for b in feedback.message.buttons}
    assert set(buttons) == {Action.DISPUTE, Action.REPORT}
    press = ButtonPressed(h.where, ANA, Action.DISPUTE, buttons[Action.DISPUTE], event_id="t1")
    [filed] = await h.core.dispatch(press)
    assert "filed" in filed.body
    assert await h.core.dispatch(press) == []  # redelivered: nothing twice
    # Before the reveal a raise sets the grade; the reveal scores it.
    await h.command("resolve 1 score 90", ADMIN)
    await h.run_until(REVEALED)
    after = await answers_by_member(h)
    assert after["U1"].score == 0.9 and after["U1"].points == 1 + 4 + 1 and after["U1"].best


async def test_the_next_digest_notes_corrections(h: Harness):
    await a_revealed_round(h)
    await h.command("dispute", ANA)
    await h.command("resolve 1 score 100", ADMIN)
    await h.run_until(datetime(2026, 3, 6, 16, 1, tzinfo=UTC))  # Friday's digest
    [digest] = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    fields = {f.name: f.value for f in digest.message.fields}
    corrections = fields["Corrections (disputed grades an admin changed)"]
    assert "Ana" in corrections and "→ 100%" in corrections


# --- reports and retirements ---------------------------------------------------------------


async def test_report_and_retire_for_one_workspace_only(db_url: str):
    first = await make_harness(db_url, MONDAY_6AM)
    other = await make_harness(db_url, MONDAY_6AM, channel="C9")
    other.where = ChannelAddress("memory", "W2", "C9")
    try:
        for harness in (first, other):
            await harness.command("subscribe", ADMIN)
            await harness.command("topics only deep-learning", ADMIN)
        topic = sorted(q.qualified_id for q in first.bank if q.topic == "deep-learning")
        await first.run_until(NINE)
        [reported] = await first.command("report the model answer is outdated", ANA)
        assert "reported" in reported.body
        listed = text_of(await first.command("reports", ADMIN))
        assert "outdated" in listed and "#1" in listed
        assert (await first.command("retire #1", ANA))[0].kind == MessageKind.ERROR
        assert "retired" in text_of(await first.command("retire #1", ADMIN))
        assert "No open reports" in text_of(await first.command("reports", ADMIN))
        # Retire every deep-learning question in the first workspace but one.
        keep = topic[0]
        for question_id in topic[1:]:
            await first.command(f"retire {question_id} not for us", ADMIN)
        for day in range(1, 4):
            when = NINE + timedelta(days=day)
            await first.run_until(when)
            await other.run_until(when)
        async with unit_of_work(first.db) as repo:
            rows = await repo.session.execute(
                select(Post.question_id, Workspace.external_id)
                .join(Channel, Channel.id == Post.channel_id)
                .join(Workspace, Workspace.id == Channel.workspace_id)
                .where(Post.local_date > NINE.date())
            )
            posted = [(q, w) for q, w in rows]
        assert {q for q, w in posted if w == "W1"} == {keep}
        later_other = {q for q, w in posted if w == "W2"}
        assert later_other & set(topic[1:]), "the other workspace keeps those questions"
        assert "No open reports" in text_of(await other.command("reports", ADMIN))
    finally:
        await first.close()
        await other.close()


# --- what maintainers get -------------------------------------------------------------------

ZED = Actor("U-SECRET-ZED-7731", "Zorblax Quux")
YAN = Actor("U-SECRET-YAN-4410", "Yanniq Vorp")


async def test_export_feedback_and_reports_carry_no_user_ids(h: Harness):
    from typer.testing import CliRunner

    from bot.cli_bank import bank_app

    await h.run_until(NINE)
    await h.answer(ZED, model_answer(h), message_id="z1")
    await h.answer(YAN, partial_answer(h), message_id="y1")
    await h.run_until(REVEALED)
    await h.command("dispute it says the same", YAN)
    await h.command("dispute", ZED)
    await h.command("resolve 1 score 100 fine", ADMIN)
    await h.command("resolve 2 score 10 pasted", ADMIN)
    await h.command("report the wording is ambiguous", YAN)
    # The CLI runs its own event loop, as from a shell: in a thread here.
    result = await asyncio.to_thread(
        CliRunner().invoke, bank_app, ["export-feedback", "--database", h.db.url]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    [entry] = lines
    assert entry["question"] == current_question(h).qualified_id
    assert partial_answer(h) in entry["accepted"] and model_answer(h) in entry["rejected"]
    assert {d["outcome"] for d in entry["disputes"]} == {"raised", "lowered"}
    assert "it says the same" in {d["reason"] for d in entry["disputes"]}
    for secret in (ZED.user_id, YAN.user_id, ZED.display_name, YAN.display_name, ADMIN.user_id):
        assert secret not in result.stdout
    reports = await asyncio.to_thread(
        CliRunner().invoke, bank_app, ["reports", "--database", h.db.url]
    )
    assert reports.exit_code == 0, reports.output
    assert "1 report, retired in 0 workspace(s): the wording is ambiguous" in reports.stdout
    assert YAN.user_id not in reports.stdout and YAN.display_name not in reports.stdout
