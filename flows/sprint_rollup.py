"""The sprint rollup flow: snapshot every live sprint, report on the current one, publish.

Runs after each ingest. Every task is cached on a fingerprint of the stored data (cheap counts
and maxima), so a rerun with nothing new ingested recomputes nothing; publishing (files and
Prefect artifacts) happens on every run so each run in the UI tells the whole story.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE, CacheKeyFnPolicy

from flows.announce import announce
from flows.hooks import notify_failure
from flows.notion_reports import publish_if_configured, publish_sprint_report_to_notion
from models import clock
from models.db import get_engine
from models.health import record_health
from models.settings import get_settings
from tasks.announcements import health_changed
from tasks.caching import shared_cache_options
from tasks.metrics import rollup
from tasks.metrics.html_report import report_file_name
from tasks.retries import retry_on_database_hiccup
from tasks.templating import escape_markdown

CACHE_FOR = timedelta(hours=12)


def _cache_on_fingerprint(_context: Any, parameters: dict[str, Any]) -> str:
    """Cache key: the task's data fingerprint plus which sprint it is about."""
    return f"{parameters['fingerprint']}-{parameters.get('sprint_id', 'all')}"


@task(
    name="refresh-ticket-states",
    task_run_name="fold ticket states",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
)
def refresh_ticket_states() -> int:
    """`tasks.metrics.rollup.refresh_ticket_states`: the sprints' states brought up to date
    with the stored history (the ingest calls it too; then this finds nothing to do)."""
    return rollup.refresh_ticket_states(get_settings())


def fold_or_warn(logger: Any) -> None:
    """Run `refresh_ticket_states`; if it fails, say so and go on. The states only make reports
    faster (they replay the events until a later run folds them), so a failed fold must not
    cost the run its announcements, rollup or summary; its task run shows the failure."""
    state = refresh_ticket_states(return_state=True)
    if state.is_failed():
        logger.warning(
            "Ticket states not folded (%s); reports read the events until a later run folds them",
            state.message,
        )


@task(
    name="data-fingerprint",
    task_run_name="fingerprint stored data — {today}",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
)
def data_fingerprint(today: date) -> str:
    """`tasks.metrics.rollup.data_fingerprint`: what the numbers depend on, hashed."""
    return rollup.data_fingerprint(today, get_settings())


@task(
    name="record-sprint-snapshots",
    task_run_name="record sprint snapshots — {today}",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
    cache_policy=CacheKeyFnPolicy(cache_key_fn=_cache_on_fingerprint),
    cache_expiration=CACHE_FOR,
)
def record_sprint_snapshots(today: date, fingerprint: str) -> dict[str, Any]:
    """`tasks.metrics.rollup.record_sprint_snapshots`, cached on the fingerprint."""
    return rollup.record_sprint_snapshots(today, get_settings())


@task(
    name="compute-sprint-report",
    task_run_name="compute sprint report — {sprint_name}",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=retry_on_database_hiccup,
    cache_policy=CacheKeyFnPolicy(cache_key_fn=_cache_on_fingerprint),
    cache_expiration=CACHE_FOR,
)
def compute_sprint_report(sprint_id: str, today: date, fingerprint: str, sprint_name: str) -> dict:
    """`tasks.metrics.rollup.compute_sprint_report`, cached on the fingerprint (`sprint_name`
    only names the task run)."""
    return rollup.compute_sprint_report(sprint_id, today, get_settings())


@task(
    name="publish-sprint-report",
    task_run_name="publish sprint report — {report[sprint][name]}",
    retries=1,
    retry_condition_fn=retry_on_database_hiccup,
)
def publish_sprint_report(report: dict) -> dict[str, str]:
    """Write the burndown PNG/SVG and the HTML report, and create the Prefect artifacts."""
    paths = rollup.write_report_files(report, get_settings().output_dir)
    name = report_file_name(report)
    chart = Path(paths["chart_path"])
    create_markdown_artifact(
        key=f"sprint-report-{name}"[:100],
        markdown=rollup.report_markdown(
            report,
            chart.read_bytes(),
            str(chart.resolve()),
            str(Path(paths["report_path"]).resolve()),
        ),
        description=f"{escape_markdown(report['sprint']['name'])}: where the sprint stands",
    )
    create_table_artifact(
        key=f"sprint-at-risk-{name}"[:100],
        table=rollup.at_risk_rows(report),
        description=f"{escape_markdown(report['sprint']['name'])}: blocked and aging tickets",
    )
    return paths


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
    fold_or_warn(logger)
    fingerprint = data_fingerprint(today)
    snapshots = record_sprint_snapshots.with_options(**cached)(today, fingerprint)
    sprint_ids = rollup.sprints_to_report(snapshots)
    report_on = compute_sprint_report.with_options(**cached)
    names = snapshots.get("sprint_names") or {}
    reports = {sid: report_on(sid, today, fingerprint, names.get(sid, sid)) for sid in sprint_ids}
    current = reports.get(snapshots["current_id"]) if snapshots["current_id"] else None
    paths: dict[str, str | None] = {"report_path": None, "chart_path": None}
    if current is not None:
        paths.update(publish_sprint_report(current))
        change = record_health(
            get_engine(settings.database_url),
            current["sprint"]["id"],
            current["metrics"]["forecast"],
        )
        if change is not None:
            announce(
                [health_changed(change, current)],
                label=f"health {change.before} → {change.after} — {current['sprint']['name']}",
            )
        publish_if_configured(
            publish_sprint_report_to_notion, current, what="Sprint report", logger=logger
        )
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
