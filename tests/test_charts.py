"""The burndown chart: which lines it draws from which numbers, and a size a phone can read.

Checked on the data handed to matplotlib (the series and the figure's lines), not on pixels.
"""

from __future__ import annotations

import struct
from datetime import datetime

from tasks.metrics.charts import _figure, burndown_png, burndown_series

#: Sprint Mon 2026-11-16 … Fri 2026-11-27 (10 working days), 110 committed, 69 added on day 3.
REPORT = {
    "sprint": {"start": "2026-11-16", "end": "2026-11-27"},
    "metrics": {"committed_points": 110.0, "scope_points": 179.0, "remaining_points": 140.0},
    "burndown": [
        {
            "date": "2026-11-16",
            "scope_points": 110.0,
            "remaining_points": 99.0,
            "ideal_points": 99.0,
        },
        {
            "date": "2026-11-17",
            "scope_points": 110.0,
            "remaining_points": 95.0,
            "ideal_points": 88.0,
        },
        {
            "date": "2026-11-18",
            "scope_points": 179.0,
            "remaining_points": 150.0,
            "ideal_points": 77.0,
        },
        {
            "date": "2026-11-19",
            "scope_points": 179.0,
            "remaining_points": 140.0,
            "ideal_points": 66.0,
        },
    ],
}


def test_all_three_lines_start_at_the_committed_points_at_the_sprint_start() -> None:
    series = burndown_series(REPORT)
    start = datetime(2026, 11, 16)
    assert series.scope[0] == series.remaining[0] == series.ideal[0] == (start, 110.0)


def test_each_row_is_drawn_at_the_end_of_its_day_with_its_scope_and_remaining() -> None:
    series = burndown_series(REPORT)
    assert series.scope[1:] == [
        (datetime(2026, 11, 17), 110.0),
        (datetime(2026, 11, 18), 110.0),
        (datetime(2026, 11, 19), 179.0),
        (datetime(2026, 11, 20), 179.0),
    ]
    assert [value for _, value in series.remaining] == [110, 99, 95, 150, 140]


def test_ideal_falls_by_a_tenth_of_committed_per_working_day_and_reaches_zero_at_the_end() -> None:
    ideal = dict(burndown_series(REPORT).ideal)
    assert ideal[datetime(2026, 11, 17)] == 99  # end of day 1 of 10: 110 x 0.9
    # the weekend (11-21, 11-22) is flat: end of Fri 11-20 = end of Sun 11-22 = 110 x 0.5
    assert ideal[datetime(2026, 11, 21)] == ideal[datetime(2026, 11, 23)] == 55
    assert max(ideal) == datetime(2026, 11, 28) and ideal[datetime(2026, 11, 28)] == 0


def test_a_row_without_scope_points_draws_no_scope_point_for_that_day() -> None:
    old = {
        **REPORT,
        "burndown": [{k: v for k, v in REPORT["burndown"][0].items() if k != "scope_points"}],
    }
    series = burndown_series(old)
    assert series.scope == [(datetime(2026, 11, 16), 110.0)]
    assert len(series.remaining) == 2


def test_the_figure_plots_ideal_scope_and_remaining_with_a_legend() -> None:
    from matplotlib import pyplot as plt

    fig = _figure(REPORT)
    try:
        [ax] = fig.axes
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"ideal", "scope", "remaining"}
        assert list(lines["scope"].get_ydata()) == [110, 110, 110, 179, 179]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "ideal",
            "scope",
            "remaining",
        ]
    finally:
        plt.close(fig)


def test_the_png_is_1200_by_750_so_it_stays_sharp_scaled_to_an_email_or_a_phone() -> None:
    png = burndown_png(REPORT)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 750)
