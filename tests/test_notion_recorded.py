"""Our parsers fed with responses in the exact shapes Notion's API returns.

`tests/fixtures/notion_recorded/` holds a `GET /v1/data_sources/{id}` and a
`POST /v1/data_sources/{id}/query` response laid out as recorded API responses are (the
cassettes of ramnes/notion-sdk-py) and typed as makenotion/notion-sdk-js's
`src/api-endpoints` declares them: every page property type, full and partial users, a bot
with its owner, a group among people, mentions, `request_status`, `request_id`, `in_trash`,
`archived` and `is_archived`. The words and ids are ours; the shapes are Notion's. The
expected values below were worked out by reading the JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.tickets import CANCELED, IN_PROGRESS
from tasks.notion.mapping import detect_ticket_mapping
from tasks.notion.properties import parse_property
from tasks.notion.property_values import DateValue, PersonRef, RelationValue, StatusValue
from tasks.notion.rows import ticket_row

RECORDED = Path(__file__).parent / "fixtures" / "notion_recorded"
TASKS_DS = "2b1c7a10-44d2-8012-9c3e-000b7f2a9d41"
SPRINTS_DS = "2b1c7a10-44d2-80c5-a7e1-000b61e03f58"
MINA = "6f0c3d2e-1b4a-4c8d-9e7f-2a1b3c4d5e6f"
OTIS = "0d9e8f7a-6b5c-4d3e-8f1a-9b8c7d6e5f40"
BOT = "4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d"
GROUP = "8c7b6a59-4837-4261-9f0e-1d2c3b4a5968"
SPRINT_7 = "2b1c7a10-44d2-8133-b0a2-c4d6e8f0a2b4"
MINA_REF = PersonRef(
    MINA,
    "Mina Sato",
    "mina@example.org",
    "person",
    "https://s3-us-west-2.amazonaws.com/public.notion-static.com/mina/avatar.png",
)
BERLIN = ZoneInfo("Europe/Berlin")


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def query() -> dict[str, Any]:
    return recorded("tasks_query.json")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return recorded("tasks_data_source.json")["properties"]


EXPECTED = {
    "Task name": "Rotate the signing keys with @Otis Berg by 2026-04-02 e^{i\\pi}",
    "Summary": "See Sprint 7 and RFC 12",
    "Status": StatusValue("st-review", "In review", "purple"),
    "Story points": "8",
    "Sprint": RelationValue((SPRINT_7,), False),
    "Task ID": "TASK-311",
    "Assignee": [
        MINA_REF,
        PersonRef(OTIS, None, None, None, None),
        PersonRef(BOT, "Release bot", None, "bot", None),
        PersonRef(GROUP, "Platform team", None, "group", None),
    ],
    "Priority": "High",
    "Tags": ["security", "ops"],
    "Due date": DateValue(
        datetime(2026, 4, 2, 17, 30, tzinfo=timezone(timedelta(hours=2))), None, None
    ),
    "Window": DateValue(
        datetime(2026, 4, 1, 9, tzinfo=BERLIN),
        datetime(2026, 4, 1, 11, tzinfo=BERLIN),
        "Europe/Berlin",
    ),
    "Reviewed": True,
    "Runbook": "https://example.org/runbooks/keys",
    "Contact": "oncall@example.org",
    "Pager": "+49 30 1234567",
    "Hours": 2.5,
    "Points x2": 16.0,
    "Label": "TASK-311 · High",
    "Overdue": False,
    "Next check": DateValue(date(2026, 4, 9), None, None),
    "Sprint points": 34.0,
    "Sprint names": ["Sprint 7"],
    "Sprint ends": DateValue(date(2026, 4, 12), None, None),
    "Attachments": [
        "https://prod-files-secure.s3.us-west-2.amazonaws.com/plan.pdf?X-Amz-Signature=abc",
        "https://grafana.example.org/d/keys",
    ],
    "Verified": "verified",
    "Run checks": None,
    "Office": "Stockholm office, Drottninggatan 1, 111 51 Stockholm, Sweden",
    "Created by": MINA_REF,
    "Created": datetime(2026, 3, 23, 8, 4, tzinfo=UTC),
    "Last edited by": PersonRef(OTIS, None, None, None, None),
    "Last edited": datetime(2026, 3, 31, 15, 22, tzinfo=UTC),
}


def test_the_fixture_covers_every_property_type_the_schema_declares(query, schema):
    page_types = {p["type"] for p in query["results"][0]["properties"].values()}
    assert page_types == {p["type"] for p in schema.values()}
    assert len(page_types) == 24
    assert set(EXPECTED) == set(query["results"][0]["properties"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_recorded_property_value_parses_to_what_it_says(query, name):
    assert parse_property(query["results"][0]["properties"][name]) == EXPECTED[name]


def test_the_recorded_schema_is_mapped_with_no_property_map(schema):
    mapping = detect_ticket_mapping(schema, {}, SPRINTS_DS)
    assert (mapping.title, mapping.status, mapping.points) == (
        "Task name",
        "Status",
        "Story points",
    )
    assert (mapping.sprint, mapping.key, mapping.assignees) == ("Sprint", "Task ID", "Assignee")
    assert (mapping.priority, mapping.tags, mapping.due) == ("Priority", "Tags", "Due date")
    assert mapping.description == "Summary"
    assert mapping.status_categories["In review"] == IN_PROGRESS
    assert mapping.status_categories["Won't do"] == CANCELED


def test_a_recorded_page_becomes_a_ticket_row(query, schema):
    mapping = detect_ticket_mapping(schema, {}, SPRINTS_DS)
    parsed = ticket_row(query["results"][0], mapping, TASKS_DS, ZoneInfo("UTC"))
    row = parsed.row
    assert (row["key"], row["status"], row["status_category"]) == (
        "TASK-311",
        "In review",
        IN_PROGRESS,
    )
    assert (row["points"], row["sprint_id"], row["priority"]) == (8.0, SPRINT_7, "High")
    assert row["tags"] == ["security", "ops"]
    assert (row["due_start"], row["due_end"]) == (
        date(2026, 4, 2),
        None,
    )  # 17:30+02:00 is 15:30 UTC
    assert row["created_by_id"] == MINA
    assert row["last_edited_time"] == datetime(2026, 3, 31, 15, 22, tzinfo=UTC)
    assert row["parse_errors"] == []
    assert parsed.assignee_ids == [MINA, OTIS, BOT, GROUP]
    assert parsed.removed is False  # is_archived is not trash
    # Names are learned from full users only; a partial user never blanks a known name.
    named = {p.id: p.name for p in parsed.people}
    assert named[MINA] == "Mina Sato" and named[BOT] == "Release bot"
    assert named[OTIS] is None


def test_a_recorded_trashed_page_is_read_and_marked_removed(query, schema):
    mapping = detect_ticket_mapping(schema, {}, SPRINTS_DS)
    parsed = ticket_row(query["results"][1], mapping, TASKS_DS)
    assert parsed.removed is True
    assert (parsed.row["status"], parsed.row["status_category"]) == ("Won't do", CANCELED)
    assert (parsed.row["points"], parsed.row["sprint_id"]) == (None, None)
    assert parsed.assignee_ids == []
