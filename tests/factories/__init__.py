"""Small builders of realistic rows for tests (tickets, sprints, people)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

_BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

#: The one "today" of the test suite: every sample workspace is built for it and the team's clock
#: is pinned to it (tests/conftest.py), so no test depends on the day it runs. A Tuesday, the
#: second day of a sprint. tests/test_sample_workspace_dates.py checks that the generator keeps
#: its promises on every other day too.
SAMPLE_TODAY = date(2026, 11, 24)

#: docs/design.md §3 `tickets --json`: the keys of one ticket, in order (the contract, not the code's).
TICKET_JSON_KEYS = (
    "id",
    "key",
    "title",
    "status",
    "status_category",
    "points",
    "assignee_ids",
    "sprint_id",
    "priority",
    "tags",
    "url",
    "last_edited_time",
)


def ticket_row(number: int, **overrides: Any) -> dict[str, Any]:
    """A parsed ticket row as ingestion produces it (all Ticket columns but bookkeeping)."""
    row: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "data_source_id": "11111111-1111-4111-8111-111111111111",
        "key": f"ENG-{number}",
        "title": f"Ticket {number}",
        "description": "",
        "status": "Todo",
        "status_category": "todo",
        "points": 3.0,
        "sprint_id": None,
        "priority": "P2",
        "tags": ["backend"],
        "due_start": None,
        "due_end": None,
        "url": f"https://www.notion.so/ticket-{number}",
        "created_by_id": None,
        "created_time": _BASE_TIME,
        "last_edited_time": _BASE_TIME,
        "raw": {"Name": {"type": "title", "title": []}},
        "parse_errors": [],
    }
    row.update(overrides)
    row["content_hash"] = overrides.get("content_hash") or _hash(row)
    return row


def sprint_row(number: int, start: date, end: date, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"22222222-0000-4000-8000-{number:012d}",
        "data_source_id": "33333333-3333-4333-8333-333333333333",
        "name": f"Sprint {number}",
        "start": start,
        "end": end,
        "status": "Active",
        "url": None,
        "created_time": _BASE_TIME,
        "last_edited_time": _BASE_TIME,
        "raw": {},
        "parse_errors": [],
    }
    row.update(overrides)
    return row


def person_row(number: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"44444444-0000-4000-8000-{number:012d}",
        "name": f"Person {number}",
        "email": f"person{number}@example.com",
        "type": "person",
        "avatar_url": None,
        "source": "users_api",
    }
    row.update(overrides)
    return row


def _hash(row: dict[str, Any]) -> str:
    fields = {k: v for k, v in row.items() if k not in {"raw", "last_edited_time", "content_hash"}}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()
