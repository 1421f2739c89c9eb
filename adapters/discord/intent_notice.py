"""What to say when the bot cannot read thread replies (no message-content intent).

Without the privileged intent Discord delivers thread messages with empty content, so
answers in threads are invisible to the grader. The server's admins are told once (per
server, per process) how to switch the intent on; members in a question's thread are
told once per thread to use "Answer privately", which works without the intent.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord import outbound
from adapters.discord.adapter import send_rendered
from bot.messages import Message, MessageKind

log = logging.getLogger("mlq.discord")

ADMIN_NOTICE = Message(
    title="mlq cannot read answers posted in threads",
    body=(
        "Discord is hiding message text from the bot because its **Message Content** "
        "intent is off. To turn it on:\n"
        "- open https://discord.com/developers/applications and pick the bot's application\n"
        "- go to **Bot** -> **Privileged Gateway Intents**\n"
        "- switch on **Message Content Intent** and save\n"
        "- restart mlq\n\n"
        "Until then members can still answer with the **Answer privately** button under "
        "each question."
    ),
    kind=MessageKind.ERROR,
)

MEMBER_HINT = Message(
    title="Your reply could not be read",
    body=(
        "The bot cannot read replies in threads yet (the server's admins have been told "
        "how to fix it). Please answer with the **Answer privately** button under the "
        "question instead; it is graded the same way."
    ),
    kind=MessageKind.INFO,
)


class ContentIntentNotice:
    def __init__(self) -> None:
        self.warned_guilds: set[int] = set()
        self.hinted_threads: set[int] = set()

    async def handle(
        self,
        client: discord.Client,
        guild: discord.Guild,
        thread: discord.abc.Messageable,
        thread_id: int,
        parent_id: int,
    ) -> None:
        if guild.id not in self.warned_guilds:
            self.warned_guilds.add(guild.id)
            log.warning(
                "server %s: thread replies arrive without text; enable the Message Content "
                "intent in the Discord developer portal",
                guild.id,
            )
            await self._tell_admins(client, guild, parent_id)
        if thread_id not in self.hinted_threads:
            self.hinted_threads.add(thread_id)
            try:
                await send_rendered(thread, outbound.render(MEMBER_HINT))
            except discord.HTTPException:
                log.exception("could not post the answer-privately hint in %s", thread_id)

    async def _tell_admins(
        self, client: discord.Client, guild: discord.Guild, parent_id: int
    ) -> None:
        """A DM to the server owner; if that fails, a notice in the question's channel."""
        parts = outbound.render(ADMIN_NOTICE)
        try:
            owner = guild.owner or await client.fetch_user(guild.owner_id or 0)
            await send_rendered(await owner.create_dm(), parts)
            return
        except discord.HTTPException:
            log.info("could not DM the owner of server %s; posting the notice instead", guild.id)
        try:
            channel = client.get_partial_messageable(parent_id, guild_id=guild.id)
            await send_rendered(channel, parts)
        except discord.HTTPException:
            log.exception("could not tell server %s about the missing intent", guild.id)
