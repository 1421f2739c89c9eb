"""``mlq doctor``'s platform-neutral half: every subscribed channel's access, one problem a
line with its fix. The platform checks (tokens, scopes, intents, and how to ask whether
the bot can work in a channel) come from the adapters (adapters/*/doctor.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import render
from bot.context import address_of
from bot.events import ChannelAddress
from bot.ports import DeliveryError
from storage import Database, unit_of_work
from storage.repository import ChannelRow

ChannelCheck = Callable[[ChannelAddress], Awaitable[list[str]]]


@dataclass(frozen=True)
class Problem:
    where: str  # "token", "scopes", "intents", or a channel such as "slack T1/C1"
    what: str
    fix: str = ""  # empty when ``what`` already says it

    def line(self) -> str:
        return f"{self.where}: {self.what}" + (f"; fix: {self.fix}" if self.fix else "")


def _name(row: ChannelRow) -> str:
    return f"{row.platform} {row.workspace_external_id}/{row.channel.external_id}"


async def subscribed_channels(db: Database, platform: str) -> list[ChannelRow]:
    """Every subscribed channel of the platform, suspended ones included."""
    async with unit_of_work(db) as repo:
        rows = await repo.active_channels(platform)
        rows += [r for r in await repo.suspended_channels(platform) if r.channel.subscribed]
    return sorted(rows, key=lambda r: r.channel.id)


async def channel_problems(db: Database, platform: str, check: ChannelCheck) -> list[Problem]:
    """A suspended channel is reported as it stands (``/mlq resume`` re-checks it); every
    other subscribed channel is asked about with ``check``."""
    problems: list[Problem] = []
    for row in await subscribed_channels(db, platform):
        reason = row.channel.suspended_reason
        if reason:
            problems.append(
                Problem(
                    _name(row),
                    f"suspended ({reason})",
                    f"{render.suspension_fix(reason)}, then run /mlq resume there",
                )
            )
            continue
        try:
            found = await check(address_of(row))
        except DeliveryError as exc:
            reason = exc.reason or str(exc)
            if exc.permanent:
                problems.append(
                    Problem(_name(row), f"refused ({reason})", render.suspension_fix(reason))
                )
            else:
                problems.append(
                    Problem(_name(row), f"could not be checked ({reason})", "run doctor again")
                )
            continue
        problems += [Problem(_name(row), text) for text in found]
    return problems
