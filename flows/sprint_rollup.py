"""The sprint rollup flow: snapshot every live sprint, report on the current one, publish.

Runs after each ingest. Every task is cached on a fingerprint of the stored data (cheap counts
and maxima), so a rerun with nothing new ingested recomputes nothing; publishing (files and
Prefect artifacts) happens on every run so each run in the UI tells the whole story.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import CacheKeyFnPolicy
from sqlalchemy import func, select

from flows.hooks import notify_failure
from models import Sprint, Ticket, TicketEvent, clock
from models.db import session_scope
from models.settings import get_settings
from models.sprints import find_sprint
from tasks.caching import shared_cache_options
from tasks.metrics.charts import burndown_png, burndown_svg
from tasks.metrics.html_report import report_file_name, write_sprint_html
from tasks.metrics.report import sprint_report
from tasks.metrics.snapshots import record_snapshots, sprints_to_snapshot
from tasks.retries import retry_on_database_hiccup
from tasks.templating import escape_markdown

CACHE_FOR = timedelta(hours=12)


def _cache_on_fingerprint(_context: Any, parameters: dict[str, Any]) -> str:
    """Cache key: the task's data fingerprint plus which sprint it is about."""
    return f"{parameters['fingerprint']}-{parameters.get('sprint_id', 'all')}"


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_database_hiccup)
def data_fingerprint(today: date) -> str:
    """A hash of what the numbers depend on: row counts and latest changes, `today`, the
    database and the metric settings. One aggregate query per table."""
    settings = get_settings()
    with session_scope() as session:
        parts = [
            session.execute(select(func.count(), func.max(Ticket.updated_at))).one(),
            session.execute(select(func.count(), func.max(TicketEvent.id))).one(),
            session.execute(select(func.count(), func.max(Sprint.updated_at))).one(),
        ]
    key = repr((parts, today, settings.database_url, settings.timezone, settings.blocked_statuses))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@task(
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
    cache_policy=CacheKeyFnPolicy(cache_key_fn=_cache_on_fingerprint),
    cache_expiration=CACHE_FOR,
)
def record_sprint_snapshots(today: date, fingerprint: str) -> dict[str, Any]:
    """Upsert today's snapshots (and backfill missing days); returns rows written and which
    sprints are live."""
    with session_scope() as session:
        written = record_snapshots(session, today, get_settings())
        live = [s.id for s in sprints_to_snapshot(session, today)]
        current = find_sprint(session, "current", today)
    return {"written": written, "sprint_ids": live, "current_id": current.id if current else None}


@task(
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
    cache_policy=CacheKeyFnPolicy(cache_key_fn=_cache_on_fingerprint),
    cache_expiration=CACHE_FOR,
)
def compute_sprint_report(sprint_id: str, today: date, fingerprint: str) -> dict:
    """`sprint_report` of one sprint (see tasks.metrics.report)."""
    with session_scope() as session:
        sprint = session.get(Sprint, sprint_id)
        assert sprint is not None, f"sprint {sprint_id} vanished during the rollup"
        return sprint_report(session, sprint, today, get_settings())


@task(retries=1, retry_condition_fn=retry_on_database_hiccup)
def publish_sprint_report(report: dict) -> dict[str, str]:
    """Write the burndown PNG/SVG and the HTML report, and create the Prefect artifacts."""
    output_dir = get_settings().output_dir
    charts = output_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    name = report_file_name(report)
    svg = burndown_svg(report)
    png_path = charts / f"{name}-burndown.png"
    png_path.write_bytes(burndown_png(report))
    (charts / f"{name}-burndown.svg").write_text(svg, encoding="utf-8")
    html_path = write_sprint_html(report, svg, output_dir)
    create_markdown_artifact(
        key=f"sprint-report-{name}"[:100],
        markdown=_markdown(report, png_path.resolve().as_uri(), html_path.resolve().as_uri()),
        description=f"{report['sprint']['name']}: where the sprint stands",
    )
    rows = [
        {
            "ticket": row["key"] or row["id"][:8],
            "title": row["title"],
            "assignees": ", ".join(row["assignees"]),
            "status": row["status"],
            "points": row["points"],
            "why": row["reason"],
        }
        for row in report["at_risk"]
    ]
    create_table_artifact(
        key=f"sprint-at-risk-{name}"[:100],
        table=rows or [{"ticket": "—", "title": "nothing blocked or aging", "why": ""}],
        description=f"{report['sprint']['name']}: blocked and aging tickets",
    )
    return {"report_path": str(html_path), "chart_path": str(png_path)}


def _markdown(report: dict, chart_uri: str, html_uri: str) -> str:
    """The markdown artifact. Titles go into a table cell, so pipes and brackets are escaped."""
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


def _run_name() -> str:
    from prefect.runtime import flow_run

    today = flow_run.parameters.get("today")
    return f"rollup-{today or clock.local_today(get_settings().tz)}"


@flow(
    name="sprint_rollup",
    flow_run_name=_run_name,
    log_prints=False,
    timeout_seconds=1800,
    on_failure=[notify_failure],
)
def sprint_rollup(today: date | None = None) -> dict[str, Any]:
    """Snapshot live sprints, report on the current sprint, publish charts/HTML/artifacts.

    `today` defaults to the current date in `CONDUCTOR_TIMEZONE`. Returns
    `{"sprints", "snapshots", "current", "report_path", "chart_path"}`.
    """
    logger = get_run_logger()
    settings = get_settings()
    today = today or clock.local_today(settings.tz)
    cached = shared_cache_options(settings, _cache_on_fingerprint)
    fingerprint = data_fingerprint(today)
    snapshots = record_sprint_snapshots.with_options(**cached)(today, fingerprint)
    sprint_ids = list(
        dict.fromkeys(
            [*snapshots["sprint_ids"], snapshots["current_id"]]
            if snapshots["current_id"]
            else snapshots["sprint_ids"]
        )
    )
    report_on = compute_sprint_report.with_options(**cached)
    reports = {sid: report_on(sid, today, fingerprint) for sid in sprint_ids}
    current = reports.get(snapshots["current_id"]) if snapshots["current_id"] else None
    paths: dict[str, str | None] = {"report_path": None, "chart_path": None}
    if current is not None:
        paths.update(publish_sprint_report(current))
        logger.info(
            "%s: %s, %g of %g pts remaining",
            current["sprint"]["name"],
            current["metrics"]["forecast"],
            current["metrics"]["remaining_points"],
            current["metrics"]["scope_points"],
        )
    else:
        logger.info("no sprints stored yet: run `conductor ingest` first")
    return {
        "sprints": len(reports),
        "snapshots": snapshots["written"],
        "current": current,
        **paths,
    }


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["sprint-rollup"])
