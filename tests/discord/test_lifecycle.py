"""Discord's own news of a lost server or channel stops mlq there at once, through the
real discord.py client's guild-remove and channel-delete events from simcord."""

from __future__ import annotations

from sqlalchemy import select

from storage import unit_of_work
from storage.models import Channel
from tests.discord.conftest import Server, subscribe


async def state(server: Server, channel_id: int) -> tuple[bool, str | None]:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        found = await repo.session.scalar(
            select(Channel).where(Channel.external_id == str(channel_id))
        )
    assert found is not None
    return found.subscribed, found.suspended_reason


def channel_posts(server: Server, channel_id: int) -> list:
    path = f"/channels/{channel_id}/messages"
    return [r for r in server.env.http_requests if r.method == "POST" and r.path == path]


async def test_a_deleted_channel_ends_its_subscription_and_the_admin_is_told(
    server: Server,
) -> None:
    await subscribe(server)
    channel_id = server.channel.id
    server.env.backend.delete_channel(channel_id)
    await server.env.settle()
    assert await state(server, channel_id) == (False, "channel_deleted")
    (dm,) = server.admin.user.dm_channel.history()
    assert "deleted" in dm.embeds[0].description
    before = len(channel_posts(server, channel_id))
    await server.tick_at(9, 1)
    assert len(channel_posts(server, channel_id)) == before  # nothing tried


async def test_removed_from_the_server_every_channel_there_stops(server: Server) -> None:
    other = server.guild.create_text_channel("ml-more")
    await subscribe(server)
    await subscribe(server, other)
    ids = (server.channel.id, other.id)
    server.env.backend.remove_guild(server.guild.id)
    await server.env.settle()
    for channel_id in ids:
        assert await state(server, channel_id) == (True, "removed_from_server")
    before = len(server.env.http_requests)
    await server.tick_at(9, 1)
    assert len(server.env.http_requests) == before  # not one call for a server we left
