"""Interactions the bot does not expect: a short note to the person, a line at INFO, never a
traceback. Sent through simcord as Discord would send them."""

from __future__ import annotations

import logging

import pytest
from discord import app_commands

from adapters.discord.commands import OUT_OF_DATE
from tests.discord.conftest import Server

APPLICATION_COMMAND = 2


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info]


async def test_a_command_this_version_does_not_have(server: Server, caplog) -> None:
    """Discord still offers a command an older version synced; this one has no such command."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="mlq")  # bolt pins "mlq" (its app name) to a level
    ben = server.members[0]
    data = {"id": "1234567890", "name": "mlq-old", "type": 1, "options": []}
    result = await ben._dispatch_interaction(APPLICATION_COMMAND, server.channel, data)
    assert result.ephemeral
    assert OUT_OF_DATE in result.response.embeds[0].description
    assert any(isinstance(e, app_commands.CommandNotFound) for e in server.env.errors)
    assert "unexpected command interaction" in caplog.text
    assert tracebacks(caplog) == []


async def test_options_of_the_wrong_shape(server: Server, caplog) -> None:
    """``/mlq stats`` whose member option names nobody Discord resolved."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="mlq")  # bolt pins "mlq" (its app name) to a level
    ben = server.members[0]
    group = next(c for c in server.env.bot.tree.get_commands() if c.name == "mlq")
    stats = group.get_command("stats")
    option = stats.parameters[0]
    data = {
        "id": "1",
        "name": "mlq",
        "type": 1,
        "options": [
            {
                "name": "stats",
                "type": 1,
                "options": [{"name": option.name, "type": option.type.value, "value": "999"}],
            }
        ],
    }
    result = await ben._dispatch_interaction(APPLICATION_COMMAND, server.channel, data)
    assert result.ephemeral
    assert OUT_OF_DATE in result.response.embeds[0].description
    assert any(isinstance(e, app_commands.TransformerError) for e in server.env.errors)
    assert tracebacks(caplog) == []
