"""Neutral messages as Block Kit, within Slack's limits.

Limits honoured here (Slack's Block Kit reference): 50 blocks a message (100 in a view),
3,000 characters in a section's text, 2,000 in a section field and at most 10 fields,
150 in a header, 75 in a button label. Long bodies are split into several sections
(code fences are closed and reopened across a split); past the block limit the message
is cut and ends with a note saying so. Every mrkdwn text is ``verbatim`` so Slack does
not auto-link channel names or parse mentions in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from adapters.slack.mrkdwn import escape, to_mrkdwn, to_plain
from bot.messages import Action, Field, Message

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
HEADER_CHARS = 150
BUTTON_CHARS = 75
CONTEXT_CHARS = 2000
FALLBACK_CHARS = 3000
INPUT_CHARS = 3000  # plain_text_input max_length
METADATA_CHARS = 3000

ACTION_PREFIX = "mlq:"
MAX_POST_ID = 2**63 - 1  # beyond any database integer: no post has such an id
ANSWER_MODAL = "mlq:answer_modal"
ANSWER_BLOCK = "answer"
HOME_CHANNEL_ACTION = "mlq:home_channel"
# A quiz pick: a select menu (a multi-select when several options are right) whose option
# values are "<post id>:<option index>" (translate.quiz_pick checks them on the way back).
QUIZ_PICK_ACTION = "mlq:quiz_pick"
# The first block of a grade sent as a DM: "mlq_about:<channel id>" (render_direct).
ABOUT_BLOCK = "mlq_about:"
QUIZ_BLOCK = "mlq_quiz"
OPTION_CHARS = 75  # plain_text of a select option
TRUNCATED_NOTE = "…shortened to fit Slack's limits: {n} more part(s) not shown."

Block = dict[str, Any]


def action_id(action: Action) -> str:
    return ACTION_PREFIX + action.value


def action_from_id(value: str) -> Action | None:
    if not value.startswith(ACTION_PREFIX):
        return None
    try:
        return Action(value[len(ACTION_PREFIX) :])
    except ValueError:
        return None


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def split_mrkdwn(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Cut mrkdwn into pieces of at most ``limit`` characters at paragraph, line or word
    boundaries; a code fence open at a cut is closed there and reopened in the next piece."""
    pieces: list[str] = []
    rest = text
    reopen = ""
    while rest:
        rest = reopen + rest
        if len(rest) <= limit:
            pieces.append(rest)
            break
        budget = limit - 4  # room to close a fence: "\n```"
        cut = _cut_point(rest, budget)
        piece, rest = rest[:cut].rstrip("\n "), rest[cut:].lstrip("\n ")
        if piece.count("```") % 2 == 1:
            piece += "\n```"
            reopen = "```\n"
        else:
            reopen = ""
        pieces.append(piece)
    return [p for p in pieces if p.strip()] or [""]


def _cut_point(text: str, budget: int) -> int:
    for separator in ("\n\n", "\n", " "):
        at = text.rfind(separator, budget // 2, budget)
        if at > 0:
            return at + len(separator)
    cut = budget
    # Never cut an entity such as &amp; in half.
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit) or " ", "emoji": True}


def _sections(text: str) -> list[Block]:
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_mrkdwn(text) if piece]


def _field_blocks(fields: tuple[Field, ...]) -> list[Block]:
    blocks: list[Block] = []
    inline: list[dict[str, Any]] = []

    def flush() -> None:
        for start in range(0, len(inline), MAX_FIELDS):
            blocks.append({"type": "section", "fields": inline[start : start + MAX_FIELDS]})
        inline.clear()

    for field in fields:
        name = escape(to_plain(field.name))
        value = to_mrkdwn(field.value)
        text = f"*{name}*\n{value}"
        if field.inline and len(text) <= FIELD_CHARS:
            inline.append(mrkdwn(text))
            continue
        flush()
        blocks.extend(_sections(text))
    flush()
    return blocks


def _buttons(message: Message) -> list[Block]:
    if not message.buttons:
        return []
    elements = []
    for button in message.buttons[:25]:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action_id(button.action),
            "text": plain(to_plain(button.label), BUTTON_CHARS),
            "value": button.value[:2000],
        }
        if button.action == Action.ANSWER_PRIVATELY:
            element["style"] = "primary"
        elements.append(element)
    return [{"type": "actions", "block_id": "mlq_actions", "elements": elements}]


def _choice_menu(message: Message) -> list[Block]:
    menu = message.choices
    if menu is None or not menu.labels:
        return []
    options = [
        {"text": plain(label, OPTION_CHARS), "value": f"{menu.post_id}:{index}"}
        for index, label in enumerate(menu.labels[:100])
    ]
    element: dict[str, Any] = {
        "type": "multi_static_select" if menu.several else "static_select",
        "action_id": QUIZ_PICK_ACTION,
        "placeholder": plain(
            "Pick all that apply (only you see it)" if menu.several else "Pick (only you see it)",
            150,
        ),
        "options": options,
    }
    return [{"type": "actions", "block_id": QUIZ_BLOCK, "elements": [element]}]


def fallback_text(message: Message) -> str:
    """The notification text sent next to the blocks (and shown where blocks are not)."""
    text = message.fallback or ": ".join(p for p in (message.title, message.body) if p)
    text = text or message.plain_text()
    return _cached_fallback(text) if len(text) <= CACHED_CHARS else _fallback(text)


def _fallback(text: str) -> str:
    plain_text = to_plain(text)
    budget = FALLBACK_CHARS
    while True:  # entities make the text longer; shorten the source until it fits
        escaped = escape(shorten(plain_text, budget))
        if len(escaped) <= FALLBACK_CHARS:
            return escaped
        budget -= len(escaped) - FALLBACK_CHARS


def _content_blocks(title: str | None, body: str, fields: tuple[Field, ...]) -> tuple[Block, ...]:
    """Header, body and fields: the part of a message a fan-out repeats for every channel
    that gets the same question."""
    content: list[Block] = []
    if title:
        content.append({"type": "header", "text": plain(to_plain(title), HEADER_CHARS)})
    if body:
        content.extend(_sections(to_mrkdwn(body)))
    content.extend(_field_blocks(fields))
    return tuple(content)


# A fan-out renders the same question for many channels: both parts are built once per
# text, for texts up to question size (long answers quoted back are not kept). The cached
# blocks are shared between messages and never changed after they are built.
CACHED_CHARS = 4000
_cached_fallback = lru_cache(maxsize=512)(_fallback)
_cached_content_blocks = lru_cache(maxsize=512)(_content_blocks)


def message_blocks(message: Message, *, max_blocks: int = MAX_BLOCKS) -> list[Block]:
    build = _cached_content_blocks if len(message.body) <= CACHED_CHARS else _content_blocks
    content = list(build(message.title, message.body, message.fields))
    tail: list[Block] = _choice_menu(message) + _buttons(message)
    if message.footer:
        footer = shorten(to_mrkdwn(message.footer), CONTEXT_CHARS)
        tail.append({"type": "context", "elements": [mrkdwn(footer)]})
    room = max_blocks - len(tail)
    if len(content) > room:
        kept = content[: room - 1]
        note = TRUNCATED_NOTE.format(n=len(content) - len(kept))
        content = [*kept, {"type": "context", "elements": [mrkdwn(note)]}]
    return content + tail


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage / chat.postEphemeral / a response_url get."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def render(message: Message) -> SlackMessage:
    return SlackMessage(fallback_text(message), message_blocks(message))


def render_direct(message: Message, channel_id: str, link: str | None) -> SlackMessage:
    """``message`` as a direct message read away from its channel: a first line names the
    channel (``<#C…>`` shows as a link to it) and links the question's thread."""
    question = f"<{link}|the question>" if link else "the question"
    about = f"About your answer to {question} in <#{channel_id}>"
    blocks = [
        # The block id names the channel again for a button pressed in the DM
        # (translate.action_ref): the press arrives from the DM, not from the channel.
        {"type": "context", "block_id": f"{ABOUT_BLOCK}{channel_id}", "elements": [mrkdwn(about)]},
        *message_blocks(message, max_blocks=MAX_BLOCKS - 1),
    ]
    return SlackMessage(f"In <#{channel_id}>: {fallback_text(message)}", blocks)


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModalContext:
    """Carried through the answer modal in ``private_metadata``."""

    post_id: int
    team_id: str
    channel_id: str
    thread_ts: str | None = None
    response_url: str | None = None

    def dump(self) -> str:
        data = {
            "p": self.post_id,
            "t": self.team_id,
            "c": self.channel_id,
            "th": self.thread_ts,
            "r": self.response_url,
        }
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > METADATA_CHARS:  # an absurd response_url: drop it, keep the rest
            data["r"] = None
            text = json.dumps(data, separators=(",", ":"))
        return text

    @classmethod
    def load(cls, text: str) -> ModalContext | None:
        """The context back from a modal's metadata; None for anything we did not write
        (the metadata comes back inside a request, so it is checked like one)."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        post_id, team, channel = data.get("p"), data.get("t"), data.get("c")
        thread, response_url = data.get("th"), data.get("r")
        if not (isinstance(post_id, int) and 0 < post_id <= MAX_POST_ID):
            return None
        if not (isinstance(team, str) and isinstance(channel, str) and team and channel):
            return None
        if not all(v is None or isinstance(v, str) for v in (thread, response_url)):
            return None
        return cls(post_id, team, channel, thread_ts=thread, response_url=response_url)


def answer_modal(context: ModalContext, question: str | None) -> dict[str, Any]:
    """The "Answer privately" form; ``question`` is the prompt shown above the input."""
    blocks: list[Block] = []
    if question:
        blocks.extend(_sections(shorten(question, SECTION_CHARS * 3)))
    blocks.append(
        {
            "type": "input",
            "block_id": ANSWER_BLOCK,
            "label": plain("Your answer", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ANSWER_BLOCK,
                "multiline": True,
                "max_length": INPUT_CHARS,
                "placeholder": plain("Only the grader sees this until the reveal.", 150),
            },
        }
    )
    return {
        "type": "modal",
        "callback_id": ANSWER_MODAL,
        "title": plain("Answer privately", 24),
        "submit": plain("Submit", 24),
        "close": plain("Cancel", 24),
        "private_metadata": context.dump(),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def home_view(
    sections: list[Message],
    *,
    channel_id: str | None,
    recent: list[str] | None = None,
) -> dict[str, Any]:
    """The App Home tab: a channel picker, then the member's stats and streak there.

    ``recent`` holds lines about the member's last graded answers (from the core's
    member summary); with none yet, the tab says where feedback will appear.
    """
    picker: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": HOME_CHANNEL_ACTION,
        "placeholder": plain("Pick a channel", 150),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        picker["initial_conversation"] = channel_id
    blocks: list[Block] = [
        {"type": "header", "text": plain("Your mlq progress", HEADER_CHARS)},
        {
            "type": "section",
            "block_id": "mlq_home_channel",
            "text": mrkdwn("Stats for the channel:"),
            "accessory": picker,
        },
    ]
    if channel_id is None:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn("Pick the channel where you answer daily questions to see your stats.")
                ],
            }
        )
    for message in sections:
        blocks.append({"type": "divider"})
        blocks.extend(message_blocks(message, max_blocks=20))
    if channel_id is not None:
        blocks.append({"type": "divider"})
        blocks.append({"type": "header", "text": plain("Last five graded answers", HEADER_CHARS)})
        if recent:
            lines = "\n".join(f"• {to_mrkdwn(line)}" for line in recent[:5])
            blocks.extend(_sections(lines))
        else:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        mrkdwn(
                            "No graded answers yet: answer a question in its thread or with "
                            "*Answer privately*."
                        )
                    ],
                }
            )
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
