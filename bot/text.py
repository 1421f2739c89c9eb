"""Making user-written text safe to show again, and short enough to fit."""

from __future__ import annotations

import re

MAX_GRADED_CHARS = 4000
ZWSP = "\u200b"

# Broadcast mentions in any of the forms Slack, Discord or a terminal user would type.
_BROADCAST = re.compile(r"@(?=(channel|everyone|here)\b)", re.IGNORECASE)
# Platform mention markup: <!channel>, <!here|here>, <!subteam^ID>, <@U123>, <@!123>, <#C1|x>,
# <@&role>.
_MARKUP = re.compile(r"<([!@#][^<>]{0,200})>")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~|>\[\]])")
# What no database takes as text: NUL (PostgreSQL), and UTF-16 surrogates, which have no
# UTF-8 form (PostgreSQL and SQLite's driver both refuse them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` as every database stores it: NUL removed, a lone surrogate replaced by
    U+FFFD, a surrogate pair that arrived as two halves joined into its character."""
    if not _UNSTORABLE.search(text):
        return text
    text = text.replace("\x00", "")
    # Round trip through UTF-16: pairs become one character, lone halves U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """``1 point``, ``2 points``: a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def defuse(text: str) -> str:
    """Neutralise mentions so that echoing user text never pings anyone.

    Mention markup loses its angle brackets (it then shows as plain text) and broadcast
    words get a zero-width space after the @, which platforms do not treat as a mention.
    """
    text = _MARKUP.sub(
        lambda m: m.group(1).replace("!", "", 1) if m.group(1)[0] == "!" else m.group(1), text
    )
    return _BROADCAST.sub("@" + ZWSP, text)


def escape_markdown(text: str) -> str:
    """Show user text literally inside our markdown: no injected bold, links or quotes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def quote_user_text(text: str, limit: int = 300) -> str:
    """A short, defused, literal excerpt of something a person wrote."""
    return escape_markdown(defuse(shorten(" ".join(text.split()), limit)))


def said(text: str) -> str:
    """Words a person typed, quoted in a reply about them (a command's error): shown as
    typed, not read as markdown or a mention."""
    return f"'{quote_user_text(text, 80)}'"


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def is_blank(text: str) -> bool:
    """Empty, whitespace or invisible characters only."""
    return not text.replace(ZWSP, "").replace("\u200c", "").replace("\u200d", "").strip()
