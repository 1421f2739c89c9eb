"""The daily round on simulated Discord: post and thread, answers, edits, deletions,
the private-answer modal, My feedback, the reveal, and failures on one channel."""

from __future__ import annotations

import re

import discord

from adapters.discord.outbound import REACTION_EMOJI
from bot.messages import Reaction
from tests.discord.conftest import Server, post_question, reactions, refetch, subscribe

GOOD = (
    "Dropout randomly zeroes a fraction of activations during training, which acts as "
    "regularisation and reduces overfitting; at inference all units are used, scaled."
)


def model_answer(server: Server, post: discord.Message) -> str:
    """The model answer of the posted question: an answer the grader scores highly."""
    prompt = post.embeds[0].description
    [question] = [q for q in server.mlq.core.ctx.bank if q.prompt == prompt]
    return question.answer


async def my_feedback(server: Server, member, post: discord.Message) -> discord.Embed:  # type: ignore[no-untyped-def]
    result = await member.click(post, label="My feedback")
    assert result.ephemeral
    return result.response.embeds[0]


async def test_daily_post_is_an_embed_with_buttons_and_a_thread(server: Server) -> None:
    post, thread = await post_question(server)
    [embed] = post.embeds
    assert embed.title.startswith("Question of the day")
    assert [f.name for f in embed.fields] == ["Topic", "Difficulty", "Answers close"]
    assert "UTC" in embed.fields[2].value
    buttons = [c for row in post.components for c in row.children]
    assert [b.label for b in buttons] == ["Answer privately", "My feedback"]
    assert all(b.custom_id.startswith("mlq:") for b in buttons)
    assert thread.id == post.id  # Discord gives a message's thread the message's id
    assert thread.name.startswith("Question of the day")


async def test_a_thread_reply_becomes_an_answer_with_a_reaction_and_a_dm(server: Server) -> None:
    post, thread = await post_question(server)
    ben = server.members[0]
    reply = await ben.send(thread, GOOD)
    assert reactions(refetch(thread, reply)) == [REACTION_EMOJI[Reaction.RECEIVED]]
    [dm] = ben.user.dm_channel.history()
    # Its first line says where, and names the grade's reference (its outbox key's token).
    assert re.fullmatch(
        rf"About your answer in <#{thread.id}>: \(grade ref [0-9a-f]{{22}}\)", dm.content
    )
    assert dm.embeds[0].title.startswith("Your grade")
    feedback = await my_feedback(server, ben, post)
    assert feedback.title.startswith("Your feedback")


async def test_bots_and_plain_channel_messages_are_not_answers(server: Server) -> None:
    post, thread = await post_question(server)
    helper = server.guild.add_member(server.env.create_user("helper", bot=True))
    bot_reply = await helper.send(thread, GOOD)
    chatter = await server.members[0].send(server.channel, GOOD)
    assert reactions(refetch(thread, bot_reply)) == []
    assert reactions(refetch(server.channel, chatter)) == []
    assert "not answered" in (await my_feedback(server, server.members[0], post)).description


async def test_each_message_counts_once(server: Server) -> None:
    _post, thread = await post_question(server)
    ben = server.members[0]
    reply = await ben.send(thread, GOOD)
    # The same gateway event delivered again (a second process, a resumed session).
    client = server.env.bot
    await client.mlq.on_message(reply)
    await server.env.settle()
    assert len(ben.user.dm_channel.history()) == 1
    assert reactions(refetch(thread, reply)) == [REACTION_EMOJI[Reaction.RECEIVED]]


async def test_an_edit_before_the_reveal_is_regraded(server: Server) -> None:
    post, thread = await post_question(server)
    ben = server.members[0]
    reply = await ben.send(thread, "No idea.")
    before = (await my_feedback(server, ben, post)).title
    await ben.edit(reply, model_answer(server, post))
    assert REACTION_EMOJI[Reaction.UPDATED] in reactions(refetch(thread, reply))
    after = (await my_feedback(server, ben, post)).title
    assert before != after
    assert ben.user.dm_channel.last_message.embeds[0].title.startswith("Updated grade")


async def test_a_deletion_before_the_reveal_withdraws_the_answer(server: Server) -> None:
    post, thread = await post_question(server)
    ben = server.members[0]
    reply = await ben.send(thread, GOOD)
    await ben.delete(reply)
    assert "not answered" in (await my_feedback(server, ben, post)).description


async def test_answer_privately_opens_a_modal_and_keeps_the_thread_clean(server: Server) -> None:
    post, thread = await post_question(server)
    cai = server.members[1]
    shown = await cai.click(post, label="Answer privately")
    assert shown.modal is not None
    graded = await cai.submit_modal(shown, {"mlq:answer-text": GOOD})
    assert graded.ephemeral
    assert graded.response.embeds[0].title.startswith("Your grade")
    assert not [m for m in thread.history() if not m.author.bot]
    assert (await my_feedback(server, cai, post)).title.startswith("Your feedback")


async def test_the_reveal_lands_in_the_thread_and_archives_it(server: Server) -> None:
    _post, thread = await post_question(server)
    await server.members[0].send(thread, GOOD)
    await server.tick_at(17, 5)  # the default reveal is 8 hours after the post
    reveal = thread.last_message
    assert reveal.author.bot and reveal.embeds[0].title == "Model answer"
    names = [f.name for e in reveal.embeds for f in e.fields]
    assert "Points" in names
    channel = server.env.bot.get_channel(thread.id) or await server.env.bot.fetch_channel(thread.id)
    assert isinstance(channel, discord.Thread) and channel.archived


async def test_a_reply_after_the_reveal_is_kept_as_late(server: Server) -> None:
    _post, thread = await post_question(server)
    await server.tick_at(17, 5)
    late = await server.members[2].send(thread, GOOD)
    assert reactions(refetch(thread, late)) == [REACTION_EMOJI[Reaction.LATE]]


async def test_a_rate_limited_channel_does_not_stop_the_others(server: Server) -> None:
    second = server.guild.create_text_channel("ml-study-2")
    third = server.guild.create_text_channel("ml-study-3")
    for channel in (server.channel, second, third):
        await subscribe(server, channel)
    server.env.inject_error(
        "POST",
        f"/channels/{second.id}/messages",
        status=429,
        message="You are being rate limited.",
    )
    await server.tick_at(9, 1)
    assert len(server.channel.threads) == 1 and len(third.threads) == 1
    assert second.threads == []
    # Once the failed claim's lease runs out, the core tries that channel again.
    await server.tick_at(9, 10)
    assert len(second.threads) == 1
    assert len(server.channel.threads) == 1 and len(third.threads) == 1  # no double posts


async def test_a_server_error_on_one_channel_does_not_stop_the_others(server: Server) -> None:
    second = server.guild.create_text_channel("ml-study-2")
    for channel in (server.channel, second):
        await subscribe(server, channel)
    server.env.inject_error("POST", f"/channels/{server.channel.id}/messages", status=500)
    await server.tick_at(9, 1)
    assert server.channel.threads == [] and len(second.threads) == 1


async def test_closed_dms_fall_back_to_my_feedback(server: Server) -> None:
    post, thread = await post_question(server)
    dia = server.members[2]
    server.env.inject_error(
        "POST",
        "/channels/*/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
    )
    # The fault hits the first message POST, which is the DM (the reaction is a PUT).
    reply = await dia.send(thread, GOOD)
    assert reactions(refetch(thread, reply)) == [REACTION_EMOJI[Reaction.RECEIVED]]
    assert dia.user.dm_channel.history() == []
    assert (await my_feedback(server, dia, post)).title.startswith("Your feedback")


async def test_a_week_of_questions_ends_with_a_digest_and_no_thread(server: Server) -> None:
    post, thread = await post_question(server)
    await server.members[0].send(thread, model_answer(server, post))
    for day in range(5):  # Monday to Friday: post, then reveal
        await server.tick_at(9, 1, day=day)
        await server.tick_at(17, 5, day=day)  # Friday's also brings the 16:00 digest
    threads = server.channel.threads
    assert len(threads) == 5
    [digest] = [m for m in server.channel.history() if m.embeds and "digest" in m.embeds[0].title]
    assert digest.embeds[0].title.startswith("Weekly digest")
    assert "ben" in " ".join(f.value for f in digest.embeds[0].fields)
    assert len(server.channel.threads) == 5  # the digest opens no thread
    assert all(m.embeds[0].title == "Model answer" for t in threads for m in t.history()[-1:])
    # Its one button shows the clicker's own stats, to them alone.
    stats = await server.members[0].click(digest, label="My stats")
    assert stats.ephemeral
    assert stats.response.embeds[0].title == "Stats · ben"
    assert "Points: 6" in stats.response.embeds[0].description
