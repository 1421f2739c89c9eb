"""Inbound core events: what an adapter turns a platform payload into.

Every event names where it happened (platform, workspace, channel) and who did it. An
``event_id`` that the platform guarantees unique (Slack's event_id, Discord's message id)
lets the core process each delivery once, however often the platform retries it.

Answers carry ``sent_at``, when the person sent them by the platform's own clock (Slack's
``ts``, a Discord snowflake's time) or, for a form, when our edge received it: whether an
answer is on time is judged by it, not by when the core gets round to it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.text import storable


@dataclass(frozen=True)
class ChannelAddress:
    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True)
class ThreadAddress:
    channel: ChannelAddress
    thread_id: str


@dataclass(frozen=True)
class MessageAddress:
    channel: ChannelAddress
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class Actor:
    user_id: str
    display_name: str = ""
    is_admin: bool = False  # decided by the adapter from platform roles
    is_bot: bool = False


@dataclass(frozen=True)
class ThreadMessageEvent:
    """Something that happened to a message in a thread; ``thread_id`` names the thread."""

    where: ChannelAddress
    actor: Actor
    thread_id: str
    message_id: str


@dataclass(frozen=True)
class AnswerPosted(ThreadMessageEvent):
    """A message in a question's thread."""

    text: str
    event_id: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class AnswerEdited(ThreadMessageEvent):
    text: str
    event_id: str | None = None
    sent_at: datetime | None = None  # when the edit was made


@dataclass(frozen=True)
class AnswerDeleted(ThreadMessageEvent):
    """A message deleted from a thread; ``actor.user_id`` may be "" when the platform
    does not say whose message it was."""

    event_id: str | None = None


@dataclass(frozen=True)
class CommandInvoked:
    """``/mlq <text>``; ``text`` is everything after the command name."""

    where: ChannelAddress
    actor: Actor
    text: str
    event_id: str | None = None


@dataclass(frozen=True)
class ButtonPressed:
    where: ChannelAddress
    actor: Actor
    action: str  # one of bot.messages.Action
    value: str  # e.g. the post id
    event_id: str | None = None


@dataclass(frozen=True)
class PrivateAnswerSubmitted:
    """An answer sent through a private form (modal) instead of the thread."""

    where: ChannelAddress
    actor: Actor
    post_id: int
    text: str
    event_id: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class ChannelChanged:
    """The platform told us the bot lost a channel, or may get it back; ``change`` is
    one of ``bot.access.lifecycle``'s REMOVED, ARCHIVED, UNARCHIVED, DELETED."""

    where: ChannelAddress
    change: str
    event_id: str | None = None


@dataclass(frozen=True)
class WorkspaceRemoved:
    """The bot can no longer act in a whole workspace (app uninstalled, its tokens
    revoked, removed from the Discord server); ``reason`` is the platform's word for it."""

    platform: str
    workspace: str
    reason: str
    event_id: str | None = None


@dataclass(frozen=True)
class ThreadDeleted:
    """The platform deleted a thread in a channel (Discord's THREAD_DELETE), and every
    message in it; ``where`` is the thread. Most threads are not a question's."""

    where: ThreadAddress
    event_id: str | None = None


InboundEvent = (
    AnswerPosted
    | AnswerEdited
    | AnswerDeleted
    | CommandInvoked
    | ButtonPressed
    | PrivateAnswerSubmitted
    | ChannelChanged
    | WorkspaceRemoved
    | ThreadDeleted
)


_E = TypeVar("_E")


def storable_event(event: _E) -> _E:
    """The event with every text field storable (``bot.text.storable``), nested addresses
    and actors included; the same object when nothing needed cleaning. Applied where events
    enter the core, so what is stored, graded and keyed is the same text."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(event):  # type: ignore[arg-type]
        value = getattr(event, field.name)
        if isinstance(value, str):
            cleaned: Any = storable(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            cleaned = storable_event(value)
        else:
            continue
        if cleaned is not value:
            changes[field.name] = cleaned
    return dataclasses.replace(event, **changes) if changes else event  # type: ignore[type-var]
