"""Run locks: one holder at a time, a waiter told who holds it, and freed when the holder dies.

Each test runs on SQLite (an OS file lock) and PostgreSQL (a session advisory lock). The holder
that dies is a real process killed with SIGKILL: nothing of it runs afterwards, so only what
the kernel or the database server does on its death can free the lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.locks import LockBusyError, run_lock

ROOT = Path(__file__).resolve().parent.parent

HOLD_FOREVER = """
import sys, time
from models.locks import run_lock
with run_lock("conductor-test", sys.argv[1], holder="the holder script"):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder_process(db_url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOREVER, db_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_holder_is_refused_and_told_who_holds_the_lock_and_since_when(
    db_url: str,
) -> None:
    with (
        run_lock("conductor-test", db_url, holder="flow run ingest-2026-11-24T09:00"),
        pytest.raises(LockBusyError) as busy,
        run_lock("conductor-test", db_url, if_busy="skip"),
    ):
        pytest.fail("two holders at once")
    message = str(busy.value)
    assert "flow run ingest-2026-11-24T09:00" in message
    assert f"pid {os.getpid()}" in message and " UTC" in message and "skipped" in message
    with run_lock("conductor-test", db_url, if_busy="skip"):
        pass  # released on exit


def test_a_waiter_says_who_it_waits_for_and_runs_when_the_holder_is_done(db_url: str) -> None:
    said: list[str] = []
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with run_lock("conductor-test", db_url, holder="the first run"):
            held.set()
            time.sleep(1.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    with run_lock("conductor-test", db_url, notify=said.append):
        order.append("second runs")
    thread.join()
    assert order == ["first done", "second runs"]
    assert len(said) == 1 and said[0].startswith("waiting: conductor-test is held by the first run")


def test_a_bounded_wait_gives_up_with_the_holder_named(db_url: str) -> None:
    with (
        run_lock("conductor-test", db_url, holder="a slow run"),
        pytest.raises(LockBusyError, match=r"a slow run.*gave up after"),
        run_lock("conductor-test", db_url, wait_s=1),
    ):
        pass


def test_a_holder_killed_with_sigkill_frees_the_lock_at_once(db_url: str) -> None:
    holder = _holder_process(db_url)
    try:
        with (
            pytest.raises(LockBusyError, match="the holder script"),
            run_lock("conductor-test", db_url, if_busy="skip"),
        ):
            pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        killed = time.monotonic()
        with run_lock("conductor-test", db_url, wait_s=60):
            freed_after = time.monotonic() - killed
    finally:
        holder.kill()
        holder.wait(10)
    assert freed_after < 5, f"the dead holder blocked the lock for {freed_after:.1f} s"


def test_locks_of_different_names_do_not_wait_for_each_other(db_url: str) -> None:
    with (
        run_lock("conductor-pipeline", db_url),
        run_lock("conductor-ingest", db_url, if_busy="skip"),
    ):
        pass
