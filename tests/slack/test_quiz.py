"""Quiz rounds on Slack, through the real app against FakeSlack: the options as a select
menu (a multi-select for "select all that apply"), a private pick confirmed by an
ephemeral message, a change of pick, odd payloads answered with a note, and the reveal
with the votes and whys; numeric answers typed in the thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import select

from adapters.slack.blocks import QUIZ_PICK_ACTION
from adapters.slack.http_mode import start_http
from adapters.slack.pacing import ChannelPacer
from adapters.slack.runtime import build_runtime
from bot.clock import ManualClock
from storage import unit_of_work
from storage.models import Answer
from tests.quiz_bank import NUMERIC, SEVERAL, SINGLE, bank_of
from tests.slack import payloads
from tests.slack.conftest import BOT_TOKEN, MONDAY_8AM, SlackHttp, slack_settings
from tests.slack.fake_slack import FakeSlack

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIVE_PM = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def quiz_questions() -> tuple:
    return (SINGLE,)


@pytest.fixture
async def slack_quiz(db_url: str, fake_slack: FakeSlack, clean_env: None, quiz_questions: tuple):
    settings = slack_settings(db_url, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN)
    clock = ManualClock(MONDAY_8AM)
    runtime = await build_runtime(
        settings,
        mode="http",
        clock=clock,
        bank=bank_of(*quiz_questions),
        migrate=False,
        backoff=FixedValueRetryIntervalCalculator(0.0),
        pacer=ChannelPacer(interval=0.0),
    )
    runner, port = await start_http(runtime.web_app(), host="127.0.0.1", port=0)
    async with aiohttp.ClientSession() as http:
        yield SlackHttp(runtime, fake_slack, clock, f"http://127.0.0.1:{port}", http)
    await runner.cleanup()
    await runtime.close()


async def post_quiz(s: SlackHttp) -> tuple[str, dict[str, Any]]:
    """Subscribe, switch the channel to quizzes and post: the post's ts and its menu."""
    for text in ("subscribe", "formats quiz"):
        assert await s.command(text, user="U-admin") == 200
        await s.settle()
    s.clock.set(NINE)
    await s.tick()
    (post,) = [
        c
        for c in s.fake.of("chat.postMessage", channel="C1")
        if any(b.get("block_id") == "mlq_quiz" for b in c.params.get("blocks", []))
    ]
    menu = next(b for b in post.params["blocks"] if b.get("block_id") == "mlq_quiz")
    s.fake.clear()
    return post.result["ts"], menu["elements"][0]


def pick(menu: dict[str, Any], picks: list[int], *, user: str, ts: str) -> dict[str, Any]:
    """The block_actions payload Slack sends when ``user`` picks options of ``menu``."""
    payload = payloads.block_actions(QUIZ_PICK_ACTION, "", message_ts=ts, user=user)
    chosen = [menu["options"][i] for i in picks]
    action: dict[str, Any] = {
        "action_id": QUIZ_PICK_ACTION,
        "block_id": "mlq_quiz",
        "type": menu["type"],
        "action_ts": payloads.next_id("17000."),
    }
    if menu["type"] == "multi_static_select":
        action["selected_options"] = chosen
    else:
        action["selected_option"] = chosen[0]
    payload["actions"] = [action]
    return payload


async def answers(s: SlackHttp) -> list[Answer]:
    async with unit_of_work(s.runtime.app.db) as repo:
        return list(await repo.session.scalars(select(Answer).order_by(Answer.id)))


def ephemerals(s: SlackHttp, user: str) -> list[str]:
    """What the person was told privately: ephemeral messages, and the grades owed to
    them (a DM from the app, bot/outbox), in order."""
    calls = s.fake.of("chat.postEphemeral", user=user) + s.fake.dms(user)
    calls.sort(key=lambda c: c.at)
    return [json.dumps(c.params, ensure_ascii=False) for c in calls]


async def test_a_pick_is_private_can_change_and_the_reveal_shows_votes(slack_quiz: SlackHttp):
    s = slack_quiz
    ts, menu = await post_quiz(s)
    assert menu["type"] == "static_select"
    assert [o["text"]["text"] for o in menu["options"]] == ["A. Sigmoid", "B. Tanh", "C. ReLU"]

    assert (await s.interactive(pick(menu, [1], user="U1", ts=ts)))[0] == 200
    await s.settle()
    (confirmed,) = ephemerals(s, "U1")
    assert "Your pick · B" in confirmed and "Right:" not in confirmed
    assert s.fake.of("chat.postMessage", channel="C1") == []  # nothing public
    # A change of pick replaces it; one answer per member.
    assert (await s.interactive(pick(menu, [2], user="U1", ts=ts)))[0] == 200
    assert (await s.interactive(pick(menu, [0], user="U2", ts=ts)))[0] == 200
    await s.settle()
    assert "changed to" in ephemerals(s, "U1")[-1]
    stored = await answers(s)
    assert sorted(a.text for a in stored) == ["A", "C"] and len(stored) == 2

    s.clock.set(FIVE_PM)
    await s.tick()
    (shown,) = [
        json.dumps(c.params, ensure_ascii=False)
        for c in s.fake.of("chat.postMessage", channel="C1")
        if c.params.get("thread_ts") == ts
    ]
    assert "*Answer*\\nC: ReLU" in shown
    assert "it is negative for negative inputs" in shown  # why B is wrong
    assert "1 vote" in shown and "0 votes" in shown
    assert "Ana: 6 points" in shown and "Ben: 1 point" in shown
    async with unit_of_work(s.runtime.app.db) as repo:
        points = {a.text: a.points for a in await repo.session.scalars(select(Answer))}
    assert points == {"C": 6, "A": 1}


async def test_odd_pick_payloads_get_a_note_never_a_500(slack_quiz: SlackHttp):
    s = slack_quiz
    ts, menu = await post_quiz(s)
    odd = pick(menu, [0], user="U1", ts=ts)
    odd["actions"][0]["selected_option"] = {"value": "not-ours", "text": {"text": "x"}}
    foreign = pick(menu, [0], user="U1", ts=ts)
    foreign["actions"][0]["selected_option"] = {"value": "999999:1"}  # no such post
    broken = pick(menu, [0], user="U1", ts=ts)
    broken["actions"][0]["selected_option"] = ["not", "a", "mapping"]
    for payload in (odd, foreign):
        assert (await s.interactive(payload))[0] == 200
    assert (await s.interactive(broken))[0] == 400  # not Slack's shape: refused at the door
    await s.settle()
    said = [json.dumps(body, ensure_ascii=False) for _, body in s.fake.responses] + ephemerals(
        s, "U1"
    )
    assert sum("could not be read" in text for text in said) == 1
    assert any("not open to you here" in text for text in said)
    assert await answers(s) == []


@pytest.mark.parametrize("quiz_questions", [(SEVERAL,)])
async def test_select_all_that_apply_is_a_multi_select(slack_quiz: SlackHttp):
    s = slack_quiz
    ts, menu = await post_quiz(s)
    assert menu["type"] == "multi_static_select"
    assert (await s.interactive(pick(menu, [0, 2], user="U1", ts=ts)))[0] == 200
    await s.settle()
    assert "Your pick · A, C" in ephemerals(s, "U1")[0]
    (stored,) = await answers(s)
    assert stored.text == "A, C" and stored.score == 1.0


@pytest.mark.parametrize("quiz_questions", [(NUMERIC,)])
async def test_a_number_typed_in_the_thread_is_read_with_its_unit(slack_quiz: SlackHttp):
    s = slack_quiz
    assert await s.command("subscribe", user="U-admin") == 200
    assert await s.command("formats quiz", user="U-admin") == 200
    await s.settle()
    s.clock.set(NINE)
    await s.tick()
    (post,) = [c for c in s.fake.of("chat.postMessage", channel="C1") if "GiB" in c.params["text"]]
    ts = post.result["ts"]
    reply = payloads.thread_reply("512 MiB", thread_ts=ts)
    assert await s.event(payloads.event_callback(reply)) == 200
    odd = payloads.thread_reply("300 ms", thread_ts=ts, user="U2")
    assert await s.event(payloads.event_callback(odd)) == 200
    await s.settle()
    assert "0.5 GiB" in ephemerals(s, "U1")[0]
    assert "a duration" in ephemerals(s, "U2")[0]
    assert sorted(a.text for a in await answers(s)) == ["300 ms", "512 MiB"]  # both kept


async def test_a_practice_quiz_is_picked_in_its_ephemeral_message(slack_quiz: SlackHttp):
    s = slack_quiz
    assert await s.command("quiz", user="U2") == 200
    await s.settle()
    ((_, practice),) = s.fake.responses
    assert practice["response_type"] == "ephemeral"
    menu = next(b for b in practice["blocks"] if b.get("block_id") == "mlq_quiz")["elements"][0]
    press = pick(menu, [2], user="U2", ts="1700000000.999999")
    press["container"]["is_ephemeral"] = True
    press["response_url"] = s.fake.response_url("practice")
    s.fake.clear()
    assert (await s.interactive(press))[0] == 200
    await s.settle()
    # The verdict is owed like every grade: a DM, sent exactly once, not the response_url.
    assert s.fake.responses == []
    (graded,) = s.fake.dms("U2")
    shown = json.dumps(graded.params["blocks"], ensure_ascii=False)
    assert "Right" in shown and "Explanation" in shown and "✗" in shown
    (stored,) = await answers(s)
    assert stored.kind == "practice" and stored.text == "C" and stored.score == 1.0
