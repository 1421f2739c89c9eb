"""The tables. Unique keys here are what make posting and scoring exactly-once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

# Named constraints, so later migrations can alter them on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Workspace(Base):
    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Channel(Base):
    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    post_time: Mapped[str] = mapped_column(String(5), default="09:00")  # HH:MM local
    weekdays: Mapped[str] = mapped_column(String(7), default="01234")  # Monday=0
    reveal_after_minutes: Mapped[int] = mapped_column(Integer, default=480)
    digest_weekday: Mapped[int] = mapped_column(Integer, default=4)  # Friday
    digest_time: Mapped[str] = mapped_column(String(5), default="16:00")
    topic_filter: Mapped[list[str]] = mapped_column(JSON, default=list)
    bank_filter: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Question formats of the daily rounds: open | mixed | quiz (bot/quiz/formats.py).
    formats: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    team_streak_threshold: Mapped[int] = mapped_column(Integer, default=3)
    team_streak: Mapped[int] = mapped_column(Integer, default=0)
    team_streak_best: Mapped[int] = mapped_column(Integer, default=0)
    skip_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who ran /mlq subscribe (a platform user id): told once if the channel is suspended.
    subscribed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Set when the platform refused the bot for good (no access, archived...): nothing is
    # sent here until an admin runs /mlq resume.
    suspended_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The last revealed post that moved the team streak, the value before it and whether
    # it met the threshold: an answer credited after that reveal can still count (once).
    team_streak_post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_streak_previous: Mapped[int] = mapped_column(Integer, default=0)
    team_streak_post_met: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Post(Base):
    """A question put to a channel (daily) or to one person (practice).

    ``claim_key`` is the exactly-once key: ``daily:<channel>:<local date>`` for the daily
    post, so two processes racing to post the same day collide on it and only one wins.
    """

    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_channel_thread", "channel_id", "thread_ref"),
        Index("ix_post_channel_kind_date", "channel_id", "kind", "local_date"),
        Index("ix_post_state_reveal", "state", "reveal_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # daily | practice
    # claimed | posted | revealed | failed | cancelled (`/mlq skip` after the post)
    state: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    claim_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    thread_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reveal_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reveal_message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Sends refused for a passing reason (429, 5xx, network) so far: the next retry waits
    # exponentially longer, up to a cap (bot/access).
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)


class Answer(Base):
    """One person's answer to one post; a later reply or an edit replaces the text."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("post_id", "member_id"),
        Index("ix_answer_channel_kind_date", "channel_id", "kind", "post_date"),
        Index("ix_answer_member", "member_id"),
        # Covers the leaderboard: seek by channel, read members' points in group order.
        Index("ix_answer_standings", "channel_id", "kind", "member_id", "points", "on_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # Copied from the post so per-channel totals need no join.
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # daily | practice, as the post
    post_date: Mapped[date] = mapped_column(Date)  # the post's channel-local date
    text: Mapped[str] = mapped_column(Text)
    message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    on_time: Mapped[bool] = mapped_column(Boolean, default=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    covered: Mapped[list[str]] = mapped_column(JSON, default=list)
    missed: Mapped[list[str]] = mapped_column(JSON, default=list)
    feedback: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    points: Mapped[int] = mapped_column(Integer, default=0)  # final once the post is revealed
    best: Mapped[bool] = mapped_column(Boolean, default=False)


class AcceptedAnswer(Base):
    """An answer a round confirmed (best or high score): from then on it is an extra
    model answer for that question in that workspace, so the team's own wordings count."""

    __tablename__ = "accepted_answer"
    __table_args__ = (
        UniqueConstraint("answer_id"),  # a reveal run twice accepts an answer once
        Index("ix_accepted_answer_question", "workspace_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))  # best | high_score
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberStreak(Base):
    """A member's streak in a channel, advanced once per revealed daily post."""

    __tablename__ = "member_streak"
    __table_args__ = (UniqueConstraint("channel_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    current: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[int] = mapped_column(Integer, default=0)
    freezes: Mapped[int] = mapped_column(Integer, default=0)
    run: Mapped[int] = mapped_column(Integer, default=0)  # answers in a row, toward a freeze
    freezes_used: Mapped[int] = mapped_column(Integer, default=0)
    # The post whose reveal last advanced this streak, whether it counted as answered, and
    # the state before it ([current, best, freezes, run, freezes_used]): an answer sent in
    # time but processed after that reveal is credited from it, once.
    settled_post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    settled_on_time: Mapped[bool] = mapped_column(Boolean, default=False)
    previous: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)


class ReviewCard(Base):
    """A member's spaced-repetition card for one question (FSRS state as JSON)."""

    __tablename__ = "review_card"
    __table_args__ = (
        UniqueConstraint("member_id", "question_id"),
        Index("ix_review_card_member_due", "member_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    card: Mapped[dict] = mapped_column(JSON)
    # The card before the last review, so a regrade of the same post replaces that review.
    previous: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    last_post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    last_score: Mapped[float] = mapped_column(Float, default=0.0)


class ProcessedEvent(Base):
    """Platform deliveries already handled; the unique key turns retries into no-ops."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("platform", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Digest(Base):
    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("channel_id", "iso_year", "iso_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # claimed | posted | empty | failed
    claim_owner: Mapped[str] = mapped_column(String(64), default="")
    # A claim whose lease ran out with the digest still unsent is taken over by recovery.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Passing send failures so far; each one doubles the wait (``lease_until``) before a retry.
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class InboxEvent(Base):
    """An inbound event accepted from a platform and not yet known to be handled.

    Written before the platform gets its acknowledgement, so an event Slack will never
    send again survives a crash; the unique key turns the platform's retries into no-ops.
    """

    __tablename__ = "inbox_event"
    __table_args__ = (
        UniqueConstraint("platform", "event_key"),
        Index("ix_inbox_event_pending", "platform", "done_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FeedbackOutbox(Base):
    """What a person is owed for a delivery of theirs: the reaction on their message and
    the private grade, recorded in the same transaction as the answer, so a process that
    dies before sending leaves the debt in the database for another to pay.

    One row per (delivery, kind): the unique key makes a redelivery or a second process
    add nothing. The process that stored the answer holds the row's lease while it sends;
    once the lease runs out unsent, any process takes it over by a conditional update.
    """

    __tablename__ = "feedback_outbox"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_key", "kind"),
        Index("ix_feedback_outbox_owed", "sent_at", "given_up", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    # The delivery the feedback answers (``bot.answers.delivery_key``).
    delivery_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # reaction | private
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    thread_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # A reaction's name, or the private message as JSON (bot/outbox/codec.py).
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claim_owner: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the platform refused for good, or passing failures ran out: never retried.
    given_up: Mapped[str | None] = mapped_column(String(300), nullable=True)


class WorkspaceAdmin(Base):
    """Someone an admin made an mlq admin of the workspace (``/mlq admins add``), on top
    of the platform's own admins (bot/disputes/admins.py)."""

    __tablename__ = "workspace_admin"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128))  # the platform's user id
    added_by: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Dispute(Base):
    """A member's dispute of their answer's grade. One per answer, so one per member per
    round (the unique key decides); resolved once, by a conditional update from pending."""

    __tablename__ = "dispute"
    __table_args__ = (
        UniqueConstraint("answer_id"),
        Index("ix_dispute_channel_state", "channel_id", "state"),
        Index("ix_dispute_member_filed", "member_id", "filed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # pending | kept | raised | lowered
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_score: Mapped[float] = mapped_column(Float)
    old_points: Mapped[int] = mapped_column(Integer, default=0)
    new_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    new_points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_note: Mapped[str] = mapped_column(Text, default="")


class RejectedAnswer(Base):
    """An answer whose grade an admin lowered: a known wrong answer to that question in
    that workspace (the counterpart of ``AcceptedAnswer``)."""

    __tablename__ = "rejected_answer"
    __table_args__ = (
        UniqueConstraint("answer_id"),
        Index("ix_rejected_answer_question", "workspace_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QuestionReport(Base):
    """ "Something is wrong with this question": one open report per member and question."""

    __tablename__ = "question_report"
    __table_args__ = (
        UniqueConstraint("workspace_id", "question_id", "member_id"),
        Index("ix_question_report_state", "workspace_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # open | retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RetiredQuestion(Base):
    """A question an admin retired for their workspace: never posted there again."""

    __tablename__ = "retired_question"
    __table_args__ = (UniqueConstraint("workspace_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    retired_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppState(Base):
    """Small facts a platform adapter keeps between starts, e.g. the hash of the Discord
    command tree last synced (so an unchanged tree is not synced again on every start)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
