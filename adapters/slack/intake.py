"""What a request to ``POST /slack/events`` must be before bolt sees it.

bolt parses a request's body before it checks the signature, and trusts the shape of what
it parsed: a body that is not UTF-8, not JSON, not an object, a timestamp that is not a
number, ``actions: null`` or a number where an id belongs all end in an exception and a 500
(which Slack retries three times). So every request is checked here first, in this order:

1. the signature over the raw bytes and the timestamp (missing, not a number or more than
   five minutes off): **401**;
2. the body: UTF-8, then JSON or a form as Slack sends them: **400** when it is not;
3. its shape, for the kinds of request the bot handles (Events API ``message`` and
   ``app_home_opened`` events, ``/mlq``, its buttons and its modal): every field the bot or
   bolt reads has the type Slack documents: **400** when one does not;
4. a well-formed request of a kind the bot does not handle (another event type or message
   subtype, another command, a shortcut, a closed modal): **200**, logged at INFO, so Slack
   does not retry it.

Only what passes all four reaches bolt, which then leaves 500 for one case: the inbox
write failed, and Slack's retry will help.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from adapters.slack.blocks import (
    ANSWER_MODAL,
    HOME_CHANNEL_ACTION,
    MAX_POST_ID,
    QUIZ_PICK_ACTION,
    action_id,
)
from adapters.slack.translate import ANSWER_SUBTYPES, CHANNEL_EVENTS, LIFECYCLE_EVENTS, MEMBER_LEFT
from bot.messages import Action

MAX_CLOCK_SKEW = 5 * 60  # seconds, as Slack documents (and bolt checks)
MAX_ID_CHARS = 128  # Slack ids and timestamps are far shorter; the columns hold 128
JSON_TYPE = "application/json"
# The buttons with a listener (adapters/slack/listeners.py) whose value is a post id.
# Buttons whose value is a post id: on the daily question, and on the private feedback.
POST_BUTTONS = frozenset(
    action_id(a)
    for a in (
        Action.ANSWER_PRIVATELY,
        Action.MY_FEEDBACK,
        Action.DISPUTE,
        Action.REPORT,
        Action.MY_STATS,  # its value is the digest's week (digits), which it does not need
    )
)


class Rejected(Exception):
    """The request is refused: ``status`` (400 or 401) and a short reason that never
    echoes what was sent."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Ignored:
    """A well-formed request the bot does not handle: answered 200 and logged."""

    reason: str


def malformed(reason: str) -> Rejected:
    return Rejected(400, reason)


# --- 1. signature and timestamp ------------------------------------------------------------


def check_signature(
    raw: bytes,
    timestamp: str | None,
    signature: str | None,
    secret: str,
    *,
    now: float | None = None,
) -> None:
    """Slack's v0 signature over the raw bytes; raises ``Rejected(401)``."""
    if not timestamp or not signature:
        raise Rejected(401, "unsigned request")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Rejected(401, "X-Slack-Request-Timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        raise Rejected(401, "stale X-Slack-Request-Timestamp")
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    # Headers may carry any bytes (aiohttp keeps them as surrogate escapes).
    given = signature.encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode(), given):
        raise Rejected(401, "bad signature")


# --- 2. the body ---------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("the body is not UTF-8") from None


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """The body as bolt reads it (JSON, an interactive ``payload`` form field, or a form),
    but strictly: anything else is malformed."""
    if content_type == JSON_TYPE or text.startswith("{"):
        return _json_object(text, "the body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"], "the payload field")
    if not form:
        raise malformed("empty body")
    return form


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # also numbers too long to convert
        raise malformed(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise malformed(f"{what} is not a JSON object")
    return value


# --- 3 and 4. the shape --------------------------------------------------------------------


def classify(body: Mapping[str, Any]) -> Ignored | None:
    """None if the request is one the bot handles and is well-formed; ``Ignored`` for a
    well-formed one it does not handle; raises ``Rejected(400)`` for a malformed one."""
    if "command" in body:
        return _command(body)
    if "ssl_check" in body:
        return None  # bolt answers Slack's SSL check itself
    kind = body.get("type")
    if not isinstance(kind, str):
        raise malformed("no request type")
    _object(body, "event", "body", required=False)  # bolt looks at it for every request
    _ids(body, "body")
    if kind == "url_verification":
        _string(body, "challenge", "body")
        return None
    if kind == "event_callback":
        return _event_callback(body)
    if kind == "block_actions":
        return _block_actions(body)
    if kind == "view_submission":
        return _view_submission(body)
    return Ignored(f"request type {_short(kind)}")


def check_context(context: Mapping[str, Any]) -> None:
    """What bolt extracted from the body for its own use (authorisation, listeners): ids
    must be strings."""
    for key in (
        "team_id",
        "enterprise_id",
        "user_id",
        "channel_id",
        "thread_ts",
        "actor_team_id",
        "actor_enterprise_id",
        "actor_user_id",
        "response_url",
    ):
        value = context.get(key)
        if value is not None and not isinstance(value, str):
            raise malformed(f"{key} is not a string")


def _command(body: Mapping[str, Any]) -> Ignored | None:
    # Form fields are always strings; what can be wrong is what is missing.
    if body.get("command") != "/mlq":
        return Ignored(f"command {_short(body.get('command'))}")
    for key in ("team_id", "channel_id", "user_id"):
        _id(body, key, "command")
    return None


def _event_callback(body: Mapping[str, Any]) -> Ignored | None:
    _id(body, "team_id", "body")
    _id(body, "event_id", "body")
    authorizations = body.get("authorizations")
    if authorizations is not None:
        if not isinstance(authorizations, list):
            raise malformed("authorizations is not a list")
        for n, item in enumerate(authorizations):
            if not isinstance(item, dict):
                raise malformed(f"authorizations[{n}] is not an object")
            _ids(item, f"authorizations[{n}]")
    for key in ("is_ext_shared_channel", "is_enterprise_install"):
        if key in body and not isinstance(body[key], bool | None):
            raise malformed(f"{key} is not a boolean")
    event = _object(body, "event", "body")
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise malformed("event.type is not a string")
    _ids(event, "event")
    if event_type == "message":
        return _message(event)
    if event_type == "app_home_opened":
        _id(event, "user", "event")
        _optional_string(event, "tab", "event")
        return None
    if event_type in LIFECYCLE_EVENTS:
        if event_type in CHANNEL_EVENTS:
            _id(event, "channel", "event")
        if event_type == MEMBER_LEFT:
            _id(event, "channel", "event")
            _id(event, "user", "event")
        if event_type == "tokens_revoked":
            tokens = _object(event, "tokens", "event")
            for key in ("oauth", "bot"):
                found = tokens.get(key)
                if found is not None and not (
                    isinstance(found, list) and all(isinstance(t, str) for t in found)
                ):
                    raise malformed(f"event.tokens.{key} is not a list of ids")
        return None
    return Ignored(f"event type {_short(event_type)}")


def _message(event: Mapping[str, Any]) -> Ignored | None:
    _id(event, "channel", "event")
    subtype = event.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise malformed("event.subtype is not a string")
    if subtype == "message_changed":
        message = _object(event, "message", "event")
        previous = _object(event, "previous_message", "event", required=False)
        for where, shape in (("event.message", message), ("event.previous_message", previous)):
            _ids(shape, where)
            _optional_string(shape, "text", where)
            _optional_string(shape, "subtype", where)
            _object(shape, "user_profile", where, required=False)
        _id(message, "ts", "event.message")
        return None
    if subtype == "message_deleted":
        previous = _object(event, "previous_message", "event", required=False)
        _ids(previous, "event.previous_message")
        _optional_id(event, "deleted_ts", "event")
        return None
    if subtype not in ANSWER_SUBTYPES:
        return Ignored(f"message subtype {_short(subtype)}")
    _id(event, "ts", "event")
    _optional_string(event, "text", "event")
    _object(event, "user_profile", "event", required=False)
    if event.get("bot_id") is None:  # a person's message always says whose
        _id(event, "user", "event")
    return None


def _block_actions(body: Mapping[str, Any]) -> Ignored | None:
    user = _object(body, "user", "body")
    _id(user, "id", "user")
    for key in ("container", "channel", "message", "team"):
        shape = _object(body, key, "body", required=False)
        _ids(shape, key)
    blocks = _object(body, "message", "body", required=False).get("blocks")
    if blocks is not None and not (
        isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)
    ):
        raise malformed("message.blocks is not a list of objects")
    _optional_string(body, "trigger_id", "body")
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise malformed("actions is not a non-empty list")
    action = actions[0]  # bolt matches on the first action only, and so does the bot
    if not isinstance(action, dict):
        raise malformed("actions[0] is not an object")
    pressed = action.get("action_id")
    if not isinstance(pressed, str):
        raise malformed("actions[0].action_id is not a string")
    if pressed == HOME_CHANNEL_ACTION:
        _optional_id(action, "selected_conversation", "actions[0]")
        return None
    if pressed == QUIZ_PICK_ACTION:
        _quiz_pick(action)
        return None
    if pressed not in POST_BUTTONS:
        return Ignored(f"action {_short(pressed)}")
    value = action.get("value")
    if not isinstance(value, str) or not _is_post_id(value):
        raise malformed("actions[0].value is not a post id")
    return None


def _quiz_pick(action: Mapping[str, Any]) -> None:
    """A quiz menu's shape (what bolt and the bridge read); a value we did not write is
    answered with a note by the bridge, not refused here."""
    picked = [_object(action, "selected_option", "actions[0]", required=False)]
    many = action.get("selected_options")
    if many is not None:
        if not isinstance(many, list) or not all(isinstance(o, dict) for o in many):
            raise malformed("actions[0].selected_options is not a list of objects")
        picked += many
    for option in picked:
        _optional_string(option, "value", "actions[0].selected_option")
    _optional_string(action, "action_ts", "actions[0]")


def _view_submission(body: Mapping[str, Any]) -> Ignored | None:
    view = _object(body, "view", "body")
    callback = view.get("callback_id")
    if not isinstance(callback, str):
        raise malformed("view.callback_id is not a string")
    _string(view, "type", "view")  # bolt reads it (a workflow step's form or not)
    _ids(view, "view")
    if callback != ANSWER_MODAL:
        return Ignored(f"view {_short(callback)}")
    user = _object(body, "user", "body")
    _id(user, "id", "user")
    _object(body, "team", "body", required=False)
    _string(view, "private_metadata", "view")
    values = _object(_object(view, "state", "view"), "values", "view.state")
    for block_id, block in values.items():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            raise malformed(f"view.state.values.{_short(block_id)} is not an object of objects")
        for element in block.values():
            _optional_string(element, "value", "view.state.values")
    response_urls = body.get("response_urls")
    if response_urls is not None and not (
        isinstance(response_urls, list) and all(isinstance(r, dict) for r in response_urls)
    ):
        raise malformed("response_urls is not a list of objects")
    return None


# --- field checks --------------------------------------------------------------------------

# Fields that name something by id wherever they appear in an object bolt or the bot reads;
# ``user``, ``channel``, ``team`` and ``enterprise`` may also be an object with an ``id``.
_OBJECT_OR_ID = ("user", "channel", "team", "enterprise")
_ID_KEYS = (
    "id",
    "team_id",
    "enterprise_id",
    "user_id",
    "channel_id",
    "app_installed_team_id",
    "ts",
    "thread_ts",
    "message_ts",
    "deleted_ts",
    "event_id",
    "bot_id",
    "response_url",
    "trigger_id",
    "function_execution_id",
    "bot_access_token",
    "user_team",
    "context_team_id",
    "context_enterprise_id",
)


def _ids(shape: Mapping[str, Any], where: str) -> None:
    for key in _ID_KEYS:
        _optional_id(shape, key, where)
    for key in _OBJECT_OR_ID:
        value = shape.get(key)
        if isinstance(value, dict):
            _optional_id(value, "id", f"{where}.{key}")
        elif value is not None:
            _optional_id(shape, key, where)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def _is_post_id(value: str) -> bool:
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        return False
    return 0 < int(value) <= MAX_POST_ID


def _id(shape: Mapping[str, Any], key: str, where: str) -> str:
    value = shape.get(key)
    if not _is_id(value):
        raise malformed(f"{where}.{key} is missing or not an id")
    return value


def _optional_id(shape: Mapping[str, Any], key: str, where: str) -> None:
    value = shape.get(key)
    if value is not None and not _is_id(value):
        raise malformed(f"{where}.{key} is not an id")


def _string(shape: Mapping[str, Any], key: str, where: str) -> str:
    value = shape.get(key)
    if not isinstance(value, str):
        raise malformed(f"{where}.{key} is missing or not a string")
    return value


def _optional_string(shape: Mapping[str, Any], key: str, where: str) -> None:
    value = shape.get(key)
    if value is not None and not isinstance(value, str):
        raise malformed(f"{where}.{key} is not a string")


def _object(
    shape: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> Mapping[str, Any]:
    value = shape.get(key)
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise malformed(f"{where}.{key} is {'missing or ' if required else ''}not an object")


def _short(value: Any) -> str:
    """A name from the request, safe and short enough for a log line."""
    text = value if isinstance(value, str) else type(value).__name__
    return repr(text[:60].encode("ascii", "backslashreplace").decode())
