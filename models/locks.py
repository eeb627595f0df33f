"""Run locks: one sync, one pipeline, one sender of a message at a time — released when the
holder dies, however it dies.

Two runs of the same job must not overlap (two syncs would diff the same pages against the
same stored state and record every change twice), and a crashed run must never block the next.
So the lock belongs to something the operating system or the database server ends with the
holder, never to a lease someone has to expire or a slot someone has to give back:

- **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of the
  lock's own. The server drops it the moment that connection ends. A killed process's socket is
  closed by its kernel at once; a machine that vanished is noticed through TCP keepalives set
  on the connection (`KEEPALIVE_OPTIONS`: gone within ~25 s).
- **SQLite**: an OS file lock (`flock`) on a file beside the database file, which the kernel
  releases when the holding process ends (SQLite is one machine's database anyway).

A waiter is told who holds the lock and since when: the holder writes that into the lock file
(SQLite) or its connection's `application_name` (PostgreSQL, read back from
`pg_stat_activity`). Locks are scoped to the Conductor database: two workspaces with two
databases never wait for each other.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from models.db import normalise_url
from models.errors import ConductorError

log = logging.getLogger(__name__)

#: The lock every Notion → SQL sync takes (the ingest flow, and `conductor task create`'s
#: follow-up ingest), the one the whole pipeline takes, and the one every message sender takes.
INGEST_LOCK = "conductor-ingest"
PIPELINE_LOCK = "conductor-pipeline"
SEND_LOCK = "conductor-send"

#: What a second run does when the lock is held: wait its turn, or give up at once.
IfBusy = Literal["wait", "skip"]

#: The first key of every Conductor advisory lock ("Cond"), so they are easy to tell apart from
#: other applications' locks in `pg_locks`.
ADVISORY_NAMESPACE = 0x436F6E64

#: Server-side TCP keepalives for the lock's connection: a holder whose machine vanished (no
#: FIN, no RST) is dropped after 10 s idle + 3 probes 5 s apart, releasing its locks.
KEEPALIVE_OPTIONS = (
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
)

#: How often a waiter tries again, and how often it repeats who it is waiting for.
POLL_S = 0.5
REMIND_S = 60.0


class LockBusyError(ConductorError):
    """The lock is held by another live run (the message says which, and since when)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: enough for a person to find the run (and its machine)."""

    what: str
    pid: int
    host: str
    since: datetime

    def describe(self) -> str:
        since = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.what} (pid {self.pid} on {self.host}, since {since})"


def current_holder(what: str | None = None) -> Holder:
    """This process as a lock holder: the Prefect flow run's name when inside one."""
    return Holder(
        what=what or _run_name() or " ".join(Path(arg).name for arg in sys.argv[:3]),
        pid=os.getpid(),
        host=socket.gethostname(),
        since=datetime.now(UTC),
    )


def _run_name() -> str | None:
    try:
        from prefect.runtime import flow_run

        name = flow_run.name
    except Exception:  # no Prefect, or not in a run
        return None
    return f"flow run {name}" if name else None


@contextmanager
def run_lock(
    name: str,
    database_url: str,
    *,
    if_busy: IfBusy = "wait",
    wait_s: float | None = None,
    notify: Callable[[str], None] | None = None,
    holder: str | None = None,
) -> Iterator[Holder]:
    """Hold the lock `name` of the database at `database_url` for the body.

    `if_busy="skip"` raises `LockBusyError` at once when another live run holds it; `"wait"`
    waits (for ever, or `wait_s` seconds before raising `LockBusyError`), calling `notify` (the
    module logger by default) once with who holds it and since when, and again every minute.
    Yields this holder's description. Not re-entrant: taking a lock the caller already holds
    waits for itself.
    """
    backend = _backend_for(name, database_url)
    me = current_holder(holder)
    say = notify or log.warning
    started = time.monotonic()
    reminded_at: float | None = None
    try:
        while not backend.try_acquire(me):
            other = backend.holder()
            busy = f"{name} is held by {other.describe() if other else 'another run'}"
            if if_busy == "skip":
                raise LockBusyError(f"{busy}; skipped this run")
            waited = time.monotonic() - started
            if wait_s is not None and waited >= wait_s:
                raise LockBusyError(f"{busy}; gave up after {waited:.0f} s")
            if reminded_at is None or time.monotonic() - reminded_at >= REMIND_S:
                say(f"waiting: {busy}")
                reminded_at = time.monotonic()
            time.sleep(POLL_S)
        yield me
    finally:
        backend.release()


class _Backend:
    def try_acquire(self, me: Holder) -> bool:
        raise NotImplementedError

    def holder(self) -> Holder | None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


def _backend_for(name: str, database_url: str) -> _Backend:
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "postgresql":
        return _AdvisoryLock(name, url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return _FileLock(name, Path(f"{url.database}-{_safe(name)}.lock"))
    raise ConductorError(
        f"run locks need PostgreSQL or a SQLite file, not {url.render_as_string(True)}; "
        "check CONDUCTOR_DATABASE_URL"
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:80]


class _FileLock(_Backend):
    """`flock` on `<database>-<name>.lock`; the file also says who holds it."""

    def __init__(self, name: str, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None

    def try_acquire(self, me: Holder) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held while locked)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        file.seek(0)
        file.truncate()
        file.write(json.dumps(_as_json(me)))
        file.flush()
        self.file = file
        return True

    def holder(self) -> Holder | None:
        try:
            return _from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def release(self) -> None:
        if self.file is not None:
            # Unlock before closing: the next holder truncates the file, so it is not removed
            # (removing it would let two processes lock two different files of one name).
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()
            self.file = None


class _AdvisoryLock(_Backend):
    """`pg_try_advisory_lock(namespace, crc32(name))` on a connection of its own."""

    def __init__(self, name: str, url: str) -> None:
        self.key = _signed32(zlib.crc32(name.encode()))
        self.url = url
        self.connection: Connection | None = None
        self._engine: Any = None

    def _connect(self, application_name: str) -> Connection:
        self._engine = create_engine(
            self.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": 5,
                "application_name": application_name[:63],
                "options": KEEPALIVE_OPTIONS,
            },
        )
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def try_acquire(self, me: Holder) -> bool:
        if self.connection is None:
            self.connection = self._connect("conductor (waiting)")
        got = self.connection.execute(
            text("SELECT pg_try_advisory_lock(:ns, :key)"),
            {"ns": ADVISORY_NAMESPACE, "key": self.key},
        ).scalar()
        if got:
            self.connection.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": _application_name(me)},
            )
        return bool(got)

    def holder(self) -> Holder | None:
        assert self.connection is not None
        row = self.connection.execute(
            text(
                "SELECT a.application_name, a.pid"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns"
                " AND l.objid = :key AND l.objsubid = 2 AND l.database = ("
                "   SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"ns": ADVISORY_NAMESPACE, "key": self.key & 0xFFFFFFFF},
        ).first()
        if row is None:
            return None
        return _from_application_name(row[0], backend_pid=row[1])

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()  # ends the session: the server drops its locks
            finally:
                self.connection = None
                self._engine.dispose()


def _signed32(value: int) -> int:
    return value - (1 << 32) if value >= (1 << 31) else value


def _as_json(holder: Holder) -> dict[str, Any]:
    return {
        "what": holder.what,
        "pid": holder.pid,
        "host": holder.host,
        "since": holder.since.isoformat(),
    }


def _from_json(data: dict[str, Any]) -> Holder:
    return Holder(
        what=str(data["what"]),
        pid=int(data["pid"]),
        host=str(data["host"]),
        since=datetime.fromisoformat(data["since"]),
    )


def _application_name(holder: Holder) -> str:
    """`conductor <epoch> <pid>@<host> <what>`, cut to PostgreSQL's 63 bytes."""
    since = int(holder.since.timestamp())
    return f"conductor {since} {holder.pid}@{holder.host} {holder.what}"[:63]


def _from_application_name(value: str, *, backend_pid: int) -> Holder | None:
    parts = value.split(" ", 3)
    if len(parts) < 3 or parts[0] != "conductor" or not parts[1].isdigit():
        return None
    pid, _, host = parts[2].partition("@")
    return Holder(
        what=parts[3] if len(parts) == 4 else "another run",
        pid=int(pid) if pid.isdigit() else backend_pid,
        host=host or "?",
        since=datetime.fromtimestamp(int(parts[1]), UTC),
    )
