"""The Typer application and its entry point.

Commands live in small modules by theme, which export plain functions (and sub-apps for
command groups) and import nothing from here; this module registers them, in the order
`conductor --help` lists them. `main()` turns the errors users can fix (`ConductorError`) into
one line and a non-zero exit, and so are usage errors (an unknown option, a missing argument),
which Typer would draw as a box; anything else is a bug and keeps its traceback. Command
modules import their heavy dependencies (SQLAlchemy, Prefect, the flows) inside the commands,
so `conductor --help` and the read commands load only what they use.
"""

from __future__ import annotations

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
from cli.logs import configure_terminal_logging
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
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        help="Show log records on stderr, Prefect's per-run lines included; -vv adds every "
        "library's debug details.",
    ),
) -> None:
    configure_terminal_logging(verbose)


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
        global _terminated_by
        _terminated_by = signum
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


_terminated_by: int | None = None


def main() -> None:
    """Console-script entry point.

    A terminated command exits 128 + the signal's number, as a shell reports it, whatever the
    `SystemExit` from the handler turned into on its way up: raised inside Prefect's engine
    at the wrong moment it can surface as another error (`Task run is not set`)."""
    _stop_on_termination()
    try:
        _run()
    except BaseException:
        if _terminated_by is not None:
            raise SystemExit(128 + _terminated_by) from None
        raise


def _run() -> None:
    try:
        code = app(standalone_mode=False, prog_name="conductor")
    except ConductorError as exc:
        say_error(str(exc))
        raise SystemExit(1) from None
    except typer.TyperException as exc:  # a usage error; Typer (not the user) imports click
        code = getattr(exc, "exit_code", 2)
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
            say_error(f"{_message(exc)} (see `{_command_path(exc)} --help`)")
        raise SystemExit(code) from None
    except typer.Abort:
        say_error("aborted")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def say_error(message: str) -> None:
    """An error on stderr: one line, however long, starting with `error:`."""
    err_console.print(f"[bold red]error:[/] {shown(message)}", soft_wrap=True, highlight=False)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return format_message() if callable(format_message) else str(exc)


def _command_path(exc: Exception) -> str:
    context = getattr(exc, "ctx", None)
    return context.command_path if context is not None else "conductor"
