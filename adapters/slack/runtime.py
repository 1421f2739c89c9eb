"""Assembling the Slack side from Settings: client, tokens, adapter, core, bolt app.

Two ways to hold tokens:
- one workspace: ``SLACK_BOT_TOKEN`` (Socket Mode or HTTP);
- any number of workspaces: ``SLACK_CLIENT_ID`` / ``SLACK_CLIENT_SECRET`` (HTTP only), with
  bolt's OAuth flow storing installations and OAuth states in the bot's own database
  through slack-sdk's async SQLAlchemy stores.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.bridge import SlackBridge
from adapters.slack.http_mode import build_web_app
from adapters.slack.installations import Installations
from adapters.slack.installs import callback_options
from adapters.slack.listeners import register
from adapters.slack.pacing import ChannelPacer
from adapters.slack.retry import retry_handlers
from adapters.slack.sdk_log import client_logger
from adapters.slack.tokens import SingleToken, TokenSource
from adapters.slack.translate import LIFECYCLE_EVENTS
from adapters.slack.work import WorkQueue
from bot.app import App, build_app
from bot.clock import Clock
from bot.config import Settings
from bot.core import MlqCore
from question_bank.loader import QuestionBank
from storage.migrate import create_tables_locked

log = logging.getLogger("mlq.slack")

# Exactly what the bot uses; the manifests list the same. channels:read and groups:read
# are for the lifecycle events (a channel left, archived or deleted), nothing is read.
# im:write and im:history are for finding an owed grade (a DM) whose sender died.
BOT_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "reactions:write",
    "users:read",
)
# Events the listeners handle: thread replies in public and private channels, the Home tab,
# and the bot's channels and workspace coming and going (translate.LIFECYCLE_EVENTS).
BOT_EVENTS = ("app_home_opened", "message.channels", "message.groups", *LIFECYCLE_EVENTS)
MODES = ("socket", "http")
# Answers are written by the core's group commit (one writer, many per transaction), so
# many jobs in flight make bigger batches rather than more contenders for SQLite's lock.
INBOX_SWEEP_SECONDS = 60.0  # how often stranded inbox events are looked for
SQLITE_WORK_LIMIT = 64
SERVER_DB_WORK_LIMIT = 64


class SlackConfigError(ValueError):
    """Settings that cannot work; the message says which variable to set."""


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def check_settings(settings: Settings, mode: str) -> str:
    """Which token mode these settings describe ('single' or 'oauth'), or a readable error."""
    if mode not in MODES:
        raise SlackConfigError(f"unknown mode {mode!r}: use --mode socket or --mode http")
    bot_token = _secret(settings.slack_bot_token)
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if mode == "socket":
        if not bot_token or not _secret(settings.slack_app_token):
            raise SlackConfigError(
                "Socket Mode needs SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…, "
                "with the connections:write scope). For many workspaces use --mode http "
                "with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
            )
        return "single"
    if not _secret(settings.slack_signing_secret):
        raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information page).")
    if bot_token:
        return "single"
    if oauth:
        return "oauth"
    raise SlackConfigError(
        "HTTP mode needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET (installable in many workspaces)."
    )


def api_base_url(settings: Settings) -> str:
    url = settings.slack_api_url.strip() or "https://slack.com/api/"
    return url if url.endswith("/") else url + "/"


def authorize_url(api_url: str) -> str:
    """The OAuth authorize page on the same Slack host as the Web API (GovSlack too)."""
    parts = urlsplit(api_url)
    return urlunsplit((parts.scheme, parts.netloc, "/oauth/v2/authorize", "", ""))


@dataclass
class SlackRuntime:
    settings: Settings
    mode: str
    token_mode: str
    app: App
    client: AsyncWebClient
    adapter: SlackAdapter
    bridge: SlackBridge
    bolt: AsyncApp
    session: aiohttp.ClientSession
    bot_user_id: str | None = None
    team_id: str | None = None
    installation_store: AsyncSQLAlchemyInstallationStore | None = None

    @property
    def core(self) -> MlqCore:
        return self.app.core

    def web_app(self) -> web.Application:
        """The HTTP endpoints, with the ack gate between requests and background work."""
        return build_web_app(
            self.bolt,
            signing_secret=_secret(self.settings.slack_signing_secret) or "",
            pending_work=lambda: self.bridge.work.pending,
            gate=self.bridge.work.gate,
        )

    async def sweep_inbox(self, every: float | None = None) -> None:
        """Until cancelled: resume inbox events stranded by a crash or by failed attempts,
        looking every minute, or twice per inbox lease when that is shorter."""
        if every is None:
            every = min(INBOX_SWEEP_SECONDS, self.core.inbox.lease.total_seconds() / 2)
        while True:
            try:
                await self.bridge.resume_stranded()
            except Exception:
                log.exception("resuming stranded Slack events failed")
            await asyncio.sleep(every)

    async def close(self, *, drain_seconds: float = 10.0) -> None:
        if not await self.bridge.work.join(drain_seconds):
            log.warning("stopping with %d unfinished Slack jobs", self.bridge.work.pending)
            await self.bridge.work.cancel()
        await self.session.close()
        await self.app.close()


async def build_runtime(
    settings: Settings,
    *,
    mode: str = "socket",
    clock: Clock | None = None,
    bank: QuestionBank | None = None,
    migrate: bool = True,
    backoff: RetryIntervalCalculator | None = None,
    pacer: ChannelPacer | None = None,
    work_limit: int | None = None,
) -> SlackRuntime:
    token_mode = check_settings(settings, mode)
    api_url = api_base_url(settings)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=SlackAdapter.send_concurrency)
    )
    bot_token = _secret(settings.slack_bot_token)
    client = AsyncWebClient(
        token=bot_token if token_mode == "single" else None,
        base_url=api_url,
        session=session,
        retry_handlers=retry_handlers(backoff),
        logger=client_logger(),
    )
    try:
        bot_user_id = team_id = None
        store: AsyncSQLAlchemyInstallationStore | None = None
        installed = Installations()
        tokens: TokenSource = installed
        if token_mode == "single":
            try:
                auth = await client.auth_test()
            except SlackApiError as exc:
                raise SlackConfigError(
                    f"SLACK_BOT_TOKEN was refused by {api_url}: {exc.response.get('error')}"
                ) from exc
            bot_user_id, team_id = auth.get("user_id"), auth.get("team_id")
            log.info("Slack: connected to workspace %s as %s", team_id, bot_user_id)
            tokens = SingleToken(bot_token or "")
        adapter = SlackAdapter(client, tokens, pacer=pacer or ChannelPacer(), session=session)
        app = await build_app(settings, adapter, clock=clock, bank=bank, migrate=migrate)
        bolt_kwargs: dict[str, Any] = {
            "client": client,
            "signing_secret": _secret(settings.slack_signing_secret) or "",
            "process_before_response": True,
            "name": "mlq",
        }
        if token_mode == "oauth":
            store = AsyncSQLAlchemyInstallationStore(
                client_id=settings.slack_client_id or "", engine=app.db.engine
            )
            states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=app.db.engine)
            # slack-sdk's own tables (slack_bots, slack_installations, slack_oauth_states)
            # live next to ours; created if missing, under the migration lock so that
            # replicas starting together do not both create them.
            await create_tables_locked(settings.database_url, (store.metadata, states.metadata))
            installed.attach(store)
            bolt_kwargs.update(
                oauth_settings=AsyncOAuthSettings(
                    client_id=settings.slack_client_id,
                    client_secret=_secret(settings.slack_client_secret),
                    scopes=list(BOT_SCOPES),
                    installation_store=store,
                    installation_store_bot_only=True,
                    state_store=states,
                    authorization_url=authorize_url(api_url),
                    callback_options=callback_options(store),
                ),
                installation_store=store,
                installation_store_bot_only=True,
                # bolt's default asks auth.test on every request; once per token is enough.
                authorize=AsyncInstallationStoreAuthorize(
                    logger=log,
                    installation_store=store,
                    client_id=settings.slack_client_id,
                    client_secret=_secret(settings.slack_client_secret),
                    bot_only=True,
                    cache_enabled=True,
                    client=client,
                ),
            )
        bolt = AsyncApp(**bolt_kwargs)
        revocation = {}
        if token_mode == "oauth":
            # bolt's listeners delete the installation; register() runs them first.
            revocation = {
                "app_uninstalled": bolt.default_app_uninstalled_event_listener(),
                "tokens_revoked": bolt.default_tokens_revoked_event_listener(),
            }
        if work_limit is None:
            work_limit = SQLITE_WORK_LIMIT if app.db.is_sqlite else SERVER_DB_WORK_LIMIT
        bridge = SlackBridge(
            app.core,
            adapter,
            work=WorkQueue(work_limit),
            installations=installed if token_mode == "oauth" else None,
        )
        register(bolt, bridge, revocation=revocation)
    except BaseException:
        await session.close()
        raise
    return SlackRuntime(
        settings=settings,
        mode=mode,
        token_mode=token_mode,
        app=app,
        client=client,
        adapter=adapter,
        bridge=bridge,
        bolt=bolt,
        session=session,
        bot_user_id=bot_user_id,
        team_id=team_id,
        installation_store=store,
    )
