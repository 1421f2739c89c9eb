"""From an acknowledged Slack request to the core and back.

Listeners call these methods after ``ack()``; each hands its work to the queue and returns
at once. The work: translate the payload, fill in who the person is (``users.info``,
cached), dispatch to the core, and deliver what the core returns: private replies as
ephemeral messages (through the interaction's ``response_url`` or ``chat.postEphemeral``),
channel replies as channel posts. A grade (a thread reply's, a form answer's, a quiz
pick's) is not returned: the core owes it through its outbox and sends it as a DM
(``SlackAdapter.send_private`` of a keyed message), exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from adapters.slack import translate
from adapters.slack.adapter import SlackAdapter
from adapters.slack.blocks import ModalContext, answer_modal, home_view
from adapters.slack.dedupe import RecentKeys
from adapters.slack.installations import Installations
from adapters.slack.people import People
from adapters.slack.work import WorkQueue
from bot.core import MlqCore
from bot.events import (
    Actor,
    AnswerPosted,
    ChannelAddress,
    CommandInvoked,
    InboundEvent,
    PrivateAnswerSubmitted,
    ThreadAddress,
    WorkspaceRemoved,
)
from bot.messages import Message, MessageKind, Visibility
from bot.ports import DeliveryError
from bot.render import error as render_error

log = logging.getLogger("mlq.slack")

ANSWER_RETRY_PAUSES = (0.5, 2.0, 5.0)  # seconds between attempts at storing an answer
ADMIN_CHECK_MAX_AGE = 60.0  # seconds a cached "is admin" may be trusted for admin commands


class NotStored(Exception):
    """Writing an event to the inbox failed: the request must not be acknowledged, so that
    Slack sends it again (bolt answers 500, see ``listeners.on_error``)."""


class LastChannels:
    """The channel each person last used mlq in, so the Home tab can open on it."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], str] = OrderedDict()

    def note(self, team_id: str, user_id: str, channel_id: str) -> None:
        key = (team_id, user_id)
        self._seen[key] = channel_id
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)

    def get(self, team_id: str, user_id: str) -> str | None:
        return self._seen.get((team_id, user_id))


def recent_lines(summary: Message) -> list[str]:
    """The graded-answer lines of the core's member summary (``MlqCore.home``)."""
    for field in summary.fields:
        if field.name == "Last graded answers":
            return [
                line.removeprefix("- ")
                for line in field.value.splitlines()
                if line.startswith("- ")
            ]
    return []


class SlackBridge:
    def __init__(
        self,
        core: MlqCore,
        adapter: SlackAdapter,
        *,
        work: WorkQueue | None = None,
        people: People | None = None,
        seen: RecentKeys | None = None,
        installations: Installations | None = None,
    ) -> None:
        self.core = core
        self.adapter = adapter
        self.work = work or WorkQueue()
        self.people = people or People(adapter.users_info)
        # OAuth only: the installation store's tokens and installers, one cache for both.
        self.installations = installations
        self.seen = seen or RecentKeys()
        self.last_channels = LastChannels()
        self.answer_retry_pauses: tuple[float, ...] = ANSWER_RETRY_PAUSES

    # --- who ------------------------------------------------------------------------------

    async def _actor(self, team_id: str, actor: Actor, *, max_age: float | None = None) -> Actor:
        """The actor with a display name, and admin/bot decided by Slack's user record."""
        found = await self.people.lookup(team_id, actor.user_id, max_age=max_age)
        if found is None:
            return actor
        return dataclasses.replace(
            actor,
            display_name=found.name or actor.display_name,
            is_admin=found.is_admin,
            is_bot=found.is_bot,
        )

    async def _with_actor(self, event: Any) -> Any:
        return dataclasses.replace(
            event, actor=await self._actor(event.where.workspace, event.actor)
        )

    # --- thread replies --------------------------------------------------------------------

    async def on_message(self, body: Mapping[str, Any], *, bot_user_id: str | None) -> bool:
        """A ``message`` event; True if it was taken on (a new answer, edit or deletion).

        Awaited before bolt acknowledges: the event goes into the core's inbox first, so an
        acknowledged answer survives a crash. If that write fails, ``NotStored`` makes bolt
        answer 500 and Slack sends the event again."""
        event = translate.message_event(body, bot_user_id=bot_user_id)
        if event is None:
            return False
        keys = self._event_keys(event)
        if not self.seen.claim(*keys):
            return False
        try:
            inbox_id = await self.core.inbox.accept(event)
        except Exception as exc:
            self.seen.release(*keys)
            raise NotStored(f"event {event.event_id}") from exc
        except BaseException:
            self.seen.release(*keys)
            raise
        if inbox_id is None:  # accepted before, here or by another copy of the bot
            return False
        self.work.submit(lambda: self._answer(event, inbox_id), name="mlq-answer")
        return True

    @staticmethod
    def _event_keys(event: InboundEvent) -> tuple[Any, ...]:
        by_id = ("event", event.event_id) if event.event_id else None
        if isinstance(event, AnswerPosted):
            # Slack may deliver one message under two event ids (e.g. two subscriptions).
            where = event.where
            return by_id, ("msg", where.workspace, where.channel, event.message_id)
        return (by_id,)

    async def _answer(self, event: InboundEvent, inbox_id: int, *, resumed: bool = False) -> None:
        event = await self._with_actor(event)
        self.last_channels.note(event.where.workspace, event.actor.user_id, event.where.channel)
        replies = await self._dispatch_durably(event, inbox_id, resumed=resumed)
        thread = ThreadAddress(event.where, event.thread_id)  # type: ignore[union-attr]
        await self._deliver(event.where, event.actor.user_id, replies, thread=thread)

    async def _dispatch_durably(
        self, event: InboundEvent, inbox_id: int, *, resumed: bool
    ) -> list[Message]:
        """Dispatch an inbox event and finish it there once it went through.

        Slack got its ack and will not send this again, so a failed attempt (a locked
        database, a dropped connection) is retried here, and if it still fails the inbox
        keeps it for a later sweep; the core's delivery records make a repeat a no-op. The
        person hears of a failure once, on the first try, not on every later one."""
        pauses = list(self.answer_retry_pauses)
        while True:
            replies = await self.core.dispatch(event)
            if not any(r.kind == MessageKind.ERROR for r in replies):
                try:
                    await self.core.inbox.finish(inbox_id)
                except Exception:
                    # Only bookkeeping: a sweep will hand it out again, and the core's
                    # delivery record turns that repeat into a no-op.
                    log.exception("could not finish inbox event %d", inbox_id)
                return replies
            if not pauses:
                log.warning("event %s still failing; left in the inbox", event.event_id)
                await self.core.inbox.release(inbox_id)
                return [] if resumed else replies
            pause = pauses.pop(0)
            log.warning("event %s failed; retrying in %.1fs", event.event_id, pause)
            await asyncio.sleep(pause)

    async def resume_stranded(self) -> int:
        """Hand the inbox's stranded Slack events (their process died or gave up) to the
        work queue again; returns how many."""
        taken = await self.core.inbox.stranded(self.adapter.platform)
        for item in taken:
            if isinstance(item.event, PrivateAnswerSubmitted):
                context = ModalContext.load(item.context.get("modal", ""))
                job = self._private_answer_job(item.event, context, item.inbox_id, resumed=True)
            else:
                job = self._answer_job(item.event, item.inbox_id)
            self.work.submit(job, name="mlq-resumed")
        return len(taken)

    def _answer_job(self, event: InboundEvent, inbox_id: int) -> Callable[[], Awaitable[None]]:
        return lambda: self._answer(event, inbox_id, resumed=True)

    def _private_answer_job(
        self,
        event: InboundEvent,
        context: ModalContext | None,
        inbox_id: int,
        *,
        resumed: bool = False,
    ) -> Callable[[], Awaitable[None]]:
        return lambda: self._private_answer(event, context, inbox_id, resumed=resumed)

    # --- the bot's channels and workspace come and go --------------------------------------

    async def on_lifecycle(self, body: Mapping[str, Any], *, bot_user_id: str | None) -> None:
        """A channel left, archived, unarchived or deleted; the app uninstalled or its
        token revoked. Handled before bolt acknowledges (they are rare, and the database
        decides once however often Slack sends one): if it fails, ``NotStored`` makes
        bolt answer 500 and Slack sends it again."""
        event = translate.lifecycle_event(body, bot_user_id=bot_user_id)
        if event is None:
            return
        if isinstance(event, WorkspaceRemoved) and self.installations is not None:
            # bolt's listener has deleted the installation (listeners.register runs it
            # first): neither its token nor its installer may be served from the cache.
            self.installations.forget(event.workspace)
        replies = await self.core.dispatch(event)
        if any(r.kind == MessageKind.ERROR for r in replies):
            raise NotStored(f"lifecycle event {event.event_id}")

    # --- /mlq -----------------------------------------------------------------------------

    def on_command(self, body: Mapping[str, Any]) -> None:
        event = translate.slash_command(body)
        self.adapter.direct.note_command(body)  # a (group) DM: the core's checks ask
        if not self.seen.claim(("cmd", event.event_id) if event.event_id else None):
            return
        self.work.submit(lambda: self._command(event, body.get("response_url")), name="mlq-command")

    async def _command(self, event: CommandInvoked, response_url: str | None) -> None:
        # Admin subcommands trust a users.info answer only while it is fresh.
        fresh = ADMIN_CHECK_MAX_AGE if translate.needs_admin_check(event.text) else None
        actor = await self._actor(event.where.workspace, event.actor, max_age=fresh)
        installations = self.installations
        if (
            not actor.is_admin
            and installations is not None
            and actor.user_id == await installations.installer_of(event.where.workspace)
        ):
            actor = dataclasses.replace(actor, is_admin=True)  # who installed mlq configures it
        event = dataclasses.replace(event, actor=actor)
        self.last_channels.note(event.where.workspace, event.actor.user_id, event.where.channel)
        replies = await self.core.dispatch(event)
        await self._deliver(event.where, event.actor.user_id, replies, response_url=response_url)

    # --- buttons and the answer modal ------------------------------------------------------

    def on_answer_button(self, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        context = translate.modal_context(body, action)
        trigger = body.get("trigger_id")
        if context is None or not trigger:
            return
        view = answer_modal(context, translate.question_text(body))
        # A trigger_id expires three seconds after the click: this cannot wait in the queue.
        self.work.urgent(
            lambda: self.adapter.open_view(context.team_id, str(trigger), view),
            name="mlq-open-modal",
        )

    def on_feedback_button(self, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        event = translate.button_pressed(body, action)
        if event is None:
            return
        ref = translate.action_ref(body)
        self.work.submit(lambda: self._button(event, ref), name="mlq-button")

    async def _button(self, event: InboundEvent, ref: translate.ActionRef) -> None:
        event = await self._with_actor(event)
        replies = await self.core.dispatch(event)
        # Pressed on an ephemeral message or in the app's DM (an owed grade's buttons):
        # there is no channel thread to answer in; the interaction's response_url is.
        thread_ts = None if ref.threadless else (ref.thread_ts or ref.message_ts)
        thread = ThreadAddress(event.where, thread_ts) if thread_ts else None
        await self._deliver(
            event.where, event.actor.user_id, replies, thread=thread, response_url=ref.response_url
        )

    async def on_view_submission(self, body: Mapping[str, Any]) -> None:
        parsed = translate.view_submission(body)
        if parsed is None:
            return
        event, context = parsed
        await self._accept_private_answer(event, context, "view", "mlq-modal-answer")

    async def on_quiz_pick(self, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        """A pick from a quiz menu: a private answer, into the inbox before the ack (like a
        form's), confirmed to the person alone. A payload we could not have sent gets a
        private note instead."""
        parsed = translate.quiz_pick(body, action)
        if isinstance(parsed, str):
            ref = translate.action_ref(body)
            if ref.channel_id and ref.user_id:
                where = translate.where(ref.team_id, ref.channel_id)
                note = [render_error(parsed)]
                self.work.submit(
                    lambda: self._deliver(where, ref.user_id, note, response_url=ref.response_url),
                    name="mlq-pick-refused",
                )
            return
        event, context = parsed
        await self._accept_private_answer(event, context, "pick", "mlq-pick")

    async def _accept_private_answer(
        self, event: Any, context: Any, kind: str, job_name: str
    ) -> None:
        """A form's answer or a quiz pick: into the inbox before the ack (the person's
        answer must not be lost), then graded off the ack path. Its grade is owed in the
        answer's transaction and sent as a DM by whoever holds it (bot/outbox), not
        through the interaction's response_url: a response_url reply cannot be looked up,
        so one sent just before a kill could not be told from one never sent."""
        # A form or a menu has no platform timestamp: its time is when our edge received it.
        event = dataclasses.replace(event, sent_at=self.core.ctx.now())
        key = (kind, event.event_id) if event.event_id else None
        if not self.seen.claim(key):
            return
        try:
            inbox_id = await self.core.inbox.accept(event, {"modal": context.dump()})
        except Exception as exc:
            self.seen.release(key)
            raise NotStored(f"{kind} {event.event_id}") from exc
        except BaseException:
            self.seen.release(key)
            raise
        if inbox_id is None:
            return
        self.work.submit(self._private_answer_job(event, context, inbox_id), name=job_name)

    async def _private_answer(
        self,
        event: InboundEvent,
        context: ModalContext | None,
        inbox_id: int,
        *,
        resumed: bool = False,
    ) -> None:
        event = await self._with_actor(event)
        replies = await self._dispatch_durably(event, inbox_id, resumed=resumed)
        thread_ts = context.thread_ts if context else None
        thread = ThreadAddress(event.where, thread_ts) if thread_ts else None
        await self._deliver(
            event.where,
            event.actor.user_id,
            replies,
            thread=thread,
            response_url=context.response_url if context else None,
        )

    # --- App Home --------------------------------------------------------------------------

    def on_home_opened(self, body: Mapping[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("tab") not in (None, "home") or not event.get("user"):
            return
        team = translate.team_of(body)
        user = str(event["user"])
        self.work.submit(lambda: self.publish_home(team, user), name="mlq-home")

    def on_home_channel(self, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        ref = translate.action_ref(body)
        channel = action.get("selected_conversation")
        if not channel or not ref.user_id:
            return
        self.last_channels.note(ref.team_id, ref.user_id, str(channel))
        self.work.submit(lambda: self.publish_home(ref.team_id, ref.user_id), name="mlq-home")

    async def publish_home(self, team_id: str, user_id: str) -> None:
        channel = self.last_channels.get(team_id, user_id)
        sections: list[Message] = []
        if channel is not None:
            actor = await self._actor(team_id, Actor(user_id))
            where = translate.where(team_id, channel)
            # Points, answers, grades and streaks for the chosen channel.
            for text in ("stats", "streak"):
                replies = await self.core.dispatch(CommandInvoked(where, actor, text))
                sections.extend(r for r in replies if r.kind != MessageKind.ERROR)
        summary = await self.core.home(self.adapter.platform, team_id, user_id)
        view = home_view(sections, channel_id=channel, recent=recent_lines(summary))
        await self.adapter.publish_home(team_id, user_id, view)

    # --- delivering replies ----------------------------------------------------------------

    async def _deliver(
        self,
        where: ChannelAddress,
        user_id: str,
        replies: Sequence[Message],
        *,
        thread: ThreadAddress | None = None,
        response_url: str | None = None,
    ) -> None:
        for reply in replies:
            try:
                await self._deliver_one(where, user_id, reply, thread, response_url)
            except DeliveryError as exc:
                log.warning("could not deliver a %s reply to %s: %s", reply.kind, user_id, exc)

    async def _deliver_one(
        self,
        where: ChannelAddress,
        user_id: str,
        reply: Message,
        thread: ThreadAddress | None,
        response_url: str | None,
    ) -> None:
        if reply.visibility == Visibility.CHANNEL:
            try:
                await self.adapter.post(where, reply)
            except DeliveryError:
                if not response_url:
                    raise
                # The bot is not in this channel: the command's response_url still is.
                await self.adapter.respond(response_url, reply, in_channel=True)
            return
        if response_url and thread is None:
            try:
                await self.adapter.respond(response_url, reply)
                return
            except DeliveryError as exc:
                log.info("response_url failed (%s); trying an ephemeral message", exc)
        await self.adapter.send_private(where, user_id, reply, thread=thread)
