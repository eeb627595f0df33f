"""The temporary Prefect server a flow command runs on when no server runs for its home.

Prefect's client starts one by itself on its first request without an API
(`SubprocessASGIServer`), but late and slowly: it first imports Prefect's whole server into
the calling process (~6 s here, competing with the command's own imports for the CPU), only
then spawns the subprocess, which imports it all again and, on a fresh home, migrates its
database. Measured on a fresh home: the subprocess spawned 6.9 s into `conductor demo`, and
answering at 22.9 s.

So the CLI starts the same server itself (`uvicorn … prefect.server.api.server:create_app`,
as Prefect does, UI off) the moment a flow command begins, without importing any of Prefect,
from a fresh home's copy of a migrated database (`cli.prefect_database`), and points its
flow runs at it. The server:

- listens on a socket bound by the CLI before the spawn (`uvicorn --fd`), so no other
  process can take its port while it starts;
- writes its output to a log of its own under `CONDUCTOR_HOME/prefect`, not over the story
  (after a clean run it is kept as `temporary-server.log`);
- is stopped when the command ends, and, on Linux, by the kernel if the command is killed
  outright (`PR_SET_PDEATHSIG`), so a killed command leaves no server behind;
- keeps its runs in this home's Prefect database, where `conductor server` shows them later.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.client
import importlib.util
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli import prefect_database
from models.errors import ConductorError

logger = logging.getLogger(__name__)

LOG_FILE = "temporary-server.log"
DEFAULT_STARTUP_TIMEOUT_S = 120.0
POLL_S = 0.1


class TemporaryServerError(ConductorError):
    """The temporary Prefect server did not come up; the message names its log."""


class TemporaryServer:
    """One Prefect API server, owned by this process: `start`, `wait_until_ready`, `stop`."""

    def __init__(self, prefect_home: Path) -> None:
        self.prefect_home = prefect_home
        self.latest_log = prefect_home / LOG_FILE
        self.seeded = False
        self.port = 0
        self._started_at = 0.0
        self._template_source: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Spawn the server (milliseconds); it answers some seconds later.

        The listening socket is bound here and handed to the server (`uvicorn --fd`), so the
        port is this server's from the start: no other process can take it while the server
        imports, and a health answer on it can only come from this server."""
        self.seeded, self._template_source = prefect_database.prepare_home(self.prefect_home)
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.prefect_home),
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        atexit.register(self.stop)  # before the spawn: a signal in between leaves nothing
        try:
            self.prefect_home.mkdir(parents=True, exist_ok=True)
            with _listening_socket() as sock, self.log_file.open("wb") as log:
                self.port = sock.getsockname()[1]
                command = [sys.executable, "-m", "uvicorn", "--app-dir", _site_packages(),
                           "--factory", "prefect.server.api.server:create_app",
                           "--log-level", "error", "--lifespan", "on"]  # fmt: skip
                if os.name == "posix":
                    command += ["--fd", str(sock.fileno())]
                    inherited: tuple[int, ...] = (sock.fileno(),)
                else:  # no descriptor passing: the port is free again for a moment
                    sock.close()
                    command += ["--host", "127.0.0.1", "--port", str(self.port)]
                    inherited = ()
                self._process = subprocess.Popen(
                    command, env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, pass_fds=inherited,
                    preexec_fn=terminate_with_parent(),
                )  # fmt: skip
            self._started_at = time.monotonic()
            logger.info(
                "Starting a temporary Prefect server on %s (log: %s)", self.api_url, self.log_file
            )
        except OSError as exc:
            raise TemporaryServerError(
                f"could not start Prefect's temporary server ({exc}); "
                "`conductor server` runs one you can watch"
            ) from exc

    def wait_until_ready(self, timeout_s: float | None = None) -> str:
        """Block until the server answers its health check; returns its API URL.

        A fresh home's database is kept as the venv's template at that moment, before the
        command writes its first run (`cli.prefect_database.keep_as_template`)."""
        if self._ready:
            return self.api_url
        if self._process is None:
            raise RuntimeError("TemporaryServer.start() was not called")
        timeout = timeout_s if timeout_s is not None else _startup_timeout()
        deadline = time.monotonic() + timeout
        while not _healthy(self.port):
            code = self._process.poll()
            if code is not None:
                raise TemporaryServerError(
                    f"Prefect's temporary server stopped (exit code {code}) before it answered: "
                    f"{_reason(self.log_file)} (whole log: {self.log_file}); "
                    "`conductor server` runs one you can watch"
                )
            if time.monotonic() > deadline:
                raise TemporaryServerError(
                    f"Prefect's temporary server did not answer within {timeout:g} s (log: "
                    f"{self.log_file}); raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS "
                    "or start `conductor server` and retry"
                )
            time.sleep(POLL_S)
        self._ready = True
        logger.info(
            "The temporary Prefect server answered after %.1f s%s",
            time.monotonic() - self._started_at,
            " (its database copied from this venv's migrated one)" if self.seeded else "",
        )
        if self._template_source is not None:
            prefect_database.keep_as_template(self._template_source)
        return self.api_url

    def stop(self) -> None:
        """SIGTERM, and up to 5 s for the server to finish its writes before it is killed.

        After a clean run its log becomes the home's `temporary-server.log` (the latest run's);
        the log of a server that failed keeps the name the error gave."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            logger.info("Stopping the temporary Prefect server on %s", self.api_url)
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._ready:
            with contextlib.suppress(OSError):
                self.log_file.replace(self.latest_log)

    @property
    def log_file(self) -> Path:
        """This process's log file: two commands on one home never write into one log."""
        return self.latest_log.with_name(f"{self.latest_log.stem}.{os.getpid()}.log")


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def _site_packages() -> str:
    """Prefect's parent folder, as Prefect passes it: uvicorn otherwise puts the working
    directory first on the server's import path, where a user's own `models/` or `api/`
    package would shadow a module of the same name."""
    spec = importlib.util.find_spec("prefect")  # finds, does not import
    if spec is None or spec.origin is None:
        raise TemporaryServerError("Prefect is not installed in this environment: `uv sync`")
    return str(Path(spec.origin).parent.parent)


def _healthy(port: int) -> bool:
    """One health request with the standard library (httpx would cost this process an import
    at the moment it matters least to pay for one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _startup_timeout() -> float:
    try:
        return float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
    except (KeyError, ValueError):
        return DEFAULT_STARTUP_TIMEOUT_S


def _reason(path: Path) -> str:
    """The server log's last exception line (`ConnectionRefusedError: …`), else its last line."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return "no output"
    lines = [line for line in lines if line]
    errors = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (errors or lines or ["no output"])[-1]


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*")


def terminate_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that asks Linux to SIGTERM the child when this process dies (None
    elsewhere, and off the main thread: Linux signals when the spawning *thread* ends).

    The child gives up at once if this process died before the request was made. The callable
    runs between fork and exec, so it only calls a function resolved here, in the parent: no
    import, no library loading, nothing that takes a lock another thread might have held at
    the fork."""
    prctl = _prctl()
    if prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


@functools.cache
def _prctl() -> Any:
    """Linux's `prctl`, looked up on first use (not when the CLI starts: most commands spawn
    nothing); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


_PR_SET_PDEATHSIG = 1
