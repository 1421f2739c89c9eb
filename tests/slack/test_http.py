"""The HTTP endpoint end to end: signed requests in, Web API calls out, answers in the database."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from adapters.slack.blocks import ANSWER_MODAL, HOME_CHANNEL_ACTION, ModalContext, answer_modal
from bot import render
from storage import unit_of_work
from storage.models import Answer, ProcessedEvent
from tests.slack import payloads
from tests.slack.conftest import SlackHttp

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def question_posts(s: SlackHttp, channel: str = "C1") -> list:
    return [
        c
        for c in s.fake.of("chat.postMessage", channel=channel)
        if any(b.get("type") == "actions" for b in c.params.get("blocks", []))
    ]


async def subscribe_and_post(s: SlackHttp) -> str:
    """Subscribe C1 as an admin, move to 09:00 and tick: returns the question's ts."""
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    s.clock.set(NINE)
    await s.tick()
    posts = question_posts(s)
    assert len(posts) == 1
    s.fake.clear()
    return posts[0].result["ts"]


async def answers(s: SlackHttp) -> list[Answer]:
    async with unit_of_work(s.runtime.app.db) as repo:
        rows = await repo.session.scalars(select(Answer).order_by(Answer.id))
        return list(rows)


async def test_url_verification_echoes_the_challenge(slack_http: SlackHttp):
    body = {"token": "legacy", "challenge": "c-123", "type": "url_verification"}
    status, text, _ = await slack_http.send(json.dumps(body), "application/json")
    assert status == 200
    assert "c-123" in text


async def test_bad_signature_and_stale_timestamp_are_refused(slack_http: SlackHttp):
    body = json.dumps(payloads.event_callback(payloads.thread_reply("hi", thread_ts="1.0")))
    status, _, _ = await slack_http.send(body, "application/json", secret="not-the-secret")
    assert status == 401
    six_minutes_ago = int(time.time()) - 6 * 60
    status, _, _ = await slack_http.send(body, "application/json", timestamp=six_minutes_ago)
    assert status == 401
    assert await slack_http.event(json.loads(body)) == 200  # the same body, signed right


async def test_subscribe_by_admin_posts_in_channel_and_member_is_refused(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("subscribe", user="U1") == 200
    await s.settle()
    # A member gets a private refusal through the command's response_url.
    assert len(s.fake.responses) == 1
    _, body = s.fake.responses[0]
    assert body["response_type"] == "ephemeral"
    assert "admins" in json.dumps(body["blocks"])
    assert s.fake.of("chat.postMessage") == []
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    confirmations = s.fake.of("chat.postMessage", channel="C1")
    assert len(confirmations) == 1
    assert "subscribed" in confirmations[0].params["text"]
    # users.info was asked once per person, then cached.
    assert len(s.fake.of("users.info", user="U-admin")) == 1


async def test_the_daily_post_is_block_kit_with_both_buttons(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    s.clock.set(NINE)
    await s.tick()
    (post,) = question_posts(s)
    blocks = post.params["blocks"]
    assert blocks[0]["type"] == "header"
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "mlq:answer_privately",
        "mlq:my_feedback",
    ]
    fields_text = json.dumps([b for b in blocks if "fields" in b])
    for label in ("Topic", "Difficulty", "Answers close"):
        assert label in fields_text
    assert post.params["unfurl_links"] is False


async def test_a_thread_reply_is_stored_acknowledged_and_graded_privately(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    reply = payloads.thread_reply("Regularisation trades variance for bias.", thread_ts=parent)
    assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    stored = await answers(s)
    assert [(a.message_ref, a.text) for a in stored] == [(reply["ts"], reply["text"])]
    (reaction,) = s.fake.of("reactions.add")
    expected = {"channel": "C1", "timestamp": reply["ts"], "name": "white_check_mark"}
    assert reaction.params == expected
    # The grade is a DM from the app, carrying its outbox key, naming the channel and
    # linking the question's thread.
    (feedback,) = s.fake.dms("U1")
    assert "Your grade" in feedback.params["text"]
    assert feedback.params["metadata"]["event_payload"]["key"].startswith("fb:")
    about = json.dumps(feedback.params["blocks"][0])
    assert "<#C1>" in about and f"/archives/C1/p{parent.replace('.', '')}" in about
    assert s.fake.of("chat.postEphemeral") == []


async def test_a_retried_event_is_stored_once(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    body = payloads.event_callback(payloads.thread_reply("An answer.", thread_ts=parent))
    assert await s.event(body) == 200
    assert await s.event(body, retry_num=1) == 200
    assert await s.event(body, retry_num=2) == 200
    await s.settle()
    assert len(await answers(s)) == 1
    assert len(s.fake.of("reactions.add")) == 1
    assert len(s.fake.dms("U1")) == 1


async def test_a_retry_reaching_another_replica_is_stored_once(slack_http: SlackHttp):
    """Another process has no memory of the first delivery; the database still does."""
    s = slack_http
    parent = await subscribe_and_post(s)
    body = payloads.event_callback(payloads.thread_reply("An answer.", thread_ts=parent))
    assert await s.event(body) == 200
    await s.settle()
    s.runtime.bridge.seen.release(("event", body["event_id"]))
    s.runtime.bridge.seen.release(("msg", "T1", "C1", body["event"]["ts"]))
    assert await s.event(body, retry_num=1) == 200
    await s.settle()
    assert len(await answers(s)) == 1
    assert len(s.fake.of("reactions.add")) == 1
    async with unit_of_work(s.runtime.app.db) as repo:
        keys = await repo.session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert keys >= 1


async def test_thread_broadcast_counts_as_an_answer(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    reply = payloads.broadcast_reply("Also sent to the channel.", thread_ts=parent, user="U2")
    assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    (stored,) = await answers(s)
    assert stored.text == "Also sent to the channel."


async def test_an_edit_regrades_and_a_deletion_withdraws(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    reply = payloads.thread_reply("first try", thread_ts=parent)
    assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    edit = payloads.message_changed(reply, "a better second try")
    assert await s.event(payloads.event_callback(edit)) == 200
    await s.settle()
    (stored,) = await answers(s)
    assert stored.text == "a better second try"
    assert stored.edited_at is not None
    names = [c.params["name"] for c in s.fake.of("reactions.add")]
    assert names == ["white_check_mark", "pencil2"]
    assert "Updated grade" in s.fake.dms("U1")[-1].params["text"]
    assert await s.event(payloads.event_callback(payloads.message_deleted(reply))) == 200
    await s.settle()
    (stored,) = await answers(s)
    assert stored.withdrawn is True


async def test_bot_messages_and_our_own_are_ignored(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    other_bot = payloads.bot_reply("I am a bot", thread_ts=parent)
    own = payloads.thread_reply("posted by mlq itself", thread_ts=parent, user="UBOT")
    own["bot_id"] = "BUBOT"
    top_level = payloads.thread_reply("not in a thread", thread_ts=parent)
    top_level["thread_ts"] = top_level["ts"]
    for event in (other_bot, own, top_level):
        assert await s.event(payloads.event_callback(event)) == 200
    await s.settle()
    assert await answers(s) == []
    assert s.fake.of("reactions.add") == []
    assert s.fake.of("chat.postEphemeral") == [] and s.fake.dms() == []


async def test_my_feedback_button_answers_privately_in_the_thread(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    assert await s.event(payloads.event_callback(payloads.thread_reply("bias", thread_ts=parent)))
    await s.settle()
    s.fake.clear()
    post_id = str((await answers(s))[0].post_id)
    status, _ = await s.interactive(
        payloads.block_actions("mlq:my_feedback", post_id, message_ts=parent)
    )
    assert status == 200
    await s.settle()
    (feedback,) = s.fake.of("chat.postEphemeral")
    assert feedback.params["thread_ts"] == parent
    assert "Your feedback" in feedback.params["text"]


async def test_the_digests_my_stats_button_answers_privately(slack_http: SlackHttp):
    """The digest's button (its value is the week, "202610") shows the clicker's stats."""
    s = slack_http
    parent = await subscribe_and_post(s)
    status, _ = await s.interactive(
        payloads.block_actions("mlq:my_stats", "202610", message_ts=parent, user="U2")
    )
    assert status == 200
    await s.settle()
    (stats,) = s.fake.of("chat.postEphemeral")
    assert stats.params["user"] == "U2" and "Stats" in stats.params["text"]


async def test_answer_privately_opens_a_modal_and_the_submission_is_stored(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    async with unit_of_work(s.runtime.app.db) as repo:
        post = await repo.post_by_thread(1, parent)
    press = payloads.block_actions(
        "mlq:answer_privately",
        str(post.id),
        message_ts=parent,
        user="U2",
        message_blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "What is bias?"}}],
    )
    status, _ = await s.interactive(press)
    assert status == 200
    await s.settle()
    (opened,) = s.fake.of("views.open")
    assert opened.params["trigger_id"] == press["trigger_id"]
    view = opened.params["view"]
    assert view["callback_id"] == ANSWER_MODAL
    assert "What is bias?" in json.dumps(view["blocks"])
    status, _ = await s.interactive(
        payloads.view_submission(view, "Bias is systematic error.", user="U2")
    )
    assert status == 200
    await s.settle()
    (stored,) = await answers(s)
    assert (stored.text, stored.message_ref) == ("Bias is systematic error.", None)
    # The grade is owed through the outbox: one DM, linking the question's thread.
    (feedback,) = s.fake.dms("U2")
    assert f"/archives/C1/p{parent.replace('.', '')}" in json.dumps(feedback.params["blocks"])
    assert s.fake.of("chat.postEphemeral") == [] and s.fake.responses == []


def crash_after_the_ack(s: SlackHttp) -> None:
    """From now on work handed over after an ack is lost, as if the process died."""
    s.runtime.bridge.work.submit = lambda job, name="": None  # type: ignore[method-assign]


def restart(s: SlackHttp) -> None:
    del s.runtime.bridge.work.submit  # the instance attribute: the real method again
    s.clock.advance(timedelta(minutes=6))  # past the dead process's lease


async def test_an_acked_answer_survives_a_crash_before_it_was_stored(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    crash_after_the_ack(s)
    body = payloads.event_callback(payloads.thread_reply("Survives the crash.", thread_ts=parent))
    assert await s.event(body) == 200
    assert await answers(s) == []
    restart(s)
    assert await s.runtime.bridge.resume_stranded() == 1
    await s.settle()
    assert [a.text for a in await answers(s)] == ["Survives the crash."]
    assert len(s.fake.of("reactions.add")) == 1
    (feedback,) = s.fake.dms("U1")
    assert f"p{parent.replace('.', '')}" in json.dumps(feedback.params["blocks"])
    assert await s.runtime.bridge.resume_stranded() == 0  # finished: never again


async def test_a_private_answer_survives_a_crash_with_its_thread(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    async with unit_of_work(s.runtime.app.db) as repo:
        post = await repo.post_by_thread(1, parent)
    view = answer_modal(ModalContext(post.id, "T1", "C1", thread_ts=parent), "What is bias?")
    crash_after_the_ack(s)
    status, _ = await s.interactive(
        payloads.view_submission(view, "Bias is systematic error.", user="U2")
    )
    assert status == 200
    restart(s)
    assert await s.runtime.bridge.resume_stranded() == 1
    await s.settle()
    (stored,) = await answers(s)
    assert stored.text == "Bias is systematic error."
    (feedback,) = s.fake.dms("U2")
    assert f"p{parent.replace('.', '')}" in json.dumps(feedback.params["blocks"])


async def test_an_answer_whose_inbox_row_cannot_be_finished_is_not_counted_twice(
    slack_http: SlackHttp,
):
    s = slack_http
    parent = await subscribe_and_post(s)

    async def broken_finish(inbox_id):
        raise OSError("database went away")

    s.runtime.core.inbox.finish = broken_finish  # type: ignore[method-assign]
    body = payloads.event_callback(payloads.thread_reply("Counted once.", thread_ts=parent))
    assert await s.event(body) == 200
    await s.settle()
    assert len(s.fake.of("reactions.add")) == 1 and len(s.fake.dms("U1")) == 1
    del s.runtime.core.inbox.finish
    s.clock.advance(timedelta(minutes=6))
    assert await s.runtime.bridge.resume_stranded() == 1  # handed out again...
    await s.settle()
    assert [a.text for a in await answers(s)] == ["Counted once."]  # ...and a no-op
    assert len(s.fake.of("reactions.add")) == 1
    assert await s.runtime.core.inbox.pending("slack") == 0


async def test_when_the_inbox_cannot_be_written_slack_is_told_to_retry(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)

    async def broken_accept(event, context=None):
        raise OSError("disk full")

    s.runtime.core.inbox.accept = broken_accept  # type: ignore[method-assign]
    body = payloads.event_callback(payloads.thread_reply("Try me again.", thread_ts=parent))
    assert await s.event(body) != 200  # not acknowledged: Slack sends it again
    del s.runtime.core.inbox.accept
    assert await s.event(body, retry_num=1) == 200
    await s.settle()
    assert [a.text for a in await answers(s)] == ["Try me again."]


async def test_stats_command_reply_is_ephemeral_via_response_url(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("stats") == 200
    await s.settle()
    ((hook, body),) = s.fake.responses
    assert hook == "cmd"
    assert body["response_type"] == "ephemeral"
    assert "Stats" in body["text"]


async def test_home_tab_shows_stats_for_the_last_channel(slack_http: SlackHttp):
    s = slack_http
    assert await s.event(payloads.home_opened("U1")) == 200
    await s.settle()
    (first,) = s.fake.of("views.publish")
    assert first.params["user_id"] == "U1"
    assert "Pick the channel" in json.dumps(first.params["view"])
    press = payloads.block_actions(HOME_CHANNEL_ACTION, "", message_ts="0")
    press["container"] = {"type": "view", "view_id": "V1"}
    del press["channel"]
    press["actions"][0] = {
        "action_id": HOME_CHANNEL_ACTION,
        "block_id": "mlq_home_channel",
        "type": "conversations_select",
        "selected_conversation": "C1",
        "action_ts": "1.0",
    }
    status, _ = await s.interactive(press)
    assert status == 200
    await s.settle()
    view = s.fake.of("views.publish")[-1].params["view"]
    text = json.dumps(view)
    assert "Points" in text and "Your streak" in text
    section = next(b for b in view["blocks"] if b.get("block_id") == "mlq_home_channel")
    assert section["accessory"]["initial_conversation"] == "C1"


async def test_home_tab_lists_the_last_graded_answers(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    reply = payloads.thread_reply("Regularisation trades variance for bias.", thread_ts=parent)
    assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    assert await s.event(payloads.home_opened("U1")) == 200
    await s.settle()
    text = json.dumps(s.fake.of("views.publish")[-1].params["view"])
    assert "Last five graded answers" in text and "%" in text
    assert "No graded answers yet" not in text


async def test_the_reveal_is_posted_in_the_thread_and_broadcast(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    s.clock.set(datetime(2026, 3, 2, 17, 1, tzinfo=UTC))
    await s.tick()
    (reveal,) = s.fake.of("chat.postMessage", thread_ts=parent)
    assert reveal.params["reply_broadcast"] is True
    assert reveal.params["blocks"][0]["text"]["text"] == "Model answer"


async def test_the_ack_does_not_wait_for_the_work(slack_http: SlackHttp):
    """A slow core (a locked database, a slow grader) never delays Slack's 3-second ack."""
    s = slack_http
    release = asyncio.Event()
    real_dispatch = s.runtime.core.dispatch

    async def slow_dispatch(event):
        await release.wait()
        return await real_dispatch(event)

    s.runtime.core.dispatch = slow_dispatch  # type: ignore[method-assign]
    assert await s.command("stats") == 200
    body = payloads.event_callback(payloads.thread_reply("x", thread_ts="1700000000.000001"))
    assert await s.event(body) == 200
    assert s.runtime.bridge.work.pending == 2  # both acknowledged, neither done
    assert s.fake.responses == []
    release.set()
    await s.settle()
    assert len(s.fake.responses) == 1


async def test_health_endpoint(slack_http: SlackHttp):
    async with slack_http.http.get(f"{slack_http.base_url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


# Every subcommand of the core grammar, and where its reply goes: the channel (a post by
# the bot) or only the person (an ephemeral reply through the command's response_url).
SUBCOMMANDS = [
    ("help", "U1", "private", "mlq help"),
    ("topics", "U1", "private", "Topics"),
    ("", "U1", "private", "Practice"),
    ("stats", "U1", "private", "Stats"),
    ("stats <@U2|ben>", "U1", "private", "Ben"),
    ("streak", "U1", "private", "Your streak"),
    ("leaderboard", "U1", "private", "Leaderboard"),
    ("leaderboard all", "U1", "private", "all time"),
    ("subscribe", "U-admin", "channel", "subscribed"),
    ("schedule 09:30 Europe/Berlin mon-fri", "U-admin", "channel", "Schedule updated"),
    ("reveal-after 6h", "U-admin", "private", "Reveal delay"),
    ("digest fri 16:00", "U-admin", "private", "Digest time"),
    ("pause", "U-admin", "channel", "paused"),
    ("resume", "U-admin", "channel", "resume"),
    ("skip", "U-admin", "channel", "No daily question today"),
    ("unsubscribe", "U-admin", "channel", "no more daily questions"),
    ("pause", "U1", "private", "Only admins can do that here"),
    ("schedule 25:00 Mars/Base", "U-admin", "private", "Usage"),
    ("frobnicate", "U1", "private", "neither a command nor a topic"),
]


async def test_every_subcommand_replies_where_it_should(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("stats", user="U2") == 200  # Ben exists before he is looked up
    await s.settle()
    for text, user, where, expected in SUBCOMMANDS:
        s.fake.clear()
        assert await s.command(text, user=user) == 200, text
        await s.settle()
        posts = s.fake.of("chat.postMessage", channel="C1")
        if where == "channel":
            assert s.fake.responses == [], text
            assert len(posts) == 1 and expected in json.dumps(posts[0].params["blocks"]), text
        else:
            assert posts == [], text
            ((_, body),) = s.fake.responses
            assert body["response_type"] == "ephemeral", text
            assert expected in json.dumps(body["blocks"]), (text, body["text"])


async def test_a_practice_question_is_answered_through_the_modal(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("", user="U2") == 200
    await s.settle()
    ((_, practice),) = s.fake.responses
    button = next(b for b in practice["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == "mlq:answer_privately"
    press = payloads.block_actions(
        "mlq:answer_privately",
        button["value"],
        message_ts="1700000000.999999",
        user="U2",
        is_ephemeral=True,
        response_url=s.fake.response_url("practice"),
        message_blocks=practice["blocks"],
    )
    assert (await s.interactive(press))[0] == 200
    await s.settle()
    view = s.fake.of("views.open")[0].params["view"]
    s.fake.clear()
    submit = payloads.view_submission(view, "Some thoughts on the question.", user="U2")
    assert (await s.interactive(submit))[0] == 200
    await s.settle()
    # Owed like every grade: a DM (an ephemeral question has no thread to link; the DM
    # names the channel), not the response_url, which could not be checked after a crash.
    assert s.fake.responses == []
    (graded,) = s.fake.dms("U2")
    assert "Model answer" in json.dumps(graded.params["blocks"])
    assert "<#C1>" in json.dumps(graded.params["blocks"][0])
    (stored,) = await answers(s)
    assert stored.kind == "practice" and stored.text == "Some thoughts on the question."


async def test_an_answer_that_fails_to_store_is_retried_not_lost(slack_http: SlackHttp):
    """Slack will not redeliver an acknowledged event, so the adapter tries again itself."""
    s = slack_http
    parent = await subscribe_and_post(s)
    s.runtime.bridge.answer_retry_pauses = (0.0, 0.0)
    real_dispatch = s.runtime.core.dispatch
    failures = [2]

    async def flaky_dispatch(event):
        if failures[0]:
            failures[0] -= 1
            return [render.error("Something went wrong on our side.")]
        return await real_dispatch(event)

    s.runtime.core.dispatch = flaky_dispatch  # type: ignore[method-assign]
    reply = payloads.thread_reply("Stored on the third try.", thread_ts=parent)
    assert await s.event(payloads.event_callback(reply)) == 200
    await s.settle()
    assert [a.text for a in await answers(s)] == ["Stored on the third try."]
    assert len(s.fake.of("reactions.add")) == 1
    assert all("went wrong" not in c.params["text"] for c in s.fake.of("chat.postEphemeral"))


async def test_an_answer_that_keeps_failing_gets_one_apology_and_is_resumed_later(
    slack_http: SlackHttp,
):
    """Acked but not storable now: the person hears once, the inbox keeps the answer, and a
    sweep after the lease stores it (exactly once) without a second apology."""
    s = slack_http
    parent = await subscribe_and_post(s)
    s.runtime.bridge.answer_retry_pauses = (0.0,)
    real_dispatch = s.runtime.core.dispatch

    async def broken_dispatch(event):
        return [render.error("Something went wrong on our side.")]

    s.runtime.core.dispatch = broken_dispatch  # type: ignore[method-assign]
    body = payloads.event_callback(payloads.thread_reply("Kept for later.", thread_ts=parent))
    assert await s.event(body) == 200
    await s.settle()
    (apology,) = s.fake.of("chat.postEphemeral")
    assert "went wrong" in apology.params["text"] and apology.params["thread_ts"] == parent
    assert await answers(s) == []
    assert await s.runtime.core.inbox.pending("slack") == 1
    # Still failing on a sweep: no second apology, still pending.
    s.clock.advance(timedelta(minutes=6))
    assert await s.runtime.bridge.resume_stranded() == 1
    await s.settle()
    assert len(s.fake.of("chat.postEphemeral")) == 1
    assert await s.runtime.core.inbox.pending("slack") == 1
    # Mended: the next sweep stores it, and a redelivery by Slack changes nothing.
    s.runtime.core.dispatch = real_dispatch  # type: ignore[method-assign]
    assert await s.runtime.bridge.resume_stranded() == 1  # released, so no wait for a lease
    await s.settle()
    assert [a.text for a in await answers(s)] == ["Kept for later."]
    assert await s.runtime.core.inbox.pending("slack") == 0
    assert await s.event(body, retry_num=1) == 200
    await s.settle()
    assert len(await answers(s)) == 1 and len(s.fake.of("reactions.add")) == 1
