"""A fake Slack on 127.0.0.1: the Web API methods mlq calls, response_urls and Socket Mode.

It records every call (method, parameters, token) and can be told to fail: answer 429 with
a ``Retry-After``, a 5xx, or ``ok: false`` with an error code. It can also enforce Slack's
one-message-a-second-per-channel limit on ``chat.postMessage`` (answering 429 when a
channel is posted to too soon) and inject 429s into chosen channels, for the fan-out
benchmark. Everything the SDKs see is what real Slack sends in shape, not in content.

Posted messages are kept per channel, with their message metadata, and read back by
``conversations.history`` and ``conversations.replies`` as Slack documents them: newest
first (replies: parent, then oldest first), ``oldest``/``latest`` exclusive unless
``inclusive``, ``limit`` and cursor paging with ``has_more`` and
``response_metadata.next_cursor``, thread replies only in their thread unless broadcast
(subtype ``thread_broadcast``), and the metadata's ``event_payload`` only with
``include_all_metadata``. A ``chat.postMessage`` to a user id goes to the app's direct
message with that person (``D`` + the user id, as ``conversations.open`` answers), kept
and read back like a channel's; with a team's ``scopes`` set, opening or reading a DM
without ``im:write`` / ``im:history`` answers ``missing_scope``. Given a ``clock`` (seconds
since the epoch), message ts values follow it, so ``oldest`` means a time; without one
they count up from 1,700,000,000.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    result: dict[str, Any] | None = None  # what the fake answered (when not a failure)

    def json_param(self, name: str) -> Any:
        """A parameter that form-encoded requests carry as a JSON string (blocks, view)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None


@dataclass
class Team:
    team_id: str
    bot_user_id: str
    bot_id: str
    name: str = "Test team"
    # The token's granted scopes, sent as Slack does in the X-OAuth-Scopes header of every
    # Web API answer; None sends no header.
    scopes: tuple[str, ...] | None = None


@dataclass
class SocketLink:
    ws: web.WebSocketResponse
    acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)


class FakeSlack:
    def __init__(
        self,
        *,
        per_channel_interval: float | None = None,
        inject_429: Callable[[str, int], float | None] | None = None,
        auto_users: bool = False,
        record: bool = True,
        clock: Callable[[], float] | None = None,
        on_post: Callable[[dict[str, Any]], None] | None = None,
        on_call: Callable[[Call], None] | None = None,
    ) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url id, body)
        self.teams: dict[str, Team] = {}  # by token
        self.users: dict[tuple[str, str], dict[str, Any]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.not_in_channel: set[str] = set()
        # group direct messages (mpim): conversations.info says is_mpim, and answers
        # missing_scope (needed: mpim:read) to a token whose scopes lack it
        self.group_dms: set[str] = set()
        # channel -> the error chat.postMessage answers there, every time (a dead channel);
        # digits are an HTTP status instead (e.g. "500")
        self.dead_channels: dict[str, str] = {}
        self.per_channel_interval = per_channel_interval
        self.inject_429 = inject_429
        self.auto_users = auto_users  # users.info knows everyone (benchmarks)
        self.record = record  # benchmarks keep counts only, not every call
        self.counts: dict[str, int] = defaultdict(int)
        self.posts_per_channel: dict[str, int] = defaultdict(int)
        self.rate_limited = 0  # 429s answered, injected or enforced
        self.too_soon = 0  # attempts sooner than the per-channel limit or a Retry-After allowed
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._last_post: dict[str, float] = {}
        self._not_before: dict[str, float] = {}  # a 429 said: not before this instant
        self._attempts: dict[str, int] = defaultdict(int)
        self._ts = itertools.count(1)
        self.clock = clock
        self.on_post = on_post  # sees each accepted chat.postMessage before it is answered
        self.on_call = on_call  # sees every call before it is handled
        self._last_micros = 0
        # (team id, channel) -> messages in the order posted (so in ts order)
        self.messages: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._reactions: set[tuple[str, str, str]] = set()
        self._views = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._links: list[SocketLink] = []
        self._link_ready = asyncio.Event()
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeSlack:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for link in self._links:
            await link.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, hook: str) -> str:
        return f"{self.base_url}/response/{hook}"

    # --- set-up -----------------------------------------------------------------------------

    def add_team(
        self,
        token: str,
        team_id: str,
        bot_user_id: str = "UBOT",
        *,
        scopes: tuple[str, ...] | None = None,
    ) -> Team:
        team = Team(team_id, bot_user_id, "B" + bot_user_id, scopes=scopes)
        self.teams[token] = team
        return team

    def add_user(
        self, team_id: str, user_id: str, name: str, *, admin: bool = False, owner: bool = False
    ) -> None:
        self.users[(team_id, user_id)] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "is_bot": False,
            "profile": {"display_name": name, "real_name": name},
        }

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this failure."""
        for _ in range(times):
            self._failures[method].append(Failure(status, error, retry_after))

    # --- reading what happened --------------------------------------------------------------

    def of(self, method: str, **where: Any) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and all(c.params.get(k) == v for k, v in where.items())
        ]

    def dms(self, user: str | None = None) -> list[Call]:
        """The app's accepted direct messages (chat.postMessage to a user id, or to the
        D id conversations.open gave), to ``user`` or to anyone."""
        targets = None if user is None else {user, dm_id(user)}
        return [
            c
            for c in self.of("chat.postMessage")
            if str(c.params.get("channel", "")).startswith(("U", "W", "D"))
            and (targets is None or c.params.get("channel") in targets)
            and c.result is not None
            and c.result.get("ok")
        ]

    def clear(self) -> None:
        self.calls.clear()
        self.responses.clear()

    # --- the Web API ------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = params.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        elif auth.startswith("Basic "):
            # oauth.v2.access takes the app's credentials as HTTP Basic auth, or as fields.
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", client_secret)
        call = Call(method, params, token, time.monotonic())
        self.counts[method] += 1
        if self.record:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        if self._failures[method]:
            return self._failure(self._failures[method].popleft())
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            result: dict[str, Any] | web.Response = _ok(False, error="unknown_method")
        elif method not in ("oauth.v2.access", "apps.connections.open") and token not in self.teams:
            result = _ok(False, error="invalid_auth")
        else:
            result = await handler(params, self.teams.get(token))
        if isinstance(result, web.Response):
            return result
        call.result = result
        team = self.teams.get(token or "")
        headers = {}
        if team is not None and team.scopes is not None:
            headers["X-OAuth-Scopes"] = ",".join(team.scopes)
        return web.json_response(result, headers=headers)

    def _failure(self, failure: Failure) -> web.Response:
        if failure.status == 429:
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": _header_seconds(failure.retry_after or 0)},
            )
        if failure.status >= 500:
            return web.Response(status=failure.status, text="upstream trouble")
        return web.json_response({"ok": False, "error": failure.error or "internal_error"})

    def _next_ts(self) -> str:
        n = next(self._ts)
        if self.clock is None:
            return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"
        micros = max(int(self.clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def channel_messages(self, team_id: str, channel: str) -> list[dict[str, Any]]:
        """Everything posted in the channel, threads included, oldest first."""
        return list(self.messages.get((team_id, channel), []))

    async def _m_auth_test(self, params: dict[str, Any], team: Team) -> Any:
        return _ok(
            url="https://fake.slack.test/",
            team=team.name,
            user="mlq",
            team_id=team.team_id,
            user_id=team.bot_user_id,
            bot_id=team.bot_id,
            is_enterprise_install=False,
        )

    async def _m_chat_postMessage(self, params: dict[str, Any], team: Team) -> Any:
        channel = str(params.get("channel"))
        if channel.startswith(("U", "W")):  # a user id: the app's DM with them
            channel = dm_id(channel)
        key = f"{team.team_id}:{channel}"
        self._attempts[key] += 1
        if channel in self.dead_channels:
            error = self.dead_channels[channel]
            if error.isdigit():  # an HTTP status, e.g. "500"
                return self._failure(Failure(int(error)))
            return _ok(False, error=error)
        now = time.monotonic()
        if self.inject_429 is not None:
            wait = self.inject_429(channel, self._attempts[key])
            if wait is not None:
                # Slack's Retry-After is a limit too: an attempt before it is "too soon".
                self._not_before[key] = now + wait
                return self._failure(Failure(429, retry_after=wait))
        remaining = self._not_before.get(key, now) - now
        if self.per_channel_interval is not None and key in self._last_post:
            remaining = max(remaining, self._last_post[key] + self.per_channel_interval - now)
        if remaining > 0:
            self.too_soon += 1
            return self._failure(Failure(429, retry_after=remaining))
        self._last_post[key] = now
        self.posts_per_channel[key] += 1
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": team.bot_user_id,
            "bot_id": team.bot_id,
            "app_id": "A0MLQ",
        }
        message["text"] = params.get("text")
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
            if _truthy(params.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
        metadata = params.get("metadata")
        if isinstance(metadata, str):  # form-encoded requests carry it as JSON text
            metadata = json.loads(metadata)
        if isinstance(metadata, dict):
            message["metadata"] = metadata
        self.messages[(team.team_id, channel)].append(message)
        if self.on_post is not None:
            self.on_post(message)
        return _ok(channel=channel, ts=ts, message=message)

    async def _m_conversations_history(self, params: dict[str, Any], team: Team) -> Any:
        channel = str(params.get("channel") or "")
        if not channel:
            return _ok(False, error="channel_not_found")
        if channel.startswith("D") and not _granted(team, "im:history"):
            return _ok(False, error="missing_scope", needed="im:history")
        # The channel's timeline: top-level messages and thread replies sent to it too.
        timeline = [
            m
            for m in self.messages.get((team.team_id, channel), [])
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        return _page(params, _window(params, timeline)[::-1])

    async def _m_conversations_info(self, params: dict[str, Any], team: Team) -> Any:
        """A channel as the bot sees it: whether it is a member, whether it is archived,
        whether it is a DM or group DM. ``dead_channels`` decides (``channel_not_found``: a
        channel the bot cannot see); ``group_dms`` holds the group DMs."""
        if team.scopes is not None and not {"channels:read", "groups:read"} & set(team.scopes):
            return _ok(False, error="missing_scope", needed="channels:read")
        channel = str(params.get("channel") or "")
        error = self.dead_channels.get(channel)
        if not channel or error == "channel_not_found":
            return _ok(False, error="channel_not_found")
        if error is not None and error.isdigit():
            return self._failure(Failure(int(error)))
        scoped = team.scopes is None or "mpim:read" in team.scopes
        if channel in self.group_dms and not scoped:
            return _ok(False, error="missing_scope", needed="mpim:read")
        return _ok(
            channel={
                "id": channel,
                "is_im": channel.startswith("D"),
                "is_mpim": channel in self.group_dms,
                "is_archived": error == "is_archived",
                "is_member": error != "not_in_channel" and channel not in self.not_in_channel,
            }
        )

    async def _m_conversations_open(self, params: dict[str, Any], team: Team) -> Any:
        if not _granted(team, "im:write"):
            return _ok(False, error="missing_scope", needed="im:write")
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:  # group DMs are not something mlq opens
            return _ok(False, error="users_list_not_supplied" if not users else "not_supported")
        return _ok(channel={"id": dm_id(users[0])})

    async def _m_chat_getPermalink(self, params: dict[str, Any], team: Team) -> Any:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if not any(m["ts"] == ts for m in self.messages.get((team.team_id, channel), [])):
            return _ok(False, error="message_not_found")
        return _ok(
            channel=channel,
            permalink=f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}",
        )

    def direct_messages(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """What the app sent to the person in its DM with them, oldest first."""
        return self.channel_messages(team_id, dm_id(user_id))

    async def _m_conversations_replies(self, params: dict[str, Any], team: Team) -> Any:
        channel, parent_ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        stored = self.messages.get((team.team_id, channel), [])
        parent = next((m for m in stored if m["ts"] == parent_ts), None)
        if parent is None:
            return _ok(False, error="thread_not_found")
        replies = [m for m in stored if m.get("thread_ts") == parent_ts and m is not parent]
        return _page(params, [parent, *_window(params, replies)])

    async def _m_chat_postEphemeral(self, params: dict[str, Any], team: Team) -> dict[str, Any]:
        if params.get("channel") in self.not_in_channel:
            return _ok(False, error="not_in_channel")
        return _ok(message_ts=self._next_ts())

    async def _m_reactions_add(self, params: dict[str, Any], team: Team) -> Any:
        key = (str(params.get("channel")), str(params.get("timestamp")), str(params.get("name")))
        if key in self._reactions:
            return _ok(False, error="already_reacted")
        self._reactions.add(key)
        return _ok()

    async def _m_users_info(self, params: dict[str, Any], team: Team) -> Any:
        user = self.users.get((team.team_id, str(params.get("user"))))
        if user is None and self.auto_users:
            self.add_user(team.team_id, str(params.get("user")), f"Person {params.get('user')}")
            user = self.users[(team.team_id, str(params.get("user")))]
        if user is None:
            return _ok(False, error="user_not_found")
        return _ok(user=user)

    async def _m_views_open(self, params: dict[str, Any], team: Team) -> Any:
        if not params.get("trigger_id"):
            return _ok(False, error="invalid_trigger_id")
        return _ok(view={"id": f"V{next(self._views)}", "team_id": team.team_id})

    async def _m_views_publish(self, params: dict[str, Any], team: Team) -> Any:
        return _ok(view={"id": f"V{next(self._views)}", "team_id": team.team_id})

    async def _m_oauth_v2_access(self, params: dict[str, Any], team: Team | None) -> Any:
        answer = self.oauth_codes.get(str(params.get("code")))
        if not params.get("client_id") or not params.get("client_secret"):
            return _ok(False, error="invalid_client_id")
        if answer is None:
            return _ok(False, error="invalid_code")
        return _ok(**answer)

    async def _m_apps_connections_open(self, params: dict[str, Any], team: Team | None) -> Any:
        return _ok(url=f"ws://127.0.0.1:{self.port}/socket")

    def add_oauth_code(
        self,
        code: str,
        token: str,
        team_id: str,
        bot_user_id: str,
        *,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        refresh_token: str | None = None,
        installer: str = "UINSTALLER",
    ) -> None:
        """A code that ``oauth.v2.access`` exchanges for an installation in ``team_id``
        made by ``installer``;
        ``enterprise_id`` puts the workspace in an Enterprise Grid organisation (``org_wide``:
        installed for the whole organisation, no team), ``refresh_token`` answers as an app
        with token rotation on does (the token then expires in 12 hours)."""
        self.add_team(token, team_id, bot_user_id)
        rotation = {"refresh_token": refresh_token, "expires_in": 43200} if refresh_token else {}
        self.oauth_codes[code] = {
            **rotation,
            "app_id": "A0MLQ",
            "authed_user": {"id": installer},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": bot_user_id,
            "team": None if org_wide else {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": {"id": enterprise_id, "name": "Org"} if enterprise_id else None,
            "is_enterprise_install": org_wide,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        """Counts for benchmarks running the fake in another process."""
        return web.json_response(
            {
                "counts": self.counts,
                "posts_per_channel": self.posts_per_channel,
                "rate_limited": self.rate_limited,
                "too_soon": self.too_soon,
                "responses": len(self.responses),
            }
        )

    # --- response_url -----------------------------------------------------------------------

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["hook"], await request.json()))
        return web.Response(text="ok")

    # --- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        link = SocketLink(ws)
        self._links.append(link)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._links),
                "debug_info": {"host": "fake"},
                "connection_info": {"app_id": "A0MLQ"},
            }
        )
        self._link_ready.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            ack = json.loads(msg.data)
            future = link.acks.get(ack.get("envelope_id", ""))
            if future is not None and not future.done():
                future.set_result(ack)
        self._links.remove(link)
        return ws

    async def wait_for_socket(self) -> None:
        await self._link_ready.wait()

    async def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one envelope down the socket and return the app's acknowledgement."""
        await self.wait_for_socket()
        link = self._links[-1]
        envelope_id = f"env-{next(self._envelopes)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        link.acks[envelope_id] = future
        await link.ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await future


def dm_id(user_id: str) -> str:
    """The fake's id for the app's direct message with a person."""
    return "D" + user_id


def _granted(team: Team, scope: str) -> bool:
    return team.scopes is None or scope in team.scopes


def _header_seconds(seconds: float) -> str:
    # Retry-After is whole seconds; round up so that honouring it is always enough.
    return str(max(0, math.ceil(seconds)))


def _ok(ok: bool = True, **fields: Any) -> dict[str, Any]:
    return {"ok": ok, **fields}


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _window(params: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages between ``oldest`` and ``latest``, both exclusive unless ``inclusive``."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params["latest"]) if params.get("latest") else math.inf
    if _truthy(params.get("inclusive")):
        return [m for m in messages if oldest <= float(m["ts"]) <= latest]
    return [m for m in messages if oldest < float(m["ts"]) < latest]


def _page(params: dict[str, Any], ordered: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of ``ordered`` after ``cursor``; metadata payloads only when asked for."""
    limit = min(max(int(params.get("limit") or 100), 1), 999)
    start = int(base64.b64decode(params["cursor"]).decode()) if params.get("cursor") else 0
    page = ordered[start : start + limit]
    if not _truthy(params.get("include_all_metadata")):
        page = [_without_payload(m) for m in page]
    more = start + limit < len(ordered)
    cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
    return _ok(messages=page, has_more=more, response_metadata={"next_cursor": cursor})


def _without_payload(message: dict[str, Any]) -> dict[str, Any]:
    if "metadata" not in message:
        return message
    return {**message, "metadata": {"event_type": message["metadata"].get("event_type")}}
