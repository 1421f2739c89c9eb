"""Raw gateway events: edits and deletions count even when discord.py cached nothing."""

from __future__ import annotations

import pytest

from adapters.discord.client import ClientOptions
from adapters.discord.outbound import REACTION_EMOJI
from bot.messages import Reaction
from tests.discord.conftest import Server, post_question, reactions, refetch

ANSWER = "Batch normalisation normalises activations with batch statistics during training."


@pytest.fixture
def client_options() -> ClientOptions:
    return ClientOptions(max_messages=None)  # discord.py caches no messages at all


async def test_edits_and_deletions_of_uncached_messages_count(server: Server) -> None:
    post, thread = await post_question(server)
    ben, cai = server.members[0], server.members[1]
    assert not list(server.env.bot.cached_messages)
    reply = await ben.send(thread, "Not sure.")
    await ben.edit(reply, ANSWER)
    assert REACTION_EMOJI[Reaction.UPDATED] in reactions(refetch(thread, reply))

    other = await cai.send(thread, ANSWER)
    assert not list(server.env.bot.cached_messages)
    await cai.delete(other)
    result = await cai.click(refetch(server.channel, post), label="My feedback")
    assert "not answered" in result.response.embeds[0].description
