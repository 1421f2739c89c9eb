"""Neutral messages as terminal text: the markdown subset (bold, italic, code, lists) is
rendered by ``rich``, so the terminal shows what Slack and Discord show, not asterisks and
backticks. Without colour (a pipe, a test) the styling is simply left out."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown

from bot.messages import Message, MessageKind, Visibility

_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def markdown_text(text: str, *, color: bool = False, width: int = 88) -> str:
    """``text`` (the neutral markdown) as terminal lines, wrapped at ``width``."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    console.print(Markdown(text))
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _is_block(value: str, width: int) -> bool:
    """A field value shown under its name rather than after it: a list (even of one
    item), several lines, or a long text."""
    return value.lstrip().startswith(("- ", "* ")) or "\n" in value or len(value) > width // 2


def to_text(message: Message, *, color: bool = False, width: int = 88) -> str:
    bold, dim, reset = (_BOLD, _DIM, _RESET) if color else ("", "", "")
    lines: list[str] = []
    prefix = "(only you) " if message.visibility == Visibility.PRIVATE else ""
    if message.title:
        lines.append(f"{bold}{prefix}{message.title}{reset}")
    elif prefix:
        lines.append(f"{bold}{prefix.strip()}{reset}")
    if message.body:
        lines.append(markdown_text(message.body, color=color, width=width))
    for field in message.fields:
        value = markdown_text(field.value, color=color, width=width)
        if _is_block(field.value, width):
            lines.append(f"{bold}{field.name}:{reset}\n{value}")
        else:
            lines.append(f"{bold}{field.name}:{reset} {value}")
    if message.choices is not None:
        several = message.choices.several
        lines.append(
            "Type the letters of your picks, e.g. a,c"
            if several
            else "Type the letter of your pick, e.g. b"
        )
    if message.buttons:
        lines.append("  ".join(f"[{b.label}]" for b in message.buttons))
    if message.footer:
        lines.append(f"{dim}{markdown_text(message.footer, width=width)}{reset}")
    rule = "=" if message.kind in (MessageKind.QUESTION, MessageKind.DIGEST) else "-"
    return "\n".join([rule * min(width, 60), *lines])
