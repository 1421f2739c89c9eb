"""The first hour with mlq (issue 14): the demo a new team runs, the console it plays with.

- ``mlq demo`` marks its days, shows the private feedback a member gets, and its simulated
  teammates answer differently (complete, partial, wrong, short), none a near copy;
- the console renders the neutral markdown (bold, code, lists) instead of printing it raw,
  and a one-item list is a list, not run into its field's name;
- a restarted console shows the question still open and keeps a practice question asked
  before the restart.
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.adapter import ConsoleAdapter
from adapters.console.render import to_text
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import TEAM, run_demo, simulated_answer
from bot.grading import grade_answer
from bot.messages import Field, Message, Visibility
from tests.harness import shared_bank


async def test_the_demo_marks_days_shows_private_feedback_and_varied_answers():
    out = io.StringIO()
    assert await run_demo(6, 1, out) is True
    text = out.getvalue()
    days = re.findall(r"^—— (\w+day) (\d+) January 2026 ——$", text, re.M)
    assert days[:3] == [("Monday", "5"), ("Tuesday", "6"), ("Wednesday", "7")]
    assert "(only you) Your grade" in text  # Ada's, the member whose view the demo shows
    assert "the private messages shown are Ada's" in text
    assert "too close to an earlier answer" not in text
    assert "very close to an answer someone gave" not in text
    answers = re.findall(r"^  (\w+) answers: (.*)$", text, re.M)
    assert len({name for name, _ in answers}) == len(TEAM)
    assert len({body for _, body in answers}) == len(answers)


def test_simulated_teammates_answer_complete_partial_wrong_and_short():
    bank = shared_bank()
    rng = random.Random(3)
    questions = [q for q in bank if len(q.key_points) >= 4][:25]
    by_style: dict[str, list[float]] = {}
    for question in questions:
        other = next(q for q in bank if q.topic == question.topic and q.id != question.id)
        earlier: list[str] = []
        for mate in TEAM:
            text = simulated_answer(question, mate, rng, other)
            grade = grade_answer(question, text, round_answers=earlier)
            assert "near_copy" not in grade.flags, (mate.name, question.id, text)
            by_style.setdefault(mate.style, []).append(grade.score)
            earlier.append(text)

    def mean(style: str) -> float:
        return sum(by_style[style]) / len(by_style[style])

    assert mean("complete") > mean("partial") > mean("wrong")
    assert mean("complete") > mean("short")


def test_the_console_renders_markdown_instead_of_printing_it():
    message = Message(
        "You earned **3 points** with `k=5`; a \\*starred\\* word stays as typed.",
        title="Your grade",
        fields=(Field("Covered", "- the only point"), Field("Missed", "- one\n- two")),
        visibility=Visibility.PRIVATE,
    )
    text = to_text(message, color=False)
    assert "You earned 3 points with k=5; a *starred* word stays as typed." in text
    assert "**" not in text and "`" not in text and "\\" not in text
    assert "Covered:\n • the only point" in text  # a one-item list is still a list
    assert "Missed:\n • one\n • two" in text
    coloured = to_text(message, color=True)
    assert "\x1b[1m3 points\x1b[0m" in coloured


async def _session(db_url: str, now: datetime) -> tuple[ConsoleSession, io.StringIO, object]:
    out = io.StringIO()
    adapter = ConsoleAdapter(out, color=False, viewer="you")
    clock = ManualClock(now)
    built = await build_app(Settings(MLQ_DATABASE_URL=db_url), adapter, clock=clock, migrate=False)
    session = ConsoleSession(built, adapter, clock)
    await session.start()
    return session, out, built


async def test_a_restarted_console_shows_the_open_question_and_keeps_a_practice_one(db_url):
    first, out, built = await _session(db_url, datetime(2026, 3, 1, 7, 0, tzinfo=UTC))
    await first.handle("/next")  # Monday 09:00: the daily question
    question = re.search(r"Question of the day · .*\n(.*)\n", out.getvalue()).group(1)
    await first.handle("/mlq")  # a practice question, not answered before quitting
    practice = re.search(r"\(only you\) (Practice|Review) · .*\n(.*)\n", out.getvalue())
    await built.close()

    again, out, built = await _session(db_url, datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    try:
        shown = out.getvalue()
        assert "Question of the day" in shown and question in shown
        assert practice.group(2) in shown
        assert again.adapter.pending_practice is not None
        await again.handle("Some practice answer about the trade-off and the data.")
        assert "(only you) Your grade" in out.getvalue() or "Score" in out.getvalue()
        assert again.adapter.pending_practice is None
        await again.handle("Bias comes from wrong assumptions, variance from the sample.")
        assert "answer received" in out.getvalue()  # the daily question takes it
    finally:
        await built.close()


REPO = Path(__file__).resolve().parent.parent
_CODE = re.compile(r"`([^`\n]+)`|^```[a-z]*\n(.*?)^```", re.M | re.S)


def _commands_typed(text: str) -> list[str]:
    """Inline code and fenced lines that start with the ``mlq`` command."""
    found = []
    for inline, fenced in _CODE.findall(text):
        lines = [inline] if inline else fenced.splitlines()
        found += [line.strip() for line in lines if re.match(r"\s*(\S+\|\s*)?mlq\s", line)]
        found += [line.strip() for line in lines if re.search(r"\|\s*mlq\s", line)]
    return found


def test_the_docs_say_the_venv_mlq_the_readme_installs():
    readme = (REPO / "README.md").read_text()
    outside_docker = re.sub(r"^## Docker\n.*?(?=^## )", "", readme, flags=re.M | re.S)
    for name, text in [
        ("README.md", outside_docker),
        *((p.name, p.read_text()) for p in (REPO / "docs").glob("*.md")),
    ]:
        assert _commands_typed(text) == [], name
    assert "`.venv/bin/mlq demo --days 5 --seed 1`" in readme


def test_docs_discord_lists_every_slash_subcommand():
    source = (REPO / "adapters" / "discord" / "commands.py").read_text()
    names = re.findall(r'@app_commands\.command\(name="([a-z-]+)"', source)
    assert "team-streak" in names
    doc = (REPO / "docs" / "discord.md").read_text()
    missing = [n for n in names if f"/mlq {n}" not in doc and f"`{n}`" not in doc]
    assert missing == []


async def test_discord_never_suggests_a_command_it_does_not_have(db_url: str):
    from adapters.discord.adapter import DiscordAdapter
    from adapters.memory import MemoryAdapter
    from bot.events import ChannelAddress, CommandInvoked
    from tests.harness import ADMIN, make_core

    class DiscordForms(MemoryAdapter):
        command_forms = DiscordAdapter.command_forms

    core = make_core(db_url, DiscordForms("discord"), ManualClock(datetime(2026, 3, 2, tzinfo=UTC)))
    try:
        where = ChannelAddress("discord", "G1", "C1")
        [reply] = await core.dispatch(CommandInvoked(where, ADMIN, "astrology"))
        assert "neither a command nor a topic" in reply.body
        assert "`/mlq practice deep-learning`" in reply.body
        assert "`/mlq deep-learning`" not in reply.body
    finally:
        await core.ctx.db.dispose()


def test_the_readme_counts_the_bank_that_ships():
    """The README said 255 questions in 15 topics long after the bank had grown to more
    than that (quizzes and eight new topics): a newcomer's first `/mlq topics` disagreed."""
    readme = " ".join((REPO / "README.md").read_text().split())
    bank = shared_bank()
    formats = Counter(q.format.value for q in bank)
    quizzes = formats["choice"] + formats["numeric"]
    expected = (
        f"There are {len(bank)} questions in {len(bank.topics())} topics, each at difficulty "
        f"1–3: {formats['open']} open questions and {quizzes} quizzes "
        f"({formats['choice']} multiple choice, {formats['numeric']} numeric)."
    )
    assert expected in readme


async def test_the_demo_opens_with_what_it_is():
    """The demo's first lines were the bot's 'This channel is subscribed' reply, and the
    line saying what the demo shows came after it."""
    out = io.StringIO()
    assert await run_demo(1, 1, out) is True
    assert out.getvalue().startswith("mlq demo: a simulated team in #ml-study.")
    assert "This channel is subscribed" in out.getvalue()
