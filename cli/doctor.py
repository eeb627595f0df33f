"""`conductor doctor`: effective configuration (secrets masked), dependency reachability, and
the Notion mapping a sync would use (which property feeds each field, and why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.output import console, print_json, shown
from models.settings import URL_FIELDS, ConfigError, Settings, get_settings, redact_url

if TYPE_CHECKING:
    from tasks.health import Check

DATABASE_URL_VAR = "CONDUCTOR_DATABASE_URL"


def masked_config(settings: Settings) -> dict:
    """Settings as JSON with every secret shown as `**********` and passwords inside connection
    URLs masked (never their values)."""
    return {
        f"CONDUCTOR_{k.upper()}": redact_url(v) if k in URL_FIELDS else v
        for k, v in settings.model_dump(mode="json").items()
    }


def settings_despite_database_url() -> tuple[Settings, Check | None]:
    """The settings, and a failed database check when CONDUCTOR_DATABASE_URL is what stops
    them loading: doctor is where a user looks when nothing else starts, so a malformed URL is
    a failed check next to the others, not the end of the report. Any other invalid setting
    still stops doctor with its one line."""
    from tasks.health import ERROR, Check

    try:
        return get_settings(), None
    except ConfigError as exc:
        if not str(exc).startswith(DATABASE_URL_VAR):
            raise
        from models.settings import load_settings

        broken = Check(
            "database",
            ERROR,
            str(exc).removeprefix(f"{DATABASE_URL_VAR}: "),
            f"set {DATABASE_URL_VAR} to a SQLAlchemy URL such as "
            "postgresql+psycopg://user@host/db, or unset it for SQLite",
        )
        return load_settings(database_url="sqlite://"), broken


def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON only.")) -> None:
    """Show the effective configuration and check DB, Redis, Notion, LLM, SMTP and Prefect,
    name the service of each chat URL, and show the Notion mapping a sync would use."""
    from cli.flow_runs import use_prefect_server
    from tasks.health import ERROR, OK, check_chat, run_checks

    settings, broken_database = settings_despite_database_url()
    use_prefect_server(
        hint=False, home=settings.home
    )  # `conductor server` for this home counts as configured
    checks = run_checks(settings, skip={"database"} if broken_database else set())
    if broken_database:
        checks.insert(0, broken_database)
    checks += check_chat(settings)
    # Only when Notion answered: the mapping reads two schemas through the retrying client.
    notion_ok = any(check.name == "notion" and check.state == OK for check in checks)
    mapping = None
    if notion_ok:
        from tasks.notion.mapping_report import describe_mapping

        mapping = describe_mapping(settings)
    config = masked_config(settings)
    if broken_database:
        config[DATABASE_URL_VAR] = "(invalid: see the database check)"
    failed = any(check.state == ERROR for check in checks) or bool(mapping and mapping["error"])
    if as_json:
        print_json(
            {
                "config": config,
                "checks": [c.as_dict() for c in checks],
                "mapping": mapping,
                "ok": not failed,
            }
        )
    else:
        from rich.table import Table

        styles = {OK: "[green]ok[/]", ERROR: "[red]error[/]"}
        table = Table(title="Configuration", title_justify="left", show_header=False)
        for name, value in config.items():
            table.add_row(name, shown("" if value is None else str(value)))
        console.print(table)
        table = Table(title="Dependencies", title_justify="left")
        for column in ("Dependency", "State", "Detail", "Fix"):
            table.add_column(column, overflow="fold")
        for check in checks:
            table.add_row(
                check.name,
                styles.get(check.state, "[dim]not configured[/]"),
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
    from rich.table import Table

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
