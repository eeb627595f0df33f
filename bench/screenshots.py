"""Screenshot what a person sees: the HTML report, the email on a desktop and on a phone, and the
sprint-report and at-risk artifacts in the Prefect UI of a real local server.

Reading the Markdown or the HTML says nothing about what a browser does with it (the Prefect UI
refused `file://` pictures, a fixed 600 px email overflowed a phone), so this looks at pixels.
Not run in CI: it needs Chromium (`apt-get install -y chromium`) and takes about a minute.

Run: `uv run python bench/screenshots.py [OUT_DIR]` (default `./screenshots`). In fresh
temporary state it starts `prefect server start` on a free port, runs `conductor demo` against
it, writes an email preview, then saves `report-1400.png`, `email-1400.png`, `email-390.png`,
`artifact-sprint-report-1400.png` and `artifact-at-risk-1400.png`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HEIGHT = 1800


def main(out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium not found: apt-get install -y chromium")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="conductor-shots-"))
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "CONDUCTOR_HOME": str(tmp / "home"),
        "CONDUCTOR_OUTPUT_DIR": str(tmp / "out"),
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": api,
    }
    server = subprocess.Popen(
        ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"{api}/health")
        conductor = [sys.executable, "-m", "cli"]
        subprocess.run([*conductor, "demo"], env=env, cwd=ROOT, check=True)
        subprocess.run([*conductor, "email", "--preview", "--json"], env=env, cwd=ROOT, check=True)
        report = tmp / "out" / "reports" / "latest.html"
        preview = tmp / "out" / "preview" / "stakeholders.html"
        _shoot(chromium, report.as_uri(), out / "report-1400.png", 1400)
        _shoot(chromium, preview.as_uri(), out / "email-1400.png", 1400)
        _shoot(chromium, preview.as_uri(), out / "email-390.png", 390)
        for key, name in _artifacts(api).items():
            if key.startswith("sprint-report-"):
                target = "artifact-sprint-report-1400.png"
            elif key.startswith("sprint-at-risk-"):
                target = "artifact-at-risk-1400.png"
            else:
                continue
            ui = f"http://127.0.0.1:{port}/artifacts/artifact/{name}"
            _shoot(chromium, ui, out / target, 1400, wait_ms=15000)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print(f"screenshots in {out}")


def _artifacts(api: str) -> dict[str, str]:
    """Artifact key → id of the newest artifact with that key."""
    body = {"limit": 50, "offset": 0, "sort": "CREATED_DESC"}
    found: dict[str, str] = {}
    for artifact in httpx.post(f"{api}/artifacts/filter", json=body, timeout=30).json():
        if artifact["key"]:
            found.setdefault(artifact["key"], artifact["id"])
    return found


def _shoot(chromium: str, url: str, target: Path, width: int, wait_ms: int = 3000) -> None:
    """One headless screenshot; `wait_ms` of virtual time lets the Prefect UI's app load."""
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--virtual-time-budget={wait_ms}",
            f"--window-size={width},{HEIGHT}",
            f"--screenshot={target}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _wait_for(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"the Prefect server at {url} did not start within {timeout_s:g} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots"))
