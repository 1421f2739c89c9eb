"""mlq on Discord: payloads to core events (inbound), neutral messages to embeds
(outbound), the ChatAdapter (adapter), and the discord.py client around them."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
