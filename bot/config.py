"""Settings from the environment and ``.env``. Tokens are secrets: never logged or printed."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./mlq.db", validation_alias="MLQ_DATABASE_URL"
    )
    bank_paths: str = Field(default="", validation_alias="MLQ_BANK_PATHS")
    log_level: str = Field(default="INFO", validation_alias="MLQ_LOG_LEVEL")
    tick_seconds: float = Field(default=30.0, gt=0, validation_alias="MLQ_TICK_SECONDS")
    # How long a claimed post, reveal or digest is its claimer's before another copy may
    # take it over; recovery then checks the platform before it sends again.
    lease_seconds: float = Field(default=120.0, gt=0, validation_alias="MLQ_LEASE_SECONDS")
    instance_id: str = Field(default="", validation_alias="MLQ_INSTANCE_ID")
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
        default=None, validation_alias=AliasChoices("DISCORD_SHARD_COUNT")
    )
    discord_shard_ids: str | None = Field(default=None, validation_alias="DISCORD_SHARD_IDS")

    def custom_bank_paths(self) -> list[Path]:
        return [Path(p) for p in self.bank_paths.split(os.pathsep) if p.strip()]

    def default_platform(self) -> str:
        """Slack or Discord when their tokens are set; otherwise the terminal."""
        if self.slack_bot_token or self.slack_client_id:
            return "slack"
        if self.discord_token:
            return "discord"
        return "console"
