"""``mlq doctor`` for Slack: the tokens, the scopes they were granted, and every subscribed
channel (without posting anything)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from adapters.slack.adapter import DM_SCOPES
from adapters.slack.runtime import BOT_SCOPES, SlackConfigError, SlackRuntime, build_runtime
from adapters.slack.tokens import UnknownWorkspace
from bot.access.doctor import Problem, channel_problems
from bot.config import Settings
from bot.events import ChannelAddress
from storage import unit_of_work

PLATFORM = "slack"
REFUSED = "the bot token is refused"


async def doctor(settings: Settings, *, mode: str) -> list[Problem]:
    """Build the app as ``mlq run`` would (without migrating), check, close."""
    try:
        runtime = await build_runtime(settings, mode=mode, migrate=False)
    except SlackConfigError as exc:
        return [Problem("slack settings", str(exc), "see docs/slack.md")]
    try:
        return await check(runtime)
    finally:
        await runtime.close()


async def check(runtime: SlackRuntime) -> list[Problem]:
    """Every problem found, in the order: tokens and scopes, then channels."""
    problems: list[Problem] = []
    teams = await _known_teams(runtime)
    if runtime.token_mode == "single" and runtime.team_id:
        teams = sorted(set(teams) | {runtime.team_id})
    refused: set[str] = set()
    for team in teams:
        found = await _token(runtime, team)
        if found and found[0].what.startswith(REFUSED):
            refused.add(team)
        problems += found

    async def channel(where: ChannelAddress) -> list[str]:
        if where.workspace in refused:
            return []  # its token's problem is reported already
        return await runtime.adapter.membership_problems(where)

    return problems + await channel_problems(runtime.app.db, PLATFORM, channel)


async def _known_teams(runtime: SlackRuntime) -> list[str]:
    async with unit_of_work(runtime.app.db) as repo:
        rows = await repo.active_channels(PLATFORM)
        rows += await repo.suspended_channels(PLATFORM)
    return sorted({r.workspace_external_id for r in rows if r.channel.subscribed})


async def _token(runtime: SlackRuntime, team: str) -> list[Problem]:
    where = f"slack {team}"
    try:
        token = await runtime.adapter.tokens.token_for(team)
    except UnknownWorkspace:
        return [Problem(where, f"{REFUSED}: mlq is not installed here", "install the app again")]
    try:
        response = await runtime.client.auth_test(token=token)
    except SlackApiError as exc:
        code = exc.response.get("error")
        fix = (
            "set SLACK_BOT_TOKEN to the Bot User OAuth Token (reinstall the app for a new one)"
            if runtime.token_mode == "single"
            else "install the app in this workspace again"
        )
        return [Problem(where, f"{REFUSED} ({code})", fix)]
    granted = response.headers.get("x-oauth-scopes") or response.headers.get("X-OAuth-Scopes")
    if granted is None:
        return []  # Slack did not say; nothing to compare
    missing = sorted(set(BOT_SCOPES) - {s.strip() for s in granted.split(",")})
    if not missing:
        return []
    # Installs from before grades were DMs lack these; say what that costs.
    why = (
        " (without im:history / im:write a grade whose sender died cannot be looked up "
        "and may be sent twice)"
        if set(missing) & set(DM_SCOPES)
        else ""
    )
    return [
        Problem(
            where,
            f"the token lacks the scopes {', '.join(missing)}{why}",
            "add them under OAuth & Permissions (or create the app from the manifest) and "
            "reinstall",
        )
    ]
