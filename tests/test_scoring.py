from bot.scoring import (
    MAX_FREEZES,
    Streak,
    advance_streak,
    advance_team_streak,
    best_answer_indexes,
    quality_points,
    round_points,
)


def run(pattern: str, start: Streak | None = None) -> Streak:
    """Apply a pattern of answers: 'x' = on time, '.' = missed."""
    streak = start or Streak()
    for mark in pattern:
        streak = advance_streak(streak, answered_on_time=mark == "x")
    return streak


def test_points_per_round():
    assert round_points(on_time=True, score=1.0, earns_quality=True, best=True) == 6
    assert round_points(on_time=True, score=0.5, earns_quality=True, best=False) == 3
    assert round_points(on_time=True, score=0.9, earns_quality=False, best=False) == 1
    assert round_points(on_time=False, score=1.0, earns_quality=True, best=True) == 0
    assert quality_points(1.7) == 4 and quality_points(-1) == 0


def test_best_answer_ties_share_and_ineligible_answers_never_win():
    assert best_answer_indexes([0.8, 0.8, 0.5], [True, True, True]) == {0, 1}
    assert best_answer_indexes([0.9, 0.8], [False, True]) == {1}
    assert best_answer_indexes([0.0, 0.0], [True, True]) == set()


def test_streak_counts_consecutive_on_time_answers():
    assert run("xxx").current == 3
    assert run("xx.x").current == 1
    assert run("xx.x").best == 2


def test_a_freeze_is_earned_every_five_in_a_row_and_spent_on_a_miss():
    five = run("xxxxx")
    assert five.freezes == 1
    after_miss = advance_streak(five, answered_on_time=False)
    assert after_miss.current == 5 and after_miss.freezes == 0 and after_miss.freezes_used == 1
    # With no freeze left, the next miss resets.
    assert advance_streak(after_miss, answered_on_time=False).current == 0


def test_at_most_two_freezes_are_held():
    assert run("x" * 20).freezes == MAX_FREEZES
    assert run("x" * 10 + "..").current == 10
    assert run("x" * 10 + "...").current == 0


def test_the_run_toward_a_freeze_restarts_after_a_miss():
    assert run("xxxx.xxxx").freezes == 0
    assert run("xxxx.xxxxx").freezes == 1


def test_team_streak():
    assert advance_team_streak(4, 3, 3) == 5
    assert advance_team_streak(4, 2, 3) == 0


def test_quality_points_round_halves_up_not_to_even():
    """Python's round() sends halves to the even neighbour: 3/8 of the key points (1.5)
    earned 2 and 5/8 (2.5) earned 2 as well, while 7/8 (3.5) earned 4."""
    assert [quality_points(k / 8) for k in range(9)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    # Monotone in the score, whatever the score.
    scores = [n / 1000 for n in range(1001)]
    points = [quality_points(s) for s in scores]
    assert points == sorted(points)
