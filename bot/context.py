"""What every service needs: the database, the bank, the platform, the clock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.events import ChannelAddress
from bot.ports import ChatAdapter
from bot.schedule import resolve_timezone
from question_bank.loader import QuestionBank
from storage import Database
from storage.models import Channel
from storage.repository import ChannelRow

log = logging.getLogger("mlq")


@dataclass
class CoreContext:
    db: Database
    bank: QuestionBank
    adapter: ChatAdapter
    clock: Clock
    instance_id: str
    # How long a claimed post or reveal is ours before another process may retry it.
    lease: timedelta = timedelta(minutes=2)
    # Posts made more than this after the scheduled time are labelled late.
    late_grace: timedelta = timedelta(minutes=10)
    topics: frozenset[str] = field(default_factory=frozenset)
    # Daily questions due within this much of a tick are chosen in that tick (lookahead.py).
    prepare_ahead: timedelta = timedelta(minutes=1)
    # Channels posted to (or revealed) at once in a tick; the platform adapter paces them.
    concurrency: int = 32
    # How long after a round's reveal its grades may still be disputed (bot/disputes).
    dispute_window: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        if not self.topics:
            self.topics = frozenset(self.bank.topics())

    @property
    def platform(self) -> str:
        return self.adapter.platform

    def now(self) -> datetime:
        return self.clock.now()


def channel_zone(channel: Channel) -> ZoneInfo:
    """The channel's zone; a value that stopped resolving falls back to UTC, loudly."""
    try:
        return resolve_timezone(channel.timezone)
    except ValueError:
        log.error("channel %s has unknown time zone %r; using UTC", channel.id, channel.timezone)
        return ZoneInfo("UTC")


def zone_named(name: str) -> ZoneInfo:
    """A stored zone name as a zone; one that stopped resolving is UTC (``channel_zone``,
    used wherever a channel's time is shown, says so in the log)."""
    try:
        return resolve_timezone(name)
    except ValueError:
        return ZoneInfo("UTC")


def address_of(row: ChannelRow) -> ChannelAddress:
    return ChannelAddress(row.platform, row.workspace_external_id, row.channel.external_id)
