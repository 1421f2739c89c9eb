"""``/mlq`` as an app-command group: one subcommand per entry of the core's grammar.

Each subcommand only turns its options back into the core's command text; the core
parses, checks and answers. Who is an admin is the core's decision too: members with
Manage Channels in that channel (or Manage Server, or Administrator), which the adapter
reads from the interaction's resolved permissions, and people an admin added with
``/mlq admins add``, whom only the core knows; so no subcommand carries a Discord-side
permission check. (Discord applies default member permissions to a top-level command
only, never to a subcommand, so hiding admin subcommands is a server setting anyway.)
"""

from __future__ import annotations

import logging
import zoneinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from adapters.discord.inbound import command_text, mention
from bot.commands import USAGE
from bot.disputes.grammar import MAX_REASON_CHARS

if TYPE_CHECKING:
    from adapters.discord.bot import DiscordBot

log = logging.getLogger("mlq.discord")

MAX_CHOICES = 25  # Discord's cap on autocomplete suggestions
ADMIN_PERMISSION = "Manage Channels"
DAYS = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FORMAT_MODES = Literal["open", "mixed", "quiz"]
PRACTICE_FORMATS = Literal["quiz", "open", "choice", "numeric"]


# Grammar entries whose name is not a valid single subcommand name on Discord.
SUBCOMMAND_NAMES = {"": "practice", "topics only": "limit-topics", "banks only": "limit-banks"}
# Grammar entries that are an option of another subcommand, since a Discord command group
# holds at most 25 subcommands: `/mlq reports retire:#3` is the grammar's `retire #3`.
FOLDED_INTO = {"retire": "reports"}


def subcommand_name(usage_key: str) -> str:
    return FOLDED_INTO.get(usage_key) or SUBCOMMAND_NAMES.get(usage_key, usage_key)


def summary(name: str) -> str:
    return USAGE[name].summary[:100]


def list_choices(known: dict[str, str], typed: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated list: complete the last item, keep the rest.

    ``known`` maps each value to a label; "all" (no limit) is offered first when it fits.
    """
    done, _, last = typed.rpartition(",")
    prefix = ",".join(x.strip() for x in done.split(",") if x.strip())
    chosen = set(prefix.split(",")) if prefix else set()
    needle = last.strip().lower()
    choices = []
    if not prefix and "all".startswith(needle):
        choices.append(app_commands.Choice(name="all (no limit)", value="all"))
    for value, label in sorted(known.items()):
        if value in chosen or (needle not in value and needle not in label.lower()):
            continue
        full = f"{prefix},{value}" if prefix else value
        if len(full) <= 100:
            choices.append(app_commands.Choice(name=f"{full} ({label})"[:100], value=full))
    return choices[:MAX_CHOICES]


def topic_choices(titles: dict[str, str], typed: str) -> list[app_commands.Choice[str]]:
    """Topics whose id or title contains what was typed, best matches first."""
    needle = typed.strip().lower()
    hits = [
        (not (topic.startswith(needle) or title.lower().startswith(needle)), topic, title)
        for topic, title in titles.items()
        if needle in topic or needle in title.lower()
    ]
    hits.sort()
    return [
        app_commands.Choice(name=f"{title} ({topic})"[:100], value=topic)
        for _, topic, title in hits[:MAX_CHOICES]
    ]


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def timezone_choices(typed: str) -> list[app_commands.Choice[str]]:
    needle = typed.strip().lower().replace(" ", "_")
    hits = [z for z in _zones() if needle in z.lower()]
    hits.sort(key=lambda z: (not z.lower().startswith(needle), z))
    return [app_commands.Choice(name=z, value=z) for z in hits[:MAX_CHOICES]]


# Interactions the bot does not expect, with nothing to fix on its side: a command Discord
# still offers but this version no longer has (not re-synced yet), or options whose shape
# does not match the command's. Logged at INFO and answered with a short note.
UNEXPECTED_INTERACTIONS = (
    app_commands.CommandNotFound,
    app_commands.CommandSignatureMismatch,
    app_commands.TransformerError,
)
OUT_OF_DATE = (
    "mlq did not understand that command; it may be out of date. Try again in a minute, "
    "or see `/mlq help`."
)


async def answer_error(
    bot: DiscordBot, interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """What a failed app command tells the person, and what it logs."""
    if isinstance(error, app_commands.MissingPermissions):
        text = f"Only members with **{ADMIN_PERMISSION}** can change mlq's settings here."
    elif isinstance(error, UNEXPECTED_INTERACTIONS):
        log.info("ignored an unexpected command interaction: %s", error)
        text = OUT_OF_DATE
    else:
        log.error("/mlq failed", exc_info=error)
        text = "Something went wrong on our side. Please try again in a minute."
    await bot.refuse(interaction, text)


class MlqGroup(app_commands.Group):
    def __init__(self, bot: DiscordBot) -> None:
        super().__init__(
            name="mlq",
            description="Daily ML interview questions: practice, stats, leaderboard",
            guild_only=True,
        )
        self.bot = bot

    async def _run(self, interaction: discord.Interaction, name: str, *args: str | None) -> None:
        await self.bot.run_command(interaction, command_text(name, args))

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await answer_error(self.bot, interaction, error)

    # --- for everyone ---------------------------------------------------------------

    @app_commands.command(name="practice", description=summary(""))
    @app_commands.describe(
        topic="A topic to practise; leave empty for any",
        format="quiz (multiple choice or a number), open, choice or numeric",
    )
    async def practice(
        self,
        interaction: discord.Interaction,
        topic: str | None = None,
        format: PRACTICE_FORMATS | None = None,
    ) -> None:
        await self._run(interaction, "practice", topic, format)

    @practice.autocomplete("topic")
    async def _practice_topic(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return topic_choices(self.bot.topic_titles, current)

    @app_commands.command(name="topics", description=summary("topics"))
    async def topics(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "topics")

    @app_commands.command(name="stats", description=summary("stats"))
    @app_commands.describe(member="Whose stats to show; leave empty for your own")
    async def stats(
        self, interaction: discord.Interaction, member: discord.Member | None = None
    ) -> None:
        await self._run(interaction, "stats", mention(member.id) if member else None)

    @app_commands.command(name="streak", description=summary("streak"))
    async def streak(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "streak")

    @app_commands.command(name="leaderboard", description=summary("leaderboard"))
    @app_commands.describe(scope="This week or all time (default: this week)")
    async def leaderboard(
        self, interaction: discord.Interaction, scope: Literal["week", "all"] | None = None
    ) -> None:
        await self._run(interaction, "leaderboard", scope)

    @app_commands.command(name="help", description=summary("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "help")

    @app_commands.command(name="status", description=summary("status"))
    async def status(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "status")

    # --- for admins (Manage Server) -----------------------------------------------------

    @app_commands.command(name="schedule", description=summary("schedule"))
    @app_commands.describe(
        time="Posting time, 24-hour HH:MM, e.g. 09:30",
        timezone="IANA time zone, e.g. Europe/Berlin",
        days="Days to post, e.g. mon-fri or mon,wed,fri (default: unchanged)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        time: str,
        timezone: str,
        days: str | None = None,
    ) -> None:
        await self._run(interaction, "schedule", time, timezone, days)

    @schedule.autocomplete("timezone")
    async def _schedule_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="limit-topics", description=summary("topics only"))
    @app_commands.describe(topics="Comma-separated topics for daily questions, or all")
    async def limit_topics(self, interaction: discord.Interaction, topics: str) -> None:
        await self._run(interaction, "limit-topics", topics)

    @limit_topics.autocomplete("topics")
    async def _limit_topics_topics(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return list_choices(self.bot.topic_titles, current)

    @app_commands.command(name="limit-banks", description=summary("banks only"))
    @app_commands.describe(banks="Comma-separated question banks for daily questions, or all")
    async def limit_banks(self, interaction: discord.Interaction, banks: str) -> None:
        await self._run(interaction, "limit-banks", banks)

    @limit_banks.autocomplete("banks")
    async def _limit_banks_banks(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return list_choices({bank: bank for bank in self.bot.banks}, current)

    @app_commands.command(name="reveal-after", description=summary("reveal-after"))
    @app_commands.describe(duration="How long answers stay open, e.g. 8h or 90m")
    async def reveal_after(self, interaction: discord.Interaction, duration: str) -> None:
        await self._run(interaction, "reveal-after", duration)

    @app_commands.command(name="digest", description=summary("digest"))
    @app_commands.describe(day="Day of the weekly digest", time="Time of day, HH:MM")
    async def digest(self, interaction: discord.Interaction, day: DAYS, time: str) -> None:
        await self._run(interaction, "digest", day, time)

    @app_commands.command(name="team-streak", description=summary("team-streak"))
    @app_commands.describe(answers="On-time answers a day needs to extend the team streak")
    async def team_streak(
        self, interaction: discord.Interaction, answers: app_commands.Range[int, 1, 50]
    ) -> None:
        await self._run(interaction, "team-streak", str(answers))

    @app_commands.command(name="formats", description=summary("formats"))
    @app_commands.describe(mode="open questions only, mixed with quizzes, or quizzes only")
    async def formats(self, interaction: discord.Interaction, mode: FORMAT_MODES) -> None:
        await self._run(interaction, "formats", mode)

    @app_commands.command(name="pause", description=summary("pause"))
    async def pause(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "pause")

    @app_commands.command(name="resume", description=summary("resume"))
    async def resume(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "resume")

    @app_commands.command(name="skip", description=summary("skip"))
    async def skip(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "skip")

    @app_commands.command(name="subscribe", description=summary("subscribe"))
    async def subscribe(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "subscribe")

    @app_commands.command(name="unsubscribe", description=summary("unsubscribe"))
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "unsubscribe")

    # --- admins, disputes and reports (bot/disputes) ------------------------------------

    @app_commands.command(name="admins", description=summary("admins"))
    @app_commands.describe(
        action="list (default), add or remove", member="Who to add or remove as an mlq admin"
    )
    async def admins(
        self,
        interaction: discord.Interaction,
        action: Literal["list", "add", "remove"] | None = None,
        member: discord.Member | None = None,
    ) -> None:
        await self._run(interaction, "admins", action, mention(member.id) if member else None)

    @app_commands.command(name="dispute", description=summary("dispute"))
    @app_commands.describe(reason="Why you think the grade is wrong (one line)")
    async def dispute(
        self,
        interaction: discord.Interaction,
        reason: app_commands.Range[str, 1, MAX_REASON_CHARS] | None = None,
    ) -> None:
        await self._run(interaction, "dispute", reason)

    @app_commands.command(name="disputes", description=summary("disputes"))
    async def disputes(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "disputes")

    @app_commands.command(name="resolve", description=summary("resolve"))
    @app_commands.describe(
        dispute="The dispute's number (see /mlq disputes)",
        decision="Keep the grade, or set it as a score or by the key points covered",
        value="For score: 0-100; for points: covered key point numbers, e.g. 1,3 (or none)",
        why="Why (the member is told)",
    )
    async def resolve(
        self,
        interaction: discord.Interaction,
        dispute: app_commands.Range[int, 1, 2**53],
        decision: Literal["keep", "score", "points"],
        value: str | None = None,
        why: str | None = None,
    ) -> None:
        await self._run(interaction, "resolve", str(dispute), decision, value, why)

    @app_commands.command(name="report", description=summary("report"))
    @app_commands.describe(reason="What is wrong or unclear in the latest question")
    async def report(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, MAX_REASON_CHARS]
    ) -> None:
        await self._run(interaction, "report", reason)

    # Discord allows 25 subcommands in a group: retiring a question is an option of
    # `/mlq reports` (the list it acts on) rather than a subcommand of its own.
    @app_commands.command(name="reports", description=summary("reports"))
    @app_commands.describe(
        retire="Retire a question: a report number like #3, or a question id",
        why="Why (kept with the retirement)",
    )
    async def reports(
        self,
        interaction: discord.Interaction,
        retire: str | None = None,
        why: str | None = None,
    ) -> None:
        if retire:
            await self._run(interaction, "retire", retire, why)
        else:
            await self._run(interaction, "reports")


def admin_subcommands() -> frozenset[str]:
    """Subcommands that need Manage Server: exactly the core's admin grammar entries."""
    return frozenset(subcommand_name(key) for key, usage in USAGE.items() if usage.admin)
