"""Slack payloads to core events, directly on the pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.slack import translate
from adapters.slack.blocks import ModalContext, answer_modal, render_direct
from bot.events import (
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ButtonPressed,
    ChannelAddress,
    CommandInvoked,
    PrivateAnswerSubmitted,
)
from bot.messages import Action, Button, Message
from tests.slack import payloads

PARENT = "1700000000.000100"


def test_a_thread_reply_is_an_answer():
    reply = payloads.thread_reply("my answer", thread_ts=PARENT, user="U7", channel="C9")
    body = payloads.event_callback(reply, team="T5", event_id="Ev1")
    event = translate.message_event(body, bot_user_id="UBOT")
    assert event == AnswerPosted(
        ChannelAddress("slack", "T5", "C9"),
        event.actor,
        thread_id=PARENT,
        message_id=reply["ts"],
        text="my answer",
        event_id="Ev1",
        sent_at=datetime.fromtimestamp(float(reply["ts"]), UTC),  # Slack's own clock
    )
    assert event.actor.user_id == "U7" and not event.actor.is_admin


def test_a_ts_that_is_not_a_time_gives_no_sent_time():
    assert translate.ts_time("1712345678.000200") == datetime(
        2024, 4, 5, 19, 34, 38, 200, tzinfo=UTC
    )
    for bad in (None, "", "soon", "1e400"):
        assert translate.ts_time(bad) is None


def test_a_broadcast_reply_is_an_answer():
    body = payloads.event_callback(payloads.broadcast_reply("also here", thread_ts=PARENT))
    event = translate.message_event(body)
    assert isinstance(event, AnswerPosted) and event.text == "also here"


def test_top_level_messages_joins_and_bots_are_not_answers():
    top = payloads.thread_reply("hello", thread_ts=PARENT)
    del top["thread_ts"]
    parent_itself = payloads.thread_reply("parent", thread_ts=PARENT, ts=PARENT)
    join = payloads.thread_reply("joined", thread_ts=PARENT)
    join["subtype"] = "channel_join"
    bot = payloads.bot_reply("beep", thread_ts=PARENT)
    app_user = payloads.thread_reply("from an app", thread_ts=PARENT, user="U5")
    app_user["bot_id"] = "B5"
    ours = payloads.thread_reply("ours", thread_ts=PARENT, user="UBOT")
    for event in (top, parent_itself, join, bot, app_user, ours):
        body = payloads.event_callback(event)
        assert translate.message_event(body, bot_user_id="UBOT") is None, event


def test_edits_become_answer_edits_unless_the_text_did_not_change():
    reply = payloads.thread_reply("v1", thread_ts=PARENT)
    edited = translate.message_event(payloads.event_callback(payloads.message_changed(reply, "v2")))
    assert isinstance(edited, AnswerEdited)
    assert (edited.message_id, edited.thread_id, edited.text) == (reply["ts"], PARENT, "v2")
    unfurl_only = payloads.message_changed(reply, "v1")
    assert translate.message_event(payloads.event_callback(unfurl_only)) is None
    parent = payloads.thread_reply("q", thread_ts=PARENT, ts=PARENT)
    reply_count_update = payloads.message_changed(parent, "q (3 replies)")
    assert translate.message_event(payloads.event_callback(reply_count_update)) is None


def test_a_deletion_withdraws_the_reply():
    reply = payloads.thread_reply("v1", thread_ts=PARENT, user="U3")
    deleted = translate.message_event(payloads.event_callback(payloads.message_deleted(reply)))
    assert isinstance(deleted, AnswerDeleted)
    assert (deleted.actor.user_id, deleted.message_id, deleted.thread_id) == (
        "U3",
        reply["ts"],
        PARENT,
    )


def test_slash_command_keeps_text_and_uses_trigger_id_as_event_id():
    body = payloads.slash_command("  leaderboard all ", team="T2", channel="C2", user="U2")
    event = translate.slash_command(body)
    assert isinstance(event, CommandInvoked)
    assert event.text == "leaderboard all"
    assert event.where == ChannelAddress("slack", "T2", "C2")
    assert event.event_id == body["trigger_id"]


def test_admin_subcommands_are_recognised_for_the_users_info_check():
    assert translate.needs_admin_check("subscribe")
    assert translate.needs_admin_check("schedule 09:30 Europe/Berlin mon-fri")
    assert not translate.needs_admin_check("stats")
    assert not translate.needs_admin_check("")
    assert not translate.needs_admin_check("schedule nonsense")


def test_buttons_map_to_core_actions():
    body = payloads.block_actions("mlq:my_feedback", "12", message_ts=PARENT, user="U4")
    event = translate.button_pressed(body, body["actions"][0])
    assert isinstance(event, ButtonPressed)
    assert (event.action, event.value, event.actor.user_id) == ("my_feedback", "12", "U4")
    foreign = payloads.block_actions("someone_else", "1", message_ts=PARENT)
    assert translate.button_pressed(foreign, foreign["actions"][0]) is None


def test_the_modal_remembers_the_thread_for_channel_posts_only():
    channel_post = payloads.block_actions("mlq:answer_privately", "5", message_ts=PARENT)
    context = translate.modal_context(channel_post, channel_post["actions"][0])
    assert context == ModalContext(5, "T1", "C1", PARENT, channel_post["response_url"])
    ephemeral = payloads.block_actions(
        "mlq:answer_privately", "6", message_ts=PARENT, is_ephemeral=True
    )
    context = translate.modal_context(ephemeral, ephemeral["actions"][0])
    assert context is not None and context.thread_ts is None


def test_a_view_submission_is_a_private_answer():
    view = answer_modal(ModalContext(9, "T1", "C3", PARENT, None), "Q?")
    body = payloads.view_submission(view, "private words", user="U8")
    parsed = translate.view_submission(body)
    assert parsed is not None
    event, context = parsed
    assert isinstance(event, PrivateAnswerSubmitted)
    assert (event.post_id, event.text, event.actor.user_id) == (9, "private words", "U8")
    assert event.where == ChannelAddress("slack", "T1", "C3")
    assert event.event_id == f"view:{body['view']['id']}"
    assert context.thread_ts == PARENT
    other = dict(body, view={**body["view"], "callback_id": "someone_else"})
    assert translate.view_submission(other) is None


def test_users_info_decides_admin_and_name():
    info = {
        "user": {
            "id": "U1",
            "name": "ana",
            "is_admin": False,
            "is_owner": True,
            "profile": {"display_name": "", "real_name": "Ana Lopez"},
        }
    }
    assert translate.person(info) == translate.Person("Ana Lopez", True, False)
    member = {"user": {"id": "U2", "name": "ben", "profile": {"display_name": "Ben"}}}
    assert translate.person(member) == translate.Person("Ben", False, False)


def test_a_button_pressed_in_a_grade_dm_is_about_the_grades_channel():
    """A grade is a DM (blocks.render_direct): its buttons are pressed in the DM, and its
    first block names the channel it is about, so a form opened from there answers the
    channel's question, and replies go through the response_url, not a thread."""
    grade = Message(body="Unreadable", buttons=(Button(Action.ANSWER_PRIVATELY, "Again", "7"),))
    blocks = render_direct(grade, "C9", None).blocks
    press = payloads.block_actions(
        "mlq:answer_privately", "7", message_ts="1.5", channel="DU1", message_blocks=blocks
    )
    ref = translate.action_ref(press)
    assert (ref.channel_id, ref.in_dm, ref.threadless) == ("C9", True, True)
    context = translate.modal_context(press, press["actions"][0])
    assert context is not None and (context.channel_id, context.thread_ts) == ("C9", None)
    # A DM message that is not one of our grades stays where it was pressed.
    plain = payloads.block_actions("mlq:dispute", "7", message_ts="1.5", channel="DU1")
    assert translate.action_ref(plain).channel_id == "DU1"
    forged = payloads.block_actions(
        "mlq:dispute",
        "7",
        message_ts="1.5",
        channel="DU1",
        message_blocks=[{"type": "context", "block_id": "mlq_about:DU2", "elements": []}],
    )
    assert translate.action_ref(forged).channel_id == "DU1"  # only a channel id is taken
