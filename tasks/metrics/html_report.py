"""The static HTML sprint report, `$CONDUCTOR_OUTPUT_DIR/reports/<sprint>.html`.

Rendered with Jinja autoescaping: ticket titles come from Notion and are hostile input. Only the
burndown SVG, which matplotlib generated, is inserted unescaped.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from tasks.file_names import safe_stem
from tasks.metrics.odds import odds_sentence
from tasks.templating import environment


def render_sprint_html(report: dict, chart_svg: str | None) -> str:
    """The report as one self-contained HTML page."""
    svg = Markup(chart_svg[chart_svg.find("<svg") :]) if chart_svg else None
    return (
        environment("report", "html")
        .get_template("sprint.html.j2")
        .render(
            report=report,
            chart_svg=svg,
            odds=odds_sentence(report["metrics"], report["sprint"]["end"]),
        )
    )


def report_file_name(report: dict) -> str:
    """The sprint's file-name stem (`Sprint 12 / Q3` → `sprint-12-q3-1a2b3c4d`): bounded,
    safe characters only, and distinct for distinct sprints (see `tasks.file_names`)."""
    return safe_stem(report["sprint"]["name"], report["sprint"]["id"])


def write_sprint_html(report: dict, chart_svg: str | None, output_dir: Path) -> Path:
    """Write `reports/<sprint>.html` and `reports/latest.html`; returns the sprint's file."""
    folder = output_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    html = render_sprint_html(report, chart_svg)
    path = folder / f"{report_file_name(report)}.html"
    path.write_text(html, encoding="utf-8")
    (folder / "latest.html").write_text(html, encoding="utf-8")
    return path
