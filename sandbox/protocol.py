"""Notion's wire conventions as the sandbox speaks them: the API version, error bodies, ids,
timestamps, cursors, page sizes, and the encoded answer (with its `request_id`)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, TypeVar

from sandbox.records import normalize_id

NOTION_VERSION = "2025-09-03"
DEFAULT_TOKEN = "secret_sandbox"
#: Notion computes page property values with at most 25 page references.
RELATION_LIMIT = 25
#: Page objects carry at most 25 people per people property, and say nothing about the rest.
PEOPLE_LIMIT = 25
#: One data-source query (a filter + sort) returns at most this many results.
QUERY_RESULT_LIMIT = 10_000
MAX_PAGE_SIZE = 100
#: Notion's limit for one rich-text object's `text.content`.
TEXT_CONTENT_LIMIT = 2000
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHARE_HINT = "Make sure the relevant pages and databases are shared with your integration."
_TIMESTAMPS = ("created_time", "last_edited_time")


class ApiError(Exception):
    """An error answer in Notion's shape: `{"object": "error", "status", "code", "message"}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }


def _invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def _not_found(kind: str, object_id: str) -> ApiError:
    return ApiError(
        404, "object_not_found", f"Could not find {kind} with ID: {object_id}. {_SHARE_HINT}"
    )


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: A str as a JSON string literal (the C fast path, without building an encoder).
_quote: Callable[[str], str] = encode_basestring


def _iso(moment: datetime) -> str:
    """Notion's timestamp form, at minute precision: `2026-11-24T09:13:00.000Z`."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:16] + ":00.000Z"


def _nodash(object_id: str) -> str:
    return object_id.replace("-", "")


def _encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: Any) -> Any:
    if not isinstance(cursor, str) or not cursor:
        raise _invalid(
            f"body failed validation: start_cursor should be a string, instead was `{cursor!r}`."
        )
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as error:
        raise _invalid(f"start_cursor provided is invalid: {cursor}") from error


def _page_size(raw: Any) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = -1
    if isinstance(raw, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise _invalid(
            f"body failed validation: body.page_size should be a number between 1 and "
            f"{MAX_PAGE_SIZE}, instead was `{raw!r}`."
        )
    return size


class RawJson(str):
    """An already-encoded JSON object. Page objects are rendered straight to text: building
    ~200 dicts per page and encoding them costs twice as much, and the short-lived dict trees
    trigger full garbage collections over a 100k-page workspace."""


Query = dict[str, list[str]]


def _encode(result: dict[str, Any] | RawJson, request_id: str) -> bytes:
    """The response body, with the `request_id` Notion adds to every answer.

    A lone surrogate (valid in a JSON string someone wrote, not in UTF-8) goes out as its JSON
    escape `\\udXXX` rather than failing the response.
    """
    if isinstance(result, RawJson):
        text = f'{result[:-1]},"request_id":"{request_id}"}}'
    else:
        result["request_id"] = request_id
        text = _dumps(result)
    return text.encode("utf-8", "backslashreplace")


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


T = TypeVar("T")


def id_cursor_page(
    items: Sequence[T], ids: Sequence[str], query: Query
) -> tuple[list[T], str | None]:
    """One page of a GET list whose cursor is the id of the first item of the next page, as
    Notion's users and block-children lists use: `(items of this page, next_cursor or None)`.
    An unknown `start_cursor` is Notion's 400."""
    size = _page_size(_first(query, "page_size"))
    start = 0
    cursor = _first(query, "start_cursor")
    if cursor:
        wanted = normalize_id(cursor)
        if wanted not in ids:
            raise _invalid(f"start_cursor provided is invalid: {cursor}")
        start = list(ids).index(wanted)
    more = start + size < len(items)
    return list(items[start : start + size]), ids[start + size] if more else None
