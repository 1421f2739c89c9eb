"""Installations mlq cannot serve, refused at the end of the OAuth flow with a clear page.

mlq finds a workspace's token by its team id alone, and holds a token until the workspace
removes it. Two kinds of installation break that, and every send would then fail:

- Enterprise Grid: a workspace inside an organisation is stored with the organisation's
  id, and an organisation-wide install has no team id at all;
- token rotation: the bot token expires after 12 hours unless refreshed with the refresh
  token, which mlq does not do.

Such an installation is deleted again right after bolt stored it, and the person who
installed sees why and what to do instead, rather than an install that looks fine and a
channel that never gets a question.
"""

from __future__ import annotations

import html
import logging

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

log = logging.getLogger("mlq.slack")


def refusal(installation: Installation) -> str | None:
    """Why mlq cannot serve this installation, or None when it can."""
    if installation.is_enterprise_install or installation.enterprise_id:
        return (
            "mlq does not support Enterprise Grid organisations yet: installed there, it "
            "could not find its token again and nothing would be posted. Install it in a "
            "workspace outside an organisation."
        )
    if installation.bot_refresh_token or installation.bot_token_expires_at:
        return (
            "this app has token rotation turned on, and mlq does not refresh tokens: its "
            "token would stop working within 12 hours. Turn token rotation off (OAuth & "
            "Permissions, Advanced token security) for a new app, then install again."
        )
    return None


def callback_options(store: AsyncInstallationStore) -> AsyncCallbackOptions:
    """bolt's callbacks: its own pages, unless the installation is refused."""

    async def on_success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        reason = refusal(installation)
        if reason is None:
            return await args.default.success(args)
        await store.async_delete_all(
            enterprise_id=installation.enterprise_id, team_id=installation.team_id
        )
        log.warning(
            "refused an installation (enterprise %s, team %s): %s",
            installation.enterprise_id,
            installation.team_id,
            reason,
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>mlq was not installed"
            f"</title></head><body><h1>mlq was not installed</h1><p>{html.escape(reason)}</p>"
            "</body></html>"
        )
        return BoltResponse(
            status=400, body=page, headers={"Content-Type": "text/html; charset=utf-8"}
        )

    async def on_failure(args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    return AsyncCallbackOptions(success=on_success, failure=on_failure)
