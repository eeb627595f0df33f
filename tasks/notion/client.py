"""The only module that knows HTTP, rate limits and retry rules for Notion.

`NotionGateway` wraps `notion_client.Client` (Notion-Version 2025-09-03: databases hold data
sources) and adds what a sync of thousands of pages needs and the SDK does not give:

- **One retry policy for every method.** The SDK (3.1.0) retries 429 for any method but 500/503
  only for GET/DELETE, never 502/504/529, timeouts or connection errors; it caps `Retry-After` at
  its own maximum and sleeps with `time.sleep`, which tests cannot fake. Data-source queries are
  POSTs, so a single 503 would fail a sync. We therefore turn the SDK's retries off
  (`retry=False`) and retry here: 429, 500/502/503/504/529, timeouts and connection errors, for
  every method, with exponential backoff and full jitter, never less than `Retry-After`. The
  ingestion's Prefect tasks add at most two later attempts, and only once these retries are
  exhausted (`NotionUnavailableError`).
- **A client-side rate limit** (`rate_limit.RateLimiter`) so a sync stays under Notion's three
  requests per second, plus an optional `before_request` hook for a cross-process limit (the
  ingestion flow passes Prefect's `rate_limit("notion-api")`; this module does not import Prefect).
- **Errors a user can act on** (`errors.py`), each one line that names the fix, redacted here.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
from notion_client.client import Client, ClientOptions
from notion_client.errors import (
    APIResponseError,
    HTTPResponseError,
    InvalidPathParameterError,
    RequestTimeoutError,
)
from pydantic import SecretStr

from models.errors import ConductorError
from models.settings import NOTION_PUBLIC_API, ConfigError, Settings
from tasks.notion.errors import (
    WORKSPACE,
    NotionAccessError,
    NotionRequestError,
    NotionUnavailableError,
    Resource,
    access_message,
)
from tasks.notion.rate_limit import Clock, NotionStats, RateLimiter, Sleep

log = logging.getLogger(__name__)

#: Statuses worth another attempt: rate limited, or Notion (or a proxy in front of it) failing.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})

#: Notion's largest page size for every paginated endpoint.
MAX_PAGE_SIZE = 100


class NotionGateway:
    """Every Notion call Conductor makes, rate limited, retried and counted.

    Thread-safe: the flow shares one gateway (and so one rate limit and one `stats`) across the
    tasks of a run. Pass `limiter` to share a limit between several gateways of one process.
    Waits (rate limit and backoff) go through `sleep`/`clock`, so tests advance a fake clock.
    """

    def __init__(
        self,
        token: str,
        base_url: str = NOTION_PUBLIC_API,
        *,
        rps: float | None = 3.0,
        max_retries: int = 5,
        timeout_s: float = 30.0,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        before_request: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.stats = NotionStats()
        self.limiter = limiter or RateLimiter(rps, clock=clock, sleep=sleep)
        self._token = SecretStr(token)  # task parameters and reprs must never show it
        self._max_retries = max_retries
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._before_request = before_request
        self._random = random.Random()
        sdk_logger = logging.getLogger(f"{__name__}.sdk")
        self._sdk = Client(
            ClientOptions(
                auth=token,
                base_url=self.base_url,
                timeout_ms=max(1, round(timeout_s * 1000)),
                retry=False,
                # The SDK logs every failed attempt as a warning; ours already says it better.
                logger=sdk_logger,
                log_level=logging.ERROR,
            ),
            client=httpx.Client(),
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> NotionGateway:
        """A gateway for the configured workspace; `options` go to the constructor."""
        token = settings.notion_token.get_secret_value() if settings.notion_token else ""
        if not token:
            raise ConfigError(
                "CONDUCTOR_NOTION_TOKEN is not set: create an internal integration at "
                "https://www.notion.so/profile/integrations and set its secret"
            )
        options.setdefault("rps", settings.notion_rate_limit_rps)
        return cls(token, str(settings.notion_base_url), **options)

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> NotionGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- endpoints -----------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The integration's bot user: the cheapest check that the token works."""
        return self._request("GET", "users/me", WORKSPACE)

    def database_data_sources(self, database_id: str) -> list[dict[str, Any]]:
        """The database's data sources as `[{"id", "name"}]`; Conductor syncs a data source."""
        database = self._request(
            "GET", f"databases/{database_id}", Resource("database", database_id)
        )
        return list(database.get("data_sources") or [])

    def retrieve_data_source(self, data_source_id: str) -> dict[str, Any]:
        """The data source object; its `properties` is the schema the mapping is detected from."""
        return self._request(
            "GET", f"data_sources/{data_source_id}", Resource("data source", data_source_id)
        )

    def query_page(
        self,
        data_source_id: str,
        *,
        edited_on_or_after: datetime | None = None,
        start_cursor: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        filter: dict[str, Any] | None = None,
        sorts: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """ONE page of a query (`results`, `next_cursor`, `has_more`, `request_status`).

        By default oldest edit first: sorting by `last_edited_time` ascending lets a caller
        persist the newest edit it has stored as the next run's cursor even if a run stops half
        way. `edited_on_or_after` is inclusive and compared in UTC (a naive datetime is taken as
        UTC); Notion truncates edit times to the minute, so callers subtract a lookback rather
        than add a second. `filter`/`sorts`, when given, are sent as they are instead (the
        windows of `tasks.notion.windows`).
        """
        body: dict[str, Any] = {
            "sorts": sorts or [{"timestamp": "last_edited_time", "direction": "ascending"}],
            "page_size": page_size,
        }
        if filter is not None:
            body["filter"] = filter
        elif edited_on_or_after is not None:
            body["filter"] = {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": _utc_iso(edited_on_or_after)},
            }
        if start_cursor:
            body["start_cursor"] = start_cursor
        return self._request(
            "POST",
            f"data_sources/{data_source_id}/query",
            Resource("data source", data_source_id),
            body=body,
        )

    def iter_query(
        self,
        data_source_id: str,
        *,
        edited_on_or_after: datetime | None = None,
        start_cursor: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield each page of `query_page` results (a list per request) until `has_more` ends."""
        cursor = start_cursor
        while True:
            response = self.query_page(
                data_source_id,
                edited_on_or_after=edited_on_or_after,
                start_cursor=cursor,
                page_size=page_size,
            )
            yield list(response.get("results") or [])
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return

    def list_users(self) -> list[dict[str, Any]] | None:
        """Every user of the workspace, or None when the integration may not read users.

        Without the "read user information" capability Notion answers 403; people then come
        only from page properties, which must not fail a sync.
        """
        try:
            return self._paginate("users", WORKSPACE)
        except NotionAccessError as exc:
            if exc.status != 403:
                raise
            log.info("Notion integration cannot list users (403); people come from pages only")
            return None

    def retrieve_page(self, page_id: str) -> dict[str, Any]:
        """One page object (relations and people in it are capped at 25 items)."""
        return self._request("GET", f"pages/{page_id}", Resource("page", page_id))

    def property_items(self, page_id: str, property_id: str) -> list[dict[str, Any]]:
        """Every item of one page property, for relation/people values marked `has_more`.

        Paginated properties answer a list of `property_item`s; the others a single item,
        which is returned as a one-element list so callers need not care which.
        """
        return self._paginate(
            f"pages/{page_id}/properties/{property_id}", Resource("page", page_id)
        )

    def create_page(self, data_source_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Create a page (ticket) in a data source and return it as Notion stored it."""
        return self._request(
            "POST",
            "pages",
            Resource("data source", data_source_id),
            body={
                "parent": {"type": "data_source_id", "data_source_id": data_source_id},
                "properties": properties,
            },
        )

    # --- pages under pages and their blocks (report publishing) --------------------------

    def create_child_page(
        self,
        parent_page_id: str,
        title: list[dict[str, Any]],
        children: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Create a page under a page, with its first (≤ 100) blocks; returns the page object."""
        return self._request(
            "POST",
            "pages",
            Resource("report page", parent_page_id),
            body={
                "parent": {"type": "page_id", "page_id": parent_page_id},
                "properties": {"title": {"title": title}},
                "children": children,
            },
        )

    def set_page_title(self, page_id: str, title: list[dict[str, Any]]) -> dict[str, Any]:
        """Rename a page under a page (its only property is `title`)."""
        return self._request(
            "PATCH",
            f"pages/{page_id}",
            Resource("report page", page_id),
            body={"properties": {"title": {"title": title}}},
        )

    def block_children(self, block_id: str) -> list[dict[str, Any]]:
        """Every child block of a page or block, following `next_cursor` (100 per request)."""
        return self._paginate(f"blocks/{block_id}/children", Resource("report page", block_id))

    def append_block_children(
        self, block_id: str, children: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Append ≤ 100 blocks at the end of a page or block; returns the created blocks."""
        response = self._request(
            "PATCH",
            f"blocks/{block_id}/children",
            Resource("report page", block_id),
            body={"children": children},
        )
        return list(response.get("results") or [])

    def delete_block(self, block_id: str) -> dict[str, Any]:
        """Move one block to the trash (Notion has no bulk delete)."""
        return self._request("DELETE", f"blocks/{block_id}", Resource("report page", block_id))

    # --- transport -----------------------------------------------------------------------

    def _paginate(self, path: str, resource: Resource) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query: dict[str, Any] = {"page_size": MAX_PAGE_SIZE}
            if cursor:
                query["start_cursor"] = cursor
            response = self._request("GET", path, resource, query=query)
            if response.get("object") != "list":
                return [response]
            items.extend(response.get("results") or [])
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return items

    def _request(
        self,
        method: str,
        path: str,
        resource: Resource,
        *,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Send one logical request: wait for the limiter, retry what may succeed later."""
        label = f"{method} /v1/{path}"
        attempt = 0
        while True:
            self.limiter.acquire()
            if self._before_request is not None:
                self._before_request()
            self.stats.add(requests=1)
            retry_after: float | None = None
            try:
                return self._sdk.request(path=path, method=method, query=query, body=body)
            except HTTPResponseError as exc:
                if exc.status == 429:
                    self.stats.add(rate_limited=1)
                if exc.status not in RETRYABLE_STATUSES:
                    raise self._final_error(exc, label, resource) from exc
                reason = f"HTTP {exc.status} {_code(exc)}".rstrip()
                retry_after = _retry_after_s(exc.headers)
            except RequestTimeoutError:
                reason = f"no response within {self._timeout_s:g} s"
            except httpx.TransportError as exc:
                reason = f"connection failed: {type(exc).__name__}"
            except InvalidPathParameterError as exc:
                raise NotionRequestError(f"invalid Notion id in {label}: {exc}") from exc
            except json.JSONDecodeError as exc:
                raise NotionRequestError(
                    f"{self._host()} answered {label} with something other than JSON: "
                    "check CONDUCTOR_NOTION_BASE_URL"
                ) from exc
            if attempt >= self._max_retries:
                raise NotionUnavailableError(
                    self._redact(
                        f"Notion API at {self._host()} still failing after "
                        f"{attempt + 1} attempts ({label}: {reason}): check your network and "
                        "CONDUCTOR_NOTION_BASE_URL, or try again later"
                    )
                ) from None
            delay = self._backoff_s(attempt, retry_after)
            if retry_after is not None:
                self.limiter.pause(delay)
            attempt += 1
            self.stats.add(retried=1)
            log.warning(
                "Notion %s: %s; retry %d/%d in %.1f s",
                label,
                self._redact(reason),
                attempt,
                self._max_retries,
                delay,
            )
            self._sleep(delay)

    def _backoff_s(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff, never shorter than the server's `Retry-After`.

        Jitter spreads the retries of parallel tasks; `Retry-After` is a floor because Notion
        says requests made earlier will be limited again (it may exceed `backoff_cap_s`).
        """
        ceiling = min(self._backoff_cap_s, self._backoff_base_s * 2**attempt)
        delay = self._random.uniform(0.0, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def _final_error(
        self, exc: HTTPResponseError, label: str, resource: Resource
    ) -> ConductorError:
        status = exc.status
        if status == 401:
            return NotionAccessError(
                "Notion rejected the token (401): check CONDUCTOR_NOTION_TOKEN", status=401
            )
        is_notion_answer = APIResponseError.is_api_response_error(exc)
        if status == 404 and not is_notion_answer:
            return NotionRequestError(
                f"{self._host()} answered {label} with 404 but no Notion error: "
                "check CONDUCTOR_NOTION_BASE_URL",
                status=404,
            )
        if status in (403, 404):
            return NotionAccessError(access_message(resource, status), status=status)
        message = " ".join(str(exc).split())[:500]
        return NotionRequestError(
            self._redact(f"Notion rejected {label} ({status} {_code(exc)}): {message}"),
            status=status,
            code=_code(exc) or None,
        )

    def _host(self) -> str:
        url = httpx.URL(self.base_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    def _redact(self, text: str) -> str:
        secret = self._token.get_secret_value()
        return text.replace(secret, "***") if secret else text


def _code(exc: HTTPResponseError) -> str:
    code = exc.code
    value = code.value if hasattr(code, "value") else str(code)
    return "" if value == "notionhq_client_response_error" else value


def _retry_after_s(headers: httpx.Headers) -> float | None:
    """`Retry-After` in seconds (Notion sends integer seconds; HTTP dates are accepted too)."""
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
