"""Fixtures for the Slack adapter: a fake Slack, and the real app wired to it.

The app is built exactly as ``mlq run --platform slack`` builds it (``build_runtime``),
with ``SLACK_API_URL`` pointing at the fake, the test database, a manual clock for the
core, and no waiting in retries or pacing (those have their own tests).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from adapters.slack.http_mode import start_http
from adapters.slack.pacing import ChannelPacer
from adapters.slack.runtime import SlackRuntime, build_runtime
from bot.clock import ManualClock
from bot.config import Settings
from tests.harness import shared_bank
from tests.slack import payloads
from tests.slack.fake_slack import FakeSlack

BOT_TOKEN = "xoxb-test-one"
MONDAY_8AM = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PEOPLE = {"U-admin": ("Alice Admin", True), "U1": ("Ana", False), "U2": ("Ben", False)}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Slack variable from the developer's shell may leak into a test."""
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(os.path.dirname(__file__))  # no stray .env is read


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_team(BOT_TOKEN, "T1", "UBOT")
    for user, (name, admin) in PEOPLE.items():
        fake.add_user("T1", user, name, admin=admin)
    yield fake
    await fake.close()


def slack_settings(db_url: str, fake: FakeSlack, **values: Any) -> Settings:
    base = {
        "MLQ_DATABASE_URL": db_url,
        "SLACK_API_URL": fake.api_url,
        "SLACK_SIGNING_SECRET": payloads.SECRET,
        "MLQ_INSTANCE_ID": "test",
    }
    base.update(values)
    return Settings(_env_file=None, **base)


async def make_runtime(settings: Settings, *, mode: str, clock: ManualClock) -> SlackRuntime:
    return await build_runtime(
        settings,
        mode=mode,
        clock=clock,
        bank=shared_bank(),
        migrate=False,
        backoff=FixedValueRetryIntervalCalculator(0.0),
        pacer=ChannelPacer(interval=0.0),
    )


@dataclass
class SlackHttp:
    """The app's real HTTP endpoint, and ways to send it Slack's requests."""

    runtime: SlackRuntime
    fake: FakeSlack
    clock: ManualClock
    base_url: str
    http: aiohttp.ClientSession

    async def send(
        self, body: str, content_type: str, **signing: Any
    ) -> tuple[int, str, dict[str, str]]:
        headers = payloads.sign(body, content_type=content_type, **signing)
        async with self.http.post(
            f"{self.base_url}/slack/events", data=body.encode(), headers=headers
        ) as response:
            return response.status, await response.text(), dict(response.headers)

    async def event(self, body: dict[str, Any], **signing: Any) -> int:
        status, _, _ = await self.send(json.dumps(body), "application/json", **signing)
        return status

    async def command(self, text: str, **fields: Any) -> int:
        fields.setdefault("response_url", self.fake.response_url("cmd"))
        body = payloads.form(payloads.slash_command(text, **fields))
        status, _, _ = await self.send(body, "application/x-www-form-urlencoded")
        return status

    async def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = payloads.interactive_form(payload)
        status, text, _ = await self.send(body, "application/x-www-form-urlencoded")
        return status, text

    async def settle(self) -> None:
        """Wait until the work handed over after the acks has finished."""
        assert await self.runtime.bridge.work.join(10), "background work did not finish"

    async def tick(self) -> None:
        await self.runtime.core.tick()
        await self.settle()


@pytest.fixture
async def slack_http(db_url: str, fake_slack: FakeSlack, clean_env: None):
    settings = slack_settings(db_url, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN)
    clock = ManualClock(MONDAY_8AM)
    runtime = await make_runtime(settings, mode="http", clock=clock)
    runner, port = await start_http(runtime.web_app(), host="127.0.0.1", port=0)
    async with aiohttp.ClientSession() as http:
        yield SlackHttp(runtime, fake_slack, clock, f"http://127.0.0.1:{port}", http)
    await runner.cleanup()
    await runtime.close()
