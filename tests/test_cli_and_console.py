"""The commands a new user types: mlq demo, mlq db, and the console session."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.console.adapter import ConsoleAdapter
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.cli import app
from bot.clock import ManualClock
from bot.config import Settings
from storage import unit_of_work
from storage.models import Answer

runner = CliRunner()


def test_demo_is_deterministic_for_a_seed_and_shows_the_whole_loop(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(app, ["demo", "--days", "5", "--seed", "7"])
    second = runner.invoke(app, ["demo", "--days", "5", "--seed", "7"])
    other = runner.invoke(app, ["demo", "--days", "5", "--seed", "8"])
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    assert first.output != other.output
    for expected in (
        "Question of the day",
        "answers:",
        "Model answer",
        "Points:",
        "Weekly digest",
        "Leaderboard · all time",
    ):
        assert expected in first.output
    assert first.output.count("Question of the day") == 5


def test_db_upgrade_and_backup_of_a_live_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLQ_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    writer = sqlite3.connect(tmp_path / "live.db")
    writer.execute(
        "INSERT INTO workspace (platform, external_id, created_at) "
        "VALUES ('console', 'w', '2026-01-01 00:00:00')"
    )
    writer.commit()
    backup = runner.invoke(app, ["db", "backup", str(tmp_path / "copy.db")])
    writer.close()
    assert backup.exit_code == 0, backup.output
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM workspace").fetchone() == (1,)
    copy.close()
    again = runner.invoke(app, ["db", "backup", str(tmp_path / "copy.db")])
    assert again.exit_code == 2 and "exists" in again.output


def test_backup_refuses_postgres_with_a_pointer_to_pg_dump(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLQ_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
    result = runner.invoke(app, ["db", "backup", "x.db"])
    assert result.exit_code == 2 and "pg_dump" in result.output


def test_settings_never_print_tokens(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    settings = Settings()
    assert "xoxb-secret-value" not in repr(settings)
    assert "xoxb-secret-value" not in str(settings.model_dump())
    assert settings.default_platform() == "slack"


def test_no_tokens_means_the_console(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().default_platform() == "console"


@pytest.fixture
async def console(db_url: str):
    out = io.StringIO()
    clock = ManualClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    adapter = ConsoleAdapter(out, color=False, viewer="you")
    settings = Settings(MLQ_DATABASE_URL=db_url)
    built = await build_app(settings, adapter, clock=clock, migrate=False)
    session = ConsoleSession(built, adapter, clock)
    await session.start()
    yield session, out
    await built.close()


async def test_console_session_runs_the_loop_by_typed_lines(console):
    session, out = console
    assert "/next" in out.getvalue()
    await session.handle("/next")  # 09:00 Monday: the daily question
    assert "Question of the day" in out.getvalue()
    await session.handle("I would start with a baseline and validate it properly.")
    assert "answer received" in out.getvalue()
    assert "(only you) Your grade" in out.getvalue()
    await session.handle("/next")  # the reveal
    assert "Model answer" in out.getvalue()
    await session.handle("/mlq stats")
    assert "Daily answers: 1" in out.getvalue()
    await session.handle("/mlq")  # practice question, then answer it
    await session.handle("Some practice answer text.")
    assert "Practice answers: 1" not in out.getvalue()
    await session.handle("/mlq stats")
    assert "Practice answers: 1" in out.getvalue()
    await session.handle("/mlq schedule 25:99 UTC")
    assert "HH:MM" in out.getvalue()
    await session.handle("/bogus")
    assert "unknown console command" in out.getvalue()
    assert await session.handle("/quit") is False


async def test_console_answer_with_no_open_question_says_what_to_do(console):
    session, out = console
    await session.handle("an answer to nothing")
    assert "No question is open" in out.getvalue()


async def test_a_restarted_console_resumes_its_day_and_its_open_question(db_url: str):
    """Quit with the daily question open, start again (the real clock is earlier than the
    simulated one): the session carries on at the last post and takes the answer."""

    async def session_at(real_now: datetime) -> tuple[ConsoleSession, io.StringIO, object]:
        out = io.StringIO()
        clock = ManualClock(real_now)
        adapter = ConsoleAdapter(out, color=False, viewer="you")
        built = await build_app(
            Settings(MLQ_DATABASE_URL=db_url), adapter, clock=clock, migrate=False
        )
        session = ConsoleSession(built, adapter, clock)
        await session.start()
        return session, out, built

    first, out, built = await session_at(datetime(2026, 3, 1, 7, 0, tzinfo=UTC))  # a Sunday
    await first.handle("/next")  # Monday 09:00: the question
    assert "Question of the day" in out.getvalue()
    await built.close()

    again, out, built = await session_at(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    try:
        assert "resuming at Mon 2026-03-02 09:00" in out.getvalue()
        await again.handle("Bias comes from wrong assumptions, variance from the sample.")
        assert "No question is open" not in out.getvalue()
        assert "answer received" in out.getvalue()
    finally:
        await built.close()


async def test_an_answer_after_a_restart_is_never_taken_for_an_earlier_one(db_url: str):
    """Each session numbered its messages from 1 again, so the first answers typed after a
    restart carried the ids of the last session's answers: taken for redeliveries, they
    were dropped without a word and the new text was lost."""
    sunday = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)

    async def session() -> tuple[ConsoleSession, io.StringIO, object]:
        out = io.StringIO()
        adapter = ConsoleAdapter(out, color=False, viewer="you")
        clock = ManualClock(sunday)
        built = await build_app(
            Settings(MLQ_DATABASE_URL=db_url), adapter, clock=clock, migrate=False
        )
        started = ConsoleSession(built, adapter, clock)
        await started.start()
        return started, out, built

    first, out, built = await session()
    await first.handle("/next")
    await first.handle("Bias is error from wrong assumptions.")
    assert "answer received" in out.getvalue()
    await built.close()

    again, out, built = await session()
    try:
        shown = len(out.getvalue())
        await again.handle("Perplexity is the exponential of the cross-entropy per token.")
        assert "answer updated" in out.getvalue()[shown:]
        async with unit_of_work(built.db) as repo:
            texts = (await repo.session.scalars(select(Answer.text))).all()
        assert texts == ["Perplexity is the exponential of the cross-entropy per token."]
    finally:
        await built.close()


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("/mlq stats <!everyone>", "'everyone' is not a member mention"),
        ("/mlq *bold", "'*bold' is neither a command nor a topic"),
        ("/mlq schedule 09:30 `Mars` mon", "'`Mars`' is not a known time zone"),
        ("/mlq digest _fri_ 16:00", "'_fri_' is not a day"),
        ("/mlq resolve <@U1> keep", "'@U1' is not a dispute number"),
    ],
)
async def test_a_command_error_shows_the_words_typed(console, typed, shown):
    """The words of a bad command were put into the reply as markdown: a terminal showed
    `<!everyone>` as '' and `*bold` lost its star, so the reply hid what was wrong."""
    session, out = console
    await session.handle(typed)
    assert shown in " ".join(out.getvalue().split())


@pytest.mark.parametrize("slip", ["", "   ", "\u200b"])
async def test_an_empty_line_leaves_the_practice_question_open(console, slip):
    """Enter pressed by mistake under a practice question used it up: the answer typed
    next went to "No question is open" and was lost."""
    session, out = console
    await session.handle("/mlq")
    await session.handle(slip)
    assert "empty" in out.getvalue()
    await session.handle("Dropout zeroes random activations during training.")
    assert "No question is open" not in out.getvalue()
    await session.handle("/mlq stats")
    assert "Practice answers: 1" in out.getvalue()


async def test_advancing_the_clock_by_an_absurd_amount_is_refused(console):
    session, out = console
    await session.handle("/advance 9999999999d")
    assert "usage: /advance 2h" in out.getvalue()
    await session.handle("/mlq reveal-after 9999999999d")
    assert "out of range" in out.getvalue() and "went wrong" not in out.getvalue()


@pytest.mark.parametrize("typed", ["/mlq\tstats", "/MLQ stats", "  /Mlq   stats  "])
async def test_the_mlq_prefix_is_read_whatever_its_case_or_spacing(console, typed):
    """These were answered "unknown console command '/mlq'", the one command that exists."""
    session, out = console
    await session.handle(typed)
    assert "unknown console command" not in out.getvalue()
    assert "Stats · you" in out.getvalue()


async def test_mlq_with_a_tab_and_a_space_in_its_arguments(console):
    session, out = console
    await session.handle("/mlq\tleaderboard all")
    assert "Leaderboard · all time" in out.getvalue()


def test_backup_to_a_folder_that_does_not_exist_is_one_line(tmp_path, monkeypatch):
    """It ended in a traceback (sqlite3.OperationalError: unable to open database file)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLQ_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "backup", str(tmp_path / "no" / "such" / "copy.db")])
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert "no such folder" in line and str(tmp_path / "no" / "such") in line


async def test_retire_a_report_numbered_with_a_superscript_is_no_crash(console):
    session, out = console
    await session.handle("/mlq retire #²")
    assert "went wrong" not in out.getvalue()
    assert "no report" in out.getvalue().lower() or "not a" in out.getvalue()
