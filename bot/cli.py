"""The ``mlq`` command line: run the bot, a demo, database chores, the question bank."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import os
import pkgutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any

import typer
import typer.core
from sqlalchemy.engine import make_url

from bot.cli_bank import bank_app
from bot.config import EXAMPLES, Settings, SettingsError, load_settings

EXAMPLE_HEARTBEAT = EXAMPLES["MLQ_HEARTBEAT_FILE"]


def _hide_flag_types() -> None:
    """Recent typer prints ``<bool>`` after every flag in --help (``--help <bool>``); a flag
    takes no value, so show no type for it. Options that take a value keep theirs."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "_mlq_flags_hidden", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._mlq_flags_hidden = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_types()

app = typer.Typer(
    help="mlq: a daily ML interview study group for Slack, Discord and the terminal.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        try:
            number = metadata.version("mlq")
        except metadata.PackageNotFoundError:  # run from a source tree, not installed
            number = "unknown"
        typer.echo(f"mlq {number}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """mlq: a daily ML interview study group for Slack, Discord and the terminal."""


db_app = typer.Typer(help="Database chores.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(bank_app, name="bank")


def _mount_platform_clis() -> None:
    """A platform may add commands: ``adapters/<name>/cli.py`` exposing ``<name>_app``."""
    import adapters

    for info in pkgutil.iter_modules(adapters.__path__):
        if importlib.util.find_spec(f"adapters.{info.name}.cli") is None:
            continue
        module = importlib.import_module(f"adapters.{info.name}.cli")
        sub_app = getattr(module, f"{info.name}_app", None)
        if isinstance(sub_app, typer.Typer):
            app.add_typer(sub_app, name=info.name)


_mount_platform_clis()


class SlackMode(StrEnum):
    SOCKET = "socket"
    HTTP = "http"


class Platform(StrEnum):
    AUTO = "auto"
    CONSOLE = "console"
    SLACK = "slack"
    DISCORD = "discord"


def _settings() -> Settings:
    """The settings, or one line per bad variable on stderr and exit code 2 (no traceback)."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


NO_TOKENS = (
    "no Slack or Discord token is set and there is no terminal for the console: set "
    "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack, docs/slack.md) or DISCORD_TOKEN "
    "(docs/discord.md), or run with a terminal (docker run -it), or run `mlq run "
    "--platform console` to read console commands from a pipe"
)


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that cannot be opened is one line and exit code 1, not a traceback."""
    from storage.db import DatabaseUnavailable

    try:
        yield
    except DatabaseUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # SQLAlchemy and the SDKs are chatty at INFO; their warnings still show.
    for noisy in ("sqlalchemy", "aiosqlite", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def run(
    platform: Platform = typer.Option(
        Platform.AUTO,
        help="auto picks Slack or Discord when their tokens are set, else the console.",
    ),
    mode: SlackMode = typer.Option(
        SlackMode.SOCKET, help="Slack only: socket (Socket Mode, no public URL) or http."
    ),
    port: int = typer.Option(3000, help="Slack HTTP mode: the port to listen on."),
    heartbeat_file: Path | None = typer.Option(
        None, help="Touch this file after every tick (overrides MLQ_HEARTBEAT_FILE)."
    ),
    host: str = typer.Option(
        "0.0.0.0",
        help="Slack HTTP mode: the address to listen on. The default, every interface, is "
        "what a container needs; 127.0.0.1 keeps it to this machine (behind a proxy).",
    ),
) -> None:
    """Run the bot. With no tokens set, a terminal session on ./mlq.db (in a terminal)."""
    settings = _settings()
    if heartbeat_file is not None:
        settings = settings.model_copy(update={"heartbeat_file": heartbeat_file})
    beat = settings.heartbeat_file
    if beat is not None and not beat.parent.is_dir():
        # The one in effect (--heartbeat-file wins), found now rather than at every tick.
        given = "--heartbeat-file " if heartbeat_file is not None else "MLQ_HEARTBEAT_FILE="
        typer.echo(
            f"bad setting {given}{str(beat)!r}: the folder {beat.parent} does not exist "
            f"(for example {given}{EXAMPLE_HEARTBEAT})",
            err=True,
        )
        raise typer.Exit(2)
    chosen = settings.default_platform() if platform == Platform.AUTO else platform.value
    if chosen == "console" and platform == Platform.AUTO and not stdin_is_terminal():
        # A container or service with no token set: the console would read nothing and quit.
        typer.echo(NO_TOKENS, err=True)
        raise typer.Exit(2)
    _setup_logging(settings, quiet=chosen == "console")
    if chosen == "console":
        from adapters.console.runner import serve_console

        try:
            with _database_errors():
                finished = asyncio.run(serve_console(settings))
        except KeyboardInterrupt:  # Ctrl-C: the database is closed already; just leave
            typer.echo("")
            raise typer.Exit(130) from None
        if not finished:
            _drop_closed_stdout()
        return
    # A platform is a package under adapters/ with a runner exposing ``serve``.
    runner = importlib.import_module(f"adapters.{chosen}.runner")
    with _database_errors():
        asyncio.run(runner.serve(settings, mode=mode.value, port=port, host=host))


@app.command()
def doctor(
    platform: Platform = typer.Option(
        Platform.AUTO, help="auto picks Slack or Discord when their tokens are set."
    ),
    mode: SlackMode = typer.Option(SlackMode.SOCKET, help="Slack only: socket or http."),
) -> None:
    """Check the tokens, scopes, intents and every subscribed channel's access; print one
    line per problem with its fix. Exit 0 when there is none, 1 otherwise."""
    settings = _settings()
    chosen = settings.default_platform() if platform == Platform.AUTO else platform.value
    if chosen == "console":
        typer.echo("no Slack or Discord token is set: nothing to check", err=True)
        raise typer.Exit(2)
    _setup_logging(settings, quiet=True)
    # A platform's checks live in adapters/<name>/doctor.py, exposing ``doctor``.
    checks = importlib.import_module(f"adapters.{chosen}.doctor")
    try:
        problems = asyncio.run(checks.doctor(settings, mode=mode.value))
    except Exception as exc:  # e.g. the network: say so in one line
        typer.echo(
            f"mlq doctor: could not finish the checks: {type(exc).__name__}: {exc}", err=True
        )
        raise typer.Exit(1) from None
    for problem in problems:
        typer.echo(problem.line())
    if problems:
        raise typer.Exit(1)
    typer.echo(f"ok: no problem found on {chosen}")


@app.command()
def demo(
    days: int = typer.Option(5, min=1, max=60, help="How many scheduled days to simulate."),
    seed: int = typer.Option(1, help="Same seed, same demo."),
) -> None:
    """Simulate N days of a team channel and print what the bot says."""
    from bot.demo import run_demo

    logging.basicConfig(level=logging.ERROR)
    if not asyncio.run(run_demo(days, seed, sys.stdout)):
        _drop_closed_stdout()


def _drop_closed_stdout() -> None:
    """The reader closed our output (``mlq demo | head``): that is a normal end. Point
    stdout at /dev/null so the interpreter's final flush does not report a broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done at every start)."""
    from storage.migrate import upgrade_sync

    settings = _settings()
    with _database_errors():
        upgrade_sync(settings.database_url)
    typer.echo(f"database is up to date: {make_url(settings.database_url).render_as_string()}")


@db_app.command("backup")
def db_backup(path: Path = typer.Argument(..., help="Where to write the copy.")) -> None:
    """Write a consistent copy of a live SQLite database (safe while the bot runs)."""
    settings = _settings()
    url = make_url(settings.database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        typer.echo("backup works on SQLite files; for PostgreSQL use pg_dump", err=True)
        raise typer.Exit(2)
    source_path = Path(url.database)
    if not source_path.exists():
        typer.echo(f"no database at {source_path}", err=True)
        raise typer.Exit(2)
    if path.exists():
        typer.echo(f"{path} exists; choose a new file name", err=True)
        raise typer.Exit(2)
    if not path.parent.is_dir():
        typer.echo(f"no such folder {path.parent}; make it first or choose another", err=True)
        raise typer.Exit(2)
    # SQLite's online backup API copies page by page under the right locks.
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    typer.echo(f"backed up {source_path} to {path}")


@app.command()
def health(
    max_age: int = typer.Option(
        120, help="Seconds since the last scheduler tick that still count as healthy."
    ),
    heartbeat_file: Path | None = typer.Option(
        None, help="The file `mlq run` touches (overrides MLQ_HEARTBEAT_FILE)."
    ),
    fail_on_suspended: bool = typer.Option(
        False, help="Also fail when a channel is suspended (the platform refused the bot)."
    ),
) -> None:
    """Exit 0 if the bot's scheduler ticked recently (reads MLQ_HEARTBEAT_FILE); lists the
    channels suspended because the platform refused the bot there."""
    settings = _settings()
    path = heartbeat_file or settings.heartbeat_file
    if path is None:
        typer.echo("MLQ_HEARTBEAT_FILE is not set; nothing to check", err=True)
        raise typer.Exit(2)
    try:
        beat = datetime.fromisoformat(path.read_text().strip())
    except (OSError, ValueError):
        typer.echo(f"no heartbeat in {path} yet", err=True)
        raise typer.Exit(1) from None
    age = (datetime.now(UTC) - beat).total_seconds()
    if age > max_age:
        typer.echo(f"last tick {age:.0f}s ago (limit {max_age}s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: last tick {age:.0f}s ago")
    suspended = _suspended_channels(settings.database_url)
    for line in suspended:
        typer.echo(line)
    if suspended and fail_on_suspended:
        raise typer.Exit(1)


def _suspended_channels(url: str) -> list[str]:
    """One line per suspended channel (restarting the bot would not help them, so they only
    fail the check with --fail-on-suspended); unreadable database: a note, no failure."""
    from storage import Database, unit_of_work

    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and (
        not parsed.database or not Path(parsed.database).exists()
    ):
        return []  # no database yet (and the check must not create one)

    async def read() -> list[str]:
        db = Database(url)
        try:
            async with unit_of_work(db) as repo:
                rows = await repo.suspended_channels()
        finally:
            await db.dispose()
        return [
            f"suspended: {r.platform} {r.workspace_external_id}/{r.channel.external_id} since "
            f"{r.channel.suspended_at:%Y-%m-%d %H:%M} UTC: {r.channel.suspended_reason} "
            "(fix access, then /mlq resume there)"
            for r in rows
        ]

    try:
        return asyncio.run(asyncio.wait_for(read(), timeout=10))
    except Exception as exc:
        return [f"note: could not read suspended channels: {type(exc).__name__}"]


def main() -> None:
    app()
