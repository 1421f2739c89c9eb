"""The core's ChatAdapter on Slack's Web API.

Every call goes through one ``AsyncWebClient`` (its base URL is ``SLACK_API_URL``, its retry
handlers cover 429, 5xx and dropped connections) with the token of the workspace it is for.
``chat.postMessage`` is paced per channel; failures become ``DeliveryError`` for the core.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import SlackMessage, render
from adapters.slack.conversations import PROBLEMS, DirectConversations, kind_of_info
from adapters.slack.pacing import ChannelPacer
from adapters.slack.tokens import TokenSource, UnknownWorkspace
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, MessageKind, Reaction
from bot.ports import DeliveryError, PostedRef

log = logging.getLogger("mlq.slack")

EMOJI = {
    Reaction.RECEIVED: "white_check_mark",
    Reaction.UPDATED: "pencil2",
    Reaction.LATE: "hourglass",
}
# chat.postEphemeral errors after which a direct message is the way to reach the person.
_EPHEMERAL_FALLBACK = {"not_in_channel", "channel_not_found", "user_not_in_channel"}
_NOT_A_PROBLEM = {"already_reacted"}
# Message metadata (https://docs.slack.dev/messaging/message-metadata) carries the claim key
# of what the bot posts, so recovery can find a post whose mark a crash lost.
CLAIM_EVENT_TYPE = "mlq_claim"
# Our clock and Slack's may disagree; the search starts this much before the claim did.
CLOCK_SKEW_SECONDS = 300
HISTORY_PAGE = 200
HISTORY_PAGES = 10


def claim_metadata(key: str | None) -> dict[str, Any] | None:
    if key is None:
        return None
    return {"event_type": CLAIM_EVENT_TYPE, "event_payload": {"key": key}}


def claim_key_of(message: dict[str, Any]) -> str | None:
    """The claim key a message from conversations.history / .replies carries, if any."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != CLAIM_EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None


# Web API errors that trying again cannot fix until a person acts: the bot is out of the
# channel, the channel is gone or archived, the token or a scope is gone. The core
# suspends the channel on these (bot/access); everything else (ratelimited, 5xx,
# internal_error, the network) is transient. ``token_expired`` is left transient: with
# token rotation a refreshed token fixes it without anyone acting.
PERMANENT_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "team_access_not_granted",
        "team_not_found",
        "ekm_access_denied",
        "org_login_required",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "channel_is_archived",
        "workspace_not_installed",
    }
)


def delivery_error(method: str, code: str) -> DeliveryError:
    return DeliveryError(f"{method}: {code}", permanent=code in PERMANENT_ERRORS, reason=code)


def _error_code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or exc.response.status_code)
    except Exception:
        return "unknown_error"


class SlackAdapter:
    platform = "slack"
    # Fan-outs keep this many calls in flight; the shared HTTP pool (runtime.py) is as large.
    # Per-channel pacing and 429 handling keep each channel within Slack's limits.
    send_concurrency = 200

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        *,
        pacer: ChannelPacer | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.pacer = pacer or ChannelPacer()
        self.direct = DirectConversations()  # noted by the bridge from /mlq payloads
        self._session = session  # shared with response_url posts

    # --- plumbing -----------------------------------------------------------------------

    async def call(self, team_id: str, method: str, **params: Any) -> dict[str, Any]:
        """A Web API call for ``team_id``; raises SlackApiError as slack-sdk does."""
        try:
            token = await self.tokens.token_for(team_id)
        except UnknownWorkspace as exc:
            # No installation for the workspace (uninstalled): as dead as a revoked token.
            raise DeliveryError(str(exc), permanent=True, reason="workspace_not_installed") from exc
        clean = {k: v for k, v in params.items() if v is not None}
        # slack-sdk's typed methods know each method's encoding (JSON, form or query).
        typed = getattr(self.client, method.replace(".", "_"))
        response = await typed(token=token, **clean)
        return response.data if isinstance(response.data, dict) else {}

    async def _send(self, team_id: str, method: str, **params: Any) -> dict[str, Any]:
        """Like ``call`` but every failure is a DeliveryError, as the core expects."""
        try:
            return await self.call(team_id, method, **params)
        except SlackApiError as exc:
            raise delivery_error(method, _error_code(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"{method}: {type(exc).__name__}") from exc

    async def _post_message(
        self, channel: ChannelAddress, rendered: SlackMessage, **extra: Any
    ) -> str:
        await self.pacer.wait((channel.workspace, channel.channel))
        data = await self._send(
            channel.workspace,
            "chat.postMessage",
            channel=channel.channel,
            unfurl_links=False,
            unfurl_media=False,
            **rendered.as_kwargs(),
            **extra,
        )
        return str(data.get("ts") or "")

    # --- ChatAdapter --------------------------------------------------------------------

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        # In Slack any message can start a thread: replies carry the parent's ts.
        ts = await self._post_message(
            channel, render(message), metadata=claim_metadata(message.key)
        )
        return PostedRef(ts, ts)

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        # The reveal is news for the whole channel, so it is also shown there.
        broadcast = True if message.kind == MessageKind.REVEAL else None
        return await self._post_message(
            thread.channel,
            render(message),
            thread_ts=thread.thread_id,
            reply_broadcast=broadcast,
            metadata=claim_metadata(message.key),
        )

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        """Look through the channel's history (or the thread's replies) since ``since`` for
        a message whose metadata carries ``key``. ``include_all_metadata`` is what makes
        Slack return the metadata's payload. Needs the history scopes mlq already has for
        thread replies (channels:history, groups:history)."""
        params: dict[str, Any] = {
            "channel": channel.channel,
            "oldest": f"{max(0.0, since.timestamp() - CLOCK_SKEW_SECONDS):.6f}",
            "include_all_metadata": True,
            "limit": HISTORY_PAGE,
        }
        method = "conversations.history"
        if thread is not None:
            method = "conversations.replies"
            params["ts"] = thread.thread_id
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                data = await self.call(channel.workspace, method, cursor=cursor, **params)
            except SlackApiError as exc:
                if _error_code(exc) == "thread_not_found":
                    return None  # the question was deleted, and with it any reply
                raise delivery_error(method, _error_code(exc)) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(f"{method}: {type(exc).__name__}") from exc
            for found in data.get("messages") or []:
                if isinstance(found, dict) and claim_key_of(found) == key:
                    ts = str(found.get("ts") or "")
                    return PostedRef(ts, str(found.get("thread_ts") or ts))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not data.get("has_more") or not cursor:
                return None
        # Not searched to the end: better to wait for a later attempt than to post twice.
        raise DeliveryError(f"{method}: more than {HISTORY_PAGES} pages since the claim")

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        try:
            await self.call(
                message.channel.workspace,
                "reactions.add",
                channel=message.channel.channel,
                timestamp=message.message_id,
                name=EMOJI[reaction],
            )
        except SlackApiError as exc:
            if _error_code(exc) not in _NOT_A_PROBLEM:
                raise delivery_error("reactions.add", _error_code(exc)) from exc

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        rendered = render(message)
        try:
            await self.call(
                channel.workspace,
                "chat.postEphemeral",
                channel=channel.channel,
                user=user_id,
                thread_ts=thread.thread_id if thread else None,
                **rendered.as_kwargs(),
            )
            return
        except SlackApiError as exc:
            if _error_code(exc) not in _EPHEMERAL_FALLBACK:
                raise delivery_error("chat.postEphemeral", _error_code(exc)) from exc
            log.info("ephemeral to %s failed (%s); sending a DM", user_id, _error_code(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"chat.postEphemeral: {type(exc).__name__}") from exc
        # Posting to a user id opens the app's direct message with them.
        direct = ChannelAddress(channel.platform, channel.workspace, user_id)
        await self._post_message(direct, rendered)

    async def close_thread(self, thread: ThreadAddress) -> None:
        """Slack threads cannot be locked; late replies are kept as late by the core."""

    async def send_direct(self, where: ChannelAddress, user_id: str, message: Message) -> None:
        """A direct message from the app (posting to a user id opens the DM)."""
        direct = ChannelAddress(where.platform, where.workspace, user_id)
        await self._post_message(direct, render(message))

    async def access_problems(self, where: ChannelAddress) -> list[str]:
        """Before /mlq subscribe or resume. Whether the bot is in the channel is left to
        the confirmation post (it needs no extra scope and cannot be wrong); what a post
        would not show is a direct or group direct message (conversations.py), where a
        daily question has no team to go to or its answers cannot be read."""
        kind = self.direct.kind(where.workspace, where.channel)
        if kind is None:
            kind = await self._kind_by_info(where)
        return [PROBLEMS[kind]] if kind is not None else []

    async def _kind_by_info(self, where: ChannelAddress) -> str | None:
        """``conversations.info``'s answer; any failure is no answer (never a refusal: a
        normal channel must not be blocked by a look-up the post does not need)."""
        try:
            data = await self.call(where.workspace, "conversations.info", channel=where.channel)
        except Exception as exc:  # a Slack error, the network, no installation, anything
            log.info("conversations.info for %s failed (%s); the post decides", where, exc)
            return None
        channel = data.get("channel")
        return kind_of_info(channel) if isinstance(channel, dict) else None

    async def membership_problems(self, where: ChannelAddress) -> list[str]:
        """For ``mlq doctor``, which must not post: is the bot a member of the channel, is
        it archived (``conversations.info``, with channels:read / groups:read)."""
        try:
            data = await self.call(where.workspace, "conversations.info", channel=where.channel)
        except SlackApiError as exc:
            code = _error_code(exc)
            if code == "channel_not_found":
                return [
                    "the bot cannot see this channel (deleted, or private without the bot): "
                    "invite it with `/invite @mlq`, or unsubscribe"
                ]
            if code == "missing_scope":
                return ["the app lacks channels:read / groups:read: add them and reinstall the app"]
            raise delivery_error("conversations.info", code) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"conversations.info: {type(exc).__name__}") from exc
        channel = data.get("channel") or {}
        problems = []
        if channel.get("is_archived"):
            problems.append("the channel is archived: unarchive it, then `/mlq resume`")
        elif channel.get("is_member") is False:
            problems.append("the bot is not in the channel: invite it with `/invite @mlq`")
        return problems

    # --- Slack extras used by the listeners ---------------------------------------------

    async def respond(
        self, response_url: str, message: Message, *, in_channel: bool = False
    ) -> None:
        """Reply through an interaction's ``response_url`` (works where the bot is not in)."""
        rendered = render(message)
        webhook = AsyncWebhookClient(
            response_url, session=self._session, retry_handlers=self.client.retry_handlers
        )
        try:
            response = await webhook.send(
                text=rendered.text,
                blocks=rendered.blocks,
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"response_url: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise DeliveryError(f"response_url: HTTP {response.status_code} {response.body!r}")

    async def open_view(self, team_id: str, trigger_id: str, view: dict[str, Any]) -> None:
        await self._send(team_id, "views.open", trigger_id=trigger_id, view=view)

    async def publish_home(self, team_id: str, user_id: str, view: dict[str, Any]) -> None:
        await self._send(team_id, "views.publish", user_id=user_id, view=view)

    async def users_info(self, team_id: str, user_id: str) -> dict[str, Any]:
        return await self.call(team_id, "users.info", user=user_id)
