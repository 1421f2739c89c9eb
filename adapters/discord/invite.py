"""The OAuth2 invite URL, with the smallest set of permissions mlq uses."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")

# Each permission the bot needs, and what for. Nothing else is asked for: no admin, no
# Manage Messages, no Manage Threads (the bot archives only threads it created itself).
NEEDED: dict[str, str] = {
    "view_channel": "see the channels it posts in",
    "send_messages": "post the daily question, notices and digests",
    "embed_links": "show questions and results as embeds",
    "create_public_threads": "open the answer thread under each question",
    "send_messages_in_threads": "post the reveal and hints in the thread",
    "read_message_history": "react to answers (Discord requires it for reactions)",
    "add_reactions": "acknowledge each answer with a reaction",
}


def required_permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(NEEDED, True))


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=required_permissions(), scopes=SCOPES
    )
