"""Burndown charts (scope, remaining and ideal) as PNG and SVG, readable on a phone.

The chart is read in three places: the HTML report, the email (scaled to ~350 px on a phone,
552 px on a desktop) and the Prefect UI's artifact page. So it is drawn large (1200x750 px) with
fonts sized for the phone case, and it shows scope as its own line, as Linear's cycle graph
does: otherwise points added mid-sprint only show up as remaining work not going down.

matplotlib is imported lazily with the Agg backend, so importing this module costs nothing and
rendering works on servers without a display.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tasks.metrics.calendar import working_days

#: 4.8 x 3 in at 250 dpi = 1200 x 750 px: few inches for the font size keeps the text ~10 px
#: high when a phone shows the picture ~300 px wide, and 16:10 keeps the plot tall enough.
SIZE_IN, DPI = (4.8, 3.0), 250
FONT_PT = 12

SCOPE_COLOUR, REMAINING_COLOUR, IDEAL_COLOUR = "#7c3aed", "#2563eb", "#9aa5b1"


@dataclass(frozen=True)
class BurndownSeries:
    """The three lines of the chart, each a list of (instant, points).

    Instants are day boundaries: the sprint's start (midnight of its first day) and then the end
    of each reported day (midnight after it), because a burndown row is the state at the end of
    its day. All three lines start at the start with the committed points, so the ideal line
    runs from what the team committed to, not from the end of day one.
    """

    scope: list[tuple[datetime, float]]
    remaining: list[tuple[datetime, float]]
    ideal: list[tuple[datetime, float]]


def burndown_series(report: dict) -> BurndownSeries:
    """The chart's data from a `sprint_report`: its `burndown` rows and committed points.

    The ideal line covers the whole sprint (to 0 at the end of its last day); scope and
    remaining stop at the last reported day. A row without `scope_points` (a report stored
    before that key existed) draws no scope point for that day.
    """
    sprint, metrics = report["sprint"], report["metrics"]
    start, end = date.fromisoformat(sprint["start"]), date.fromisoformat(sprint["end"])
    committed = float(metrics["committed_points"])
    origin = _boundary(start)
    total = working_days(start, end)
    if total:
        ideal = [(origin, committed)] + [
            (_boundary(day + timedelta(days=1)), committed * (1 - working_days(start, day) / total))
            for day in _days(start, end)
        ]
    else:
        ideal = [(origin, committed), (_boundary(end + timedelta(days=1)), 0.0)]
    rows = report["burndown"]
    at_end = [_boundary(date.fromisoformat(row["date"]) + timedelta(days=1)) for row in rows]
    remaining = [(origin, committed)] + [
        (at, float(row["remaining_points"])) for at, row in zip(at_end, rows, strict=True)
    ]
    scope = [(origin, committed)] + [
        (at, float(row["scope_points"]))
        for at, row in zip(at_end, rows, strict=True)
        if row.get("scope_points") is not None
    ]
    return BurndownSeries(scope=scope, remaining=remaining, ideal=ideal)


def _boundary(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _ticks(ideal: list[tuple[datetime, float]], most: int = 6) -> list[datetime]:
    """Evenly spaced day boundaries from the sprint's start to its end, at most `most` of them
    (a phone has room for about six date labels)."""
    first, last = ideal[0][0], ideal[-1][0]
    days = (last - first).days
    step = max(1, -(-days // (most - 1)))
    return [first + timedelta(days=n) for n in range(0, days + 1, step)]


def _figure(report: dict) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.ticker import FixedLocator

    series = burndown_series(report)
    metrics = report["metrics"]
    with plt.rc_context({"font.size": FONT_PT, "font.family": "DejaVu Sans"}):
        fig, ax = plt.subplots(figsize=SIZE_IN, dpi=DPI)
        _line(ax, series.ideal, "ideal", IDEAL_COLOUR, linestyle="--", linewidth=2)
        _line(ax, series.scope, "scope", SCOPE_COLOUR, linewidth=2.5)
        _line(ax, series.remaining, "remaining", REMAINING_COLOUR, linewidth=3, marker="o")
        top = max(
            value for line in (series.scope, series.remaining, series.ideal) for _, value in line
        )
        ax.set_ylim(0, max(top, 1) * 1.08)
        ax.set_ylabel("points")
        ax.xaxis.set_major_locator(FixedLocator(date2num(_ticks(series.ideal))))
        ax.xaxis.set_major_formatter(DateFormatter("%-d %b"))
        ax.grid(alpha=0.3)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False, handlelength=1.6
        )
        ax.set_title(
            f"Burndown: {metrics['remaining_points']:g} of {metrics['scope_points']:g} pts left",
            loc="left",
            fontsize=FONT_PT + 1,
            fontweight="bold",
            color="#202124",
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
    return fig


def _line(
    ax: Any, points: list[tuple[datetime, float]], label: str, colour: str, **style: Any
) -> None:
    if style.get("marker"):
        style.setdefault("markersize", 5)
    ax.plot(
        [at for at, _ in points], [value for _, value in points], label=label, color=colour, **style
    )


def _render(report: dict, fmt: str) -> bytes:
    from matplotlib import pyplot as plt

    fig = _figure(report)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt)
        return buffer.getvalue()
    finally:
        plt.close(fig)


def burndown_png(report: dict) -> bytes:
    """The burndown of a `sprint_report` as a 1200x750 PNG."""
    return _render(report, "png")


def burndown_svg(report: dict) -> str:
    """The same chart as SVG text (embeddable inline in HTML; text is drawn as paths)."""
    return _render(report, "svg").decode("utf-8")
