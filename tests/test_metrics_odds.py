"""The Monte Carlo forecast on histories whose odds can be worked out by hand."""

from __future__ import annotations

from datetime import date

from tasks.metrics.odds import completion_odds

MONDAY, FRIDAY = date(2026, 11, 2), date(2026, 11, 6)


def test_a_steady_team_finishes_on_the_day_arithmetic_says() -> None:
    # 2 points every day, 5 to go: Mon 2, Tue 4, Wed 6 → done on Wednesday in every trial
    odds = completion_odds(5, [2.0], MONDAY, FRIDAY, seed="steady")
    assert (odds.probability, odds.p50, odds.p85) == (1.0, date(2026, 11, 4), date(2026, 11, 4))


def test_a_coin_flip_team_matches_the_geometric_odds() -> None:
    # each day finishes the 4 points with probability 1/2: P(done within 5 days) = 1 - 1/32
    odds = completion_odds(4, [0.0, 4.0], MONDAY, FRIDAY, seed="coin")
    assert abs(odds.probability - 0.96875) < 0.015
    # P(by Tue) = 0.75 < 0.85 ≤ P(by Wed) = 0.875: the 85th percentile is Wednesday
    assert odds.p85 == date(2026, 11, 4)


def test_weekends_are_not_working_days() -> None:
    # 1 point a day, 3 to go from Thursday: Thu, Fri, then Monday
    odds = completion_odds(3, [1.0], date(2026, 11, 5), date(2026, 11, 13), seed="w")
    assert odds.p50 == date(2026, 11, 9)


def test_the_same_seed_gives_the_same_odds_and_another_may_not() -> None:
    args = (30, [0.0, 1.0, 2.0, 8.0], MONDAY, date(2026, 11, 13))
    assert completion_odds(*args, seed="a") == completion_odds(*args, seed="a")


def test_no_history_or_no_output_is_said_plainly() -> None:
    assert completion_odds(5, [], MONDAY, FRIDAY, seed="x").probability is None
    stalled = completion_odds(5, [0.0, 0.0], MONDAY, FRIDAY, seed="x")
    assert (stalled.probability, stalled.p50) == (0.0, None)
    assert completion_odds(0, [], MONDAY, FRIDAY, seed="x").probability == 1.0


def test_ten_a_day_with_thirty_left_makes_it_in_three_days_not_in_two() -> None:
    wednesday = date(2026, 11, 4)
    assert completion_odds(30, [10.0], MONDAY, wednesday, seed="t").probability == 1.0
    assert completion_odds(30, [10.0], MONDAY, date(2026, 11, 3), seed="t").probability == 0.0


def test_the_dates_move_later_as_scope_grows() -> None:
    history = [0.0, 2.0, 3.0, 5.0, 8.0]
    small, large = (
        completion_odds(points, history, MONDAY, FRIDAY, seed="scope") for points in (10, 40)
    )
    assert small.probability > large.probability
    assert small.p50 < large.p50 and small.p85 < large.p85
