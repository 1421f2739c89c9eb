"""Direct messages and group direct messages: where ``/mlq subscribe`` must not take.

A daily question needs a channel the team shares, whose thread replies Slack sends mlq
(``message.channels`` / ``message.groups``). A direct message (``im``) has no team; a group
direct message (``mpim``) has no such events for mlq (it would need ``message.mpim`` and
the ``mpim:*`` scopes, which it does not ask for), so answers there would never be graded.

Two ways to tell, both as Slack documents them:
- the slash command's own payload: its ``channel_name`` is ``directmessage`` in a DM and
  the conversation's name in a group DM, which Slack gives as ``mpdm-<user>--<user>-1``
  (https://docs.slack.dev/reference/objects/mpim-object); a DM's id starts with ``D``.
  Noted here by the bridge when the command arrives, before the core asks;
- ``conversations.info``'s ``is_im`` / ``is_mpim``, when Slack answers it (the bot may lack
  ``mpim:read``; any failure then leaves the decision to the confirmation post).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

IM = "im"
MPIM = "mpim"

PROBLEMS = {
    IM: (
        "this is a direct message: run the command in the team's channel "
        "(invite me there first with `/invite @mlq`)"
    ),
    MPIM: (
        "this is a group direct message, where mlq cannot read the answers: run the "
        "command in a channel (public or private) and invite me there with `/invite @mlq`"
    ),
}


def kind_of_command(body: Mapping[str, Any]) -> str | None:
    """IM or MPIM when a slash command's payload says so; None for anything else."""
    channel_id = str(body.get("channel_id") or "")
    name = str(body.get("channel_name") or "")
    if channel_id.startswith("D") or name == "directmessage":
        return IM
    if name.startswith("mpdm-"):
        return MPIM
    return None


def kind_of_info(channel: Mapping[str, Any]) -> str | None:
    """IM or MPIM from a ``conversations.info`` channel object."""
    if channel.get("is_im") is True:
        return IM
    if channel.get("is_mpim") is True:
        return MPIM
    return None


class DirectConversations:
    """The DMs and group DMs commands came from lately, by (team, channel id)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._kinds: OrderedDict[tuple[str, str], str] = OrderedDict()

    def note_command(self, body: Mapping[str, Any]) -> None:
        kind = kind_of_command(body)
        if kind is None:
            return
        key = (str(body.get("team_id") or ""), str(body.get("channel_id") or ""))
        self._kinds[key] = kind
        self._kinds.move_to_end(key)
        while len(self._kinds) > self._capacity:
            self._kinds.popitem(last=False)

    def kind(self, team_id: str, channel_id: str) -> str | None:
        if channel_id.startswith("D"):
            return IM
        return self._kinds.get((team_id, channel_id))
