"""What to say when the bot cannot read thread replies (no message-content intent).

Without the privileged intent Discord delivers thread messages with empty content, so
answers in threads are invisible to the grader. Only whoever runs the bot can switch the
intent on (it is a setting of the bot's application, not of any server), so the notice
goes to the bot's own log, once per process; server owners are not messaged about a
setting they cannot change. Members in a question's thread are told once per thread to
use "Answer privately", which works without the intent.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord import outbound
from adapters.discord.adapter import send_rendered
from bot.messages import Message, MessageKind

log = logging.getLogger("mlq.discord")

OPERATOR_NOTICE = (
    "thread replies arrive without their text: the Message Content intent is off. Whoever "
    "runs mlq can switch it on at https://discord.com/developers/applications (the bot's "
    "application, Bot, Privileged Gateway Intents, Message Content Intent) and restart "
    "mlq. Until then members answer with the Answer privately button."
)

MEMBER_HINT = Message(
    title="Your reply could not be read",
    body=(
        "The bot cannot read replies in threads yet (whoever runs it has been told how to "
        "fix it). Please answer with the **Answer privately** button under the question "
        "instead; it is graded the same way."
    ),
    kind=MessageKind.INFO,
)


class ContentIntentNotice:
    def __init__(self) -> None:
        self.logged = False
        self.hinted_threads: set[int] = set()

    async def handle(self, thread: discord.abc.Messageable, thread_id: int) -> None:
        if not self.logged:
            self.logged = True
            log.warning(OPERATOR_NOTICE)
        if thread_id not in self.hinted_threads:
            self.hinted_threads.add(thread_id)
            try:
                await send_rendered(thread, outbound.render(MEMBER_HINT))
            except discord.HTTPException:
                log.exception("could not post the answer-privately hint in %s", thread_id)
