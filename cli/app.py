"""The Typer application and its entry point.

Commands live in small modules by theme, which export plain functions (and sub-apps for
command groups) and import nothing from here; this module registers them, in the order
`conductor --help` lists them. `main()` turns the errors users can fix (`ConductorError`) into
one line and a non-zero exit; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import signal

import typer

from cli import (
    assistant_commands,
    db_commands,
    doctor,
    email_commands,
    ingest_commands,
    pipeline_commands,
    read_commands,
    sprint_commands,
    summary_commands,
)
from cli.output import err_console, shown
from models.errors import ConductorError
from models.settings import apply_process_defaults

apply_process_defaults()

app = typer.Typer(
    name="conductor",
    help="Local-first project-management autopilot: Notion → SQL → sprint health → summaries → email.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for command in (
    pipeline_commands.demo,
    pipeline_commands.run,
    ingest_commands.ingest,
    sprint_commands.rollup,
    sprint_commands.sprint,
    summary_commands.summary,
    email_commands.email,
    read_commands.tickets,
    read_commands.users,
    assistant_commands.search,
    assistant_commands.ask,
    assistant_commands.api,
    pipeline_commands.serve,
    pipeline_commands.server,
    doctor.doctor,
):
    app.command()(command)
app.add_typer(assistant_commands.task_app, name="task")
app.add_typer(db_commands.db_app, name="db")


def _stop_on_termination() -> None:
    """SIGTERM and SIGHUP unwind the program the way Ctrl-C does.

    Python's default for them ends the process on the spot, skipping `finally` blocks and
    `atexit`: a terminated `conductor ingest` then left its temporary Prefect server running
    (holding the caller's stdout). Raised as `SystemExit`, they run every exit path: the
    temporary server is stopped, locks and connections are closed, the run is marked crashed.
    """

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


def main() -> None:
    """Console-script entry point."""
    _stop_on_termination()
    try:
        app()
    except ConductorError as exc:
        err_console.print(f"[bold red]error:[/] {shown(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None
