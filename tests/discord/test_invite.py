"""The invite URL: the right scopes and exactly the permissions the bot uses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import discord
import typer
from typer.testing import CliRunner

from adapters.discord.cli import discord_app
from adapters.discord.invite import NEEDED, invite_url, required_permissions

# Mounted the way the main CLI mounts it: ``mlq discord ...``.
mlq = typer.Typer()
mlq.add_typer(discord_app, name="discord")


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_permissions_are_exactly_the_needed_ones() -> None:
    perms = required_permissions()
    assert all(getattr(perms, name) for name in NEEDED)
    assert bin(perms.value).count("1") == len(NEEDED)  # nothing more than those
    assert not perms.administrator and not perms.manage_guild and not perms.mention_everyone
    expected = 0
    for name in NEEDED:
        expected |= getattr(discord.Permissions, name).flag
    assert perms.value == expected


def test_invite_url_carries_scopes_and_permissions() -> None:
    url = invite_url(987654321)
    assert url.startswith("https://discord.com/oauth2/authorize?")
    q = query(url)
    assert q["client_id"] == ["987654321"]
    assert q["scope"][0].split() == ["bot", "applications.commands"]
    assert q["permissions"] == [str(required_permissions().value)]


def test_cli_takes_the_id_from_the_environment() -> None:
    result = CliRunner().invoke(
        mlq, ["discord", "invite-url"], env={"DISCORD_APPLICATION_ID": "42"}
    )
    assert result.exit_code == 0, result.output
    assert query(result.stdout.strip())["client_id"] == ["42"]


def test_cli_option_and_a_missing_id() -> None:
    runner = CliRunner()
    ok = runner.invoke(mlq, ["discord", "invite-url", "--application-id", "7", "--explain"])
    assert ok.exit_code == 0 and query(ok.stdout.strip().splitlines()[0])["client_id"] == ["7"]
    missing = runner.invoke(mlq, ["discord", "invite-url"], env={"DISCORD_APPLICATION_ID": ""})
    assert missing.exit_code != 0
