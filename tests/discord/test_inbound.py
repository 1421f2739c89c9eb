"""Discord payloads -> core events, tested directly on plain data."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import inbound
from adapters.discord.commands import (
    admin_subcommands,
    list_choices,
    subcommand_name,
    timezone_choices,
    topic_choices,
)
from bot.commands import (
    USAGE,
    Help,
    LimitBanks,
    LimitTopics,
    Practice,
    Schedule,
    Stats,
    parse_command,
)
from bot.events import ChannelAddress
from bot.messages import Action


def raw_update(**overrides: object) -> dict:
    data = {
        "id": "900",
        "channel_id": "300",
        "guild_id": "100",
        "content": "an edited answer",
        "edited_timestamp": "2026-03-02T09:30:00+00:00",
        "author": {"id": "55", "username": "ben", "global_name": "Ben B", "bot": False},
        "member": {"nick": None},
    }
    data.update(overrides)
    return data


def thread_message(**overrides: object) -> inbound.ThreadMessage:
    values = dict(
        guild_id=100,
        parent_id=200,
        thread_id=300,
        message_id=900,
        author_id=55,
        author_name="Ben",
        author_is_bot=False,
        content="Dropout zeroes random units during training.",
    )
    values.update(overrides)
    return inbound.ThreadMessage(**values)  # type: ignore[arg-type]


def test_thread_message_becomes_an_answer_on_the_parent_channel() -> None:
    event = inbound.answer_posted(thread_message())
    assert event.where == ChannelAddress("discord", "100", "200")
    assert (event.thread_id, event.message_id, event.event_id) == ("300", "900", "900")
    assert event.actor.user_id == "55" and event.actor.display_name == "Ben"
    assert not event.actor.is_bot and not event.actor.is_admin
    assert event.text == "Dropout zeroes random units during training."


def test_bot_authors_are_marked() -> None:
    assert inbound.answer_posted(thread_message(author_is_bot=True)).actor.is_bot


def test_censored_content_is_recognised() -> None:
    assert inbound.looks_censored(thread_message(content=""))
    assert not inbound.looks_censored(thread_message(content="", has_media=True))
    assert not inbound.looks_censored(thread_message())


def test_raw_edit_becomes_an_edit() -> None:
    event = inbound.answer_edited_from_raw(raw_update(), 100, 200)
    assert event is not None
    assert event.where == ChannelAddress("discord", "100", "200")
    assert (event.thread_id, event.message_id, event.text) == ("300", "900", "an edited answer")
    assert event.actor.user_id == "55" and event.actor.display_name == "Ben B"


def test_raw_edit_prefers_the_server_nickname() -> None:
    event = inbound.answer_edited_from_raw(raw_update(member={"nick": "Benji"}), 100, 200)
    assert event is not None and event.actor.display_name == "Benji"


@pytest.mark.parametrize(
    "change",
    [
        {"edited_timestamp": None},  # a link preview unfurling, not an edit
        {"author": {"id": "9", "username": "helper", "bot": True}},
        {"webhook_id": "77"},
    ],
)
def test_raw_updates_that_are_not_answer_edits_are_ignored(change: dict) -> None:
    assert inbound.answer_edited_from_raw(raw_update(**change), 100, 200) is None


def test_raw_update_without_content_or_author_is_ignored() -> None:
    data = raw_update()
    del data["content"]
    assert inbound.answer_edited_from_raw(data, 100, 200) is None
    data = raw_update()
    del data["author"]
    assert inbound.answer_edited_from_raw(data, 100, 200) is None


@pytest.mark.parametrize(
    "change",
    [
        {"author": {"username": "no id"}},
        {"author": {"id": None}},
        {"author": {"id": "5x"}},
        {"author": {"id": ["55"]}},
        {"id": None},
        {"id": {"x": 1}},
        {"id": "9" * 40},
        {"channel_id": None},
        {"channel_id": True},
        {"content": 42},
        {"content": ["a"]},
    ],
)
def test_malformed_raw_updates_are_ignored_not_raised(change: dict, caplog) -> None:
    caplog.set_level("INFO")
    caplog.set_level("INFO", logger="mlq")  # bolt pins "mlq" (its app name) to a level
    data = raw_update()
    for key, value in change.items():
        data[key] = value
    assert inbound.answer_edited_from_raw(data, 100, 200) is None
    assert "malformed MESSAGE_UPDATE" in caplog.text


@pytest.mark.parametrize("member", [None, "nick", 5, {"nick": 7}, {"nick": ""}, [{"nick": "x"}]])
def test_odd_member_and_author_names_fall_back(member: object) -> None:
    event = inbound.answer_edited_from_raw(raw_update(member=member), 100, 200)
    assert event is not None and event.actor.display_name == "Ben B"
    odd_author = {"id": "55", "global_name": 3, "username": "ben"}
    event = inbound.answer_edited_from_raw(raw_update(author=odd_author, member=member), 100, 200)
    assert event is not None and event.actor.display_name == "ben"


def test_deletion_carries_the_remembered_author() -> None:
    who = inbound.actor(55, "Ben")
    event = inbound.answer_deleted(100, 200, 300, 900, who)
    assert event.where == ChannelAddress("discord", "100", "200")
    assert (event.thread_id, event.message_id, event.actor) == ("300", "900", who)


def test_admin_means_manage_server_or_administrator() -> None:
    assert inbound.is_admin(discord.Permissions(manage_guild=True))
    assert inbound.is_admin(discord.Permissions(administrator=True))
    assert not inbound.is_admin(discord.Permissions(manage_messages=True, kick_members=True))
    assert not inbound.is_admin(None)
    assert inbound.actor(1, "x", permissions=discord.Permissions(manage_guild=True)).is_admin


TOPICS = frozenset({"deep-learning", "evaluation-metrics"})


@pytest.mark.parametrize(
    ("subcommand", "args", "expected"),
    [
        ("practice", [None], Practice()),
        ("practice", ["deep-learning"], Practice("deep-learning")),
        ("help", [], Help()),
        ("stats", [inbound.mention(1234567890)], Stats("1234567890")),
        ("schedule", ["09:30", "Europe/Berlin", "mon-fri"], None),
    ],
)
def test_subcommand_options_parse_in_the_core_grammar(
    subcommand: str, args: list[str | None], expected: object
) -> None:
    parsed = parse_command(inbound.command_text(subcommand, args), known_topics=TOPICS)
    if expected is None:
        assert isinstance(parsed, Schedule)
        assert (parsed.timezone, parsed.weekdays) == ("Europe/Berlin", "01234")
    else:
        assert parsed == expected


def test_limit_subcommands_speak_the_core_grammar() -> None:
    topics = inbound.command_text("limit-topics", ["deep-learning, evaluation-metrics"])
    assert topics == "topics only deep-learning, evaluation-metrics"
    assert parse_command(topics, known_topics=TOPICS) == LimitTopics(
        ("deep-learning", "evaluation-metrics")
    )
    assert parse_command(inbound.command_text("limit-topics", ["all"])) == LimitTopics(())
    banks = inbound.command_text("limit-banks", ["core"])
    assert parse_command(banks, known_banks=frozenset({"core"})) == LimitBanks(("core",))
    assert parse_command(inbound.command_text("limit-banks", ["ALL"])) == LimitBanks(())


def test_list_autocomplete_completes_the_last_item() -> None:
    known = {"deep-learning": "Deep learning", "evaluation-metrics": "Evaluation metrics"}
    assert [c.value for c in list_choices(known, "")] == ["all", *sorted(known)]
    assert [c.value for c in list_choices(known, "deep-learning, ev")] == [
        "deep-learning,evaluation-metrics"
    ]
    assert list_choices(known, "deep-learning,deep") == []  # no repeats
    assert [c.value for c in list_choices(known, "metr")] == ["evaluation-metrics"]


def test_command_text_collapses_stray_whitespace() -> None:
    assert inbound.command_text("reveal-after", ["  8h "]) == "reveal-after 8h"
    assert inbound.command_text("leaderboard", [None]) == "leaderboard"


def test_interaction_events_carry_the_interaction_id() -> None:
    where, who = inbound.address(1, 2), inbound.actor(3, "c")
    assert inbound.command_invoked(where, who, "stats", 77).event_id == "77"
    pressed = inbound.button_pressed(where, who, Action.MY_FEEDBACK, "5", 78)
    assert (pressed.action, pressed.value, pressed.event_id) == (Action.MY_FEEDBACK, "5", "78")
    answer = inbound.private_answer(where, who, "5", "text", 79)
    assert (answer.post_id, answer.event_id) == (5, "79")


def test_admin_subcommands_are_the_core_admin_entries() -> None:
    admin_keys = [key for key, u in USAGE.items() if u.admin]
    assert admin_subcommands() == {subcommand_name(key) for key in admin_keys}
    assert "reports" in admin_subcommands()  # `retire` is an option of it on Discord
    assert {"schedule", "limit-topics", "limit-banks"} <= admin_subcommands()
    assert "stats" not in admin_subcommands()


def test_topic_autocomplete_matches_id_or_title_prefix_first() -> None:
    titles = {"deep-learning": "Deep learning", "nlp-llms": "NLP and LLMs", "sql": "SQL, deep"}
    choices = topic_choices(titles, "deep")
    assert [c.value for c in choices] == ["deep-learning", "sql"]
    assert choices[0].name == "Deep learning (deep-learning)"
    assert len(topic_choices({f"t{i}": f"T{i}" for i in range(40)}, "")) == 25


def test_timezone_autocomplete() -> None:
    values = [c.value for c in timezone_choices("berl")]
    assert values == ["Europe/Berlin"]
    assert len(timezone_choices("america")) == 25
