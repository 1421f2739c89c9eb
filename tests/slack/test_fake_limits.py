"""The fake Slack's rate limits, which the fan-out benchmark relies on to judge a sender."""

from __future__ import annotations

import aiohttp

from tests.slack.fake_slack import FakeSlack

TOKEN = "xoxb-limits"


async def post(http: aiohttp.ClientSession, fake: FakeSlack, channel: str) -> int:
    async with http.post(
        fake.api_url + "chat.postMessage",
        json={"channel": channel, "text": "hi"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        return response.status


async def test_an_attempt_before_retry_after_is_counted_too_soon():
    fake = await FakeSlack(
        inject_429=lambda channel, attempt: 60.0 if attempt == 1 else None
    ).start()
    fake.add_team(TOKEN, "T1", "UBOT")
    try:
        async with aiohttp.ClientSession() as http:
            assert await post(http, fake, "C1") == 429  # injected
            assert await post(http, fake, "C1") == 429  # ignored Retry-After: refused
        assert fake.too_soon == 1
        assert fake.posts_per_channel.get("T1:C1", 0) == 0
    finally:
        await fake.close()


async def test_a_second_post_within_a_second_is_too_soon():
    fake = await FakeSlack(per_channel_interval=60.0).start()
    fake.add_team(TOKEN, "T1", "UBOT")
    try:
        async with aiohttp.ClientSession() as http:
            assert await post(http, fake, "C1") == 200
            assert await post(http, fake, "C2") == 200  # other channels are not held back
            assert await post(http, fake, "C1") == 429
        assert fake.too_soon == 1
        assert fake.posts_per_channel["T1:C1"] == 1
    finally:
        await fake.close()
