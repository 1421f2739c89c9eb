"""HTTP mode: Slack's requests on an aiohttp server.

- ``POST /slack/events``: Events API, slash commands and interactivity, all signed by
  Slack; bolt checks the signature and the timestamp (older than five minutes: 401).
- ``GET /healthz``: liveness for load balancers and orchestrators.
- ``GET /slack/install`` and ``GET /slack/oauth_redirect``: bolt's OAuth flow, when the
  app is configured with a client id and secret.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from adapters.slack.gate import AckGate

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; refuse anything absurd


def build_web_app(
    bolt: AsyncApp,
    *,
    pending_work: Callable[[], int] = lambda: 0,
    gate: AckGate | None = None,
) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        if gate is not None:
            gate.request_started()
        try:
            bolt_request = await to_bolt_request(request)
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


async def start_http(
    web_app: web.Application, *, host: str = "0.0.0.0", port: int = 3000
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
