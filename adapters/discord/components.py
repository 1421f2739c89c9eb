"""Buttons and the private-answer modal.

The buttons are a ``DynamicItem``: discord.py matches a click by its custom id against
the template, so a click on a question posted before a restart still reaches the bot,
as long as the class is registered at start (``Client.add_dynamic_items``).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from adapters.discord.outbound import (
    CUSTOM_ID_TEMPLATE,
    PICK_TEMPLATE,
    SLUG_ACTIONS,
    ButtonSpec,
    MenuSpec,
)
from bot.messages import Action
from bot.text import MAX_GRADED_CHARS

ANSWER_MODAL_PREFIX = "mlq:answer-modal:"
ANSWER_INPUT_ID = "mlq:answer-text"
# Discord caps a paragraph input at 4,000 characters, which is also what the grader reads.
ANSWER_MAX = min(4000, MAX_GRADED_CHARS)
MODAL_TIMEOUT_SECONDS = 3600


class Handlers(Protocol):
    """What the components call back into (the bot in bot.py)."""

    async def on_button(
        self, interaction: discord.Interaction, action: Action, value: str
    ) -> None: ...

    async def on_private_answer(
        self, interaction: discord.Interaction, post_id: str, text: str
    ) -> None: ...

    async def on_pick(
        self, interaction: discord.Interaction, post_id: str, values: list[Any]
    ) -> None: ...


def handlers_of(interaction: discord.Interaction) -> Handlers:
    return interaction.client.mlq  # type: ignore[attr-defined]


_STYLES = {
    Action.ANSWER_PRIVATELY: discord.ButtonStyle.primary,
    Action.MY_FEEDBACK: discord.ButtonStyle.secondary,
    Action.DISPUTE: discord.ButtonStyle.secondary,
    Action.REPORT: discord.ButtonStyle.secondary,
    Action.MY_STATS: discord.ButtonStyle.secondary,
}


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_TEMPLATE):
    def __init__(self, action: Action, value: str, label: str, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label=label, style=_STYLES[action], custom_id=custom_id))
        self.action = action
        self.value = value

    @classmethod
    def from_spec(cls, spec: ButtonSpec) -> ActionButton:
        return cls(spec.action, spec.value, spec.label, spec.custom_id)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        label = getattr(item, "label", None) or ""
        return cls(SLUG_ACTIONS[match["slug"]], match["value"], label, item.custom_id)  # type: ignore[attr-defined]

    async def callback(self, interaction: discord.Interaction) -> None:
        await handlers_of(interaction).on_button(interaction, self.action, self.value)


class PickSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICK_TEMPLATE):
    """A quiz question's options; the pick goes back as a private answer (ephemeral)."""

    def __init__(self, post_id: str, custom_id: str, menu: MenuSpec | None = None) -> None:
        labels = menu.labels if menu else ()
        several = bool(menu and menu.several)
        super().__init__(
            discord.ui.Select(
                custom_id=custom_id,
                placeholder="Pick all that apply (only you see it)"
                if several
                else "Pick (only you see it)",
                min_values=1,
                max_values=len(labels) if several and labels else 1,
                options=[
                    discord.SelectOption(label=label, value=str(index))
                    for index, label in enumerate(labels)
                ]
                or [discord.SelectOption(label="?", value="0")],
            )
        )
        self.post_id = post_id

    @classmethod
    def from_spec(cls, spec: MenuSpec) -> PickSelect:
        return cls(spec.custom_id.rsplit(":", 1)[1], spec.custom_id, spec)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickSelect:
        return cls(match["post"], item.custom_id)  # type: ignore[attr-defined]

    async def callback(self, interaction: discord.Interaction) -> None:
        # The values as Discord sent them; the handler checks them (they come from outside).
        data = interaction.data if isinstance(interaction.data, dict) else {}
        values = data.get("values")
        await handlers_of(interaction).on_pick(
            interaction, self.post_id, values if isinstance(values, list) else []
        )


def view_for(
    buttons: tuple[ButtonSpec, ...], menu: MenuSpec | None = None
) -> discord.ui.View | None:
    if not buttons and menu is None:
        return None
    view = discord.ui.View(timeout=None)
    if menu is not None:
        view.add_item(PickSelect.from_spec(menu))
    for spec in buttons:
        view.add_item(ActionButton.from_spec(spec))
    return view


class AnswerModal(discord.ui.Modal):
    """A private answer: nobody sees it in the thread; the grade comes back ephemerally."""

    def __init__(self, post_id: str) -> None:
        super().__init__(
            title="Answer privately",
            timeout=MODAL_TIMEOUT_SECONDS,
            custom_id=f"{ANSWER_MODAL_PREFIX}{post_id}",
        )
        self.post_id = post_id
        self.answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label="Your answer",
            style=discord.TextStyle.paragraph,
            custom_id=ANSWER_INPUT_ID,
            placeholder="Only the grader sees this until the reveal.",
            max_length=ANSWER_MAX,
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await handlers_of(interaction).on_private_answer(
            interaction, self.post_id, self.answer.value
        )
