"""The daily loop end to end through the in-memory adapter, on a real database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import MessageKind, Reaction, Visibility
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday
ANA, BEN, CAI, DIA = MEMBERS


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


def questions(h: Harness) -> list:
    return [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]


def reveals(h: Harness) -> list:
    return [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]


def good_answer(h: Harness) -> str:
    """The question's own model answer: a complete answer by construction."""
    post = questions(h)[-1]
    prompt = post.message.body
    question = next(q for q in h.bank if q.prompt == prompt)
    return question.answer


async def test_nothing_is_posted_before_the_scheduled_time(h: Harness):
    await h.run_until(MONDAY_6AM + timedelta(hours=2, minutes=55))
    assert questions(h) == []


async def test_the_question_is_posted_once_at_nine_and_revealed_eight_hours_later(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert len(questions(h)) == 1
    post = questions(h)[-1]
    assert [b.action for b in post.message.buttons] == ["answer_privately", "my_feedback"]
    await h.run_until(datetime(2026, 3, 2, 16, 55, tzinfo=UTC))
    assert reveals(h) == []
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert len(questions(h)) == 1
    assert len(reveals(h)) == 1
    assert reveals(h)[0].thread_id == post.thread_id
    assert h.adapter.of("close")


async def test_the_next_due_instant_is_always_ahead_even_past_an_overdue_reveal(h: Harness):
    nine, five = datetime(2026, 3, 2, 9, 0, tzinfo=UTC), datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    assert await h.core.next_due() == nine
    h.clock.set(nine)
    await h.core.tick()
    assert await h.core.next_due() == five  # the reveal
    # No tick ran at 17:00 (the bot was busy or down): the reveal is overdue, and the
    # scheduler's wake-up and the console's clock go to what comes next, not back in time.
    late = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    h.clock.set(late)
    assert await h.core.next_due() == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    await h.core.tick()
    assert len(reveals(h)) == 1


async def test_an_answer_is_acknowledged_by_reaction_and_graded_privately(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    before_posts = len(h.adapter.of("post"))
    await h.answer(ANA, good_answer(h), message_id="a1")
    reactions = h.adapter.of("react")
    assert [(r.ref, r.reaction) for r in reactions] == [("a1", Reaction.RECEIVED)]
    private = h.adapter.of("private")
    assert len(private) == 1 and private[0].user_id == ANA.user_id
    assert private[0].message.visibility == Visibility.PRIVATE
    assert "Score" in private[0].message.title
    assert len(h.adapter.of("post")) == before_posts  # never a channel message


async def test_reveal_shows_model_answer_points_and_best_answer(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, good_answer(h), message_id="a1")
    await h.answer(BEN, "No idea, sorry.", message_id="b1")
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    reveal = reveals(h)[0].message
    text = reveal.plain_text()
    assert reveal.title == "Model answer"
    assert "Ana: 6 points" in text  # 1 on time + 4 quality + 1 best
    assert "Ben: 1 point (" in text  # one point, not "1 points"
    assert "Best answer" in text and "Ana" in text
    board = (await h.command("leaderboard all", ANA))[0].body
    assert board.index("Ana") < board.index("Ben")


async def test_answers_after_the_reveal_are_kept_as_late_and_earn_nothing(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, good_answer(h), message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    await h.answer(BEN, good_answer(h), message_id="b1")
    assert h.adapter.of("react")[-1].reaction == Reaction.LATE
    stats = (await h.command("stats", BEN))[0].body
    assert "Points: 0" in stats
    # Ana's later reply after the reveal changes nothing either.
    await h.answer(ANA, "a different answer", message_id="a2")
    assert "Points: 6" in (await h.command("stats", ANA))[0].body


async def test_a_redelivered_event_counts_once(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    for _ in range(3):
        await h.answer(ANA, good_answer(h), message_id="a1", event_id="Ev1")
    assert len(h.adapter.of("react")) == 1
    assert len(h.adapter.of("private")) == 1
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert "Ana: 6 points" in reveals(h)[0].message.plain_text()


async def test_a_second_reply_replaces_the_first_and_is_regraded(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, "something vague", message_id="a1")
    await h.answer(ANA, good_answer(h), message_id="a2")
    assert [r.reaction for r in h.adapter.of("react")] == [Reaction.RECEIVED, Reaction.UPDATED]
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert "Ana: 6 points" in reveals(h)[0].message.plain_text()


async def test_edits_before_the_reveal_regrade_and_after_it_change_nothing(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, "something vague", message_id="a1")
    await h.edit(ANA, good_answer(h), message_id="a1")
    assert h.adapter.of("react")[-1].reaction == Reaction.UPDATED
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    await h.edit(ANA, "vandalised after the reveal", message_id="a1")
    assert "Points: 6" in (await h.command("stats", ANA))[0].body


async def test_deleting_before_the_reveal_withdraws_and_after_it_keeps_points(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, "A short but honest attempt at this one.", message_id="a1")
    await h.answer(BEN, good_answer(h), message_id="b1")
    await h.delete(ANA, message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    text = reveals(h)[0].message.plain_text()
    assert "Ana" not in text.split("Points")[1]
    await h.delete(BEN, message_id="b1")
    assert "Points: 6" in (await h.command("stats", BEN))[0].body


async def test_empty_answers_get_a_private_hint_and_are_not_stored(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    for i, blank in enumerate(["", "   ", "\n\t", "\u200b"]):
        await h.answer(ANA, blank, message_id=f"e{i}")
    assert h.adapter.of("react") == []
    assert all("empty" in p.message.body for p in h.adapter.of("private"))
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert "Nobody answered in time" in reveals(h)[0].message.plain_text()


@pytest.mark.parametrize(
    "text",
    [
        "x" * 40_000,
        "🙂🔥 gradient 🚀 descent " * 50,
        "הטיה ושונות: מודל פשוט מדי סובל מהטיה גבוהה",
        "@channel @everyone @here <!channel> <!everyone> <@U999> look at this",
        "**bold** [click](http://evil.example) `code` > quote ~~strike~~ ||spoiler||",
    ],
)
async def test_odd_answers_are_stored_graded_and_never_echoed_live(h: Harness, text: str):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, text, message_id="odd")
    assert h.adapter.of("react")[-1].reaction == Reaction.RECEIVED
    await h.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    everything = "\n".join(s.message.plain_text() for s in h.adapter.sent if s.message)
    for live in (
        "@channel",
        "@everyone",
        "@here",
        "<!channel>",
        "<!everyone>",
        "<@U999>",
        "](http://evil",
    ):
        assert live not in everything


async def test_oversized_answers_are_kept_whole_but_graded_on_the_first_4000(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await h.answer(ANA, good_answer(h) + " filler" * 6000, message_id="big")
    feedback = h.adapter.of("private")[-1].message.plain_text()
    assert "first 4,000 characters" in feedback


async def test_two_instances_on_one_database_post_and_reveal_once(db_url: str):
    first = await make_harness(db_url, MONDAY_6AM, instance_id="one")
    second = await make_harness(db_url, MONDAY_6AM, instance_id="two")
    try:
        await first.command("subscribe", ADMIN)
        for day in range(5):
            for hour in (9, 17):
                instant = datetime(2026, 3, 2 + day, hour, 0, tzinfo=UTC)
                first.clock.set(instant)
                second.clock.set(instant)
                await first.core.tick()
                await second.core.tick()
        posts = questions(first) + questions(second)
        assert len(posts) == 5
        assert len(reveals(first) + reveals(second)) == 5
    finally:
        await first.close()
        await second.close()


async def test_concurrent_ticks_claim_each_post_once(db_url: str):
    import asyncio

    cores = [
        await make_harness(db_url, datetime(2026, 3, 2, 9, tzinfo=UTC), instance_id=f"i{n}")
        for n in range(3)
    ]
    try:
        await cores[0].command("subscribe", ADMIN)
        for c in cores:
            c.clock.set(datetime(2026, 3, 3, 9, 1, tzinfo=UTC))
        await asyncio.gather(*(c.core.tick() for c in cores))
        assert sum(len(questions(c)) for c in cores) == 1
    finally:
        for c in cores:
            await c.close()


async def test_a_restart_mid_day_does_not_post_again(db_url: str):
    first = await make_harness(db_url, MONDAY_6AM)
    await first.command("subscribe", ADMIN)
    await first.run_until(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    await first.answer(ANA, "an answer before the restart", message_id="a1")
    await first.close()
    restarted = await make_harness(db_url, datetime(2026, 3, 2, 9, 31, tzinfo=UTC))
    try:
        await restarted.run_until(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
        assert questions(restarted) == []
        assert len(reveals(restarted)) == 1  # the new process still reveals the round
        assert "Ana" in reveals(restarted)[0].message.plain_text()
    finally:
        await restarted.close()


async def test_downtime_posts_today_late_and_skips_earlier_days(db_url: str, caplog):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.command("subscribe", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        assert len(questions(h)) == 1
        # Down from Monday evening until Wednesday 11:00.
        h.clock.set(datetime(2026, 3, 4, 11, 0, tzinfo=UTC))
        await h.core.tick()
        posts = questions(h)
        assert len(posts) == 2  # Wednesday's, late; Tuesday's is skipped
        assert "Posted late" in posts[-1].message.footer
        assert any("missed" in r.message for r in caplog.records)
    finally:
        await h.close()


async def test_streak_freezes_keep_a_streak_through_a_missed_day(h: Harness):
    day = datetime(2026, 3, 2, tzinfo=UTC)
    for n in range(7):  # Mon..Fri, then Mon (answered), Tue (missed)
        date = day + timedelta(days=n + (2 if n >= 5 else 0))
        await h.run_until(date.replace(hour=9))
        if n != 6:
            await h.answer(ANA, good_answer(h), message_id=f"a{n}")
        await h.run_until(date.replace(hour=17))
    streak = (await h.command("streak", ANA))[0].body
    assert "Your streak: **6**" in streak
    assert "Freezes held: 0" in streak


async def test_the_team_streak_threshold_is_configurable(h: Harness):
    reply = (await h.command("team-streak 1", ADMIN))[0]
    assert "at least 1" in reply.body
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    await h.answer(ANA, good_answer(h), message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))
    assert "Team streak: **1**" in (await h.command("streak", ANA))[0].body


async def test_team_streak_needs_three_on_time_answers(h: Harness):
    for n, answerers in enumerate([MEMBERS[:3], MEMBERS[:3], MEMBERS[:2]]):
        await h.run_until(datetime(2026, 3, 2 + n, 9, tzinfo=UTC))
        for i, m in enumerate(answerers):
            await h.answer(m, good_answer(h), message_id=f"{n}-{i}")
        await h.run_until(datetime(2026, 3, 2 + n, 17, tzinfo=UTC))
    streak = (await h.command("streak", ANA))[0].body
    assert "Team streak: **0** (best 2)" in streak


async def test_weekly_digest_is_posted_once_on_friday(h: Harness):
    for n in range(5):
        await h.run_until(datetime(2026, 3, 2 + n, 9, tzinfo=UTC))
        await h.answer(ANA, good_answer(h), message_id=f"a{n}")
        if n % 2 == 0:
            await h.answer(BEN, "I am not sure about this one.", message_id=f"b{n}")
        await h.run_until(datetime(2026, 3, 2 + n, 17, tzinfo=UTC))
    await h.run_until(datetime(2026, 3, 7, 12, tzinfo=UTC), step=timedelta(hours=1))
    digests = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    assert len(digests) == 1
    text = digests[0].message.plain_text()
    assert "2026-W10" in digests[0].message.title
    assert "4 questions" in text  # Friday's round is revealed after the 16:00 digest
    for heading in (
        "Top five",
        "Longest streaks",
        "Team streak",
        "Participation",
        "Hardest question",
        "Most-missed key point",
    ):
        assert heading in text
    assert text.index("Ana") < text.index("Ben")


async def test_pause_resume_skip_and_unsubscribe(h: Harness):
    await h.command("pause", ADMIN)
    await h.run_until(datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert questions(h) == []
    await h.command("resume", ADMIN)
    await h.command("skip", ADMIN)
    await h.run_until(datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert questions(h) == []
    await h.run_until(datetime(2026, 3, 3, 9, tzinfo=UTC))
    assert len(questions(h)) == 1
    await h.command("unsubscribe", ADMIN)
    await h.run_until(datetime(2026, 3, 4, 10, tzinfo=UTC), step=timedelta(minutes=30))
    assert len(questions(h)) == 1


async def test_admin_commands_are_refused_to_members(h: Harness):
    for text in ("schedule 10:00 UTC", "pause", "subscribe", "skip", "digest mon 10:00"):
        reply = (await h.command(text, ANA))[0]
        assert reply.kind == MessageKind.ERROR and "admins" in reply.body


async def test_schedule_command_moves_posting_to_local_time(h: Harness):
    reply = (await h.command("schedule 10:30 Asia/Kolkata mon,wed", ADMIN))[0]
    assert "10:30 Asia/Kolkata" in reply.body and reply.visibility == Visibility.CHANNEL
    # Monday 10:30 IST (05:00 UTC) was before the channel subscribed; Tuesday is off.
    await h.run_until(datetime(2026, 3, 4, 4, 55, tzinfo=UTC), step=timedelta(minutes=30))
    assert questions(h) == []
    await h.run_until(datetime(2026, 3, 4, 5, 0, tzinfo=UTC))  # Wed 10:30 IST
    assert len(questions(h)) == 1


async def test_bad_settings_get_one_line_errors_with_examples(h: Harness):
    for text, needle in [
        ("schedule 09:00 Atlantis/Capital", "e.g. Europe/Berlin"),
        ("schedule 9am UTC", "e.g. 09:30"),
        ("reveal-after forever", "e.g. 8h"),
        ("nonsense-topic", "Example: `/mlq deep-learning`"),
    ]:
        reply = (await h.command(text, ADMIN))[0]
        assert reply.kind == MessageKind.ERROR and needle in reply.body
        assert "\n" not in reply.body


async def test_practice_is_private_graded_and_kept_off_the_leaderboard(h: Harness):
    reply = (await h.command("", ANA))[0]
    assert reply.visibility == Visibility.PRIVATE and reply.kind == MessageKind.QUESTION
    post_id = int(reply.buttons[0].value)
    question = next(q for q in h.bank if q.prompt == reply.body)
    from bot.events import PrivateAnswerSubmitted

    feedback = await h.core.dispatch(PrivateAnswerSubmitted(h.where, ANA, post_id, question.answer))
    assert "Model answer" in feedback[0].plain_text()
    stats = (await h.command("stats", ANA))[0].body
    assert "Practice answers: 1" in stats and "Points: 0" in stats
    board = (await h.command("leaderboard all", ANA))[0].body
    assert "Ana" not in board
    # Someone else cannot answer Ana's practice question.
    other = await h.core.dispatch(PrivateAnswerSubmitted(h.where, BEN, post_id, "mine"))
    assert other[0].kind == MessageKind.ERROR


async def test_practice_by_topic(h: Harness):
    reply = (await h.command("deep-learning", ANA))[0]
    question = next(q for q in h.bank if q.prompt == reply.body)
    assert question.topic == "deep-learning"


async def test_stats_for_another_member_and_an_unknown_one(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    await h.answer(BEN, good_answer(h), message_id="b1")
    await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))
    assert "Points: 6" in (await h.command("stats <@U2>", ANA))[0].body
    assert "Points: 6" in (await h.command("stats @ben", ANA))[0].body
    assert (await h.command("stats @nobody", ANA))[0].kind == MessageKind.ERROR


async def test_my_feedback_button(h: Harness):
    from bot.events import ButtonPressed
    from bot.messages import Action

    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    post_id = questions(h)[-1].message.buttons[1].value
    none_yet = await h.core.dispatch(ButtonPressed(h.where, ANA, Action.MY_FEEDBACK, post_id))
    assert "not answered" in none_yet[0].body
    await h.answer(ANA, good_answer(h), message_id="a1")
    mine = await h.core.dispatch(ButtonPressed(h.where, ANA, Action.MY_FEEDBACK, post_id))
    assert "score" in mine[0].title.lower()
    bogus = await h.core.dispatch(ButtonPressed(h.where, ANA, Action.MY_FEEDBACK, "9999"))
    assert bogus[0].kind == MessageKind.ERROR


async def test_a_failing_channel_does_not_stop_the_others_and_is_retried(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM, channel="C1")
    from bot.events import ChannelAddress, CommandInvoked

    other = ChannelAddress(h.where.platform, "W1", "C2")
    try:
        await h.command("subscribe", ADMIN)
        await h.core.dispatch(CommandInvoked(other, ADMIN, "subscribe"))
        h.adapter.failing_channels.add("C1")
        await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
        assert [s.channel.channel for s in questions(h)] == ["C2"]
        h.adapter.failing_channels.clear()
        await h.run_until(datetime(2026, 3, 2, 9, 10, tzinfo=UTC))
        assert sorted(s.channel.channel for s in questions(h)) == ["C1", "C2"]
    finally:
        await h.close()


async def test_admins_can_limit_a_channel_to_some_topics(h: Harness):
    reply = (await h.command("topics only deep-learning", ADMIN))[0]
    assert "deep-learning" in reply.body
    assert (await h.command("topics only deep-learning", ANA))[0].kind == MessageKind.ERROR
    for day in range(3):
        await h.run_until(datetime(2026, 3, 2 + day, 9, tzinfo=UTC))
    topics = {next(q for q in h.bank if q.prompt == s.message.body).topic for s in questions(h)}
    assert topics == {"deep-learning"}
    await h.command("topics all", ADMIN)


async def test_old_delivery_records_are_pruned(h: Harness):
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    await h.answer(ANA, "first", message_id="a1", event_id="E1")
    from sqlalchemy import func, select

    from storage.models import ProcessedEvent

    async def count() -> int:
        async with h.db.session() as session:
            return await session.scalar(select(func.count()).select_from(ProcessedEvent))

    assert await count() == 1
    h.clock.advance(timedelta(days=31))
    await h.core.tick()
    assert await count() == 0


async def test_replies_in_threads_that_are_not_questions_write_nothing(h: Harness):
    from sqlalchemy import func, select

    from storage.models import Member, ProcessedEvent

    h.adapter.clear()  # the subscription's confirmation
    await h.answer(ANA, "chatting in some other thread", message_id="x1", thread_id="other")
    async with h.db.session() as session:
        ana = select(func.count()).select_from(Member).where(Member.external_id == ANA.user_id)
        assert await session.scalar(ana) == 0
        assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert h.adapter.sent == []


async def test_home_view_shows_streaks_points_and_recent_grades(h: Harness):
    empty = await h.core.home(h.where.platform, "W1", ANA.user_id)
    assert "No answers yet" in empty.body
    for day in range(2):
        await h.run_until(datetime(2026, 3, 2 + day, 9, tzinfo=UTC))
        await h.answer(ANA, good_answer(h), message_id=f"a{day}")
        await h.run_until(datetime(2026, 3, 2 + day, 17, tzinfo=UTC))
    home = (await h.core.home(h.where.platform, "W1", ANA.user_id)).plain_text()
    assert "#C1: 12 points · streak 2" in home
    # Each model answer earns full points; its score is near 100% (which question the bank
    # serves each day, and so the exact percentage, shifts as entries are added).
    grades = re.findall(r"(\d+)% \(6 points\)", home)
    assert len(grades) == 2 and all(int(g) >= 95 for g in grades)


async def test_a_deletion_without_an_author_withdraws_by_message_id(h: Harness):
    from bot.events import Actor

    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    await h.answer(ANA, good_answer(h), message_id="a1")
    await h.answer(BEN, "Ben's own short attempt at it.", message_id="b1")
    # Someone else's deletion event naming Ben's message does not withdraw it.
    await h.delete(ANA, message_id="b1")
    await h.delete(Actor(user_id=""), message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))
    points = reveals(h)[0].message.plain_text().split("Points")[1]
    assert "Ana" not in points and "Ben" in points


async def test_one_tick_posts_to_many_channels_once_each_despite_failures(db_url: str):
    from bot.events import ChannelAddress, CommandInvoked

    h = await make_harness(db_url, MONDAY_6AM)
    try:
        names = [f"C{n:03d}" for n in range(60)]
        for name in names:
            await h.core.dispatch(
                CommandInvoked(ChannelAddress(h.where.platform, "W1", name), ADMIN, "subscribe")
            )
        h.adapter.failing_channels.update({"C007", "C042"})
        h.clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
        report = await h.core.tick()
        assert report.posted == 58
        posted = sorted(s.channel.channel for s in questions(h))
        assert posted == sorted(set(names) - {"C007", "C042"})
        await h.core.tick()  # nothing new: each channel's post is claimed once
        assert len(questions(h)) == 58
    finally:
        await h.close()


async def test_the_reveal_and_the_digest_have_a_button_for_ones_own_results(h: Harness):
    """Each claimed message has a button (it is where Discord carries the claim key): the
    reveal's shows one's grade and points, the digest's one's stats, privately."""
    from bot.events import ButtonPressed
    from bot.messages import Action

    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    await h.answer(ANA, good_answer(h), message_id="a1")
    await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))
    [reveal] = [s.message for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
    [button] = reveal.buttons
    assert (button.action, button.label) == (Action.MY_FEEDBACK, "My feedback")
    [mine] = await h.core.dispatch(ButtonPressed(h.where, ANA, Action.MY_FEEDBACK, button.value))
    assert mine.title.startswith("Your feedback")
    assert "Points: 6" in mine.body

    await h.run_until(datetime(2026, 3, 6, 16, 30, tzinfo=UTC), step=timedelta(hours=1))
    [digest] = [s.message for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    [button] = digest.buttons
    assert (button.action, button.label, button.value) == (Action.MY_STATS, "My stats", "202610")
    [stats] = await h.core.dispatch(ButtonPressed(h.where, ANA, Action.MY_STATS, button.value))
    assert stats.title.startswith("Stats") and "Points: 6" in stats.body
    [theirs] = await h.core.dispatch(ButtonPressed(h.where, BEN, Action.MY_STATS, button.value))
    assert "Points: 0" in theirs.body  # the clicker's own, whoever posted the digest
