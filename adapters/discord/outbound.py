"""Neutral messages to Discord embeds and buttons: pure functions, Discord's limits enforced.

Discord rejects a message whose embeds break its limits (title 256, description 4,096,
field value 1,024, 25 fields, 10 embeds and 6,000 characters per message), so long text
is split across fields, embeds and messages, and whatever still does not fit after a few
messages is cut with a note saying so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import discord

from bot.events import ChannelAddress, ThreadAddress
from bot.messages import Action, Message, MessageKind, Reaction
from bot.text import defuse, shorten

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
FIELDS_PER_EMBED = 25
EMBEDS_PER_MESSAGE = 10
MESSAGE_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
# Past this many messages a reply is spam, not an answer: cut it and say so.
MAX_MESSAGES = 4
TRUNCATED_NOTE = "(Shortened: the rest is too long for Discord.)"

COLOURS: dict[MessageKind, int] = {
    MessageKind.QUESTION: 0x5865F2,
    MessageKind.REVEAL: 0x57F287,
    MessageKind.DIGEST: 0xFEE75C,
    MessageKind.LEADERBOARD: 0xFEE75C,
    MessageKind.FEEDBACK: 0x1ABC9C,
    MessageKind.INFO: 0x99AAB5,
    MessageKind.ERROR: 0xED4245,
}

REACTION_EMOJI: dict[Reaction, str] = {
    Reaction.RECEIVED: "\N{WHITE HEAVY CHECK MARK}",
    Reaction.UPDATED: "\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS}",
    Reaction.LATE: "\N{ALARM CLOCK}",
}

# Button custom ids: fixed prefix, action slug, post id, and on the first button of a
# claimed message (daily post, reveal, digest) its claim key's token. The DynamicItem
# template in components.py parses exactly this shape, which is what lets clicks survive
# restarts; the token is optional so that buttons posted before it existed still work.
# Discord returns a message's components, custom ids included, in its stored history
# (unlike the nonce), which is how a process started after a kill finds a message whose
# "sent" mark the kill lost (adapter.find_sent). A custom id holds at most 100 characters
# (discord-api-docs components/reference, "custom_id"; discord.py ui/button.py); the
# longest here is 13 + 20 + 1 + 22 = 56.
ACTION_SLUGS: dict[Action, str] = {
    Action.ANSWER_PRIVATELY: "answer",
    Action.MY_FEEDBACK: "feedback",
    Action.DISPUTE: "dispute",
    Action.REPORT: "report",
    Action.MY_STATS: "stats",
}
SLUG_ACTIONS: dict[str, Action] = {slug: action for action, slug in ACTION_SLUGS.items()}
KEY_TOKEN_CHARS = 22
CUSTOM_ID_TEMPLATE = (
    r"mlq:(?P<slug>answer|feedback|dispute|report|stats):(?P<value>[0-9]{1,20})"
    rf"(?::(?P<key>[0-9a-f]{{{KEY_TOKEN_CHARS}}}))?"
)
_CUSTOM_ID = re.compile(CUSTOM_ID_TEMPLATE + r"\Z")
CUSTOM_ID_MAX = 100


def key_token(key: str) -> str:
    """A claim key as 22 hex characters (88 bits of BLAKE2b): short enough for a custom id
    and a nonce, and no two keys of one channel meet by chance."""
    return hashlib.blake2b(key.encode(), digest_size=KEY_TOKEN_CHARS // 2).hexdigest()


# A quiz question's pick menu: its custom id names the post; option values are indexes.
PICK_TEMPLATE = r"mlq:pick:(?P<post>[0-9]{1,20})"
_PICK_ID = re.compile(PICK_TEMPLATE + r"\Z")
OPTION_LABEL_MAX = 100
MAX_OPTIONS = 25

# Nobody is ever pinged by what the bot sends, whatever the text says.
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True)
class ButtonSpec:
    action: Action
    label: str
    value: str
    custom_id: str


@dataclass(frozen=True)
class MenuSpec:
    """A quiz question's select menu: several picks allowed when ``several``."""

    custom_id: str
    labels: tuple[str, ...]
    several: bool = False


@dataclass(frozen=True)
class Rendered:
    """One Discord message: its embeds and, on the first one only, its buttons and menu."""

    embeds: tuple[discord.Embed, ...]
    buttons: tuple[ButtonSpec, ...] = ()
    content: str | None = None
    menu: MenuSpec | None = None


def pick_custom_id(post_id: int) -> str | None:
    candidate = f"mlq:pick:{post_id}"
    return candidate if _PICK_ID.match(candidate) else None


def menu_spec(message: Message) -> MenuSpec | None:
    menu = message.choices
    if menu is None or not menu.labels:
        return None
    custom = pick_custom_id(menu.post_id)
    if custom is None:
        return None
    labels = tuple(shorten(label, OPTION_LABEL_MAX) or "?" for label in menu.labels)
    return MenuSpec(custom, labels[:MAX_OPTIONS], menu.several)


def custom_id(action: Action, value: str, key: str | None = None) -> str | None:
    """The button id for ``action`` on post ``value``, carrying claim key ``key`` if given;
    None if the value is not a post id (or the action has no Discord button)."""
    slug = ACTION_SLUGS.get(action)
    if slug is None:
        return None
    candidate = f"mlq:{slug}:{value}" + (f":{key_token(key)}" if key is not None else "")
    return candidate if _CUSTOM_ID.match(candidate) else None


def parse_custom_id(raw: str) -> tuple[Action, str] | None:
    match = _CUSTOM_ID.match(raw)
    if match is None:
        return None
    return SLUG_ACTIONS[match["slug"]], match["value"]


def key_of_custom_id(raw: object) -> str | None:
    """The claim key token a custom id carries, if it is one of ours that carries one."""
    match = _CUSTOM_ID.match(raw) if isinstance(raw, str) else None
    return match["key"] if match is not None else None


def safe(text: str) -> str:
    """No mention markup and no @everyone/@here survive, even in our own text."""
    return defuse(text)


def thread_name(message: Message) -> str:
    name = " ".join((message.title or message.body or "Question").split())
    return shorten(safe(name), THREAD_NAME_MAX) or "Question"


def dm_context(
    channel: ChannelAddress, thread: ThreadAddress | None, key: str | None = None
) -> str:
    """A first line for a direct message, so it says which question it is about; an owed
    one (with an outbox ``key``) also names its grade reference, ``dm_reference``."""
    target = thread.thread_id if thread else channel.channel
    line = f"About your answer in <#{target}>:"
    return line if key is None else f"{line} {dm_reference(key)}"


# An owed grade DM carries its outbox key's token in its text: "(grade ref <22 hex>)".
# Why the text: the nonce is forgotten after a few minutes and never returned in history,
# and a DM has no custom-id buttons to carry it (those act on a server channel). A
# message's content is in what GET /channels/{id}/messages returns, and Discord returns
# it for the app's own messages and for DMs even without the Message Content intent
# (discord-api-docs topics/gateway, "Message Content Intent": exempt are "Content in
# messages that an app sends" and "Content in DMs with the app"). Unlike an embed footer
# it does not count towards the 6,000 characters of a message's embeds, so it never
# pushes a full grade over the limit; unlike a link button's URL it needs no made-up query
# string. It is the first line of the first part, the one sent first, so it is out
# whenever any of the grade is. To the member it is a reference they can quote when
# asking about that grade.
_DM_REFERENCE = re.compile(rf"\(grade ref ([0-9a-f]{{{KEY_TOKEN_CHARS}}})\)")


def dm_reference(key: str) -> str:
    return f"(grade ref {key_token(key)})"


def key_of_dm(content: object) -> str | None:
    """The key token a direct message's text carries, if it is an owed grade's."""
    match = _DM_REFERENCE.search(content) if isinstance(content, str) else None
    return match[1] if match is not None else None


# --- splitting text ------------------------------------------------------------------


def _hard_split(line: str, limit: int) -> list[str]:
    """Split one over-long line, preferring to break at a space."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        cut = limit if cut <= 0 else cut
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at line breaks.

    A fenced code block cut in two is closed at the end of one piece and reopened at the
    start of the next, so both halves still render as code.
    """
    if len(text) <= limit:
        return [text]
    fence_reserve = 4  # "\n```"
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    fence: str | None = None  # the opening line of the fence we are inside, if any
    lines: list[str] = []
    for line in text.split("\n"):
        lines += _hard_split(line, limit - fence_reserve - 16)
    for line in lines:
        extra = len(line) + (1 if current else 0)
        if current and size + extra + (fence_reserve if fence else 0) > limit:
            if fence:
                current.append("```")
            pieces.append("\n".join(current))
            current = [fence] if fence else []
            size = len(fence) if fence else 0
            extra = len(line) + (1 if current else 0)
        current.append(line)
        size += extra
        if line.strip().startswith("```"):
            fence = None if fence else line.strip()
    if current:
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()] or [text[:limit]]


# --- embeds -------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # title | text | field
    text: str
    name: str = ""
    inline: bool = False

    def size(self) -> int:
        return len(self.text) + len(self.name)


@dataclass
class _Packer:
    colour: int
    messages: list[list[discord.Embed]] = field(default_factory=list)
    used: int = 0

    def _new_message(self) -> discord.Embed:
        embed = discord.Embed(colour=self.colour)
        self.messages.append([embed])
        self.used = 0
        return embed

    def _current(self) -> discord.Embed:
        return self.messages[-1][-1] if self.messages else self._new_message()

    def _room_for(self, size: int) -> discord.Embed:
        """The embed a block of ``size`` characters goes into, starting new ones as needed."""
        if not self.messages or self.used + size > MESSAGE_TOTAL_MAX:
            return self._new_message()
        return self._current()

    def add(self, block: _Block) -> None:
        embed = self._room_for(block.size())
        if block.kind == "title":
            embed.title = block.text
        elif block.kind == "text":
            if embed.description or len(embed.fields):
                embed = self._next_embed()
            embed.description = block.text
        else:
            if len(embed.fields) >= FIELDS_PER_EMBED:
                embed = self._next_embed()
            embed.add_field(name=block.name, value=block.text, inline=block.inline)
        self.used += block.size()

    def _next_embed(self) -> discord.Embed:
        group = self.messages[-1]
        if len(group) >= EMBEDS_PER_MESSAGE:
            return self._new_message()
        embed = discord.Embed(colour=self.colour)
        group.append(embed)
        return embed

    def footer(self, text: str) -> None:
        if self.used + len(text) > MESSAGE_TOTAL_MAX:
            self._new_message()
        self._current().set_footer(text=text)
        self.used += len(text)


def _blocks(message: Message) -> list[_Block]:
    blocks: list[_Block] = []
    if message.title:
        blocks.append(_Block("title", shorten(safe(message.title), TITLE_MAX)))
    if message.body.strip():
        blocks += [_Block("text", p) for p in split_text(safe(message.body), DESCRIPTION_MAX)]
    for f in message.fields:
        name = shorten(safe(f.name), FIELD_NAME_MAX) or "\u200b"
        values = split_text(safe(f.value), FIELD_VALUE_MAX) if f.value.strip() else ["\u200b"]
        for index, value in enumerate(values):
            label = name if index == 0 else shorten(f"{name} (cont.)", FIELD_NAME_MAX)
            blocks.append(_Block("field", value, label, f.inline and len(values) == 1))
    return blocks


def _cut(messages: list[list[discord.Embed]]) -> list[list[discord.Embed]]:
    """Keep the first MAX_MESSAGES messages and say that the rest was dropped."""
    kept = messages[:MAX_MESSAGES]
    last = kept[-1][-1]
    footer = last.footer.text or ""
    note = f"{footer}\n{TRUNCATED_NOTE}" if footer else TRUNCATED_NOTE
    last.set_footer(text=shorten(note, FOOTER_MAX))
    total = sum(len(e) for e in kept[-1])
    if total > MESSAGE_TOTAL_MAX and last.description:
        over = total - MESSAGE_TOTAL_MAX
        last.description = shorten(last.description, max(1, len(last.description) - over))
    return kept


def _buttons(message: Message) -> tuple[ButtonSpec, ...]:
    """The message's buttons; the first one kept carries the claim key (one is enough)."""
    specs: list[ButtonSpec] = []
    key = message.key
    for b in message.buttons:
        cid = custom_id(b.action, b.value, key)
        if cid is not None:
            specs.append(ButtonSpec(b.action, shorten(b.label, 80), b.value, cid))
            key = None
    return tuple(specs)


def render(message: Message) -> list[Rendered]:
    """The Discord messages that show ``message``; buttons ride on the first one."""
    packer = _Packer(COLOURS.get(message.kind, COLOURS[MessageKind.INFO]))
    for block in _blocks(message):
        packer.add(block)
    if message.footer:
        packer.footer(shorten(safe(message.footer), FOOTER_MAX))
    if not packer.messages:
        packer.add(_Block("text", "\u200b"))
    groups = packer.messages
    if len(groups) > MAX_MESSAGES:
        groups = _cut(groups)
    buttons = _buttons(message)
    menu = menu_spec(message)
    return [
        Rendered(tuple(group), buttons, menu=menu) if index == 0 else Rendered(tuple(group))
        for index, group in enumerate(groups)
    ]
