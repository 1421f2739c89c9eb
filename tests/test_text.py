from bot.text import ZWSP, defuse, escape_markdown, is_blank, quote_user_text


def test_broadcast_mentions_are_defused_in_every_form():
    text = defuse("hey @channel @Everyone @here <!channel> <!here|here> <!everyone>")
    assert "@channel" not in text and "@Everyone" not in text and "@here" not in text
    assert "<!" not in text
    assert f"@{ZWSP}channel" in text


def test_user_and_group_mention_markup_loses_its_power():
    text = defuse("ask <@U123> or <@!456> or <@&789> in <#C1|general> <!subteam^S1|team>")
    assert "<@" not in text and "<#" not in text and "<!" not in text


def test_ordinary_words_starting_with_here_are_untouched():
    assert defuse("email me @hereford") == "email me @hereford"


def test_markdown_is_shown_literally():
    assert escape_markdown("**bold** [x](http://e) `c` > q") == (
        r"\*\*bold\*\* \[x\](http://e) \`c\` \> q"
    )


def test_quote_user_text_shortens_and_flattens():
    quoted = quote_user_text("line one\nline two " + "x" * 500, 50)
    assert "\n" not in quoted and len(quoted) <= 60 and quoted.endswith("…")


def test_blank_detection_includes_invisible_characters():
    assert is_blank("   \n\t")
    assert is_blank("\u200b\u200d")
    assert not is_blank("🙂")
    assert not is_blank("שלום")
