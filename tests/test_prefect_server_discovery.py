"""Flow commands find the Prefect server `conductor server` runs for their CONDUCTOR_HOME, with
nothing exported, and ignore a record whose server is gone (cli/prefect_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.prefect_server import (
    forget_server,
    prefect_api_for,
    record_server,
    running_server,
    server_file,
)
from tests.prefect_helpers import (
    clean_environment,
    free_port,
    prefect_api,
    running_prefect_server,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent


def _finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_no_record_means_no_server(tmp_path: Path) -> None:
    assert running_server(tmp_path) is None


def test_a_record_of_a_process_that_is_gone_is_ignored(tmp_path: Path) -> None:
    record_server(tmp_path, "http://127.0.0.1:9/api", _finished_pid())
    assert running_server(tmp_path) is None


def test_a_record_of_a_live_process_whose_server_does_not_answer_is_ignored(
    tmp_path: Path,
) -> None:
    record_server(tmp_path, f"http://127.0.0.1:{free_port()}/api", os.getpid())
    assert running_server(tmp_path) is None


def test_a_corrupt_record_is_ignored(tmp_path: Path) -> None:
    server_file(tmp_path).write_text("{not json")
    assert running_server(tmp_path) is None


def test_an_explicit_prefect_api_url_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_server(tmp_path, "http://127.0.0.1:9/api", os.getpid())
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.internal:4200/api")
    assert prefect_api_for(tmp_path) == ("http://prefect.internal:4200/api", False)


def test_forgetting_leaves_a_newer_servers_record(tmp_path: Path) -> None:
    record_server(tmp_path, "http://127.0.0.1:4200/api", 111)
    record_server(tmp_path, "http://127.0.0.1:4201/api", 222)  # a second server took over
    forget_server(tmp_path, 111)
    assert json.loads(server_file(tmp_path).read_text())["pid"] == 222
    forget_server(tmp_path, 222)
    assert not server_file(tmp_path).exists()


def test_flow_commands_run_on_this_homes_conductor_server_without_being_told(
    tmp_path: Path,
) -> None:
    """`conductor server` records itself; `conductor rollup`, given no Prefect settings at all,
    sends its run there instead of starting a temporary server; the record goes with it."""
    env = clean_environment(
        PYTHONPATH=str(ROOT),
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_LOGGING_TO_API_ENABLED="true",
    )
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "server", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    record = tmp_path / ".conductor" / "prefect-server.json"
    try:
        wait_for(record.is_file, 180, "conductor server to record itself")
        api = f"http://127.0.0.1:{port}/api"
        assert json.loads(record.read_text()) == {"api_url": api, "pid": server.pid}
        result = subprocess.run(
            [sys.executable, "-m", "cli", "rollup", "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "temporary Prefect server" not in result.stderr
        with prefect_api(api) as client:
            runs = client.post("/flow_runs/filter", json={"limit": 10}).json()
        assert [run["state_type"] for run in runs] == ["COMPLETED"]  # the rollup's one run
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    assert not record.exists()


def test_a_prefect_profiles_api_url_is_used_though_only_prefect_reads_it(tmp_path: Path) -> None:
    """`prefect config set PREFECT_API_URL=…` writes a profile, which the CLI cannot see before
    Prefect is imported: the temporary server it spawned meanwhile is dropped, and the run
    goes to the profile's server."""
    (tmp_path / "their-server").mkdir()
    with running_prefect_server(tmp_path / "their-server") as api:
        prefect_home = tmp_path / "prefect"
        prefect_home.mkdir()
        (prefect_home / "profiles.toml").write_text(
            f'active = "team"\n\n[profiles.team]\nPREFECT_API_URL = "{api}"\n'
        )
        env = clean_environment(PYTHONPATH=str(ROOT), PREFECT_HOME=str(prefect_home))
        result = subprocess.run(
            [sys.executable, "-m", "cli", "rollup", "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        with prefect_api(api) as client:
            runs = client.post("/flow_runs/filter", json={"limit": 10}).json()
    assert [run["state_type"] for run in runs] == ["COMPLETED"]
