"""HTTP mode: Slack's requests on an aiohttp server.

- ``POST /slack/events``: Events API, slash commands and interactivity, all signed by
  Slack. ``adapters.slack.intake`` checks each one before bolt sees it: the signature and
  the timestamp (401), the body and its shape (400), kinds the bot ignores (200, logged).
  500 is left for one case, the inbox write failed, where Slack's retry helps.
- ``GET /healthz``: liveness for load balancers and orchestrators.
- ``GET /slack/install`` and ``GET /slack/oauth_redirect``: bolt's OAuth flow, when the
  app is configured with a client id and secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack import intake
from adapters.slack.gate import AckGate

log = logging.getLogger("mlq.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; refuse anything absurd
DEFAULT_HOST = "0.0.0.0"  # every interface, as a container needs; --host narrows it


def build_web_app(
    bolt: AsyncApp,
    *,
    signing_secret: str,
    pending_work: Callable[[], int] = lambda: 0,
    gate: AckGate | None = None,
) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        if gate is not None:
            gate.request_started()
        try:
            try:
                bolt_request = await checked_request(request, signing_secret)
            except intake.Rejected as refused:
                log.info("refused a Slack request (%d): %s", refused.status, refused.reason)
                return web.json_response({"error": refused.reason}, status=refused.status)
            if isinstance(bolt_request, intake.Ignored):
                log.info("ignored a Slack request: %s", bolt_request.reason)
                return web.Response(status=200)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))
        finally:
            if gate is not None:
                gate.request_finished()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "pending_work": pending_work()})

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get(HEALTH_PATH, health)
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))

        async def oauth_redirect(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await flow.handle_callback(bolt_request))

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, oauth_redirect)
    return web_app


async def checked_request(
    request: web.Request, signing_secret: str
) -> AsyncBoltRequest | intake.Ignored:
    """The request as bolt's, once it passed ``intake``; raises ``intake.Rejected``."""
    raw = await request.read()
    headers = request.headers
    intake.check_signature(
        raw,
        headers.get("X-Slack-Request-Timestamp"),
        headers.get("X-Slack-Signature"),
        signing_secret,
    )
    text = intake.decode(raw)
    content_type = headers.get("Content-Type", "").split(";")[0].strip() or None
    body = intake.parse_body(text, content_type)
    ignored = intake.classify(body)
    if ignored is not None:
        return ignored
    try:
        # bolt parses the body again and extracts ids from it for its context.
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=headers)  # type: ignore[arg-type]
    except Exception as exc:  # anything bolt trips over in a body is the body's fault
        raise intake.malformed(f"unreadable request ({type(exc).__name__})") from None
    if bolt_request.body != body:
        # bolt reads a form as an interactive payload whenever the word "payload" occurs
        # anywhere in it (a ``/mlq`` whose text mentions one, say) and then finds nothing.
        bolt_request.body = body
        bolt_request.context = _context(body)
    intake.check_context(bolt_request.context)
    return bolt_request


def _context(body: dict[str, Any]) -> AsyncBoltContext:
    try:
        return build_async_context(AsyncBoltContext({}), body)
    except Exception as exc:
        raise intake.malformed(f"unreadable request ({type(exc).__name__})") from None


async def start_http(
    web_app: web.Application, *, host: str = DEFAULT_HOST, port: int = 3000
) -> tuple[web.AppRunner, int]:
    """Serve ``web_app``; returns the runner (to stop it) and the port actually bound."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port)
    await site.start()
    bound = port
    server = getattr(site, "_server", None)
    if server is not None and server.sockets:
        bound = server.sockets[0].getsockname()[1]
    return runner, bound
