"""What the bot does when a platform refuses it: suspend dead channels, back off the rest.

Adapters classify their platform's errors (``DeliveryError.permanent``); the decisions are
here. A permanent refusal suspends the channel (stored, so every process and every retry
of posts, reveals and digests stops) and tells the admin who subscribed it, once; a
transient one is retried later, each wait twice the last, up to a cap.

Also here: ``checks`` (can the bot work in a channel, before /mlq subscribe or resume
change it), ``lifecycle`` (what the platform says about channels and workspaces the bot
lost) and ``doctor`` (every subscribed channel's access, for ``mlq doctor``).
"""

from bot.access.failures import (
    MAX_BACKOFF,
    MAX_REVEAL_ATTEMPTS,
    back_off_post,
    is_permanent,
    reason_of,
    send_failed,
    suspend,
)

__all__ = [
    "MAX_BACKOFF",
    "MAX_REVEAL_ATTEMPTS",
    "back_off_post",
    "is_permanent",
    "reason_of",
    "send_failed",
    "suspend",
]
