"""The `conductor` command line (Typer + Rich).

`app.py` builds the Typer app and registers the commands, which live in small modules by theme
(`*_commands.py`, `doctor.py`) and import nothing from `app.py`. `output.py` holds the consoles
and JSON printing, `flow_runs.py` runs a flow in this process and turns its failure into one
line. Commands read settings once and pass them down.
"""

from cli.app import app, main

__all__ = ["app", "main"]
