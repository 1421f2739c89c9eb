"""What a channel whose access was revoked costs: Slack API calls and log lines a day.

The real Slack runtime (slack-sdk, the adapter, the core) runs against FakeSlack on
127.0.0.1 with a manual clock ticking every 30 seconds, as the scheduler does, through two
days. Channel C1 answers every chat.postMessage with ``not_in_channel`` (access revoked);
channel C2 answers every one with a 500 (a passing failure: retried with backoff, and each
attempt is four calls, slack-sdk retrying a 5xx three times). Before suspensions, both
were retried at every lease: about 360 attempts a day, each logged with a traceback.
Each day prints the calls made to each channel and the log records at WARNING or above.

    .venv/bin/python bench/dead_channel.py
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk.http_retry.builtin_interval_calculators import (
    FixedValueRetryIntervalCalculator,
)

from adapters.slack.pacing import ChannelPacer
from adapters.slack.runtime import build_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.events import Actor, ChannelAddress, CommandInvoked
from question_bank.loader import load_bank
from tests.slack.fake_slack import FakeSlack

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
TICK = timedelta(seconds=30)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_channel: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        for channel_id, name in (("1", "C1"), ("2", "C2")):
            if f"channel {channel_id}" in text or f"channel {channel_id}:" in text:
                self.by_channel[name] += 1
                return
        self.by_channel["other"] += 1


async def main() -> None:
    fake = await FakeSlack(record=True).start()
    fake.add_team("xoxb-bench", "T1", "UBOT")
    fake.add_user("T1", "U-admin", "Alice Admin", admin=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            MLQ_DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/mlq.db",
            SLACK_API_URL=fake.api_url,
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET="bench",
        )
        clock = ManualClock(START)
        runtime = await build_runtime(
            settings,
            mode="http",
            clock=clock,
            bank=load_bank(),
            backoff=FixedValueRetryIntervalCalculator(0.0),
            pacer=ChannelPacer(interval=0.0),
        )
        core = runtime.core
        admin = Actor("U-admin", "Alice Admin", is_admin=True)
        for channel in ("C1", "C2"):
            await core.dispatch(
                CommandInvoked(ChannelAddress("slack", "T1", channel), admin, "subscribe")
            )
        fake.dead_channels["C1"] = "not_in_channel"
        fake.dead_channels["C2"] = "500"
        records = Records()
        logging.getLogger("mlq").addHandler(records)
        logging.getLogger("mlq").setLevel(logging.WARNING)
        logging.getLogger("mlq").propagate = False
        print("day  channel  calls  log lines (WARNING+)")
        for day in range(2):
            fake.calls.clear()
            records.by_channel.clear()
            end = START + timedelta(days=day + 1)
            while clock.now() < end:
                clock.advance(TICK)
                await core.tick()
            for channel, label in (("C1", "not_in_channel"), ("C2", "500, backing off")):
                calls = len(fake.of("chat.postMessage", channel=channel))
                lines = records.by_channel[channel]
                print(f"{day + 1:>3}  {channel} {label:<16} {calls:>5}  {lines:>5}")
            print(f"     DMs to the admin: {len(fake.of('chat.postMessage', channel='U-admin'))}")
        await runtime.close()
    await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
