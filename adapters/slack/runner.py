"""``mlq run --platform slack [--mode socket|http] [--host ADDRESS] [--port N]``."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError

from adapters.slack.http_mode import DEFAULT_HOST, start_http
from adapters.slack.runtime import SlackConfigError, SlackRuntime, build_runtime
from adapters.slack.socket_mode import start_socket_mode
from bot.config import Settings
from bot.heap import settle_heap
from bot.scheduler import start_scheduler

log = logging.getLogger("mlq.slack")
# What a Slack Web API or Socket Mode call raises when Slack cannot be reached at all.
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


def unreachable(exc: BaseException) -> str:
    """The one line ``mlq run`` prints for a network failure at start (no traceback)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"mlq: cannot reach Slack: {reason}; check the network or SLACK_API_URL"


async def start(runtime: SlackRuntime, *, port: int = 3000, host: str = DEFAULT_HOST):
    """Connect Socket Mode or start the HTTP server; returns an async stopper."""
    if runtime.mode == "socket":
        app_token = runtime.settings.slack_app_token
        handler = await start_socket_mode(
            runtime.bolt,
            app_token=app_token.get_secret_value() if app_token else "",
            client=runtime.client,
        )
        log.info("Slack Socket Mode connected")
        return handler.close_async
    http_runner, bound = await start_http(runtime.web_app(), host=host, port=port)
    log.info("Slack HTTP endpoint on %s port %d: POST /slack/events, GET /healthz", host, bound)
    if runtime.token_mode == "oauth":
        log.info("install into a workspace at /slack/install")
    return http_runner.cleanup


async def stop_scheduler(scheduler: AsyncIOScheduler, *, grace: float = 10.0) -> None:
    """Stop ticking, and let a tick in flight finish before the database is closed.

    APScheduler runs each tick as a task and its shutdown only cancels it without waiting;
    closing the database under a half-cancelled tick can leave it hanging.
    """
    scheduler.pause()
    ticks = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__name__", "") == "run_coroutine_job" and not t.done()
    ]
    if ticks:
        await asyncio.wait(ticks, timeout=grace)
    scheduler.shutdown(wait=False)  # cancels whatever is still running
    if ticks:
        await asyncio.gather(*ticks, return_exceptions=True)


async def serve(
    settings: Settings,
    *,
    mode: str = "socket",
    port: int = 3000,
    host: str = DEFAULT_HOST,
    started: asyncio.Event | None = None,
) -> None:
    """Run until cancelled. ``started`` is set once Slack can reach us (for tests)."""
    try:
        runtime = await build_runtime(settings, mode=mode)
    except SlackConfigError as exc:
        raise SystemExit(f"mlq: {exc}") from None
    except NETWORK_ERRORS as exc:
        raise SystemExit(unreachable(exc)) from None
    settle_heap()
    stop = None
    scheduler = None
    sweeper = None
    try:
        try:
            stop = await start(runtime, port=port, host=host)
        except SlackApiError as exc:  # apps.connections.open said no
            error = exc.response.get("error")
            raise SystemExit(f"mlq: SLACK_APP_TOKEN was refused by Slack: {error}") from None
        except NETWORK_ERRORS as exc:
            if runtime.mode != "socket":
                raise  # HTTP mode only binds a local port: not a network problem with Slack
            raise SystemExit(unreachable(exc)) from None
        sweeper = asyncio.create_task(runtime.sweep_inbox(), name="mlq-inbox-sweep")
        scheduler = start_scheduler(
            runtime.core, settings.tick_seconds, heartbeat=settings.heartbeat_file
        )
        if started is not None:
            started.set()
        await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        if sweeper is not None:
            sweeper.cancel()
            await asyncio.gather(sweeper, return_exceptions=True)
        if scheduler is not None:
            await stop_scheduler(scheduler)
        if stop is not None:
            await stop()
        await runtime.close()
