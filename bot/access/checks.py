"""Before ``/mlq subscribe`` or ``/mlq resume`` changes a channel: can the bot work there?

Two checks. First the adapter's own (optional ``access_problems``), for what a post alone
would not show: a direct message where no channel is, a Discord permission the daily
question needs later (threads, reactions, history). Then the confirmation itself is
posted in the channel, and the change is stored only if it landed (handlers.py).
"""

from __future__ import annotations

from bot import render
from bot.context import CoreContext, log
from bot.events import ChannelAddress
from bot.messages import Message
from bot.ports import DeliveryError


async def access_problems(ctx: CoreContext, where: ChannelAddress) -> list[str]:
    """What stops the bot from working in the channel, one sentence each with its fix;
    empty when the adapter sees nothing wrong (or has no such check)."""
    check = getattr(ctx.adapter, "access_problems", None)
    if check is None:
        return []
    try:
        return list(await check(where))
    except DeliveryError as exc:
        if exc.permanent:
            reason = exc.reason or str(exc)
            return [f"the platform refused the check ({reason}): {render.suspension_fix(reason)}"]
        # Cannot tell right now: the confirmation post decides.
        log.info("checking access to %s failed (%s); trying the post", where.channel, exc)
        return []


def refused(what: str, problems: list[str]) -> Message:
    """Nothing changed: the channel is not ready for the bot, and this is why."""
    lines = "\n".join(f"- {problem}" for problem in problems)
    return render.error(
        f"mlq cannot work in this channel yet, so it was not {what}:\n{lines}\n"
        f"Fix that and run the command again."
    )


def not_posted(what: str, exc: DeliveryError) -> Message:
    """The confirmation did not land: nothing changed."""
    reason = exc.reason or str(exc)
    if exc.permanent:
        return refused(what, [f"posting here failed ({reason}): {render.suspension_fix(reason)}"])
    return render.error(
        f"mlq could not post in this channel just now ({reason}), so it was not {what}. "
        "Please try again in a minute."
    )
