"""Burndown charts (remaining vs ideal) as PNG and SVG, sized for a ~600 px email column.

matplotlib is imported lazily with the Agg backend, so importing this module costs nothing and
rendering works on servers without a display.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from tasks.metrics.calendar import days_between, working_days

_SIZE_IN, _DPI = (6.0, 3.2), 100


def _figure(report: dict) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.dates import DateFormatter

    sprint, metrics = report["sprint"], report["metrics"]
    start, end = date.fromisoformat(sprint["start"]), date.fromisoformat(sprint["end"])
    committed = metrics["committed_points"]
    total = working_days(start, end)
    all_days = list(days_between(start, end))
    ideal = [committed * (1 - working_days(start, d) / total) if total else 0 for d in all_days]
    done_days = [date.fromisoformat(row["date"]) for row in report["burndown"]]
    remaining = [row["remaining_points"] for row in report["burndown"]]

    fig, ax = plt.subplots(figsize=_SIZE_IN, dpi=_DPI)
    ax.plot(all_days, ideal, linestyle="--", color="#9aa5b1", label="ideal")
    ax.plot(done_days, remaining, marker="o", markersize=3, color="#2563eb", label="remaining")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("points")
    ax.xaxis.set_major_formatter(DateFormatter("%b %d"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(
        f"Burndown — {metrics['remaining_points']:g} of {metrics['scope_points']:g} pts left"
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


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
    """The burndown of a `sprint_report` as a 600x320 PNG."""
    return _render(report, "png")


def burndown_svg(report: dict) -> str:
    """The same chart as SVG text (embeddable inline in HTML; text is drawn as paths)."""
    return _render(report, "svg").decode("utf-8")
