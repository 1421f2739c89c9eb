"""What a person is owed for an answer is owed durably (bot/outbox).

A process that stores an answer and dies before sending its reaction and private grade
leaves them owed in the database: the survivor pays them once the lease has run out, on
its tick or when the platform delivers the answer again, and only once. Permanent refusals
are given up, passing ones retried with a growing wait. The dying process is another core
on the same database (tests/crash.py); the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.memory import MemoryAdapter
from bot.events import AnswerEdited, AnswerPosted, ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.outbox.codec import decode_message, encode_message
from bot.outbox.pay import MAX_ATTEMPTS
from bot.ports import DeliveryError
from storage.models import Answer, FeedbackOutbox
from tests.crash import dying_core, nth
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

ANA, BEN, CAI, DIA = MEMBERS
MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = "Bias is error from wrong assumptions; variance is sensitivity to the training sample."


class RefusingAdapter(MemoryAdapter):
    """A memory platform whose reactions and private messages can be refused."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.refuse: DeliveryError | None = None
        self.refused = 0

    def _maybe_refuse(self) -> None:
        if self.refuse is not None:
            self.refused += 1
            raise self.refuse

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        self._maybe_refuse()
        await super().react(message, reaction)

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        self._maybe_refuse()
        await super().send_private(channel, user_id, message, thread=thread)


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    harness = await make_harness(
        db_url, MONDAY_6AM, adapter=RefusingAdapter("memory"), instance_id="survivor"
    )
    harness.adapter.clock = harness.clock
    await harness.command("subscribe", ADMIN)
    await harness.run_until(NINE)
    yield harness
    await harness.close()


def reply(h: Harness, who, message_id: str, text: str = TEXT) -> AnswerPosted:
    return AnswerPosted(h.where, who, h.current_thread(), message_id, text)


def feedback(h: Harness) -> tuple[Counter[str], Counter[str]]:
    """Reactions per message reacted to, private messages per person."""
    reactions = Counter(s.ref or "" for s in h.adapter.of("react"))
    private = Counter(s.user_id or "" for s in h.adapter.of("private"))
    return reactions, private


async def rows(h: Harness) -> list[FeedbackOutbox]:
    async with h.db.reading() as session:
        return list((await session.scalars(select(FeedbackOutbox).order_by("id"))).all())


async def stored(h: Harness) -> int:
    async with h.db.reading() as session:
        return len((await session.scalars(select(Answer))).all())


async def killed_before(h: Harness, verb: str, *events: AnswerPosted) -> None:
    """Another process stores ``events`` and dies just before its first ``verb``."""
    doomed, adapter = dying_core(h.core.ctx.db.url, h.adapter, h.clock, nth("none", 1))
    adapter.die_before = lambda sent: sent == verb
    try:
        for event in events:
            await doomed.dispatch(event)
    finally:
        await doomed.ctx.db.dispose()
    assert adapter.dead


def past_lease(h: Harness) -> None:
    h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))


async def test_an_answer_stored_by_a_process_killed_before_its_feedback_is_paid_once(
    h: Harness,
):
    await killed_before(h, "react", reply(h, ANA, "a1"))
    assert await stored(h) == 1
    assert feedback(h) == (Counter(), Counter())
    assert {(r.kind, r.sent_at) for r in await rows(h)} == {("reaction", None), ("private", None)}

    await h.core.tick()  # within the lease: the dead process might still be sending
    assert feedback(h) == (Counter(), Counter())

    past_lease(h)
    await h.core.tick()
    await h.core.tick()
    assert feedback(h) == (Counter({"a1": 1}), Counter({ANA.user_id: 1}))
    [react] = h.adapter.of("react")
    assert react.reaction == Reaction.RECEIVED
    [private] = h.adapter.of("private")
    assert private.message.title.startswith("Your grade")
    assert private.thread_id == h.current_thread()
    assert all(r.sent_at is not None for r in await rows(h))


async def test_a_kill_between_the_reaction_and_the_grade_owes_only_the_grade(h: Harness):
    await killed_before(h, "private", reply(h, ANA, "a1"))
    assert feedback(h) == (Counter({"a1": 1}), Counter())
    past_lease(h)
    await h.core.tick()
    assert feedback(h) == (Counter({"a1": 1}), Counter({ANA.user_id: 1}))


async def test_a_redelivery_of_a_stored_answer_pays_what_it_still_owes(h: Harness):
    event = reply(h, ANA, "a1")
    await killed_before(h, "react", event)

    await h.core.dispatch(event)  # redelivered within the lease: its holder may be alive
    assert feedback(h) == (Counter(), Counter())

    past_lease(h)
    await h.core.dispatch(event)  # redelivered later: paid now, before any tick
    assert feedback(h) == (Counter({"a1": 1}), Counter({ANA.user_id: 1}))
    await h.core.dispatch(event)
    await h.core.tick()
    assert feedback(h) == (Counter({"a1": 1}), Counter({ANA.user_id: 1}))
    assert await stored(h) == 1


async def test_feedback_sent_at_once_is_not_sent_again(h: Harness):
    await h.core.dispatch(reply(h, ANA, "a1"))
    await h.core.dispatch(reply(h, BEN, "b1"))
    assert feedback(h) == (Counter({"a1": 1, "b1": 1}), Counter({ANA.user_id: 1, BEN.user_id: 1}))
    past_lease(h)
    await h.core.dispatch(reply(h, ANA, "a1"))
    await h.core.tick()
    assert feedback(h) == (Counter({"a1": 1, "b1": 1}), Counter({ANA.user_id: 1, BEN.user_id: 1}))


async def test_an_edit_owes_its_own_feedback(h: Harness):
    await h.core.dispatch(reply(h, ANA, "a1"))
    edit = AnswerEdited(h.where, ANA, h.current_thread(), "a1", TEXT + " More data helps too.")
    await killed_before(h, "react", edit)  # type: ignore[arg-type]
    past_lease(h)
    await h.core.tick()
    assert [r.reaction for r in h.adapter.of("react")] == [Reaction.RECEIVED, Reaction.UPDATED]
    titles = [p.message.title for p in h.adapter.of("private")]
    assert [t.split(" ·")[0] for t in titles] == ["Your grade", "Updated grade"]


async def test_a_burst_killed_mid_way_is_paid_once_each(h: Harness):
    events = [
        reply(h, m, f"m{i}", f"{TEXT} Member {i} adds detail {i}.") for i, m in enumerate(MEMBERS)
    ]
    await killed_before(h, "react", *events)  # the first batch is stored, then the kill
    assert await stored(h) >= 1
    for event in events:  # the platform redelivers what was never acknowledged
        await h.core.dispatch(event)
    past_lease(h)
    await h.core.tick()
    reactions, private = feedback(h)
    assert await stored(h) == len(MEMBERS)
    assert reactions == Counter({f"m{i}": 1 for i in range(len(MEMBERS))})
    assert private == Counter({m.user_id: 1 for m in MEMBERS})


async def test_a_permanent_refusal_is_given_up_not_retried(h: Harness):
    h.adapter.refuse = DeliveryError("not_in_channel", permanent=True, reason="not_in_channel")
    await h.core.dispatch(reply(h, ANA, "a1"))
    assert h.adapter.refused == 2
    for _ in range(3):
        h.clock.advance(timedelta(hours=2))
        await h.core.tick()
    assert h.adapter.refused == 2
    assert {r.given_up for r in await rows(h)} == {"refused: not_in_channel"}


async def test_a_passing_failure_is_retried_later_and_given_up_after_a_while(h: Harness):
    h.adapter.refuse = DeliveryError("ratelimited")
    await h.core.dispatch(reply(h, ANA, "a1"))
    assert h.adapter.refused == 2
    past_lease(h)
    await h.core.tick()
    assert h.adapter.refused == 4
    await h.core.tick()  # the second wait is twice the lease
    assert h.adapter.refused == 4
    h.adapter.refuse = None
    h.clock.advance(2 * h.core.ctx.lease + timedelta(seconds=1))
    await h.core.tick()
    assert feedback(h) == (Counter({"a1": 1}), Counter({ANA.user_id: 1}))

    h.adapter.refuse, h.adapter.refused = DeliveryError("internal_error"), 0
    await h.core.dispatch(reply(h, BEN, "b1"))
    for _ in range(MAX_ATTEMPTS + 3):
        h.clock.advance(timedelta(hours=1, seconds=1))
        await h.core.tick()
    assert h.adapter.refused == 2 * MAX_ATTEMPTS
    given_up = {r.kind: r.given_up for r in await rows(h) if r.user_id == BEN.user_id}
    assert set(given_up) == {"reaction", "private"}
    assert all(reason.startswith(f"failed {MAX_ATTEMPTS} times") for reason in given_up.values())


def test_a_private_message_survives_the_outbox_as_it_was():
    from bot.messages import Action, Button, Field, MessageKind, Visibility

    message = Message(
        "body **bold**",
        title="Your grade · Score 80%",
        fields=(Field("Covered", "- a\n- b"), Field("Note", "x", inline=True)),
        buttons=(Button(Action.MY_FEEDBACK, "My feedback", "12"),),
        footer="Only you can see this.",
        kind=MessageKind.FEEDBACK,
        visibility=Visibility.PRIVATE,
        fallback="plain",
    )
    assert decode_message(encode_message(message)) == message
    with pytest.raises(ValueError):
        decode_message({"title": "no body"})
