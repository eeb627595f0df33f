"""Console helpers: Rich for people, plain JSON on stdout for `--json`."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any

from rich.console import Console

console = Console()
#: Diagnostics and progress go to stderr so `--json` output stays parseable.
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(payload: Any) -> None:
    """Write `payload` as JSON to stdout and nothing else."""
    sys.stdout.write(json.dumps(payload, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
