"""Neutral message -> Discord embeds, tested directly: layout, escaping and size limits."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import outbound
from bot.events import ChannelAddress, ThreadAddress
from bot.messages import Action, Button, Field, Message, MessageKind, Reaction


def total(embeds: tuple[discord.Embed, ...]) -> int:
    return sum(len(e) for e in embeds)


def assert_within_limits(parts: list[outbound.Rendered]) -> None:
    for part in parts:
        assert 1 <= len(part.embeds) <= outbound.EMBEDS_PER_MESSAGE
        assert total(part.embeds) <= outbound.MESSAGE_TOTAL_MAX
        for embed in part.embeds:
            assert len(embed.title or "") <= outbound.TITLE_MAX
            assert len(embed.description or "") <= outbound.DESCRIPTION_MAX
            assert len(embed.fields) <= outbound.FIELDS_PER_EMBED
            assert len(embed.footer.text or "") <= outbound.FOOTER_MAX
            for f in embed.fields:
                assert 0 < len(f.name) <= outbound.FIELD_NAME_MAX
                assert 0 < len(f.value) <= outbound.FIELD_VALUE_MAX


def text_of(parts: list[outbound.Rendered]) -> str:
    chunks = []
    for part in parts:
        for embed in part.embeds:
            chunks.append(embed.description or "")
            chunks += [f.value for f in embed.fields]
    return "\n".join(chunks)


def test_question_post_layout() -> None:
    message = Message(
        title="Question of the day · Deep learning",
        body="What does **dropout** do?",
        fields=(Field("Topic", "Deep learning", inline=True), Field("Difficulty", "★★☆", True)),
        buttons=(
            Button(Action.ANSWER_PRIVATELY, "Answer privately", "42"),
            Button(Action.MY_FEEDBACK, "My feedback", "42"),
        ),
        footer="Reply in this thread.",
        kind=MessageKind.QUESTION,
    )
    [part] = outbound.render(message)
    [embed] = part.embeds
    assert embed.title == "Question of the day · Deep learning"
    assert embed.description == "What does **dropout** do?"  # markdown passes through
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("Topic", "Deep learning", True),
        ("Difficulty", "★★☆", True),
    ]
    assert embed.footer.text == "Reply in this thread."
    assert embed.colour.value == outbound.COLOURS[MessageKind.QUESTION]
    assert [(b.label, b.custom_id) for b in part.buttons] == [
        ("Answer privately", "mlq:answer:42"),
        ("My feedback", "mlq:feedback:42"),
    ]


def test_custom_ids_round_trip_and_reject_anything_else() -> None:
    for action in Action:
        cid = outbound.custom_id(action, "1234567890123")
        assert cid is not None and len(cid) <= 100
        assert outbound.parse_custom_id(cid) == (action, "1234567890123")
    assert outbound.custom_id(Action.MY_FEEDBACK, "not-a-post") is None
    assert outbound.parse_custom_id("mlq:feedback:12x") is None
    assert outbound.parse_custom_id("other:feedback:12") is None


def test_mentions_in_any_text_are_defused() -> None:
    message = Message(
        title="Hi @everyone",
        body="<@123> and <@&456> and @here",
        fields=(Field("<#789>", "@everyone"),),
        footer="<@!1>",
    )
    [part] = outbound.render(message)
    [embed] = part.embeds
    rendered = " ".join(
        [embed.title, embed.description, embed.footer.text]
        + [x for f in embed.fields for x in (f.name, f.value)]
    )
    assert "<@" not in rendered and "<#" not in rendered
    assert "@everyone" not in rendered and "@here" not in rendered
    assert outbound.NO_MENTIONS.everyone is False
    assert outbound.NO_MENTIONS.users is False and outbound.NO_MENTIONS.roles is False


def test_long_title_is_cut_with_an_ellipsis() -> None:
    [part] = outbound.render(Message(title="t" * 400, body="x"))
    assert len(part.embeds[0].title) == outbound.TITLE_MAX
    assert part.embeds[0].title.endswith("…")


def test_long_body_is_split_across_embeds_without_losing_text() -> None:
    lines = [f"line {i} " + "w" * 80 for i in range(120)]  # about 10,800 characters
    parts = outbound.render(Message(title="Model answer", body="\n".join(lines)))
    assert_within_limits(parts)
    assert sum(len(p.embeds) for p in parts) >= 3
    joined = text_of(parts)
    assert all(line in joined for line in lines)
    assert parts[0].embeds[0].title == "Model answer"


def test_long_field_is_split_into_continued_fields() -> None:
    value = "\n".join(f"- key point {i} " + "k" * 60 for i in range(40))  # ~3,000 chars
    parts = outbound.render(Message(body="Score 50%", fields=(Field("Missed", value),)))
    assert_within_limits(parts)
    names = [f.name for p in parts for e in p.embeds for f in e.fields]
    assert names[0] == "Missed" and names[1:] and all(n == "Missed (cont.)" for n in names[1:])
    assert all(f"key point {i} " in text_of(parts) for i in range(40))


def test_many_fields_spill_into_further_embeds() -> None:
    fields = tuple(Field(f"f{i}", "v") for i in range(60))
    parts = outbound.render(Message(body="x", fields=fields))
    assert_within_limits(parts)
    assert [f.name for p in parts for e in p.embeds for f in e.fields] == [
        f"f{i}" for i in range(60)
    ]


def test_message_total_stays_under_6000_by_starting_new_messages() -> None:
    fields = tuple(Field(f"Point {i}", "p" * 1000) for i in range(14))  # 14,000+ characters
    parts = outbound.render(
        Message(
            title="T",
            body="b",
            fields=fields,
            buttons=(Button(Action.MY_FEEDBACK, "My feedback", "7"),),
            footer="end",
        )
    )
    assert len(parts) == 3
    assert_within_limits(parts)
    assert parts[0].buttons and not parts[1].buttons and not parts[2].buttons
    assert parts[-1].embeds[-1].footer.text == "end"


def test_beyond_the_message_cap_the_rest_is_cut_with_a_note() -> None:
    body = "\n".join("z" * 1000 for _ in range(60))  # 60,000 characters
    parts = outbound.render(Message(body=body, footer="footer"))
    assert len(parts) == outbound.MAX_MESSAGES
    assert_within_limits(parts)
    assert outbound.TRUNCATED_NOTE in parts[-1].embeds[-1].footer.text


def test_a_split_code_block_is_closed_and_reopened() -> None:
    code = "```python\n" + "\n".join(f"x_{i} = {i}  # " + "c" * 60 for i in range(100)) + "\n```"
    pieces = outbound.split_text(code, 1024)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= 1024
        assert piece.count("```") % 2 == 0, piece[:40]
    assert pieces[1].startswith("```python\n")


def test_a_single_huge_line_is_hard_split() -> None:
    pieces = outbound.split_text("word " * 2000, 1024)
    assert all(len(p) <= 1024 for p in pieces)
    assert "".join(pieces).replace(" ", "") == ("word" * 2000)


def test_empty_message_still_renders_a_valid_embed() -> None:
    [part] = outbound.render(Message(body=""))
    assert len(part.embeds) == 1 and total(part.embeds) >= 1


def test_thread_name_fits_discord() -> None:
    name = outbound.thread_name(Message(title="Q " * 200, body="x"))
    assert 1 <= len(name) <= outbound.THREAD_NAME_MAX
    assert outbound.thread_name(Message(body="")) == "Question"


@pytest.mark.parametrize("reaction", list(Reaction))
def test_every_reaction_has_an_emoji(reaction: Reaction) -> None:
    assert outbound.REACTION_EMOJI[reaction]


def test_dm_context_names_the_thread() -> None:
    where = ChannelAddress("discord", "1", "2")
    assert outbound.dm_context(where, ThreadAddress(where, "3")) == "About your answer in <#3>:"
    assert outbound.dm_context(where, None) == "About your answer in <#2>:"


async def test_help_shows_discord_spellings_of_commands() -> None:
    from adapters.discord.adapter import DiscordAdapter
    from bot.render import help_message

    text = help_message(True, DiscordAdapter.command_forms).body
    assert "`/mlq practice [topic]`" in text and "`/mlq limit-topics T1,T2 | all`" in text
    assert "`/mlq [topic]`" not in text
