"""``mlq discord ...``: Discord set-up helpers (mounted by bot/cli.py)."""

from __future__ import annotations

import typer

from adapters.discord.invite import NEEDED, invite_url, required_permissions

discord_app = typer.Typer(help="Discord set-up helpers.", no_args_is_help=True)


@discord_app.callback()
def discord_group() -> None:
    """Discord set-up helpers."""


@discord_app.command("invite-url")
def invite_url_command(
    application_id: int = typer.Option(
        ...,
        "--application-id",
        envvar="DISCORD_APPLICATION_ID",
        min=1,
        help="The application id (Developer Portal -> General Information).",
    ),
    explain: bool = typer.Option(False, "--explain", help="Also list each permission and why."),
) -> None:
    """Print the URL that adds the bot to a server with the permissions it needs."""
    typer.echo(invite_url(application_id))
    if explain:
        typer.echo(f"permissions integer: {required_permissions().value}", err=True)
        for name, why in NEEDED.items():
            typer.echo(f"  {name}: {why}", err=True)
