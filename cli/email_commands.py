"""`conductor email`: send the stakeholder update, or preview it without sending."""

from __future__ import annotations

import typer

from cli.flow_runs import run_in_process
from cli.output import console, err_console, print_json, shown
from models.settings import get_settings


def email(
    audience: str = typer.Option(
        "stakeholders", "--audience", help="Who the update is for: stakeholders or team."
    ),
    preview: bool = typer.Option(
        False, "--preview", help="Render to $CONDUCTOR_OUTPUT_DIR/preview/ without sending."
    ),
    ad_hoc: bool = typer.Option(
        False,
        "--ad-hoc",
        help="An extra update keyed by today's date (by default one per ISO week is sent).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Send the sprint update email (SMTP, or .eml files in the outbox folder without SMTP).

    Recipients are CONDUCTOR_STAKEHOLDERS. A second send in the same ISO week sends nothing.
    """
    from tasks.email.delivery import configured_recipients
    from tasks.email.render import check_audience

    check_audience(audience)
    if not preview:
        configured_recipients(get_settings())  # fail fast, before starting Prefect
    from flows.stakeholder_email import stakeholder_email

    with err_console.status("Building the sprint update…", spinner="dots"):
        result = run_in_process(
            stakeholder_email, audience=audience, preview=preview, ad_hoc=ad_hoc
        )
    if as_json:
        print_json(result)
        return
    subject = shown(result["subject"])
    status = result["status"]
    if status == "preview":
        console.print(f"Preview of [bold]{subject}[/]")
        for name, path in result["paths"].items():
            console.print(f"  {name}: {shown(path)}")
    elif status == "already_sent":
        console.print(f"Already sent this period ({shown(result['key'])}): {subject}")
    elif status == "in_progress":
        console.print(f"Another run is sending {shown(result['key'])} right now; nothing sent.")
    else:
        where = f" → {shown(result['path'])}" if result.get("path") else ""
        verb = "Wrote" if status == "written" else "Sent"
        console.print(
            f"{verb} [bold]{subject}[/] to {shown(', '.join(result['recipients']))}{where}"
        )
