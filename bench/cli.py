"""How long the `conductor` commands a person types take, as that person waits for them.

Every figure is the wall time of the real CLI run as a subprocess (`uv run conductor …`, from a
warm venv: bytecode compiled first) against a Notion sandbox subprocess serving the sample
workspace, with the client's default 3 requests/s limiter. Next to each figure is the baseline
measured in the same run: `conductor --help`, the cost of starting Python, uv and the CLI at
all, which a busy machine slows as much as everything else. Each command is timed `--runs`
times and the median is reported (the machine is shared: figures move between runs).

Rows and targets:

- with this home's `conductor server` running (found by the commands on their own):
  an unchanged `conductor ingest` ≤ 5 s beyond `--help` (its sync's own time, mostly Notion's
  rate limit, shown beside it); `conductor summary` of a stored day ≤ 3 s;
  `conductor sprint`, `tickets`, `users` ≤ 2 s each;
- without a server: the first flow command on a fresh home (`conductor ingest`, the first
  thing a user runs after `doctor`) ≤ 15 s; `conductor demo` ≤ 15 s. Both start from the
  migrated Prefect database a venv keeps after its first flow command; when this venv has
  none yet, that first command is timed and shown in a row of its own.

`uv run python bench/cli.py [--runs N] [--tickets N]`. Exits 0 whatever the figures: it is a
report, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import Measurement, SandboxEndpoint, print_table, sandbox_process  # noqa: E402
from bench.pipeline import conductor_command, run_timed  # noqa: E402

INGEST_BEYOND_HELP_S = 5.0
SUMMARY_S = 3.0
READ_S = 2.0
FIRST_FLOW_S = 15.0
DEMO_S = 15.0
READ_COMMANDS = (("sprint",), ("tickets", "--sprint", "current"), ("users",))


def child_env(workdir: Path, endpoint: SandboxEndpoint | None) -> dict[str, str]:
    """A user's shell in `workdir`: no Conductor or Prefect settings but the sandbox's, and
    bytecode written (PYTHONDONTWRITEBYTECODE would make every run compile from source)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONDUCTOR_", "PREFECT_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONUNBUFFERED"] = "1"
    if endpoint is not None:
        env.update(
            CONDUCTOR_NOTION_BASE_URL=endpoint.base_url,
            CONDUCTOR_NOTION_TOKEN=endpoint.token,
            CONDUCTOR_NOTION_TICKETS_DATABASE_ID=endpoint.tickets_database_id,
            CONDUCTOR_NOTION_SPRINTS_DATABASE_ID=endpoint.sprints_database_id,
        )
    return env


def warm_venv() -> None:
    """Compile the project's and the venv's bytecode, as a venv that has run once has it."""
    targets = [str(ROOT / name) for name in ("cli", "flows", "tasks", "models", "sandbox")]
    targets += [p for p in sys.path if p.endswith("site-packages")]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *targets],
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def venv_first_flow_command(workdir: Path) -> Measurement:
    """A venv that has run once also holds Prefect's migrated empty database, which the first
    flow command ever run in it leaves for every later fresh home (`cli.prefect_database`).
    When this venv has none yet, that first command (a demo in a throwaway folder) is timed
    here, so the one-off cost is shown rather than hidden in a median; it is not a target."""
    what = "venv's first flow command ever (`demo`; migrates Prefect's database once)"
    template = Path(
        subprocess.run(
            [sys.executable, "-c", "from cli.prefect_database import template_path as t; print(t())"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    if template.is_file():
        return Measurement(what, f"not run: {template.name} was kept by an earlier run")
    workdir.mkdir()
    seconds = timed(("demo",), workdir, child_env(workdir, None))
    return Measurement(what, f"{seconds:.2f} s wall (once per venv and set of Prefect packages)")


def timed(args: tuple[str, ...], workdir: Path, env: dict[str, str]) -> float:
    """Wall seconds of one `conductor …`; a failed command stops the benchmark, saying why."""
    run = run_timed(conductor_command(*args), workdir, env, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(f"conductor {' '.join(args)} exited {run.returncode}:\n{run.tail()}")
    return run.wall_s


def median_of(runs: int, args: tuple[str, ...], workdir: Path, env: dict[str, str]) -> float:
    return statistics.median(timed(args, workdir, env) for _ in range(runs))


@contextmanager
def conductor_server(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """`conductor server` on a free port for the home in `workdir`, until it has said where it
    listens (`.conductor/prefect-server.json`); yields its API URL."""
    record = workdir / ".conductor" / "prefect-server.json"
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        # The venv's Python, not `uv run`: uv exits on SIGTERM without waiting for its child.
        [sys.executable, "-m", "cli", "server", "--port", str(free_port())],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while not record.is_file():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"conductor server did not come up; see {log.name}")
            time.sleep(0.5)
        yield json.loads(record.read_text())["api_url"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def row(what: str, seconds: float, baseline: float, target: float, beyond: bool) -> Measurement:
    """One row: the wall time, its excess over `--help`, and the verdict on the figure the
    target is about (the excess when `beyond`, else the wall time)."""
    judged = seconds - baseline if beyond else seconds
    return Measurement(
        what,
        f"{seconds:.2f} s wall ({seconds - baseline:+.2f} s vs --help)",
        f"≤ {target:g} s" + (" beyond --help" if beyond else " wall"),
        judged <= target,
    )


def bench(runs: int, tickets: int, workdir: Path) -> list[Measurement]:
    rows: list[Measurement] = []
    with sandbox_process(tickets) as endpoint:
        # --- no server: a fresh home's first flow command, and the demo
        help_dir = workdir / "help"
        help_dir.mkdir()
        baseline = median_of(runs, ("--help",), help_dir, child_env(help_dir, None))
        rows.append(Measurement("`conductor --help` (baseline)", f"{baseline:.2f} s wall"))
        rows.append(venv_first_flow_command(workdir / "venv-first"))
        firsts, demos = [], []
        for attempt in range(runs):
            fresh = workdir / f"fresh-{attempt}"
            fresh.mkdir()
            firsts.append(timed(("ingest",), fresh, child_env(fresh, endpoint)))
            demo_dir = workdir / f"demo-{attempt}"
            demo_dir.mkdir()
            demos.append(timed(("demo",), demo_dir, child_env(demo_dir, None)))
        rows.append(
            row(
                "no server: first `conductor ingest`, fresh home",
                statistics.median(firsts),
                baseline,
                FIRST_FLOW_S,
                beyond=False,
            )
        )
        rows.append(
            row(
                "no server: `conductor demo`",
                statistics.median(demos),
                baseline,
                DEMO_S,
                beyond=False,
            )
        )

        # --- this home's `conductor server` running, found by the commands themselves
        home = workdir / "served"
        home.mkdir()
        env = child_env(home, endpoint)
        with conductor_server(home, env):
            timed(("ingest",), home, env)  # the first, full sync
            timed(("summary",), home, env)  # writes today's summary
            ingests, syncs = [], []
            for _ in range(runs):
                started = time.perf_counter()
                run = run_timed(conductor_command("ingest", "--json"), home, env, timeout=300)
                ingests.append(time.perf_counter() - started)
                syncs.append(json.loads(_stdout_json(run.lines))["duration_s"])
            ingest = row(
                "server: unchanged `conductor ingest`",
                statistics.median(ingests),
                baseline,
                INGEST_BEYOND_HELP_S,
                beyond=True,
            )
            rows.append(ingest)
            rows.append(
                Measurement(
                    "  … of which the sync itself (3 req/s limiter)",
                    f"{statistics.median(syncs):.2f} s",
                )
            )
            summary = median_of(runs, ("summary",), home, env)
            rows.append(
                row(
                    "server: `conductor summary`, stored day",
                    summary,
                    baseline,
                    SUMMARY_S,
                    beyond=False,
                )
            )
            for args in READ_COMMANDS:
                seconds = median_of(runs, args, home, env)
                rows.append(
                    row(f"`conductor {' '.join(args)}`", seconds, baseline, READ_S, beyond=False)
                )
    return rows


def _stdout_json(lines: list[tuple[float, str]]) -> str:
    """The JSON document among a run's merged output lines (stderr may add a line or two)."""
    text = [line for _, line in lines]
    start = next(i for i, line in enumerate(text) if line.startswith("{"))
    end = next(i for i in range(len(text) - 1, -1, -1) if text[i].startswith("}"))
    return "\n".join(text[start : end + 1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/cli.py", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timings per command (median)")
    parser.add_argument("--tickets", type=int, default=400, help="sandbox workspace size")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"warming the venv's bytecode …; load average {load:.2f} on {os.cpu_count()} cores")
    warm_venv()
    with tempfile.TemporaryDirectory(prefix="conductor-bench-cli-") as tmp:
        rows = bench(args.runs, args.tickets, Path(tmp))
    print_table(rows)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmedian of {args.runs} run(s) each; load average at the end {load:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
