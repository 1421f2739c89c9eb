"""Hostile requests on the real HTTP endpoint: a clear 4xx, never a 500, never a traceback.

Every request here is signed correctly (except the ones about signatures), so it gets past
the signature check and tests what comes after. The malformed ones are made
deterministically by mutating the shapes of real Slack payloads (thread replies, edits,
deletions, Home tab, slash commands, button presses, modal submissions): each field, at any
depth, deleted or replaced by null, a number, a boolean, a list, an object, an empty, a
huge or an odd string; plus whole bodies that are not JSON, not UTF-8, not an object.
Expected: 400 for what is malformed, 200 (and a line at INFO) for a well-formed request of
a kind the bot ignores, 401 for anything unsigned or badly timestamped; no 5xx at all and
no traceback in the log, also from the work done after the ack.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from adapters.slack.blocks import ANSWER_MODAL, ModalContext, answer_modal
from storage import unit_of_work
from storage.models import Answer
from tests.slack import payloads
from tests.slack.conftest import SlackHttp
from tests.slack.test_http import subscribe_and_post

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HUGE = "x" * 20_000
ODD = "odd \x00 nul and \ud800 lone surrogate"
REPLACEMENTS: list[tuple[str, Any]] = [
    ("null", None),
    ("int", 7),
    ("float", 1.5),
    ("bool", True),
    ("list", []),
    ("list-of-junk", [None, 3]),
    ("object", {}),
    ("empty", ""),
    ("huge", HUGE),
    ("odd", ODD),
    ("number-string", "12345678901234567890123456789"),
]
DELETE = object()
SAMPLES = 320  # mutated requests per run, drawn with a fixed seed
SEED = 17


def raw_sign(body: bytes, *, timestamp: str | None = None, secret: str = payloads.SECRET):
    """Slack's signature over the raw bytes (works for bodies that are not UTF-8 too)."""
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


# --- the real shapes ---------------------------------------------------------------------


class Bases:
    """Fresh, valid payloads of every kind the bot handles, with unique ids each time (so
    the bot's de-duplication does not hide what a mutation does)."""

    def __init__(self, thread_ts: str, post_id: int) -> None:
        self.thread_ts = thread_ts
        self.post_id = post_id
        self.n = 0

    def _ts(self) -> str:
        self.n += 1
        return f"1900000000.{self.n:06d}"

    def all(self) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:
        return {
            "reply": self.reply,
            "broadcast": self.broadcast,
            "edit": self.edit,
            "delete": self.delete,
            "home": self.home,
            "command": self.command,
            "feedback-button": self.feedback_button,
            "answer-button": self.answer_button,
            "submission": self.submission,
        }

    def _event(self, event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "event", payloads.event_callback(event, event_id=f"EvH{self.n:06d}")

    def reply(self):
        ts = self._ts()
        text = "Regularisation adds a penalty that trades variance for bias."
        return self._event(payloads.thread_reply(text, thread_ts=self.thread_ts, ts=ts))

    def broadcast(self):
        event = payloads.broadcast_reply("Also to the channel.", thread_ts=self.thread_ts)
        event["ts"] = event["event_ts"] = self._ts()
        return self._event(event)

    def edit(self):
        original = payloads.thread_reply("first", thread_ts=self.thread_ts, ts=self._ts())
        return self._event(payloads.message_changed(original, "an edited answer"))

    def delete(self):
        original = payloads.thread_reply("gone", thread_ts=self.thread_ts, ts=self._ts())
        return self._event(payloads.message_deleted(original))

    def home(self):
        self.n += 1
        return "event", payloads.home_opened("U1")

    def command(self):
        self.n += 1
        return "command", payloads.slash_command("stats", trigger_id=f"trig.h{self.n}")

    def feedback_button(self):
        self.n += 1
        press = payloads.block_actions(
            "mlq:my_feedback", str(self.post_id), message_ts=self.thread_ts
        )
        return "interactive", press

    def answer_button(self):
        self.n += 1
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "What is bias?"}}]
        press = payloads.block_actions(
            "mlq:answer_privately",
            str(self.post_id),
            message_ts=self.thread_ts,
            message_blocks=blocks,
        )
        return "interactive", press

    def submission(self):
        self.n += 1
        context = ModalContext(self.post_id, "T1", "C1", thread_ts=self.thread_ts)
        view = answer_modal(context, "What is bias?")
        return "interactive", payloads.view_submission(view, "Bias is systematic error.")


def encode(kind: str, payload: Any) -> tuple[bytes, str]:
    if kind == "event":
        return json.dumps(payload).encode("utf-8", "surrogatepass"), JSON
    if kind == "command":
        # A lone surrogate becomes percent-escaped bytes that are not UTF-8, as a broken
        # client would send them.
        return urlencode(payload, encoding="utf-8", errors="surrogatepass").encode(), FORM
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key and list index, at any depth."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def mutate(payload: Any, path: tuple, replacement: Any) -> Any:
    out = copy.deepcopy(payload)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    if replacement is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return out


def mutations(bases: Bases) -> list[tuple[str, bytes, str]]:
    """(name, body, content type) for a fixed sample of every (base, path, change)."""
    rng = random.Random(SEED)
    plan: list[tuple[str, tuple, str, Any]] = []
    for name, make in bases.all().items():
        _, shape = make()
        for path in paths(shape):
            for label, value in [("deleted", DELETE), *REPLACEMENTS]:
                if name == "command" and label not in ("deleted", "empty", "huge", "odd"):
                    continue  # a form's fields are strings or absent
                plan.append((name, path, label, value))
    chosen = rng.sample(plan, SAMPLES)
    made = []
    factories = bases.all()
    for name, path, label, value in chosen:
        kind, payload = factories[name]()
        try:
            mutated = mutate(payload, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # the path moved with fresh ids (it does not here, but be safe)
        if kind == "command":
            mutated = {k: ("" if v is None else v) for k, v in mutated.items()}
        body, content_type = encode(kind, mutated)
        made.append((f"{name}:{'.'.join(map(str, path))}={label}", body, content_type))
    return made


def whole_bodies(bases: Bases) -> list[tuple[str, bytes, str, int]]:
    """(name, body, content type, expected status): bodies that are wrong as a whole."""
    _, reply = bases.reply()
    _, press = bases.feedback_button()
    _, command = bases.command()
    unknown_event = payloads.event_callback(
        {"type": "reaction_added", "user": "U1", "reaction": "x", "item": {"type": "message"}}
    )
    channel_join = bases.reply()[1]
    channel_join["event"]["subtype"] = "channel_join"
    bot_post = bases.reply()[1]
    bot_post["event"]["subtype"] = "bot_message"
    bot_post["event"]["bot_id"] = "BOTHER"
    missing_user = bases.reply()[1]
    del missing_user["event"]["user"]
    missing_ts = bases.reply()[1]
    del missing_ts["event"]["ts"]
    missing_channel = bases.reply()[1]
    del missing_channel["event"]["channel"]
    nested = "[" * 100_000 + "]" * 100_000

    def as_json(value: Any) -> bytes:
        return json.dumps(value).encode()

    def interactive(value: Any) -> bytes:
        return urlencode({"payload": json.dumps(value)}).encode()

    def without(value: dict[str, Any], key: str) -> dict[str, Any]:
        return {k: v for k, v in value.items() if k != key}

    other_action = [{**press["actions"][0], "action_id": "other:x"}]
    _, forged = bases.submission()  # metadata the bot did not write: acked, then dropped
    forged["view"]["private_metadata"] = json.dumps({"p": 10**30, "t": "T1", "c": "C1"})
    closed = {**press, "type": "view_closed", "view": {"callback_id": ANSWER_MODAL}}
    return [
        ("empty body", b"", JSON, 400),
        ("not json", b"{this is not json", JSON, 400),
        ("json array", b"[1, 2, 3]", JSON, 400),
        ("json string", b'"event_callback"', JSON, 400),
        ("json null", b"null", JSON, 400),
        ("deeply nested json", nested.encode(), JSON, 400),
        ("bad utf-8", b'{"type": "event_callback", "x": "\xff\xfe\xc3"}', JSON, 400),
        ("bad utf-8 in a form", b"payload=%7B%7D\xff", FORM, 400),
        ("no type", as_json({"event": reply["event"]}), JSON, 400),
        ("type is a number", as_json({**reply, "type": 3}), JSON, 400),
        ("event is a string", as_json({**reply, "event": "message"}), JSON, 400),
        ("event missing", as_json(without(reply, "event")), JSON, 400),
        ("huge number", b'{"type": "event_callback", "n": ' + b"9" * 10_000 + b"}", JSON, 400),
        ("missing user", as_json(missing_user), JSON, 400),
        ("missing ts", as_json(missing_ts), JSON, 400),
        ("missing channel", as_json(missing_channel), JSON, 400),
        ("url_verification without challenge", b'{"type": "url_verification"}', JSON, 400),
        ("unknown envelope type", b'{"type": "app_rate_limited", "team_id": "T1"}', JSON, 200),
        ("unknown event type", as_json(unknown_event), JSON, 200),
        ("unknown message subtype", as_json(channel_join), JSON, 200),
        ("another bot's post", as_json(bot_post), JSON, 200),
        ("payload not json", b"payload=%7Bnot+json", FORM, 400),
        ("payload a list", urlencode({"payload": "[1]"}).encode(), FORM, 400),
        ("payload null", urlencode({"payload": "null"}).encode(), FORM, 400),
        ("payload empty", b"payload=", FORM, 400),
        ("actions null", interactive({**press, "actions": None}), FORM, 400),
        ("actions empty", interactive({**press, "actions": []}), FORM, 400),
        ("actions a string", interactive({**press, "actions": "mlq:my_feedback"}), FORM, 400),
        ("user missing", interactive(without(press, "user")), FORM, 400),
        (
            "button value not a post",
            interactive({**press, "actions": [{**press["actions"][0], "value": "9" * 30}]}),
            FORM,
            400,
        ),
        ("unknown action", interactive({**press, "actions": other_action}), FORM, 200),
        ("unknown interaction type", interactive({**press, "type": "shortcut"}), FORM, 200),
        ("view_closed", interactive(closed), FORM, 200),
        ("modal metadata naming no post", interactive(forged), FORM, 200),
        ("another app's command", urlencode({**command, "command": "/other"}).encode(), FORM, 200),
        ("command without user", urlencode(without(command, "user_id")).encode(), FORM, 400),
        ("form of nothing we know", b"a=1&b=2", FORM, 400),
        ("a form that is not a form", b"\x00\x01\x02", FORM, 400),
    ]


# --- the tests ---------------------------------------------------------------------------


async def post_raw(s: SlackHttp, body: bytes, content_type: str, headers: dict[str, str]):
    async with s.http.post(
        f"{s.base_url}/slack/events",
        data=body,
        headers={"Content-Type": content_type, **headers},
    ) as response:
        return response.status, await response.text()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()[:300]}"
        for r in caplog.records
        if r.exc_info or "Traceback" in r.getMessage()
    ]


@pytest.fixture
async def posted(slack_http: SlackHttp) -> Bases:
    thread_ts = await subscribe_and_post(slack_http)
    async with unit_of_work(slack_http.runtime.app.db) as repo:
        post = await repo.post_by_thread(1, thread_ts)
    return Bases(thread_ts, post.id)


async def test_malformed_signed_requests_get_a_4xx_and_no_traceback(
    slack_http: SlackHttp, posted: Bases, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="mlq")  # bolt pins "mlq" (its app name) to a level
    s = slack_http
    results: list[tuple[str, int]] = []
    wrong: list[tuple[str, int, int]] = []
    for name, body, content_type, expected in whole_bodies(posted):
        status, _ = await post_raw(s, body, content_type, raw_sign(body))
        results.append((name, status))
        if status != expected:
            wrong.append((name, status, expected))
    for name, body, content_type in mutations(posted):
        status, _ = await post_raw(s, body, content_type, raw_sign(body))
        results.append((name, status))
    await s.settle()  # the work after the acks must not fail either
    assert len(results) > 300
    # Both outcomes occur: a sample that was all 200s or all 400s would test little.
    assert sum(status == 400 for _, status in results) > 50
    assert sum(status == 200 for _, status in results) > 50
    server_errors = [(name, status) for name, status in results if status >= 500]
    assert server_errors == [], f"{len(server_errors)} of {len(results)}: {server_errors[:20]}"
    assert wrong == []
    assert {status for _, status in results} <= {200, 400}
    assert tracebacks(caplog) == []


async def test_the_valid_shapes_are_still_handled(slack_http: SlackHttp, posted: Bases):
    """The unmutated bases: a guard that the fuzz test mutates requests that work."""
    for name, make in posted.all().items():
        kind, payload = make()
        body, content_type = encode(kind, payload)
        status, _ = await post_raw(slack_http, body, content_type, raw_sign(body))
        assert status == 200, name
    await slack_http.settle()
    async with unit_of_work(slack_http.runtime.app.db) as repo:
        stored = list(await repo.session.scalars(select(Answer)))
    assert len(stored) >= 2  # the thread replies and the modal submission were stored


@pytest.mark.parametrize(
    ("name", "headers"),
    [
        ("no headers", {}),
        ("no signature", {"X-Slack-Request-Timestamp": str(int(time.time()))}),
        ("no timestamp", {"X-Slack-Signature": "v0=" + "0" * 64}),
        ("timestamp not a number", "abc"),
        ("timestamp a float", "1700000000.5"),
        ("timestamp empty", ""),
        ("timestamp huge", "9" * 400),
        ("timestamp negative", "-1"),
        # Relative to when the test runs, not when it was collected: a long suite run
        # would otherwise bring "six minutes ahead" inside Slack's five-minute window.
        ("stale timestamp", "now-360"),
        ("future timestamp", "now+360"),
        ("wrong secret", "wrong-secret"),
        ("signature not hex", {"X-Slack-Signature": "v0=zz\u00e9"}),
    ],
)
async def test_unsigned_or_badly_timestamped_requests_get_401(
    slack_http: SlackHttp, caplog: pytest.LogCaptureFixture, name: str, headers: Any
):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="mlq")  # bolt pins "mlq" (its app name) to a level
    body = json.dumps(payloads.event_callback(payloads.thread_reply("hi", thread_ts="1.0")))
    raw = body.encode()
    if isinstance(headers, str) and headers.startswith("now"):
        headers = str(int(time.time()) + int(headers[3:]))
    if isinstance(headers, str):
        if name == "wrong secret":
            headers = raw_sign(raw, secret=headers)
        else:  # the signature is right for this timestamp: only the timestamp is wrong
            headers = raw_sign(raw, timestamp=headers)
    elif "X-Slack-Signature" in headers and "X-Slack-Request-Timestamp" not in headers:
        pass
    elif headers.get("X-Slack-Signature", "").startswith("v0=zz"):
        headers = {**raw_sign(raw), **headers}
    status, _ = await post_raw(slack_http, raw, JSON, headers)
    assert status == 401
    for bad_utf8 in (b"\xff" + raw,):  # an unsigned body that is not even UTF-8
        status, _ = await post_raw(slack_http, bad_utf8, JSON, headers)
        assert status == 401
    assert tracebacks(caplog) == []


async def test_odd_text_over_http_is_stored_and_graded(slack_http: SlackHttp, posted: Bases):
    """A NUL and a lone surrogate, as Slack's JSON escapes them: acknowledged and kept."""
    _, body = posted.reply()
    body["event"]["text"] = "Bias\u0000 is \ud800 error from wrong assumptions."
    raw = json.dumps(body).encode()  # ASCII JSON: \\u0000 and \\ud800 escapes
    assert b"\\u0000" in raw and b"\\ud800" in raw
    status, _ = await post_raw(slack_http, raw, JSON, raw_sign(raw))
    assert status == 200
    await slack_http.settle()
    async with unit_of_work(slack_http.runtime.app.db) as repo:
        (stored,) = list(await repo.session.scalars(select(Answer)))
    assert stored.text == "Bias is \ufffd error from wrong assumptions."
    assert stored.feedback
    assert len(slack_http.fake.of("reactions.add")) == 1
    assert len(slack_http.fake.dms()) == 1


async def test_a_command_that_mentions_a_payload_is_understood(slack_http: SlackHttp):
    """bolt reads any form containing the word "payload" as an interactive payload (and
    then finds none); the endpoint hands it the form as Slack sent it."""
    assert await slack_http.command("payload") == 200
    await slack_http.settle()
    ((_, reply),) = slack_http.fake.responses
    assert "neither a command nor a topic" in json.dumps(reply["blocks"])
