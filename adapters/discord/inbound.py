"""Discord payloads to core events: pure functions over plain facts and raw gateway dicts.

The event handlers pull a few facts out of discord.py objects (``facts_from_message``
is the only function here that touches one) and everything else is a plain function of
plain data, so the translation is tested directly without a gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ButtonPressed,
    ChannelAddress,
    CommandInvoked,
    PrivateAnswerSubmitted,
)
from bot.messages import Action

log = logging.getLogger("mlq.discord")

PLATFORM = "discord"
# Only what people type counts as an answer: not joins, pins or thread-created notices.
ANSWER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


@dataclass(frozen=True)
class ThreadMessage:
    """The facts about a message in a thread that the core needs."""

    guild_id: int
    parent_id: int  # the text channel the thread hangs off; mlq's "channel"
    thread_id: int
    message_id: int
    author_id: int
    author_name: str
    author_is_bot: bool
    content: str
    has_media: bool = False  # attachments, stickers or embeds


def address(guild_id: int | str, channel_id: int | str) -> ChannelAddress:
    return ChannelAddress(PLATFORM, str(guild_id), str(channel_id))


def is_admin(permissions: discord.Permissions | None) -> bool:
    """Admins in mlq's sense, from the permissions Discord resolved for the channel of the
    interaction: Manage Channels there (a channel override counts), Manage Server, or
    Administrator. People added with ``/mlq admins add`` are admins too (the core knows)."""
    return bool(
        permissions
        and (permissions.manage_channels or permissions.manage_guild or permissions.administrator)
    )


def actor(
    user_id: int | str,
    display_name: str,
    *,
    is_bot: bool = False,
    permissions: discord.Permissions | None = None,
) -> Actor:
    return Actor(str(user_id), display_name, is_admin=is_admin(permissions), is_bot=is_bot)


def facts_from_message(message: discord.Message, parent_id: int) -> ThreadMessage:
    author = message.author
    return ThreadMessage(
        guild_id=message.guild.id if message.guild else 0,
        parent_id=parent_id,
        thread_id=message.channel.id,
        message_id=message.id,
        author_id=author.id,
        author_name=author.display_name,
        author_is_bot=author.bot or message.webhook_id is not None,
        content=message.content,
        has_media=bool(message.attachments or message.stickers or message.embeds),
    )


def looks_censored(m: ThreadMessage) -> bool:
    """What a message looks like to a bot without the message-content intent."""
    return not m.content and not m.has_media


def sent_at(snowflake: int | str) -> datetime | None:
    """When Discord created the message or interaction: its id's timestamp, assigned by
    Discord's servers, so a catch-up after an outage still knows when it was sent."""
    try:
        return discord.utils.snowflake_time(int(snowflake))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def answer_posted(m: ThreadMessage) -> AnswerPosted:
    return AnswerPosted(
        where=address(m.guild_id, m.parent_id),
        actor=actor(m.author_id, m.author_name, is_bot=m.author_is_bot),
        thread_id=str(m.thread_id),
        message_id=str(m.message_id),
        text=m.content,
        event_id=str(m.message_id),
        sent_at=sent_at(m.message_id),
    )


def display_name_from_raw(data: Mapping[str, Any]) -> str:
    author = data.get("author")
    member = data.get("member")
    names = (
        member.get("nick") if isinstance(member, Mapping) else None,
        author.get("global_name") if isinstance(author, Mapping) else None,
        author.get("username") if isinstance(author, Mapping) else None,
    )
    return next((n for n in names if isinstance(n, str) and n), "")


def is_snowflake(value: Any) -> bool:
    """A Discord id as the gateway sends it: a decimal string (or int) of at most 20 digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 < value < 2**64
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20


def answer_edited_from_raw(
    data: Mapping[str, Any], guild_id: int, parent_id: int
) -> AnswerEdited | None:
    """A MESSAGE_UPDATE payload as an edit, or None when it is not a person's text edit.

    Discord also sends updates when a link preview unfurls or a message is pinned; only
    a payload with new content and an edit timestamp is an edit of the answer. A payload
    that is not shaped as Discord documents it is ignored, with a line at INFO.
    """
    author = data.get("author")
    if not isinstance(author, Mapping) or "content" not in data:
        return None
    if not data.get("edited_timestamp") or author.get("bot") or data.get("webhook_id"):
        return None
    content = data.get("content")
    ids = (author.get("id"), data.get("channel_id"), data.get("id"))
    if not all(is_snowflake(i) for i in ids) or not isinstance(content, str | None):
        log.info("ignored a malformed MESSAGE_UPDATE for message %r", str(data.get("id"))[:40])
        return None
    return AnswerEdited(
        where=address(guild_id, parent_id),
        actor=actor(author["id"], display_name_from_raw(data)),
        thread_id=str(data["channel_id"]),
        message_id=str(data["id"]),
        text=content or "",
        event_id=str(data["id"]),
        sent_at=_edited_at(data.get("edited_timestamp")),
    )


def _edited_at(value: object) -> datetime | None:
    try:
        return discord.utils.parse_time(str(value))
    except (TypeError, ValueError):
        return None


def answer_deleted(
    guild_id: int, parent_id: int, thread_id: int, message_id: int, author: Actor
) -> AnswerDeleted:
    return AnswerDeleted(
        where=address(guild_id, parent_id),
        actor=author,
        thread_id=str(thread_id),
        message_id=str(message_id),
        event_id=f"delete:{message_id}",
    )


# /mlq subcommands whose words differ from the core grammar's.
_GRAMMAR_NAME = {"practice": "", "limit-topics": "topics", "limit-banks": "banks"}
_LIST_SUBCOMMANDS = frozenset({"limit-topics", "limit-banks"})


def command_text(subcommand: str, args: Sequence[str | None] = ()) -> str:
    """A ``/mlq`` subcommand and its option values as the core's command text."""
    values = [" ".join(str(a).split()) for a in args if a is not None and str(a).strip()]
    if subcommand in _LIST_SUBCOMMANDS and values:
        # The grammar reads "topics only a,b" or "topics all".
        values = ["all"] if values[0].lower() == "all" else ["only", *values]
    return " ".join(w for w in [_GRAMMAR_NAME.get(subcommand, subcommand), *values] if w)


def mention(user_id: int) -> str:
    """A member option, in the form the core's grammar reads as a member reference."""
    return f"<@{user_id}>"


def command_invoked(
    where: ChannelAddress, who: Actor, text: str, interaction_id: int
) -> CommandInvoked:
    return CommandInvoked(where, who, text, event_id=str(interaction_id))


def button_pressed(
    where: ChannelAddress, who: Actor, action: Action, value: str, interaction_id: int
) -> ButtonPressed:
    return ButtonPressed(where, who, action, value, event_id=str(interaction_id))


def private_answer(
    where: ChannelAddress, who: Actor, post_id: str, text: str, interaction_id: int
) -> PrivateAnswerSubmitted:
    return PrivateAnswerSubmitted(
        where,
        who,
        int(post_id),
        text,
        event_id=str(interaction_id),
        sent_at=sent_at(interaction_id),
    )


MAX_PICKS = 25  # a select menu has at most 25 options


def pick_letters(values: object) -> str | None:
    """A select menu's values (option indexes as strings) as the letters a quiz answer
    stores ("B", "A, C"); None for anything our menus never send."""
    if not isinstance(values, list) or not 0 < len(values) <= MAX_PICKS:
        return None
    indexes: set[int] = set()
    for value in values:
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 3):
            return None
        index = int(value)
        if index >= 26:
            return None
        indexes.add(index)
    return ", ".join(chr(ord("A") + i) for i in sorted(indexes))
