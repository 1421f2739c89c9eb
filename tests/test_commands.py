from datetime import time, timedelta

import pytest

from bot import commands as c

TOPICS = frozenset({"deep-learning", "fundamentals"})


def parse(text: str) -> c.Command:
    return c.parse_command(text, known_topics=TOPICS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Practice()),
        ("deep-learning", c.Practice("deep-learning")),
        ("DEEP-LEARNING", c.Practice("deep-learning")),
        ("topics", c.Topics()),
        ("stats", c.Stats()),
        ("stats <@U123|ana>", c.Stats("U123")),
        ("stats <@!4567>", c.Stats("4567")),
        ("stats @ana", c.Stats("ana")),
        ("streak", c.StreakInfo()),
        ("leaderboard", c.Leaderboard("week")),
        ("leaderboard all", c.Leaderboard("all")),
        ("help", c.Help()),
        ("schedule 09:30 Europe/Berlin", c.Schedule(time(9, 30), "Europe/Berlin")),
        ("schedule 7:00 UTC mon,wed", c.Schedule(time(7), "UTC", "02")),
        ("reveal-after 90m", c.RevealAfter(timedelta(minutes=90))),
        ("digest fri 16:00", c.DigestAt(4, time(16))),
        ("pause", c.Pause()),
        ("resume", c.Resume()),
        ("skip", c.Skip()),
        ("subscribe", c.Subscribe()),
        ("unsubscribe", c.Unsubscribe()),
        ("  help  ", c.Help()),
        (
            "topics only deep-learning, fundamentals",
            c.LimitTopics(("deep-learning", "fundamentals")),
        ),
        ("topics all", c.LimitTopics(())),
        ("banks all", c.LimitBanks(())),
        ("team-streak 4", c.TeamStreakThreshold(4)),
    ],
)
def test_valid_commands(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("schedule", "Usage: `/mlq schedule HH:MM TZ [days]`"),
        ("schedule 25:00 UTC", "HH:MM"),
        ("schedule 09:00 Moon/Base", "IANA"),
        ("schedule 09:00 UTC funday", "not a day"),
        ("leaderboard yesterday", "`week` or `all`"),
        ("reveal-after soon", "duration"),
        ("digest friday", "Usage: `/mlq digest DAY HH:MM`"),
        ("stats ana ben", "at most one"),
        ("stats ana", "not a member mention"),
        ("pause now", "takes no arguments"),
        ("astrology", "neither a command nor a topic"),
        ("deep-learning extra words", "unknown command"),
        ("x" * 600, "too long"),
        ("topics only astrology", "unknown topic 'astrology'"),
        ("topics deep-learning", "say `only`"),
        ("banks", "say `only`"),
        ("team-streak 0", "1 to 50"),
        ("team-streak many", "1 to 50"),
    ],
)
def test_malformed_commands_explain_the_right_form(text, needle):
    with pytest.raises(c.CommandError) as info:
        parse(text)
    assert needle in str(info.value)


def test_unknown_topic_lists_the_real_ones():
    with pytest.raises(c.CommandError, match="deep-learning, fundamentals"):
        parse("quantum-knitting")


def test_every_admin_command_has_usage_marked_admin():
    admin_names = {
        "topics only",
        "banks only",
        "team-streak",
        "schedule",
        "reveal-after",
        "digest",
        "pause",
        "resume",
        "skip",
        "subscribe",
        "unsubscribe",
        # bot/disputes: "admins list" is open to all, adding and removing is not.
        "admins",
        "disputes",
        "resolve",
        "reports",
        "retire",
        "formats",
    }
    assert {k for k, u in c.USAGE.items() if u.admin} == admin_names


def test_help_names_every_format_word_practice_takes():
    """`/mlq help` showed `[quiz|open]`, though `/mlq numeric` and `/mlq choice` work (and
    the README lists them)."""
    form = c.USAGE[""].form
    for word in c.PRACTICE_FORMATS:
        assert word in form
        assert c.parse_command(word) == c.Practice(None, word)


def test_an_empty_topic_list_says_so():
    """`/mlq topics only ,,,` answered "unknown topic ''"."""
    with pytest.raises(c.CommandError) as caught:
        c.parse_command("topics only , ,", known_topics=frozenset({"nlp-llms"}))
    assert "''" not in str(caught.value) and "at least one" in str(caught.value)


@pytest.mark.parametrize(
    "text", ["team-streak ²", "resolve ² keep", "resolve 1 score ²", "resolve ³ points 1"]
)
def test_a_superscript_digit_is_a_usage_error_not_a_crash(text):
    """`²` passes str.isdigit() but int() refuses it: the ValueError escaped the grammar and
    the person was told "Something went wrong on our side"."""
    with pytest.raises(c.CommandError):
        c.parse_command(text)
