"""The sprint rollup's steps as plain functions: fingerprint, snapshots, reports, published files.

`flows.sprint_rollup` wraps each in a task (retries, caching on the fingerprint) and creates the
Prefect artifacts from `report_markdown` and `at_risk_rows`; `bench/pipeline.py` calls them
directly. Each step opens its own session, as its task does.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models import Sprint, Ticket, TicketEvent
from models.db import session_scope
from models.settings import Settings
from models.sprints import find_sprint
from tasks.metrics import state_spans
from tasks.metrics.charts import burndown_png, burndown_svg
from tasks.metrics.html_report import report_file_name, write_sprint_html
from tasks.metrics.odds import odds_sentence
from tasks.metrics.report import sprint_report
from tasks.metrics.snapshots import record_snapshots, sprints_to_snapshot
from tasks.templating import escape_markdown

#: Bumped when the report's shape changes, so a report cached by an older release (the rollup
#: caches on the fingerprint for hours) is not served after an upgrade. 2: burndown scope_points.
REPORT_SHAPE = 2


def data_fingerprint(today: date, settings: Settings) -> str:
    """A hash of what the numbers depend on: row counts and latest changes, `today`, the
    database, the metric settings and the report's shape. One aggregate query per table."""
    with session_scope(settings.database_url) as session:
        parts = [
            session.execute(select(func.count(), func.max(Ticket.updated_at))).one(),
            session.execute(select(func.count(), func.max(TicketEvent.id))).one(),
            session.execute(select(func.count(), func.max(Sprint.updated_at))).one(),
        ]
    metric_settings = (settings.timezone, settings.blocked_statuses, settings.canceled_statuses)
    key = repr((REPORT_SHAPE, parts, today, settings.database_url, metric_settings))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def refresh_ticket_states(settings: Settings) -> int:
    """`state_spans.refresh_ticket_states` in a transaction of its own: the flows that write
    call it once the tickets and events are committed, so reports read the sprint's states
    from `TicketState`. Returns how many tickets were folded (0: already current)."""
    with session_scope(settings.database_url) as session:
        return state_spans.refresh_ticket_states(session)


def record_sprint_snapshots(today: date, settings: Settings) -> dict[str, Any]:
    """Upsert today's snapshots (and backfill missing days); returns rows written (`written`),
    which sprints are live (`sprint_ids`), the current one (`current_id`, or None) and the
    names of both (`sprint_names`, id → name, for naming task runs)."""
    with session_scope(settings.database_url) as session:
        written = record_snapshots(session, today, settings)
        live = sprints_to_snapshot(session, today)
        current = find_sprint(session, "current", today)
        names = {s.id: s.name for s in [*live, *([current] if current else [])]}
    return {
        "written": written,
        "sprint_ids": [s.id for s in live],
        "current_id": current.id if current else None,
        "sprint_names": names,
    }


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


def report_markdown(report: dict, chart_png: bytes | None, chart_path: str, html_path: str) -> str:
    """The sprint report as Markdown (the rollup's artifact). Titles go into a table cell, so
    pipes and brackets are escaped.

    The burndown is embedded as a `data:` PNG: the Prefect UI is a web page, which may not load
    `file://` pictures or follow `file://` links, so the files written beside it are named as
    code text (to copy into a terminal), not linked."""
    m, detail = report["metrics"], report["forecast_detail"]
    odds = odds_sentence(m, report["sprint"]["end"])
    lines = [
        f"# {escape_markdown(report['sprint']['name'])} — {m['forecast'].replace('_', ' ')}",
        f"{report['sprint']['start']} → {report['sprint']['end']}, as of {report['sprint']['as_of']}",
        "",
        f"**Forecast:** {escape_markdown(detail['reason'])}",
        *(["", f"**Odds:** {escape_markdown(odds)}"] if odds else []),
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
        *([f"![Burndown chart]({png_data_uri(chart_png)})", ""] if chart_png else []),
        f"Files: burndown `{chart_path}` · HTML report `{html_path}`",
    ]
    return "\n".join(lines)


def png_data_uri(png: bytes) -> str:
    """`png` as a `data:image/png;base64,…` URI, for a picture inside a Markdown artifact."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


#: Longest title shown in the at-risk table: five short columns fit the Prefect UI's artifact
#: page at 1400 px only if no cell runs on (the UI does not wrap table cells).
TABLE_TITLE_CHARS = 48


def at_risk_rows(report: dict) -> list[dict[str, Any]]:
    """The report's blocked and aging tickets as table rows (one placeholder row when none).

    Five short columns: `why` says the status and for how long (`Blocked, 9 d`), so there is
    no separate status column; one owner is named and the others counted; long titles are cut.
    The Prefect UI renders every string cell of a table artifact as Markdown, so the Notion
    text in them is escaped like the Markdown report's.
    """
    rows = [
        {
            "ticket": escape_markdown(row["key"] or row["id"][:8]),
            "title": escape_markdown(_cut(row["title"] or "", TABLE_TITLE_CHARS)),
            "owner": escape_markdown(_owner(row["assignees"])),
            "pts": row["points"],
            "why": escape_markdown(
                f"{row['status']}, {row.get('days_blocked', row.get('days_in_status'))} d"
            ),
        }
        for row in report["at_risk"]
    ]
    return rows or [{"ticket": "—", "title": "nothing blocked or aging", "why": ""}]


def _owner(assignees: list[str]) -> str:
    if not assignees:
        return "—"
    return assignees[0] + (f" +{len(assignees) - 1}" if len(assignees) > 1 else "")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
