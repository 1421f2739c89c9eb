"""What a person is owed for a delivery of theirs, as outbox rows and back.

``record`` runs inside the transaction that stores the answer: the debt is written with
the answer or not at all. The rows are leased to the recording process, which pays them
right after the commit (bot/outbox/pay.py); if it dies first, the lease runs out and
another process pays them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.context import CoreContext
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.outbox.codec import decode_message, encode_message
from storage.models import FeedbackOutbox
from storage.outbox import OutboxStore
from storage.repository import Repository

REACTION = "reaction"
PRIVATE = "private"


@dataclass(frozen=True)
class Recipient:
    """Whose delivery it was and where: the message to react to, the thread to answer in."""

    where: ChannelAddress
    user_id: str
    message_id: str | None = None
    thread_id: str | None = None


@dataclass(frozen=True)
class Owed:
    """One outbox row to pay: a reaction or a private message."""

    id: int
    kind: str
    recipient: Recipient
    reaction: Reaction | None = None
    private: Message | None = None
    attempts: int = 1
    # When the lease was taken (``time.monotonic()``), taken no later than the lease's
    # start: past half the lease the payer renews it before sending.
    leased_at: float = 0.0
    # When the debt was recorded: nothing for it can have been sent before (a takeover
    # looks for an earlier holder's private message from here on).
    created_at: datetime | None = None

    @property
    def message(self) -> MessageAddress | None:
        r = self.recipient
        return MessageAddress(r.where, r.message_id, r.thread_id) if r.message_id else None

    @property
    def thread(self) -> ThreadAddress | None:
        r = self.recipient
        return ThreadAddress(r.where, r.thread_id) if r.thread_id else None


@dataclass(frozen=True)
class Debt:
    """A delivery's feedback before it is recorded."""

    key: str
    recipient: Recipient
    reaction: Reaction | None
    private: Message | None


def _rows(
    ctx: CoreContext, debt: Debt, now: datetime, leased_from: datetime
) -> list[dict[str, Any]]:
    r = debt.recipient
    base = {
        "platform": r.where.platform,
        "delivery_key": debt.key[:200],
        "workspace": r.where.workspace,
        "channel": r.where.channel,
        "user_id": r.user_id,
        "message_id": r.message_id,
        "thread_id": r.thread_id,
        "created_at": now,
        "claim_owner": ctx.instance_id,
        "lease_until": leased_from + ctx.lease,
        "attempts": 1,
        "sent_at": None,
        "given_up": None,
    }
    rows = []
    if debt.reaction is not None and r.message_id is not None:
        rows.append({**base, "kind": REACTION, "payload": {"reaction": debt.reaction.value}})
    if debt.private is not None:
        rows.append({**base, "kind": PRIVATE, "payload": encode_message(debt.private)})
    return rows


async def record(
    ctx: CoreContext, repo: Repository, debts: Sequence[Debt], now: datetime
) -> dict[str, list[Owed]]:
    """Write the debts in the caller's transaction, leased to this process; delivery key
    -> what this process must now pay (reaction first). A delivery recorded before (a
    redelivery) gets nothing here: its rows exist already."""
    # The lease runs from now, not from the transaction's start (a batch may have been
    # grading for a while): taken before the clock is read, so never later than its start.
    leased_at = time.monotonic()
    leased_from = ctx.now()
    rows = [row for debt in debts for row in _rows(ctx, debt, now, leased_from)]
    if not rows:
        return {}
    ids = await OutboxStore(repo.session).add(rows)
    owed: dict[str, list[Owed]] = {}
    for debt in debts:
        key = debt.key[:200]
        if debt.reaction is not None and (key, REACTION) in ids:
            owed.setdefault(debt.key, []).append(
                Owed(
                    ids[(key, REACTION)],
                    REACTION,
                    debt.recipient,
                    reaction=debt.reaction,
                    leased_at=leased_at,
                )
            )
        if debt.private is not None and (key, PRIVATE) in ids:
            owed.setdefault(debt.key, []).append(
                Owed(
                    ids[(key, PRIVATE)],
                    PRIVATE,
                    debt.recipient,
                    private=debt.private,
                    leased_at=leased_at,
                    created_at=now,
                )
            )
    return owed


def from_row(row: FeedbackOutbox, leased_at: float) -> Owed:
    """A leased row as something to pay; raises ValueError for a payload it cannot read."""
    recipient = Recipient(
        ChannelAddress(row.platform, row.workspace, row.channel),
        row.user_id,
        row.message_id,
        row.thread_id,
    )
    payload = row.payload if isinstance(row.payload, dict) else {}
    if row.kind == REACTION:
        try:
            reaction = Reaction(payload.get("reaction"))
        except ValueError as exc:
            raise ValueError(f"unknown reaction in outbox row {row.id}") from exc
        return Owed(
            row.id,
            REACTION,
            recipient,
            reaction=reaction,
            attempts=row.attempts,
            leased_at=leased_at,
            created_at=row.created_at,
        )
    if row.kind == PRIVATE:
        message = decode_message(payload)
        return Owed(
            row.id,
            PRIVATE,
            recipient,
            private=message,
            attempts=row.attempts,
            leased_at=leased_at,
            created_at=row.created_at,
        )
    raise ValueError(f"unknown outbox kind {row.kind!r} in row {row.id}")
