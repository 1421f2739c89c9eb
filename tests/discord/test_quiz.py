"""Quiz rounds on Discord, through the real discord.py client against simcord: the options
as a select menu (multi-select for "select all that apply"), a private pick confirmed by
an ephemeral response, a change of pick, the reveal with votes and whys, a stale menu."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.clock import ManualClock
from storage import unit_of_work
from storage.models import Answer
from tests.discord.conftest import START, Mlq, Server, subscribe
from tests.harness import make_core
from tests.quiz_bank import NUMERIC, SEVERAL, SINGLE, bank_of


@pytest.fixture
def quiz_questions() -> tuple:
    return (SINGLE,)


@pytest.fixture
async def mlq(db_url: str, quiz_questions: tuple) -> AsyncIterator[Mlq]:
    adapter = DiscordAdapter()
    clock = ManualClock(START)
    core = make_core(
        db_url, adapter, clock, instance_id="discord-test", bank=bank_of(*quiz_questions)
    )
    yield Mlq(core, adapter, clock)
    await core.ctx.db.dispose()


async def post_quiz(server: Server) -> discord.Message:
    await subscribe(server)
    await server.admin.slash(server.channel, "mlq formats", mode="quiz")
    told = [m for m in server.channel.history() if m.embeds]
    assert any("now quiz" in (m.embeds[0].description or "") for m in told)
    await server.tick_at(9, 1)
    [post] = [m for m in server.channel.history() if m.embeds and m.components]
    return post


def menu_of(post: discord.Message) -> discord.SelectMenu:
    return next(
        c for row in post.components for c in row.children if isinstance(c, discord.SelectMenu)
    )


def text_of(message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
        parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(parts)


def said(result) -> str:
    """What the person was told: the response and its follow-ups."""
    messages = [result.response] if result.response is not None else []
    return "\n".join(text_of(m) for m in [*messages, *result.followups])


async def answers(server: Server) -> list[Answer]:
    from sqlalchemy import select

    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        return list(await repo.session.scalars(select(Answer).order_by(Answer.id)))


async def test_a_pick_is_private_can_change_and_the_reveal_shows_votes(server: Server) -> None:
    post = await post_quiz(server)
    menu = menu_of(post)
    assert [o.label for o in menu.options] == ["A. Sigmoid", "B. Tanh", "C. ReLU"]
    assert menu.max_values == 1
    ben, cai = server.members[0], server.members[1]

    picked = await ben.select(post, ["1"], custom_id=menu.custom_id)
    assert picked.ephemeral
    shown = said(picked)
    assert "Your pick · B" in shown and "Right:" not in shown
    changed = await ben.select(post, ["2"], custom_id=menu.custom_id)
    assert "changed to **C**" in said(changed)
    await cai.select(post, ["0"], custom_id=menu.custom_id)
    stored = await answers(server)
    assert sorted(a.text for a in stored) == ["A", "C"]

    await server.tick_at(17, 1)
    [thread] = server.channel.threads
    [reveal] = [m for m in thread.history() if m.embeds and m.embeds[0].title == "Answer"]
    shown = text_of(reveal)
    assert "Answer: C: ReLU" in shown
    assert "it is negative for negative inputs" in shown
    assert "**A**: 1 vote" in shown and "**C** ✓: 1 vote" in shown
    assert "ben: 6 points" in shown and "cai: 1 point" in shown
    # The menu after the reveal: the pick is refused, the points stand.
    late = await ben.select(post, ["0"], custom_id=menu.custom_id)
    assert "closed" in said(late)
    assert {a.text: a.points for a in await answers(server)} == {"C": 6, "A": 1}


@pytest.mark.parametrize("quiz_questions", [(SEVERAL,)])
async def test_select_all_that_apply_is_a_multi_select(server: Server) -> None:
    post = await post_quiz(server)
    menu = menu_of(post)
    assert (menu.min_values, menu.max_values) == (1, 4)
    ben = server.members[0]
    picked = await ben.select(post, ["0", "2"], custom_id=menu.custom_id)
    assert "Your pick · A, C" in said(picked)
    [stored] = await answers(server)
    assert stored.text == "A, C" and stored.score == 1.0


@pytest.mark.parametrize("quiz_questions", [(NUMERIC,)])
async def test_a_number_typed_in_the_thread_is_read_and_odd_ones_kept(server: Server) -> None:
    post = await post_quiz(server)
    assert not any(isinstance(c, discord.SelectMenu) for r in post.components for c in r.children)
    [thread] = server.channel.threads
    ben, cai = server.members[0], server.members[1]
    await ben.send(thread, "about 512 MiB")
    await cai.send(thread, "300 ms")
    await server.env.settle()
    stored = await answers(server)
    assert {a.text: a.score for a in stored} == {"about 512 MiB": 1.0, "300 ms": 0.0}


async def test_practice_quiz_is_graded_at_once(server: Server) -> None:
    ben = server.members[0]
    result = await ben.slash(server.channel, "mlq practice", format="quiz")
    question = result.response
    assert question is not None and question.ephemeral
    [menu] = [
        c for row in question.components for c in row["components"] if c["type"] == 3
    ]  # a string select, as the raw payload
    assert menu["custom_id"].startswith("mlq:pick:")
    graded = await ben.select(question, ["2"], custom_id=menu["custom_id"])
    shown = said(graded)
    assert "Right" in shown and "Explanation" in shown
