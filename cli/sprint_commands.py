"""Sprint commands: `conductor sprint` (where a sprint stands) and `conductor rollup`."""

from __future__ import annotations

import typer

from cli.output import console, err_console, print_json, shown
from models.errors import ConductorError

NOTHING_STORED = (
    "no sprints stored yet: run `conductor demo` for the sample workspace, "
    "or `conductor ingest` for your Notion workspace"
)
_MAX_LISTED = 20
_FORECAST_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "red"}


class NothingStoredError(ConductorError):
    """A command needs a sprint and none is stored yet."""


def forecast_words(forecast: str) -> str:
    """`off_track` as the team says it: "off track"."""
    return forecast.replace("_", " ")


def sprint(
    selector: str = typer.Argument(
        "current",
        help="`current`, a sprint name (any case, unique prefix) or its number (`46`).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON only (the shape in docs/design.md §3)."
    ),
) -> None:
    """Where a sprint stands: scope, burndown, forecast, status mix, load and blocked work.

    With no sprint stored yet, or a name that matches none, this is a one-line error (exit 1)
    saying what to run or which sprints exist; with --json, stdout then stays empty.
    """
    from sqlmodel import Session

    from models import clock
    from models.db import get_engine
    from models.settings import get_settings
    from models.sprints import find_sprint
    from tasks.metrics.report import sprint_report

    settings = get_settings()
    today = clock.local_today(settings.tz)
    with Session(get_engine(settings.database_url)) as session:
        found = find_sprint(session, selector, today)
        report = sprint_report(session, found, today, settings) if found else None
    if report is None:
        raise NothingStoredError(NOTHING_STORED)
    if as_json:
        print_json(report)
        return
    _print_report(report)


def rollup(as_json: bool = typer.Option(False, "--json", help="Print JSON only.")) -> None:
    """Recompute sprint snapshots and the current sprint's report, chart and HTML page.

    Runs the `sprint-rollup` Prefect flow (on this home's `conductor server` when one runs,
    else PREFECT_API_URL, else a temporary local Prefect server, which takes ~5 s to start).
    """
    from cli.flow_runs import prepare_prefect, run_in_process

    prepare_prefect()
    from flows.sprint_rollup import sprint_rollup

    with err_console.status("running the sprint rollup flow…"):
        result = run_in_process(sprint_rollup)
    if as_json:
        print_json(result)
        return
    current = result["current"]
    console.print(
        f"Snapshotted {result['sprints']} sprint(s), wrote {result['snapshots']} snapshot row(s)."
    )
    if current is None:
        err_console.print(NOTHING_STORED)
        return
    m = current["metrics"]
    console.print(
        f"{shown(current['sprint']['name'])}: [{_FORECAST_STYLE[m['forecast']]}]"
        f"{forecast_words(m['forecast'])}[/], {m['remaining_points']:g} of "
        f"{m['scope_points']:g} pts remaining"
    )
    console.print(f"HTML report: {result['report_path']}\nBurndown chart: {result['chart_path']}")


def _print_report(report: dict) -> None:
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table

    from tasks.metrics.odds import odds_sentence

    s, m, detail = report["sprint"], report["metrics"], report["forecast_detail"]
    console.print(f"[bold]{shown(s['name'])}[/]  {s['start']} → {s['end']}  (as of {s['as_of']})")
    committed = f"{m['committed_points']:g}" + (" est." if m["committed_estimated"] else "")
    cards = [
        ("Scope", f"{m['scope_points']:g}"),
        ("Committed", committed),
        ("Added", f"+{m['added_points']:g}"),
        ("Removed", f"-{m['removed_points']:g}"),
        ("Completed", f"{m['completed_points']:g}"),
        ("Remaining", f"{m['remaining_points']:g}"),
        ("Done", f"{m['completion_pct']}%"),
        ("Velocity", "—" if m["velocity"] is None else f"{m['velocity']:g}"),
    ]
    console.print(Columns([Panel(v, title=k, expand=False) for k, v in cards]))
    style = _FORECAST_STYLE[m["forecast"]]
    console.print(
        f"Forecast: [bold {style}]{forecast_words(m['forecast'])}[/] — {shown(detail['reason'])}"
    )
    odds = odds_sentence(m, s["end"])
    if odds:
        console.print(f"Odds: {odds}")
    canceled = (
        f" · {m['canceled_count']} canceled ({m['canceled_points']:g} pts, out of scope)"
        if m["canceled_count"]
        else ""
    )
    console.print(
        f"{m['ticket_count']} tickets · {m['done_count']} done · {m['blocked_count']} blocked · "
        f"{m['unpointed_count']} unpointed{canceled}"
    )

    statuses = Table(title="Status", title_justify="left")
    for column in ("Status", "Tickets", "Points"):
        statuses.add_column(column, justify="left" if column == "Status" else "right")
    for name, row in report["by_status"].items():
        statuses.add_row(shown(name), str(row["count"]), f"{row['points']:g}")
    people = Table(
        title="Load", title_justify="left", caption="a shared ticket's points are split evenly"
    )
    for column in ("Assignee", "Open", "Open pts", "Done pts"):
        people.add_column(column, justify="left" if column == "Assignee" else "right")
    for row in report["by_assignee"]:
        people.add_row(
            shown(row["name"]),
            str(row["open_count"]),
            f"{row['open_points']:g}",
            f"{row['done_points']:g}",
        )
    console.print(Columns([statuses, people]))

    if report["at_risk"]:
        risky = Table(title="Needs attention", title_justify="left")
        for column in ("Key", "Title", "Assignees", "Status", "Why"):
            risky.add_column(column, overflow="fold", max_width=50 if column == "Title" else None)
        for row in report["at_risk"][:_MAX_LISTED]:
            risky.add_row(
                shown(row["key"] or row["id"][:8]),
                shown(row["title"][:200]),
                shown(", ".join(row["assignees"])),
                shown(row["status"] or ""),
                shown(row["reason"]),
            )
        console.print(risky)
        if len(report["at_risk"]) > _MAX_LISTED:
            console.print(f"… and {len(report['at_risk']) - _MAX_LISTED} more (see --json)")
    _print_text_burndown(report)


def _print_text_burndown(report: dict) -> None:
    """One bar per day: remaining (█) against the ideal (│)."""
    rows = report["burndown"]
    if not rows:
        return
    top = max([report["metrics"]["committed_points"], *(r["remaining_points"] for r in rows), 1])
    width = 40
    console.print("[bold]Burndown[/] (█ remaining, │ ideal)")
    for row in rows:
        bar = round(width * row["remaining_points"] / top)
        ideal = min(width, round(width * row["ideal_points"] / top))
        cells = ["█" if i < bar else " " for i in range(width + 1)]
        cells[ideal] = "│" if cells[ideal] == " " else "[yellow]│[/]"
        console.print(f"{row['date'][5:]} {''.join(cells)} {row['remaining_points']:g}")
