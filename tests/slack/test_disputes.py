"""Disputes, mlq admins and question reports through the real Slack app and a fake Slack:
signed requests in, Web API calls out, points in the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select

from storage import unit_of_work
from storage.models import Answer, Member, Post
from tests.harness import shared_bank
from tests.slack import payloads
from tests.slack.conftest import SlackHttp
from tests.slack.test_oauth import install, oauth_app  # noqa: F401 (a fixture)

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REVEAL = datetime(2026, 3, 2, 17, 1, tzinfo=UTC)


async def command(s: SlackHttp, text: str, user: str, hook: str, **fields) -> list[str]:  # type: ignore[no-untyped-def]
    """Run ``/mlq text`` as ``user``; the texts that came back through its response_url."""
    before = len(s.fake.responses)
    url = s.fake.response_url(hook)
    assert await s.command(text, user=user, response_url=url, **fields) == 200
    await s.settle()
    return [json.dumps(body) for h, body in s.fake.responses[before:] if h == hook]


async def question(s: SlackHttp):  # type: ignore[no-untyped-def]
    async with unit_of_work(s.runtime.app.db) as repo:
        post = (await repo.session.scalars(select(Post))).one()
    return post, shared_bank().get(post.question_id)


async def points(s: SlackHttp) -> dict[str, tuple[float, int, bool]]:
    async with unit_of_work(s.runtime.app.db) as repo:
        rows = await repo.session.execute(
            select(Member.external_id, Answer.score, Answer.points, Answer.best).join(
                Member, Member.id == Answer.member_id
            )
        )
        return {m: (score, pts, best) for m, score, pts, best in rows}


async def a_revealed_round(s: SlackHttp) -> str:
    """Ana (U1) answers with one key point, Ben (U2) with the model answer; revealed."""
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    s.clock.set(NINE)
    await s.tick()
    [post] = [
        c
        for c in s.fake.of("chat.postMessage", channel="C1")
        if any(b.get("type") == "actions" for b in c.params.get("blocks", []))
    ]
    parent = post.result["ts"]
    _, q = await question(s)
    ana = payloads.thread_reply(f"Mainly: {q.key_points[0].text}.", thread_ts=parent, user="U1")
    ben = payloads.thread_reply(q.answer, thread_ts=parent, user="U2")
    for reply in (ana, ben):
        assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    s.clock.set(REVEAL)
    await s.tick()
    return parent


def button_value(call, action_id: str) -> str:  # type: ignore[no-untyped-def]
    for block in call.params.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else ():
            if element["action_id"] == action_id:
                return element["value"]
    raise AssertionError(f"no {action_id} button")


async def test_dispute_button_admin_raise_once_and_the_member_is_told(slack_http: SlackHttp):
    s = slack_http
    s.fake.add_user("T1", "U-admin2", "Bo Admin", admin=True)
    await a_revealed_round(s)
    before = await points(s)
    assert before["U2"][2] and not before["U1"][2]
    # Ana's private feedback carries the Dispute button; she presses it.
    # It is a DM from the app, so the press comes from that DM, not from the channel.
    [feedback] = s.fake.dms("U1")
    value = button_value(feedback, "mlq:dispute")
    press = payloads.block_actions(
        "mlq:dispute",
        value,
        message_ts=feedback.result["ts"],
        channel=feedback.result["channel"],
        user="U1",
        response_url=s.fake.response_url("press"),
    )
    status, _ = await s.interactive(press)
    assert status == 200
    await s.settle()
    [(_, filed)] = [r for r in s.fake.responses if r[0] == "press"]
    assert "Dispute #1 is filed" in json.dumps(filed)
    # The admin who subscribed the channel is told by a direct message.
    [notice] = s.fake.of("chat.postMessage", channel="U-admin")
    assert "Dispute #1" in notice.params["text"]
    assert "Dispute #1" in "".join(await command(s, "disputes", "U-admin", "list"))
    # Two admins resolve at the same moment; then the first command is delivered again.
    body = payloads.slash_command(
        "resolve 1 score 100 same idea", user="U-admin", response_url=s.fake.response_url("r1")
    )
    twin = payloads.slash_command(
        "resolve 1 score 100 same idea", user="U-admin2", response_url=s.fake.response_url("r2")
    )
    sent = await asyncio.gather(
        *(s.send(payloads.form(b), "application/x-www-form-urlencoded") for b in (body, twin))
    )
    assert [status for status, _, _ in sent] == [200, 200]
    status, _, _ = await s.send(payloads.form(body), "application/x-www-form-urlencoded")
    assert status == 200
    await s.settle()
    answers = [json.dumps(b) for h, b in s.fake.responses if h in ("r1", "r2")]
    assert sum("grade raised to 100%" in a for a in answers) == 1
    assert sum("already resolved" in a for a in answers) == 1
    after = await points(s)
    assert after["U1"] == (1.0, 6, True)
    # Ben keeps the best-answer point only if his grade ties with Ana's new one.
    ben_best = after["U2"][0] >= 1.0
    assert after["U2"][2] == ben_best
    assert after["U2"][1] == before["U2"][1] - (0 if ben_best else 1)
    board = "".join(await command(s, "leaderboard week", "U1", "board"))
    assert "Ana" in board and "6 points" in board.replace("**", "")
    [told] = [m for m in s.fake.dms("U1") if m is not feedback]  # a direct message, once
    assert "raised your grade" in told.params["text"]


async def test_a_lowered_grade_and_an_added_admin(slack_http: SlackHttp):
    s = slack_http
    await a_revealed_round(s)
    refused = await command(s, "resolve 1 keep", "U1", "refused")
    assert "Only admins" in refused[0]
    assert "can now configure" in "".join(await command(s, "admins add <@U1|ana>", "U-admin", "a"))
    assert "Ana" in "".join(await command(s, "admins list", "U2", "l"))
    await command(s, "dispute", "U2", "d")  # Ben disputes; Ana, now an admin, lowers it
    lowered = "".join(await command(s, "resolve 1 points none copied", "U1", "low"))
    assert "grade lowered to 0%" in lowered
    after = await points(s)
    assert after["U2"] == (0.0, 1, False) and after["U1"][2]
    assert "no longer" in "".join(await command(s, "admins remove <@U1>", "U-admin", "rm"))
    assert "Only admins" in "".join(await command(s, "disputes", "U1", "again"))


async def test_report_button_and_reports(slack_http: SlackHttp):
    s = slack_http
    await a_revealed_round(s)
    [feedback] = s.fake.dms("U1")
    press = payloads.block_actions(
        "mlq:report",
        button_value(feedback, "mlq:report"),
        message_ts=feedback.result["ts"],
        channel=feedback.result["channel"],
        user="U1",
        response_url=s.fake.response_url("rep"),
    )
    assert (await s.interactive(press))[0] == 200
    await s.settle()
    assert "reported" in json.dumps(s.fake.responses[-1][1])
    await command(s, "report the model answer skips <!here> the *second* case", "U1", "why")
    listed = "".join(await command(s, "reports", "U-admin", "reports"))
    assert "second" in listed and "<!here>" not in listed
    assert "retired" in "".join(await command(s, "retire #1 outdated", "U-admin", "retire"))


async def test_the_user_who_installed_the_app_may_configure_it(oauth_app: SlackHttp):  # noqa: F811
    s = oauth_app
    s.fake.add_oauth_code("code-2", "xoxb-team-two", "T2", "UBOT2")
    s.fake.add_user("T2", "UINSTALLER", "Ivy")  # neither admin nor owner of the workspace
    s.fake.add_user("T2", "U21", "Max")
    assert await install(s, "code-2") == 200
    s.fake.clear()
    assert await s.command("subscribe", team="T2", channel="C20", user="U21") == 200
    assert await s.command("subscribe", team="T2", channel="C20", user="UINSTALLER") == 200
    await s.settle()
    [subscribed] = s.fake.of("chat.postMessage", channel="C20")
    assert "subscribed" in subscribed.params["text"]
    [(_, refused)] = s.fake.responses
    assert "Only admins" in json.dumps(refused)
