"""The owed private grade on Slack is a DM that carries its outbox key, sent exactly once.

Two cores on one database (tests/crash.py): one stores an answer and is killed just before
or just after Slack took its grade; the other takes the outbox row over once the lease has
run out. Slack is the real slack-sdk against the fake Web API: the DM goes to the app's
direct message with the person, with the row's key as message metadata, and the taker
looks there (conversations.open, conversations.history with include_all_metadata) before
it sends. Thread replies, form answers and quiz picks all go this way.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.adapter import SlackAdapter, claim_key_of
from adapters.slack.pacing import ChannelPacer
from adapters.slack.retry import retry_handlers
from adapters.slack.runtime import BOT_SCOPES
from adapters.slack.tokens import SingleToken
from bot.clock import ManualClock
from bot.core import MlqCore
from bot.events import AnswerPosted, ChannelAddress, CommandInvoked, PrivateAnswerSubmitted
from question_bank.loader import QuestionBank
from storage.models import FeedbackOutbox, Post
from tests.crash import dying_core, nth
from tests.harness import ADMIN, MEMBERS, make_core, shared_bank
from tests.quiz_bank import SINGLE, bank_of
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack, dm_id

ANA, BEN = MEMBERS[:2]
C1 = ChannelAddress("slack", "T1", "C1")
MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = "Bias is error from wrong assumptions; variance is sensitivity to the training sample."


@dataclass
class World:
    """One fake Slack and one database; each core is a process with its own adapter."""

    db_url: str
    fake: FakeSlack
    clock: ManualClock
    http: aiohttp.ClientSession
    bank: QuestionBank

    def adapter(self) -> SlackAdapter:
        client = AsyncWebClient(
            base_url=self.fake.api_url,
            session=self.http,
            retry_handlers=retry_handlers(FixedValueRetryIntervalCalculator(0.0)),
        )
        return SlackAdapter(client, SingleToken(BOT_TOKEN), pacer=ChannelPacer(interval=0.0))

    def core(self, instance_id: str = "survivor") -> MlqCore:
        return make_core(
            self.db_url, self.adapter(), self.clock, instance_id=instance_id, bank=self.bank
        )

    def doomed(self, *, before: bool = False, after: bool = False) -> MlqCore:
        """A process that dies just before (or just after) Slack takes a private message."""
        core, adapter = dying_core(
            self.db_url, self.adapter(), self.clock, nth("none", 1), bank=self.bank
        )
        adapter.die_before = lambda verb: before and verb == "private"
        adapter.die_after = lambda verb: after and verb == "private"
        self.dying = adapter
        return core

    def past_lease(self, core: MlqCore, times: int = 1) -> None:
        self.clock.advance(core.ctx.lease * times + timedelta(seconds=1))

    def grades(self, user: str) -> list[str]:
        """The outbox keys of the DMs the app sent to ``user``."""
        return [claim_key_of(m) or "" for m in self.fake.direct_messages("T1", user)]

    async def rows(self, core: MlqCore) -> list[FeedbackOutbox]:
        async with core.ctx.db.reading() as session:
            query = select(FeedbackOutbox).where(FeedbackOutbox.kind == "private")
            return list((await session.scalars(query.order_by(FeedbackOutbox.id))).all())


async def make_world(db_url: str, bank: QuestionBank, *commands: str) -> AsyncIterator[World]:
    clock = ManualClock(MONDAY_6AM)
    fake = await FakeSlack(clock=lambda: clock.now().timestamp()).start()
    fake.add_team(BOT_TOKEN, "T1", "UBOT")
    async with aiohttp.ClientSession() as http:
        world = World(db_url, fake, clock, http, bank)
        setup = world.core("setup")
        try:
            for command in ("subscribe", *commands):
                await setup.dispatch(CommandInvoked(C1, ADMIN, command))
            clock.set(NINE)
            assert (await setup.tick()).posted == 1
        finally:
            await setup.ctx.db.dispose()
        fake.clear()
        yield world
    await fake.close()


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async for w in make_world(db_url, shared_bank()):
        yield w


@pytest.fixture
async def quiz_world(db_url: str) -> AsyncIterator[World]:
    async for w in make_world(db_url, bank_of(SINGLE), "formats quiz"):
        yield w


def thread_of(world: World) -> str:
    return world.fake.channel_messages("T1", "C1")[-1]["ts"]


def reply(world: World, who, n: int = 1) -> AnswerPosted:  # type: ignore[no-untyped-def]
    return AnswerPosted(C1, who, thread_of(world), f"1800000000.{n:06d}", TEXT)


async def post_id(core: MlqCore) -> int:
    async with core.ctx.db.reading() as session:
        return (await session.scalars(select(Post.id))).one()


def lookups(world: World) -> int:
    """History reads: opening the DM is part of sending to it, a look-up reads it back."""
    return len(world.fake.of("conversations.history"))


async def test_a_fresh_grade_is_one_dm_with_its_key_and_no_look_up(world: World):
    core = world.core()
    try:
        await core.dispatch(reply(world, ANA))
        (key,) = world.grades("U1")
        (row,) = await world.rows(core)
        assert key == f"fb:{row.id}" and row.sent_at is not None
        assert world.fake.of("chat.postEphemeral") == []
        assert lookups(world) == 0  # nothing to look for on the normal path
    finally:
        await core.ctx.db.dispose()


async def test_a_grade_slack_took_before_the_kill_is_found_and_marked_not_resent(
    world: World, caplog: pytest.LogCaptureFixture
):
    doomed, survivor = world.doomed(after=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA))
        assert world.dying.dead and len(world.grades("U1")) == 1
        (row,) = await world.rows(survivor)
        assert row.sent_at is None  # the mark died with the process

        await survivor.tick()  # the lease still holds: nobody touches the row
        assert lookups(world) == 0
        world.past_lease(survivor)
        with caplog.at_level(logging.INFO, logger="mlq"):
            await survivor.tick()
        assert len(world.grades("U1")) == 1  # found, not sent again
        (row,) = await world.rows(survivor)
        assert row.sent_at is not None
        (history,) = world.fake.of("conversations.history")
        assert history.params["channel"] == dm_id("U1")
        assert history.params["include_all_metadata"] == "1"
        assert float(history.params["oldest"]) <= row.created_at.timestamp()
        assert "found on the platform; marked, not sent again" in caplog.text
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


async def test_a_grade_never_sent_before_the_kill_is_sent_once_by_the_takeover(world: World):
    doomed, survivor = world.doomed(before=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA))
        assert world.dying.dead and world.grades("U1") == []
        world.past_lease(survivor)
        await survivor.tick()
        (row,) = await world.rows(survivor)
        assert world.grades("U1") == [f"fb:{row.id}"] and row.sent_at is not None
        assert len(world.fake.of("conversations.history")) == 1  # looked, found nothing
        world.past_lease(survivor)
        await survivor.tick()
        assert len(world.grades("U1")) == 1
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


async def test_an_install_without_the_dm_scopes_sends_once_and_warns_once(
    world: World, caplog: pytest.LogCaptureFixture
):
    """Installed before owed grades were DMs: Slack answers missing_scope to the look-up.
    The grade is sent (it may be a second copy; mlq doctor names the missing scopes)."""
    world.fake.teams[BOT_TOKEN].scopes = tuple(s for s in BOT_SCOPES if not s.startswith("im:"))
    doomed, survivor = world.doomed(before=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA, 1))
        doomed2 = world.doomed(before=True)
        await doomed2.dispatch(reply(world, BEN, 2))
        world.past_lease(survivor)
        with caplog.at_level(logging.WARNING, logger="mlq"):
            await survivor.tick()
        assert len(world.grades("U1")) == 1 and len(world.grades("U2")) == 1
        assert all(r.sent_at is not None for r in await world.rows(survivor))
        warned = [r for r in caplog.records if "im:history / im:write" in r.getMessage()]
        assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    finally:
        await doomed.ctx.db.dispose()
        await doomed2.ctx.db.dispose()
        await survivor.ctx.db.dispose()


@pytest.mark.parametrize("error", [{"error": "internal_error"}, {"status": 503}])
async def test_a_look_up_that_fails_sends_nothing_and_is_asked_again_after_the_lease(
    world: World, error: dict
):
    doomed, survivor = world.doomed(before=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA))
        world.past_lease(survivor)
        # slack-sdk retries a 5xx (adapters/slack/retry.py): fail every try.
        world.fake.fail("conversations.history", times=10, **error)
        await survivor.tick()
        assert world.grades("U1") == []  # could not look: sent nothing
        (row,) = await world.rows(survivor)
        assert row.sent_at is None and row.given_up is None
        world.fake._failures.clear()
        await survivor.tick()
        assert world.grades("U1") == []  # not before its wait is over
        world.past_lease(survivor, times=2)  # the second attempt waits two leases
        await survivor.tick()
        assert len(world.grades("U1")) == 1
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


@pytest.mark.parametrize("dies", ["before", "after"])
async def test_a_form_answer_killed_between_commit_and_grade_gets_one_dm(world: World, dies: str):
    doomed, survivor = world.doomed(**{dies: True}), world.core()
    try:
        event = PrivateAnswerSubmitted(
            C1, BEN, await post_id(survivor), TEXT, event_id="view-1", sent_at=NINE
        )
        assert await doomed.dispatch(event) == []
        assert world.dying.dead
        # The inbox hands the event out again after the crash: stored already, nothing new.
        assert await survivor.dispatch(event) == []
        world.past_lease(survivor)
        await survivor.tick()
        (row,) = await world.rows(survivor)
        assert world.grades("U2") == [f"fb:{row.id}"] and row.sent_at is not None
        (dm,) = world.fake.direct_messages("T1", "U2")
        assert "Your grade" in dm["text"] and "<#C1>" in dm["text"]
        assert world.fake.responses == [] and world.fake.of("chat.postEphemeral") == []
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


async def test_a_form_answer_without_a_kill_is_one_dm_sent_at_once(world: World):
    core = world.core()
    try:
        event = PrivateAnswerSubmitted(C1, BEN, await post_id(core), TEXT, event_id="view-2")
        assert await core.dispatch(event) == []  # nothing for the interaction to show
        assert await core.dispatch(event) == []  # Slack's retry: paid already
        assert len(world.grades("U2")) == 1 and lookups(world) == 0
    finally:
        await core.ctx.db.dispose()


@pytest.mark.parametrize("dies", ["before", "after"])
async def test_a_quiz_pick_killed_between_commit_and_confirmation_gets_one_dm(
    quiz_world: World, dies: str
):
    world = quiz_world
    doomed, survivor = world.doomed(**{dies: True}), world.core()
    try:
        pick = PrivateAnswerSubmitted(
            C1, ANA, await post_id(survivor), "C", event_id="pick-1", sent_at=NINE
        )
        assert await doomed.dispatch(pick) == []
        world.past_lease(survivor)
        await survivor.tick()
        (dm,) = world.fake.direct_messages("T1", "U1")
        assert "Your pick" in dm["text"]
        (row,) = await world.rows(survivor)
        assert claim_key_of(dm) == f"fb:{row.id}" and row.sent_at is not None
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


async def test_a_look_up_outlasting_the_lease_does_not_send_after_another_took_the_row(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """A takeover's look-up can take long: two Web API calls, each retried after Slack's
    Retry-After up to six times (adapters/slack/retry.py), against a two-minute lease.
    If the lease runs out meanwhile, another replica takes the row over, looks, finds
    nothing (nobody sent yet) and sends. The first must then not send as well: it checks
    that it still holds the row after the look-up, not only before it."""
    ticks = [1000.0]  # the payer's monotonic clock, moved by the slow look-up
    payer = importlib.import_module("bot.outbox.pay")
    monkeypatch.setattr(payer, "time", SimpleNamespace(monotonic=lambda: ticks[0]))
    doomed, slow, other = world.doomed(before=True), world.core("slow"), world.core("other")
    real_find = slow.ctx.adapter.find_private

    async def rate_limited_find(*args):  # type: ignore[no-untyped-def]
        found = await real_find(*args)
        ticks[0] += slow.ctx.lease.total_seconds() + 1
        world.past_lease(slow)
        await other.tick()  # the lease ran out: the other replica takes the row and sends
        assert len(world.grades("U1")) == 1
        return found

    slow.ctx.adapter.find_private = rate_limited_find  # type: ignore[method-assign]
    try:
        await doomed.dispatch(reply(world, ANA))
        assert world.dying.dead and world.grades("U1") == []
        world.past_lease(slow)
        await slow.tick()
        assert len(world.grades("U1")) == 1
        (row,) = await world.rows(slow)
        assert row.sent_at is not None and row.claim_owner == "other"
    finally:
        for core in (doomed, slow, other):
            await core.ctx.db.dispose()


@pytest.mark.parametrize(
    ("error", "given_up"),
    [
        ("user_not_found", False),  # left the workspace, or not visible to the app
        ("cannot_dm_bot", False),
        ("user_disabled", False),
        ("account_inactive", True),  # the app's own token: nothing can be sent either
        ("invalid_auth", True),
    ],
)
async def test_a_dm_that_cannot_be_opened_is_never_a_reason_to_send(
    world: World, error: str, given_up: bool
):
    """conversations.open refusing with Slack's own codes: the takeover sends nothing
    (not knowing is not "not found"); a refusal for good gives the row up, anything else
    is asked again later."""
    doomed, survivor = world.doomed(before=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA))
        world.past_lease(survivor)
        world.fake.fail("conversations.open", error=error)
        await survivor.tick()
        assert world.grades("U1") == [] and len(world.fake.of("conversations.open")) == 1
        (row,) = await world.rows(survivor)
        assert row.sent_at is None and (row.given_up is not None) == given_up
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()


async def test_a_rate_limited_dm_look_up_waits_as_told_then_sends_once(world: World):
    doomed, survivor = world.doomed(before=True), world.core()
    try:
        await doomed.dispatch(reply(world, ANA))
        world.past_lease(survivor)
        world.fake.fail("conversations.open", status=429, retry_after=0)
        world.fake.fail("conversations.history", status=429, retry_after=0, times=2)
        await survivor.tick()
        assert len(world.grades("U1")) == 1
        assert len(world.fake.of("conversations.open")) == 2  # the 429, then the retry
        assert len(world.fake.of("conversations.history")) == 3
    finally:
        await doomed.ctx.db.dispose()
        await survivor.ctx.db.dispose()
