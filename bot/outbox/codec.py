"""A neutral message as JSON and back, for the outbox's payload column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.messages import Action, Button, Field, Message, MessageKind, Visibility


def encode_message(message: Message) -> dict[str, Any]:
    return {
        "body": message.body,
        "title": message.title,
        "fields": [[f.name, f.value, f.inline] for f in message.fields],
        "buttons": [[b.action.value, b.label, b.value] for b in message.buttons],
        "footer": message.footer,
        "kind": message.kind.value,
        "visibility": message.visibility.value,
        "fallback": message.fallback,
        "key": message.key,
    }


def decode_message(data: Mapping[str, Any]) -> Message:
    """The message back; raises ValueError for a payload it cannot read."""
    try:
        return Message(
            body=str(data["body"]),
            title=data.get("title"),
            fields=tuple(Field(str(n), str(v), bool(i)) for n, v, i in data.get("fields") or []),
            buttons=tuple(
                Button(Action(a), str(label), str(value))
                for a, label, value in data.get("buttons") or []
            ),
            footer=data.get("footer"),
            kind=MessageKind(data.get("kind", MessageKind.INFO)),
            visibility=Visibility(data.get("visibility", Visibility.CHANNEL)),
            fallback=str(data.get("fallback") or ""),
            key=data.get("key"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable outbox message: {exc}") from exc
