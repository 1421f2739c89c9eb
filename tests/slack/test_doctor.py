"""mlq doctor against FakeSlack: tokens, scopes and channels, one line per problem."""

from __future__ import annotations

from adapters.slack.doctor import check
from adapters.slack.runtime import BOT_SCOPES
from tests.slack.conftest import BOT_TOKEN, SlackHttp


async def subscribe(s: SlackHttp, channel: str) -> None:
    assert await s.command("subscribe", user="U-admin", channel=channel) == 200
    await s.settle()


async def test_a_healthy_workspace_has_no_problem(slack_http: SlackHttp):
    s = slack_http
    s.fake.teams[BOT_TOKEN].scopes = BOT_SCOPES
    await subscribe(s, "C1")
    assert await check(s.runtime) == []


async def test_each_problem_is_one_line_with_its_fix(slack_http: SlackHttp):
    s = slack_http
    for channel in ("C1", "C2", "C3", "C4"):
        await subscribe(s, channel)
    s.fake.teams[BOT_TOKEN].scopes = tuple(x for x in BOT_SCOPES if x != "reactions:write")
    s.fake.clear()
    s.fake.dead_channels["C2"] = "not_in_channel"  # someone removed the bot
    s.fake.dead_channels["C3"] = "is_archived"
    s.fake.dead_channels["C4"] = "channel_not_found"
    lines = [p.line() for p in await check(s.runtime)]
    assert len(lines) == 4, lines
    scopes, c2, c3, c4 = lines
    assert scopes.startswith("slack T1:") and "reactions:write" in scopes and "reinstall" in scopes
    assert c2.startswith("slack T1/C2:") and "/invite @mlq" in c2
    assert c3.startswith("slack T1/C3:") and "unarchive" in c3
    assert c4.startswith("slack T1/C4:") and "cannot see" in c4
    assert s.fake.of("chat.postMessage") == []  # the doctor posts nothing


async def test_a_suspended_channel_and_a_missing_read_scope(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s, "C1")
    await subscribe(s, "C2")
    s.fake.dead_channels["C1"] = "not_in_channel"
    s.clock.set(s.clock.now().replace(hour=9, minute=1))
    await s.tick()  # the daily post is refused: C1 is suspended
    s.fake.teams[BOT_TOKEN].scopes = tuple(
        x for x in BOT_SCOPES if x not in ("channels:read", "groups:read")
    )
    lines = [p.line() for p in await check(s.runtime)]
    assert any("suspended (not_in_channel)" in line and "/mlq resume" in line for line in lines)
    assert any(line.startswith("slack T1:") and "channels:read" in line for line in lines)
    assert any(line.startswith("slack T1/C2:") and "channels:read" in line for line in lines)


async def test_a_refused_token_is_reported_once_not_per_channel(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s, "C1")
    await subscribe(s, "C2")
    s.fake.teams.pop(BOT_TOKEN)  # revoked: every call answers invalid_auth
    lines = [p.line() for p in await check(s.runtime)]
    assert lines == [
        "slack T1: the bot token is refused (invalid_auth); fix: set SLACK_BOT_TOKEN to the "
        "Bot User OAuth Token (reinstall the app for a new one)"
    ]


async def test_an_install_from_before_grades_were_dms_is_told_what_it_lacks(
    slack_http: SlackHttp,
):
    """Installed with the scopes asked for before owed grades became DMs: mlq doctor names
    im:history / im:write and what their absence costs."""
    s = slack_http
    await subscribe(s, "C1")
    s.fake.teams[BOT_TOKEN].scopes = tuple(x for x in BOT_SCOPES if not x.startswith("im:"))
    (line,) = [p.line() for p in await check(s.runtime)]
    assert line.startswith("slack T1:") and "im:history, im:write" in line
    assert "sent twice" in line and "reinstall" in line
