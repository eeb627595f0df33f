"""Flow `conductor_pipeline`: ingest → (embed) → rollup → daily summary → stakeholder email.

Each step is also a flow of its own, deployed and scheduled on its own. Here their bodies run
inside the pipeline's one flow run (`Flow.fn`): the flows are thin wiring of tasks, so the
pipeline's run in the UI lists every step's task runs (`sync-tickets-page`, `publish-summary`,
…) and carries every step's artifacts. Running the steps as subflows would add four flow runs,
each ~0.1 s of API calls, and on the default SQLite-backed Prefect server creating them can
collide with the server's own task-run writes, which costs a fixed 2 s client back-off
(`bench/pipeline.py` measures the overhead).

Only one pipeline runs at a time: a second one waits for the `conductor-pipeline` run lock
(`models.locks`, released when its holder dies; every step is idempotent, so the wait is about
load, not safety).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.daily_summary import daily_summary
from flows.hooks import notify_failure
from flows.notion_ingest import notion_ingest
from flows.sprint_rollup import sprint_rollup
from flows.stakeholder_email import stakeholder_email
from models import clock
from models.locks import PIPELINE_LOCK, run_lock
from models.settings import get_settings
from tasks.retries import retry_when


@task(
    name="embed-tickets",
    task_run_name="embed tickets",
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=retry_when(lambda exc: getattr(exc, "transient", False)),
)
def embed_tickets() -> dict[str, Any]:
    """Embed tickets whose text changed, for semantic search (only with an embedding model)."""
    from models.db import session_scope
    from tasks.assistant.embeddings import embed_tickets as embed

    settings = get_settings()
    with session_scope(settings.database_url) as session:
        return embed(session, settings)


def _embed_if_configured(logger: Any) -> dict[str, Any] | None:
    """Semantic search is optional: a failing embedding model must not hold back the sprint
    report, the summary or the stakeholder email, so its failure is logged and skipped."""
    if not get_settings().embedding_model:
        return None
    state = embed_tickets(return_state=True)
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    logger.warning("embedding skipped: %s", error)
    return {"error": str(error)}


def _run_name() -> str:
    return f"pipeline-{clock.local_now(get_settings().tz):%Y-%m-%dT%H:%M}"


@flow(
    name="conductor_pipeline",
    flow_run_name=_run_name,
    timeout_seconds=3 * 3600,
    on_failure=[notify_failure],
)
def conductor_pipeline(
    full_refresh: bool = False,
    send_email: bool = True,
    audience: str = "stakeholders",
    today: date | None = None,
) -> dict[str, Any]:
    """Run every step in order, in this flow run; returns each step's result under its name."""
    logger = get_run_logger()
    with run_lock(PIPELINE_LOCK, get_settings().database_url, notify=logger.warning):
        ingest = notion_ingest.fn(full_refresh=full_refresh)
        embedded = _embed_if_configured(logger)
        rollup = sprint_rollup.fn(today=today)
        summary = daily_summary.fn(day=today)
        email = stakeholder_email.fn(audience=audience, today=today) if send_email else None
    logger.info(
        "pipeline done: %s pages synced, forecast %s, summary by %s, email %s",
        ingest["fetched"],
        ((rollup.get("current") or {}).get("metrics") or {}).get("forecast", "n/a"),
        summary["generated_by"],
        email["status"] if email else "skipped",
    )
    return {
        "ingest": ingest,
        "embeddings": embedded,
        "rollup": rollup,
        "summary": summary,
        "email": email,
    }


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["conductor-pipeline"])
