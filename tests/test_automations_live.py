"""A Prefect Automation built on Conductor's events works: a real `prefect server`, an automation
created through its API (trigger: `conductor.sprint.health-changed`; action: call a webhook
block), and `conductor rollup` run as a user runs it. When the sprint's health changes, the
server calls the webhook — once — with the event's figures; a rollup with no change calls
nothing. This is the README's worked example, executed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.prefect_helpers import (
    clean_environment,
    free_port,
    prefect_api,
    running_prefect_server,
    wait_for,
)
from tests.sandboxes import serving

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = (
    '{"sprint": "{{ event.resource.name }}", "from": "{{ event.payload.from }}", '
    '"to": "{{ event.payload.to }}", "remaining": {{ event.payload.remaining_points }}}'
)


class _Sink(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_sink() -> Iterator[tuple[str, list[dict]]]:
    _Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/sprint-health", _Sink.received
    server.shutdown()


def _run(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_an_automation_on_the_health_changed_event_calls_a_webhook_once(
    tmp_path: Path, webhook_sink: tuple[str, list[dict]]
) -> None:
    url, received = webhook_sink
    (tmp_path / "prefect").mkdir()
    with running_prefect_server(tmp_path / "prefect") as api, serving(120) as sandbox:
        block = subprocess.run(
            [sys.executable, "-c",
             "from prefect.blocks.webhook import Webhook;"
             f"print(Webhook(method='POST', url={url!r}).save('sprint-health-hook'))"],
            env=clean_environment(PREFECT_API_URL=api), capture_output=True, text=True,
            check=True, timeout=120,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        automation = {
            "name": "tell the channel when a sprint's health changes",
            "enabled": True,
            "trigger": {
                "type": "event",
                "match": {"prefect.resource.id": "conductor.sprint.*"},
                "expect": ["conductor.sprint.health-changed"],
                "posture": "Reactive",
                "threshold": 1,
                "within": 0,
            },
            "actions": [{"type": "call-webhook", "block_document_id": block, "payload": PAYLOAD}],
        }
        with prefect_api(api) as client:
            created = client.post("/automations/", json=automation)
            assert created.status_code == 201, created.text

        database = tmp_path / "conductor.db"
        env = clean_environment(
            PREFECT_API_URL=api,
            CONDUCTOR_HOME=str(tmp_path / "home"),
            CONDUCTOR_OUTPUT_DIR=str(tmp_path / "out"),
            CONDUCTOR_DATABASE_URL=f"sqlite:///{database}",
            CONDUCTOR_NOTION_RATE_LIMIT_RPS="1000",
            **sandbox.conductor_environment(),
        )
        _run(["ingest"], env)
        _run(["rollup"], env)  # the sprint's first health: recorded, nothing to announce
        with sqlite3.connect(database) as db:
            [(sprint_id, health)] = db.execute("SELECT sprint_id, forecast FROM sprinthealth")
            earlier = "on_track" if health != "on_track" else "off_track"
            # as if yesterday's rollup had seen the sprint in another state
            db.execute("UPDATE sprinthealth SET forecast = ?", (earlier,))
        _run(["rollup"], env)

        [call] = wait_for(lambda: list(received), 90, "the automation to call the webhook")
        assert call["from"] == earlier and call["to"] == health
        assert call["sprint"].startswith("Sprint ") and call["remaining"] >= 0

        _run(["rollup"], env)  # no change: no event, no call
        time.sleep(10)
        assert len(received) == 1
    assert sprint_id
