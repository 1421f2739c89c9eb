"""The bolt listeners: acknowledge first, hand the work to the bridge, return.

The app runs with ``process_before_response=True`` so bolt answers Slack as soon as a
listener returns (no polling for the ack); every listener here only acks and queues, so
the answer goes back within milliseconds whatever the core then does.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from adapters.slack.blocks import ANSWER_MODAL, HOME_CHANNEL_ACTION, QUIZ_PICK_ACTION, action_id
from adapters.slack.bridge import NotStored, SlackBridge
from bot.messages import Action

log = logging.getLogger("mlq.slack")

COMMAND = "/mlq"


async def on_error(error: Exception) -> BoltResponse:
    """bolt's handler for an exception in a listener or a middleware.

    500 only when the inbox write failed: Slack then sends the request again, which is
    what it needs. Anything else cannot get better by being sent again (HTTP requests were
    checked by ``intake`` before they got here), so it is a bug: logged in full, and
    answered 400 so that Slack does not repeat it three times."""
    if isinstance(error, NotStored):
        log.error("could not store a Slack request; Slack will send it again", exc_info=error)
        return BoltResponse(status=500, body="")
    log.error("a Slack request failed", exc_info=error)
    return BoltResponse(status=400, body="")


def register(app: AsyncApp, bridge: SlackBridge) -> None:
    app.error(on_error)

    @app.command(COMMAND)
    async def mlq_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        bridge.on_command(body)

    @app.event("message")
    async def thread_message(body: dict[str, Any], context: AsyncBoltContext) -> None:
        # Events are acknowledged by bolt itself once this returns.
        await bridge.on_message(body, bot_user_id=context.bot_user_id)

    @app.event("app_home_opened")
    async def home_opened(body: dict[str, Any]) -> None:
        bridge.on_home_opened(body)

    @app.action(action_id(Action.ANSWER_PRIVATELY))
    async def answer_privately(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        bridge.on_answer_button(body, action)

    @app.action(action_id(Action.MY_FEEDBACK))
    async def my_feedback(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        bridge.on_feedback_button(body, action)

    @app.action(HOME_CHANNEL_ACTION)
    async def home_channel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        bridge.on_home_channel(body, action)

    @app.action(QUIZ_PICK_ACTION)
    async def quiz_pick(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        # A pick is an answer: stored in the inbox first, then acknowledged.
        await bridge.on_quiz_pick(body, action)
        await ack()

    @app.view(ANSWER_MODAL)
    async def answer_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        # The answer is stored in the inbox first, then the modal closes; the grade
        # arrives as an ephemeral message.
        await bridge.on_view_submission(body)
        await ack()
