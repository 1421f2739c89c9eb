"""Neutral messages as terminal text."""

from __future__ import annotations

from bot.messages import Message, MessageKind, Visibility

_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def to_text(message: Message, *, color: bool = False, width: int = 88) -> str:
    bold, dim, reset = (_BOLD, _DIM, _RESET) if color else ("", "", "")
    lines: list[str] = []
    prefix = "(only you) " if message.visibility == Visibility.PRIVATE else ""
    if message.title:
        lines.append(f"{bold}{prefix}{message.title}{reset}")
    elif prefix:
        lines.append(f"{bold}{prefix.strip()}{reset}")
    if message.body:
        lines.append(message.body)
    for field in message.fields:
        if "\n" in field.value or len(field.value) > width // 2:
            lines.append(f"{bold}{field.name}:{reset}\n{field.value}")
        else:
            lines.append(f"{bold}{field.name}:{reset} {field.value}")
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
        lines.append(f"{dim}{message.footer}{reset}")
    rule = "=" if message.kind in (MessageKind.QUESTION, MessageKind.DIGEST) else "-"
    return "\n".join([rule * min(width, 60), *lines])
