"""Many workspaces: bolt's OAuth flow against the fake ``oauth.v2.access``, installations in
the bot's database, and each workspace's events answered with its own token."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import text

from adapters.slack.http_mode import start_http
from bot.clock import ManualClock
from tests.slack import payloads
from tests.slack.conftest import MONDAY_8AM, SlackHttp, make_runtime, slack_settings


@pytest.fixture
async def oauth_app(db_url, fake_slack, clean_env):
    settings = slack_settings(
        db_url, fake_slack, SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="oauth-secret"
    )
    clock = ManualClock(MONDAY_8AM)
    runtime = await make_runtime(settings, mode="http", clock=clock)
    assert runtime.token_mode == "oauth"
    runner, port = await start_http(runtime.web_app(), host="127.0.0.1", port=0)
    async with aiohttp.ClientSession() as http:
        yield SlackHttp(runtime, fake_slack, clock, f"http://127.0.0.1:{port}", http)
    await runner.cleanup()
    await runtime.close()


async def install(s: SlackHttp, code: str) -> int:
    """Walk the browser through /slack/install and back to /slack/oauth_redirect."""
    async with s.http.get(f"{s.base_url}/slack/install") as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', page).group(1)
    link = link.replace("&amp;", "&")
    authorize = urlsplit(link)
    assert f"{authorize.scheme}://{authorize.netloc}" == s.fake.base_url
    assert authorize.path == "/oauth/v2/authorize"
    query = parse_qs(authorize.query)
    assert set(query["scope"][0].split(",")) >= {"commands", "chat:write", "channels:history"}
    state = query["state"][0]
    async with s.http.get(
        f"{s.base_url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": cookie},
    ) as response:
        return response.status


async def test_install_stores_the_installation_and_each_workspace_uses_its_token(
    oauth_app: SlackHttp,
):
    s = oauth_app
    s.fake.add_oauth_code("code-2", "xoxb-team-two", "T2", "UBOT2")
    s.fake.add_oauth_code("code-3", "xoxb-team-three", "T3", "UBOT3")
    s.fake.add_user("T2", "U20", "Zoe", admin=True)
    s.fake.add_user("T3", "U30", "Yan", admin=True)
    assert await install(s, "code-2") == 200
    assert await install(s, "code-3") == 200
    (exchange, _) = s.fake.of("oauth.v2.access")
    assert exchange.params["client_id"] == "111.222"

    async with s.runtime.app.db.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT team_id, bot_token FROM slack_bots ORDER BY team_id"))
        ).all()
    assert [tuple(r) for r in rows] == [("T2", "xoxb-team-two"), ("T3", "xoxb-team-three")]

    s.fake.clear()
    assert await s.command("subscribe", team="T2", channel="C20", user="U20") == 200
    assert await s.command("subscribe", team="T3", channel="C30", user="U30") == 200
    await s.settle()
    tokens = {c.params["channel"]: c.token for c in s.fake.of("chat.postMessage")}
    assert tokens == {"C20": "xoxb-team-two", "C30": "xoxb-team-three"}
    assert {c.token for c in s.fake.of("users.info", user="U20")} == {"xoxb-team-two"}
    # Events API deliveries too: the Home tab of a T3 member is published with T3's token.
    assert await s.event(payloads.home_opened("U30", team="T3")) == 200
    await s.settle()
    (home,) = s.fake.of("views.publish")
    assert (home.params["user_id"], home.token) == ("U30", "xoxb-team-three")


async def test_a_replayed_or_forged_state_is_refused(oauth_app: SlackHttp):
    s = oauth_app
    s.fake.add_oauth_code("code-2", "xoxb-team-two", "T2", "UBOT2")
    async with s.http.get(
        f"{s.base_url}/slack/oauth_redirect",
        params={"code": "code-2", "state": "made-up"},
        headers={"Cookie": "slack-app-oauth-state=made-up"},
    ) as response:
        assert response.status in (400, 401)
    assert s.fake.of("oauth.v2.access") == []


async def test_events_from_a_workspace_that_never_installed_are_not_processed(
    oauth_app: SlackHttp,
):
    s = oauth_app
    status = await s.command("stats", team="T9", channel="C9", user="U9")
    await s.settle()
    assert status == 200
    # bolt itself tells the person to reinstall; the core never sees the command.
    assert [body["text"] for _, body in s.fake.responses if "reinstall" not in body["text"]] == []
    assert s.fake.of("users.info") == [] and s.fake.of("chat.postMessage") == []


async def install_page(s: SlackHttp, code: str) -> tuple[int, str]:
    """Like ``install``, returning the redirect's page too."""
    async with s.http.get(f"{s.base_url}/slack/install") as response:
        page = await response.text()
        cookie = response.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', page).group(1)
    state = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["state"][0]
    async with s.http.get(
        f"{s.base_url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": cookie},
    ) as response:
        return response.status, await response.text()


async def stored_bots(s: SlackHttp) -> int:
    async with s.runtime.app.db.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM slack_bots"))).scalar()


@pytest.mark.parametrize(
    ("kind", "extra", "said"),
    [
        ("grid workspace", {"enterprise_id": "E1"}, "Enterprise Grid"),
        ("org-wide", {"enterprise_id": "E1", "org_wide": True}, "Enterprise Grid"),
        ("token rotation", {"refresh_token": "xoxe-1-refresh"}, "token rotation"),
    ],
)
async def test_installs_mlq_cannot_serve_are_refused_with_a_reason(
    oauth_app: SlackHttp, kind: str, extra: dict, said: str
):
    s = oauth_app
    s.fake.add_oauth_code("code-x", "xoxb-team-x", "T7", "UBOT7", **extra)
    status, page = await install_page(s, "code-x")
    assert status == 400 and said in page
    assert await stored_bots(s) == 0  # nothing kept that every send would fail with
    s.fake.add_oauth_code("code-ok", "xoxb-team-ok", "T8", "UBOT8")
    status, page = await install_page(s, "code-ok")
    assert status == 200 and await stored_bots(s) == 1
