"""Socket Mode: Slack pushes the same payloads over a WebSocket, so no public URL is needed.

bolt's aiohttp handler asks ``apps.connections.open`` (through our client, so
``SLACK_API_URL`` applies) for the WebSocket URL and acks every envelope with the
listener's response.
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


async def start_socket_mode(
    bolt: AsyncApp, *, app_token: str, client: AsyncWebClient, ping_interval: float = 10
) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(
        bolt, app_token=app_token, web_client=client, ping_interval=ping_interval
    )
    # The SDK retries a failed first connection forever, logging a traceback each time. Asking
    # for the WebSocket URL here first lets a refused app token (SlackApiError) or no network
    # (aiohttp/OS errors) reach the caller, which stops with one line.
    handler.client.wss_uri = await handler.client.issue_new_wss_url()
    await handler.connect_async()
    return handler
