"""Choosing the daily questions of the next minute or so before they are due.

At the post time the fan-out races to get thousands of first sends out; reading every
channel's history and scores and running selection for each would hold those sends back.
The tick before the post time does that work instead and keeps the picks in memory.

Nothing is written ahead: the claim at the due instant still decides who posts, a pick
whose channel changed its filters meanwhile is dropped and chosen afresh, and a process
that restarted simply has no picks and chooses at the due instant as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.choice import DueToday, choose_for, due_today, filters_of
from bot.context import CoreContext
from question_bank.schema import Question
from storage.claims import DailyClaims
from storage.repository import ChannelRow


@dataclass(frozen=True)
class PreparedPick:
    question: Question
    filters: tuple[tuple[str, ...], ...]
    missed: date | None  # the previous scheduled day, found without a post


def post_falling_due(row: ChannelRow, now: datetime, until: datetime) -> DueToday | None:
    """The channel's post that falls due after ``now`` and by ``until``, if any."""
    later = due_today(row, until)
    # Its time has come already (due at ``now`` too): it is the current tick's to post.
    return later if later is not None and later.post_at > now else None


class PickPlan:
    """Picks for posts that are about to be due, by claim key; each is used at most once."""

    def __init__(self) -> None:
        self._picks: dict[str, PreparedPick] = {}

    def __len__(self) -> int:
        return len(self._picks)

    def take(self, due: DueToday) -> PreparedPick | None:
        """The pick made for this post, if its channel's filters are still the same."""
        pick = self._picks.pop(due.claim_key, None)
        if pick is None or pick.filters != filters_of(due.row.channel):
            return None
        return pick

    async def prepare(
        self, ctx: CoreContext, rows: Sequence[ChannelRow], now: datetime, until: datetime
    ) -> int:
        """Choose for every channel whose post falls due after ``now`` and by ``until``.

        Picks for posts no longer in that window are forgotten. Returns how many were made.
        """
        upcoming = [d for row in rows if (d := post_falling_due(row, now, until)) is not None]
        wanted = {d.claim_key: d for d in upcoming}
        self._picks = {
            key: pick
            for key, pick in self._picks.items()
            if key in wanted and pick.filters == filters_of(wanted[key].row.channel)
        }
        todo = [d for d in upcoming if d.claim_key not in self._picks]
        if not todo:
            return 0
        async with ctx.db.reading() as session:
            choices = await choose_for(ctx, DailyClaims(session), todo)
        for d, question in choices.picks:
            self._picks[d.claim_key] = PreparedPick(
                question, filters_of(d.row.channel), choices.missed.get(d.row.channel.id)
            )
        return len(choices.picks)
