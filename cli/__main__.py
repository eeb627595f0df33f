"""`python -m cli` runs the `conductor` command."""

from cli.app import main

main()
