"""The core's ChatAdapter on Slack's Web API.

Every call goes through one ``AsyncWebClient`` (its base URL is ``SLACK_API_URL``, its retry
handlers cover 429, 5xx and dropped connections) with the token of the workspace it is for.
``chat.postMessage`` is paced per channel; failures become ``DeliveryError`` for the core.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import SlackMessage, render, render_direct
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
# Direct-message channel ids (conversations.open) and question links (chat.getPermalink)
# are remembered, so a burst of grades costs neither call per grade.
REMEMBERED = 20_000
# What reading the app's DMs needs; an install from before owed grades were DMs lacks it.
DM_SCOPES = ("im:history", "im:write")


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


def _is_mine(message: dict[str, Any], me: tuple[str, str]) -> bool:
    """Whether a message from history was posted by this app's bot. Any app (or a person
    through one) may attach metadata of our event type and a key to a message in the same
    channel or DM (https://api.slack.com/metadata/using: metadata is how "apps communicate
    with apps"); only our own message proves that ours went out. A bot token's messages
    carry its bot user as ``user`` and its ``bot_id``."""
    user, bot = me
    return message.get("user") == user or message.get("bot_id") == bot


class _Remembered(OrderedDict[tuple[str, str], str]):
    """A bounded map, oldest forgotten first."""

    def keep(self, key: tuple[str, str], value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > REMEMBERED:
            self.popitem(last=False)


class SlackAdapter:
    platform = "slack"
    # Fan-outs keep this many calls in flight; the shared HTTP pool (runtime.py) is as large.
    # Per-channel pacing and 429 handling keep each channel within Slack's limits.
    send_concurrency = 200
    # A form's answer or a quiz pick is graded in a DM owed through the outbox, like a
    # thread reply's grade: a response_url reply cannot be looked up after a crash.
    private_answers_owed = True

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
        self._dm_ids = _Remembered()  # (team, user) -> the app's DM channel with them
        self._links = _Remembered()  # (team, "channel:ts") -> the message's permalink
        self._no_dm_scope: set[str] = set()  # teams already warned about
        self._me: dict[str, tuple[str, str]] = {}  # team -> (bot user id, bot id), auth.test

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
        a message of this app's bot whose metadata carries ``key`` (another app's message
        carrying it proves nothing, _is_mine). ``include_all_metadata`` is what makes
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
        me = await self._identity(channel.workspace)
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
                if isinstance(found, dict) and claim_key_of(found) == key and _is_mine(found, me):
                    ts = str(found.get("ts") or "")
                    return PostedRef(ts, str(found.get("thread_ts") or ts))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not data.get("has_more") or not cursor:
                return None
        # Not searched to the end: better to wait for a later attempt than to post twice.
        raise DeliveryError(f"{method}: more than {HISTORY_PAGES} pages since the claim")

    async def _identity(self, team_id: str) -> tuple[str, str]:
        """The app's bot user id and bot id in ``team_id`` (auth.test answers both for a bot
        token), asked once per workspace. A failure is a DeliveryError: the look-up that
        needs it is asked again later, nothing is sent meanwhile."""
        known = self._me.get(team_id)
        if known is not None:
            return known
        data = await self._send(team_id, "auth.test")
        user, bot = data.get("user_id"), data.get("bot_id")
        if not isinstance(user, str) or not user or not isinstance(bot, str) or not bot:
            raise DeliveryError("auth.test: no bot user id or bot id in the answer")
        self._me[team_id] = (user, bot)
        return user, bot

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
        """Unkeyed: an ephemeral message in the channel (or thread), shown at once next to
        what the person did. Keyed (an owed grade, bot/outbox): a direct message from the
        app carrying the key, which ``find_private`` can find again. Slack documents that
        ephemeral delivery "is not guaranteed" (the person must be active in Slack) and that
        ephemeral messages "do not persist across reloads" and cannot be recovered
        (https://docs.slack.dev/reference/methods/chat.postEphemeral), so they can neither
        be relied on nor looked up after a crash; a DM can be both."""
        if message.key is not None:
            await self._send_owed(channel, user_id, message, thread)
            return
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

    async def _send_owed(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        thread: ThreadAddress | None,
    ) -> None:
        """The owed message as a DM, posted to the conversation ``conversations.open``
        names (the one ``find_private`` reads back), so a look-up after a kill searches
        where the message went. Without im:write (an older install) it is posted to the
        user's id, which Slack delivers to the app's DM with them. It says which channel
        and question it is about, since it is read away from the thread."""
        link = await self._permalink(thread) if thread is not None else None
        rendered = render_direct(message, channel.channel, link)
        try:
            target = await self._dm_channel(channel.workspace, user_id)
        except DeliveryError as exc:
            if exc.reason != "missing_scope":
                raise
            target = user_id
        direct = ChannelAddress(channel.platform, channel.workspace, target)
        await self.pacer.wait((direct.workspace, direct.channel))
        data = await self._send(
            channel.workspace,
            "chat.postMessage",
            channel=target,
            unfurl_links=False,
            unfurl_media=False,
            metadata=claim_metadata(message.key),
            **rendered.as_kwargs(),
        )
        if isinstance(data.get("channel"), str) and data["channel"].startswith("D"):
            self._dm_ids.keep((channel.workspace, user_id), data["channel"])

    async def _permalink(self, thread: ThreadAddress) -> str | None:
        """The question's link (chat.getPermalink: no scope, "hundreds of requests per
        minute"), once per question; None if Slack will not say (the DM then names the
        channel only)."""
        where = thread.channel
        key = (where.workspace, f"{where.channel}:{thread.thread_id}")
        if key in self._links:
            return self._links[key]
        try:
            data = await self.call(
                where.workspace,
                "chat.getPermalink",
                channel=where.channel,
                message_ts=thread.thread_id,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("no permalink for %s/%s: %s", where.channel, thread.thread_id, exc)
            return None
        link = data.get("permalink")
        if not isinstance(link, str) or not link.startswith("http"):
            return None
        self._links.keep(key, link)
        return link

    async def find_private(
        self, channel: ChannelAddress, user_id: str, key: str, since: datetime
    ) -> PostedRef | None:
        """The app's DM with ``user_id`` carrying ``key`` since ``since``, or None.

        Opens the DM (conversations.open, im:write) for its id, then reads it
        (conversations.history with include_all_metadata, im:history). An install made
        before these scopes were asked for answers ``missing_scope``: nothing can be
        looked up there, so this says "not found" (the message is sent, as an ephemeral
        one was before) and warns once per workspace. Any other failure raises
        DeliveryError: the caller sends nothing now and asks again later."""
        try:
            dm = await self._dm_channel(channel.workspace, user_id)
            return await self.find_sent(
                ChannelAddress(channel.platform, channel.workspace, dm), key, since
            )
        except DeliveryError as exc:
            if exc.reason != "missing_scope":
                raise
            if channel.workspace not in self._no_dm_scope:
                self._no_dm_scope.add(channel.workspace)
                log.warning(
                    "workspace %s: the app lacks %s, so a grade whose sender died cannot be "
                    "looked up and is sent again (it may arrive twice); add the scopes and "
                    "reinstall the app (mlq doctor lists what is missing)",
                    channel.workspace,
                    " / ".join(DM_SCOPES),
                )
            return None

    async def _dm_channel(self, team_id: str, user_id: str) -> str:
        known = self._dm_ids.get((team_id, user_id))
        if known is not None:
            return known
        data = await self._send(team_id, "conversations.open", users=user_id)
        found = (data.get("channel") or {}).get("id")
        if not isinstance(found, str) or not found:
            raise DeliveryError("conversations.open: no channel id in the answer")
        self._dm_ids.keep((team_id, user_id), found)
        return found

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
