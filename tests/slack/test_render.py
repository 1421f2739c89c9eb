"""Neutral messages to mrkdwn and Block Kit: formatting, escaping, Slack's limits."""

from __future__ import annotations

import json

import pytest

from adapters.slack import blocks
from adapters.slack.mrkdwn import ZWSP, escape, to_mrkdwn, to_plain
from bot.messages import Action, Button, Field, Message, MessageKind
from bot.text import defuse, quote_user_text


def test_core_markdown_becomes_mrkdwn():
    text = "**Bold** and *italic* with `a*b` and\n- one\n- two"
    assert to_mrkdwn(text) == "*Bold* and _italic_ with `a*b` and\n• one\n• two"


def test_fenced_code_is_kept_and_only_entities_change_inside():
    text = "Code:\n```\nif a < b and **x**:\n```"
    assert to_mrkdwn(text) == "Code:\n```\nif a &lt; b and **x**:\n```"


def test_an_unclosed_fence_is_closed():
    assert to_mrkdwn("```\nx = 1").endswith("\n```")


def test_broadcasts_and_mentions_never_act_live():
    hostile = "<!channel> <!here> <!everyone> <@U123> <#C999|general> <!subteam^S1> a & b > c"
    rendered = to_mrkdwn(hostile)
    assert "<" not in rendered and ">" not in rendered.replace("&gt;", "")
    assert "&lt;!channel&gt;" in rendered
    assert "a &amp; b &gt; c" in rendered
    # The core's own defusing plus ours: still nothing Slack would parse as a mention.
    excerpt = to_mrkdwn(quote_user_text(hostile))
    assert "<" not in excerpt and "<!" not in excerpt


def test_user_text_escaped_by_the_core_shows_literally_without_formatting():
    # The core escapes user text with backslashes; Slack has no backslash escapes.
    user = quote_user_text("*not bold* and _not italic_ and ~x~ and `y` [z] |w|")
    rendered = to_mrkdwn(f"**Best answer**\n> {user}")
    assert "\\" not in rendered
    assert rendered.startswith("*Best answer*\n>")
    assert f"{ZWSP}*{ZWSP}not bold{ZWSP}*{ZWSP}" in rendered
    assert f"{ZWSP}_{ZWSP}not italic{ZWSP}_{ZWSP}" in rendered
    assert "[z] |w|" in rendered


def test_a_user_quote_character_is_not_a_quote():
    rendered = to_mrkdwn(quote_user_text("> quoted by the user"))
    assert rendered.startswith("&gt;")


def test_plain_text_drops_formatting_and_escapes():
    assert to_plain("**Stats** · Ana\\_B `x`") == "Stats · Ana_B x"


def test_escape_only_touches_the_three_entities():
    assert escape("<a> & 'b' \"c\"") == "&lt;a&gt; &amp; 'b' \"c\""


def _question() -> Message:
    return Message(
        title="Question of the day · Basics",
        body="Explain **bias** and *variance*.",
        fields=(
            Field("Topic", "Basics", inline=True),
            Field("Difficulty", "★★☆ medium", inline=True),
            Field("Key points", "- one\n- two"),
        ),
        buttons=(
            Button(Action.ANSWER_PRIVATELY, "Answer privately", "7"),
            Button(Action.MY_FEEDBACK, "My feedback", "7"),
        ),
        footer="Reply in this thread.",
        kind=MessageKind.QUESTION,
        fallback="Question of the day: Explain bias",
    )


def test_a_question_becomes_header_sections_fields_actions_and_context():
    rendered = blocks.render(_question())
    kinds = [b["type"] for b in rendered.blocks]
    assert kinds == ["header", "section", "section", "section", "actions", "context"]
    assert rendered.blocks[0]["text"]["text"] == "Question of the day · Basics"
    assert rendered.blocks[1]["text"] == {
        "type": "mrkdwn",
        "text": "Explain *bias* and _variance_.",
        "verbatim": True,
    }
    inline = rendered.blocks[2]["fields"]
    assert [f["text"] for f in inline] == ["*Topic*\nBasics", "*Difficulty*\n★★☆ medium"]
    buttons = rendered.blocks[4]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("mlq:answer_privately", "7"),
        ("mlq:my_feedback", "7"),
    ]
    assert rendered.text == "Question of the day: Explain bias"


def test_every_mrkdwn_text_is_verbatim():
    def texts(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                yield node
            for value in node.values():
                yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)

    found = list(texts(blocks.render(_question()).blocks))
    assert found and all(t["verbatim"] is True for t in found)


def test_a_long_body_is_split_into_sections_under_3000_characters():
    paragraph = "word " * 150  # 750 characters
    body = "\n\n".join([paragraph.strip()] * 12)  # about 9,000 characters
    rendered = blocks.render(Message(body=body))
    sections = [b for b in rendered.blocks if b["type"] == "section"]
    assert len(sections) >= 3
    assert all(len(b["text"]["text"]) <= blocks.SECTION_CHARS for b in sections)
    joined = " ".join(b["text"]["text"] for b in sections)
    assert joined.split() == body.split()


def test_a_split_code_fence_is_closed_and_reopened():
    code = "\n".join(f"line_{i} = {i}" for i in range(400))  # about 5,500 characters
    rendered = blocks.render(Message(body=f"```\n{code}\n```"))
    sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert len(sections) >= 2
    assert all(s.count("```") == 2 for s in sections)
    assert all(len(s) <= blocks.SECTION_CHARS for s in sections)


def test_an_unbroken_run_is_cut_without_splitting_an_entity():
    pieces = blocks.split_mrkdwn("&amp;" * 1000, limit=3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert all(p.replace("&amp;", "") == "" for p in pieces)


def test_more_than_fifty_blocks_are_cut_with_a_note_and_buttons_kept():
    many = tuple(Field(f"Field {i}", "x" * 2500) for i in range(80))
    message = Message(
        body="body",
        fields=many,
        buttons=(Button(Action.MY_FEEDBACK, "My feedback", "1"),),
        footer="foot",
    )
    rendered = blocks.render(message)
    assert len(rendered.blocks) == blocks.MAX_BLOCKS
    assert rendered.blocks[-2]["type"] == "actions"
    assert rendered.blocks[-1]["elements"][0]["text"] == "foot"
    note = rendered.blocks[-3]
    assert note["type"] == "context" and "not shown" in note["elements"][0]["text"]


def test_field_limits_long_inline_fields_become_sections_and_ten_per_section():
    fields = tuple(Field(f"F{i}", "v", inline=True) for i in range(13))
    fields += (Field("Long", "y" * 2500, inline=True),)
    rendered = blocks.render(Message(body="b", fields=fields))
    with_fields = [b for b in rendered.blocks if "fields" in b]
    assert [len(b["fields"]) for b in with_fields] == [10, 3]
    assert any("Long" in b.get("text", {}).get("text", "") for b in rendered.blocks)


def test_header_and_fallback_are_bounded_and_escaped():
    message = Message(title="T" * 400, body="<!channel> " + "z" * 5000)
    rendered = blocks.render(message)
    assert len(rendered.blocks[0]["text"]["text"]) <= blocks.HEADER_CHARS
    assert len(rendered.text) <= blocks.FALLBACK_CHARS
    assert "<!channel>" not in rendered.text


def test_modal_context_round_trips_and_the_modal_fits_slack():
    context = blocks.ModalContext(42, "T1", "C1", "171.0001", "https://hooks.slack.test/x")
    assert blocks.ModalContext.load(context.dump()) == context
    assert blocks.ModalContext.load("not json") is None
    view = blocks.answer_modal(context, "What is *bias*?")
    assert view["callback_id"] == blocks.ANSWER_MODAL
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"])["p"] == 42
    element = view["blocks"][-1]["element"]
    assert element["type"] == "plain_text_input" and element["max_length"] == 3000


@pytest.mark.parametrize(
    "metadata",
    [
        "[1]",
        "null",
        "[" * 5000,
        '{"p": 1e400, "t": "T1", "c": "C1"}',
        '{"p": 99999999999999999999999, "t": "T1", "c": "C1"}',
        '{"p": 0, "t": "T1", "c": "C1"}',
        '{"p": "7", "t": "T1", "c": "C1"}',
        '{"p": 7, "t": 5, "c": "C1"}',
        '{"p": 7, "t": "T1"}',
        '{"p": 7, "t": "T1", "c": "C1", "th": {"x": 1}}',
        '{"p": 7, "t": "T1", "c": "C1", "r": [1]}',
    ],
)
def test_metadata_we_did_not_write_is_refused(metadata: str):
    assert blocks.ModalContext.load(metadata) is None


def test_a_huge_response_url_is_dropped_from_the_metadata_not_the_post():
    context = blocks.ModalContext(1, "T1", "C1", None, "https://x/" + "a" * 4000)
    loaded = blocks.ModalContext.load(context.dump())
    assert loaded is not None and loaded.post_id == 1 and loaded.response_url is None


def test_home_view_lists_sections_and_says_recent_answers_are_not_available():
    stats = Message(body="- Points: 12", title="Stats · Ana")
    view = blocks.home_view([stats], channel_id="C1")
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "Points: 12" in text and "Last five graded answers" in text
    assert "No graded answers yet" in text
    with_recent = blocks.home_view([stats], channel_id="C1", recent=["Bias: 80%"])
    assert "Bias: 80%" in json.dumps(with_recent)


def test_defused_names_in_titles_stay_plain():
    title = f"Stats · {quote_user_text(defuse('<@U1> @here'))}"
    header = blocks.render(Message(body="x", title=title)).blocks[0]["text"]["text"]
    assert "<@" not in header and "\\" not in header


def _within_limits(rendered: blocks.SlackMessage) -> None:
    assert len(rendered.blocks) <= blocks.MAX_BLOCKS
    for block in rendered.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= blocks.SECTION_CHARS
        for field in block.get("fields", []):
            assert len(field["text"]) <= blocks.FIELD_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= blocks.HEADER_CHARS


def test_the_cores_question_reveal_and_digest_fit_block_kit():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot import render
    from tests.harness import shared_bank

    question = max(shared_bank(), key=lambda q: len(q.answer))
    post = render.question_post(
        question,
        post_id=3,
        deadline=datetime(2026, 3, 2, 17, tzinfo=UTC),
        zone=ZoneInfo("Europe/Berlin"),
        late=False,
    )
    _within_limits(blocks.render(post))
    rows = [
        render.RevealRow(f"Member <!here> {n} *star*", 10 - n % 10, 0.5, n == 0, True, False)
        for n in range(150)
    ]
    reveal = blocks.render(render.reveal(question, rows, quote_user_text("<!channel> best")))
    _within_limits(reveal)
    text = json.dumps(reveal.blocks)
    assert "<!here>" not in text and "<!channel>" not in text
    assert "Member here 149" in text or "not shown" in text  # all shown, or cut with a note
    facts = render.DigestFacts(
        iso_year=2026,
        iso_week=10,
        posts=5,
        top=[("Ana", 40, 3), ("Ben", 30, 1)],
        streaks=[("Ana", 3)],
        team_streak=2,
        team_streak_best=4,
        participation=0.6,
        hardest=(question.prompt, 0.3),
        most_missed=("a key point", 4),
    )
    digest = blocks.render(render.digest(facts))
    _within_limits(digest)
    assert digest.blocks[0]["text"]["text"].startswith("Weekly digest")


def test_long_texts_convert_the_same_way_as_short_ones():
    # Texts past the conversion cache's size limit take the uncached path.
    unit = "**bold** <!channel> `a*b`\n"
    long_text = unit * 600
    assert len(long_text) > 8_000
    assert (
        to_mrkdwn(long_text) == "\n".join(to_mrkdwn(unit.rstrip("\n")) for _ in range(600)) + "\n"
    )
    assert to_plain(long_text) == to_plain(unit) * 600


def test_one_question_posted_to_many_channels_keeps_each_posts_own_buttons():
    # The parts every channel shares are built once; the buttons carry each post's id.
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot import render
    from tests.harness import shared_bank

    question = next(iter(shared_bank()))
    deadline, zone = datetime(2026, 3, 2, 17, tzinfo=UTC), ZoneInfo("Europe/Berlin")
    rendered = [
        blocks.render(
            render.question_post(question, post_id=n, deadline=deadline, zone=zone, late=False)
        )
        for n in (7, 8, 7)
    ]

    def button_values(message: blocks.SlackMessage) -> list[str]:
        return [e["value"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]

    assert [button_values(r) for r in rendered] == [["7", "7"], ["8", "8"], ["7", "7"]]
    assert rendered[0] == rendered[2]
    assert rendered[0].text == rendered[1].text
    assert [b for b in rendered[0].blocks if b["type"] != "actions"] == [
        b for b in rendered[1].blocks if b["type"] != "actions"
    ]
    late = render.question_post(question, post_id=9, deadline=deadline, zone=zone, late=True)
    assert "Posted late" in json.dumps(blocks.render(late).blocks)
    assert "Posted late" not in json.dumps(rendered[0].blocks)
