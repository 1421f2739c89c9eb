"""Slack payloads as core events. Pure functions: a payload in, an event (or None) out.

Shapes follow Slack's documented payloads: Events API ``event_callback`` bodies with
``message`` events (plain, ``thread_broadcast``, ``message_changed``, ``message_deleted``),
slash-command form bodies, and interactivity ``block_actions`` / ``view_submission``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.slack.blocks import (
    ABOUT_BLOCK,
    ANSWER_BLOCK,
    ANSWER_MODAL,
    MAX_POST_ID,
    ModalContext,
    action_from_id,
)
from bot import commands
from bot.access import lifecycle
from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ButtonPressed,
    ChannelAddress,
    ChannelChanged,
    CommandInvoked,
    PrivateAnswerSubmitted,
    WorkspaceRemoved,
)

PLATFORM = "slack"
# Message subtypes that are a person writing in a thread; everything else (joins, bot
# posts, topic changes…) is not an answer.
ANSWER_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}

Payload = Mapping[str, Any]


def where(team_id: str, channel_id: str) -> ChannelAddress:
    return ChannelAddress(PLATFORM, team_id, channel_id)


def team_of(body: Payload) -> str:
    """The workspace an Events API body or interactivity payload belongs to."""
    team = body.get("team_id")
    if not team and isinstance(body.get("team"), Mapping):
        team = body["team"].get("id")
    if not team:
        for auth in body.get("authorizations") or ():
            if auth.get("team_id"):
                return str(auth["team_id"])
    return str(team or "")


def _is_from_bot(message: Payload, bot_user_id: str | None) -> bool:
    return bool(
        message.get("bot_id")
        or message.get("subtype") == "bot_message"
        or message.get("bot_profile")
        or (bot_user_id and message.get("user") == bot_user_id)
    )


def _is_thread_reply(message: Payload) -> bool:
    thread_ts = message.get("thread_ts")
    return bool(thread_ts) and thread_ts != message.get("ts")


def ts_time(ts: object) -> datetime | None:
    """A Slack ``ts`` ("1712345678.123456", seconds since the epoch, assigned by Slack's
    servers) as an instant; None when it is not one."""
    try:
        return datetime.fromtimestamp(float(str(ts)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _profile_name(message: Payload) -> str:
    profile = message.get("user_profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or profile.get("name") or "")


AnswerEvent = AnswerPosted | AnswerEdited | AnswerDeleted


def message_event(body: Payload, *, bot_user_id: str | None = None) -> AnswerEvent | None:
    """A ``message`` event in a thread as an answer event; None for anything else."""
    event = body.get("event") or {}
    if event.get("type") != "message":
        return None
    team = team_of(body)
    channel = str(event.get("channel") or "")
    event_id = body.get("event_id")
    subtype = event.get("subtype")
    if not team or not channel:
        return None
    if subtype == "message_changed":
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        if (
            _is_from_bot(message, bot_user_id)
            or not _is_thread_reply(message)
            or message.get("subtype") == "tombstone"
            or not message.get("user")
            # Slack also sends message_changed when only unfurls or reply counts change.
            or message.get("text") == previous.get("text")
        ):
            return None
        return AnswerEdited(
            where(team, channel),
            Actor(str(message["user"]), _profile_name(message)),
            thread_id=str(message["thread_ts"]),
            message_id=str(message["ts"]),
            text=str(message.get("text") or ""),
            event_id=event_id,
            sent_at=ts_time((message.get("edited") or {}).get("ts") or event.get("event_ts")),
        )
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        if _is_from_bot(previous, bot_user_id) or not _is_thread_reply(previous):
            return None
        if not previous.get("user"):
            return None
        return AnswerDeleted(
            where(team, channel),
            Actor(str(previous["user"])),
            thread_id=str(previous["thread_ts"]),
            message_id=str(event.get("deleted_ts") or previous.get("ts")),
            event_id=event_id,
        )
    if subtype not in ANSWER_SUBTYPES or _is_from_bot(event, bot_user_id):
        return None
    if not _is_thread_reply(event) or not event.get("user"):
        return None
    return AnswerPosted(
        where(team, channel),
        Actor(str(event["user"]), _profile_name(event)),
        thread_id=str(event["thread_ts"]),
        message_id=str(event["ts"]),
        text=str(event.get("text") or ""),
        event_id=event_id,
        sent_at=ts_time(event["ts"]),
    )


# Slack's events about the bot's channels (https://docs.slack.dev/reference/events):
# public channels' events, and the group_* ones for private channels created before March
# 2021. ``channel_left``/``group_left`` come to the bot that left or was removed.
CHANNEL_EVENTS = {
    "channel_left": lifecycle.REMOVED,
    "group_left": lifecycle.REMOVED,
    "channel_archive": lifecycle.ARCHIVED,
    "group_archive": lifecycle.ARCHIVED,
    "channel_unarchive": lifecycle.UNARCHIVED,
    "group_unarchive": lifecycle.UNARCHIVED,
    "channel_deleted": lifecycle.DELETED,
    "group_deleted": lifecycle.DELETED,
}
MEMBER_LEFT = "member_left_channel"  # anyone leaving; about the bot when ``user`` is it
WORKSPACE_EVENTS = ("app_uninstalled", "tokens_revoked")
LIFECYCLE_EVENTS = (*CHANNEL_EVENTS, MEMBER_LEFT, *WORKSPACE_EVENTS)


def lifecycle_event(
    body: Payload, *, bot_user_id: str | None = None
) -> ChannelChanged | WorkspaceRemoved | None:
    """A lifecycle event about the bot's channels or workspace; None when it is about
    someone else (a person leaving, a person's token revoked) or incomplete."""
    event = body.get("event") or {}
    kind = event.get("type")
    team = team_of(body)
    event_id = body.get("event_id")
    if not team:
        return None
    if kind == "app_uninstalled":
        return WorkspaceRemoved(PLATFORM, team, "app_uninstalled", event_id)
    if kind == "tokens_revoked":
        # mlq holds only a bot token; a person's (oauth) token going is nothing to it.
        bots = (event.get("tokens") or {}).get("bot") or []
        return WorkspaceRemoved(PLATFORM, team, "tokens_revoked", event_id) if bots else None
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel:
        return None
    if kind == MEMBER_LEFT:
        if not bot_user_id or event.get("user") != bot_user_id:
            return None
        return ChannelChanged(where(team, channel), lifecycle.REMOVED, event_id)
    change = CHANNEL_EVENTS.get(str(kind))
    return ChannelChanged(where(team, channel), change, event_id) if change else None


def slash_command(body: Payload) -> CommandInvoked:
    """A ``/mlq`` form body. ``trigger_id`` is unique per invocation, so it keys retries."""
    return CommandInvoked(
        where(str(body.get("team_id") or ""), str(body.get("channel_id") or "")),
        Actor(str(body.get("user_id") or ""), str(body.get("user_name") or "")),
        text=str(body.get("text") or "").strip(),
        event_id=body.get("trigger_id"),
    )


def needs_admin_check(text: str) -> bool:
    """Whether this ``/mlq`` text is an admin subcommand (so users.info must be asked)."""
    try:
        parsed = commands.parse_command(text, known_topics=frozenset())
    except commands.CommandError:
        return False
    return commands.needs_admin(parsed)


@dataclass(frozen=True)
class ActionRef:
    """Where a button was pressed: what a reply or a modal needs to find its way back."""

    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    message_ts: str | None
    thread_ts: str | None
    is_ephemeral: bool
    response_url: str | None
    trigger_id: str | None
    # Pressed in the app's DM (a grade's buttons): ``channel_id`` is then the channel the
    # grade is about, when the message says so; there is no thread to reply in.
    in_dm: bool = False

    @property
    def threadless(self) -> bool:
        return self.is_ephemeral or self.in_dm


# A public or private channel's id as Slack writes them (upper-case letters and digits),
# no longer than the id columns (128). The block id that names it comes back inside the
# request, unchecked by intake: anything else in it must not reach the database as a
# channel (PostgreSQL refuses a longer one with an error).
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,127}")


def _about_channel(message: Payload) -> str | None:
    """The channel a grade sent as a DM is about (blocks.render_direct's first block)."""
    blocks = message.get("blocks")
    first = blocks[0] if isinstance(blocks, list) and blocks else None
    block_id = first.get("block_id") if isinstance(first, Mapping) else None
    if isinstance(block_id, str) and block_id.startswith(ABOUT_BLOCK):
        channel = block_id[len(ABOUT_BLOCK) :]
        return channel if _CHANNEL_ID.fullmatch(channel) else None
    return None


def action_ref(body: Payload) -> ActionRef:
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    user = body.get("user") or {}
    message = body.get("message") or {}
    in_dm = channel.startswith("D")
    if in_dm:
        channel = _about_channel(message) or channel
    return ActionRef(
        team_id=team_of(body),
        channel_id=channel,
        user_id=str(user.get("id") or ""),
        user_name=str(user.get("username") or user.get("name") or ""),
        message_ts=container.get("message_ts") or message.get("ts"),
        thread_ts=container.get("thread_ts") or message.get("thread_ts"),
        is_ephemeral=bool(container.get("is_ephemeral")),
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
        in_dm=in_dm,
    )


def button_pressed(body: Payload, action: Payload) -> ButtonPressed | None:
    kind = action_from_id(str(action.get("action_id") or ""))
    ref = action_ref(body)
    if kind is None or not ref.channel_id:
        return None
    return ButtonPressed(
        where(ref.team_id, ref.channel_id),
        Actor(ref.user_id, ref.user_name),
        action=kind.value,
        value=str(action.get("value") or ""),
        event_id=ref.trigger_id,
    )


def question_text(body: Payload) -> str | None:
    """The question's prompt from the message a button sits on (its first section)."""
    for block in (body.get("message") or {}).get("blocks") or ():
        if block.get("type") == "section" and isinstance(block.get("text"), Mapping):
            return str(block["text"].get("text") or "") or None
    return None


def modal_context(body: Payload, action: Payload) -> ModalContext | None:
    """What the "Answer privately" modal must remember about the question it answers."""
    ref = action_ref(body)
    try:
        post_id = int(str(action.get("value")))
    except ValueError:
        return None
    if not ref.channel_id or not 0 < post_id <= MAX_POST_ID:
        return None
    # Replies to a channel post go into its thread; ephemeral posts and DMs have none.
    thread = None if ref.threadless else (ref.thread_ts or ref.message_ts)
    return ModalContext(post_id, ref.team_id, ref.channel_id, thread, ref.response_url)


def view_submission(body: Payload) -> tuple[PrivateAnswerSubmitted, ModalContext] | None:
    view = body.get("view") or {}
    if view.get("callback_id") != ANSWER_MODAL:
        return None
    context = ModalContext.load(str(view.get("private_metadata") or ""))
    if context is None:
        return None
    values = ((view.get("state") or {}).get("values") or {}).get(ANSWER_BLOCK) or {}
    text = str((values.get(ANSWER_BLOCK) or {}).get("value") or "")
    user = body.get("user") or {}
    event = PrivateAnswerSubmitted(
        where(context.team_id, context.channel_id),
        Actor(str(user.get("id") or ""), str(user.get("username") or user.get("name") or "")),
        post_id=context.post_id,
        text=text,
        event_id=f"view:{view.get('id')}" if view.get("id") else None,
    )
    return event, context


_PICK_VALUE = re.compile(r"^([0-9]{1,19}):([0-9])$")
STALE_PICK = (
    "That menu could not be read (it may come from an older version of mlq). "
    "Pick again from today's question, or type the letter in its thread."
)


def quiz_pick(body: Payload, action: Payload) -> tuple[PrivateAnswerSubmitted, ModalContext] | str:
    """A pick from a quiz question's menu as a private answer whose text is the picked
    letters ("B", "A, C"), with where to reply; or what to tell the person when the
    payload is not one we could have sent (a malformed or foreign value)."""
    ref = action_ref(body)
    if not ref.channel_id or not ref.user_id:
        return STALE_PICK
    chosen = action.get("selected_options")
    if chosen is None:
        single = action.get("selected_option")
        chosen = [single] if single else []
    if not isinstance(chosen, list):
        return STALE_PICK
    if not chosen:
        return "No option picked, so nothing changed: your earlier pick (if any) stands."
    posts, indexes = set(), set()
    for option in chosen:
        value = option.get("value") if isinstance(option, Mapping) else None
        match = _PICK_VALUE.match(value) if isinstance(value, str) else None
        if match is None:
            return STALE_PICK
        posts.add(int(match[1]))
        indexes.add(int(match[2]))
    post_id = posts.pop()
    if posts or not 0 < post_id <= MAX_POST_ID:
        return STALE_PICK
    thread = None if ref.threadless else (ref.thread_ts or ref.message_ts)
    context = ModalContext(post_id, ref.team_id, ref.channel_id, thread, ref.response_url)
    stamp = action.get("action_ts") or ref.trigger_id
    event = PrivateAnswerSubmitted(
        where(ref.team_id, ref.channel_id),
        Actor(ref.user_id, ref.user_name),
        post_id=post_id,
        text=", ".join(chr(ord("A") + i) for i in sorted(indexes)),
        event_id=f"pick:{ref.user_id}:{stamp}" if stamp else None,
    )
    return event, context


@dataclass(frozen=True)
class Person:
    name: str
    is_admin: bool
    is_bot: bool


def person(users_info: Payload) -> Person:
    """``users.info``'s answer as what the core needs: a name, admin, bot."""
    user = users_info.get("user") or {}
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or ""
    )
    return Person(
        name=str(name),
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
    )
