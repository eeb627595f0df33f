"""`conductor email`: send the stakeholder update, or preview it without sending."""

from __future__ import annotations

import typer

from cli.output import console, err_console, print_json, shown


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
    from cli.flow_runs import prepare_prefect, run_in_process
    from models.settings import get_settings
    from tasks.email.delivery import configured_recipients
    from tasks.email.render import check_audience

    check_audience(audience)
    if not preview:
        configured_recipients(get_settings())  # fail fast, before starting Prefect
    prepare_prefect()
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
        period = "today's extra update" if ad_hoc else "this week's update"
        console.print(
            f"Already sent {period} to the {shown(audience)} ([bold]{subject}[/]); nothing sent "
            "again." + ("" if ad_hoc else " `--ad-hoc` sends an extra one.")
        )
    elif status == "in_progress":
        console.print(f"Another run is sending [bold]{subject}[/] right now; nothing sent.")
    else:
        where = f" → {shown(result['path'])}" if result.get("path") else ""
        verb = "Wrote" if status == "written" else "Sent"
        console.print(
            f"{verb} [bold]{subject}[/] to {shown(', '.join(result['recipients']))}{where}"
        )
