"""Outbound neutral messages: what the core says, before any platform styles it.

Bodies are a small markdown subset every adapter can translate: **bold**, *italic*,
`code`, fenced code blocks, "- " bullets and plain paragraphs. User-written text is
already defused by ``bot.text.defuse`` before it gets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Visibility(StrEnum):
    CHANNEL = "channel"
    PRIVATE = "private"  # only the person the message is for


class Action(StrEnum):
    """Buttons the core knows how to handle; adapters map them to platform ids."""

    ANSWER_PRIVATELY = "answer_privately"
    MY_FEEDBACK = "my_feedback"
    DISPUTE = "dispute"  # dispute my grade on this round (bot/disputes)
    REPORT = "report"  # report a problem with this question
    MY_STATS = "my_stats"  # my points, answers and streak in this channel (on the digest)


class Reaction(StrEnum):
    """Acknowledgements; adapters map them to platform emoji."""

    RECEIVED = "received"  # an on-time answer was stored
    UPDATED = "updated"  # an edit was stored and re-graded
    LATE = "late"  # stored after the reveal, earns nothing


class MessageKind(StrEnum):
    QUESTION = "question"
    REVEAL = "reveal"
    DIGEST = "digest"
    LEADERBOARD = "leaderboard"
    FEEDBACK = "feedback"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Button:
    action: Action
    label: str
    value: str


@dataclass(frozen=True)
class ChoiceMenu:
    """A quiz question's options, picked privately (a select menu, a multi-select when
    ``several``). Adapters send a pick back as a private answer to ``post_id`` whose
    text is the picked letters ("B" or "A, C"), which the exact grader reads."""

    post_id: int
    labels: tuple[str, ...]  # "A. first option", ...
    several: bool = False


@dataclass(frozen=True)
class Message:
    body: str
    title: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    kind: MessageKind = MessageKind.INFO
    visibility: Visibility = Visibility.CHANNEL
    # Extra plain text for notifications and clients that cannot show rich layouts.
    fallback: str = field(default="")
    # The claim key this message fulfils (a daily post, a reveal, a digest). Adapters
    # attach it where the platform keeps it with the message, so that a process taking
    # over an expired claim can find a send whose "delivered" mark a crash lost
    # (``ChatAdapter.find_sent``). None for messages nobody claims.
    key: str | None = None
    # A quiz question's pick menu; None on every other message.
    choices: ChoiceMenu | None = None

    def plain_text(self) -> str:
        """Every part of the message as plain text, for logs, terminals and tests."""
        parts = [self.title or "", self.body]
        parts += [f"{f.name}: {f.value}" for f in self.fields]
        parts += [f"[{b.label}]" for b in self.buttons]
        parts.append(self.footer or "")
        return "\n".join(p for p in parts if p)
