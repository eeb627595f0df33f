"""A local Notion-compatible HTTP server over the bundled sample workspace.

Why it exists: the demo must run with no network and no Notion account, and the tests must drive
the *real* `notion_client.Client` (retries, pagination, error classes) rather than mocks. So this
speaks the subset of Notion's REST API (Notion-Version 2025-09-03, databases holding data
sources) that Conductor uses, with Notion's JSON shapes, error bodies, auth and version checks,
the 25-item relation cap on page objects, minute-truncated timestamps, and an optional rate
limiter and fault injection for the unhappy paths.

    with start_sandbox(build_sample_workspace(n_tickets=120)) as sandbox:
        notion = Client(auth=sandbox.token, base_url=sandbox.base_url)
        notion.data_sources.query(sandbox.tickets_data_source_id)

Run it for a manual session with `python -m sandbox.server --port 8765`.

The package's other modules: `protocol` (wire conventions), `rendering`, `query`, `writes`,
`endpoints` (one method per route, mixed into `Sandbox`), `faults` and `handler` (HTTP
plumbing). What the sandbox models, and how faithfully: `sandbox/__init__.py`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.content import PageContent
from sandbox.content_endpoints import CONTENT_ROUTES, ContentEndpoints
from sandbox.endpoints import _ROUTES, Endpoints
from sandbox.faults import _DEFAULT_CODES, _DEFAULT_MESSAGES, _Fault, _TokenBucket
from sandbox.handler import _Handler
from sandbox.protocol import (
    _VERSION,
    DEFAULT_TOKEN,
    NOTION_VERSION,
    QUERY_RESULT_LIMIT,
    ApiError,
    RawJson,
    _encode,
    _invalid,
)
from sandbox.query import _Ordering
from sandbox.records import normalize_id
from sandbox.rendering import _Renderer
from sandbox.sample import build_sample_workspace
from sandbox.template_sample import LAYOUTS, build_workspace
from sandbox.workspace import Workspace


class Sandbox(ContentEndpoints, Endpoints):
    """A running sandbox server. Use as a context manager, or call `stop()`.

    Thread-safe bookkeeping for tests: `requests` (every request as `(method, path)`, path
    without the query string, in arrival order), `count()`, `fail_next()` and `set_rate_limit()`.
    `integration_can_read_users` may be flipped while running.

    Notion's limits are on by default and adjustable, so a test can reach them with a small
    workspace: `query_result_limit` (results one query returns before it reports
    `request_status` incomplete; Notion's is 10,000), and `partial_page_ids` (pages that query
    results show as partial objects, `{"object": "page", "id": …}`; a set tests may change while
    the server runs).
    """

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_rps: float | None = None,
        integration_can_read_users: bool = True,
        query_result_limit: int = QUERY_RESULT_LIMIT,
        partial_page_ids: Iterable[str] = (),
    ) -> None:
        self.workspace = workspace if workspace is not None else build_sample_workspace()
        self.token = token
        self.integration_can_read_users = integration_can_read_users
        self.query_result_limit = query_result_limit
        self.partial_page_ids = {normalize_id(i) or i for i in partial_page_ids}
        self._renderer = _Renderer(self.workspace, self)
        self.content = PageContent(self.workspace)
        self._state_lock = threading.Lock()
        self._log: list[tuple[str, str, int]] = []
        self._faults: list[_Fault] = []
        self._bucket = _TokenBucket(rate_limit_rps) if rate_limit_rps else None
        self._orderings: OrderedDict[tuple[Any, ...], _Ordering] = OrderedDict()
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else bound_host
        self.base_url = f"http://{shown}:{bound_port}"

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"notion-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- convenience ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def tickets_database_id(self) -> str:
        return self.workspace.tickets_database_id

    @property
    def sprints_database_id(self) -> str:
        return self.workspace.sprints_database_id

    @property
    def tickets_data_source_id(self) -> str:
        return self.workspace.tickets_data_source_id

    @property
    def sprints_data_source_id(self) -> str:
        return self.workspace.sprints_data_source_id

    def conductor_environment(self) -> dict[str, str]:
        """The `CONDUCTOR_NOTION_*` settings that point Conductor at this sandbox."""
        return {
            "CONDUCTOR_NOTION_BASE_URL": self.base_url,
            "CONDUCTOR_NOTION_TOKEN": self.token,
            "CONDUCTOR_NOTION_TICKETS_DATABASE_ID": self.tickets_database_id,
            "CONDUCTOR_NOTION_SPRINTS_DATABASE_ID": self.sprints_database_id,
        }

    # --- bookkeeping and fault injection -------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far as `(method, path)`, including rejected ones."""
        with self._state_lock:
            return [(method, path) for method, path, _ in self._log]

    def count(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many requests matched (method exactly, path by substring, answer status)."""
        with self._state_lock:
            return sum(
                1
                for m, p, s in self._log
                if (method is None or m == method.upper())
                and (path_contains is None or path_contains in p)
                and (status is None or s == status)
            )

    def reset_requests(self) -> None:
        """Forget the request log (e.g. between phases of a test)."""
        with self._state_lock:
            self._log.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        path_contains: str | None = None,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `n` requests (whose path contains `path_contains`) with an error.

        The body is Notion-shaped; `code` defaults from the status (500 `internal_server_error`,
        503/529 `service_unavailable`, 429 `rate_limited`, …). A 429 carries `Retry-After`
        (`retry_after` seconds, default 1). Queued faults apply in the order they were added.
        """
        resolved = code or _DEFAULT_CODES.get(status, "internal_server_error")
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = _Fault(
            remaining=n,
            status=status,
            code=resolved,
            message=message or _DEFAULT_MESSAGES.get(resolved, "Unexpected error occurred."),
            path_contains=path_contains,
            retry_after=retry_after,
        )
        with self._state_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._state_lock:
            self._faults.clear()

    def set_rate_limit(self, rps: float | None) -> None:
        """Limit to `rps` requests per second on average (token bucket); None turns it off."""
        with self._state_lock:
            self._bucket = _TokenBucket(rps) if rps else None

    # --- request handling ----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        """Answer one request: `(status, encoded JSON body, extra headers)`. Never raises."""
        request_id = str(uuid.uuid4())
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        with self._state_lock:
            self._log.append((method, path, 0))
            entry = len(self._log) - 1
        extra: dict[str, str] = {"x-notion-request-id": request_id}
        try:
            self._pre_checks(path, headers)
            handler, params = self._route(method, path)
            payload = self._json_body(method, body)
            with self.workspace.lock:
                status, result = 200, handler(params, parse_qs(url.query), payload)
        except ApiError as error:
            status, result = error.status, error.body()
            extra.update(error.headers)
        except Exception:  # a sandbox bug must still look like an API answer
            traceback.print_exc(file=sys.stderr)
            status = 500
            result = ApiError(500, "internal_server_error", "Unexpected error occurred.").body()
        with self._state_lock:
            if entry < len(self._log):
                self._log[entry] = (method, path, status)
        return status, _encode(result, request_id), extra

    def _pre_checks(self, path: str, headers: Mapping[str, str]) -> None:
        with self._state_lock:
            fault = next(
                (f for f in self._faults if f.path_contains is None or f.path_contains in path),
                None,
            )
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            wait = self._bucket.wait_needed() if self._bucket and fault is None else 0.0
        if fault is not None:
            fault_headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            raise ApiError(fault.status, fault.code, fault.message, fault_headers)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                _DEFAULT_MESSAGES["rate_limited"],
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(401, "unauthorized", "API token is invalid.")
        version = headers.get("Notion-Version")
        if not version:
            raise ApiError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if not _VERSION.fullmatch(version):
            raise _invalid(
                f"Notion-Version header failed validation: {version!r} should be a date like "
                f"{NOTION_VERSION}."
            )
        if version < NOTION_VERSION:
            raise _invalid(
                f"Notion-Version {version} is not served by this sandbox; it speaks "
                f"{NOTION_VERSION} (databases with data sources)."
            )

    def _route(
        self, method: str, path: str
    ) -> tuple[Callable[..., dict[str, Any] | RawJson], dict[str, str]]:
        for route_method, pattern, name in (*CONTENT_ROUTES, *_ROUTES):
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return getattr(self, name), match.groupdict()
        raise ApiError(400, "invalid_request_url", "Invalid request URL.")

    @staticmethod
    def _json_body(method: str, body: bytes) -> dict[str, Any]:
        if method == "GET" or not body.strip():
            return {}
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise ApiError(400, "invalid_json", "Error parsing JSON body.") from error
        if not isinstance(payload, dict):
            raise _invalid("body failed validation: body should be an object.")
        return payload


def start_sandbox(
    workspace: Workspace | None = None,
    *,
    token: str = DEFAULT_TOKEN,
    host: str = "127.0.0.1",
    port: int = 0,
    rate_limit_rps: float | None = None,
    integration_can_read_users: bool = True,
    query_result_limit: int = QUERY_RESULT_LIMIT,
    partial_page_ids: Iterable[str] = (),
) -> Sandbox:
    """Start a sandbox serving `workspace` (default: the 400-ticket sample) on `host:port`.

    `port=0` picks a free port; read it back from `sandbox.base_url`. The rate limiter is off
    unless `rate_limit_rps` is given (Notion's documented average is 3 requests per second).
    `query_result_limit` and `partial_page_ids`: see `Sandbox`.
    """
    return Sandbox(
        workspace,
        token=token,
        host=host,
        port=port,
        rate_limit_rps=rate_limit_rps,
        integration_can_read_users=integration_can_read_users,
        query_result_limit=query_result_limit,
        partial_page_ids=partial_page_ids,
    ).start()


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox in the foreground and print how to point Conductor at it."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.server",
        description="Serve the bundled sample workspace over a local Notion-compatible API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tickets", type=int, default=400, help="number of tickets (default 400)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="sample",
        help="schema layout: our sample, Notion's Projects & Sprints template, or the template "
        "with Status as a select (default: sample)",
    )
    parser.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second (default: off)"
    )
    parser.add_argument(
        "--query-result-limit",
        type=int,
        default=QUERY_RESULT_LIMIT,
        help=f"results one query returns at most (default {QUERY_RESULT_LIMIT:,}, as Notion)",
    )
    args = parser.parse_args(argv)
    workspace = build_workspace(args.layout, args.today, n_tickets=args.tickets, seed=args.seed)
    try:
        sandbox = start_sandbox(
            workspace,
            token=args.token,
            host=args.host,
            port=args.port,
            rate_limit_rps=args.rate_limit,
            query_result_limit=args.query_result_limit,
        )
    except OSError as error:
        print(
            f"error: cannot listen on {args.host}:{args.port} ({error}); try --port 0",
            file=sys.stderr,
        )
        return 1
    print(f"Notion sandbox serving {len(workspace.tickets())} tickets at {sandbox.base_url}")
    for name, value in sandbox.conductor_environment().items():
        print(f"{name}={value}")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
