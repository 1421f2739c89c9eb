"""Disputes, mlq admins and question reports on simulated Discord (simcord): buttons on
"My feedback", /mlq subcommands, DMs, and points in the database."""

from __future__ import annotations

import asyncio

import discord
from sqlalchemy import select

from adapters.discord import inbound
from storage import unit_of_work
from storage.models import Answer, Member
from tests.discord.conftest import Server, post_question


def question_of(server: Server, post: discord.Message):  # type: ignore[no-untyped-def]
    prompt = post.embeds[0].description
    return next(q for q in server.mlq.core.ctx.bank if q.prompt == prompt)


async def grades(server: Server) -> dict[str, tuple[float, int, bool]]:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        rows = await repo.session.execute(
            select(Member.display_name, Answer.score, Answer.points, Answer.best).join(
                Member, Member.id == Answer.member_id
            )
        )
        return {name: (score, pts, best) for name, score, pts, best in rows}


async def a_revealed_round(server: Server) -> discord.Message:
    """ben answers with one key point, cai with the model answer; then the reveal."""
    post, thread = await post_question(server)
    question = question_of(server, post)
    ben, cai = server.members[0], server.members[1]
    await ben.send(thread, f"Mainly: {question.key_points[0].text}.")
    await cai.send(thread, question.answer)
    await server.tick_at(17, 5)
    return post


def text(result) -> str:  # type: ignore[no-untyped-def]
    message = result.response
    return " ".join(
        [message.content or ""]
        + [(e.title or "") + " " + (e.description or "") for e in message.embeds]
        + [f.value for e in message.embeds for f in e.fields]
    )


async def test_dispute_button_raise_once_and_the_member_is_told(server: Server) -> None:
    post = await a_revealed_round(server)
    ben = server.members[0]
    before = await grades(server)
    feedback = await ben.click(post, label="My feedback")
    labels = [c["label"] for row in feedback.response.components for c in row.get("components", [])]
    assert labels == ["Dispute grade", "Report a problem with this question"]
    filed = await ben.click(feedback.response, label="Dispute grade")
    assert filed.ephemeral and "Dispute #1 is filed" in text(filed)
    # The admin who subscribed the channel gets the dispute by DM.
    dm = server.admin.user.dm_channel.last_message
    assert dm.embeds[0].title.startswith("Dispute #1")
    # Two admins resolve at the same moment (simcord runs one interaction at a time, so
    # the two interactions go to the core side by side as the bot would hand them over),
    # and the same interaction is delivered twice.
    where = inbound.address(server.guild.id, server.channel.id)
    alice = inbound.actor(server.admin.id, "alice", permissions=discord.Permissions.all())
    bo = inbound.actor(4343, "bo", permissions=discord.Permissions(manage_channels=True))
    first = inbound.command_invoked(where, alice, "resolve 1 score 100 same idea", 4242)
    second = inbound.command_invoked(where, bo, "resolve 1 score 100 same idea", 4243)
    replies = await asyncio.gather(*(server.mlq.core.dispatch(e) for e in (first, second, first)))
    shown = [" ".join(m.plain_text() for m in r) for r in replies]
    assert sum("grade raised to 100%" in t for t in shown) == 1
    assert sum("already resolved" in t for t in shown) == 1
    await server.env.settle()
    # A moderator (Manage Channels) trying later through Discord is told it is done.
    mods = server.guild.create_role(
        "Moderators", permissions=discord.Permissions(manage_channels=True)
    )
    mod = server.guild.add_member(server.env.create_user("mod"), roles=[mods])
    late = await mod.slash(server.channel, "mlq resolve", dispute=1, decision="keep")
    assert "already resolved" in text(late)
    after = await grades(server)
    assert after["ben"] == (1.0, 6, True)
    cai_best = after["cai"][0] >= 1.0
    assert after["cai"][2] == cai_best
    assert after["cai"][1] == before["cai"][1] - (0 if cai_best else 1)
    told = ben.user.dm_channel.last_message
    assert "raised your grade" in told.embeds[0].description
    board = await ben.slash(server.channel, "mlq leaderboard")
    assert "ben" in text(board)


async def test_a_lowered_grade_and_admins_on_discord(server: Server) -> None:
    await a_revealed_round(server)
    ben, cai, dia = server.members
    refused = await dia.slash(server.channel, "mlq disputes")
    assert "Only admins" in text(refused)
    added = await server.admin.slash(server.channel, "mlq admins", action="add", member=dia)
    assert "can now configure" in text(added)
    assert "dia" in text(await ben.slash(server.channel, "mlq admins"))
    filed = await cai.slash(server.channel, "mlq dispute", reason="please check")
    assert "filed" in text(filed)
    lowered = await dia.slash(
        server.channel, "mlq resolve", dispute=1, decision="points", value="none", why="copied"
    )
    assert "grade lowered to 0%" in text(lowered)
    after = await grades(server)
    assert after["cai"] == (0.0, 1, False) and after["ben"][2]
    await server.admin.slash(server.channel, "mlq admins", action="remove", member=dia)
    assert "Only admins" in text(await dia.slash(server.channel, "mlq disputes"))


async def test_manage_channels_in_one_channel_makes_an_admin_there_only(server: Server) -> None:
    dia = server.members[2]
    own = server.guild.create_text_channel(
        "dia-study", overwrites={dia: discord.PermissionOverwrite(manage_channels=True)}
    )
    await dia.slash(own, "mlq subscribe")
    assert own.last_message.embeds[0].description.startswith("This channel is subscribed.")
    refused = await dia.slash(server.channel, "mlq subscribe")
    assert "Only admins" in text(refused)


async def test_report_and_retire_on_discord(server: Server) -> None:
    post = await a_revealed_round(server)
    ben = server.members[0]
    feedback = await ben.click(post, label="My feedback")
    reported = await ben.click(feedback.response, label="Report a problem with this question")
    assert "reported" in text(reported)
    await ben.slash(server.channel, "mlq report", reason="the answer is outdated @everyone")
    listed = await server.admin.slash(server.channel, "mlq reports")
    assert "outdated" in text(listed)
    retired = await server.admin.slash(server.channel, "mlq reports", retire="#1")
    assert "retired" in text(retired)
