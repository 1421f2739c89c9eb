"""Thread replies stored by group commit: everything that queued up meanwhile, in one transaction.

Storing one answer takes about ten statements, and each costs a round trip through the
async driver while SQLite admits one writer at a time; one transaction per answer caps
ingestion near a hundred answers a second. Replies that arrive while a batch is being
written wait in a queue and go in together with a handful of bulk statements. Under light
load a batch is a single reply, so nothing waits on a timer.

The rules are those of ``bot.answers`` (same delivery keys, same refusals, same grading and
outcomes); only the statements are shared across the batch. Reactions and private feedback
are owed in the batch's transaction (bot/outbox) and go out after it has committed, each
from its own submitter: a slow platform call (a ``reactions.add`` waiting out a
Retry-After) never holds up the next batch. A reply stored before (a redelivery) makes sure
its feedback went out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot import outbox, render
from bot.answers import (
    CANCELLED,
    EMPTY_HINT,
    Outcome,
    debt_for,
    delivery_key,
    does_not_count,
    grade_for,
    grade_values,
    graded_outcome,
    on_answer_posted,
    refusal,
    sent_in_time,
    sent_time,
    store_answer,
)
from bot.batching import GroupCommit
from bot.context import CoreContext, log
from bot.events import AnswerPosted
from bot.fanout import for_each
from bot.grading import Grade
from bot.grading.learned import ACCEPTED_PER_QUESTION
from bot.review import apply_review
from bot.text import is_blank
from storage import unit_of_work
from storage.models import Answer, Member, Post
from storage.repository import DAILY, Repository

MAX_BATCH = 200


@dataclass
class _Planned:
    """One reply of a batch, once its post, member and grade are known."""

    event: AnswerPosted
    outcome: Outcome
    post: Post | None = None
    member: Member | None = None
    row: dict[str, object] | None = None  # a new answer to insert
    score: float | None = None  # the review to record, if the answer is on time
    owed: list[outbox.Owed] = field(default_factory=list)  # this process must pay
    redelivered: str | None = None  # the delivery key, when it was stored before


class AnswerIngester:
    def __init__(self, ctx: CoreContext, *, max_batch: int = MAX_BATCH) -> None:
        self.ctx = ctx
        self._batches: GroupCommit[AnswerPosted, _Planned | None] = GroupCommit(
            self._store_batch, max_batch=max_batch
        )

    async def submit(self, event: AnswerPosted) -> None:
        """Store one reply (with its batch), then pay its reaction and feedback."""
        planned = await self._batches.submit(event)
        if planned is None:
            return
        try:
            if planned.redelivered is not None:
                await outbox.pay_redelivered(self.ctx, [planned.redelivered])
            else:
                await outbox.pay(self.ctx, planned.owed)
        except Exception:
            log.exception("answer delivery failed")

    async def _store_batch(self, events: list[AnswerPosted]) -> list[_Planned | None]:
        try:
            planned = await store_batch(self.ctx, events)
        except Exception:
            # One bad reply must not sink the others: redo them one by one.
            log.exception("batch of %d answers failed; storing them one by one", len(events))
            await for_each(events, self._store_alone, limit=1, what="answer")
            return [None] * len(events)
        # Each planned reply goes to one submitter; a twin of it (a retry) gets None.
        by_event = {id(p.event): p for p in planned}
        return [by_event.pop(id(event), None) for event in events]

    async def _store_alone(self, event: AnswerPosted) -> bool:
        await on_answer_posted(self.ctx, event)
        return True


async def store_batch(ctx: CoreContext, events: Sequence[AnswerPosted]) -> list[_Planned]:
    """Store a batch of thread replies in one transaction; returns what to tell each author.

    Grading is the slow part, so it happens first, on what a read-only transaction shows,
    and the write transaction (which holds SQLite's only write lock) reuses each grade
    whose inputs it finds unchanged; anything that changed meanwhile is graded again."""
    now = ctx.now()
    people = [e for e in events if not e.actor.is_bot]
    pregraded = await _pregrade(ctx, people, now)
    planned: list[_Planned] = []
    async with unit_of_work(ctx.db) as repo:
        by_workspace: dict[tuple[str, str], list[AnswerPosted]] = {}
        for event in people:
            by_workspace.setdefault((event.where.platform, event.where.workspace), []).append(event)
        for (platform, workspace), group in by_workspace.items():
            planned += await _store_group(ctx, repo, platform, workspace, group, now, pregraded)
    return planned


# A grade computed ahead of the write, with the other answers it was compared with.
Pregraded = dict[int, tuple[tuple[str, ...], Grade, bool]]


async def _pregrade(ctx: CoreContext, events: Sequence[AnswerPosted], now: datetime) -> Pregraded:
    """Grade every reply that looks new, in batch order, against a read-only snapshot."""
    graded: Pregraded = {}
    try:
        async with ctx.db.reading() as session:
            repo = Repository(session)
            groups: dict[tuple[str, str], list[AnswerPosted]] = {}
            for event in events:
                groups.setdefault((event.where.platform, event.where.workspace), []).append(event)
            snapshots = []
            for (platform, workspace), group in groups.items():
                posts = await repo.posts_in_threads(
                    platform, workspace, [(e.where.channel, e.thread_id) for e in group]
                )
                members = await repo.members_by_address(
                    platform, workspace, list({e.actor.user_id for e in group})
                )
                rounds = await repo.round_texts_for([p.id for p in posts.values()])
                accepted = await repo.accepted_texts(
                    [p.id for p in posts.values()], ACCEPTED_PER_QUESTION
                )
                snapshots.append((group, posts, members, rounds, accepted))
    except Exception:
        log.exception("grading ahead of the write failed; grading inside it instead")
        return graded
    for group, posts, members, rounds, accepted in snapshots:
        for event in group:
            post = posts.get((event.where.channel, event.thread_id))
            if post is None or post.kind != DAILY or is_blank(event.text):
                continue
            member = members.get(event.actor.user_id)
            author: object = member.id if member is not None else ("new", event.actor.user_id)
            others = tuple(text for who, text in rounds.get(post.id, []) if who != author)
            grade, truncated = grade_for(
                ctx, post, event.text, list(others), accepted.get(post.id, ())
            )
            graded[id(event)] = (others, grade, truncated)
            if post.state == "posted" and sent_in_time(post, sent_time(event.sent_at, now)):
                rounds.setdefault(post.id, []).append((author, event.text))
    return graded


async def _store_group(
    ctx: CoreContext,
    repo: Repository,
    platform: str,
    workspace: str,
    events: list[AnswerPosted],
    now: datetime,
    pregraded: Pregraded,
) -> list[_Planned]:
    posts = await repo.posts_in_threads(
        platform, workspace, [(e.where.channel, e.thread_id) for e in events]
    )
    ours = [(e, posts.get((e.where.channel, e.thread_id))) for e in events]
    ours = [(e, p) for e, p in ours if p is not None and p.kind == DAILY]
    keys = {id(e): delivery_key("msg", e.where, e.message_id) for e, _ in ours}
    fresh = await repo.first_deliveries(platform, list(keys.values()), now)
    stored_before = {k for k in keys.values() if k[:200] not in fresh}
    firsts: list[tuple[AnswerPosted, Post]] = []
    result: list[_Planned] = []
    for event, post in ours:
        key = keys[id(event)]
        if key[:200] in fresh:
            fresh.discard(key[:200])  # a twin later in the same batch is a retry
            firsts.append((event, post))
        elif key in stored_before:
            stored_before.discard(key)  # one check per delivery is enough
            result.append(_Planned(event, Outcome(), redelivered=key))
    members = await _members(repo, platform, workspace, [e for e, _ in firsts], now)
    # Sent in time to a round revealed meanwhile: rare, so through the one-answer path,
    # which credits it (points and streaks) once.
    late = [
        (e, p)
        for e, p in firsts
        if p.state == "revealed" and not is_blank(e.text) and _sent_in_time(e, p, now)
    ]
    for event, post in late:
        member = members[event.actor.user_id]
        sent = sent_time(event.sent_at, now)
        outcome = await store_answer(
            ctx, repo, post, member, event.text, event.message_id, now, sent
        )
        result.append(_Planned(event, outcome))
    taken = {id(e) for e, _ in late}
    firsts = [(e, p) for e, p in firsts if id(e) not in taken]
    pairs = [(post.id, members[e.actor.user_id].id) for e, post in firsts]
    existing = await repo.answers_for_pairs(pairs)
    rounds = await repo.round_texts_for([post.id for _, post in firsts])
    accepted = await repo.accepted_texts([post.id for _, post in firsts], ACCEPTED_PER_QUESTION)
    new_rows: dict[tuple[int, int], _Planned] = {}
    for event, post in firsts:
        member = members[event.actor.user_id]
        item = _plan(
            ctx,
            event,
            post,
            member,
            existing.get((post.id, member.id)),
            new_rows.get((post.id, member.id)),
            rounds,
            now,
            pregraded.get(id(event)),
            accepted.get(post.id, ()),
        )
        result.append(item)
        if item.row is not None:
            new_rows[(post.id, member.id)] = item
    await _write(repo, list(new_rows.values()), now)
    await _record_reviews(repo, [p for p in result if p.score is not None], now)
    await _owe(ctx, repo, [p for p in result if p.redelivered is None], keys, now)
    return result


async def _owe(
    ctx: CoreContext,
    repo: Repository,
    items: list[_Planned],
    keys: dict[int, str],
    now: datetime,
) -> None:
    """Owe every stored reply its feedback, in the batch's transaction."""
    debts = [debt_for(keys[id(p.event)], p.event, p.outcome) for p in items]
    owed = await outbox.record(ctx, repo, debts, now)
    for item in items:
        item.owed = owed.get(keys[id(item.event)], [])


def _sent_in_time(event: AnswerPosted, post: Post, now: datetime) -> bool:
    return sent_in_time(post, sent_time(event.sent_at, now))


async def _members(
    repo: Repository, platform: str, workspace: str, events: list[AnswerPosted], now: datetime
) -> dict[str, Member]:
    """The authors' member rows, creating first-time authors in one statement."""
    names = {e.actor.user_id: e.actor.display_name[:200] for e in events}
    known = await repo.members_by_address(platform, workspace, list(names))
    missing = [user for user in names if user not in known]
    if missing:
        workspace_id = await repo.workspace_id(platform, workspace, now)
        await repo.insert_members(workspace_id, {u: names[u] for u in missing}, now)
        known = await repo.members_by_address(platform, workspace, list(names))
    for user, name in names.items():
        if name and known[user].display_name != name:
            known[user].display_name = name  # people rename themselves
    return known


def _plan(
    ctx: CoreContext,
    event: AnswerPosted,
    post: Post,
    member: Member,
    existing: Answer | None,
    pending: _Planned | None,
    rounds: dict[int, list[tuple[int, str]]],
    now: datetime,
    pregraded: tuple[tuple[str, ...], Grade, bool] | None = None,
    accepted: Sequence[str] = (),
) -> _Planned:
    """Decide one reply: the same rules as ``bot.answers`` for a single reply."""
    if is_blank(event.text):
        return _Planned(event, Outcome(None, render.info(EMPTY_HINT)))
    on_time = post.state == "posted" and _sent_in_time(event, post, now)
    refused = refusal(existing, on_time=on_time, practice=False, cancelled=post.state == CANCELLED)
    if refused is not None:
        return _Planned(event, refused)
    others = [text for author, text in rounds.get(post.id, []) if author != member.id]
    if pregraded is not None and pregraded[0] == tuple(others):
        _, grade, truncated = pregraded  # graded ahead of the write on the same inputs
    else:
        grade, truncated = grade_for(ctx, post, event.text, others, accepted)
    earlier = pending.row["text"] if pending is not None and pending.row else None
    if earlier is None and existing is not None:
        earlier = existing.text
    kept = does_not_count(ctx, post, grade, str(earlier) if earlier else None, existing)
    if kept is not None:
        return _Planned(event, kept)
    if on_time:
        rounds.setdefault(post.id, []).append((member.id, event.text))
    replaced = existing is not None or pending is not None
    outcome = graded_outcome(
        ctx, post, grade, on_time=on_time, replaced=replaced, truncated=truncated, text=event.text
    )
    score = grade.score if on_time else None
    if existing is not None:
        existing.text = event.text
        existing.message_ref = event.message_id
        existing.edited_at = now
        existing.withdrawn = False
        existing.on_time = on_time
        for name, value in grade_values(grade).items():
            setattr(existing, name, value)
        return _Planned(event, outcome, post, member, score=score)
    row: dict[str, object] = {
        "post_id": post.id,
        "member_id": member.id,
        "channel_id": post.channel_id,
        "kind": post.kind,
        "post_date": post.local_date,
        "text": event.text,
        "message_ref": event.message_id,
        "received_at": pending.row["received_at"] if pending and pending.row else now,
        "edited_at": now if pending is not None else None,
        "on_time": on_time,
        "withdrawn": False,
        "points": 0,
        "best": False,
        **grade_values(grade),
    }
    if pending is not None:
        pending.row = None  # superseded by this later reply of the same member
    return _Planned(event, outcome, post, member, row=row, score=score)


async def _write(repo: Repository, items: list[_Planned], now: datetime) -> None:
    rows = [p.row for p in items if p.row is not None]
    inserted = await repo.insert_answers(rows)
    for item in items:
        row = item.row
        if row is None or (row["post_id"], row["member_id"]) in inserted:
            continue
        # Another process stored this member's answer a moment ago: replace it.
        answer = await repo.answer_for(int(row["post_id"]), int(row["member_id"]))
        for name, value in row.items():
            if name not in ("post_id", "member_id", "received_at"):
                setattr(answer, name, value)
        answer.edited_at = now


async def _record_reviews(repo: Repository, items: list[_Planned], now: datetime) -> None:
    cards = await repo.review_cards([(p.member.id, p.post.question_id) for p in items])
    for item in items:
        key = (item.member.id, item.post.question_id)
        cards[key] = apply_review(
            repo,
            cards.get(key),
            item.member.id,
            item.post.question_id,
            item.post.id,
            item.score,
            now,
        )
