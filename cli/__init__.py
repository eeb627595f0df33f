"""The `conductor` command line (Typer + Rich)."""

from cli.app import app, main

__all__ = ["app", "main"]
