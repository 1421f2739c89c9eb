"""Discord's 403/404 for a channel the bot cannot use suspend it; the admin is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import unit_of_work
from storage.models import Channel
from tests.discord.conftest import Server, subscribe


async def suspension(server: Server) -> str | None:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        return await repo.session.scalar(select(Channel.suspended_reason))


def channel_posts(server: Server) -> list:
    path = f"/channels/{server.channel.id}/messages"
    return [r for r in server.env.http_requests if r.method == "POST" and r.path == path]


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [(403, 50013, "missing_permissions"), (403, 50001, "missing_access")],
)
async def test_a_channel_the_bot_may_not_post_in_is_suspended(
    server: Server, status: int, code: int, reason: str
) -> None:
    await subscribe(server)
    before = len(channel_posts(server))  # the subscription's confirmation
    server.env.inject_error(
        "POST",
        f"/channels/{server.channel.id}/messages",
        status=status,
        code=code,
        message="Missing Permissions",
        times=None,
    )
    for hour in range(9, 21):
        await server.tick_at(hour, 1)
    assert len(channel_posts(server)) == before + 1  # one attempt in twelve hours
    assert await suspension(server) == reason
    (dm,) = server.admin.user.dm_channel.history()  # told once, by direct message
    assert "/mlq resume" in dm.embeds[0].description and reason in dm.embeds[0].description


async def test_a_deleted_channel_is_suspended(server: Server) -> None:
    await subscribe(server)
    server.env.inject_error(
        "*",
        f"/channels/{server.channel.id}*",
        status=404,
        code=10003,
        message="Unknown Channel",
        times=None,
    )
    await server.tick_at(9, 1)
    await server.tick_at(12, 1)
    assert await suspension(server) == "unknown_channel"


async def test_a_server_error_is_not_a_suspension(server: Server) -> None:
    await subscribe(server)
    server.env.inject_error("POST", f"/channels/{server.channel.id}/messages", status=500, times=1)
    await server.tick_at(9, 1)
    assert await suspension(server) is None
    await server.tick_at(9, 5)
    assert [m for m in server.channel.history() if m.embeds and m.components]
