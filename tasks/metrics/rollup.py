"""The sprint rollup's steps as plain functions: fingerprint, snapshots, reports, published files.

`flows.sprint_rollup` wraps each in a task (retries, caching on the fingerprint) and creates the
Prefect artifacts from `report_markdown` and `at_risk_rows`; `bench/pipeline.py` calls them
directly. Each step opens its own session, as its task does.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models import Sprint, Ticket, TicketEvent
from models.db import session_scope
from models.settings import Settings
from models.sprints import find_sprint
from tasks.metrics.charts import burndown_png, burndown_svg
from tasks.metrics.html_report import report_file_name, write_sprint_html
from tasks.metrics.report import sprint_report
from tasks.metrics.snapshots import record_snapshots, sprints_to_snapshot
from tasks.templating import escape_markdown


def data_fingerprint(today: date, settings: Settings) -> str:
    """A hash of what the numbers depend on: row counts and latest changes, `today`, the
    database and the metric settings. One aggregate query per table."""
    with session_scope(settings.database_url) as session:
        parts = [
            session.execute(select(func.count(), func.max(Ticket.updated_at))).one(),
            session.execute(select(func.count(), func.max(TicketEvent.id))).one(),
            session.execute(select(func.count(), func.max(Sprint.updated_at))).one(),
        ]
    key = repr((parts, today, settings.database_url, settings.timezone, settings.blocked_statuses))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def record_sprint_snapshots(today: date, settings: Settings) -> dict[str, Any]:
    """Upsert today's snapshots (and backfill missing days); returns rows written (`written`),
    which sprints are live (`sprint_ids`) and the current one (`current_id`, or None)."""
    with session_scope(settings.database_url) as session:
        written = record_snapshots(session, today, settings)
        live = [s.id for s in sprints_to_snapshot(session, today)]
        current = find_sprint(session, "current", today)
    return {"written": written, "sprint_ids": live, "current_id": current.id if current else None}


def sprints_to_report(snapshots: dict[str, Any]) -> list[str]:
    """The live sprints, then the current one if it is not live: each reported on once."""
    current = snapshots["current_id"]
    ids = [*snapshots["sprint_ids"], current] if current else snapshots["sprint_ids"]
    return list(dict.fromkeys(ids))


def compute_sprint_report(sprint_id: str, today: date, settings: Settings) -> dict:
    """`sprint_report` of one sprint (see tasks.metrics.report)."""
    with session_scope(settings.database_url) as session:
        sprint = session.get(Sprint, sprint_id)
        assert sprint is not None, f"sprint {sprint_id} vanished during the rollup"
        return sprint_report(session, sprint, today, settings)


def write_report_files(report: dict, output_dir: Path) -> dict[str, str]:
    """Write `charts/<sprint>-burndown.png`/`.svg` and the HTML report (`reports/`); returns
    `{"report_path", "chart_path"}` (the HTML and the PNG)."""
    charts = output_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    name = report_file_name(report)
    svg = burndown_svg(report)
    png_path = charts / f"{name}-burndown.png"
    png_path.write_bytes(burndown_png(report))
    (charts / f"{name}-burndown.svg").write_text(svg, encoding="utf-8")
    html_path = write_sprint_html(report, svg, output_dir)
    return {"report_path": str(html_path), "chart_path": str(png_path)}


def report_markdown(report: dict, chart_uri: str, html_uri: str) -> str:
    """The sprint report as Markdown (the rollup's artifact). Titles go into a table cell, so
    pipes and brackets are escaped."""
    m, detail = report["metrics"], report["forecast_detail"]
    lines = [
        f"# {escape_markdown(report['sprint']['name'])} — {m['forecast'].replace('_', ' ')}",
        f"{report['sprint']['start']} → {report['sprint']['end']}, as of {report['sprint']['as_of']}",
        "",
        f"**Forecast:** {escape_markdown(detail['reason'])}",
        "",
        "| scope | committed | added | removed | completed | remaining | done | velocity |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {m['scope_points']:g} | {m['committed_points']:g}{' (est.)' if m['committed_estimated'] else ''} "
        f"| {m['added_points']:g} | {m['removed_points']:g} | {m['completed_points']:g} "
        f"| {m['remaining_points']:g} | {m['completion_pct']}% | {m['velocity'] if m['velocity'] is not None else '—'} |",
        "",
        f"{m['ticket_count']} tickets: {m['done_count']} done, {m['blocked_count']} blocked, "
        f"{m['unpointed_count']} unpointed.",
        "",
        f"![burndown]({chart_uri})",
        "",
        f"Burndown chart: `{chart_uri}` · HTML report: `{html_uri}`",
    ]
    return "\n".join(lines)


def at_risk_rows(report: dict) -> list[dict[str, Any]]:
    """The report's blocked and aging tickets as table rows (one placeholder row when none).

    The Prefect UI renders every string cell of a table artifact as Markdown, so the Notion
    text in them is escaped like the Markdown report's."""
    rows = [
        {
            "ticket": escape_markdown(row["key"] or row["id"][:8]),
            "title": escape_markdown(row["title"]),
            "assignees": escape_markdown(", ".join(row["assignees"])),
            "status": escape_markdown(row["status"] or ""),
            "points": row["points"],
            "why": escape_markdown(row["reason"]),
        }
        for row in report["at_risk"]
    ]
    return rows or [{"ticket": "—", "title": "nothing blocked or aging", "why": ""}]
