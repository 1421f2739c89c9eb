"""What a quiz round says: the post with its options, the private confirmation of a pick,
the verdict (practice, or after the reveal) and the reveal with the channel's votes.

Before a daily round is revealed nobody is told whether their pick is right: they could
otherwise try each option in turn. They see what was recorded, and may change it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.grading import Grade
from bot.grading.exact import (
    UNREADABLE,
    WRONG_UNIT,
    answer_summary,
    expected_text,
    grade_exact,
    letter,
    letters,
)
from bot.messages import Action, Button, ChoiceMenu, Field, Message, MessageKind, Visibility
from bot.quiz.votes import Tally
from bot.text import plural
from question_bank.schema import Format, Question
from storage.models import Answer, Post
from storage.repository import PRACTICE

MENU_LABEL_CHARS = 75  # Slack caps an option's text at 75 characters, Discord at 100


def options_text(question: Question) -> str:
    """The options as lines "**A.** text", shown under the prompt on every platform."""
    return "\n".join(f"**{letter(i)}.** {option.text}" for i, option in enumerate(question.options))


def quiz_body(question: Question) -> str:
    if question.format != Format.CHOICE:
        return question.prompt
    several = len(question.correct_options) > 1
    lead = (
        "\n\n*Select all that apply.*\n"
        if several and "all that apply" not in question.prompt.lower()
        else "\n\n"
    )
    return question.prompt + lead + options_text(question)


def menu(question: Question, post_id: int) -> ChoiceMenu | None:
    if question.format != Format.CHOICE:
        return None
    labels = tuple(
        _label(f"{letter(i)}. {option.text}") for i, option in enumerate(question.options)
    )
    return ChoiceMenu(post_id, labels, several=len(question.correct_options) > 1)


def _label(text: str) -> str:
    text = " ".join(text.replace("`", "").split())
    return text if len(text) <= MENU_LABEL_CHARS else text[: MENU_LABEL_CHARS - 1] + "…"


def how_to_answer(question: Question, *, practice: bool) -> str:
    if question.format == Format.CHOICE:
        how = (
            "Pick with the menu (in the terminal, type the letter"
            + (", or letters like `a,c`" if len(question.correct_options) > 1 else "")
            + ")."
        )
        return how + (
            "" if practice else " Only you see your pick, and you can change it until the reveal."
        )
    unit = question.numeric.unit if question.numeric else None
    where = "with *Answer privately*" if practice else "in this thread (or with *Answer privately*)"
    return f"Answer {where} with a number" + (f" in {unit}." if unit else ".")


def confirmation(
    question: Question, text: str, grade: Grade, *, replaced: bool, retry: int | None = None
) -> Message:
    """The private note for a daily quiz answer before the reveal: what was recorded.
    An answer that could not be read says why; ``retry`` (a practice post) puts the menu
    or the answer button on the note, since that question stays open for another try."""
    if UNREADABLE in grade.flags or WRONG_UNIT in grade.flags:
        again = ()
        if retry is not None and question.format != Format.CHOICE:
            again = (Button(Action.ANSWER_PRIVATELY, "Answer privately", str(retry)),)
        return Message(
            title="Not counted yet",
            body=grade.feedback
            + "\n\nYour reply is kept, but it scores nothing until you answer again.",
            buttons=again,
            choices=menu(question, retry) if retry is not None else None,
            kind=MessageKind.FEEDBACK,
            visibility=Visibility.PRIVATE,
        )
    shown = answer_summary(question, text)
    what = "pick" if question.format == Format.CHOICE else "answer"
    changed = "changed to" if replaced else "recorded:"
    return Message(
        title=f"Your {what} · {shown}",
        body=f"Your {what} is {changed} **{shown}**. Right or wrong is shown at the reveal; "
        f"until then you can change it.",
        footer="Only you can see this.",
        kind=MessageKind.FEEDBACK,
        visibility=Visibility.PRIVATE,
    )


def not_replaced(question: Question, earlier: str, grade: Grade) -> Message:
    """A reply that is no pick or number, from someone who already answered."""
    shown = answer_summary(question, earlier)
    return Message(
        title="Not counted",
        body=f"{grade.feedback}\n\nYour answer **{shown}** stands; this reply did not change it.",
        kind=MessageKind.FEEDBACK,
        visibility=Visibility.PRIVATE,
    )


def verdict(question: Question, grade: Grade, *, practice: bool) -> Message:
    """Right or wrong with the whys: a practice answer at once, a daily one after the reveal."""
    if grade.score >= 1.0:
        title = "Right"
    elif grade.score > 0:
        title = f"Partly right · {round(grade.score * 100)}%"
    else:
        title = "Not this time"
    fields = [Field("Explanation", question.answer)]
    if question.format == Format.CHOICE:
        fields.insert(0, Field("Why", why_lines(question)))
    return Message(
        title=title,
        body=grade.feedback,
        fields=tuple(fields),
        footer="Practice counts in your stats, not on the leaderboard." if practice else None,
        kind=MessageKind.FEEDBACK,
        visibility=Visibility.PRIVATE,
    )


def right_answer(question: Question) -> str:
    if question.format == Format.CHOICE:
        picks = question.correct_options
        return f"{letters(picks)}: " + "; ".join(question.options[i].text for i in picks)
    assert question.numeric is not None
    return expected_text(question.numeric)


def why_lines(question: Question, *, wrong_only: bool = False) -> str:
    return "\n".join(
        f"- **{letter(i)}.** {option.text} {'✓' if option.correct else '✗'} {option.why}"
        for i, option in enumerate(question.options)
        if not (wrong_only and option.correct)
    )


def vote_lines(question: Question, tally: Tally) -> str:
    if not tally.total:
        return "Nobody answered."
    if question.format == Format.CHOICE:
        lines = [
            f"- **{letter(i)}**{' ✓' if option.correct else ''}: {plural(tally.options[i], 'vote')}"
            for i, option in enumerate(question.options)
        ]
        if len(question.correct_options) > 1:
            lines.append(f"{plural(tally.right, 'person', 'people')} picked exactly the right set.")
    else:
        lines = [f"{tally.right} of {plural(tally.total, 'answer')} within the tolerance."]
        if tally.median is not None and question.numeric is not None:
            lines.append(f"Median answer: {tally.median_text}.")
    if tally.unreadable:
        lines.append(f"{plural(tally.unreadable, 'reply', 'replies')} could not be read.")
    return "\n".join(lines)


def reveal(question: Question, base: Message, tally: Tally) -> Message:
    """The reveal: the right answer and why, each wrong option's why, the votes, and the
    points fields of the ordinary reveal (``base``)."""
    fields = [Field("Answer", right_answer(question))]
    if question.format == Format.CHOICE:
        fields.append(Field("Why the others are wrong", why_lines(question, wrong_only=True)))
    fields.append(Field("How the channel voted", vote_lines(question, tally)))
    fields += [f for f in base.fields if f.name != "Best answer" or "\n>" not in f.value]
    return Message(
        title="Answer",
        body=question.answer,
        fields=tuple(fields),
        footer=base.footer,
        kind=MessageKind.REVEAL,
        visibility=base.visibility,
    )


def feedback_of(question: Question, post: Post, answer: Answer) -> Message:
    """*My feedback* on a quiz answer: the pick alone until the round is revealed (a
    practice round is revealed at once), then the verdict and the points."""
    grade = grade_exact(question, answer.text)
    if post.state != "revealed":
        return confirmation(question, answer.text, grade, replaced=False)
    shown = verdict(question, grade, practice=post.kind == PRACTICE)
    if post.kind == PRACTICE:
        return shown
    points = f"Points: {answer.points}" + (" · best answer" if answer.best else "")
    return replace(shown, fields=(*shown.fields, Field("Points", points)))
