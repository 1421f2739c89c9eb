"""Building a running core from settings: migrate, load the bank, wire the pieces."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import CoreContext
from bot.core import MlqCore
from bot.ports import ChatAdapter
from question_bank.loader import QuestionBank, load_bank
from storage import Database
from storage.migrate import upgrade

log = logging.getLogger("mlq")


@dataclass
class App:
    core: MlqCore
    db: Database
    bank: QuestionBank

    async def close(self) -> None:
        await self.db.dispose()


def default_instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def load_question_bank(settings: Settings) -> QuestionBank:
    # load_bank logs each problem of a custom file itself (and skips broken files).
    bank = await asyncio.to_thread(load_bank, settings.custom_bank_paths())
    log.info("question bank: %d questions in %d topics", len(bank), len(bank.topics()))
    return bank


async def build_app(
    settings: Settings,
    adapter: ChatAdapter,
    *,
    clock: Clock | None = None,
    bank: QuestionBank | None = None,
    migrate: bool = True,
) -> App:
    if migrate:
        await upgrade(settings.database_url)
    db = Database(settings.database_url)
    bank = bank or await load_question_bank(settings)
    ctx = CoreContext(
        db=db,
        bank=bank,
        adapter=adapter,
        clock=clock or SystemClock(),
        instance_id=settings.instance_id or default_instance_id(),
        lease=timedelta(seconds=settings.lease_seconds),
        dispute_window=timedelta(hours=settings.dispute_window_hours),
        # Two ticks' worth, so the tick before a post time always prepares it.
        prepare_ahead=max(timedelta(minutes=1), timedelta(seconds=2 * settings.tick_seconds)),
    )
    return App(MlqCore(ctx), db, bank)
