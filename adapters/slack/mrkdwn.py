"""The core's small markdown subset as Slack mrkdwn, with nothing a reader typed acting live.

Slack mrkdwn has no backslash escapes: the only escapes it knows are ``&amp;``, ``&lt;`` and
``&gt;``. Escaping those three makes every ``<!channel>``, ``<!here>``, ``<@U…>`` and
``<#C…>`` plain text, because Slack only parses mentions inside literal angle brackets.
Characters the core escaped with a backslash (user text) are shown literally: formatting
characters get zero-width spaces around them so Slack cannot pair them into bold/italics.
"""

from __future__ import annotations

import re
from functools import lru_cache

ZWSP = "\u200b"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = "\\`*_~|>[]"
# Private-use code points stand in for escaped characters while we convert formatting.
_HOLD_BASE = 0xE000
_HOLD = {c: chr(_HOLD_BASE + i) for i, c in enumerate(_SPECIAL)}
_UNHOLD = {v: k for k, v in _HOLD.items()}
# str.translate tables: one pass in C instead of a Python loop per character.
_ESCAPE_TABLE = str.maketrans(_ENTITIES)
_UNHOLD_TABLE = str.maketrans(_UNHOLD)
_PRIVATE_USE = re.compile("[\ue000-\ue0ff]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_BACKSLASHED = re.compile(r"\\(.)")
# A daily post sends the same question text to every channel, so conversions are cached;
# long texts (pasted answers echoed back) are converted each time to bound the memory.
_CACHE_SIZE = 512
_CACHE_CHARS = 8_000


def escape(text: str) -> str:
    """Slack's three entities; enough to stop any ``<…>`` markup from acting."""
    return text.translate(_ESCAPE_TABLE)


def _literal(char: str) -> str:
    """How a character the core escaped is shown: as itself, unable to format."""
    if char in "&<>":
        return _ENTITIES[char]
    if char in "*_~`":
        return f"{ZWSP}{char}{ZWSP}"
    return char


def _hold_escapes(text: str) -> str:
    text = _PRIVATE_USE.sub("", text)
    return _BACKSLASHED.sub(lambda m: _HOLD.get(m.group(1), "\\" + m.group(1)), text)


_RELEASE_TABLE = str.maketrans({held: _literal(char) for char, held in _HOLD.items()})


def _release(text: str) -> str:
    return text.translate(_RELEASE_TABLE)


def _inline(text: str) -> str:
    """One line outside code: entities first, then **bold** and *italic*."""
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_format(text[last : match.start()]))
        # Inside code only the entities matter; held characters come back literally.
        body = match.group(2).translate(_UNHOLD_TABLE)
        out.append(f"`{escape(body)}`")
        last = match.end()
    out.append(_format(text[last:]))
    return "".join(out)


def _format(segment: str) -> str:
    segment = escape(segment)
    segment = _BOLD.sub(lambda m: "\ue100" + m.group(1) + "\ue100", segment)
    segment = _ITALIC.sub(lambda m: "_" + m.group(1) + "_", segment)
    return _release(segment.replace("\ue100", "*"))


def to_mrkdwn(markdown: str) -> str:
    """Convert the core's markdown (bold, italic, code, fences, bullets, quotes) to mrkdwn."""
    if len(markdown) <= _CACHE_CHARS:
        return _to_mrkdwn_cached(markdown)
    return _to_mrkdwn(markdown)


def to_plain(markdown: str) -> str:
    """The same text with formatting removed, for plain_text fields (headers, buttons)."""
    if len(markdown) <= _CACHE_CHARS:
        return _to_plain_cached(markdown)
    return _to_plain(markdown)


def _to_mrkdwn(markdown: str) -> str:
    lines = _hold_escapes(markdown).split("\n")
    out: list[str] = []
    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            out.append("```")
            continue
        if in_fence:
            out.append(escape(line.translate(_UNHOLD_TABLE)))
            continue
        prefix = ""
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("- ") or stripped.startswith("* "):
            prefix, line = indent + "• ", stripped[2:]
        elif stripped.startswith("> "):
            # The core's own quote (user '>' arrive escaped, hence held): keep it a quote.
            prefix, line = ">", stripped[1:]
        out.append(prefix + _inline(line))
    if in_fence:
        out.append("```")
    return "\n".join(out)


def _to_plain(markdown: str) -> str:
    held = _hold_escapes(markdown)
    held = _BOLD.sub(r"\1", held)
    held = _ITALIC.sub(r"\1", held)
    held = held.replace("`", "")
    return held.translate(_UNHOLD_TABLE)


_to_mrkdwn_cached = lru_cache(maxsize=_CACHE_SIZE)(_to_mrkdwn)
_to_plain_cached = lru_cache(maxsize=_CACHE_SIZE)(_to_plain)
