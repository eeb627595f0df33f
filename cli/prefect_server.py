"""Finding the Prefect server `conductor server` runs for this CONDUCTOR_HOME.

Without a Prefect API, every flow command starts a temporary server of its own
(`cli.temporary_server`), which costs ~5 s here (~15 s for a venv's very first), most of a
command's time. `conductor server` writes where it listens to
`$CONDUCTOR_HOME/prefect-server.json` once it answers, and removes the file when it stops; a
flow command reads the file, checks that the process lives and that the server answers a
health request (a few milliseconds), and then sends its runs there, without the user exporting
anything. A stale file (a killed server) fails the check and is ignored.

An explicit `PREFECT_API_URL` always wins: it is the user's choice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SERVER_FILE = "prefect-server.json"
#: Where `conductor server` serves the UI unless told otherwise.
DEFAULT_UI_URL = "http://127.0.0.1:4200"
#: How long a health request may take. Connection refused is immediate; a slow answer means a
#: server too busy to help, and the temporary one is the safe fallback.
HEALTH_TIMEOUT_S = 2.0
NO_SERVER_HINT = (
    "Starting a temporary Prefect server (5-15 s); run `conductor server` in another "
    "terminal and flow commands skip this."
)


def server_file(home: Path) -> Path:
    return home / SERVER_FILE


def record_server(home: Path, api_url: str, pid: int) -> None:
    """Say where this home's server listens (written atomically: readers never see half)."""
    home.mkdir(parents=True, exist_ok=True)
    target = server_file(home)
    partial = target.with_suffix(f".{pid}.tmp")
    partial.write_text(json.dumps({"api_url": api_url, "pid": pid}))
    partial.replace(target)


def forget_server(home: Path, pid: int) -> None:
    """Remove the record if it is still this process's (a newer server may have replaced it)."""
    target = server_file(home)
    try:
        if json.loads(target.read_text()).get("pid") == pid:
            target.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def running_server(home: Path, timeout_s: float = HEALTH_TIMEOUT_S) -> str | None:
    """The API URL of the live server recorded for `home`, or None."""
    try:
        record = json.loads(server_file(home).read_text())
        api_url, pid = str(record["api_url"]), int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    import httpx

    try:
        healthy = httpx.get(f"{api_url}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return None
    return api_url if healthy else None


def prefect_api_for(home: Path, prefect_setting: str | None = None) -> tuple[str | None, bool]:
    """The Prefect API flow runs should use, and whether it was found here (not configured).

    `PREFECT_API_URL` in the environment (or `prefect_setting`, Prefect's own current value)
    wins; else this home's running `conductor server`; else None: Prefect starts a temporary
    server.
    """
    configured = os.environ.get("PREFECT_API_URL") or prefect_setting
    if configured:
        return configured, False
    found = running_server(home)
    return found, found is not None
