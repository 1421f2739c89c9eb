"""Accepted events kept in the database until handled: nothing acknowledged is lost.

Slack does not send an acknowledged event again, so an answer held only in memory between
the acknowledgement and its storage would vanish with a crash or a restart. An adapter
calls ``accept`` before it acknowledges; the event is then in the inbox table under a
unique key (a retry of the same delivery is refused by the database, in this process or
another), leased to the accepting process for a while. When the event has been handled the
adapter calls ``finish``. Events whose lease runs out unfinished (the process died, or
gave up after retries) are handed out again by ``stranded``; handling is idempotent
because the core records every delivery in the answer's own transaction.

Accepts and finishes are written by group commit (``bot.batching``): a burst costs one
statement per batch, not per event.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.answers import delivery_key
from bot.batching import GroupCommit
from bot.context import CoreContext, log
from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ChannelAddress,
    PrivateAnswerSubmitted,
    storable_event,
)
from storage import unit_of_work
from storage.inbox import InboxStore

# Events worth keeping: a person's answer, or a change to one. Commands and button presses
# are answered while the person waits and can simply be repeated.
DurableEvent = AnswerPosted | AnswerEdited | AnswerDeleted | PrivateAnswerSubmitted
KINDS: dict[str, type[DurableEvent]] = {
    cls.__name__: cls for cls in (AnswerPosted, AnswerEdited, AnswerDeleted, PrivateAnswerSubmitted)
}

LEASE = timedelta(minutes=5)  # how long the accepting process has before others may retry
# The core's inbox lease is this many times its claim lease (MLQ_LEASE_SECONDS): five
# minutes at the default two. Handling is idempotent, so a shorter lease costs at most a
# repeat that changes nothing, and a short MLQ_LEASE_SECONDS shortens every wait alike.
INBOX_LEASE_FACTOR = 2.5
MAX_ATTEMPTS = 5  # then the event stays in the table for a person to look at
KEEP_DONE = timedelta(days=2)  # far longer than any platform retries a delivery
MAX_BATCH = 500  # events per accept or finish statement


@dataclasses.dataclass(frozen=True)
class Accepted:
    inbox_id: int
    event: DurableEvent
    context: dict[str, Any]  # what the adapter needs to reply (e.g. a modal's thread)


def event_key(event: DurableEvent) -> str:
    """The delivery's unique key: a message's address for new replies (the same message
    under two event ids is one answer), else the platform's event id. At most 200
    characters (the column's width): a longer one is replaced by its digest."""
    key = _raw_key(event)
    if len(key) <= 200:
        return key
    return f"{type(event).__name__}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _raw_key(event: DurableEvent) -> str:
    if isinstance(event, AnswerPosted):
        return delivery_key("msg", event.where, event.message_id)
    kind = type(event).__name__
    if event.event_id:
        return f"{kind}:{event.where.workspace}:{event.event_id}"
    if isinstance(event, PrivateAnswerSubmitted):
        return f"{kind}:{event.where.workspace}:{event.actor.user_id}:{event.post_id}"
    # No event id (not so on Slack): the message and a digest of the new text tell edits apart.
    digest = hashlib.sha256(getattr(event, "text", "").encode()).hexdigest()[:16]
    return delivery_key(kind, event.where, event.message_id, f":{digest}")


def encode(event: DurableEvent, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    # By hand rather than dataclasses.asdict, which deep-copies every value: this runs on
    # the acknowledgement's path, once per event.
    payload = dict(vars(event))
    payload["where"] = dict(vars(event.where))
    payload["actor"] = dict(vars(event.actor))
    payload["_context"] = dict(context or {})
    sent_at = payload.get("sent_at")
    if sent_at is not None:
        payload["sent_at"] = sent_at.isoformat()  # the payload column is JSON
    return payload


def decode(kind: str, payload: Mapping[str, Any]) -> tuple[DurableEvent, dict[str, Any]]:
    """The event back from its row; raises ValueError for a row it cannot read."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown inbox event kind {kind!r}")
    data = dict(payload)
    context = dict(data.pop("_context", None) or {})
    try:
        data["where"] = ChannelAddress(**data["where"])
        data["actor"] = Actor(**data["actor"])
        if data.get("sent_at") is not None:
            data["sent_at"] = datetime.fromisoformat(data["sent_at"])
        return cls(**data), context
    except (KeyError, TypeError) as exc:
        raise ValueError(f"unreadable {kind} payload: {exc}") from exc


class Inbox:
    def __init__(self, ctx: CoreContext, *, lease: timedelta = LEASE) -> None:
        self.ctx = ctx
        self.lease = lease
        self._accepts: GroupCommit[tuple[DurableEvent, dict[str, Any]], int | None] = GroupCommit(
            self._write_accepts, max_batch=MAX_BATCH
        )
        self._finishes: GroupCommit[int, None] = GroupCommit(
            self._write_finishes, max_batch=MAX_BATCH
        )

    async def accept(
        self, event: DurableEvent, context: Mapping[str, Any] | None = None
    ) -> int | None:
        """Record the event durably; its inbox id, or None if it was accepted before.
        Text no database takes is cleaned first (as ``MlqCore.dispatch`` does)."""
        return await self._accepts.submit((storable_event(event), dict(context or {})))

    async def finish(self, inbox_id: int) -> None:
        """The event was handled: never hand it out again."""
        await self._finishes.submit(inbox_id)

    async def release(self, inbox_id: int) -> None:
        """Handling failed here: let the next sweep (in any process) try again."""
        async with unit_of_work(self.ctx.db) as repo:
            await InboxStore(repo.session).release([inbox_id])

    async def stranded(self, platform: str, *, limit: int = 200) -> list[Accepted]:
        """Unfinished events whose lease has run out, now leased to this process."""
        now = self.ctx.now()
        async with unit_of_work(self.ctx.db) as repo:
            rows = await InboxStore(repo.session).lease_stranded(
                platform, now, now + self.lease, max_attempts=MAX_ATTEMPTS, limit=limit
            )
            found = [(row.id, row.kind, row.payload, row.attempts) for row in rows]
        taken: list[Accepted] = []
        for inbox_id, kind, payload, attempts in found:
            try:
                event, context = decode(kind, payload)
            except ValueError:
                log.exception("inbox event %d cannot be read; leaving it", inbox_id)
                continue
            log.info("resuming inbox event %d (%s, attempt %d)", inbox_id, kind, attempts)
            taken.append(Accepted(inbox_id, event, context))
        return taken

    async def pending(self, platform: str) -> int:
        async with unit_of_work(self.ctx.db) as repo:
            return await InboxStore(repo.session).count_pending(platform)

    async def prune(self) -> int:
        async with unit_of_work(self.ctx.db) as repo:
            return await InboxStore(repo.session).prune(self.ctx.now() - KEEP_DONE)

    # --- the batched writes ------------------------------------------------------------

    async def _write_accepts(
        self, batch: list[tuple[DurableEvent, dict[str, Any]]]
    ) -> list[int | None]:
        now = self.ctx.now()
        keys = [event_key(event) for event, _ in batch]
        by_platform: dict[str, list[dict[str, Any]]] = {}
        first: dict[tuple[str, str], int] = {}  # a twin within the batch is a retry too
        for index, ((event, context), key) in enumerate(zip(batch, keys, strict=True)):
            platform = event.where.platform
            if (platform, key) in first:
                continue
            first[(platform, key)] = index
            by_platform.setdefault(platform, []).append(
                {"event_key": key, "kind": type(event).__name__, "payload": encode(event, context)}
            )
        inserted: dict[tuple[str, str], int] = {}
        async with unit_of_work(self.ctx.db) as repo:
            store = InboxStore(repo.session)
            for platform, items in by_platform.items():
                ids = await store.accept(platform, items, now, now + self.lease)
                inserted.update({(platform, key): i for key, i in ids.items()})
        results: list[int | None] = []
        for index, ((event, _), key) in enumerate(zip(batch, keys, strict=True)):
            platform = event.where.platform
            is_first = first.get((platform, key)) == index
            results.append(inserted.get((platform, key)) if is_first else None)
        return results

    async def _write_finishes(self, batch: list[int]) -> list[None]:
        async with unit_of_work(self.ctx.db) as repo:
            await InboxStore(repo.session).finish(batch, self.ctx.now())
        return [None] * len(batch)
