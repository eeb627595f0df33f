"""`conductor doctor`: effective configuration (secrets masked), dependency reachability, and
the Notion mapping a sync would use (which property feeds each field, and why)."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.output import console, print_json, shown
from models.settings import URL_FIELDS, Settings, get_settings, redact_url
from tasks.health import ERROR, OK, check_chat, run_checks
from tasks.notion.mapping_report import describe_mapping

_STATE_STYLE = {OK: "[green]ok[/]", ERROR: "[red]error[/]"}


def masked_config(settings: Settings) -> dict:
    """Settings as JSON with every secret shown as `**********` and passwords inside connection
    URLs masked (never their values)."""
    return {
        f"CONDUCTOR_{k.upper()}": redact_url(v) if k in URL_FIELDS else v
        for k, v in settings.model_dump(mode="json").items()
    }


def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON only.")) -> None:
    """Show the effective configuration and check DB, Redis, Notion, LLM, SMTP and Prefect,
    and name the service of each chat URL."""
    settings = get_settings()
    checks = run_checks(settings) + check_chat(settings)
    # Only when Notion answered: the mapping reads two schemas through the retrying client.
    notion_ok = any(check.name == "notion" and check.state == OK for check in checks)
    mapping = describe_mapping(settings) if notion_ok else None
    failed = any(check.state == ERROR for check in checks) or bool(mapping and mapping["error"])
    if as_json:
        print_json(
            {
                "config": masked_config(settings),
                "checks": [c.as_dict() for c in checks],
                "mapping": mapping,
                "ok": not failed,
            }
        )
    else:
        config = Table(title="Configuration", title_justify="left", show_header=False)
        for name, value in masked_config(settings).items():
            config.add_row(name, shown("" if value is None else str(value)))
        console.print(config)
        table = Table(title="Dependencies", title_justify="left")
        for column in ("Dependency", "State", "Detail", "Fix"):
            table.add_column(column, overflow="fold")
        for check in checks:
            table.add_row(
                check.name,
                _STATE_STYLE.get(check.state, "[dim]not configured[/]"),
                shown(check.detail),
                shown(check.fix or ""),
            )
        console.print(table)
        if mapping is not None:
            _print_mapping(mapping)
    if failed:
        raise typer.Exit(1)


def _print_mapping(mapping: dict) -> None:
    """The detected mapping and the status categories in force, as two tables."""
    if mapping["error"]:
        console.print(f"[red]Notion mapping:[/] {shown(mapping['error'])}")
        return
    fields = Table(title="Notion mapping", title_justify="left")
    for column in ("Source", "Field", "Property", "Type", "Why"):
        fields.add_column(column, overflow="fold")
    for source in ("tickets", "sprints"):
        for name, choice in mapping[source].items():
            fields.add_row(
                source,
                name,
                shown(choice["property"] or "—"),
                choice["type"] or "",
                shown(choice["source"]),
            )
    console.print(fields)
    statuses = Table(title="Status categories", title_justify="left")
    for column in ("Status", "Category", "From"):
        statuses.add_column(column, overflow="fold")
    for status in mapping["status_categories"]:
        statuses.add_row(shown(status["status"]), status["category"], status["source"])
    console.print(statuses)
