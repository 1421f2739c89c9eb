"""The batched daily fan-out: one claim transaction for every due channel, sends at once."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot import choice, rounds
from bot.events import ChannelAddress, CommandInvoked
from bot.heap import BURST_THRESHOLD
from bot.messages import MessageKind
from bot.quiz.formats import formats_of
from question_bank.selection import choose_question
from storage import unit_of_work
from storage.claims import DailyClaim, DailyClaims
from storage.models import Answer, Channel, Post
from tests.harness import ADMIN, Harness, channel_names, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def question_posts(h: Harness) -> list:
    return [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]


async def stored_posts(h: Harness) -> list[Post]:
    async with unit_of_work(h.db) as repo:
        return list(await repo.session.scalars(select(Post).order_by(Post.id)))


async def test_one_tick_posts_every_due_channel_once_and_marks_it(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        channels = channel_names(45)
        await h.subscribe_all(ADMIN, channels)
        # Three zones: at 09:00 UTC only the UTC and Lisbon channels are due, not New York.
        async with unit_of_work(h.db) as repo:
            await repo.session.execute(
                update(Channel)
                .where(Channel.external_id.in_(channels[30:]))
                .values(timezone="America/New_York")
            )
            await repo.session.execute(
                update(Channel)
                .where(Channel.external_id.in_(channels[15:30]))
                .values(timezone="Europe/Lisbon")
            )
        h.clock.set(MONDAY_9AM)
        report = await h.core.tick()
        assert report.posted == 30
        assert sorted(s.channel.channel for s in question_posts(h)) == channels[:30]
        await h.core.tick()  # the same instant again: nothing is due twice
        assert len(question_posts(h)) == 30

        h.clock.set(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # 09:00 in New York
        assert (await h.core.tick()).posted == 15
        sent = Counter(s.channel.channel for s in question_posts(h))
        assert sent == Counter({name: 1 for name in channels})

        posts = await stored_posts(h)
        assert len(posts) == 45
        assert {p.state for p in posts} == {"posted"}
        assert all(p.message_ref and p.thread_ref and p.lease_until is None for p in posts)
        async with unit_of_work(h.db) as repo:
            external = dict(
                (await repo.session.execute(select(Channel.id, Channel.external_id))).all()
            )
        by_ref = {s.ref: s for s in question_posts(h)}
        for post in posts:  # each row records the message its own channel got
            assert by_ref[post.message_ref].channel.channel == external[post.channel_id]
            assert post.reveal_at == post.posted_at + timedelta(minutes=480)
    finally:
        await h.close()


async def test_racing_instances_post_each_channel_exactly_once(db_url: str):
    cores = [await make_harness(db_url, MONDAY_6AM, instance_id=f"i{n}") for n in range(3)]
    try:
        channels = channel_names(40)
        await cores[0].subscribe_all(ADMIN, channels)
        for day in range(3):
            for c in cores:
                c.clock.set(datetime(2026, 3, 2 + day, 9, 5, tzinfo=UTC))
            before = [len(question_posts(c)) for c in cores]
            reports = await asyncio.gather(*(c.core.tick() for c in cores))
            assert sum(r.posted for r in reports) == 40
            # Each of today's rows was sent by the instance that claimed it (the adapters
            # number their messages alike, so the owner is part of the key).
            today = date(2026, 3, 2 + day)
            recorded = {
                (p.claim_owner, p.message_ref)
                for p in await stored_posts(cores[0])
                if p.local_date == today
            }
            sent_by = {
                (f"i{n}", s.ref)
                for n, c in enumerate(cores)
                for s in question_posts(c)[before[n] :]
            }
            assert sent_by == recorded and len(recorded) == 40
        sent = Counter(s.channel.channel for c in cores for s in question_posts(c))
        assert sent == Counter({name: 3 for name in channels})
        posts = await stored_posts(cores[0])
        assert len({(p.channel_id, p.local_date) for p in posts}) == len(posts) == 120
    finally:
        for c in cores:
            await c.close()


async def test_a_channel_posted_one_by_one_is_left_alone_by_the_batch(db_url: str):
    first = await make_harness(db_url, MONDAY_6AM, instance_id="batch")
    other = await make_harness(db_url, MONDAY_6AM, instance_id="single")
    try:
        channels = channel_names(10)
        await first.subscribe_all(ADMIN, channels)
        async with unit_of_work(other.db) as repo:
            rows = await repo.active_channels(other.adapter.platform)
        for row in rows[:4]:
            assert await rounds.post_due(other.core.ctx, row, MONDAY_9AM)
        first.clock.set(MONDAY_9AM)
        assert (await first.core.tick()).posted == 6
        assert sorted(s.channel.channel for s in question_posts(first)) == channels[4:]
        assert sorted(s.channel.channel for s in question_posts(other)) == channels[:4]
    finally:
        await first.close()
        await other.close()


async def test_the_bulk_claim_returns_only_the_rows_it_inserted(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channel_names(3))
        async with unit_of_work(h.db) as repo:
            ids = [row.channel.id for row in await repo.active_channels(h.adapter.platform)]
        day = date(2026, 3, 2)

        def claim(channel_id: int) -> DailyClaim:
            key = choice.daily_claim_key(channel_id, day)
            return DailyClaim(key, channel_id, "ml-basics/q1", day, late=False)

        async with h.db.session() as session:
            won = await DailyClaims(session).claim(
                [claim(ids[1])], owner="a", lease_until=MONDAY_9AM, now=MONDAY_9AM
            )
        assert list(won) == [choice.daily_claim_key(ids[1], day)]
        async with h.db.session() as session:
            won = await DailyClaims(session).claim(
                [claim(i) for i in ids], owner="b", lease_until=MONDAY_9AM, now=MONDAY_9AM
            )
        assert sorted(won) == sorted(choice.daily_claim_key(i, day) for i in (ids[0], ids[2]))
        posts = await stored_posts(h)
        assert {p.id for p in posts} >= set(won.values())
        assert Counter(p.claim_owner for p in posts) == Counter({"a": 1, "b": 2})
    finally:
        await h.close()


async def test_failed_sends_are_retried_by_recovery_and_never_doubled(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        channels = channel_names(20)
        await h.subscribe_all(ADMIN, channels)
        h.adapter.failing_channels.update({"C003", "C011", "C017"})
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 17
        states = Counter(p.state for p in await stored_posts(h))
        assert states == Counter({"posted": 17, "claimed": 3})
        await h.core.tick()  # lease not over yet: the claims stay untouched
        assert len(question_posts(h)) == 17

        h.adapter.failing_channels.clear()
        h.clock.set(MONDAY_9AM + h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        sent = Counter(s.channel.channel for s in question_posts(h))
        assert sent == Counter({name: 1 for name in channels})
        assert {p.state for p in await stored_posts(h)} == {"posted"}
    finally:
        await h.close()


async def _add_scores(h: Harness, rng_seed: int) -> None:
    """Graded on-time answers in every posted round, varying by channel and question."""
    async with unit_of_work(h.db) as repo:
        posts = list(await repo.session.scalars(select(Post).where(Post.state == "posted")))
        channels = {c.id: c for c in await repo.session.scalars(select(Channel))}
        for post in posts:
            workspace_id = channels[post.channel_id].workspace_id
            member = await repo.member(workspace_id, f"U{post.id % 3}", "Someone", MONDAY_6AM)
            if await repo.answer_for(post.id, member.id) is not None:
                continue
            score = ((post.id * 7 + post.channel_id * 3 + rng_seed) % 11) / 10
            repo.add(
                Answer(
                    post_id=post.id,
                    member_id=member.id,
                    channel_id=post.channel_id,
                    kind="daily",
                    post_date=post.local_date,
                    text="an answer",
                    received_at=MONDAY_6AM,
                    on_time=True,
                    score=score,
                )
            )


async def test_batched_selection_matches_the_one_by_one_inputs(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        channels = channel_names(12)
        await h.subscribe_all(ADMIN, channels)
        filtered = ChannelAddress(h.where.platform, "W1", channels[5])
        await h.core.dispatch(CommandInvoked(filtered, ADMIN, "topics only deep-learning"))
        ctx = h.core.ctx
        weighted = 0
        for day in range(6):
            h.clock.set(datetime(2026, 3, 2 + day, 9, 30, tzinfo=UTC))
            now = h.clock.now()
            expected: dict[str, str] = {}
            async with unit_of_work(h.db) as repo:
                for row in await repo.active_channels(h.adapter.platform):
                    today = now.date()
                    if today.weekday() > 4:
                        continue
                    scores = await choice.topic_scores(repo, ctx, row.channel.id)
                    weighted += bool(scores)
                    question = choose_question(
                        ctx.bank,
                        await repo.asked_question_ids(row.channel.id),
                        seed=f"{row.channel.id}:{today.isoformat()}",
                        topics=row.channel.topic_filter or None,
                        banks=row.channel.bank_filter or None,
                        topic_scores=scores,
                        formats=formats_of(row.channel.formats),
                    )
                    expected[row.channel.external_id] = question.prompt
            before = len(question_posts(h))
            await h.core.tick()
            got = {s.channel.channel: s.message.body for s in question_posts(h)[before:]}
            assert got == expected
            await _add_scores(h, day)
        assert weighted >= 12 * 3  # from Tuesday on, every draw was weighted by real scores
    finally:
        await h.close()


async def test_bulk_reads_equal_the_repository_reads(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channel_names(8))
        for day in range(4):
            h.clock.set(datetime(2026, 3, 2 + day, 9, 0, tzinfo=UTC))
            await h.core.tick()
            await _add_scores(h, day)
        async with unit_of_work(h.db) as repo:
            ids = [row.channel.id for row in await repo.active_channels(h.adapter.platform)]
            bulk = DailyClaims(repo.session)
            histories = await bulk.histories(ids)
            means = await bulk.mean_scores(ids)
            for channel_id in ids:
                assert histories[channel_id] == await repo.asked_question_ids(channel_id)
                assert len(histories[channel_id]) == 4
                one = await repo.mean_score_by_question(channel_id)
                assert means[channel_id].keys() == one.keys()
                for question_id, mean in one.items():
                    assert abs(means[channel_id][question_id] - mean) < 1e-9
            pairs = await bulk.daily_posts_on(ids, {date(2026, 3, 3), date(2026, 3, 9)})
            assert pairs == {(i, date(2026, 3, 3)) for i in ids}
    finally:
        await h.close()


async def test_sends_start_after_the_first_chunk_and_share_one_limit(db_url: str, monkeypatch):
    """Chunked claims: the first posts go out before the last channels are claimed, and all
    the chunks together keep at most the adapter's ``send_concurrency`` sends in flight."""
    monkeypatch.setattr(rounds, "CLAIM_CHUNK", 3)
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        channels = channel_names(12)
        await h.subscribe_all(ADMIN, channels)
        events: list[str] = []
        in_flight = peak = 0
        real_claim_all, real_post = rounds.claim_all, h.adapter.post

        async def recording_claim_all(ctx, due, now, **options):
            claimed = await real_claim_all(ctx, due, now, **options)
            events.append("claim")
            await asyncio.sleep(0)  # a later claim lets the started sends run
            return claimed

        async def slow_post(channel, message, *, open_thread=False):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            events.append("send")
            for _ in range(3):
                await asyncio.sleep(0)
            in_flight -= 1
            return await real_post(channel, message, open_thread=open_thread)

        monkeypatch.setattr(rounds, "claim_all", recording_claim_all)
        monkeypatch.setattr(h.adapter, "post", slow_post)
        monkeypatch.setattr(h.adapter, "send_concurrency", 2, raising=False)
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 12
        assert events.count("claim") == 3  # chunks of 3, 6 and the last 3
        assert events.index("send") < len(events) - 1 - events[::-1].index("claim")
        assert peak == 2
        assert Counter(s.channel.channel for s in question_posts(h)) == Counter(channels)
    finally:
        await h.close()


async def test_a_failed_claim_does_not_orphan_the_sends_already_started(db_url, monkeypatch):
    monkeypatch.setattr(rounds, "CLAIM_CHUNK", 4)
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channel_names(8))
        real_claim_all = rounds.claim_all
        calls = [0]

        async def second_claim_fails(ctx, due, now, **options):
            calls[0] += 1
            if calls[0] == 2:
                raise RuntimeError("database went away")
            return await real_claim_all(ctx, due, now, **options)

        monkeypatch.setattr(rounds, "claim_all", second_claim_fails)
        h.clock.set(MONDAY_9AM)
        await h.core.tick()  # the post pass fails; the tick logs it and carries on
        assert len(question_posts(h)) == 4
        posted = [p for p in await stored_posts(h) if p.state == "posted"]
        assert len(posted) == 4  # delivered and marked, not left to a second send
        monkeypatch.setattr(rounds, "claim_all", real_claim_all)
        h.clock.advance(timedelta(minutes=1))
        await h.core.tick()  # the rest on the next tick, nobody twice
        assert Counter(s.channel.channel for s in question_posts(h)) == Counter(channel_names(8))
    finally:
        await h.close()


async def test_a_tick_collects_rarely_and_the_thresholds_come_back_after(db_url, monkeypatch):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channel_names(6))
        thresholds: list[int] = []
        real_post = h.adapter.post

        async def noting_post(channel, message, *, open_thread=False):
            thresholds.append(gc.get_threshold()[0])
            return await real_post(channel, message, open_thread=open_thread)

        monkeypatch.setattr(h.adapter, "post", noting_post)
        saved = gc.get_threshold()
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 6
        assert thresholds == [BURST_THRESHOLD] * 6
        assert gc.get_threshold() == saved
    finally:
        await h.close()


async def test_reveals_go_out_while_a_post_waits_out_a_rate_limit(db_url, monkeypatch):
    """At 17:00 one channel's reveal and another's post fall due together; the post is
    held up (as by a 429's Retry-After) and the reveal does not wait for it."""
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        early, late = channel_names(2)
        await h.subscribe_all(ADMIN, [early, late])
        async with unit_of_work(h.db) as repo:
            await repo.session.execute(
                update(Channel).where(Channel.external_id == late).values(post_time="17:00")
            )
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 1  # the early channel; revealed at 17:00

        revealed, release = asyncio.Event(), asyncio.Event()
        real_post, real_reply = h.adapter.post, h.adapter.reply_in_thread

        async def held_post(channel, message, *, open_thread=False):
            await release.wait()
            return await real_post(channel, message, open_thread=open_thread)

        async def noting_reply(thread, message):
            ref = await real_reply(thread, message)
            if message.kind == MessageKind.REVEAL:
                revealed.set()
            return ref

        monkeypatch.setattr(h.adapter, "post", held_post)
        monkeypatch.setattr(h.adapter, "reply_in_thread", noting_reply)
        h.clock.set(datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
        tick = asyncio.create_task(h.core.tick())
        await asyncio.wait_for(revealed.wait(), timeout=30)  # a guard, not a timing
        assert not tick.done()
        release.set()
        report = await tick
        assert (report.posted, report.revealed) == (1, 1)
        assert [p.state for p in await stored_posts(h)] == ["revealed", "posted"]
    finally:
        await h.close()


def test_claim_chunks_start_small_then_double_up_to_the_largest():
    sizes = [len(c) for c in rounds.claim_chunks(2000, 200, 1000)]
    assert sizes == [200, 400, 800, 600]
    sizes = [len(c) for c in rounds.claim_chunks(5000, 200, 1000)]
    assert sizes == [200, 400, 800, 1000, 1000, 1000, 600]
    chunks = rounds.claim_chunks(7, 2, 3)
    assert [list(c) for c in chunks] == [[0, 1], [2, 3, 4], [5, 6]]
    assert rounds.claim_chunks(0, 200, 1000) == []
