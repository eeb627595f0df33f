"""`conductor ingest`: run the Notion → SQL flow with a progress bar."""

from __future__ import annotations

import typer

from cli.output import console, err_console, print_json
from models.settings import ConfigError, get_settings


def require_notion() -> None:
    """Fail with the fix, in a second, when the workspace is not configured, Notion does not
    answer or rejects the token (`tasks.health.notion_preflight_problem`)."""
    from tasks.health import notion_preflight_problem

    settings = get_settings()
    missing = [
        name
        for name, value in (
            ("CONDUCTOR_NOTION_TOKEN", settings.notion_token),
            ("CONDUCTOR_NOTION_TICKETS_DATABASE_ID", settings.notion_tickets_database_id),
            ("CONDUCTOR_NOTION_SPRINTS_DATABASE_ID", settings.notion_sprints_database_id),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"set {', '.join(missing)} (or try `conductor demo` with the bundled workspace)"
        )
    problem = notion_preflight_problem(settings)
    if problem:
        raise ConfigError(problem)


def run_ingest_with_progress(full_refresh: bool, quiet: bool = False) -> dict:
    """Run the `notion_ingest` flow, showing pages synced per data source on stderr."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cli.flow_runs import prepare_prefect, run_in_process

    prepare_prefect()
    from flows.notion_ingest import notion_ingest
    from tasks.notion.sync import reporting_progress

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed} pages"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    )
    bars: dict[str, int] = {}

    def on_batch(kind: str, pages: int) -> None:
        if kind not in bars:
            bars[kind] = progress.add_task(f"Syncing {kind}", total=None)
        progress.advance(bars[kind], pages)

    with progress, reporting_progress(on_batch):
        return run_in_process(notion_ingest, full_refresh=full_refresh)


def ingest(
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rescan everything and reconcile removed pages."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Sync the configured Notion workspace into SQL (incremental unless --full-refresh)."""
    require_notion()
    counts = run_ingest_with_progress(full_refresh, quiet=as_json)
    if as_json:
        print_json(counts)
        return
    console.print(
        f"Synced {counts['fetched']} pages in {counts['duration_s']:.1f}s: "
        f"{counts['created']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['removed']} removed, {counts['quarantined']} with unreadable properties "
        f"({counts['requests']} requests, {counts['rate_limited']} rate-limited, {counts['retried']} retried)."
    )
