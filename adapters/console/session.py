"""An interactive terminal session: you are one member of a simulated team channel.

Lines starting with ``/mlq`` are commands, a plain line answers the open question, and
``/next`` moves the simulated clock to the next post, reveal or digest.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from adapters.console.adapter import ConsoleAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.events import (
    Actor,
    AnswerPosted,
    ChannelAddress,
    CommandInvoked,
    PrivateAnswerSubmitted,
)
from bot.messages import Visibility
from bot.schedule import ScheduleError, parse_duration
from bot.text import is_blank

BANNER = """\
mlq console: a simulated team channel #{channel}, you are @{user} (an admin here).
  /mlq help          the bot's commands (try /mlq, /mlq stats, /mlq leaderboard all)
  <any text>         answers the open question (a practice one first, else today's)
  /next              jump the clock to the next post, reveal or digest
  /advance 2h        move the clock forward (e.g. 30m, 1d)
  /time              show the simulated time
  /quit              leave (everything is kept in the database)
"""


def read_lines_in_background(stream: TextIO) -> asyncio.Queue[str]:
    """Lines of ``stream`` ("" at its end), read by a daemon thread.

    Not the loop's default executor: ``asyncio.run`` waits for that at exit, so Ctrl-C
    would wait for one more Enter while ``readline`` blocks. A daemon thread is left behind.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = stream.readline()
            try:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            except RuntimeError:  # the loop is closed: the session is over
                return
            if not line:
                return

    threading.Thread(target=read, name="mlq-console-input", daemon=True).start()
    return queue


class ConsoleSession:
    def __init__(
        self,
        app: App,
        adapter: ConsoleAdapter,
        clock: ManualClock,
        *,
        channel: str = "general",
        user: str = "you",
    ) -> None:
        self.app = app
        self.adapter = adapter
        self.clock = clock
        self.where = ChannelAddress("console", "local", channel)
        self.actor = Actor(user, user, is_admin=True)

    def say(self, text: str) -> None:
        self.adapter.say(text)

    async def start(self) -> None:
        self.say(BANNER.format(channel=self.where.channel, user=self.actor.user_id))
        # The database keeps the simulated days of earlier sessions: carry on from the last
        # question posted, never back in time, and answer the question still open.
        latest = await self.app.core.latest_post_time()
        if latest is not None and latest > self.clock.now():
            self.clock.set(latest)
            self.say(f"-- resuming at {latest:%a %Y-%m-%d %H:%M} UTC, where you left off --")
        await self.command("subscribe", quiet=True)
        posted_now = self.adapter.open_thread
        await self.app.core.tick()
        if self.adapter.open_thread is None or self.adapter.open_thread == posted_now:
            # Not posted by this tick: show what an earlier session left open.
            self.adapter.open_thread = await self.app.core.open_thread(self.where)
            for message in await self.app.core.open_questions(self.where, self.actor.user_id):
                if message.visibility == Visibility.PRIVATE:
                    self.adapter.show_private(message)
                elif self.adapter.open_thread is not None:
                    await self.adapter.post(self.where, message)

    async def command(self, text: str, *, quiet: bool = False) -> None:
        replies = await self.app.core.dispatch(CommandInvoked(self.where, self.actor, text))
        for reply in replies:
            if quiet and reply.visibility == Visibility.CHANNEL:
                continue
            if reply.visibility == Visibility.CHANNEL:
                await self.adapter.post(self.where, reply)
            else:
                self.adapter.show_private(reply)

    async def handle(self, line: str) -> bool:
        """Handle one input line; False means the session should end."""
        stripped = line.strip()
        head, *rest = stripped.split(maxsplit=1) or [""]
        if stripped in ("/quit", "/exit"):
            return False
        if head.lower() == "/mlq":  # as typed: /MLQ, or a tab after it
            await self.command(rest[0] if rest else "")
        elif stripped == "/next":
            await self.next_event()
        elif stripped.startswith("/advance"):
            await self.advance(stripped.removeprefix("/advance").strip())
        elif stripped == "/time":
            self.say(f"simulated time: {self.clock.now():%a %Y-%m-%d %H:%M} UTC")
        elif stripped.startswith("/"):
            self.say(
                f"unknown console command {stripped.split()[0]!r}; type /mlq help or "
                "see the list above"
            )
        else:
            await self.answer(line)
        return True

    async def answer(self, text: str) -> None:
        if self.adapter.pending_practice is not None:
            post_id = self.adapter.pending_practice
            if not is_blank(text):  # an Enter by mistake must not use the question up
                self.adapter.pending_practice = None
            event = PrivateAnswerSubmitted(self.where, self.actor, post_id, text)
            for reply in await self.app.core.dispatch(event):
                self.adapter.show_private(reply)
            return
        if self.adapter.open_thread is None:
            self.say(
                "No question is open. Type /next for the next daily question, or /mlq "
                "for a practice one."
            )
            return
        event = AnswerPosted(
            self.where, self.actor, self.adapter.open_thread, self.adapter.new_message_id(), text
        )
        for reply in await self.app.core.dispatch(event):
            self.adapter.show_private(reply)

    async def next_event(self) -> None:
        due = await self.app.core.next_due()
        if due is None:
            status = await self.app.core.channel_status(self.where)
            if status == "paused":
                self.say("daily questions are paused here; /mlq resume starts them again")
            elif status == "unsubscribed":
                self.say("nothing is scheduled; /mlq subscribe first")
            else:
                self.say("nothing is scheduled; see /mlq schedule to set post days")
            return
        self.clock.set(due)
        self.say(f"-- clock: {due:%a %Y-%m-%d %H:%M} UTC --")
        await self.app.core.tick()

    async def advance(self, spec: str) -> None:
        try:
            delta = parse_duration(spec or "1h")
        except ScheduleError:
            self.say("usage: /advance 2h (between 5m and 7d)")
            return
        self.clock.advance(delta)
        self.say(f"-- clock: {self.clock.now():%a %Y-%m-%d %H:%M} UTC --")
        await self.app.core.tick()

    async def run(self) -> None:
        await self.start()
        lines = read_lines_in_background(sys.stdin)
        while not self.adapter.closed:  # the terminal went away: nothing left to show
            self.adapter.prompt("> ")
            line = await lines.get()
            if not line:  # end of input
                self.say("")
                return
            if not await self.handle(line.rstrip("\n")):
                return
