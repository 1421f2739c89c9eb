"""/mlq under simcord: the synced group, autocomplete, defer-then-follow-up, admin checks."""

from __future__ import annotations

import discord

from adapters.discord.commands import FOLDED_INTO, admin_subcommands, subcommand_name
from bot.commands import USAGE
from tests.discord.conftest import Server, last_acknowledgement, post_question, subscribe

DEFERRED = 5  # Discord's deferred channel message callback


async def test_every_grammar_entry_is_a_synced_subcommand(server: Server) -> None:
    available = set(server.members[0].available_commands(server.channel))
    expected = {f"mlq {subcommand_name(key)}" for key in USAGE}
    assert len(expected) == len(USAGE) - len(FOLDED_INTO)
    assert available == expected
    assert len(available) <= 25  # Discord's limit for one command group


async def test_topic_autocomplete_offers_bank_topics(server: Server) -> None:
    choices = await server.members[0].autocomplete(server.channel, "mlq practice", "topic", "deep")
    assert choices, "no topic offered"
    assert choices[0]["value"] == "deep-learning"
    assert all("deep" in c["value"] or "deep" in c["name"].lower() for c in choices)


async def test_timezone_autocomplete_on_schedule(server: Server) -> None:
    choices = await server.admin.autocomplete(
        server.channel, "mlq schedule", "timezone", "berlin", time="09:30"
    )
    assert [c["value"] for c in choices] == ["Europe/Berlin"]


async def test_stats_is_deferred_then_answered_privately(server: Server) -> None:
    result = await server.members[0].slash(server.channel, "mlq stats")
    assert last_acknowledgement(server.env) == (DEFERRED, ["POST"])
    assert result.acknowledged and result.ephemeral
    message = result.response
    assert message is not None and message.ephemeral
    [embed] = message.embeds
    assert embed.title.startswith("Stats")
    assert "Points: 0" in embed.description


async def test_the_acknowledgement_comes_before_any_core_work(server: Server) -> None:
    """Discord's 3-second limit must not depend on the database: defer first."""
    core = server.mlq.core
    original = core.dispatch
    acknowledged_at_dispatch: list[bool] = []

    async def watching(event):  # type: ignore[no-untyped-def]
        callbacks = [r for r in server.env.http_requests if r.path.endswith("/callback")]
        acknowledged_at_dispatch.append(bool(callbacks) and callbacks[-1].json["type"] == 5)
        return await original(event)

    core.dispatch = watching  # type: ignore[method-assign]
    result = await server.members[0].slash(server.channel, "mlq leaderboard", scope="all")
    assert acknowledged_at_dispatch == [True]
    assert result.response is not None and "Leaderboard" in result.response.embeds[0].title


async def test_stats_about_another_member(server: Server) -> None:
    ben, cai = server.members[0], server.members[1]
    await post_question(server)
    [thread] = server.channel.threads
    await cai.send(thread, "Dropout randomly zeroes activations during training to regularise.")
    result = await ben.slash(server.channel, "mlq stats", member=cai)
    [embed] = result.response.embeds
    assert embed.title == "Stats · cai"
    assert "Daily answers: 1" in embed.description


async def test_help_lists_commands(server: Server) -> None:
    result = await server.members[0].slash(server.channel, "mlq help")
    assert "/mlq stats" in result.response.embeds[0].description


async def test_non_admin_is_refused_an_admin_subcommand(server: Server) -> None:
    ben = server.members[0]
    result = await ben.slash(server.channel, "mlq subscribe")
    assert result.ephemeral
    # The core decides (it also knows who was added with /mlq admins add).
    assert "Manage Channels" in result.response.embeds[0].description
    assert server.env.errors == []
    await server.tick_at(9, 1)
    assert not server.channel.threads, "a refused subscribe still subscribed the channel"


async def test_admin_subscribe_answers_in_the_channel(server: Server) -> None:
    result = await server.admin.slash(server.channel, "mlq subscribe")
    assert last_acknowledgement(server.env) == (DEFERRED, ["DELETE"])
    notice = server.channel.last_message
    assert notice.author.bot and not notice.flags.ephemeral
    assert notice.embeds[0].description.startswith("This channel is subscribed.")
    assert result.response is None, "the private placeholder should be gone"


async def test_admin_changes_the_schedule_and_the_post_follows_it(server: Server) -> None:
    await subscribe(server)
    result = await server.admin.slash(
        server.channel, "mlq schedule", time="10:30", timezone="UTC", days="mon-fri"
    )
    assert result.deferred
    assert "10:30 UTC" in server.channel.last_message.embeds[0].description
    await server.tick_at(9, 1)
    assert not server.channel.threads
    await server.tick_at(10, 31)
    assert len(server.channel.threads) == 1


async def test_admin_limits_the_channel_to_chosen_topics(server: Server) -> None:
    choices = await server.admin.autocomplete(
        server.channel, "mlq limit-topics", "topics", "evaluation-metrics,deep"
    )
    assert [c["value"] for c in choices] == ["evaluation-metrics,deep-learning"]
    result = await server.admin.slash(
        server.channel, "mlq limit-topics", topics="evaluation-metrics"
    )
    assert last_acknowledgement(server.env)[0] == DEFERRED
    assert result.response is None  # announced in the channel
    notice = server.channel.last_message.embeds[0].description
    assert "evaluation-metrics" in notice
    await subscribe(server)
    for day in range(3):
        await server.tick_at(9, 1, day=day)
    posts = [m for m in server.channel.history() if m.embeds and m.components]
    assert len(posts) == 3
    title = server.env.bot.mlq.topic_titles["evaluation-metrics"]
    assert all(p.embeds[0].fields[0].value == title for p in posts)


async def test_a_member_cannot_limit_topics(server: Server) -> None:
    result = await server.members[0].slash(server.channel, "mlq limit-topics", topics="all")
    assert "Only admins" in result.response.embeds[0].description
    assert server.env.errors == []


async def test_a_usage_error_comes_back_privately(server: Server) -> None:
    result = await server.admin.slash(server.channel, "mlq reveal-after", duration="soon")
    assert result.ephemeral
    assert "Usage" in result.response.embeds[0].description


async def test_practice_question_answered_through_its_modal(server: Server) -> None:
    ben = server.members[0]
    result = await ben.slash(server.channel, "mlq practice", topic="deep-learning")
    question = result.response
    assert question is not None and question.ephemeral
    assert question.embeds[0].title.startswith("Practice · Deep learning")
    shown = await ben.click(question, label="Answer privately")
    assert shown.modal is not None and shown.modal["title"] == "Answer privately"
    graded = await ben.submit_modal(shown, {"mlq:answer-text": "It depends on the layer."})
    assert last_acknowledgement(server.env) == (DEFERRED, ["POST"])
    assert graded.ephemeral
    titles = [e.title or "" for e in graded.response.embeds]
    assert titles[0].startswith("Your grade")
    fields = [f.name for e in graded.response.embeds for f in e.fields]
    assert "Model answer" in fields


async def test_commands_in_a_question_thread_count_for_its_channel(server: Server) -> None:
    _, thread = await post_question(server)
    ben = server.members[0]
    await ben.send(thread, "Batch norm normalises activations using batch statistics.")
    result = await ben.slash(thread, "mlq stats")
    assert "Daily answers: 1" in result.response.embeds[0].description


async def test_sent_messages_mention_nobody(server: Server) -> None:
    await subscribe(server)
    posts = [r for r in server.env.http_requests if r.method == "POST" and "/messages" in r.path]
    assert posts
    for request in posts:
        assert request.json["allowed_mentions"] == {"parse": []}


def test_member_option_is_typed_as_a_member() -> None:
    from adapters.discord.commands import MlqGroup

    stats = next(c for c in MlqGroup.__discord_app_commands_group_children__ if c.name == "stats")
    [param] = stats.parameters
    assert param.type == discord.AppCommandOptionType.user and not param.required
    assert set(admin_subcommands()) <= {
        c.name for c in MlqGroup.__discord_app_commands_group_children__
    }
