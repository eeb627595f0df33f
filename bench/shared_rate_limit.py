"""What `CONDUCTOR_NOTION_SHARED_RATE_LIMIT=true` costs each Notion request, measured.

With the shared limit on, every Notion request first takes a slot of the Prefect global rate
limit `notion-api` (`flows.notion_ingest.shared_rate_limit_hook`): one round trip to the
Prefect API. This starts a real `prefect server` (PostgreSQL- or SQLite-backed, whatever
PREFECT_API_DATABASE_CONNECTION_URL says; SQLite by default), sets the limit far above the
request rate so no call ever waits for a slot, and times the hook against the in-process token
bucket every request pays anyway, in the same run.

Run: `uv run python bench/shared_rate_limit.py [--calls 300]`. Exits 0: it is a report.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return server, api
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the Prefect server did not start in 120 s")


def _timed(call, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        server, api = _start_server(Path(tmp))
        os.environ["PREFECT_API_URL"] = api
        try:
            from flows.notion_ingest import ensure_shared_rate_limit, shared_rate_limit_hook
            from tasks.notion.rate_limit import RateLimiter

            rps = 10_000.0  # far above what is sent: the figure is the round trip, not a wait
            assert ensure_shared_rate_limit(rps), "could not create the global rate limit"
            bucket = RateLimiter(rps)
            _timed(shared_rate_limit_hook, 10)  # warm the client and the server
            baseline = _timed(bucket.acquire, args.calls)
            shared = _timed(shared_rate_limit_hook, args.calls)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)

    def ms(samples: list[float]) -> str:
        q = statistics.quantiles(samples, n=20)
        return f"median {statistics.median(samples) * 1e3:.2f} ms, p95 {q[18] * 1e3:.2f} ms"

    print(f"{args.calls} requests' worth of limiter calls against {api}")
    print(f"  in-process token bucket (baseline): {ms(baseline)}")
    print(f"  + shared Prefect rate limit:         {ms(shared)}")
    extra = statistics.median(shared) - statistics.median(baseline)
    print(
        f"  cost of the shared limit: {extra * 1e3:.0f} ms a request "
        f"(at Notion's 3 req/s a request has {1e3 / 3:.0f} ms)"
    )


if __name__ == "__main__":
    main()
