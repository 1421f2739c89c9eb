"""The bolt listeners: acknowledge first, hand the work to the bridge, return.

The app runs with ``process_before_response=True`` so bolt answers Slack as soon as a
listener returns (no polling for the ack); every listener here only acks and queues, so
the answer goes back within milliseconds whatever the core then does.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from adapters.slack.blocks import ANSWER_MODAL, HOME_CHANNEL_ACTION, QUIZ_PICK_ACTION, action_id
from adapters.slack.bridge import NotStored, SlackBridge
from adapters.slack.translate import LIFECYCLE_EVENTS
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


Listener = Callable[..., Awaitable[Any]]


def register(
    app: AsyncApp, bridge: SlackBridge, *, revocation: dict[str, Listener] | None = None
) -> None:
    """``revocation``: bolt's own listeners for ``app_uninstalled``/``tokens_revoked``
    (OAuth mode: they delete the installation); run before mlq's, which stops the
    workspace's channels. bolt runs only the first listener matching an event, so both
    go into one."""
    app.error(on_error)
    revocation = revocation or {}

    def lifecycle(name: str) -> Listener:
        builtin = revocation.get(name)

        async def on_event(
            body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
        ) -> None:
            if builtin is not None:
                given = {"body": body, "event": event, "context": context}
                wanted = inspect.signature(builtin).parameters
                await builtin(**{k: v for k, v in given.items() if k in wanted})
            await bridge.on_lifecycle(body, bot_user_id=context.bot_user_id)

        return on_event

    for name in LIFECYCLE_EVENTS:
        app.event(name)(lifecycle(name))

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
    @app.action(action_id(Action.DISPUTE))
    @app.action(action_id(Action.REPORT))
    @app.action(action_id(Action.MY_STATS))
    async def my_feedback(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        # "My feedback", the "Dispute grade" / "Report a problem" buttons it carries, and
        # the digest's "My stats": each answered privately by the core.
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
        # arrives as a direct message from the app, owed through the outbox.
        await bridge.on_view_submission(body)
        await ack()
