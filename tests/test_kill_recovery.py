"""A killed run never blocks the next: real `conductor` processes, killed with SIGKILL.

Each test starts the command a user runs as a subprocess (with its temporary Prefect server,
as the CLI runs by default), kills it outright in the middle of its work, and runs the same
command again. The rerun must finish within 90 s and leave exactly what an uninterrupted run
leaves: the stored tickets equal the sandbox's, one email per recipient. On SQLite and
PostgreSQL. (On Linux a SIGKILLed CLI's temporary Prefect server is stopped by the kernel;
each test still removes whatever is left by process group.)
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from sandbox.server import Sandbox
from tests.prefect_helpers import clean_environment, free_port, wait_for
from tests.sandboxes import synced
from tests.workspace_truth import expected, stored

ROOT = Path(__file__).resolve().parent.parent
RECOVERY_S = 90
STAKEHOLDERS = ("cto@example.com", "pm@example.com")


pytestmark = pytest.mark.sandbox(1000)


def _environment(sandbox: Sandbox, db_url: str, home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: Conductor pointed at the sandbox, Prefect state under CONDUCTOR_HOME."""
    env = clean_environment(
        **{
            "CONDUCTOR_HOME": str(home / "home"),
            "CONDUCTOR_OUTPUT_DIR": str(home / "out"),
            "CONDUCTOR_DATABASE_URL": db_url,
            "CONDUCTOR_STAKEHOLDERS": ",".join(STAKEHOLDERS),
            "CONDUCTOR_NOTION_RATE_LIMIT_RPS": "1000",
            **sandbox.conductor_environment(),
            **extra,
        }
    )
    env.pop("PREFECT_HOME", None)
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`conductor ARGS` in a session of its own, so whatever it leaves behind can be removed."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _kill_now(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def _remove_leftovers(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _rerun(args: list[str], env: dict[str, str], log: Path) -> float:
    """Run `conductor ARGS` to the end; returns its wall time, failing past `RECOVERY_S`."""
    started = time.monotonic()
    rerun = _start(args, env, log)
    try:
        code = rerun.wait(timeout=RECOVERY_S)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"`conductor {' '.join(args)}` after the kill did not finish in {RECOVERY_S} s:\n"
            + log.read_text()[-3000:]
        )
    finally:
        _remove_leftovers(rerun)
    assert code == 0, log.read_text()[-3000:]
    return time.monotonic() - started


def _kill_mid_sync(args: list[str], sandbox: Sandbox, env: dict[str, str], log: Path) -> None:
    """Start `conductor ARGS` at Notion's real pace and kill it once the ticket pages flow."""
    slow = env | {"CONDUCTOR_NOTION_RATE_LIMIT_RPS": "3"}
    victim = _start(args, slow, log)
    try:
        wait_for(lambda: sandbox.count(path_contains="/query") >= 4, 120, "the sync to start")
        assert victim.poll() is None, "the run ended before it could be killed"
        _kill_now(victim)
    finally:
        _remove_leftovers(victim)
    assert 0 < _stored_count(env["CONDUCTOR_DATABASE_URL"]) < len(sandbox.workspace.tickets())


def _stored_count(db_url: str) -> int:
    return len(stored(db_url))


def test_an_ingest_killed_mid_sync_never_blocks_the_next(
    sandbox: Sandbox, db_url: str, tmp_path: Path
) -> None:
    env = _environment(sandbox, db_url, tmp_path)
    log = tmp_path / "conductor.log"
    _kill_mid_sync(["ingest"], sandbox, env, log)
    seconds = _rerun(["ingest"], env, log)
    print(f"\ningest after a SIGKILL mid-sync ({db_url.split(':')[0]}): {seconds:.1f} s")
    assert stored(db_url) == expected(sandbox)


def test_a_pipeline_killed_mid_run_never_blocks_the_next(
    sandbox: Sandbox, db_url: str, tmp_path: Path
) -> None:
    env = _environment(sandbox, db_url, tmp_path)
    log = tmp_path / "conductor.log"
    _kill_mid_sync(["run"], sandbox, env, log)
    seconds = _rerun(["run"], env, log)
    print(f"\npipeline after a SIGKILL mid-run ({db_url.split(':')[0]}): {seconds:.1f} s")
    assert stored(db_url) == expected(sandbox)
    assert len(list((tmp_path / "out" / "outbox").glob("*.eml"))) == 1


class KillingSink:
    """An SMTP server that kills the sending process at a chosen point of the conversation.

    `at="MAIL"`: after Conductor claimed the message and connected, before anything was
    accepted. `at="DATA"`: after the message was accepted, before Conductor could record it.
    Later conversations are served normally; every accepted message is kept.
    """

    def __init__(self, at: str) -> None:
        self.at = at
        self.victim: subprocess.Popen[bytes] | None = None
        self.accepted: list[tuple[list[str], bytes]] = []

    def _kill_victim_once(self) -> bool:
        victim, self.victim = self.victim, None
        if victim is None:
            return False
        _kill_now(victim)
        return True

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # fmt: skip
        if self.at == "MAIL" and self._kill_victim_once():
            return "421 the sender died"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append((list(envelope.rcpt_tos), envelope.content))
        if self.at == "DATA":
            self._kill_victim_once()
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [
            email.message_from_bytes(raw, policy=policy.default)["Message-ID"]
            for _, raw in self.accepted
        ]

    def deliveries_per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for recipients, _ in self.accepted:
            for recipient in recipients:
                counts[recipient] = counts.get(recipient, 0) + 1
        return counts


def _email_killed_at(at: str, sandbox: Sandbox, db_url: str, tmp_path: Path) -> KillingSink:
    """Stored sprint data, then `conductor email` killed by the sink at `at`, then again."""
    synced(sandbox, db_url)
    sink = KillingSink(at)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = _environment(
            sandbox,
            db_url,
            tmp_path,
            CONDUCTOR_SMTP_HOST="127.0.0.1",
            CONDUCTOR_SMTP_PORT=str(port),
            CONDUCTOR_SMTP_SECURITY="none",
        )
        log = tmp_path / "conductor.log"
        sink.victim = victim = _start(["email"], env, log)
        try:
            victim.wait(timeout=120)
        finally:
            _remove_leftovers(victim)
        assert victim.returncode == -signal.SIGKILL, log.read_text()[-3000:]
        seconds = _rerun(["email"], env, log)
        print(f"\nemail after a SIGKILL at SMTP {at} ({db_url.split(':')[0]}): {seconds:.1f} s")
    finally:
        controller.stop()
    return sink


def test_a_send_killed_between_the_claim_and_the_send_delivers_exactly_once(
    sandbox: Sandbox, db_url: str, tmp_path: Path
) -> None:
    sink = _email_killed_at("MAIL", sandbox, db_url, tmp_path)
    assert sink.deliveries_per_recipient() == dict.fromkeys(STAKEHOLDERS, 1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # what the outbox does, not the lock
def test_a_send_killed_after_the_server_accepted_it_is_resent_with_the_same_message_id(
    sandbox: Sandbox, db_url: str, tmp_path: Path
) -> None:
    """The one window no outbox can close without the mail server's help: the message was
    accepted, then the sender died before recording it. The rerun sends it again (at least
    once), recognisably: the same Message-ID, which mail clients show once."""
    sink = _email_killed_at("DATA", sandbox, db_url, tmp_path)
    assert sink.deliveries_per_recipient() == dict.fromkeys(STAKEHOLDERS, 2)
    first, second = sink.message_ids()
    assert first == second and first.startswith("<") and first.endswith(">")


def _session_members(session_id: int) -> list[int]:
    """Live processes of one session (from /proc): what a command left running."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("stop_with", "exit_code"),
    [
        (signal.SIGTERM, 128 + signal.SIGTERM),
        pytest.param(
            signal.SIGKILL,
            -signal.SIGKILL,
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
            ),
        ),
    ],
    ids=["terminated", "killed"],
)
def test_a_stopped_ingest_takes_its_temporary_prefect_server_with_it(
    sandbox: Sandbox, db_url: str, tmp_path: Path, stop_with: int, exit_code: int
) -> None:
    """SIGTERM unwinds the CLI, which stops its server; after SIGKILL the kernel sends the
    server SIGTERM (`PR_SET_PDEATHSIG`). Either way nothing is left running."""
    env = _environment(sandbox, db_url, tmp_path, CONDUCTOR_NOTION_RATE_LIMIT_RPS="3")
    log = tmp_path / "conductor.log"
    victim = _start(["ingest"], env, log)
    try:
        wait_for(lambda: sandbox.count(path_contains="/query") >= 2, 120, "the sync to start")
        assert len(_session_members(victim.pid)) >= 2, "the CLI and its temporary server"
        victim.send_signal(stop_with)
        code = victim.wait(timeout=30)
        left = wait_for(
            lambda: not _session_members(victim.pid) or None, 15, "the temporary server to stop"
        )
    finally:
        _remove_leftovers(victim)
    assert left and code == exit_code, log.read_text()[-2000:]
    assert _rerun(["ingest"], env | {"CONDUCTOR_NOTION_RATE_LIMIT_RPS": "1000"}, log) < RECOVERY_S
    assert stored(db_url) == expected(sandbox)
