"""Who may configure mlq in a workspace, and ``/mlq admins``.

An admin is whoever the platform says is one (the adapter sets ``Actor.is_admin``: Slack's
workspace admins and owners and the user who installed the app; Discord's members with
Manage Channels in that channel), or someone an admin added with ``/mlq admins add``. The
added ones are stored per workspace, so the same grammar works on every platform.
"""

from __future__ import annotations

from dataclasses import replace

from bot import render
from bot.disputes import grammar
from bot.events import Actor
from bot.messages import Message
from storage.feedback import FeedbackStore
from storage.repository import Repository

NOT_ADMIN = (
    "Only admins can do that here: workspace admins and owners, the person who installed "
    "mlq, people added with `/mlq admins add`, and on Discord members with Manage Channels "
    "in this channel. Try `/mlq help` for what you can do."
)


async def effective_actor(repo: Repository, workspace_id: int, actor: Actor) -> Actor:
    """The actor, admin also when an admin added them with ``/mlq admins add``."""
    if actor.is_admin or actor.is_bot or not actor.user_id:
        return actor
    if await FeedbackStore(repo.session).is_added_admin(workspace_id, actor.user_id):
        return replace(actor, is_admin=True)
    return actor


async def run(
    repo: Repository,
    workspace_id: int,
    actor: Actor,
    command: grammar.AdminsList | grammar.AdminsAdd | grammar.AdminsRemove,
    now: object,
) -> Message:
    store = FeedbackStore(repo.session)
    match command:
        case grammar.AdminsAdd(user_id=user):
            if await store.add_admin(workspace_id, user, actor.user_id, now):  # type: ignore[arg-type]
                return render.info(
                    f"{await _who(repo, workspace_id, user)} can now configure mlq here "
                    "(remove with `/mlq admins remove`)."
                )
            return render.info(f"{await _who(repo, workspace_id, user)} was already an mlq admin.")
        case grammar.AdminsRemove(user_id=user):
            if await store.remove_admin(workspace_id, user):
                return render.info(
                    f"{await _who(repo, workspace_id, user)} is no longer an mlq admin. "
                    "(Workspace admins and owners stay admins.)"
                )
            return render.error(
                f"{await _who(repo, workspace_id, user)} is not on the list of added admins "
                "(see `/mlq admins list`)."
            )
    added = await store.admins(workspace_id)
    lines = [
        f"- {await _who(repo, workspace_id, a.user_id)} (added by "
        f"{await _who(repo, workspace_id, a.added_by)}, {a.added_at:%Y-%m-%d})"
        for a in added
    ]
    body = (
        "Workspace admins and owners, the person who installed mlq and (on Discord) members "
        "with Manage Channels in a channel may configure mlq. Also:\n"
        + ("\n".join(lines) if lines else "- nobody else yet (`/mlq admins add @member`)")
    )
    return render.info(body, title="mlq admins")


async def _who(repo: Repository, workspace_id: int, user_id: str) -> str:
    """A person by their name when mlq has met them, else by their id; never a mention."""
    member = await repo.find_member(workspace_id, user_id)
    if member is not None and member.external_id == user_id and member.display_name:
        return render.name(member.display_name)
    return f"`{render.quote_user_text(user_id, 40)}`"
