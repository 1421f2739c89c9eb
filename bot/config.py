"""Settings from the environment and ``.env``. Tokens are secrets: never logged or printed.

An empty value means "unset" for every setting: ``.env.example`` lists every variable with an
empty value, and ``docker run --env-file`` passes those empty strings on, so an empty string
must never become a value (an int that fails to parse, ``Path('.')``, a database URL).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# What a good value looks like, quoted in the one-line error for a bad one.
EXAMPLES: dict[str, str] = {
    "MLQ_DATABASE_URL": "postgresql+asyncpg://mlq:password@db:5432/mlq",
    "MLQ_DATA_DIR": "/data",
    "MLQ_BANK_PATHS": "banks/team.yaml",
    "MLQ_LOG_LEVEL": "INFO",
    "MLQ_TICK_SECONDS": "30",
    "MLQ_LEASE_SECONDS": "120",
    "MLQ_DISPUTE_WINDOW_HOURS": "48",
    "MLQ_INSTANCE_ID": "bot-1",
    "MLQ_HEARTBEAT_FILE": "/tmp/mlq.heartbeat",
    "MLQ_CONSOLE_CHANNEL": "general",
    "MLQ_CONSOLE_USER": "you",
    "SLACK_BOT_TOKEN": "xoxb-...",
    "SLACK_APP_TOKEN": "xapp-...",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
    "SLACK_CLIENT_ID": "1234567890.1234567890",
    "SLACK_CLIENT_SECRET": "...",
    "SLACK_API_URL": "https://slack.com/api/",
    "DISCORD_TOKEN": "MTA...",
    "DISCORD_GUILD_ID": "123456789012345678",
    "DISCORD_SHARD_COUNT": "4",
    "DISCORD_SHARD_IDS": "0,2-3",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """Bad settings, as one line per bad variable (variable, value, an example)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Unset: ``mlq.db`` in ``data_dir``. The one variable that moves the database.
    database_url: str = Field(default="", validation_alias="MLQ_DATABASE_URL")
    # Where the default SQLite file lives (unset: the current folder). The Docker image sets
    # /data, its volume; it is not a setting users need.
    data_dir: Path | None = Field(default=None, validation_alias="MLQ_DATA_DIR")
    bank_paths: str = Field(default="", validation_alias="MLQ_BANK_PATHS")
    log_level: str = Field(default="INFO", validation_alias="MLQ_LOG_LEVEL")
    tick_seconds: float = Field(default=30.0, gt=0, validation_alias="MLQ_TICK_SECONDS")
    # How long a claimed post, reveal or digest is its claimer's before another copy may
    # take it over; recovery then checks the platform before it sends again.
    lease_seconds: float = Field(default=120.0, gt=0, validation_alias="MLQ_LEASE_SECONDS")
    instance_id: str = Field(default="", validation_alias="MLQ_INSTANCE_ID")
    # How long after a round's reveal its grades may still be disputed (bot/disputes).
    dispute_window_hours: float = Field(
        default=48.0, ge=0, le=24 * 30, validation_alias="MLQ_DISPUTE_WINDOW_HOURS"
    )
    heartbeat_file: Path | None = Field(default=None, validation_alias="MLQ_HEARTBEAT_FILE")
    console_channel: str = Field(default="general", validation_alias="MLQ_CONSOLE_CHANNEL")
    console_user: str = Field(default="you", validation_alias="MLQ_CONSOLE_USER")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_CLIENT_SECRET"
    )
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_guild_id: int | None = Field(default=None, validation_alias="DISCORD_GUILD_ID")
    discord_shard_count: int | None = Field(
        default=None, gt=0, validation_alias="DISCORD_SHARD_COUNT"
    )
    discord_shard_ids: str | None = Field(default=None, validation_alias="DISCORD_SHARD_IDS")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_unset(cls, data: Any) -> Any:
        # ``env_ignore_empty`` covers the environment; this covers ``.env`` and keyword
        # arguments too, so every source treats "VAR=" (or blanks) as not set.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_secret",
        "discord_token",
        mode="before",
    )
    @classmethod
    def _one_clean_token(cls, value: Any) -> Any:
        # Checked here, not left to the platform: a token pasted with a space or quotes
        # inside comes back from Slack or Discord as an auth or network failure.
        if not isinstance(value, str):
            return value
        token = value.strip()
        if any(c.isspace() for c in token):
            raise ValueError("has a space inside; paste the token alone, in one piece")
        if any(c in "\"'`" for c in token):
            raise ValueError("has a quote inside; paste the token alone, without quotes")
        return token

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_tokens_not_swapped(cls, value: SecretStr | None, info: Any) -> SecretStr | None:
        token = value.get_secret_value() if value is not None else ""
        if info.field_name == "slack_bot_token" and token.startswith("xapp-"):
            raise ValueError("is an app-level token (xapp-…): it goes in SLACK_APP_TOKEN")
        if info.field_name == "slack_app_token" and token.startswith("xoxb-"):
            raise ValueError("is a bot token (xoxb-…): it goes in SLACK_BOT_TOKEN")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        # Checked here so that a URL mlq cannot use is one line at start, not a traceback
        # from SQLAlchemy (no such driver, no URL at all) when the database is first opened.
        return check_database_url(value.strip())

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        folder = (self.data_dir or Path(".")).as_posix()
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{folder}/mlq.db"
        elif self.data_dir is not None and not _sqlite_under(self.database_url, self.data_dir):
            # In the image a SQLite file off the volume is lost with the container: almost
            # always a .env copied from a laptop (sqlite:///./mlq.db), so refuse it.
            raise ValueError(
                f"a SQLite file outside MLQ_DATA_DIR={folder} (the volume) is lost with the "
                f"container; unset MLQ_DATABASE_URL to use {folder}/mlq.db, or use PostgreSQL"
            )
        return self

    def custom_bank_paths(self) -> list[Path]:
        return [Path(p) for p in self.bank_paths.split(os.pathsep) if p.strip()]

    def default_platform(self) -> str:
        """Slack or Discord when their tokens are set; otherwise the terminal."""
        if self.slack_bot_token or self.slack_client_id:
            return "slack"
        if self.discord_token:
            return "discord"
        return "console"


BACKENDS = ("sqlite", "postgresql", "postgres")


def check_database_url(url: str) -> str:
    """``url`` if mlq can store in it: a SQLite file or a PostgreSQL database."""
    if not url:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("is not a database URL; mlq stores in SQLite or PostgreSQL") from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise ValueError(f"mlq stores in SQLite or PostgreSQL, not {backend!r}")
    if backend == "sqlite" and not parsed.database:
        raise ValueError("names no file; mlq stores in SQLite or PostgreSQL")
    return url


def _sqlite_under(url: str, folder: Path) -> bool:
    """True unless ``url`` is a SQLite file outside ``folder`` (other databases are fine)."""
    if not url.startswith("sqlite"):
        return True
    _, _, path = url.partition(":///")
    if not path or path.startswith(":memory:") or "mode=memory" in path:
        return True
    database = Path(path.split("?", 1)[0])
    return database.is_absolute() and database.resolve().is_relative_to(folder.resolve())


def shown_url(url: str) -> str:
    """A database URL fit to print: its password, if any, hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


_SECRET_FIELDS = {
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
}
_ALIASES = {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


_ENV_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def unreadable_env_lines(path: Path) -> list[str]:
    """One line per statement of ``path`` that python-dotenv cannot read. It skips such a
    line with a warning, and an unclosed quote takes every line after it along, so the bot
    would start on defaults (the SQLite file, not the PostgreSQL meant). The value is not
    shown: it may be a token."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    problems = []
    for binding in parse_stream(io.StringIO(text)):
        if not binding.error:
            continue
        found = _ENV_KEY.match(binding.original.string)
        variable = found.group(1) if found else "a line"
        problems.append(
            f"bad setting {variable} in {path} line {binding.original.line}: cannot be read "
            "(a quote left open, or text after the closing quote); write it as NAME=value "
            'or NAME="value"'
        )
    return problems


def load_settings(**overrides: Any) -> Settings:
    """Settings, or a ``SettingsError`` whose text is one line per bad variable."""
    unreadable = unreadable_env_lines(Path(str(Settings.model_config["env_file"])))
    if unreadable:
        raise SettingsError("\n".join(unreadable))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ())]
        value = error.get("input")
        if not loc:  # the check across fields (after validation) is about the database URL
            loc = ["database_url"]
            value = value.database_url if isinstance(value, Settings) else value
            if isinstance(value, dict):  # never print the whole input: it holds the tokens
                value = value.get("MLQ_DATABASE_URL", value.get("database_url"))
        variable = _ALIASES.get(loc[0], loc[0])
        secret = loc[0] in _SECRET_FIELDS or variable in {_ALIASES[f] for f in _SECRET_FIELDS}
        shown = "(hidden)" if secret else repr(value)
        if variable == "MLQ_DATABASE_URL" and isinstance(value, str):
            shown = repr(shown_url(value))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        example = EXAMPLES.get(variable)
        hint = f" (for example {variable}={example})" if example else ""
        lines.append(f"bad setting {variable}={shown}: {message}{hint}")
    return "\n".join(lines)
