"""Schemas that are not ours: detection with no property map, overrides of other shapes, the
one-line errors that name the fix, status categories and the place parser.

Schemas are shaped like `GET /v1/data_sources/{id}` (see `tests/notion_payloads.py`); the
template schema is laid out as Notion's Projects & Sprints templates.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.settings import ConfigError, load_settings
from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, TODO
from tasks.assistant.task_intake import TaskIntakeError, TicketDraft, page_properties
from tasks.notion.mapping import MappingError, detect_sprint_mapping, detect_ticket_mapping
from tasks.notion.properties import parse_property
from tasks.notion.property_values import PropertyParseError
from tasks.notion.rows import sprint_row, ticket_row
from tasks.notion.status_categories import (
    SOURCE_CANCELED,
    SOURCE_GROUP,
    SOURCE_GUESS,
    SOURCE_OVERRIDE,
    StatusRules,
    guess_status_category,
)
from tests import notion_payloads as n


def options(*names: str) -> dict[str, Any]:
    return {
        "options": [
            {"id": f"opt-{name}", "name": name, "color": "default", "description": None}
            for name in names
        ]
    }


def template_tickets_schema(status_type: str = "status") -> dict[str, Any]:
    """Notion's Projects & Sprints 'Tasks' data source: points a select, the ID a unique_id."""
    status = n.status_schema()
    if status_type == "select":
        status = n.schema_property("Status", "select", {"options": status["status"]["options"]})
    props = [
        n.schema_property("Task name", "title", prop_id="title"),
        status,
        n.schema_property("Story points", "select", options("1", "2", "3", "5", "8")),
        n.relation_schema("Sprint", n.SPRINTS_DS),
        n.relation_schema("Project", n.PROJECTS_DS),
        n.schema_property("Task ID", "unique_id", {"prefix": "TASK"}),
        n.schema_property("Assignee", "people"),
        n.schema_property("Created by", "created_by"),
    ]
    return {p["name"]: p for p in props}


def template_sprints_schema() -> dict[str, Any]:
    schema = n.sprints_schema()
    schema["Sprint status"]["status"]["groups"] = [
        {"id": "g1", "name": "To-do", "color": "gray", "option_ids": ["s-future"]},
        {"id": "g2", "name": "In progress", "color": "blue", "option_ids": ["s-current"]},
        {"id": "g3", "name": "Complete", "color": "green", "option_ids": ["s-past"]},
    ]
    return schema


def ticket(mapping, **properties: Any) -> dict[str, Any]:
    """A page of the template's Tasks data source, with `properties` replacing the defaults."""
    values = {
        "Task name": n.title("Write the runbook"),
        "Status": n.status("Done", "done-id"),
        "Story points": n.select("3", "opt-3"),
        "Sprint": n.relation(n.SPRINT_23),
        "Project": n.relation(),
        "Task ID": n.unique_id(7, "TASK"),
        "Assignee": n.people(n.ADA),
        "Created by": n.created_by(n.ADA),
    }
    values.update(properties)
    return ticket_row(n.ticket_page(values), mapping, n.TICKETS_DS).row


# --- detection ---------------------------------------------------------------------------------


def test_the_template_schema_is_mapped_with_no_property_map():
    mapping = detect_ticket_mapping(template_tickets_schema(), {}, n.SPRINTS_DS)
    assert (mapping.title, mapping.status, mapping.points) == (
        "Task name",
        "Status",
        "Story points",
    )
    assert (mapping.sprint, mapping.key, mapping.assignees) == ("Sprint", "Task ID", "Assignee")
    assert mapping.choices["points"].type == "select"
    assert mapping.choices["points"].source == "detected: a select of numbers named like points"
    assert mapping.choices["sprint"].source.endswith("to the sprints data source")


def test_select_points_are_read_as_numbers():
    mapping = detect_ticket_mapping(template_tickets_schema(), {})
    row = ticket(mapping, **{"Story points": n.select("5", "opt-5")})
    assert row["points"] == 5.0
    assert row["parse_errors"] == []


def test_a_non_numeric_point_option_is_a_parse_error_and_the_ticket_is_kept():
    mapping = detect_ticket_mapping(template_tickets_schema(), {})
    row = ticket(mapping, **{"Story points": n.select("XL", "opt-xl")})
    assert row["points"] is None
    assert row["title"] == "Write the runbook"
    assert row["parse_errors"] == [
        {
            "property": "Story points",
            "type": "select",
            "error": "select value 'XL' is not a number of points",
        }
    ]


def test_a_select_of_t_shirt_sizes_is_not_taken_as_points():
    schema = template_tickets_schema()
    schema["Story points"] = n.schema_property("Story points", "select", options("S", "M", "L"))
    assert detect_ticket_mapping(schema, {}).points is None


@pytest.mark.parametrize("kind", ["formula", "rollup"])
def test_points_computed_by_a_formula_or_rollup_are_detected_by_name(kind):
    schema = template_tickets_schema()
    schema["Story points"] = n.schema_property("Story points", kind, {})
    mapping = detect_ticket_mapping(schema, {})
    assert (mapping.points, mapping.choices["points"].type) == ("Story points", kind)
    row = ticket(mapping, **{"Story points": getattr(n, kind)("number", 8)})
    assert row["points"] == 8.0


def test_a_formula_giving_text_for_points_is_recorded_not_guessed():
    schema = template_tickets_schema()
    schema["Story points"] = n.schema_property("Story points", "formula", {})
    mapping = detect_ticket_mapping(schema, {})
    row = ticket(mapping, **{"Story points": n.formula("string", "lots")})
    assert row["points"] is None
    assert row["parse_errors"][0]["property"] == "Story points"


@pytest.mark.parametrize("name", ["Assigned", "Assignee", "Person", "Owner", "Who's on it"])
def test_a_lone_people_property_is_the_assignee_whatever_its_name(name):
    schema = template_tickets_schema()
    del schema["Assignee"]
    schema[name] = n.schema_property(name, "people")
    mapping = detect_ticket_mapping(schema, {})
    assert mapping.assignees == name


def test_two_people_properties_with_unknown_names_are_not_guessed():
    schema = template_tickets_schema()
    del schema["Assignee"]
    schema["Reviewer"] = n.schema_property("Reviewer", "people")
    schema["Watcher"] = n.schema_property("Watcher", "people")
    assert detect_ticket_mapping(schema, {}).assignees is None


@pytest.mark.parametrize("kind", ["select", "rich_text", "multi_select"])
def test_a_sprint_kept_as_a_select_or_text_is_one_line_naming_the_fix(kind):
    schema = template_tickets_schema()
    schema["Sprint"] = n.schema_property("Sprint", kind, options("Sprint 1"))
    with pytest.raises(MappingError) as raised:
        detect_ticket_mapping(schema, {})
    message = str(raised.value)
    assert f"'Sprint' property is a {kind}" in message
    assert "convert 'Sprint' to a relation" in message
    assert "CONDUCTOR_NOTION_PROPERTY_MAP" in message
    assert "\n" not in message


def test_an_empty_sprint_override_syncs_without_sprints():
    schema = template_tickets_schema()
    schema["Sprint"] = n.schema_property("Sprint", "select", options("Sprint 1"))
    assert detect_ticket_mapping(schema, {"sprint": ""}).sprint is None


@pytest.mark.parametrize("name", ["Dates", "Sprint dates", "Period", "Timeline"])
def test_sprint_dates_as_one_range_by_common_names(name):
    schema = template_sprints_schema()
    schema[name] = schema.pop("Dates") | {"name": name}
    schema["Created"] = n.schema_property("Created", "date")
    assert detect_sprint_mapping(schema, {}).dates == name


def test_sprint_dates_as_a_start_and_an_end_property():
    schema = template_sprints_schema()
    del schema["Dates"]
    schema["Start date"] = n.schema_property("Start date", "date")
    schema["End date"] = n.schema_property("End date", "date")
    mapping = detect_sprint_mapping(schema, {})
    assert (mapping.dates, mapping.dates_end) == ("Start date", "End date")
    page = n.sprint_page(
        {
            "Sprint name": n.title("Sprint 23"),
            "Start date": n.date("2026-03-02"),
            "End date": n.date("2026-03-13"),
            "Sprint status": n.status("Current", "s-current"),
        }
    )
    row = sprint_row(page, mapping, n.SPRINTS_DS, ZoneInfo("UTC")).row
    assert (row["start"], row["end"], row["status"]) == (
        date(2026, 3, 2),
        date(2026, 3, 13),
        "Current",
    )


def test_sprint_status_is_a_status_property_or_a_select():
    assert detect_sprint_mapping(template_sprints_schema(), {}).status == "Sprint status"
    schema = template_sprints_schema()
    schema["Sprint status"] = n.schema_property("Sprint status", "select", options("Current"))
    mapping = detect_sprint_mapping(schema, {})
    assert (mapping.status, mapping.choices["sprint_status"].type) == ("Sprint status", "select")


# --- overrides ---------------------------------------------------------------------------------


def test_sprint_dates_override_as_a_start_end_pair():
    schema = template_sprints_schema()
    schema["Kickoff"] = n.schema_property("Kickoff", "date")
    schema["Demo day"] = n.schema_property("Demo day", "date")
    settings = load_settings(notion_property_map='{"sprint_dates": ["Kickoff", "Demo day"]}')
    mapping = detect_sprint_mapping(schema, settings.notion_property_map)
    assert (mapping.dates, mapping.dates_end) == ("Kickoff", "Demo day")
    assert mapping.choices["sprint_dates"].source == "override (start)"


def test_points_override_may_name_a_select():
    schema = template_tickets_schema()
    schema["Size"] = n.schema_property("Size", "select", options("1", "2"))
    mapping = detect_ticket_mapping(schema, {"points": "Size"})
    assert (mapping.points, mapping.choices["points"].source) == ("Size", "override")


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ({"sprint": "Task ID"}, "'sprint' needs one of: relation"),
        ({"points": "Assignee"}, "'points' needs one of: number, select, formula, rollup"),
        ({"sprint_dates": ("Dates", "Sprint status")}, "'sprint_dates' needs one of: date"),
    ],
)
def test_a_wrongly_typed_override_is_one_line_naming_the_fix(overrides, needle):
    with pytest.raises(MappingError) as raised:
        if "sprint_dates" in overrides:
            detect_sprint_mapping(template_sprints_schema(), overrides)
        else:
            detect_ticket_mapping(template_tickets_schema(), overrides)
    message = str(raised.value)
    assert needle in message
    assert "change the property's type in Notion or map another property" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "value, message",
    [
        ('{"sprint_dates": ["Start"]}', "maps 'sprint_dates' to [\"Start\"]; give a property name"),
        ('{"points": ["A", "B"]}', 'maps \'points\' to ["A", "B"]; give a property name'),
    ],
)
def test_property_map_shapes_other_than_a_name_or_a_date_pair_are_refused(value, message):
    with pytest.raises(ConfigError) as raised:
        load_settings(notion_property_map=value)
    assert str(raised.value).startswith("CONDUCTOR_NOTION_PROPERTY_MAP: " + message)


# --- status categories -------------------------------------------------------------------------


def test_wont_do_in_the_complete_group_is_canceled_by_default():
    mapping = detect_ticket_mapping(template_tickets_schema(), {})
    explained = {s.name: (s.category, s.source) for s in mapping.status_explained}
    assert explained["Won't do"] == (CANCELED, SOURCE_CANCELED)
    assert explained["Done"] == (COMPLETE, SOURCE_GROUP)
    assert ticket(mapping, Status=n.status("Won't do", "wont-do-id"))["status_category"] == CANCELED


def test_a_select_status_is_categorised_by_name_guess_and_canceled_statuses():
    mapping = detect_ticket_mapping(template_tickets_schema("select"), {})
    explained = {s.name: (s.category, s.source) for s in mapping.status_explained}
    assert explained == {
        "Backlog": (TODO, SOURCE_GUESS),
        "Not started": (TODO, SOURCE_GUESS),
        "In progress": (IN_PROGRESS, SOURCE_GUESS),
        "In review": (IN_PROGRESS, SOURCE_GUESS),
        "Blocked": (IN_PROGRESS, SOURCE_GUESS),
        "Done": (COMPLETE, SOURCE_GUESS),
        "Won't do": (CANCELED, SOURCE_CANCELED),
    }


def test_status_categories_setting_wins_over_groups_and_canceled_statuses():
    settings = load_settings(status_categories='{"in review": "complete", "WON\'T DO": "complete"}')
    rules = StatusRules.from_settings(settings)
    mapping = detect_ticket_mapping(template_tickets_schema(), {}, status_rules=rules)
    explained = {s.name: (s.category, s.source) for s in mapping.status_explained}
    assert explained["In review"] == (COMPLETE, SOURCE_OVERRIDE)
    assert explained["Won't do"] == (COMPLETE, SOURCE_OVERRIDE)
    row = ticket(mapping, Status=n.status("In review", "in-review-id"))
    assert row["status_category"] == COMPLETE


def test_canceled_statuses_setting_replaces_the_default_list():
    settings = load_settings(canceled_statuses="Parked, done")
    rules = StatusRules.from_settings(settings)
    mapping = detect_ticket_mapping(template_tickets_schema(), {}, status_rules=rules)
    assert mapping.status_categories["Done"] == CANCELED
    assert mapping.status_categories["Won't do"] == COMPLETE  # back in its group
    # An option added after detection is decided by the same rules.
    assert ticket(mapping, Status=n.status("Parked", "new-id"))["status_category"] == CANCELED


@pytest.mark.parametrize(
    "value, message",
    [
        ('{"Shipped": "done"}', "maps 'Shipped' to \"done\"; use one of todo, in_progress"),
        ("{Shipped: complete}", "is not valid JSON"),
        ('["Shipped"]', "must be a JSON object"),
    ],
)
def test_bad_status_categories_are_one_line_naming_the_fix(value, message):
    with pytest.raises(ConfigError) as raised:
        load_settings(status_categories=value)
    assert str(raised.value).startswith("CONDUCTOR_STATUS_CATEGORIES: " + message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "name, category",
    [
        ("Deployed", COMPLETE),
        ("Merged", COMPLETE),
        ("Live", COMPLETE),
        ("Finished", COMPLETE),
        ("Shipped 🚀", COMPLETE),
        ("Released", COMPLETE),
        ("Archived", COMPLETE),
        ("Won't fix", CANCELED),
        ("Won\u2019t fix", CANCELED),
        ("Duplicate", CANCELED),
        ("Cancelled", CANCELED),
        ("Rejected", CANCELED),
        ("Not deployed", TODO),
        ("Delivery planning", TODO),  # "deliver" inside a word is not "delivered"
        ("Quality gate", TODO),  # nor is "qa" inside "quality"
        ("Alive check", TODO),  # nor "live" inside "alive"
    ],
)
def test_the_name_guess_for_select_statuses(name, category):
    assert guess_status_category(name) == category


# --- place -------------------------------------------------------------------------------------


def place(value: Any) -> dict[str, Any]:
    return {"id": "pl%3A1", "type": "place", "place": value}


@pytest.mark.parametrize(
    "value, text",
    [
        (
            {"lat": 52.52, "lon": 13.405, "name": "HQ", "address": "Unter den Linden 1, Berlin"},
            "HQ, Unter den Linden 1, Berlin",
        ),
        ({"lat": 48.8584, "lon": 2.2945, "name": "Tour Eiffel", "address": None}, "Tour Eiffel"),
        (
            {"lat": 40.7, "lon": -74.0, "name": "Pier 17", "address": "Pier 17, New York, NY"},
            "Pier 17, New York, NY",
        ),
        ({"lat": 35.6812, "lon": 139.7671, "google_place_id": "ChIJxyz"}, "35.6812, 139.767"),
        (None, None),
    ],
)
def test_place_reads_as_name_and_address(value, text):
    assert parse_property(place(value)) == text


@pytest.mark.parametrize("value", ["Berlin", {"name": 3, "lat": 1, "lon": 2}, {"lat": "x"}])
def test_a_misshapen_place_raises_only_property_parse_error(value):
    with pytest.raises(PropertyParseError):
        parse_property(place(value))


# --- writing points back (conductor task create) ----------------------------------------------


def test_a_new_ticket_writes_points_as_the_select_option_of_a_template_schema():
    mapping = detect_ticket_mapping(template_tickets_schema(), {})
    properties = page_properties(
        mapping, TicketDraft(title="Rotate keys", points=5), None, None, None, []
    )
    assert properties["Story points"] == {"select": {"name": "5"}}


def test_points_computed_by_a_formula_cannot_be_set_by_a_new_ticket():
    schema = template_tickets_schema()
    schema["Story points"] = n.schema_property("Story points", "formula", {})
    mapping = detect_ticket_mapping(schema, {})
    with pytest.raises(TaskIntakeError, match="leave the points out of the request"):
        page_properties(mapping, TicketDraft(title="Rotate keys", points=5), None, None, None, [])
