"""The static HTML sprint report, `$CONDUCTOR_OUTPUT_DIR/reports/<sprint>.html`.

Rendered with Jinja autoescaping: ticket titles come from Notion and are hostile input. Only the
burndown SVG, which matplotlib generated, is inserted unescaped.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "report"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_sprint_html(report: dict, chart_svg: str | None) -> str:
    """The report as one self-contained HTML page."""
    svg = Markup(chart_svg[chart_svg.find("<svg") :]) if chart_svg else None
    return _environment().get_template("sprint.html.j2").render(report=report, chart_svg=svg)


def report_file_name(report: dict) -> str:
    """A file-system-safe name for the sprint (`Sprint 12 / Q3` → `sprint-12-q3`)."""
    slug = re.sub(r"[^a-z0-9]+", "-", report["sprint"]["name"].lower()).strip("-")
    return slug or report["sprint"]["id"]


def write_sprint_html(report: dict, chart_svg: str | None, output_dir: Path) -> Path:
    """Write `reports/<sprint>.html` and `reports/latest.html`; returns the sprint's file."""
    folder = output_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    html = render_sprint_html(report, chart_svg)
    path = folder / f"{report_file_name(report)}.html"
    path.write_text(html, encoding="utf-8")
    (folder / "latest.html").write_text(html, encoding="utf-8")
    return path
